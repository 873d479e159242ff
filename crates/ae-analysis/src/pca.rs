//! Exact principal component analysis: the eigenvectors of the sample covariance matrix.
//!
//! The covariance is one matrix product of the centred points (nalgebra, which multiplies
//! through `matrixmultiply`'s blocked kernels), and its eigen-decomposition is nalgebra's
//! `SymmetricEigen` (Householder tridiagonalisation then implicit symmetric QR), both in f64.
//! They replace a hand-written covariance loop and a hand-written Householder + QL solver
//! (EISPACK `tred2`/`tql2`); see NOTES.md of the change for the measurements.

use nalgebra::{DMatrix, SymmetricEigen};

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

/// Eigenvalues (descending) and unit eigenvectors of the symmetric `n × n` matrix `a`
/// (row-major; only symmetry is assumed, not checked), by nalgebra's `SymmetricEigen`.
///
/// Returns `(values, vectors)` with `vectors[k]` the eigenvector of `values[k]`. The sign of
/// each eigenvector is whatever the solver gives; [`pca`] fixes it.
pub fn symmetric_eigen(a: &[f64], n: usize) -> (Vec<f64>, Vec<Vec<f64>>) {
    assert_eq!(a.len(), n * n, "symmetric_eigen: expected an n × n matrix");
    if n == 0 {
        return (Vec::new(), Vec::new());
    }
    // Row-major and column-major agree for a symmetric matrix, but read it row-major anyway
    // so that a slightly asymmetric input means the same as before.
    let eigen = SymmetricEigen::new(DMatrix::from_row_slice(n, n, a));
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&x, &y| eigen.eigenvalues[y].total_cmp(&eigen.eigenvalues[x]));
    let values = order.iter().map(|&k| eigen.eigenvalues[k]).collect();
    let vectors = order
        .iter()
        .map(|&k| eigen.eigenvectors.column(k).iter().copied().collect())
        .collect();
    (values, vectors)
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
    // The centred points as a `dim × n` matrix: nalgebra is column-major, so the row-major
    // `n × dim` points are read as its columns. Covariance = Xᵀ X / (n − 1) = C Cᵀ / (n − 1).
    let centred_t = DMatrix::from_iterator(
        dim,
        n,
        points
            .chunks_exact(dim)
            .flat_map(|row| row.iter().zip(&mean).map(|(&x, m)| f64::from(x) - m)),
    );
    let mut cov = &centred_t * centred_t.transpose();
    cov /= (n - 1) as f64;
    // The product is symmetric up to rounding; make it exactly so for the solver.
    cov.fill_upper_triangle_with_lower_triangle();
    let total: f64 = cov.diagonal().iter().sum();
    let (values, vectors) = {
        // `cov` is symmetric, so its column-major storage is also its row-major one.
        symmetric_eigen(cov.as_slice(), dim)
    };
    let axes: Vec<Vec<f64>> = vectors
        .into_iter()
        .take(components)
        .map(|mut axis| {
            // Eigenvectors are defined up to sign; fix it (largest-magnitude component
            // positive, the first such component on a tie) so that plots do not flip.
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
    let projection = centred_t
        .column_iter()
        .map(|row| {
            axes.iter()
                .map(|axis| row.iter().zip(axis).map(|(c, a)| c * a).sum())
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
    fn a_two_by_two_matrix_matches_the_hand_computed_eigenpairs() {
        // [[2, 1], [1, 2]]: eigenvalues 3 and 1, eigenvectors (1, 1)/√2 and (1, -1)/√2.
        let (values, vectors) = symmetric_eigen(&[2.0, 1.0, 1.0, 2.0], 2);
        assert!((values[0] - 3.0).abs() < 1e-12 && (values[1] - 1.0).abs() < 1e-12);
        let h = std::f64::consts::FRAC_1_SQRT_2;
        assert!((vectors[0][0].abs() - h).abs() < 1e-12);
        assert!((vectors[0][0] - vectors[0][1]).abs() < 1e-12);
        assert!((vectors[1][0] + vectors[1][1]).abs() < 1e-12);
    }

    #[test]
    fn a_three_by_three_matrix_matches_the_hand_computed_eigenpairs() {
        // [[2, -1, 0], [-1, 2, -1], [0, -1, 2]] (the 1-D Laplacian): eigenvalues 2 + √2, 2 and
        // 2 − √2, eigenvectors (1, −√2, 1)/2, (1, 0, −1)/√2 and (1, √2, 1)/2.
        let a = [2.0, -1.0, 0.0, -1.0, 2.0, -1.0, 0.0, -1.0, 2.0];
        let (values, vectors) = symmetric_eigen(&a, 3);
        let r2 = std::f64::consts::SQRT_2;
        let want_values = [2.0 + r2, 2.0, 2.0 - r2];
        let want_vectors = [
            [0.5, -r2 / 2.0, 0.5],
            [1.0 / r2, 0.0, -1.0 / r2],
            [0.5, r2 / 2.0, 0.5],
        ];
        for k in 0..3 {
            assert!(
                (values[k] - want_values[k]).abs() < 1e-12,
                "λ{k} = {}",
                values[k]
            );
            // Up to sign: |v · w| = 1 for unit vectors.
            let dot: f64 = (0..3).map(|i| vectors[k][i] * want_vectors[k][i]).sum();
            assert!((dot.abs() - 1.0).abs() < 1e-12, "v{k} = {:?}", vectors[k]);
        }
    }

    #[test]
    fn a_diagonal_matrix_gives_its_diagonal_sorted_and_the_unit_axes() {
        let a = [1.0, 0.0, 0.0, 0.0, 5.0, 0.0, 0.0, 0.0, 3.0];
        let (values, vectors) = symmetric_eigen(&a, 3);
        assert_eq!(values, vec![5.0, 3.0, 1.0]);
        for (vector, axis) in vectors.iter().zip([1, 2, 0]) {
            for (i, x) in vector.iter().enumerate() {
                assert_eq!(x.abs(), if i == axis { 1.0 } else { 0.0 });
            }
        }
    }

    #[test]
    fn a_larger_matrix_is_rebuilt_from_its_orthonormal_eigenvectors() {
        // A deterministic symmetric 12 × 12 matrix with distinct and repeated structure.
        let n = 12;
        let mut a = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..=i {
                let x = ((i * 7 + j * 13) % 11) as f64 - 5.0 + if i == j { 3.0 } else { 0.0 };
                a[i * n + j] = x;
                a[j * n + i] = x;
            }
        }
        let (values, vectors) = symmetric_eigen(&a, n);
        assert!(values.windows(2).all(|w| w[0] >= w[1]));
        for i in 0..n {
            for j in 0..n {
                let rebuilt: f64 = (0..n)
                    .map(|k| values[k] * vectors[k][i] * vectors[k][j])
                    .sum();
                assert!((rebuilt - a[i * n + j]).abs() < 1e-10, "A[{i}][{j}]");
                let dot: f64 = (0..n).map(|k| vectors[i][k] * vectors[j][k]).sum();
                let expected = if i == j { 1.0 } else { 0.0 };
                assert!((dot - expected).abs() < 1e-10, "v{i}·v{j}");
            }
        }
        let trace: f64 = (0..n).map(|i| a[i * n + i]).sum();
        assert!((values.iter().sum::<f64>() - trace).abs() < 1e-9);
    }

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

    #[test]
    fn points_on_a_line_have_one_axis_along_it_with_all_the_variance() {
        // x_t = (1, 2, 3) + t (2, −1, 2) for t = −2 … 2: direction (2, −1, 2)/3, whose
        // largest-magnitude component (the first 2, before the tied last one) is positive.
        // Projections on it are 3t; variance Σ (3t)² / 4 = 9 · 10 / 4 = 22.5, explaining 100%.
        let points: Vec<f32> = (-2..=2)
            .flat_map(|t| {
                let t = t as f32;
                [1.0 + 2.0 * t, 2.0 - t, 3.0 + 2.0 * t]
            })
            .collect();
        let result = pca(&points, 3, 2);
        let want_axis = [2.0 / 3.0, -1.0 / 3.0, 2.0 / 3.0];
        for (got, want) in result.axes[0].iter().zip(want_axis) {
            assert!((got - want).abs() < 1e-12, "axis {:?}", result.axes[0]);
        }
        for (row, t) in result.projection.iter().zip(-2..=2) {
            assert!((row[0] - 3.0 * t as f64).abs() < 1e-12, "{row:?}");
            assert!(row[1].abs() < 1e-12, "{row:?}");
        }
        assert_eq!(result.mean, vec![1.0, 2.0, 3.0]);
        assert!((result.variances[0] - 22.5).abs() < 1e-12);
        assert!(result.variances[1].abs() < 1e-12);
        assert!((result.explained[0] - 1.0).abs() < 1e-12);
    }
}
