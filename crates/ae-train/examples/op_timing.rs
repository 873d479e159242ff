//! Times the single operations a dense autoencoder's training step is made of, on Burn alone
//! (no ae code in the loop): the minimal reproduction behind the README's performance notes.
//! With `conv`, the convolutions of LeNet-5 and of the conv autoencoder instead (and the first
//! layer of the CIFAR-10 one, three input channels), each layer's forward pass and both
//! gradients at the recipes' batch sizes (or `--batch N`).
//!
//!     cargo run --release -p ae-train --example op_timing [-- ndarray] [conv [--batch N] [--only NAME] [--runs N]]
//!
//! `--only NAME` times the layers whose name contains NAME (e.g. `--only enc`); `--runs N` times
//! each convolution N times (for a profile in which the timed calls outweigh the set-up).
//!
//! Prints the median of 50 runs after 5 warm-up runs (convolutions: 5, or `--runs`, after 1), GFLOP/s and,
//! for convolutions, the share of the 1024³ product's rate measured in the same process and the
//! op's fewest bytes (operands read once, result written once) per second against a large
//! copy's rate: an op bound by memory shows in the second share, not the first. The input
//! gradient of a model's first layer is timed but marked: a training step does not run it.

use std::time::Instant;

// The binary's allocator, so that large tensors are reused between calls as in a training step
// rather than faulted in page by page each time.
#[global_allocator]
static ALLOCATOR: ae_runtime::LargeBlockCache = ae_runtime::LargeBlockCache;

use burn::tensor::activation::{sigmoid, tanh};
use burn::tensor::{Device, Distribution, Tensor};

fn median_ms(device: &Device, f: impl FnMut()) -> f64 {
    median_ms_of(device, 5, 50, f)
}

