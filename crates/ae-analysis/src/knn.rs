//! k-nearest-neighbour classification on codes: how well a representation separates the
//! classes, as one number that needs no training; and the exact nearest neighbours t-SNE's
//! affinities are built from.
//!
//! Why this is ours and not a crate's. The use is 2,000–10,000 queries against 8,000–60,000
//! reference points of 64–1,024 dimensions. The best-kept Rust nearest-neighbour crate,
//! `kiddo` (a k-d tree), says of itself that it is designed for fewer than ~10 dimensions, and
//! its dimension is a compile-time constant, which our code sizes (64, 84, 256, 784, …) are
//! not; at 256 dimensions a k-d tree visits nearly every leaf, so it cannot beat a scan (not
//! benchmarked for that reason). What we measured, 5-NN on the 2-core machine (NOTES.md of the
//! change):
//!   - the plain scan, one [`squared_distance`] at a time (the previous code): 0.95 s for
//!     2,000 queries × 10,000 points × 256-d, 53.7 s for 2,000 × 60,000 × 784-d;
//!   - this file, 0.24 s and 2.5 s: the scan done as matrix products, ‖r‖² − 2 q·r for a
//!     block of queries against a block of references through nalgebra's (safe) f32 GEMM,
//!     split over rayon's threads, then the few best candidates of each query re-measured with
//!     [`squared_distance`], so that the neighbours, their order and the votes are those of
//!     the plain scan (the product form only shortlists).
//!
//! There is no approximate (graph or hashing) search here: the accuracy is a number that is
//! reported, and t-SNE's affinities are defined on the exact neighbours.

use nalgebra::{DMatrix, DMatrixView};
use rayon::prelude::*;

/// Squared Euclidean distance, summed in eight lanes so that the compiler can vectorise it.
pub fn squared_distance(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let (a8, a_rest) = a.split_at(a.len() - a.len() % 8);
    let (b8, b_rest) = b.split_at(a8.len());
    for (x, y) in a8.chunks_exact(8).zip(b8.chunks_exact(8)) {
        for k in 0..8 {
            let d = x[k] - y[k];
            lanes[k] += d * d;
        }
    }
    let tail: f32 = a_rest
        .iter()
        .zip(b_rest)
        .map(|(x, y)| (x - y) * (x - y))
        .sum();
    lanes.iter().sum::<f32>() + tail
}

/// The class the `k` nearest of `reference` vote for, for one `query` (`dim` values).
///
/// Majority vote; a tie goes to the tied class with the nearest member. Neighbours at equal
/// distance are taken in reference order.
pub fn knn_predict(reference: &[f32], labels: &[u8], dim: usize, k: usize, query: &[f32]) -> u8 {
    // (distance, index) of the k nearest so far, sorted by distance.
    let mut nearest: Vec<(f32, usize)> = Vec::with_capacity(k + 1);
    for (index, row) in reference.chunks_exact(dim).enumerate() {
        let d = squared_distance(row, query);
        if nearest.len() < k || d < nearest[nearest.len() - 1].0 {
            let at = nearest.partition_point(|&(e, _)| e <= d);
            nearest.insert(at, (d, index));
            nearest.truncate(k);
        }
    }
    vote(&nearest, labels)
}

/// Majority vote of `nearest` (nearest first); a tie goes to the tied class with the nearest
/// member.
fn vote(nearest: &[(f32, usize)], labels: &[u8]) -> u8 {
    let mut votes = [0usize; 256];
    for &(_, index) in nearest {
        votes[labels[index] as usize] += 1;
    }
    let most = votes.iter().copied().max().unwrap_or(0);
    // The first neighbour (nearest first) whose class has the most votes.
    nearest
        .iter()
        .map(|&(_, index)| labels[index])
        .find(|&label| votes[label as usize] == most)
        .unwrap_or(0)
}

/// Share of `queries` whose k-NN vote among `reference` equals their label.
///
/// `reference` and `queries` hold rows of `dim` values with one label each. The same answer
/// as [`knn_predict`] on every query, computed in blocks (see the top of this file).
pub fn knn_accuracy(
    reference: &[f32],
    reference_labels: &[u8],
    queries: &[f32],
    query_labels: &[u8],
    dim: usize,
    k: usize,
) -> f64 {
    assert_eq!(
        reference.len(),
        reference_labels.len() * dim,
        "knn: reference rows vs labels"
    );
    assert_eq!(
        queries.len(),
        query_labels.len() * dim,
        "knn: query rows vs labels"
    );
    assert!(
        k >= 1 && !reference_labels.is_empty(),
        "knn needs k ≥ 1 and a reference set"
    );
    let nearest = nearest_neighbours(reference, queries, dim, k, false);
    let correct = nearest
        .iter()
        .zip(query_labels)
        .filter(|(row, label)| vote(row, reference_labels) == **label)
        .count();
    correct as f64 / query_labels.len().max(1) as f64
}

