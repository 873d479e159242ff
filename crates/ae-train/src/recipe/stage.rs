//! A stage of a recipe: its objective, epochs, optimiser, schedule, noise, sparsity penalty,
//! growth and classifier head.

use ae_data::Noise;
use ae_models::Likelihood;
use serde::{Deserialize, Serialize};

use crate::model::GrowSpec;

/// What a stage optimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StageKind {
    /// MSE between the output and the clean input (the input may be noisy), plus the sparsity
    /// penalty when one is configured.
    Reconstruction,
    /// NLL of the log-softmax output (cross-entropy).
    Classification,
}

impl StageKind {
    /// `"reconstruction"` or `"classification"`.
    pub fn as_str(self) -> &'static str {
        match self {
            StageKind::Reconstruction => "reconstruction",
            StageKind::Classification => "classification",
        }
    }
}

/// One stage of the pipeline: its own epochs, optimiser and objective.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    /// Shown in logs, metrics and the report; defaults to `stage<N>-<kind>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `"reconstruction"` or `"classification"`.
    pub kind: StageKind,
    /// Number of epochs, at least 1.
    pub epochs: usize,
    /// Overrides the recipe's batch size for this stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_size: Option<usize>,
    /// The optimiser.
    pub optimizer: OptimizerSpec,
    /// Learning-rate schedule over the stage (constant when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Schedule>,
    /// Noise added to the input (the target stays clean).
    #[serde(default, skip_serializing_if = "is_no_noise")]
    pub noise: Noise,
    /// Sparsity penalty on the code (reconstruction stages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sparsity: Option<Sparsity>,
    /// Adds an inner layer pair to a stacked autoencoder before this stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grow: Option<GrowSpec>,
    /// The classifier head (classification stages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head: Option<Head>,
    /// Train only the head; the pretrained encoder stays fixed (classification stages).
    #[serde(default, skip_serializing_if = "is_false")]
    pub freeze_encoder: bool,
    /// A variational autoencoder's weight of the KL term: 1 (the default) the VAE, above 1 a
    /// β-VAE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beta: Option<f64>,
    /// A variational autoencoder's likelihood of the pixels: `"bernoulli"` (the default:
    /// binary cross-entropy summed over the pixels, as pytorch/examples) or `"gaussian"`
    /// (unit variance: half the summed squared error, plus a constant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub likelihood: Option<Likelihood>,
}

fn is_no_noise(noise: &Noise) -> bool {
    *noise == Noise::None
}
fn is_false(b: &bool) -> bool {
    !*b
}

impl Stage {
    /// The stage's name, or `stage<index+1>-<kind>`.
    pub fn display_name(&self, index: usize) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("stage{}-{}", index + 1, self.kind.as_str()))
    }
}

/// An optimiser and its hyper-parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum OptimizerSpec {
    /// Stochastic gradient descent, PyTorch semantics (no dampening).
    Sgd {
        lr: f64,
        #[serde(default)]
        momentum: f64,
        #[serde(default)]
        weight_decay: f64,
    },
    /// Adam; `eps` defaults to PyTorch's 1e-8 (Burn's own default is 1e-5).
    Adam {
        lr: f64,
        #[serde(default = "default_betas")]
        betas: [f64; 2],
        #[serde(default = "default_eps")]
        eps: f64,
        #[serde(default)]
        weight_decay: f64,
    },
}

fn default_betas() -> [f64; 2] {
    [0.9, 0.999]
}
fn default_eps() -> f64 {
    1e-8
}

impl OptimizerSpec {
    /// The base learning rate.
    pub fn lr(&self) -> f64 {
        match self {
            OptimizerSpec::Sgd { lr, .. } | OptimizerSpec::Adam { lr, .. } => *lr,
        }
    }
}

/// A learning-rate schedule within a stage; the rate is a pure function of epoch and step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Schedule {
    /// Multiply the rate by `gamma` every `every_epochs` epochs.
    Step { every_epochs: usize, gamma: f64 },
    /// Cosine decay from the optimiser's rate to `min_lr` over the stage's steps.
    Cosine {
        #[serde(default)]
        min_lr: f64,
    },
}

/// A sparsity penalty on the code of a reconstruction stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Sparsity {
    /// `rho * sum(|h|)` over batch and units (the notebook's L1Penalty, gradient `rho*sign(h)`).
    L1 { rho: f64 },
    /// `beta * KL(target || mean activation)` summed over units.
    Kl { target: f64, beta: f64 },
}

/// A classifier head on the encoder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Head {
    /// Number of classes, checked against the dataset's (10 for the built-in ones) when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classes: Option<usize>,
    /// The head's input size, checked against the encoder's output when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<usize>,
}
