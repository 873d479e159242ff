//! t-SNE (van der Maaten & Hinton, 2008) through the `bhtsne` crate: Gaussian affinities
//! calibrated to a perplexity, a Student-t kernel in 2-D, gradient descent with momentum,
//! per-coordinate gains and early exaggeration.
//!
//! By default the Barnes-Hut approximation (van der Maaten, 2014; `theta` 0.5 as
//! scikit-learn): the affinities are kept only between each point and its 3 × perplexity
//! nearest neighbours, and the repulsion is summed over a quadtree, so a step costs
//! O(n log n) instead of O(n²) and 10,000 points take seconds, not minutes. `theta = 0`
//! gives the exact algorithm (every pair, n × n matrices), for small sets.
//!
//! Deterministic: the start is the PCA projection scaled to a standard deviation of 1e-4 (as
//! scikit-learn's `init="pca"`), not the crate's random one, and the neighbour lists are ours
//! (exact, ties by index; [`super::knn::nearest_neighbours`]), not the crate's vantage-point
//! tree, whose vantage points are drawn at random.

use bhtsne::{Neighbor, tSNE};

use super::knn::{nearest_neighbours, squared_distance};
use super::pca::pca;

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
    /// Step size; `None` = scikit-learn's "auto": max(n / early_exaggeration / 4, 50). In
    /// bhtsne's units: on a gradient without the factor 4, so 4× smaller a step than the same
    /// number in scikit-learn (or in the previous hand-written code).
    pub learning_rate: Option<f64>,
    /// Barnes-Hut accuracy: a quadtree cell is taken as one point when its size over its
    /// distance is below `theta`. 0 = exact t-SNE (every pair; memory and time grow as n²).
    pub theta: f64,
    /// Run the optimisation on one thread, so that the same points always give the same
    /// embedding. The crate sums in parallel (rayon), and the order of those sums, hence their
    /// last bits, depends on thread timing; t-SNE's 1,000 steps amplify that into a visibly
    /// different (equally good) layout. `false` uses every core (faster; see NOTES.md).
    pub deterministic: bool,
}

