//! The standard normal's quantile function and evenly spaced points: the grid of z a 2-d latent
//! manifold is decoded over, and the sweeps of a traversal.

/// `n ≥ 1` numbers from `lo` to `hi`, both included, evenly spaced (NumPy's `linspace`).
pub fn linspace(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    match n {
        0 => Vec::new(),
        1 => vec![lo],
        _ => (0..n)
            .map(|i| {
                if i == n - 1 {
                    hi
                } else {
                    lo + (hi - lo) * i as f64 / (n - 1) as f64
                }
            })
            .collect(),
    }
}

/// Φ⁻¹(p), the standard normal's quantile function, for p in (0, 1) (±∞ at 0 and 1, NaN
/// outside): Acklam's rational approximation, relative error below 1.2e-9.
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    const LOW: f64 = 0.02425;
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < LOW {
        tail((-2.0 * p.ln()).sqrt())
    } else if p <= 1.0 - LOW {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_normal_quantile_matches_tabulated_values() {
        for (p, z) in [
            (0.5, 0.0),
            (0.95, 1.644_853_626_951_472_2),
            (0.975, 1.959_963_984_540_054),
            (0.01, -2.326_347_874_040_840_8),
            (0.001, -3.090_232_306_167_813_5),
            (0.8413447460685429, 1.0),
        ] {
            let got = normal_quantile(p);
            assert!((got - z).abs() < 1e-8, "Φ⁻¹({p}) = {got}, expected {z}");
            assert!(
                (normal_quantile(1.0 - p) + z).abs() < 1e-8,
                "symmetry at {p}"
            );
        }
        assert_eq!(normal_quantile(0.0), f64::NEG_INFINITY);
        assert_eq!(normal_quantile(1.0), f64::INFINITY);
        assert!(normal_quantile(1.5).is_nan() && normal_quantile(-0.1).is_nan());
        // Increasing across the region boundaries of the approximation.
        let ps = linspace(0.001, 0.999, 999);
        for pair in ps.windows(2) {
            assert!(normal_quantile(pair[0]) < normal_quantile(pair[1]));
        }
    }

    #[test]
    fn linspace_includes_both_ends() {
        assert_eq!(linspace(0.0, 1.0, 5), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
        assert_eq!(linspace(-3.0, 3.0, 3), vec![-3.0, 0.0, 3.0]);
        assert_eq!(linspace(0.05, 0.95, 2), vec![0.05, 0.95]);
        assert_eq!(linspace(2.0, 9.0, 1), vec![2.0]);
        assert!(linspace(0.0, 1.0, 0).is_empty());
        let p = linspace(0.05, 0.95, 20);
        assert_eq!((p.len(), p[19]), (20, 0.95));
    }
}
