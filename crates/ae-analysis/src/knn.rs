//! k-nearest-neighbour classification on codes: how well a representation separates the
//! classes, as one number that needs no training.

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
/// Majority vote; a tie goes to the tied class with the nearest member.
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
    let mut votes = [0usize; 256];
    for &(_, index) in &nearest {
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
/// `reference` and `queries` hold rows of `dim` values with one label each.
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
    let correct = queries
        .chunks_exact(dim)
        .zip(query_labels)
        .filter(|(q, label)| knn_predict(reference, reference_labels, dim, k, q) == **label)
        .count();
    correct as f64 / query_labels.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
