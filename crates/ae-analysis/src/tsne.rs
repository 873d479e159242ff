//! Exact t-SNE (van der Maaten & Hinton, 2008): Gaussian affinities calibrated to a perplexity,
//! a Student-t kernel in 2-D, gradient descent with momentum, per-coordinate gains and early
//! exaggeration. Every pair is computed (O(n²) per iteration, no Barnes-Hut approximation),
//! which suits the few thousand points a scatter plot can show.
//!
//! The start is the PCA projection scaled to a standard deviation of 1e-4 (as scikit-learn's
//! `init="pca"`), so the result is deterministic and keeps more of the global layout than a
//! random start.

use crate::pca::pca;

/// t-SNE settings; the defaults are scikit-learn's.
#[derive(Debug, Clone, PartialEq)]
pub struct TsneConfig {
    /// Effective number of neighbours of each point.
    pub perplexity: f64,
    /// Gradient steps.
    pub iterations: usize,
    /// Factor on the affinities during the first `exaggeration_iterations` steps.
    pub early_exaggeration: f64,
    pub exaggeration_iterations: usize,
    /// Step size; `None` = scikit-learn's "auto": max(n / early_exaggeration / 4, 50).
    pub learning_rate: Option<f64>,
}

impl Default for TsneConfig {
    fn default() -> Self {
        Self {
            perplexity: 30.0,
            iterations: 1000,
            early_exaggeration: 12.0,
            exaggeration_iterations: 250,
            learning_rate: None,
        }
    }
}

impl TsneConfig {
    /// The fewest points this perplexity is meaningful for (3 × perplexity + 1, as bhtsne).
    pub fn min_points(&self) -> usize {
        (3.0 * self.perplexity).ceil() as usize + 1
    }
}

/// Embeds `points` (`n` rows of `dim` values) in 2-D. Needs at least
/// [`TsneConfig::min_points`] points (the caller checks; fewer panics).
pub fn tsne(points: &[f32], dim: usize, config: &TsneConfig) -> Vec<[f64; 2]> {
    let n = points.len() / dim;
    assert!(
        n >= config.min_points(),
        "t-SNE with perplexity {} needs at least {} points, got {n}",
        config.perplexity,
        config.min_points()
    );
    let p = joint_affinities(points, dim, config.perplexity);

    // PCA start, scaled to std 1e-4 on the first axis.
    let start = pca(points, dim, 2).projection;
    let std = (start.iter().map(|r| r[0] * r[0]).sum::<f64>() / n as f64).sqrt();
    let scale = if std > 0.0 { 1e-4 / std } else { 0.0 };
    let mut y: Vec<[f64; 2]> = start.iter().map(|r| [r[0] * scale, r[1] * scale]).collect();

    let learning_rate = config
        .learning_rate
        .unwrap_or_else(|| (n as f64 / config.early_exaggeration / 4.0).max(50.0));
    let mut update = vec![[0.0f64; 2]; n];
    let mut gains = vec![[1.0f64; 2]; n];
    let mut kernel = vec![0.0f64; n * n];
    let mut gradient = vec![[0.0f64; 2]; n];
    for iteration in 0..config.iterations {
        let exaggerating = iteration < config.exaggeration_iterations;
        let exaggeration = if exaggerating {
            config.early_exaggeration
        } else {
            1.0
        };
        let momentum = if exaggerating { 0.5 } else { 0.8 };

        // Student-t kernel 1 / (1 + |yi − yj|²) and its sum Z over i ≠ j.
        let mut z = 0.0;
        for i in 0..n {
            for j in i + 1..n {
                let dx = y[i][0] - y[j][0];
                let dy = y[i][1] - y[j][1];
                let k = 1.0 / (1.0 + dx * dx + dy * dy);
                kernel[i * n + j] = k;
                kernel[j * n + i] = k;
                z += 2.0 * k;
            }
        }
        // ∂C/∂yi = 4 Σj (pij − qij) kij (yi − yj), with qij = kij / Z.
        for i in 0..n {
            let mut g = [0.0f64; 2];
            let row_p = &p[i * n..(i + 1) * n];
            let row_k = &kernel[i * n..(i + 1) * n];
            for j in 0..n {
                if j == i {
                    continue;
                }
                let force = (exaggeration * row_p[j] - row_k[j] / z) * row_k[j];
                g[0] += force * (y[i][0] - y[j][0]);
                g[1] += force * (y[i][1] - y[j][1]);
            }
            gradient[i] = [4.0 * g[0], 4.0 * g[1]];
        }
        for i in 0..n {
            for c in 0..2 {
                // Gains grow where the gradient keeps changing direction against the update.
                gains[i][c] = if (gradient[i][c] > 0.0) != (update[i][c] > 0.0) {
                    gains[i][c] + 0.2
                } else {
                    (gains[i][c] * 0.8).max(0.01)
                };
                update[i][c] =
                    momentum * update[i][c] - learning_rate * gains[i][c] * gradient[i][c];
                y[i][c] += update[i][c];
            }
        }
        let mean = y.iter().fold([0.0, 0.0], |m, r| [m[0] + r[0], m[1] + r[1]]);
        for r in y.iter_mut() {
            r[0] -= mean[0] / n as f64;
            r[1] -= mean[1] / n as f64;
        }
    }
    y
}

