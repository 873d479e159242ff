//! ×2 upsampling in three modes (PyTorch's bilinear with and without `align_corners`, and
//! nearest), each in two interchangeable implementations.

use burn::serde::{Deserialize, Serialize};
use burn::tensor::module::interpolate;
use burn::tensor::ops::{InterpolateMode, InterpolateOptions};
use burn::tensor::{Device, Tensor, TensorData};

/// What ×2 upsampling computes: PyTorch's `nn.Upsample(scale_factor=2, mode=...)`.
///
/// Serialises as `"bilinear"` / `"bilinear-align-corners"` / `"nearest"`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(crate = "burn::serde", rename_all = "kebab-case")]
pub enum Upsampling {
    /// `mode='bilinear', align_corners=False` (PyTorch's default since 0.4.0): output sample
    /// `o` reads source coordinate `max((o + 0.5) / 2 - 0.5, 0)`.
    #[default]
    Bilinear,
    /// `mode='bilinear', align_corners=True` (what `nn.Upsample(mode='bilinear')` did before
    /// PyTorch 0.4.0): the corner samples line up, `o · (n - 1) / (2n - 1)`.
    BilinearAlignCorners,
    /// `mode='nearest'`: every input sample repeated 2×2 (source `floor(o / 2)`).
    Nearest,
}

impl Upsampling {
    /// The three modes.
    pub const ALL: [Upsampling; 3] = [
        Upsampling::Bilinear,
        Upsampling::BilinearAlignCorners,
        Upsampling::Nearest,
    ];

    /// The name recipes and configs use (`"bilinear"`, `"bilinear-align-corners"`, `"nearest"`).
    pub fn name(self) -> &'static str {
        match self {
            Upsampling::Bilinear => "bilinear",
            Upsampling::BilinearAlignCorners => "bilinear-align-corners",
            Upsampling::Nearest => "nearest",
        }
    }
}

/// How ×2 upsampling is computed. All give the same values (to float rounding) in every
/// [`Upsampling`] mode. Serialises as `"burn"` / `"portable"` / `"fused"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(crate = "burn::serde", rename_all = "kebab-case")]
pub enum UpsampleImplementation {
    /// Burn's own `interpolate`. Fastest on flex for nearest, whose backward pass flex has;
    /// ndarray and the GPU backends lack the bilinear backward (Burn 0.22.1 panics there when
    /// training).
    Burn,
    /// Built from operations whose gradients every backend has: separable interpolation
    /// matrices for the bilinear modes (`out = A_h · X · A_wᵀ`, two matmuls), a reshape and
    /// broadcast for nearest.
    Portable,
    /// `ae_kernels::bilinear_upsample_2x` for the bilinear modes: one pass over memory each
    /// way on flex (Burn's `interpolate` elsewhere, which only flex can differentiate); nearest
    /// as [`UpsampleImplementation::Burn`].
    Fused,
}

impl UpsampleImplementation {
    /// The implementation to use for `mode` on `device` (with or without autodiff): on flex
    /// the fused kernel for the bilinear modes and Burn's kernel for nearest (the portable
    /// graph for all three when `AE_KERNELS=off`); the portable one on every other backend.
    ///
    /// Measured on flex (`cargo run --release -p ae-train --example upsample_timing -- 2000`,
    /// the decoder's three upsamplings at batch 2000, 2 cores, 2026-12-03; forward, then
    /// forward + backward of `sum(upsample(x) * w)`, whose product and sum take about 240 ms of
    /// each second figure): bilinear 830 / 1,891 ms Burn, 245 / 906 ms portable, 92 / 456 ms
    /// fused; with `align_corners` 839 / 2,127, 271 / 1,027 and 126 / 457 ms; nearest 89 / 330
    /// ms Burn, 112 / 486 ms portable.
    pub fn for_device(device: &Device, mode: Upsampling) -> UpsampleImplementation {
        let on_flex = device.clone().without_autodiff() == Device::flex();
        match mode {
            Upsampling::Nearest if on_flex => UpsampleImplementation::Burn,
            _ if ae_kernels::fused_on(device) => UpsampleImplementation::Fused,
            _ => UpsampleImplementation::Portable,
        }
    }
}

/// ×2 upsampling in `mode`, computed by `implementation`.
///
/// input: `[batch, channels, h, w]` -> output: `[batch, channels, 2h, 2w]`
pub fn upsample_2x(
    input: Tensor<4>,
    mode: Upsampling,
    implementation: UpsampleImplementation,
) -> Tensor<4> {
    match implementation {
        UpsampleImplementation::Burn => {
            let [_, _, height, width] = input.dims();
            let options = match mode {
                Upsampling::Bilinear => {
                    InterpolateOptions::new(InterpolateMode::Bilinear).with_align_corners(false)
                }
                Upsampling::BilinearAlignCorners => {
                    InterpolateOptions::new(InterpolateMode::Bilinear).with_align_corners(true)
                }
                Upsampling::Nearest => InterpolateOptions::new(InterpolateMode::Nearest),
            };
            interpolate(input, options.with_output_size([2 * height, 2 * width]))
        }
        UpsampleImplementation::Portable => match mode {
            Upsampling::Nearest => nearest_portable(input),
            bilinear => bilinear_portable(input, bilinear == Upsampling::BilinearAlignCorners),
        },
        UpsampleImplementation::Fused => match mode {
            Upsampling::Nearest => upsample_2x(input, mode, UpsampleImplementation::Burn),
            bilinear => ae_kernels::bilinear_upsample_2x(
                input,
                bilinear == Upsampling::BilinearAlignCorners,
            ),
        },
    }
}

