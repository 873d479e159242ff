//! Times the single operations a dense autoencoder's training step is made of, on Burn alone
//! (no ae code in the loop): the minimal reproduction behind the README's performance notes.
//!
//!     cargo run --release -p ae-train --example op_timing [-- ndarray]
//!
//! Prints the median of 50 runs after 5 warm-up runs, and GFLOP/s where the op is a matmul.

use std::time::Instant;

use burn::tensor::activation::{sigmoid, tanh};
use burn::tensor::{Device, Distribution, Tensor};

fn median_ms(device: &Device, mut f: impl FnMut()) -> f64 {
    let mut times = Vec::new();
    for i in 0..55 {
        let started = Instant::now();
        f();
        device.sync().expect("sync");
        if i >= 5 {
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
    // `AE_GLIBC_DEFAULTS=1` keeps glibc's malloc defaults, to see what they cost.
    if std::env::var_os("AE_GLIBC_DEFAULTS").is_none() {
        ae_runtime::keep_freed_memory();
    }
    let device = match std::env::args().nth(1).as_deref() {
        #[allow(deprecated)] // The user asked for the ndarray backend; Burn marks it deprecated.
        Some("ndarray") => Device::ndarray(),
        _ => Device::flex(),
    };
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
