//! Bilinear ×2 upsampling of every plane, forward and backward, one pass over memory each way.
//!
//! Separable as the portable graph in `ae-models` is (`out = A_h · X · A_wᵀ`): each source row
//! is widened into a scratch of `[h, 2w]`, then every output row is a blend of two scratch rows.
//! The backward pass is the transpose, in the reverse order: every output-gradient row is added
//! onto the two scratch rows it came from, then each scratch row is narrowed back to `w`.
//! Before this kernel, flex ran the portable graph: two products with 16- or 32-wide operands
//! and two transposing copies of the whole tensor each way (the decoder's last upsampling
//! writes 524 MB at batch 2000).

use burn::tensor::TensorData;
use burn_flex::FlexTensor;
use rayon::prelude::*;

use super::{contiguous, dims};
use crate::upsample::bilinear_2x_weights;

/// Where one output sample reads: two sources and their weights (the second weight is 0 where
/// both would be the same source, so that the weight of that source is the pair's sum).
#[derive(Clone, Copy)]
struct Tap {
    lower: usize,
    upper: usize,
    lower_weight: f32,
    upper_weight: f32,
}

/// The `2n` taps of a line of `n` samples.
fn taps(n: usize, align_corners: bool) -> Vec<Tap> {
    bilinear_2x_weights(n, align_corners)
        .into_iter()
        .map(|[(lower, lower_weight), (upper, upper_weight)]| {
            let same = lower == upper;
            Tap {
                lower,
                upper,
                lower_weight: if same {
                    lower_weight + upper_weight
                } else {
                    lower_weight
                },
                upper_weight: if same { 0.0 } else { upper_weight },
            }
        })
        .collect()
}

/// PyTorch's `nn.Upsample(scale_factor=2, mode="bilinear", align_corners=...)`.
///
/// input: `[batch, channels, h, w]` (f32) -> `[batch, channels, 2h, 2w]`
pub(crate) fn bilinear_upsample_2x(input: FlexTensor, align_corners: bool) -> FlexTensor {
    crate::count_fused_call();
    let input = contiguous(input);
    let [batch, channels, height, width] = dims(&input);
    let x: &[f32] = input.as_slice().expect("a contiguous f32 input");
    let (along_w, along_h) = (taps(width, align_corners), taps(height, align_corners));
    let (plane_in, plane_out) = (height * width, 4 * height * width);
    let mut output = vec![0.0f32; batch * channels * plane_out];
    if plane_in > 0 {
        output
            .par_chunks_mut(plane_out)
            .zip(x.par_chunks(plane_in))
            .for_each_init(
                || vec![0.0f32; height * 2 * width],
                |rows, (out, plane)| {
                    for (row, source) in rows
                        .chunks_exact_mut(2 * width)
                        .zip(plane.chunks_exact(width))
                    {
                        for (value, tap) in row.iter_mut().zip(&along_w) {
                            *value = tap.lower_weight * source[tap.lower]
                                + tap.upper_weight * source[tap.upper];
                        }
                    }
                    for (out_row, tap) in out.chunks_exact_mut(2 * width).zip(&along_h) {
                        blend_rows(
                            out_row,
                            &rows[tap.lower * 2 * width..][..2 * width],
                            &rows[tap.upper * 2 * width..][..2 * width],
                            tap.lower_weight,
                            tap.upper_weight,
                        );
                    }
                },
            );
    }
    FlexTensor::from_data(TensorData::new(
        output,
        [batch, channels, 2 * height, 2 * width],
    ))
}

/// The gradient of [`bilinear_upsample_2x`] with respect to its input.
///
/// grad: `[batch, channels, 2h, 2w]` (f32) -> `[batch, channels, h, w]`
pub(crate) fn bilinear_upsample_2x_backward(grad: FlexTensor, align_corners: bool) -> FlexTensor {
    let grad = contiguous(grad);
    let [batch, channels, out_h, out_w] = dims(&grad);
    let (height, width) = (out_h / 2, out_w / 2);
    let g: &[f32] = grad.as_slice().expect("a contiguous f32 gradient");
    let (along_w, along_h) = (taps(width, align_corners), taps(height, align_corners));
    let (plane_in, plane_out) = (height * width, out_h * out_w);
    let mut dx = vec![0.0f32; batch * channels * plane_in];
    if plane_in > 0 {
        dx.par_chunks_mut(plane_in)
            .zip(g.par_chunks(plane_out))
            .for_each_init(
                || vec![0.0f32; height * out_w],
                |rows, (dx, g)| {
                    rows.fill(0.0);
                    for (g_row, tap) in g.chunks_exact(out_w).zip(&along_h) {
                        add_scaled(
                            &mut rows[tap.lower * out_w..][..out_w],
                            g_row,
                            tap.lower_weight,
                        );
                        add_scaled(
                            &mut rows[tap.upper * out_w..][..out_w],
                            g_row,
                            tap.upper_weight,
                        );
                    }
                    for (dx_row, row) in dx.chunks_exact_mut(width).zip(rows.chunks_exact(out_w)) {
                        for (&value, tap) in row.iter().zip(&along_w) {
                            dx_row[tap.lower] += tap.lower_weight * value;
                            dx_row[tap.upper] += tap.upper_weight * value;
                        }
                    }
                },
            );
    }
    FlexTensor::from_data(TensorData::new(dx, [batch, channels, height, width]))
}

/// `out = a · lower + b · upper`, compiled for the CPU's widest vectors (macerator's dispatch;
/// the workspace builds for baseline x86-64).
#[macerator::with_simd]
fn blend_rows<S: macerator::Simd>(out: &mut [f32], lower: &[f32], upper: &[f32], a: f32, b: f32) {
    for ((value, &l), &u) in out.iter_mut().zip(lower).zip(upper) {
        *value = a * l + b * u;
    }
}

/// `acc += a · row`, compiled as [`blend_rows`] is.
#[macerator::with_simd]
fn add_scaled<S: macerator::Simd>(acc: &mut [f32], row: &[f32], a: f32) {
    for (value, &r) in acc.iter_mut().zip(row) {
        *value += a * r;
    }
}