impl Default for TsneConfig {
    fn default() -> Self {
        Self {
            perplexity: 30.0,
            iterations: 1000,
            early_exaggeration: 12.0,
            exaggeration_iterations: 250,
            learning_rate: None,
            theta: 0.5,
            deterministic: true,
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
    assert!(
        config.theta >= 0.0,
        "t-SNE theta must be 0 (exact) or positive"
    );

    // PCA start, scaled to std 1e-4 on the first axis.
    let start = pca(points, dim, 2).projection;
    let std = (start.iter().map(|r| r[0] * r[0]).sum::<f64>() / n as f64).sqrt();
    let scale = if std > 0.0 { 1e-4 / std } else { 0.0 };
    let start: Vec<f32> = start
        .iter()
        .flat_map(|r| [(r[0] * scale) as f32, (r[1] * scale) as f32])
        .collect();

    let learning_rate = config
        .learning_rate
        .unwrap_or_else(|| (n as f64 / config.early_exaggeration / 4.0).max(50.0));
    // The neighbour lists are computed in parallel either way: each list is exact, so the
    // threads cannot change them.
    let neighbours: Option<Vec<Vec<Neighbor<f32>>>> = (config.theta > 0.0).then(|| {
        // The crate's own count of neighbours for the sparse affinities: ⌊3 × perplexity⌋.
        let k = (3.0 * config.perplexity) as usize;
        neighbour_lists(points, dim, k)
    });
    let run = move || {
        let rows: Vec<&[f32]> = points.chunks_exact(dim).collect();
        let mut fit: tSNE<f32, &[f32], 2> = tSNE::new(&rows);
        fit.perplexity(config.perplexity as f32)
            .epochs(config.iterations)
            .early_exaggeration(config.early_exaggeration as f32)
            // The crate switches after the step numbered here, so step
            // `exaggeration_iterations` is the first plain one, as before (0 = none at all).
            .stop_lying_epoch(config.exaggeration_iterations.saturating_sub(1))
            .momentum(0.5)
            .final_momentum(0.8)
            .momentum_switch_epoch(config.exaggeration_iterations.saturating_sub(1))
            // Given to the crate as is. Its gradient leaves out the constant factor 4 of dC/dy
            // (as van der Maaten's bhtsne), so the same number is a 4× smaller step than in
            // scikit-learn; measured on 10 Gaussian clusters (NOTES.md) that is the better
            // step: scaling it by 4 to match scikit-learn dropped the 5-NN accuracy of the
            // embedding from 0.998 to 0.941 at 5,000 points.
            .learning_rate(learning_rate as f32)
            .initial_embedding(start);
        match &neighbours {
            // The crate squares the distance it is given.
            None => fit.exact(|a: &&[f32], b: &&[f32]| squared_distance(a, b).sqrt()),
            Some(neighbours) => fit.barnes_hut_with_neighbors(config.theta as f32, neighbours),
        }
        .embedding()
    };
    let embedding = if config.deterministic {
        // One worker: rayon then never splits work by timing, so every sum has one order.
        rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("t-SNE: cannot start a one-thread pool")
            .install(run)
    } else {
        run()
    };
    embedding
        .chunks_exact(2)
        .map(|p| [f64::from(p[0]), f64::from(p[1])])
        .collect()
}

/// The `k` exact nearest neighbours of every point (itself left out), as the crate takes them:
/// Euclidean distances, ties by index.
fn neighbour_lists(points: &[f32], dim: usize, k: usize) -> Vec<Vec<Neighbor<f32>>> {
    nearest_neighbours(points, points, dim, k, true)
        .into_iter()
        .map(|row| {
            row.into_iter()
                .map(|(d, index)| Neighbor {
                    index,
                    distance: d.sqrt(),
                })
                .collect()
        })
        .collect()
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

    /// `classes` Gaussian clusters of `per_class` points in `dim` dimensions: centres drawn
    /// uniformly in [−5, 5]ᵈ, unit spread per coordinate (a fixed generator: Box-Muller on a
    /// linear congruential sequence). Returns the points and their cluster labels.
    fn gaussian_clusters(classes: usize, per_class: usize, dim: usize) -> (Vec<f32>, Vec<u8>) {
        let mut state = 12345u64;
        let mut uniform = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        };
        let centres: Vec<f64> = (0..classes * dim).map(|_| 10.0 * uniform() - 5.0).collect();
        let mut points = Vec::with_capacity(classes * per_class * dim);
        let mut labels = Vec::with_capacity(classes * per_class);
        // Interleave the classes so that no class is a contiguous block.
        for i in 0..per_class * classes {
            let class = i % classes;
            for c in 0..dim {
                let (u, v) = (uniform(), uniform());
                let normal = (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos();
                points.push((centres[class * dim + c] + normal) as f32);
            }
            labels.push(class as u8);
        }
        (points, labels)
    }

    /// 5-NN accuracy of the 2-D embedding against the labels (leave-one-out).
    fn embedding_knn_accuracy(y: &[[f64; 2]], labels: &[u8]) -> f64 {
        let flat: Vec<f32> = y.iter().flat_map(|p| [p[0] as f32, p[1] as f32]).collect();
        let nearest = nearest_neighbours(&flat, &flat, 2, 5, true);
        let correct = nearest
            .iter()
            .zip(labels)
            .filter(|(row, label)| {
                let mut votes = [0usize; 256];
                for &(_, j) in row.iter() {
                    votes[labels[j] as usize] += 1;
                }
                let most = *votes.iter().max().unwrap();
                row.iter()
                    .map(|&(_, j)| labels[j])
                    .find(|&l| votes[l as usize] == most)
                    == Some(**label)
            })
            .count();
        correct as f64 / labels.len() as f64
    }

    #[test]
    fn two_well_separated_clusters_stay_apart_in_2d() {
        let mut points = cluster(0.0, 30, 1);
        points.extend(cluster(20.0, 30, 2));
        // Exact, as the test was written for; the data repeat every 23 points (exact
        // duplicates), on which Barnes-Hut spreads each cluster much wider (NOTES.md).
        for theta in [0.0] {
            let config = TsneConfig {
                perplexity: 10.0,
                iterations: 500,
                theta,
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
            // Every point is nearer its own cluster's centre than the other one, with room to
            // spare: the clusters' radii together are well below the distance between centres.
            assert!(
                spread(&y[..30], a) + spread(&y[30..], b) < gap,
                "theta {theta}: clusters overlap: radii {} + {} vs gap {gap}",
                spread(&y[..30], a),
                spread(&y[30..], b)
            );
        }
    }

    #[test]
    fn gaussian_clusters_are_separated_in_the_embedding() {
        // Barnes-Hut: 10 clusters × 100 points in 64-D (centres ~ 10 · √(64/6) ≈ 33 apart,
        // spread 8 wide); exact (theta 0): 10 × 30 points in 32-D.
        let exact = TsneConfig {
            theta: 0.0,
            perplexity: 10.0,
            ..TsneConfig::default()
        };
        for (per_cluster, dim, config) in [(100, 64, TsneConfig::default()), (30, 32, exact)] {
            let (points, labels) = gaussian_clusters(10, per_cluster, dim);
            let y = tsne(&points, dim, &config);
            assert_eq!(y.len(), 10 * per_cluster);
            assert!(y.iter().all(|p| p[0].is_finite() && p[1].is_finite()));
            let accuracy = embedding_knn_accuracy(&y, &labels);
            let theta = config.theta;
            assert!(
                accuracy > 0.95,
                "theta {theta}: 5-NN accuracy of the embedding {accuracy}"
            );
        }
    }

    #[test]
    fn the_same_points_give_the_same_embedding() {
        let (points, _) = gaussian_clusters(5, 40, 16);
        let config = TsneConfig {
            perplexity: 15.0,
            iterations: 300,
            ..TsneConfig::default()
        };
        for theta in [0.5, 0.0] {
            let config = TsneConfig {
                theta,
                ..config.clone()
            };
            let first = tsne(&points, 16, &config);
            for _ in 0..3 {
                assert_eq!(tsne(&points, 16, &config), first, "theta {theta}");
            }
        }
    }
    #[test]
    fn the_affinities_are_a_symmetric_distribution_on_the_neighbour_graph() {
        // What the fit optimises: P from our neighbour lists, through the crate.
        let points = cluster(0.0, 40, 3);
        let rows: Vec<&[f32]> = points.chunks_exact(10).collect();
        let neighbours: Vec<Vec<Neighbor<f32>>> = neighbour_lists(&points, 10, 15);
        let mut fit: tSNE<f32, &[f32], 2> = tSNE::new(&rows);
        fit.perplexity(5.0).epochs(0);
        fit.barnes_hut_with_neighbors(0.5, &neighbours);
        let p = fit.affinities().expect("affinities after a Barnes-Hut fit");
        let total: f32 = p.values().iter().sum();
        assert!((total - 1.0).abs() < 1e-4, "affinities sum to {total}");
        let (starts, columns, values) = (p.rows(), p.columns(), p.values());
        let entry = |i: usize, j: usize| {
            (starts[i]..starts[i + 1])
                .find(|&e| columns[e] as usize == j)
                .map(|e| values[e])
        };
        for i in 0..40 {
            for e in starts[i]..starts[i + 1] {
                let j = columns[e] as usize;
                assert_ne!(i, j);
                assert_eq!(entry(j, i), Some(values[e]), "P[{i}][{j}] vs P[{j}][{i}]");
            }
        }
    }
}
