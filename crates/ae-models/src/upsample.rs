//! Bilinear ×2 upsampling in two interchangeable implementations.

use burn::serde::{Deserialize, Serialize};
use burn::tensor::module::interpolate;
use burn::tensor::ops::{InterpolateMode, InterpolateOptions};
use burn::tensor::{Device, Tensor, TensorData};

/// How the conv autoencoder's decoder upsamples ×2 (bilinear, `align_corners = false`, i.e.
/// PyTorch's `nn.Upsample(scale_factor=2, mode='bilinear')`).
///
/// Both give the same values (to float rounding). Serialises as `"burn"` / `"portable"`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(crate = "burn::serde", rename_all = "kebab-case")]
pub enum UpsampleMode {
    /// Burn's own `interpolate` (bilinear). Fastest on flex; its backward pass is missing on
    /// ndarray and the GPU backends (Burn 0.22.1 panics there when training).
    Burn,
    /// Separable interpolation matrices, `out = A_h · X · A_wᵀ`, built from matmuls and reshapes
    /// whose gradients every backend has. Use it for training anywhere but flex.
    #[default]
    Portable,
}

impl UpsampleMode {
    /// The mode to train with on `device`: [`UpsampleMode::Burn`] on flex (with or without
    /// autodiff), [`UpsampleMode::Portable`] everywhere else.
    pub fn for_device(device: &Device) -> UpsampleMode {
        if device.clone().without_autodiff() == Device::flex() {
            UpsampleMode::Burn
        } else {
            UpsampleMode::Portable
        }
    }
}

/// Bilinear ×2 upsampling with `align_corners = false`.
///
/// input: `[batch, channels, h, w]` -> output: `[batch, channels, 2h, 2w]`
pub fn upsample_bilinear_2x(input: Tensor<4>, mode: UpsampleMode) -> Tensor<4> {
    match mode {
        UpsampleMode::Burn => {
            let [_, _, height, width] = input.dims();
            let options = InterpolateOptions::new(InterpolateMode::Bilinear)
                .with_align_corners(false)
                .with_output_size([2 * height, 2 * width]);
            interpolate(input, options)
        }
        UpsampleMode::Portable => upsample_portable(input),
    }
}

/// `A_h · X · A_wᵀ` per image and channel, as two 2-D matmuls.
fn upsample_portable(input: Tensor<4>) -> Tensor<4> {
    let [batch, channels, height, width] = input.dims();
    let device = input.device();
    // Rows: [batch*channels*height, width] · A_wᵀ [width, 2*width].
    let rows = input
        .reshape([batch * channels * height, width])
        .matmul(interpolation_matrix_transposed(width, &device))
        .reshape([batch, channels, height, 2 * width]);
    // Columns: move height last, [batch*channels*2w, height] · A_hᵀ [height, 2*height].
    rows.swap_dims(2, 3)
        .reshape([batch * channels * 2 * width, height])
        .matmul(interpolation_matrix_transposed(height, &device))
        .reshape([batch, channels, 2 * width, 2 * height])
        .swap_dims(2, 3)
}

/// `A_nᵀ` for ×2 linear interpolation of `n` samples, shape `[n, 2n]`: column `o` holds the
/// weights of output sample `o` at source coordinate `max((o + 0.5) / 2 - 0.5, 0)` (PyTorch's
/// `align_corners = false` rule, clamped at the edges).
fn interpolation_matrix_transposed(n: usize, device: &Device) -> Tensor<2> {
    let mut weights = vec![0.0f32; n * 2 * n];
    for (output, weight_pair) in bilinear_2x_weights(n).into_iter().enumerate() {
        for (source, weight) in weight_pair {
            weights[source * 2 * n + output] += weight;
        }
    }
    Tensor::from_data(TensorData::new(weights, [n, 2 * n]), device)
}

/// For each of the `2n` output samples, its two (source index, weight) pairs.
pub(crate) fn bilinear_2x_weights(n: usize) -> Vec<[(usize, f32); 2]> {
    (0..2 * n)
        .map(|output| {
            let source = ((output as f64 + 0.5) / 2.0 - 0.5).max(0.0);
            let lower = (source.floor() as usize).min(n - 1);
            let upper = (lower + 1).min(n - 1);
            let fraction = (source - lower as f64) as f32;
            [(lower, 1.0 - fraction), (upper, fraction)]
        })
        .collect()
}