/// Symmetric affinities pij = (pj|i + pi|j) / 2n, each conditional distribution a Gaussian whose
/// width is found by bisection so that its perplexity is `perplexity`. `[n × n]`, row-major.
fn joint_affinities(points: &[f32], dim: usize, perplexity: f64) -> Vec<f64> {
    let n = points.len() / dim;
    let distances = squared_distances(points, dim);
    let mut conditional = vec![0.0f64; n * n];
    for (i, out) in conditional.chunks_exact_mut(n).enumerate() {
        conditional_row(&distances[i * n..(i + 1) * n], i, perplexity, out);
    }
    let mut joint = vec![0.0f64; n * n];
    let denominator = 2.0 * n as f64;
    for i in 0..n {
        for j in 0..n {
            joint[i * n + j] =
                ((conditional[i * n + j] + conditional[j * n + i]) / denominator).max(1e-12);
        }
        joint[i * n + i] = 0.0;
    }
    joint
}

/// pj|i for one point `i`, from its squared distances `row` to every point: a Gaussian whose
/// precision beta is found by bisection so that the distribution's perplexity exp(H) is
/// `perplexity`. Writes the distribution (0 at `i`) into `out`.
fn conditional_row(row: &[f64], i: usize, perplexity: f64, out: &mut [f64]) {
    let n = row.len();
    let target = perplexity.ln();
    // Shift by the smallest distance to another point to keep exp() in range.
    let nearest = (0..n)
        .filter(|&j| j != i)
        .map(|j| row[j])
        .fold(f64::INFINITY, f64::min);
    let (mut beta, mut lo, mut hi) = (1.0f64, 0.0f64, f64::INFINITY);
    for _ in 0..200 {
        let mut sum = 0.0;
        let mut weighted = 0.0;
        for j in 0..n {
            if j == i {
                out[j] = 0.0;
                continue;
            }
            let w = (-(row[j] - nearest) * beta).exp();
            out[j] = w;
            sum += w;
            weighted += (row[j] - nearest) * w;
        }
        // Entropy of the normalised row: H = log(sum) + beta · E[d − nearest].
        let entropy = sum.ln() + beta * weighted / sum;
        for x in out.iter_mut() {
            *x /= sum;
        }
        let error = entropy - target;
        if error.abs() < 1e-5 {
            break;
        }
        if error > 0.0 {
            // Too flat: narrow the Gaussian.
            lo = beta;
            beta = if hi.is_finite() {
                (beta + hi) / 2.0
            } else {
                beta * 2.0
            };
        } else {
            hi = beta;
            beta = (beta + lo) / 2.0;
        }
    }
}

/// All squared Euclidean distances, `[n × n]`.
fn squared_distances(points: &[f32], dim: usize) -> Vec<f64> {
    let n = points.len() / dim;
    let mut out = vec![0.0f64; n * n];
    for i in 0..n {
        let a = &points[i * dim..(i + 1) * dim];
        for j in i + 1..n {
            let b = &points[j * dim..(j + 1) * dim];
            let d = f64::from(super::knn::squared_distance(a, b));
            out[i * n + j] = d;
            out[j * n + i] = d;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Points around `centre` in 10-D: a fixed pseudo-random spread of ±0.5 per coordinate.
    fn cluster(centre: f32, count: usize, salt: usize) -> Vec<f32> {
        (0..count * 10)
            .map(|k| centre + (((k * 37 + salt * 101) % 23) as f32 / 22.0 - 0.5))
            .collect()
    }

    #[test]
    fn two_well_separated_clusters_stay_apart_in_2d() {
        let mut points = cluster(0.0, 30, 1);
        points.extend(cluster(20.0, 30, 2));
        let config = TsneConfig {
            perplexity: 10.0,
            iterations: 500,
            ..TsneConfig::default()
        };
        let y = tsne(&points, 10, &config);
        assert_eq!(y.len(), 60);
        let centre = |r: &[[f64; 2]]| {
            let s = r.iter().fold([0.0, 0.0], |m, p| [m[0] + p[0], m[1] + p[1]]);
            [s[0] / r.len() as f64, s[1] / r.len() as f64]
        };
        let (a, b) = (centre(&y[..30]), centre(&y[30..]));
        let dist =
            |p: [f64; 2], q: [f64; 2]| ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2)).sqrt();
        let spread =
            |r: &[[f64; 2]], c: [f64; 2]| r.iter().map(|p| dist(*p, c)).fold(0.0, f64::max);
        let gap = dist(a, b);
        // Every point is nearer its own cluster's centre than the other one, with room to spare:
        // the clusters' radii together are well below the distance between their centres.
        assert!(
            spread(&y[..30], a) + spread(&y[30..], b) < gap,
            "clusters overlap: radii {} + {} vs gap {gap}",
            spread(&y[..30], a),
            spread(&y[30..], b)
        );
    }

    #[test]
    fn the_affinities_reach_the_requested_perplexity() {
        let points = cluster(0.0, 40, 3);
        let p = joint_affinities(&points, 10, 5.0);
        let n = 40;
        let distances = squared_distances(&points, 10);
        let mut row = vec![0.0; n];
        for i in [0, 17, 39] {
            conditional_row(&distances[i * n..(i + 1) * n], i, 5.0, &mut row);
            let entropy: f64 = row.iter().filter(|&&q| q > 0.0).map(|&q| -q * q.ln()).sum();
            assert!(
                (entropy.exp() - 5.0).abs() < 1e-3,
                "perplexity {}",
                entropy.exp()
            );
            assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        }
        let total: f64 = p.iter().sum();
        assert!(
            (total - 1.0).abs() < 1e-6,
            "joint affinities sum to {total}"
        );
        for i in 0..n {
            for j in 0..n {
                assert_eq!(p[i * n + j], p[j * n + i]);
            }
        }
    }
}
