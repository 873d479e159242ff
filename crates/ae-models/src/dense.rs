//! One fully connected layer followed by an activation.

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Device, Tensor};

use crate::Activation;

/// Configuration of a [`DenseLayer`]: `d_input -> d_output`, then `activation`.
///
/// Weights and biases start from PyTorch's `nn.Linear` default, `U(-1/sqrt(d_input), 1/sqrt(d_input))`
/// (Burn's `LinearConfig` default, Kaiming-uniform with gain `1/sqrt(3)`).
#[derive(Config, Debug)]
pub struct DenseLayerConfig {
    /// Number of input features.
    pub d_input: usize,
    /// Number of output features.
    pub d_output: usize,
    /// Activation applied to the linear output.
    pub activation: Activation,
}

/// A fully connected layer with an activation: `activation(x W + b)`.
#[derive(Module, Debug)]
pub struct DenseLayer {
    /// The affine map, weight `[d_input, d_output]`, bias `[d_output]`.
    pub linear: Linear,
    /// The activation applied after `linear`.
    #[module(skip)]
    pub activation: Activation,
}

impl DenseLayerConfig {
    /// Builds the layer with freshly initialised weights on `device`.
    pub fn init(&self, device: &Device) -> DenseLayer {
        DenseLayer {
            linear: LinearConfig::new(self.d_input, self.d_output).init(device),
            activation: self.activation,
        }
    }
}

impl DenseLayer {
    /// input: `[batch, d_input]` -> output: `[batch, d_output]`
    pub fn forward(&self, input: Tensor<2>) -> Tensor<2> {
        linear_then(&self.linear, input, self.activation)
    }

    /// Number of input features.
    pub fn d_input(&self) -> usize {
        self.linear.weight.lazy_shape().dims::<2>()[0]
    }

    /// Number of output features.
    pub fn d_output(&self) -> usize {
        self.linear.weight.lazy_shape().dims::<2>()[1]
    }

    /// The configuration that rebuilds this layer's architecture.
    pub fn config(&self) -> DenseLayerConfig {
        DenseLayerConfig::new(self.d_input(), self.d_output(), self.activation)
    }
}

/// `activation(linear(input))` as one fused layer where the backend has one
/// ([`ae_kernels::dense`]: flex), Burn's plain graph elsewhere.
///
/// input: `[batch, d_input]` -> output: `[batch, d_output]`
pub fn linear_then(linear: &Linear, input: Tensor<2>, activation: Activation) -> Tensor<2> {
    let [d_input, _] = linear.weight.lazy_shape().dims::<2>();
    let [batch, width] = input.dims();
    assert_eq!(
        width, d_input,
        "linear layer expects [batch, {d_input}] inputs, got [{batch}, {width}]"
    );
    ae_kernels::dense(
        input,
        linear.weight.val(),
        linear.bias.as_ref().map(|bias| bias.val()),
        activation.fused(),
    )
}
