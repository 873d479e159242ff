//! `ae_blas::sgemm` against a plain triple loop, on every layout flex hands it.
//!
//! Where no BLAS is installed (`ae_blas::library()` is `None`) every call must say so by
//! returning `false` and leave the output untouched; CI installs OpenBLAS, so there the
//! products themselves are checked.

use ae_blas::{Operand, Output, library, sgemm};

/// Deterministic values in [-1, 1).
fn values(len: usize, seed: u32) -> Vec<f32> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state % 2000) as f32 / 1000.0 - 1.0
        })
        .collect()
}

/// Reads element (i, j) of a strided matrix.
fn at(data: &[f32], rs: isize, cs: isize, i: usize, j: usize) -> f32 {
    data[(i as isize * rs + j as isize * cs) as usize]
}

struct Case {
    m: usize,
    n: usize,
    k: usize,
    lhs_col_major: bool,
    rhs_col_major: bool,
    dst_col_major: bool,
    read_dst: bool,
}

fn check(case: &Case) {
    let Case { m, n, k, .. } = *case;
    let (a, b) = (values(m * k, 1), values(k * n, 2));
    let (ars, acs) = if case.lhs_col_major {
        (1, m as isize)
    } else {
        (k as isize, 1)
    };
    let (brs, bcs) = if case.rhs_col_major {
        (1, k as isize)
    } else {
        (n as isize, 1)
    };
    let (crs, ccs) = if case.dst_col_major {
        (1, m as isize)
    } else {
        (n as isize, 1)
    };
    let start = values(m * n, 3);
    let (alpha, beta) = (0.5f32, 2.0f32);
    let mut expected = vec![0f32; m * n];
    for i in 0..m {
        for j in 0..n {
            let dot: f64 = (0..k)
                .map(|p| at(&a, ars, acs, i, p) as f64 * at(&b, brs, bcs, p, j) as f64)
                .sum();
            let old = if case.read_dst {
                alpha as f64 * at(&start, crs, ccs, i, j) as f64
            } else {
                0.0
            };
            expected[(i as isize * crs + j as isize * ccs) as usize] =
                (old + beta as f64 * dot) as f32;
        }
    }
    let mut c = start.clone();
    // SAFETY (test): every pointer covers its whole matrix; nothing else touches them.
    #[allow(unsafe_code)]
    let done = unsafe {
        sgemm(
            m,
            n,
            k,
            Output::new(c.as_mut_ptr(), crs, ccs),
            case.read_dst,
            alpha,
            beta,
            Operand::new(a.as_ptr(), ars, acs),
            Operand::new(b.as_ptr(), brs, bcs),
            2,
        )
    };
    if library().is_none() {
        assert!(!done, "sgemm claimed a product without a BLAS");
        assert_eq!(c, start, "sgemm wrote the output without a BLAS");
        return;
    }
    assert!(done, "a BLAS layout was refused: {m}x{n}x{k}");
    let worst = c
        .iter()
        .zip(&expected)
        .map(|(x, y)| (x - y).abs())
        .fold(0f32, f32::max);
    assert!(
        worst <= 1e-4 * (k as f32).sqrt(),
        "{m}x{n}x{k}: max error {worst}"
    );
}

#[test]
fn every_layout_matches_the_plain_product() {
    for &(m, n, k) in &[
        (1, 1, 1),
        (3, 5, 7),
        (100, 40, 78),
        (17, 300, 33),
        (260, 130, 64),
    ] {
        for mask in 0..16u8 {
            check(&Case {
                m,
                n,
                k,
                lhs_col_major: mask & 1 != 0,
                rhs_col_major: mask & 2 != 0,
                dst_col_major: mask & 4 != 0,
                read_dst: mask & 8 != 0,
            });
        }
    }
}

#[test]
fn layouts_without_a_contiguous_axis_are_refused() {
    let a = values(64, 4);
    let b = values(64, 5);
    let mut c = vec![7f32; 16];
    // The left operand steps by 2 along both axes: no BLAS layout, nothing written.
    #[allow(unsafe_code)]
    let done = unsafe {
        sgemm(
            4,
            4,
            4,
            Output::new(c.as_mut_ptr(), 4, 1),
            false,
            1.0,
            1.0,
            Operand::new(a.as_ptr(), 16, 2),
            Operand::new(b.as_ptr(), 4, 1),
            1,
        )
    };
    assert!(!done);
    assert!(c.iter().all(|&x| x == 7.0));
}
