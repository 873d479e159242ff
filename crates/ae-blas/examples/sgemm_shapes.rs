//! Times f32 matrix products on the training steps' real shapes: the `gemm` crate (what flex
//! uses by default) against the system BLAS through `ae_blas::sgemm`, interleaved so that both
//! see the same machine load. `cargo run --release -p ae-blas --example sgemm_shapes`.
//!
//! Columns: gemm as flex calls it (rayon's threads above 192³ multiply-adds), the BLAS on one
//! thread, and the BLAS split over rayon's threads by `ae_blas::sgemm`. Each figure: the best of 7 rounds of ≥ 20 ms each, in GFLOP/s (2·m·n·k per product).

use std::time::Instant;

use ae_blas::{Operand, Output, library, sgemm};

/// (label, m, n, k, left operand transposed)
const SHAPES: &[(&str, usize, usize, usize, bool)] = &[
    ("1024^3", 1024, 1024, 1024, false),
    ("dense fwd 100x784 . 784x400", 100, 400, 784, false),
    ("dense wgrad 784x100 . 100x400 (A^T)", 784, 400, 100, true),
    ("dense dgrad 100x400 . 400x784", 100, 784, 400, false),
    ("stacked fwd 100x400 . 400x256", 100, 256, 400, false),
    (
        "lenet conv2 im2col 16x150 . 150x10000",
        16,
        10000,
        150,
        false,
    ),
    (
        "conv AE im2col 64x576 . 576x(2000*64)/8",
        64,
        16000,
        576,
        false,
    ),
    ("conv AE fc 2000x4096 . 4096x1024", 2000, 1024, 4096, false),
];

#[allow(unsafe_code)]
fn main() {
    // As the binary does, before any thread starts.
    ae_blas::prefer_avx512_kernels();
    let threads = rayon::current_num_threads();
    match library() {
        Some(lib) => println!("BLAS: {} — {}", lib.name(), ae_blas::status()),
        None => println!("BLAS: {}; only gemm is timed", ae_blas::status()),
    }
    println!("{threads} threads\n");
    println!(
        "{:<42} {:>10} {:>10} {:>10}",
        "shape (GFLOP/s)", "gemm", "BLAS 1 thr", "BLAS split"
    );
    for &(label, m, n, k, trans_a) in SHAPES {
        let a: Vec<f32> = (0..m * k).map(|i| ((i % 13) as f32 - 6.0) * 0.01).collect();
        let b: Vec<f32> = (0..k * n).map(|i| ((i % 7) as f32 - 3.0) * 0.01).collect();
        let mut c = vec![0f32; m * n];
        let (ars, acs) = if trans_a {
            (1, m as isize)
        } else {
            (k as isize, 1)
        };
        let flops = 2.0 * (m * n * k) as f64;
        let reps = ((2e7 / flops * 1e3) as usize).clamp(1, 10_000);
        let mut best = [f64::MAX; 3];
        for _ in 0..7 {
            for (which, slot) in best.iter_mut().enumerate() {
                let start = Instant::now();
                for _ in 0..reps {
                    if which == 0 {
                        let parallelism = if m * n * k >= 192 * 192 * 192 {
                            gemm::Parallelism::Rayon(0)
                        } else {
                            gemm::Parallelism::None
                        };
                        // SAFETY: the three buffers cover their matrices.
                        unsafe {
                            gemm::gemm(
                                m,
                                n,
                                k,
                                c.as_mut_ptr(),
                                1,
                                n as isize,
                                false,
                                a.as_ptr(),
                                acs,
                                ars,
                                b.as_ptr(),
                                1,
                                n as isize,
                                0.0,
                                1.0,
                                false,
                                false,
                                false,
                                parallelism,
                            )
                        }
                    } else if library().is_some() {
                        // SAFETY: as above.
                        unsafe {
                            sgemm(
                                m,
                                n,
                                k,
                                Output::new(c.as_mut_ptr(), n as isize, 1),
                                false,
                                0.0,
                                1.0,
                                Operand::new(a.as_ptr(), ars, acs),
                                Operand::new(b.as_ptr(), n as isize, 1),
                                if which == 1 { 1 } else { threads },
                            );
                        }
                    }
                }
                *slot = slot.min(start.elapsed().as_secs_f64() / reps as f64);
            }
        }
        let rate = |t: f64| flops / t / 1e9;
        if library().is_some() {
            println!(
                "{label:<42} {:>10.0} {:>10.0} {:>10.0}",
                rate(best[0]),
                rate(best[1]),
                rate(best[2])
            );
        } else {
            println!(
                "{label:<42} {:>10.0} {:>10} {:>10}",
                rate(best[0]),
                "-",
                "-"
            );
        }
    }
}
