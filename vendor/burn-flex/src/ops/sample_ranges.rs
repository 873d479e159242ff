//! ae: splitting a batch's output over rayon's workers by samples, shared by patches 3, 8, 9,
//! 10 and 12 (each used to carry its own copy of this block; patches 3 and 10 lacked the guard
//! against an empty output, on which `par_chunks_mut(0)` panics).

/// Runs `f(first_sample, samples)` on rayon's workers over disjoint ranges of `batch` samples,
/// each with its part of `out`, which holds `per_sample` floats per sample. Does nothing when
/// there is no sample or a sample has no values.
pub(crate) fn for_sample_ranges(
    out: &mut [f32],
    batch: usize,
    per_sample: usize,
    f: impl Fn(usize, &mut [f32]) + Sync + Send,
) {
    if batch == 0 || per_sample == 0 {
        return;
    }
    debug_assert_eq!(out.len(), batch * per_sample);
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        let workers = rayon::current_num_threads().clamp(1, batch);
        let per = batch.div_ceil(workers);
        out.par_chunks_mut(per * per_sample)
            .enumerate()
            .for_each(|(w, chunk)| f(w * per, chunk));
    }
    #[cfg(not(feature = "rayon"))]
    f(0, out);
}

/// Sums `accumulate(samples)` (a vector of `len` floats) over rayon's workers, each taking a
/// contiguous range of `batch` samples (the split of [`for_sample_ranges`]), the partials added
/// in worker order onto zeros. Shared by the weight gradients of patches 9 and 12.
pub(crate) fn sum_over_sample_ranges(
    batch: usize,
    len: usize,
    accumulate: impl Fn(core::ops::Range<usize>) -> alloc::vec::Vec<f32> + Sync + Send,
) -> alloc::vec::Vec<f32> {
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        let workers = rayon::current_num_threads().clamp(1, batch.max(1));
        let per = batch.div_ceil(workers).max(1);
        let partials: alloc::vec::Vec<alloc::vec::Vec<f32>> = (0..workers)
            .into_par_iter()
            .map(|w| accumulate((w * per).min(batch)..((w + 1) * per).min(batch)))
            .collect();
        let mut total = alloc::vec![0.0f32; len];
        for partial in partials {
            for (t, v) in total.iter_mut().zip(&partial) {
                *t += v;
            }
        }
        total
    }
    #[cfg(not(feature = "rayon"))]
    {
        let _ = len;
        accumulate(0..batch)
    }
}
