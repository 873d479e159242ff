//! Burn's leaky ReLU, fused on flex (the conv autoencoder's activation after every
//! convolution).

use burn::backend::Dispatch;
use burn::tensor::activation;
use burn::tensor::{DType, Tensor};

use crate::extension::LeakyReluKernels;

/// `x * negative_slope` where `x < 0`, `x` elsewhere (Burn's and PyTorch's leaky ReLU).
///
/// input: any shape -> the same shape
///
/// On flex with f32 values and a positive slope one pass forward, over the input's own memory
/// when nothing else holds it, and one pass backward from the saved output; Burn's
/// [`activation::leaky_relu`] elsewhere (three passes each way on flex). Both give the same
/// values and gradients, bit for bit.
pub fn leaky_relu<const D: usize>(input: Tensor<D>, negative_slope: f64) -> Tensor<D> {
    let slope = negative_slope as f32;
    if crate::fused_on(&input.device()) && input.dtype() == DType::F32 && slope > 0.0 {
        Tensor::from_dispatch(<Dispatch as LeakyReluKernels>::leaky_relu(
            input.into_dispatch(),
            slope,
        ))
    } else {
        activation::leaky_relu(input, negative_slope)
    }
}
