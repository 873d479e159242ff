//! SGD and Adam as Burn optimisers whose per-parameter update is one of `ae_kernels`' one-pass
//! kernels (Burn's own `Sgd` and `Adam` run 5 and 13 tensor operations per parameter).
//!
//! Their states have the field names of Burn's (`momentum.velocity`; Adam's own state type), so
//! optimiser checkpoints written by Burn's optimisers load here and the other way round.

use ae_kernels::{AdamSettings, SgdSettings, adam_step, sgd_momentum_step, sgd_step};
use burn::optim::{
    AdamState, AdaptiveMomentumState, LearningRate, Optimizer, RecordState, StateSink, StateSource,
};
use burn::tensor::{Device, Tensor};

/// SGD (with momentum when `settings.momentum > 0`), one pass per parameter on flex.
#[derive(Clone, Debug)]
pub struct OnePassSgd {
    settings: SgdSettings,
}

impl OnePassSgd {
    /// SGD with these settings.
    pub fn new(settings: SgdSettings) -> Self {
        Self { settings }
    }
}

/// The state of [`OnePassSgd`] for one parameter: the velocity, with momentum.
#[derive(Clone)]
pub struct SgdState<const D: usize> {
    /// `μ v + (1 - dampening) g` so far.
    pub velocity: Option<Tensor<D>>,
}

/// Where Burn's `SgdState { momentum: Option<MomentumState { velocity }> }` keeps the velocity.
const VELOCITY_KEY: &str = "momentum.velocity";

impl<const D: usize> RecordState for SgdState<D> {
    fn state_flatten(&self, prefix: &str, out: &mut StateSink) {
        if let Some(velocity) = &self.velocity {
            out.push_tensor(prefix, VELOCITY_KEY, velocity.clone().into_data());
        }
    }

    fn state_unflatten(prefix: &str, src: &mut StateSource, device: &Device) -> Option<Self> {
        let velocity = src
            .take_tensor(prefix, VELOCITY_KEY)
            .map(|data| Tensor::from_data(data, device));
        Some(SgdState { velocity })
    }
}

impl Optimizer for OnePassSgd {
    type State<const D: usize> = SgdState<D>;

    fn step<const D: usize>(
        &self,
        lr: LearningRate,
        tensor: Tensor<D>,
        grad: Tensor<D>,
        state: Option<Self::State<D>>,
    ) -> (Tensor<D>, Option<Self::State<D>>) {
        let settings = &self.settings;
        if settings.momentum == 0.0 {
            let tensor = sgd_step(tensor, grad, lr, settings.weight_decay);
            return (tensor, Some(SgdState { velocity: None }));
        }
        let (tensor, velocity) = match state.and_then(|state| state.velocity) {
            Some(velocity) => sgd_momentum_step(tensor, grad, velocity, lr, settings),
            // PyTorch's and Burn's first step: the velocity is the (decayed) gradient itself.
            None => {
                let grad = if settings.weight_decay == 0.0 {
                    grad
                } else {
                    grad + tensor.clone().mul_scalar(settings.weight_decay)
                };
                let step = if settings.nesterov {
                    grad.clone() + grad.clone().mul_scalar(settings.momentum)
                } else {
                    grad.clone()
                };
                (tensor - step.mul_scalar(lr), grad)
            }
        };
        let velocity = Some(velocity);
        (tensor, Some(SgdState { velocity }))
    }

    fn to_device<const D: usize>(state: Self::State<D>, device: &Device) -> Self::State<D> {
        SgdState {
            velocity: state.velocity.map(|velocity| velocity.to_device(device)),
        }
    }
}

/// Adam, one pass per parameter on flex; its state is Burn's `AdamState`.
#[derive(Clone, Debug)]
pub struct OnePassAdam {
    settings: AdamSettings,
}

impl OnePassAdam {
    /// Adam with these settings.
    pub fn new(settings: AdamSettings) -> Self {
        Self { settings }
    }
}

impl Optimizer for OnePassAdam {
    type State<const D: usize> = AdamState<D>;

    fn step<const D: usize>(
        &self,
        lr: LearningRate,
        tensor: Tensor<D>,
        grad: Tensor<D>,
        state: Option<Self::State<D>>,
    ) -> (Tensor<D>, Option<Self::State<D>>) {
        let (moments, time) = match state {
            Some(state) => {
                let momentum = state.momentum;
                ([momentum.moment_1, momentum.moment_2], momentum.time + 1)
            }
            None => {
                let zeros = || Tensor::zeros(tensor.shape(), &tensor.device());
                ([zeros(), zeros()], 1)
            }
        };
        let (tensor, moment_1, moment_2) =
            adam_step(tensor, grad, moments, time, lr, &self.settings);
        let momentum = AdaptiveMomentumState::new(time, moment_1, moment_2);
        (tensor, Some(AdamState::new(momentum)))
    }

    fn to_device<const D: usize>(mut state: Self::State<D>, device: &Device) -> Self::State<D> {
        state.momentum = state.momentum.to_device(device);
        state
    }
}
