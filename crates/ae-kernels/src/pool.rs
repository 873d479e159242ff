//! ReLU followed by 2×2 max-pooling (LeNet's `pool(relu(conv(x)))`), fused on flex.

use burn::backend::Dispatch;
use burn::nn::pool::MaxPool2dConfig;
use burn::tensor::activation::relu;
use burn::tensor::{DType, Tensor};

use crate::extension::PoolKernels;

/// `max_pool_2x2(relu(input))` with stride 2 and no padding.
///
/// input: `[batch, channels, h, w]` -> output: `[batch, channels, h / 2, w / 2]`
///
/// On flex with f32 values one pass forward and one backward (the window's maximum is found
/// again from the saved input, so no index tensor is kept); [`relu_max_pool_2x2_unfused`]
/// elsewhere. Both give the same values and gradients.
pub fn relu_max_pool_2x2(input: Tensor<4>) -> Tensor<4> {
    if crate::fused_on(&input.device()) && input.dtype() == DType::F32 {
        Tensor::from_dispatch(<Dispatch as PoolKernels>::relu_max_pool_2x2(
            input.into_dispatch(),
        ))
    } else {
        relu_max_pool_2x2_unfused(input)
    }
}

/// The same as Burn's plain graph: a ReLU, then `MaxPool2d` with a 2×2 kernel and stride 2.
///
/// input: `[batch, channels, h, w]` -> output: `[batch, channels, h / 2, w / 2]`
pub fn relu_max_pool_2x2_unfused(input: Tensor<4>) -> Tensor<4> {
    MaxPool2dConfig::new([2, 2])
        .with_strides([2, 2])
        .init()
        .forward(relu(input))
}