fn median_ms_of(device: &Device, warmup: usize, runs: usize, mut f: impl FnMut()) -> f64 {
    let mut times = Vec::new();
    for i in 0..warmup + runs {
        let started = Instant::now();
        f();
        device.sync().expect("sync");
        if i >= warmup {
            times.push(started.elapsed().as_secs_f64() * 1e3);
        }
    }
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn report(what: &str, ms: f64, flops: Option<f64>) {
    match flops {
        Some(f) => println!("{what:<58} {ms:>9.3} ms {:>7.1} GFLOP/s", f / ms / 1e6),
        None => println!("{what:<58} {ms:>9.3} ms"),
    }
}

fn main() {
    // As the binary does, before any thread starts.
    ae_blas::prefer_avx512_kernels();
    // `AE_GLIBC_DEFAULTS=1` keeps glibc's malloc defaults, to see what they cost.
    if std::env::var_os("AE_GLIBC_DEFAULTS").is_none() {
        ae_runtime::keep_freed_memory();
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let ndarray = args.iter().any(|a| a == "ndarray");
    let device = if ndarray {
        ndarray_device()
    } else {
        Device::flex()
    };
    if args.iter().any(|a| a == "conv") {
        let number = |flag: &str| {
            args.iter()
                .position(|a| a == flag)
                .and_then(|i| args.get(i + 1))
                .map(|b| {
                    b.parse::<usize>()
                        .ok()
                        .filter(|&n| n > 0)
                        .unwrap_or_else(|| panic!("{flag} N: a positive whole number, not {b:?}"))
                })
        };
        let (batch, runs) = (number("--batch"), number("--runs").unwrap_or(5));
        let only = args
            .iter()
            .position(|a| a == "--only")
            .and_then(|i| args.get(i + 1))
            .cloned();
        conv_ops(&device, !ndarray, batch, runs, only.as_deref());
        return;
    }
    let (b, i, h) = (100usize, 784usize, 400usize);
    let mm = 2.0 * (b * i * h) as f64;
    let x = Tensor::<2>::random([b, i], Distribution::Default, &device);
    let w = Tensor::<2>::random([i, h], Distribution::Default, &device);
    let g = Tensor::<2>::random([b, h], Distribution::Default, &device);

    let t = median_ms(&device, || drop(x.clone().matmul(w.clone())));
    report("matmul [100,784]x[784,400]", t, Some(mm));
    let t = median_ms(&device, || drop(x.clone().transpose().matmul(g.clone())));
    report("matmul x^T [784,100]x[100,400] (weight grad)", t, Some(mm));
    let t = median_ms(&device, || drop(g.clone().matmul(w.clone().transpose())));
    report(
        "matmul g [100,400]x w^T [400,784] (input grad)",
        t,
        Some(mm),
    );
    let t = median_ms(&device, || drop(x.clone().transpose()));
    report("transpose view [100,784]", t, None);
    let t = median_ms(&device, || drop(x.clone().transpose().mul_scalar(1.0)));
    report("transpose + mul_scalar", t, None);
    let t = median_ms(&device, || drop(x.clone().transpose().into_data()));
    report("transpose + into_data", t, None);
    let xt = Tensor::<2>::from_data(x.clone().transpose().into_data(), &device);
    let t = median_ms(&device, || drop(xt.clone().matmul(g.clone())));
    report("matmul contiguous [784,100]x[100,400]", t, Some(mm));
    let t = median_ms(&device, || drop(tanh(g.clone())));
    report("tanh [100,400]", t, None);
    let t = median_ms(&device, || drop(sigmoid(x.clone())));
    report("sigmoid [100,784]", t, None);
    let t = median_ms(&device, || drop(g.clone().exp()));
    report("exp [100,400]", t, None);
    let t = median_ms(&device, || drop(g.clone().recip()));
    report("recip [100,400]", t, None);
    let t = median_ms(&device, || drop(x.clone() - x.clone()));
    report("sub [100,784]", t, None);
    let t = median_ms(&device, || drop(g.clone() + g.clone().sum_dim(0)));
    report("add broadcast row [100,400]+[1,400]", t, None);

    // A whole 784-400-784 step with autodiff: forward, MSE, backward (no optimiser).
    let ad = device.clone().autodiff();
    let w1 = Tensor::<2>::random([i, h], Distribution::Default, &ad).require_grad();
    let b1 = Tensor::<1>::zeros([h], &ad).require_grad();
    let w2 = Tensor::<2>::random([h, i], Distribution::Default, &ad).require_grad();
    let b2 = Tensor::<1>::zeros([i], &ad).require_grad();
    let xa = Tensor::<2>::random([b, i], Distribution::Default, &ad);
    let step = || {
        let code = tanh(xa.clone().matmul(w1.clone()) + b1.clone().unsqueeze());
        let out = sigmoid(code.matmul(w2.clone()) + b2.clone().unsqueeze());
        let loss = (out - xa.clone()).square().mean();
        drop(loss.backward());
    };
    let t = median_ms(&ad, step);
    report(
        "784-400-784 forward + backward (autodiff)",
        t,
        Some(3.0 * 2.0 * mm),
    );
    let t = median_ms(&device, || {
        let code = tanh(x.clone().matmul(w.clone()));
        drop(sigmoid(code.matmul(w.clone().transpose())));
    });
    report("784-400-784 forward only (no autodiff)", t, Some(2.0 * mm));

    let n = 1024usize;
    let a = Tensor::<2>::random([n, n], Distribution::Default, &device);
    let t = median_ms(&device, || drop(a.clone().matmul(a.clone())));
    report(
        "matmul 1024^3 (the roof)",
        t,
        Some(2.0 * (n * n * n) as f64),
    );
}

/// One convolution layer of a recipe: `[batch, c_in, side, side]` through `c_out` filters.
struct ConvLayer {
    name: &'static str,
    batch: usize,
    c_in: usize,
    c_out: usize,
    side: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
    /// The model's first layer: its input is the data, which needs no gradient, so a training
    /// step never runs its input gradient (Burn's autodiff skips it).
    first: bool,
}

const CONV_LAYERS: [ConvLayer; 10] = [
    ConvLayer {
        name: "LeNet conv1 1->6 5x5, 32x32",
        batch: 100,
        c_in: 1,
        c_out: 6,
        side: 32,
        kernel: 5,
        stride: 1,
        padding: 0,
        first: true,
    },
    ConvLayer {
        name: "LeNet conv2 6->16 5x5, 14x14",
        batch: 100,
        c_in: 6,
        c_out: 16,
        side: 14,
        kernel: 5,
        stride: 1,
        padding: 0,
        first: false,
    },
    ConvLayer {
        name: "conv AE enc1 1->64 /2, 32x32",
        batch: 2000,
        c_in: 1,
        c_out: 64,
        side: 32,
        kernel: 3,
        stride: 2,
        padding: 1,
        first: true,
    },
    ConvLayer {
        name: "CIFAR AE enc1 3->64 /2, 32x32",
        batch: 2000,
        c_in: 3,
        c_out: 64,
        side: 32,
        kernel: 3,
        stride: 2,
        padding: 1,
        first: true,
    },
    ConvLayer {
        name: "conv AE enc2 64->128 /2, 16x16",
        batch: 2000,
        c_in: 64,
        c_out: 128,
        side: 16,
        kernel: 3,
        stride: 2,
        padding: 1,
        first: false,
    },
    ConvLayer {
        name: "conv AE enc3 128->128 /2, 8x8",
        batch: 2000,
        c_in: 128,
        c_out: 128,
        side: 8,
        kernel: 3,
        stride: 2,
        padding: 1,
        first: false,
    },
    ConvLayer {
        name: "conv AE dec1 128->128, 4x4",
        batch: 2000,
        c_in: 128,
        c_out: 128,
        side: 4,
        kernel: 3,
        stride: 1,
        padding: 1,
        first: false,
    },
    ConvLayer {
        name: "conv AE dec2 128->64, 8x8",
        batch: 2000,
        c_in: 128,
        c_out: 64,
        side: 8,
        kernel: 3,
        stride: 1,
        padding: 1,
        first: false,
    },
    ConvLayer {
        name: "conv AE dec3 64->64, 16x16",
        batch: 2000,
        c_in: 64,
        c_out: 64,
        side: 16,
        kernel: 3,
        stride: 1,
        padding: 1,
        first: false,
    },
    ConvLayer {
        name: "conv AE dec4 64->1, 32x32",
        batch: 2000,
        c_in: 64,
        c_out: 1,
        side: 32,
        kernel: 3,
        stride: 1,
        padding: 1,
        first: false,
    },
];

/// Forward, input gradient and weight gradient of every layer of [`CONV_LAYERS`] (those whose
/// name contains `only`, when given).
fn conv_ops(device: &Device, flex: bool, batch: Option<usize>, runs: usize, only: Option<&str>) {
    use burn::tensor::module::{conv2d, conv2d_weight_backward};
    use burn::tensor::ops::ConvOptions;

    let n = 1024usize;
    let a = Tensor::<2>::random([n, n], Distribution::Default, device);
    let roof_ms = median_ms_of(device, 3, 15, || drop(a.clone().matmul(a.clone())));
    let roof = 2.0 * (n * n * n) as f64 / roof_ms / 1e6;
    let bandwidth = copy_bandwidth_gbs();
    println!(
        "roof: 1024^3 f32 product {roof:.1} GFLOP/s; memory: a 256 MiB copy {bandwidth:.1} GB/s \
         (read + written)"
    );
    println!(
        "{:<34} {:>6} {:>10} {:>8} {:>5} {:>7} {:>5}",
        "layer · op", "batch", "ms", "GFLOP/s", "roof", "GB/s", "copy"
    );
    // (ms, FLOP) of every op, and of those a training step runs.
    let mut total = (0.0, 0.0);
    let mut in_step = (0.0, 0.0);
    for layer in CONV_LAYERS
        .iter()
        .filter(|layer| only.is_none_or(|only| layer.name.contains(only)))
    {
        let batch = batch.unwrap_or(layer.batch);
        let x = Tensor::<4>::random(
            [batch, layer.c_in, layer.side, layer.side],
            Distribution::Default,
            device,
        );
        let w = Tensor::<4>::random(
            [layer.c_out, layer.c_in, layer.kernel, layer.kernel],
            Distribution::Default,
            device,
        );
        let b = Tensor::<1>::random([layer.c_out], Distribution::Default, device);
        let options = ConvOptions::new([layer.stride; 2], [layer.padding; 2], [1, 1], 1);
        let y = conv2d(x.clone(), w.clone(), Some(b.clone()), options.clone());
        let [_, _, out_h, out_w] = y.dims();
        let g = Tensor::<4>::random(y.dims(), Distribution::Default, device);
        let macs =
            (batch * layer.c_out * out_h * out_w * layer.c_in * layer.kernel * layer.kernel) as f64;

        let forward = median_ms_of(device, 1, runs, || {
            drop(conv2d(
                x.clone(),
                w.clone(),
                Some(b.clone()),
                options.clone(),
            ))
        });
        let weight_grad = median_ms_of(device, 1, runs, || {
            drop(conv2d_weight_backward(
                x.clone(),
                w.clone(),
                g.clone(),
                options.clone(),
            ))
        });
        let input_grad = if flex {
            // On flex, the backend's own op (what autodiff calls in a training step).
            use burn::backend::Flex;
            use burn::backend::ops::{FloatTensorOps, ModuleOps};
            let on_flex =
                |t: burn::tensor::TensorData| Flex::float_from_data(t, &Default::default());
            let (xf, wf, gf) = (
                on_flex(x.to_data()),
                on_flex(w.to_data()),
                on_flex(g.to_data()),
            );
            median_ms_of(device, 1, runs, || {
                drop(Flex::conv2d_x_backward(
                    xf.clone(),
                    wf.clone(),
                    gf.clone(),
                    options.clone(),
                ))
            })
        } else {
            input_grad_through_autodiff(device, &x, &w, &b, &g, &options, forward)
        };
        // The fewest bytes each op can move: its operands read once, its result written once.
        let floats = |dims: [usize; 4]| dims.iter().product::<usize>();
        let (x_floats, w_floats, y_floats) = (floats(x.dims()), floats(w.dims()), floats(g.dims()));
        for (op, ms, bytes) in [
            ("forward", forward, 4 * (x_floats + w_floats + y_floats)),
            (
                "input grad",
                input_grad,
                4 * (y_floats + w_floats + x_floats),
            ),
            (
                "weight grad",
                weight_grad,
                4 * (x_floats + y_floats + w_floats),
            ),
        ] {
            if ms <= 0.0 {
                println!(
                    "{:<34} {batch:>6} {:>10} (below the noise of the subtraction)",
                    format!("{} · {op}", layer.name),
                    "–"
                );
                continue;
            }
            let gflops = 2.0 * macs / ms / 1e6;
            let gbs = bytes as f64 / ms / 1e6;
            let skipped = layer.first && op == "input grad";
            println!(
                "{:<34} {batch:>6} {ms:>10.2} {gflops:>8.1} {:>4.0}% {gbs:>7.1} {:>4.0}%{}",
                format!("{} · {op}", layer.name),
                100.0 * gflops / roof,
                100.0 * gbs / bandwidth,
                if skipped {
                    "  (not in a training step)"
                } else {
                    ""
                }
            );
            total.0 += ms;
            total.1 += 2.0 * macs;
            if !skipped {
                in_step.0 += ms;
                in_step.1 += 2.0 * macs;
            }
        }
    }
    for (what, (ms, flop)) in [
        ("all convolutions", total),
        ("those a training step runs", in_step),
    ] {
        let gflops = flop / ms / 1e6;
        println!(
            "{what}: {ms:.1} ms, {gflops:.1} GFLOP/s, {:.0}% of the roof",
            100.0 * gflops / roof
        );
    }
}

/// The machine's memory bandwidth as the example's threads see it: a 256 MiB copy between two
/// buffers already touched, split over the cores, bytes read plus bytes written per second
/// (median of 9 after one untimed copy). A memory-bound op cannot beat it; memcpy's streaming
/// stores skip the read of each destination line an ordinary store makes, so it is the
/// optimistic bound.
fn copy_bandwidth_gbs() -> f64 {
    let n = 64usize << 20;
    let src = vec![1.0f32; n];
    let mut dst = vec![0.0f32; n];
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    let chunk = n.div_ceil(threads);
    let mut times = Vec::new();
    for i in 0..10 {
        let started = Instant::now();
        std::thread::scope(|s| {
            for (d, c) in dst.chunks_mut(chunk).zip(src.chunks(chunk)) {
                s.spawn(move || d.copy_from_slice(c));
            }
        });
        if i > 0 {
            times.push(started.elapsed().as_secs_f64());
        }
    }
    times.sort_by(f64::total_cmp);
    2.0 * (n * 4) as f64 / times[times.len() / 2] / 1e9
}

/// The input gradient through autodiff, for backends whose op the example cannot call
/// directly: forward, <y, g> and backward with only x requiring a gradient, less the forward
/// pass and less the same <y, g> and backward on a leaf y (the product, its backward and the
/// ones it starts from: 100-200 ms on the conv AE's larger outputs).
fn input_grad_through_autodiff(
    device: &Device,
    x: &Tensor<4>,
    w: &Tensor<4>,
    b: &Tensor<1>,
    g: &Tensor<4>,
    options: &burn::tensor::ops::ConvOptions<2>,
    forward: f64,
) -> f64 {
    use burn::tensor::module::conv2d;
    let ad = device.clone().autodiff();
    let (xa, wa, ba, ga) = (
        Tensor::<4>::from_data(x.to_data(), &ad).require_grad(),
        Tensor::<4>::from_data(w.to_data(), &ad),
        Tensor::<1>::from_data(b.to_data(), &ad),
        Tensor::<4>::from_data(g.to_data(), &ad),
    );
    let with_backward = median_ms_of(device, 1, 5, || {
        let y = conv2d(xa.clone(), wa.clone(), Some(ba.clone()), options.clone());
        drop((y * ga.clone()).sum().backward());
    });
    let y = conv2d(x.clone(), w.clone(), Some(b.clone()), options.clone());
    let ya = Tensor::<4>::from_data(y.to_data(), &ad).require_grad();
    let product = median_ms_of(device, 1, 5, || {
        drop((ya.clone() * ga.clone()).sum().backward())
    });
    // A difference of medians: at or below zero when the backward's share is within the
    // noise of the other two, which is reported as such rather than as a rate.
    with_backward - forward - product
}

#[allow(deprecated)] // The user asked for the ndarray backend; Burn marks it deprecated.
fn ndarray_device() -> Device {
    Device::ndarray()
}
