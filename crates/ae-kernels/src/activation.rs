//! The activations a fused layer can end with, element by element.

use burn::tensor::{Tensor, activation};

/// The activation at the end of a fused layer.
///
/// Every one has a derivative that can be read from its *output* `y`, which is what lets the
/// fused backward pass skip the input: tanh `1 - y²`, sigmoid `y (1 - y)`, (leaky) ReLU `1` where
/// `y > 0` and the slope elsewhere (so a negative slope is not supported: see [`Self::fusable`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FusedActivation {
    /// Hyperbolic tangent.
    Tanh,
    /// Logistic sigmoid.
    Sigmoid,
    /// `max(0, x)`.
    Relu,
    /// `x` for `x > 0`, `negative_slope * x` otherwise.
    LeakyRelu {
        /// Slope for negative inputs, at least 0.
        negative_slope: f32,
    },
    /// `x` unchanged.
    Identity,
}

impl FusedActivation {
    /// Whether the fused kernels handle this activation (a leaky ReLU with a negative slope
    /// flips signs, so its derivative cannot be read from the output).
    pub fn fusable(&self) -> bool {
        match self {
            FusedActivation::LeakyRelu { negative_slope } => *negative_slope >= 0.0,
            _ => true,
        }
    }

    /// The activation applied as Burn's own graph (every backend, autodiff included).
    pub fn apply<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        match self {
            FusedActivation::Tanh => activation::tanh(x),
            FusedActivation::Sigmoid => activation::sigmoid(x),
            FusedActivation::Relu => activation::relu(x),
            FusedActivation::LeakyRelu { negative_slope } => {
                activation::leaky_relu(x, *negative_slope as f64)
            }
            FusedActivation::Identity => x,
        }
    }

    /// `f'(x)` from the output `y = f(x)`.
    #[inline(always)]
    pub(crate) fn derivative_from_output(&self, y: f32) -> f32 {
        match self {
            FusedActivation::Tanh => 1.0 - y * y,
            FusedActivation::Sigmoid => y * (1.0 - y),
            FusedActivation::Relu => {
                if y > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            FusedActivation::LeakyRelu { negative_slope } => {
                if y > 0.0 {
                    1.0
                } else {
                    *negative_slope
                }
            }
            FusedActivation::Identity => 1.0,
        }
    }
}

/// `e^x` in f32 to about 2 ulp, branch-free so that it vectorises: `x = n ln 2 + r` with
/// `|r| <= ln 2 / 2` (ln 2 split in two parts for the reduction), a degree-6 Taylor polynomial
/// for `e^r`, and `2^n` put into the exponent bits. Inputs are clamped to [-87, 88], where
/// `2^n` stays a normal number.
#[inline(always)]
pub(crate) fn exp_f32(x: f32) -> f32 {
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // Adding and removing 1.5 * 2^23 rounds to the nearest integer without a rounding call.
    const ROUND: f32 = 12_582_912.0;
    let x = x.clamp(-87.0, 88.0);
    let n = (x * core::f32::consts::LOG2_E + ROUND) - ROUND;
    let r = x - n * LN2_HI - n * LN2_LO;
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    let scale = f32::from_bits(((n as i32 + 127) as u32) << 23);
    p * scale
}

/// `tanh(x)`: Cephes' odd minimax polynomial below |x| = 0.625 (where `1 - 2/(e^2x + 1)` would
/// cancel), the exponential form above it.
#[inline(always)]
pub(crate) fn tanh_f32(x: f32) -> f32 {
    let a = x.abs();
    let z = x * x;
    let small =
        ((((-5.704_988_7e-3 * z + 2.063_908_9e-2) * z - 5.373_971_6e-2) * z + 1.333_144_2e-1) * z
            - 3.333_328_2e-1)
            * z
            * x
            + x;
    let large = (1.0 - 2.0 / (exp_f32(2.0 * a) + 1.0)).copysign(x);
    if a < 0.625 { small } else { large }
}

/// `1 / (1 + e^-x)`, computed from `e^-|x|` so neither side cancels or overflows.
#[inline(always)]
pub(crate) fn sigmoid_f32(x: f32) -> f32 {
    let e = exp_f32(-x.abs());
    let s = 1.0 / (1.0 + e);
    if x < 0.0 { e * s } else { s }
}
