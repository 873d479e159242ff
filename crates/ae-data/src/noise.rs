//! Input corruption for denoising autoencoders.

use rand::Rng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

use crate::error::DataError;

/// Noise added to a batch's input; the clean batch stays the reconstruction target.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Noise {
    /// No corruption: the input is the clean image.
    #[default]
    None,
    /// Additive Gaussian noise, not clamped (the denoising notebook: mean 0.1, std 0.2).
    Gaussian { mean: f32, std: f32 },
    /// Each pixel set to 0 with probability `fraction`.
    Masking { fraction: f32 },
    /// Each pixel set to 0 or 1 (equally likely) with probability `fraction`.
    SaltPepper { fraction: f32 },
}

impl Noise {
    /// Checks the parameters: a finite mean, std ≥ 0, fractions in [0, 1].
    pub fn validate(&self) -> Result<(), DataError> {
        let bad = |msg: String| Err(DataError::InvalidArgument(msg));
        match *self {
            Noise::None => Ok(()),
            Noise::Gaussian { mean, std } => {
                if !mean.is_finite() || !std.is_finite() || std < 0.0 {
                    bad(format!(
                        "gaussian noise needs a finite mean and std >= 0, got mean {mean}, std {std}"
                    ))
                } else {
                    Ok(())
                }
            }
            Noise::Masking { fraction } | Noise::SaltPepper { fraction } => {
                if !(0.0..=1.0).contains(&fraction) {
                    bad(format!("noise fraction must be in [0, 1], got {fraction}"))
                } else {
                    Ok(())
                }
            }
        }
    }

    /// Corrupts `pixels` in place, drawing from `rng`.
    pub fn apply(&self, pixels: &mut [f32], rng: &mut StdRng) {
        match *self {
            Noise::None => {}
            Noise::Gaussian { mean, std } => {
                if let Ok(normal) = Normal::new(mean, std) {
                    for p in pixels.iter_mut() {
                        *p += normal.sample(rng);
                    }
                }
            }
            Noise::Masking { fraction } => {
                for p in pixels.iter_mut() {
                    if rng.random::<f32>() < fraction {
                        *p = 0.0;
                    }
                }
            }
            Noise::SaltPepper { fraction } => {
                for p in pixels.iter_mut() {
                    if rng.random::<f32>() < fraction {
                        *p = if rng.random::<bool>() { 1.0 } else { 0.0 };
                    }
                }
            }
        }
    }
}
