//! Times the conv autoencoder decoder's three ×2 upsamplings (forward plus backward, at the
//! decoder's shapes) in each upsampling mode and implementation: the measurement behind
//! `ae_models::UpsampleImplementation::for_device` (which quotes the figures).
//!
//!     cargo run --release -p ae-train --example upsample_timing [-- BATCH [ndarray]]
//!
//! Prints the median of 20 runs after 3 warm-up runs. Burn's bilinear backward is missing on
//! ndarray, so there only the portable implementation of the bilinear modes is timed (the fused
//! one is Burn's there). Nearest has no fused kernel: `Fused` runs Burn's for it.

use std::time::Instant;

// The binary's allocator, so that large tensors are reused between calls as in a training step
// rather than faulted in page by page each time.
#[global_allocator]
static ALLOCATOR: ae_runtime::LargeBlockCache = ae_runtime::LargeBlockCache;

use ae_models::{UpsampleImplementation, Upsampling, upsample_2x};
use burn::tensor::{Device, Distribution, Tensor};

fn median_ms(device: &Device, mut f: impl FnMut()) -> f64 {
    let mut times = Vec::new();
    for i in 0..23 {
        let started = Instant::now();
        f();
        device.sync().expect("sync");
        if i >= 3 {
            times.push(started.elapsed().as_secs_f64() * 1e3);
        }
    }
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() {
    ae_runtime::keep_freed_memory();
    let mut args = std::env::args().skip(1);
    let batch: usize = args.next().map_or(200, |b| b.parse().expect("BATCH"));
    let device = match args.next().as_deref() {
        #[allow(deprecated)] // The user asked for the ndarray backend; Burn marks it deprecated.
        Some("ndarray") => Device::ndarray(),
        _ => Device::flex(),
    };
    let on_flex = device == Device::flex();
    let device = device.autodiff();
    // The decoder's upsampling inputs: after conv1, conv2 and conv3.
    let inputs: Vec<Tensor<4>> = [[batch, 128, 4, 4], [batch, 64, 8, 8], [batch, 64, 16, 16]]
        .into_iter()
        .map(|shape| Tensor::random(shape, Distribution::Default, &device))
        .collect();
    let weights: Vec<Tensor<4>> = inputs
        .iter()
        .map(|x| {
            let [b, c, h, w] = x.dims();
            Tensor::random([b, c, 2 * h, 2 * w], Distribution::Default, &device)
        })
        .collect();
    println!("batch {batch}, forward + backward of the three upsamplings");
    for mode in Upsampling::ALL {
        for implementation in [
            UpsampleImplementation::Burn,
            UpsampleImplementation::Portable,
            UpsampleImplementation::Fused,
        ] {
            let needs_flex = implementation != UpsampleImplementation::Portable;
            if (needs_flex && !on_flex && mode != Upsampling::Nearest)
                || (implementation == UpsampleImplementation::Fused && mode == Upsampling::Nearest)
            {
                continue;
            }
            let ms = median_ms(&device, || {
                for (x, w) in inputs.iter().zip(&weights) {
                    let x = x.clone().require_grad();
                    let grads = (upsample_2x(x.clone(), mode, implementation) * w.clone())
                        .sum()
                        .backward();
                    drop(x.grad(&grads));
                }
            });
            let forward = median_ms(&device, || {
                for x in &inputs {
                    drop(upsample_2x(x.clone(), mode, implementation));
                }
            });
            println!(
                "{:<24} {:<9} forward {forward:>8.2} ms, forward+backward {ms:>8.2} ms",
                mode.name(),
                format!("{implementation:?}"),
            );
        }
    }
}
