//! Times LeNet-5's layers one by one on flex, forward and forward + backward, on Burn alone:
//! the reproduction behind the README's notes on convolution and pooling.
//!
//!     cargo run --release -p ae-train --example lenet_op_timing
//!
//! Prints the median of 25 runs after 5 warm-up runs.

use burn::tensor::activation::relu;
use burn::tensor::module::{conv2d, max_pool2d};
use burn::tensor::ops::{ConvOptions, MaxPoolOptions};
use burn::tensor::{Device, Distribution, Tensor};
use std::time::Instant;
fn time(name: &str, device: &Device, mut f: impl FnMut()) {
    let mut v = vec![];
    for i in 0..30 {
        let t = Instant::now();
        f();
        device.sync().unwrap();
        if i >= 5 {
            v.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    v.sort_by(f64::total_cmp);
    println!("{name:<40} {:>8.3} ms", v[v.len() / 2]);
}
fn mp() -> MaxPoolOptions<2> {
    MaxPoolOptions {
        kernel_size: [2, 2],
        stride: [2, 2],
        padding: [(0, 0); 2],
        dilation: [1, 1],
        ceil_mode: false,
    }
}
fn main() {
    // As the binary does, before any thread starts.
    ae_blas::prefer_avx512_kernels();
    ae_runtime::keep_freed_memory();
    let d = Device::flex();
    let x = Tensor::<4>::random([100, 1, 32, 32], Distribution::Default, &d);
    let w1 = Tensor::<4>::random([6, 1, 5, 5], Distribution::Default, &d);
    let h1 = Tensor::<4>::random([100, 6, 28, 28], Distribution::Default, &d);
    let p1 = Tensor::<4>::random([100, 6, 14, 14], Distribution::Default, &d);
    let w2 = Tensor::<4>::random([16, 6, 5, 5], Distribution::Default, &d);
    let o = || ConvOptions::new([1, 1], [0, 0], [1, 1], 1);
    time("conv1 fwd", &d, || {
        drop(conv2d(x.clone(), w1.clone(), None, o()))
    });
    time("relu [100,6,28,28]", &d, || drop(relu(h1.clone())));
    time("maxpool [100,6,28,28]", &d, || {
        drop(max_pool2d(h1.clone(), mp()))
    });
    time("fused relu + maxpool [100,6,28,28]", &d, || {
        drop(ae_kernels::relu_max_pool_2x2(h1.clone()))
    });
    time("conv2 fwd", &d, || {
        drop(conv2d(p1.clone(), w2.clone(), None, o()))
    });
    let ad = d.clone().autodiff();
    let xa = Tensor::<4>::random([100, 1, 32, 32], Distribution::Default, &ad);
    let w1a = Tensor::<4>::random([6, 1, 5, 5], Distribution::Default, &ad).require_grad();
    let w2a = Tensor::<4>::random([16, 6, 5, 5], Distribution::Default, &ad).require_grad();
    let p1a = Tensor::<4>::random([100, 6, 14, 14], Distribution::Default, &ad).require_grad();
    let h1a = Tensor::<4>::random([100, 6, 28, 28], Distribution::Default, &ad).require_grad();
    time("conv1 fwd+bwd (weight grad only)", &ad, || {
        drop(conv2d(xa.clone(), w1a.clone(), None, o()).sum().backward())
    });
    time("conv2 fwd+bwd (weight + input grad)", &ad, || {
        drop(conv2d(p1a.clone(), w2a.clone(), None, o()).sum().backward())
    });
    time("relu fwd+bwd", &ad, || {
        drop(relu(h1a.clone()).sum().backward())
    });
    time("maxpool fwd+bwd", &ad, || {
        drop(max_pool2d(h1a.clone(), mp()).sum().backward())
    });
    time("fused relu + maxpool fwd+bwd", &ad, || {
        drop(ae_kernels::relu_max_pool_2x2(h1a.clone()).sum().backward())
    });
    time("sum fwd+bwd", &ad, || drop(h1a.clone().sum().backward()));
}
