//! A dense layer, `activation(input · weight + bias)`, fused on flex.

use burn::backend::Dispatch;
use burn::tensor::{DType, Tensor};

use crate::FusedActivation;
use crate::extension::DenseKernels;

/// `activation(input · weight + bias)`, the layer PyTorch writes `act(nn.Linear(x))` (with
/// Burn's weight layout, `[d_input, d_output]`).
///
/// input: `[batch, d_input]`, weight: `[d_input, d_output]`, bias: `[d_output]` ->
/// output: `[batch, d_output]`
///
/// On flex (see [`crate::fused_on`]) with f32 tensors, a bias and a [fusable](FusedActivation::fusable)
/// activation this is one matrix product and one pass, and its backward pass one pass and the
/// products; otherwise it is [`dense_unfused`]. Both give the same values and gradients to
/// float rounding.
pub fn dense(
    input: Tensor<2>,
    weight: Tensor<2>,
    bias: Option<Tensor<1>>,
    activation: FusedActivation,
) -> Tensor<2> {
    match bias {
        Some(bias)
            if crate::fused_on(&input.device())
                && activation.fusable()
                && [input.dtype(), weight.dtype(), bias.dtype()] == [DType::F32; 3] =>
        {
            Tensor::from_dispatch(<Dispatch as DenseKernels>::dense_forward(
                input.into_dispatch(),
                weight.into_dispatch(),
                bias.into_dispatch(),
                activation,
            ))
        }
        bias => dense_unfused(input, weight, bias, activation),
    }
}

/// The same layer as Burn's plain graph, on any backend: a matrix product, a broadcast bias
/// addition, the activation.
///
/// input: `[batch, d_input]`, weight: `[d_input, d_output]`, bias: `[d_output]` ->
/// output: `[batch, d_output]`
pub fn dense_unfused(
    input: Tensor<2>,
    weight: Tensor<2>,
    bias: Option<Tensor<1>>,
    activation: FusedActivation,
) -> Tensor<2> {
    let linear = input.matmul(weight);
    let linear = match bias {
        Some(bias) => linear + bias.unsqueeze_dim(0),
        None => linear,
    };
    activation.apply(linear)
}