/// Queries handled together: one block's products fill a `QUERY_BLOCK × REFERENCE_BLOCK`
/// f32 matrix (2 MiB), which stays in cache while its rows are scanned.
const QUERY_BLOCK: usize = 128;
const REFERENCE_BLOCK: usize = 4096;

/// For each query (rows of `dim` values), its `k` nearest rows of `reference` as
/// `(squared distance, index)`, nearest first, ties in reference order: exactly what a plain
/// scan with [`squared_distance`] finds. With `exclude_self`, `queries` must be `reference`
/// and each point is left out of its own list (t-SNE's neighbour lists).
///
/// Fewer than `k` neighbours come back only when the reference has fewer points.
pub fn nearest_neighbours(
    reference: &[f32],
    queries: &[f32],
    dim: usize,
    k: usize,
    exclude_self: bool,
) -> Vec<Vec<(f32, usize)>> {
    assert!(dim > 0, "knn: dimension 0");
    let m = reference.len() / dim;
    let n = queries.len() / dim;
    if exclude_self {
        assert_eq!(m, n, "knn: excluding self needs queries = reference");
    }
    if n == 0 || m == 0 || k == 0 {
        return vec![Vec::new(); n];
    }
    // The shortlist from the product form: more than k, so that the rounding of
    // ‖r‖² − 2 q·r (which can reorder near-equal distances) cannot push a true neighbour out.
    let shortlist = (2 * k + 16).min(m);
    let norms: Vec<f32> = reference
        .chunks_exact(dim)
        .map(|r| r.iter().map(|x| x * x).sum())
        .collect();
    // Column j of this view is reference point j (no copy).
    let reference_t = DMatrixView::from_slice(reference, dim, m);
    queries
        .par_chunks(QUERY_BLOCK * dim)
        .enumerate()
        .flat_map_iter(|(block, block_queries)| {
            let first = block * QUERY_BLOCK;
            let b = block_queries.len() / dim;
            // Row i is query `first + i` (a copy of the block: 0.5 MiB at 1,024-d).
            let q = DMatrix::from_row_slice(b, dim, block_queries);
            // (approximate distance, index) candidates per query, sorted; the last is the worst.
            let mut candidates: Vec<Vec<(f32, usize)>> = vec![Vec::with_capacity(shortlist + 1); b];
            for start in (0..m).step_by(REFERENCE_BLOCK) {
                let width = REFERENCE_BLOCK.min(m - start);
                let products = &q * reference_t.columns(start, width);
                for (i, list) in candidates.iter_mut().enumerate() {
                    for j in 0..width {
                        let index = start + j;
                        if exclude_self && index == first + i {
                            continue;
                        }
                        // ‖q − r‖² − ‖q‖²: the query's own norm does not change its ranking.
                        let d = norms[index] - 2.0 * products[(i, j)];
                        if list.len() < shortlist || d < list[list.len() - 1].0 {
                            let at = list.partition_point(|&(e, _)| e <= d);
                            list.insert(at, (d, index));
                            list.truncate(shortlist);
                        }
                    }
                }
            }
            // Re-measure the shortlist exactly and keep the k nearest, ties by index.
            candidates
                .into_iter()
                .zip(block_queries.chunks_exact(dim))
                .map(|(list, query)| {
                    let mut exact: Vec<(f32, usize)> = list
                        .into_iter()
                        .map(|(_, index)| {
                            let row = &reference[index * dim..(index + 1) * dim];
                            (squared_distance(row, query), index)
                        })
                        .collect();
                    exact.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                    exact.truncate(k);
                    exact
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixed pseudo-random sequence in [−0.5, 0.5).
    fn noise(count: usize, seed: u64) -> Vec<f32> {
        let mut state = seed;
        (0..count)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
            })
            .collect()
    }

    #[test]
    fn distances_match_the_plain_sum_for_any_length() {
        for len in [1, 7, 8, 9, 17, 256] {
            let a: Vec<f32> = (0..len).map(|i| i as f32 * 0.5).collect();
            let b: Vec<f32> = (0..len).map(|i| (i % 3) as f32).collect();
            let plain: f32 = a.iter().zip(&b).map(|(x, y)| (x - y) * (x - y)).sum();
            assert!((squared_distance(&a, &b) - plain).abs() <= 1e-3 * plain.max(1.0));
        }
    }

    #[test]
    fn accuracy_on_synthetic_codes_matches_the_hand_count() {
        // 1-D codes. Reference: class 0 at 0, 1, 2; class 1 at 10, 11, 12.
        let reference = [0.0, 1.0, 2.0, 10.0, 11.0, 12.0];
        let labels = [0, 0, 0, 1, 1, 1];
        // Queries and their labels:
        //   0.5 (label 0): nearest 0, 1, 2 -> 0 ✓
        //   11.5 (label 1): nearest 11, 12, 10 -> 1 ✓
        //   5.0 (label 1): 1-NN: 2 -> 0 ✗; 3-NN: 2, 1, 0 (dist 3, 4, 5 vs 10 at 5) -> 0 ✗
        //   7.5 (label 1): 1-NN: 10 -> 1 ✓; 3-NN: 10 (2.5), 11 (3.5), 12 (4.5) -> 1 ✓
        //   6.4 (label 0): 1-NN: 2 (4.4) vs 10 (3.6) -> 1 ✗; 3-NN: 10, 2, 11 -> 1 ✗
        let queries = [0.5, 11.5, 5.0, 7.5, 6.4];
        let query_labels = [0, 1, 1, 1, 0];
        assert_eq!(
            knn_accuracy(&reference, &labels, &queries, &query_labels, 1, 1),
            0.6
        );
        assert_eq!(
            knn_accuracy(&reference, &labels, &queries, &query_labels, 1, 3),
            0.6
        );
        // 5-NN at 6.4: 10 (3.6), 2 (4.4), 11 (4.6), 1 (5.4), 12 (5.6) -> 3 votes for 1 ✗;
        // at 5.0: 2 (3), 1 (4), 0 (5) and 10 (5), 11 (6): the tie at distance 5 keeps the
        // reference order, so 0, 0, 0, ... -> 0 ✗. Still 3 of 5.
        assert_eq!(
            knn_accuracy(&reference, &labels, &queries, &query_labels, 1, 5),
            0.6
        );
    }

    #[test]
    fn a_tied_vote_goes_to_the_class_with_the_nearest_member() {
        // 2-NN at 4: class 1 at 5 (distance 1), class 0 at 2 (distance 2): one vote each.
        let reference = [2.0, 5.0];
        assert_eq!(knn_predict(&reference, &[0, 1], 1, 2, &[4.0]), 1);
        assert_eq!(knn_predict(&reference, &[0, 1], 1, 2, &[3.0]), 0);
        assert_eq!(
            knn_accuracy(&reference, &[0, 1], &[4.0, 3.0], &[1, 0], 1, 2),
            1.0
        );
    }

    #[test]
    fn separable_2d_codes_score_full_accuracy_and_shuffled_labels_do_not() {
        // Ten classes on a circle, five reference points and two queries each.
        let point = |class: usize, j: usize| {
            let angle = class as f32 * std::f32::consts::TAU / 10.0 + j as f32 * 0.01;
            [10.0 * angle.cos(), 10.0 * angle.sin()]
        };
        let mut reference = Vec::new();
        let mut labels = Vec::new();
        let mut queries = Vec::new();
        let mut query_labels = Vec::new();
        for class in 0..10 {
            for j in 0..5 {
                reference.extend(point(class, j));
                labels.push(class as u8);
            }
            for j in 0..2 {
                queries.extend(point(class, 10 + j));
                query_labels.push(class as u8);
            }
        }
        assert_eq!(
            knn_accuracy(&reference, &labels, &queries, &query_labels, 2, 5),
            1.0
        );
        let wrong: Vec<u8> = query_labels.iter().map(|l| (l + 1) % 10).collect();
        assert_eq!(
            knn_accuracy(&reference, &labels, &queries, &wrong, 2, 5),
            0.0
        );
    }

    #[test]
    fn the_blocked_search_finds_what_the_plain_scan_finds() {
        // More queries and references than one block of each, a dimension that is not a
        // multiple of 8, coarse values so that exact distance ties occur, and duplicates.
        let dim = 37;
        let mut reference: Vec<f32> = noise(5000 * dim, 1)
            .iter()
            .map(|x| (x * 6.0).round())
            .collect();
        reference.extend_from_within(..20 * dim);
        let labels: Vec<u8> = (0..reference.len() / dim).map(|i| (i % 7) as u8).collect();
        let queries: Vec<f32> = noise(300 * dim, 2)
            .iter()
            .map(|x| (x * 6.0).round())
            .collect();
        for k in [1, 5, 12] {
            let found = nearest_neighbours(&reference, &queries, dim, k, false);
            for (q, row) in queries.chunks_exact(dim).zip(&found) {
                let mut plain: Vec<(f32, usize)> = reference
                    .chunks_exact(dim)
                    .enumerate()
                    .map(|(i, r)| (squared_distance(r, q), i))
                    .collect();
                plain.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                plain.truncate(k);
                assert_eq!(row, &plain);
                assert_eq!(
                    vote(row, &labels),
                    knn_predict(&reference, &labels, dim, k, q)
                );
            }
        }
    }

    #[test]
    fn excluding_self_leaves_each_point_out_of_its_own_list() {
        let dim = 5;
        let points = noise(300 * dim, 3);
        let found = nearest_neighbours(&points, &points, dim, 4, true);
        for (i, row) in found.iter().enumerate() {
            assert_eq!(row.len(), 4);
            assert!(row.iter().all(|&(_, j)| j != i));
            let q = &points[i * dim..(i + 1) * dim];
            let mut plain: Vec<(f32, usize)> = points
                .chunks_exact(dim)
                .enumerate()
                .filter(|&(j, _)| j != i)
                .map(|(j, r)| (squared_distance(r, q), j))
                .collect();
            plain.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            assert_eq!(row, &plain[..4]);
        }
    }
}
