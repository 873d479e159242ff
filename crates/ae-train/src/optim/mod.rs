//! Optimisers from recipe specs, their checkpoints, and the learning-rate schedule.

mod one_pass;

use std::path::Path;

use ae_kernels::{AdamSettings, SgdSettings};
use burn::optim::ModuleOptimizer;

pub use one_pass::{OnePassAdam, OnePassSgd};

use crate::error::TrainError;
use crate::recipe::{OptimizerSpec, Schedule};

/// A fresh optimiser for `spec` (PyTorch semantics: SGD without dampening, Adam's `eps` as given).
///
/// Burn's SGD and Adam arithmetic, with each parameter's update done in one pass on flex
/// ([`OnePassSgd`], [`OnePassAdam`]); their checkpoints have Burn's layout.
pub fn build_optimizer(spec: &OptimizerSpec) -> ModuleOptimizer {
    match spec {
        OptimizerSpec::Sgd {
            momentum,
            weight_decay,
            ..
        } => OnePassSgd::new(SgdSettings {
            momentum: *momentum as f32,
            dampening: 0.0,
            weight_decay: *weight_decay as f32,
            nesterov: false,
        })
        .into(),
        OptimizerSpec::Adam {
            betas,
            eps,
            weight_decay,
            ..
        } => OnePassAdam::new(AdamSettings {
            beta_1: betas[0] as f32,
            beta_2: betas[1] as f32,
            epsilon: *eps as f32,
            weight_decay: *weight_decay as f32,
        })
        .into(),
    }
}

/// Saves the optimiser's state (moments, step counts) as a burnpack file.
pub fn save_optimizer(optim: &ModuleOptimizer, path: &Path) -> Result<(), TrainError> {
    optim.save(path).map_err(|e| TrainError::Checkpoint {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// Loads state saved by [`save_optimizer`] into a fresh optimiser of the same spec.
///
/// Burn materialises the loaded state on its default device and moves each parameter's state
/// to that parameter's device at the next step. When the default device cannot be created
/// (a wgpu build without an adapter) Burn panics; that is reported as an error here.
pub fn load_optimizer(spec: &OptimizerSpec, path: &Path) -> Result<ModuleOptimizer, TrainError> {
    let fresh = build_optimizer(spec);
    let loaded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| fresh.load(path)));
    match loaded {
        Ok(Ok(optim)) => Ok(optim),
        Ok(Err(e)) => Err(TrainError::Checkpoint {
            path: path.to_path_buf(),
            message: e.to_string(),
        }),
        Err(_) => Err(TrainError::Checkpoint {
            path: path.to_path_buf(),
            message: "loading the optimiser state failed inside Burn (its default device could not be created; with a wgpu build, a GPU adapter is needed to resume)".into(),
        }),
    }
}

/// The learning rate at `step` (from 0) of `epoch` (from 0) of a stage of `epochs` epochs of
/// `steps_per_epoch` steps: a pure function, so a resumed run follows the same schedule.
pub fn learning_rate(
    base: f64,
    schedule: Option<&Schedule>,
    epoch: usize,
    step: usize,
    epochs: usize,
    steps_per_epoch: usize,
) -> f64 {
    match schedule {
        None => base,
        Some(Schedule::Step {
            every_epochs,
            gamma,
        }) => base * gamma.powi((epoch / (*every_epochs).max(1)) as i32),
        Some(Schedule::Cosine { min_lr }) => {
            let total = (epochs * steps_per_epoch).max(1) as f64;
            let t = (epoch * steps_per_epoch + step) as f64;
            min_lr + 0.5 * (base - min_lr) * (1.0 + (std::f64::consts::PI * t / total).cos())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_schedule_decays_every_n_epochs() {
        let s = Schedule::Step {
            every_epochs: 2,
            gamma: 0.5,
        };
        let lr = |epoch| learning_rate(1.0, Some(&s), epoch, 7, 10, 80);
        assert_eq!(lr(0), 1.0);
        assert_eq!(lr(1), 1.0);
        assert_eq!(lr(2), 0.5);
        assert_eq!(lr(5), 0.25);
    }

    #[test]
    fn cosine_schedule_goes_from_base_to_min() {
        let s = Schedule::Cosine { min_lr: 0.1 };
        assert!((learning_rate(1.1, Some(&s), 0, 0, 4, 10) - 1.1).abs() < 1e-12);
        // Half way: the mean of base and min.
        assert!((learning_rate(1.1, Some(&s), 2, 0, 4, 10) - 0.6).abs() < 1e-12);
        let last = learning_rate(1.1, Some(&s), 3, 9, 4, 10);
        assert!(last > 0.1 && last < 0.11);
        assert_eq!(learning_rate(0.3, None, 3, 9, 4, 10), 0.3);
    }
}