/// Each sample repeated 2×2 by two broadcasts: along rows (`[rows, w, 1]` to `[rows, w, 2]`),
/// then each doubled row twice (`[rows, 1, 2w]` to `[rows, 2, 2w]`). On flex this is 5× faster
/// than one rank-6 broadcast `[b, c, h, 1, w, 1]` to `[b, c, h, 2, w, 2]`.
fn nearest_portable(input: Tensor<4>) -> Tensor<4> {
    let [batch, channels, height, width] = input.dims();
    let rows = batch * channels * height;
    input
        .reshape([rows, width, 1])
        .expand([rows, width, 2])
        .reshape([rows, 1, 2 * width])
        .expand([rows, 2, 2 * width])
        .reshape([batch, channels, 2 * height, 2 * width])
}

/// `A_h · X · A_wᵀ` per image and channel, as two 2-D matmuls.
fn bilinear_portable(input: Tensor<4>, align_corners: bool) -> Tensor<4> {
    let [batch, channels, height, width] = input.dims();
    let device = input.device();
    let matrix = |n| interpolation_matrix_transposed(n, align_corners, &device);
    // Rows: [batch*channels*height, width] · A_wᵀ [width, 2*width].
    let rows = matmul_in_row_chunks(
        input.reshape([batch * channels * height, width]),
        matrix(width),
    )
    .reshape([batch, channels, height, 2 * width]);
    // Columns: move height last, [batch*channels*2w, height] · A_hᵀ [height, 2*height].
    let columns = rows
        .swap_dims(2, 3)
        .reshape([batch * channels * 2 * width, height]);
    matmul_in_row_chunks(columns, matrix(height))
        .reshape([batch, channels, 2 * width, 2 * height])
        .swap_dims(2, 3)
}

/// Most workgroups one GPU launch may have along a dimension: WebGPU's default and Vulkan's
/// guaranteed `maxComputeWorkgroupsPerDimension`, which cubek's matmuls check their launch
/// against (real GPUs report the same 65,535).
pub const MAX_WORKGROUPS_PER_DIMENSION: usize = 65_535;

/// Rows of the left operand one workgroup of cubek's naive matmul covers: its workgroups are
/// `plane size × 8` units, one output row per unit along x, so a launch covers at most
/// `65,535 × plane size` rows. 4 is the smallest subgroup size a Vulkan or Metal adapter
/// reports (lavapipe and cubecl's default for adapters that report none: 8; NVIDIA 32).
const MIN_MATMUL_ROWS_PER_WORKGROUP: usize = 4;

/// The most rows a 2-D matmul's left operand may have on a GPU backend: 262,140. Larger
/// products are split into row blocks by [`matmul_in_row_chunks`].
pub const MAX_GPU_MATMUL_ROWS: usize = MAX_WORKGROUPS_PER_DIMENSION * MIN_MATMUL_ROWS_PER_WORKGROUP;

/// `lhs · rhs`, on a GPU backend as products of at most [`MAX_GPU_MATMUL_ROWS`] rows of `lhs`
/// concatenated (autodiff sees the slices and the concatenation, so gradients flow as through
/// one product). Without it the decoder's last upsampling at the recipes' batch of 2000
/// (`[2000·64·16, 16] · [16, 32]`, 2,048,000 rows) needs 256,000 workgroups along x on lavapipe
/// (plane size 8), and wgpu refuses the launch ("Cube count too big (256000, 4, 1)"). On the CPU
/// backends (flex, ndarray), which have no such limit, it is one product, as before.
pub fn matmul_in_row_chunks(lhs: Tensor<2>, rhs: Tensor<2>) -> Tensor<2> {
    if on_cpu_backend(&lhs.device()) {
        return lhs.matmul(rhs);
    }
    matmul_in_row_blocks(lhs, rhs, MAX_GPU_MATMUL_ROWS)
}

/// `lhs · rhs` as products of blocks of at most `max_rows` rows of `lhs`, concatenated (one
/// product when `lhs` has no more rows than that), on any backend.
///
/// # Panics
/// When `max_rows` is 0.
pub fn matmul_in_row_blocks(lhs: Tensor<2>, rhs: Tensor<2>, max_rows: usize) -> Tensor<2> {
    assert!(
        max_rows > 0,
        "matmul_in_row_blocks: max_rows must be positive"
    );
    let [rows, _] = lhs.dims();
    if rows <= max_rows {
        return lhs.matmul(rhs);
    }
    let parts = (0..rows)
        .step_by(max_rows)
        .map(|start| {
            let length = max_rows.min(rows - start);
            lhs.clone().narrow(0, start, length).matmul(rhs.clone())
        })
        .collect();
    Tensor::cat(parts, 0)
}

/// Whether `device` (with or without autodiff) is one of Burn's CPU backends.
pub(crate) fn on_cpu_backend(device: &Device) -> bool {
    let device = device.clone().without_autodiff();
    // ndarray is compiled in only where asked for (a feature of the binary, the tests), so it
    // is recognised by Burn's description of the device ("Device<NdArray(Cpu)>").
    device == Device::flex() || format!("{device:?}").to_lowercase().contains("ndarray")
}

/// `A_nᵀ` for ×2 linear interpolation of `n` samples, shape `[n, 2n]`: column `o` holds the
/// weights of output sample `o` (see [`ae_kernels::bilinear_2x_weights`]).
fn interpolation_matrix_transposed(n: usize, align_corners: bool, device: &Device) -> Tensor<2> {
    let mut weights = vec![0.0f32; n * 2 * n];
    for (output, weight_pair) in ae_kernels::bilinear_2x_weights(n, align_corners)
        .into_iter()
        .enumerate()
    {
        for (source, weight) in weight_pair {
            weights[source * 2 * n + output] += weight;
        }
    }
    Tensor::from_data(TensorData::new(weights, [n, 2 * n]), device)
}
