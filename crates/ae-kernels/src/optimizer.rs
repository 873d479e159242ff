//! Optimiser updates in one pass per parameter tensor, in place where nothing else holds the
//! tensors (flex); Burn's own sequence of tensor operations elsewhere.
//!
//! The arithmetic is PyTorch's (and Burn's): weight decay added to the gradient, SGD's velocity
//! `v = μ v + (1 - dampening) g` (the first step takes `v = g`), Adam's moments with the bias
//! corrections folded into one factor.

use burn::backend::Dispatch;
use burn::tensor::{DType, Tensor};

use crate::extension::OptimizerKernels;

/// SGD's settings (learning rate apart).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SgdSettings {
    /// Momentum factor μ; 0 for plain SGD.
    pub momentum: f32,
    /// Dampening of the gradient's share of the velocity.
    pub dampening: f32,
    /// L2 penalty added to the gradient (`g + λ p`); 0 for none.
    pub weight_decay: f32,
    /// Nesterov momentum: the step is `g + μ v` instead of `v`.
    pub nesterov: bool,
}

/// Adam's settings (learning rate apart).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamSettings {
    /// Decay of the first moment.
    pub beta_1: f32,
    /// Decay of the second moment.
    pub beta_2: f32,
    /// Added to the root of the second moment.
    pub epsilon: f32,
    /// L2 penalty added to the gradient (`g + λ p`); 0 for none.
    pub weight_decay: f32,
}

/// One SGD step with momentum from an existing velocity: returns `(parameter, velocity)`.
///
/// param, grad, velocity: the same shape `S` -> two tensors of shape `S`
pub fn sgd_momentum_step<const D: usize>(
    param: Tensor<D>,
    grad: Tensor<D>,
    velocity: Tensor<D>,
    lr: f64,
    settings: &SgdSettings,
) -> (Tensor<D>, Tensor<D>) {
    if fusable(&[&param, &grad, &velocity]) {
        let (param, velocity) = <Dispatch as OptimizerKernels>::sgd_momentum_step(
            param.into_dispatch(),
            grad.into_dispatch(),
            velocity.into_dispatch(),
            lr as f32,
            *settings,
        );
        return (
            Tensor::from_dispatch(param),
            Tensor::from_dispatch(velocity),
        );
    }
    let grad = with_weight_decay(grad, &param, settings.weight_decay);
    let velocity = velocity
        .mul_scalar(settings.momentum)
        .add(grad.clone().mul_scalar(1.0 - settings.dampening));
    let step = if settings.nesterov {
        grad + velocity.clone().mul_scalar(settings.momentum)
    } else {
        velocity.clone()
    };
    (param - step.mul_scalar(lr), velocity)
}

/// One plain SGD step (no momentum): `param - lr (g + λ param)`.
///
/// param, grad: the same shape `S` -> shape `S`
pub fn sgd_step<const D: usize>(
    param: Tensor<D>,
    grad: Tensor<D>,
    lr: f64,
    weight_decay: f32,
) -> Tensor<D> {
    if fusable(&[&param, &grad]) {
        return Tensor::from_dispatch(<Dispatch as OptimizerKernels>::sgd_step(
            param.into_dispatch(),
            grad.into_dispatch(),
            lr as f32,
            weight_decay,
        ));
    }
    let grad = with_weight_decay(grad, &param, weight_decay);
    param - grad.mul_scalar(lr)
}

/// One Adam step at step number `time` (from 1) from the moments after `time - 1` steps (zeros
/// before the first): returns `(parameter, first moment, second moment)`.
///
/// param, grad, moment_1, moment_2: the same shape `S` -> three tensors of shape `S`
pub fn adam_step<const D: usize>(
    param: Tensor<D>,
    grad: Tensor<D>,
    [moment_1, moment_2]: [Tensor<D>; 2],
    time: usize,
    lr: f64,
    settings: &AdamSettings,
) -> (Tensor<D>, Tensor<D>, Tensor<D>) {
    if fusable(&[&param, &grad, &moment_1, &moment_2]) {
        let (param, moment_1, moment_2) = <Dispatch as OptimizerKernels>::adam_step(
            param.into_dispatch(),
            grad.into_dispatch(),
            moment_1.into_dispatch(),
            moment_2.into_dispatch(),
            time as u32,
            lr as f32,
            *settings,
        );
        return (
            Tensor::from_dispatch(param),
            Tensor::from_dispatch(moment_1),
            Tensor::from_dispatch(moment_2),
        );
    }
    let AdamSettings {
        beta_1,
        beta_2,
        epsilon,
        weight_decay,
    } = *settings;
    let grad = with_weight_decay(grad, &param, weight_decay);
    let moment_1 = moment_1
        .mul_scalar(beta_1)
        .add(grad.clone().mul_scalar(1.0 - beta_1));
    let moment_2 = moment_2
        .mul_scalar(beta_2)
        .add(grad.square().mul_scalar(1.0 - beta_2));
    let (step_factor, epsilon_factor) = adam_factors(settings, time);
    let step = moment_1
        .clone()
        .mul_scalar(step_factor)
        .div(moment_2.clone().sqrt().add_scalar(epsilon * epsilon_factor));
    (param - step.mul_scalar(lr), moment_1, moment_2)
}

/// Burn's (and PyTorch's) bias corrections at step `time`, as the factor on the first moment and
/// the factor on epsilon: `sqrt(1 - β₂ᵗ) / (1 - β₁ᵗ)` and `sqrt(1 - β₂ᵗ)`.
pub(crate) fn adam_factors(settings: &AdamSettings, time: usize) -> (f32, f32) {
    let time = time.min(i32::MAX as usize) as i32;
    let correction_2 = (1.0 - settings.beta_2.powi(time)).sqrt();
    (
        correction_2 / (1.0 - settings.beta_1.powi(time)),
        correction_2,
    )
}

fn with_weight_decay<const D: usize>(grad: Tensor<D>, param: &Tensor<D>, decay: f32) -> Tensor<D> {
    if decay == 0.0 {
        grad
    } else {
        grad + param.clone().mul_scalar(decay)
    }
}

/// Same shape, f32, on flex, kernels enabled.
fn fusable<const D: usize>(tensors: &[&Tensor<D>]) -> bool {
    let first = tensors[0];
    crate::fused_on(&first.device())
        && tensors
            .iter()
            .all(|t| t.dtype() == DType::F32 && t.shape() == first.shape())
}
