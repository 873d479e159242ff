//! Exact principal component analysis: the eigenvectors of the sample covariance matrix.

use crate::eigen::symmetric_eigen;

/// The first principal axes of a set of points and the points projected on them.
#[derive(Debug, Clone, PartialEq)]
pub struct Pca {
    /// Mean of the points: `[dim]`.
    pub mean: Vec<f64>,
    /// Unit principal axes, largest variance first: `[components][dim]`. Each axis's sign is
    /// fixed so that its largest-magnitude component is positive.
    pub axes: Vec<Vec<f64>>,
    /// Variance of the points along each axis (sample variance, divided by n − 1).
    pub variances: Vec<f64>,
    /// Share of the total variance along each axis, in [0, 1].
    pub explained: Vec<f64>,
    /// The centred points projected on the axes: `[n][components]`.
    pub projection: Vec<Vec<f64>>,
}

/// PCA of `n = points.len() / dim` points of `dim` values each (row-major), keeping
/// `components` axes. Needs at least two points.
pub fn pca(points: &[f32], dim: usize, components: usize) -> Pca {
    assert!(
        dim > 0 && points.len().is_multiple_of(dim),
        "pca: points are not rows of {dim} values"
    );
    let n = points.len() / dim;
    assert!(n >= 2, "pca needs at least two points, got {n}");
    let components = components.min(dim);
    let mut mean = vec![0.0f64; dim];
    for row in points.chunks_exact(dim) {
        for (m, &x) in mean.iter_mut().zip(row) {
            *m += f64::from(x);
        }
    }
    for m in mean.iter_mut() {
        *m /= n as f64;
    }
    // Covariance: the lower triangle accumulated row by row, then mirrored.
    let mut cov = vec![0.0f64; dim * dim];
    let mut centred = vec![0.0f64; dim];
    for row in points.chunks_exact(dim) {
        for (c, (&x, m)) in centred.iter_mut().zip(row.iter().zip(&mean)) {
            *c = f64::from(x) - m;
        }
        for i in 0..dim {
            let ci = centred[i];
            if ci == 0.0 {
                continue;
            }
            let target = &mut cov[i * dim..i * dim + i + 1];
            for (t, &cj) in target.iter_mut().zip(&centred[..=i]) {
                *t += ci * cj;
            }
        }
    }
    let denominator = (n - 1) as f64;
    for i in 0..dim {
        for j in 0..=i {
            let value = cov[i * dim + j] / denominator;
            cov[i * dim + j] = value;
            cov[j * dim + i] = value;
        }
    }
    let total: f64 = (0..dim).map(|i| cov[i * dim + i]).sum();
    let (values, vectors) = symmetric_eigen(&cov, dim);
    let axes: Vec<Vec<f64>> = vectors
        .into_iter()
        .take(components)
        .map(|mut axis| {
            let largest =
                axis.iter().copied().fold(
                    0.0f64,
                    |best, x| if x.abs() > best.abs() { x } else { best },
                );
            if largest < 0.0 {
                axis.iter_mut().for_each(|x| *x = -*x);
            }
            axis
        })
        .collect();
    // Rounding can leave tiny negative eigenvalues of a singular covariance.
    let variances: Vec<f64> = values.iter().take(components).map(|v| v.max(0.0)).collect();
    let explained = variances
        .iter()
        .map(|v| if total > 0.0 { v / total } else { 0.0 })
        .collect();
    let projection = points
        .chunks_exact(dim)
        .map(|row| {
            axes.iter()
                .map(|axis| {
                    row.iter()
                        .zip(&mean)
                        .zip(axis)
                        .map(|((&x, m), a)| (f64::from(x) - m) * a)
                        .sum()
                })
                .collect()
        })
        .collect();
    Pca {
        mean,
        axes,
        variances,
        explained,
        projection,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projection_of_a_small_matrix_matches_the_hand_computed_one() {
        // Four points in 3-D; the third coordinate is constant (5), so it carries no variance.
        // Centred (mean (0, 0, 5)) they lie along u = (1, 1, 0)/√2 and v = (1, -1, 0)/√2:
        //   (3, 3)   -> u·x = 3√2,  v·x = 0
        //   (-3, -3) -> -3√2, 0
        //   (1, -1)  -> 0, √2
        //   (-1, 1)  -> 0, -√2
        // Variances (n − 1 = 3): along u (18 + 18)/3 = 12, along v (2 + 2)/3 = 4/3; total 40/3,
        // so the axes explain 90% and 10%.
        let points = [
            3.0, 3.0, 5.0, -3.0, -3.0, 5.0, 1.0, -1.0, 5.0, -1.0, 1.0, 5.0,
        ];
        let result = pca(&points, 3, 2);
        let r2 = std::f64::consts::SQRT_2;
        let expected = [[3.0 * r2, 0.0], [-3.0 * r2, 0.0], [0.0, r2], [0.0, -r2]];
        // Each axis is determined up to its sign.
        for axis in 0..2 {
            let sign = if result.projection[0][axis] * expected[0][axis] < 0.0
                || (expected[0][axis] == 0.0
                    && result.projection[2][axis] * expected[2][axis] < 0.0)
            {
                -1.0
            } else {
                1.0
            };
            for (got, want) in result.projection.iter().zip(&expected) {
                assert!(
                    (sign * got[axis] - want[axis]).abs() < 1e-12,
                    "axis {axis}: {} vs {}",
                    got[axis],
                    want[axis]
                );
            }
        }
        assert_eq!(result.mean, vec![0.0, 0.0, 5.0]);
        assert!((result.variances[0] - 12.0).abs() < 1e-12);
        assert!((result.variances[1] - 4.0 / 3.0).abs() < 1e-12);
        assert!((result.explained[0] - 0.9).abs() < 1e-12);
        assert!((result.explained[1] - 0.1).abs() < 1e-12);
        // The sign convention: each axis's largest-magnitude component is positive.
        for axis in &result.axes {
            let largest = axis
                .iter()
                .copied()
                .fold(0.0f64, |b, x| if x.abs() > b.abs() { x } else { b });
            assert!(largest > 0.0);
        }
    }
}
