//! Bilinear ×2 upsampling (the conv autoencoder decoder's), fused on flex.

use burn::backend::Dispatch;
use burn::tensor::module::interpolate;
use burn::tensor::ops::{InterpolateMode, InterpolateOptions};
use burn::tensor::{DType, Tensor};

use crate::extension::UpsampleKernels;

/// PyTorch's `nn.Upsample(scale_factor=2, mode="bilinear", align_corners=...)`.
///
/// input: `[batch, channels, h, w]` -> `[batch, channels, 2h, 2w]`
///
/// On flex with f32 values one pass over memory forward and one backward, plane by plane; Burn's
/// [`interpolate`] elsewhere (whose backward pass only flex has in Burn 0.22; `ae-models` builds
/// a portable graph for the other backends). The two agree to float rounding (the same two
/// products per sample and direction, added in another order).
pub fn bilinear_upsample_2x(input: Tensor<4>, align_corners: bool) -> Tensor<4> {
    if crate::fused_on(&input.device()) && input.dtype() == DType::F32 {
        Tensor::from_dispatch(<Dispatch as UpsampleKernels>::bilinear_upsample_2x(
            input.into_dispatch(),
            align_corners,
        ))
    } else {
        let [_, _, height, width] = input.dims();
        interpolate(
            input,
            InterpolateOptions::new(InterpolateMode::Bilinear)
                .with_align_corners(align_corners)
                .with_output_size([2 * height, 2 * width]),
        )
    }
}

/// For each of the `2n` output samples of a line of `n`, its two (source index, weight) pairs,
/// at PyTorch's source coordinate: `max((o + 0.5) / 2 - 0.5, 0)` with `align_corners = false`,
/// `o · (n - 1) / (2n - 1)` with `align_corners = true`. The two sources are the same at the
/// edges.
pub fn bilinear_2x_weights(n: usize, align_corners: bool) -> Vec<[(usize, f32); 2]> {
    (0..2 * n)
        .map(|output| {
            let source = if align_corners {
                output as f64 * (n as f64 - 1.0) / (2.0 * n as f64 - 1.0)
            } else {
                ((output as f64 + 0.5) / 2.0 - 0.5).max(0.0)
            };
            let lower = (source.floor() as usize).min(n - 1);
            let upper = (lower + 1).min(n - 1);
            let fraction = (source - lower as f64) as f32;
            [(lower, 1.0 - fraction), (upper, fraction)]
        })
        .collect()
}
