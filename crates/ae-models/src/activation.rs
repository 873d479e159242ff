//! Element-wise activation functions, selectable from configs.

use burn::serde::{Deserialize, Serialize};
use burn::tensor::{Tensor, activation};

/// An element-wise activation, chosen by configuration.
///
/// Serialises in kebab case, externally tagged: `"tanh"`, `"sigmoid"`, `"relu"`, `"identity"`,
/// and `{ "leaky-relu": { "negative_slope": 0.1 } }` (TOML: `activation = "tanh"` or
/// `activation = { leaky-relu = { negative_slope = 0.1 } }`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(crate = "burn::serde", rename_all = "kebab-case")]
pub enum Activation {
    /// Hyperbolic tangent, output in (-1, 1).
    Tanh,
    /// Logistic sigmoid, output in (0, 1).
    Sigmoid,
    /// `max(0, x)`.
    Relu,
    /// `x` for `x >= 0`, `negative_slope * x` otherwise.
    LeakyRelu {
        /// Slope for negative inputs (PyTorch's default is 0.01; the conv AE uses 0.1).
        negative_slope: f64,
    },
    /// `x` unchanged.
    Identity,
}

impl Activation {
    /// Applies the activation element-wise; the output has the input's shape.
    pub fn apply<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        match self {
            Activation::Tanh => activation::tanh(x),
            Activation::Sigmoid => activation::sigmoid(x),
            Activation::Relu => activation::relu(x),
            // Fused on flex (one pass each way), Burn's own elsewhere; the same values.
            Activation::LeakyRelu { negative_slope } => ae_kernels::leaky_relu(x, *negative_slope),
            Activation::Identity => x,
        }
    }

    /// The same activation for [`ae_kernels::dense`].
    pub fn fused(&self) -> ae_kernels::FusedActivation {
        use ae_kernels::FusedActivation;
        match *self {
            Activation::Tanh => FusedActivation::Tanh,
            Activation::Sigmoid => FusedActivation::Sigmoid,
            Activation::Relu => FusedActivation::Relu,
            Activation::LeakyRelu { negative_slope } => FusedActivation::LeakyRelu {
                negative_slope: negative_slope as f32,
            },
            Activation::Identity => FusedActivation::Identity,
        }
    }

    /// The name recipes use: `"tanh"`, `"sigmoid"`, `"relu"`, `"leaky-relu"`, `"identity"`.
    pub fn name(&self) -> &'static str {
        match self {
            Activation::Tanh => "tanh",
            Activation::Sigmoid => "sigmoid",
            Activation::Relu => "relu",
            Activation::LeakyRelu { .. } => "leaky-relu",
            Activation::Identity => "identity",
        }
    }
}
