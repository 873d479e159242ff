//! 2-D convolutions over a batch in chunks on GPU backends, whose launches have at most
//! 65,535 workgroups per dimension.
//!
//! Burn 0.22's wgpu backend computes a convolution's forward pass directly (a launch it spreads
//! over the grid's dimensions, so any batch fits), but its data gradient may be an im2col
//! product (`dgrad_im2col`: `[batch·out_h·out_w, c_out] · [c_out, taps·c_in]`, then a
//! scatter-add) through cubek's matmul, whose naive kernel launches one workgroup per
//! plane-size rows along x and refuses more than 65,535 of them: at the conv autoencoder's
//! batch of 2000 the last decoder convolution's product has 2,048,000 rows, and lavapipe
//! (plane size 8) stopped with "Cube count too big (256000, 72, 1)"; at batch 600 "(76800, 72,
//! 1)". The autotuner keys the batch only by an anchor, so a kernel picked at a small batch is
//! reused at a large one and a refusal is not caught by re-tuning. Splitting the batch keeps
//! every such product under [`MAX_GPU_MATMUL_ROWS`] rows whichever kernel is picked.

use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2d;
use burn::tensor::Tensor;

use crate::MAX_GPU_MATMUL_ROWS;
use crate::upsample::on_cpu_backend;

/// `conv.forward(input)`, on a GPU backend over chunks of the batch whose im2col rows
/// (`images · out_h · out_w`) are at most [`MAX_GPU_MATMUL_ROWS`], concatenated along the batch
/// (autodiff sees the slices and the concatenation, so gradients flow as through one call).
/// At the conv autoencoder's batch of 2000 that is chunks of 255 images for its 32×32 outputs
/// and 1023 for 16×16; LeNet's 28×28 first layer takes 334 images a chunk. On the CPU backends
/// (flex, ndarray), which have no such limit, it is one call, as before (bit-identical).
pub fn conv2d_in_batch_chunks(conv: &Conv2d, input: Tensor<4>) -> Tensor<4> {
    if on_cpu_backend(&input.device()) {
        return conv.forward(input);
    }
    conv2d_in_batch_blocks(conv, input, MAX_GPU_MATMUL_ROWS)
}

/// `conv.forward(input)` over chunks of as many images as keep `images · out_h · out_w` at
/// most `max_rows` (at least one image a chunk), concatenated along the batch; one call when
/// the whole batch fits. On any backend.
///
/// # Panics
/// When `max_rows` is 0, or as `conv.forward` does (e.g. wrong input channels).
pub fn conv2d_in_batch_blocks(conv: &Conv2d, input: Tensor<4>, max_rows: usize) -> Tensor<4> {
    assert!(
        max_rows > 0,
        "conv2d_in_batch_blocks: max_rows must be positive"
    );
    let [batch, _, height, width] = input.dims();
    let [out_height, out_width] = conv2d_output_size(conv, [height, width]);
    let images = (max_rows / (out_height * out_width).max(1)).max(1);
    if batch <= images {
        return conv.forward(input);
    }
    let parts = (0..batch)
        .step_by(images)
        .map(|start| conv.forward(input.clone().narrow(0, start, images.min(batch - start))))
        .collect();
    Tensor::cat(parts, 0)
}

/// The `[out_h, out_w]` of `conv` on `[height, width]` inputs (PyTorch's and Burn's formula).
pub fn conv2d_output_size(conv: &Conv2d, [height, width]: [usize; 2]) -> [usize; 2] {
    let ((top, bottom), (left, right)) = match conv.padding {
        PaddingConfig2d::Valid => ((0, 0), (0, 0)),
        PaddingConfig2d::Explicit(top, left, bottom, right) => ((top, bottom), (left, right)),
        // `Same` keeps the size at stride 1 (Burn's only stride for it); an upper bound else.
        PaddingConfig2d::Same => return [height, width],
    };
    let side = |size: usize, before: usize, after: usize, axis: usize| {
        let span = conv.dilation[axis] * (conv.kernel_size[axis] - 1) + 1;
        (size + before + after).saturating_sub(span) / conv.stride[axis] + 1
    };
    [side(height, top, bottom, 0), side(width, left, right, 1)]
}
