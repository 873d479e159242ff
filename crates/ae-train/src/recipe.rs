//! The recipe: one experiment as a TOML file — dataset, model, stacking strategy and the
//! sequence of training stages — and its validation.

use std::path::Path;

use ae_data::{DatasetName, NUM_CLASSES, Noise, Resize};
use ae_models::Activation;
use serde::{Deserialize, Serialize};

use crate::arch::{Arch, GrowSpec, Upsample};
use crate::error::RecipeError;

/// One experiment: what to train on, what to train and how.
///
/// Read from TOML with [`Recipe::from_toml_str`] or [`Recipe::from_file`] (both validate);
/// unknown keys are refused. See the crate documentation for complete examples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipe {
    /// Names the run folder (`<name>-<timestamp>`): letters, digits, `-`, `_` and `.`.
    pub name: String,
    /// Free text shown in the report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Drives initialisation, shuffling and noise.
    #[serde(default)]
    pub seed: u64,
    /// The dataset, e.g. `"mnist"`, `"fashion-mnist"`, `"cifar10"`, `"mnist-mini"`.
    pub dataset: DatasetName,
    /// How images are brought to the model's size: `"keep"`, `"pad32"` or `"bilinear32"`.
    #[serde(default)]
    pub resize: Resize,
    /// Training batch size (a stage may override it).
    pub batch_size: usize,
    /// Batch size for evaluating the test set.
    #[serde(default = "default_eval_batch_size")]
    pub eval_batch_size: usize,
    /// Train on the first `limit` training images only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    /// Evaluate on the first `test_limit` test images only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_limit: Option<usize>,
    /// How a stacked autoencoder's layers are trained: `"greedy"` (layer-wise, growing the
    /// stack at the stages that say `grow`) or `"end-to-end"` (the full stack from the start).
    #[serde(default)]
    pub strategy: Strategy,
    /// The model the first stage trains.
    pub model: ModelSpec,
    /// The stages, in order.
    pub stages: Vec<Stage>,
}

fn default_eval_batch_size() -> usize {
    1000
}

/// How the layers of a stacked autoencoder are trained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Train the outer autoencoder, then grow it by the next layer pair (outer weights carried
    /// over) at each stage with a `grow` key, as the stacked-autoencoder notebook does.
    #[default]
    Greedy,
    /// Build the whole stack (the model's layers and every `grow`) before the first stage and
    /// train all of it in every reconstruction stage.
    EndToEnd,
}

/// The model the first stage starts from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum ModelSpec {
    /// Dense stacked autoencoder `input - hidden[0] - ... - hidden[0] - input`; the input size is
    /// the dataset's image size after resize (784 for MNIST).
    Stacked {
        /// Encoder layer sizes, outermost first, e.g. `[400]`.
        hidden: Vec<usize>,
        /// Activation of encoder layers and inner decoder layers.
        #[serde(default = "default_activation")]
        activation: Activation,
        /// Activation of the output layer.
        #[serde(default = "default_output_activation")]
        output_activation: Activation,
    },
    /// Convolutional autoencoder for 32×32 images (any channel count) with a dense bottleneck.
    ConvAutoencoder {
        /// Size of the dense code.
        #[serde(default = "default_code_size")]
        code_size: usize,
        /// Slope of the leaky ReLUs.
        #[serde(default = "default_negative_slope")]
        negative_slope: f64,
        /// Which bilinear ×2 upsampling: `"auto"` (Burn's on flex, the portable one elsewhere),
        /// `"burn"` or `"portable"`.
        #[serde(default)]
        upsample: Upsample,
        /// Activation of the decoder's last convolution: `"relu"` (the notebook's, the
        /// default), `"sigmoid"` or `"identity"` (any [`Activation`] is accepted). A ReLU output
        /// channel whose bias starts negative is dead from the first step; the other two
        /// always pass a gradient.
        #[serde(default = "default_conv_output_activation")]
        output_activation: Activation,
    },
    /// LeNet-5 classifier for 1×32×32 images.
    Lenet,
}

fn default_activation() -> Activation {
    Activation::Tanh
}
fn default_output_activation() -> Activation {
    Activation::Sigmoid
}
pub(crate) fn default_conv_output_activation() -> Activation {
    Activation::Relu
}
fn default_code_size() -> usize {
    1024
}
fn default_negative_slope() -> f64 {
    0.1
}

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
    /// Number of classes; every dataset here has 10.
    #[serde(default = "default_classes")]
    pub classes: usize,
    /// The head's input size, checked against the encoder's output when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<usize>,
}

fn default_classes() -> usize {
    NUM_CLASSES
}

/// The model each stage trains and how it gets there from the previous stage.
#[derive(Debug, Clone, PartialEq)]
pub struct StagePlan {
    /// The stage's display name.
    pub name: String,
    /// The architecture trained in this stage.
    pub arch: Arch,
    /// How the model of the previous stage (or nothing) becomes `arch`.
    pub transition: Transition,
}

/// How a stage's model is made from the previous one.
#[derive(Debug, Clone, PartialEq)]
pub enum Transition {
    /// First stage: a freshly initialised model.
    Build,
    /// The same model continues training.
    Continue,
    /// A stacked autoencoder grows an inner layer pair (greedy strategy).
    Grow(GrowSpec),
    /// The decoder is dropped and a new classifier head is put on the encoder.
    ToClassifier { num_classes: usize },
}

impl Recipe {
    /// Parses and validates a recipe. `origin` names the text in error messages (a path).
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Recipe, RecipeError> {
        let recipe: Recipe = toml::from_str(text).map_err(|e| RecipeError::Parse {
            origin: origin.to_string(),
            message: e.to_string().trim_end().to_string(),
        })?;
        recipe.validate()?;
        Ok(recipe)
    }

    /// Reads, parses and validates a recipe file.
    pub fn from_file(path: &Path) -> Result<Recipe, RecipeError> {
        let text = std::fs::read_to_string(path).map_err(|source| RecipeError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_toml_str(&text, &path.display().to_string())
    }

    /// The recipe as TOML (what a run folder's `recipe.toml` holds).
    pub fn to_toml(&self) -> String {
        // Every field is a plain value, table or array; serialisation cannot fail.
        toml::to_string(self).unwrap_or_else(|e| format!("# recipe not serialisable: {e}\n"))
    }

    /// Applies command-line overrides: every stage's epochs, the seed, the training-sample
    /// limit and the dataset. Validate afterwards.
    pub fn apply_overrides(&mut self, overrides: &Overrides) {
        if let Some(epochs) = overrides.epochs {
            for stage in &mut self.stages {
                stage.epochs = epochs;
            }
        }
        if let Some(seed) = overrides.seed {
            self.seed = seed;
        }
        if let Some(limit) = overrides.limit {
            self.limit = Some(limit);
        }
        if let Some(test_limit) = overrides.test_limit {
            self.test_limit = Some(test_limit);
        }
        if let Some(dataset) = overrides.dataset {
            self.dataset = dataset;
        }
    }

    /// The image shape the model sees: the dataset's after `resize`, `[channels, height, width]`.
    pub fn input_shape(&self) -> Result<[usize; 3], RecipeError> {
        let [c, h, w] = self.dataset.image_shape();
        match self.resize {
            Resize::Keep => Ok([c, h, w]),
            Resize::Pad32 if h > 32 || w > 32 => Err(RecipeError::invalid(
                "resize",
                format!("\"pad32\" cannot pad {h}×{w} images to 32×32"),
            )),
            Resize::Pad32 | Resize::Bilinear32 => Ok([c, 32, 32]),
        }
    }

    /// The effective batch size of stage `index`.
    pub fn stage_batch_size(&self, index: usize) -> usize {
        self.stages[index].batch_size.unwrap_or(self.batch_size)
    }

    /// Checks everything that can be checked before touching data: sizes, ranges, the order of
    /// stages, grows and heads. The error names the offending key.
    pub fn validate(&self) -> Result<(), RecipeError> {
        self.plan().map(|_| ())
    }

    /// Validates the recipe and works out the model of every stage.
    pub fn plan(&self) -> Result<Vec<StagePlan>, RecipeError> {
        self.validate_scalars()?;
        let input = self.input_shape()?;
        let mut arch = self.initial_arch(input)?;
        let mut plans = Vec::with_capacity(self.stages.len());
        for (i, stage) in self.stages.iter().enumerate() {
            let key = |k: &str| format!("stages[{i}].{k}");
            self.validate_stage_values(i, stage)?;
            let mut transition = if i == 0 {
                Transition::Build
            } else {
                Transition::Continue
            };
            if let Some(grow) = &stage.grow {
                if grow.hidden == 0 {
                    return Err(RecipeError::Zero {
                        key: key("grow.hidden"),
                    });
                }
                if stage.kind != StageKind::Reconstruction {
                    return Err(RecipeError::invalid(
                        key("grow"),
                        "only a reconstruction stage can grow the stack",
                    ));
                }
                if !matches!(arch, Arch::Stacked { .. }) {
                    return Err(RecipeError::invalid(
                        key("grow"),
                        format!(
                            "only a stacked autoencoder can grow, this stage trains a {}",
                            arch.kind_name()
                        ),
                    ));
                }
                if self.strategy == Strategy::Greedy {
                    arch = arch.grown(grow.clone());
                    if i > 0 {
                        transition = Transition::Grow(grow.clone());
                    }
                }
            }
            match stage.kind {
                StageKind::Reconstruction => {
                    if !arch.reconstructs() {
                        return Err(RecipeError::invalid(
                            key("kind"),
                            format!(
                                "a reconstruction stage needs an autoencoder, but this stage's model is a {}",
                                arch.kind_name()
                            ),
                        ));
                    }
                }
                StageKind::Classification => {
                    let head = stage.head.clone().unwrap_or(Head {
                        classes: NUM_CLASSES,
                        input: None,
                    });
                    if head.classes != NUM_CLASSES {
                        return Err(RecipeError::invalid(
                            key("head.classes"),
                            format!(
                                "is {}, but {} has {NUM_CLASSES} classes; expected {NUM_CLASSES}",
                                head.classes, self.dataset
                            ),
                        ));
                    }
                    if let Some(found) = head.input {
                        let expected = arch.code_size();
                        if found != expected {
                            return Err(RecipeError::HeadMismatch {
                                key: key("head.input"),
                                expected,
                                found,
                            });
                        }
                    }
                    if stage.freeze_encoder && matches!(arch, Arch::Lenet { .. }) {
                        return Err(RecipeError::invalid(
                            key("freeze_encoder"),
                            "LeNet-5 has no pretrained encoder to freeze",
                        ));
                    }
                    if arch.reconstructs() {
                        arch = Arch::Classifier {
                            encoder: Box::new(arch),
                            num_classes: head.classes,
                        };
                        transition = if i == 0 {
                            Transition::Build
                        } else {
                            Transition::ToClassifier {
                                num_classes: head.classes,
                            }
                        };
                    }
                }
            }
            if stage.kind == StageKind::Reconstruction {
                if stage.head.is_some() {
                    return Err(RecipeError::invalid(
                        key("head"),
                        "only a classification stage has a head",
                    ));
                }
                if stage.freeze_encoder {
                    return Err(RecipeError::invalid(
                        key("freeze_encoder"),
                        "only a classification stage can freeze the encoder",
                    ));
                }
            } else if stage.sparsity.is_some() {
                return Err(RecipeError::invalid(
                    key("sparsity"),
                    "a sparsity penalty applies to reconstruction stages only",
                ));
            }
            plans.push(StagePlan {
                name: stage.display_name(i),
                arch: arch.clone(),
                transition,
            });
        }
        Ok(plans)
    }

    fn validate_scalars(&self) -> Result<(), RecipeError> {
        if self.name.is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            || self.name.starts_with('.')
        {
            return Err(RecipeError::invalid(
                "name",
                format!(
                    "{:?} cannot name a run folder; expected letters, digits, '-', '_' or '.'",
                    self.name
                ),
            ));
        }
        for (key, value) in [
            ("batch_size", Some(self.batch_size)),
            ("eval_batch_size", Some(self.eval_batch_size)),
            ("limit", self.limit),
            ("test_limit", self.test_limit),
        ] {
            if value == Some(0) {
                return Err(RecipeError::Zero { key: key.into() });
            }
        }
        if self.stages.is_empty() {
            return Err(RecipeError::invalid(
                "stages",
                "the recipe has no stage; expected at least one [[stages]] table",
            ));
        }
        Ok(())
    }

    fn validate_stage_values(&self, i: usize, stage: &Stage) -> Result<(), RecipeError> {
        let key = |k: &str| format!("stages[{i}].{k}");
        if stage.epochs == 0 {
            return Err(RecipeError::Zero { key: key("epochs") });
        }
        if stage.batch_size == Some(0) {
            return Err(RecipeError::Zero {
                key: key("batch_size"),
            });
        }
        if let Some(name) = &stage.name
            && name.trim().is_empty()
        {
            return Err(RecipeError::invalid(key("name"), "is empty"));
        }
        let positive = |k: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(RecipeError::invalid(
                    key(k),
                    format!("is {v}, expected a finite number > 0"),
                ))
            }
        };
        let non_negative = |k: &str, v: f64| {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                Err(RecipeError::invalid(
                    key(k),
                    format!("is {v}, expected a finite number >= 0"),
                ))
            }
        };
        let unit = |k: &str, v: f64| {
            if (0.0..1.0).contains(&v) {
                Ok(())
            } else {
                Err(RecipeError::invalid(
                    key(k),
                    format!("is {v}, expected a number in [0, 1)"),
                ))
            }
        };
        match &stage.optimizer {
            OptimizerSpec::Sgd {
                lr,
                momentum,
                weight_decay,
            } => {
                positive("optimizer.lr", *lr)?;
                unit("optimizer.momentum", *momentum)?;
                non_negative("optimizer.weight_decay", *weight_decay)?;
            }
            OptimizerSpec::Adam {
                lr,
                betas,
                eps,
                weight_decay,
            } => {
                positive("optimizer.lr", *lr)?;
                unit("optimizer.betas[0]", betas[0])?;
                unit("optimizer.betas[1]", betas[1])?;
                positive("optimizer.eps", *eps)?;
                non_negative("optimizer.weight_decay", *weight_decay)?;
            }
        }
        match &stage.schedule {
            None => {}
            Some(Schedule::Step {
                every_epochs,
                gamma,
            }) => {
                if *every_epochs == 0 {
                    return Err(RecipeError::Zero {
                        key: key("schedule.every_epochs"),
                    });
                }
                positive("schedule.gamma", *gamma)?;
            }
            Some(Schedule::Cosine { min_lr }) => {
                non_negative("schedule.min_lr", *min_lr)?;
                if *min_lr > stage.optimizer.lr() {
                    return Err(RecipeError::invalid(
                        key("schedule.min_lr"),
                        format!(
                            "is {min_lr}, above the optimiser's lr {}; expected at most that",
                            stage.optimizer.lr()
                        ),
                    ));
                }
            }
        }
        stage
            .noise
            .validate()
            .map_err(|e| RecipeError::invalid(key("noise"), e.to_string()))?;
        match &stage.sparsity {
            None => {}
            Some(Sparsity::L1 { rho }) => non_negative("sparsity.rho", *rho)?,
            Some(Sparsity::Kl { target, beta }) => {
                if !(*target > 0.0 && *target < 1.0) {
                    return Err(RecipeError::invalid(
                        key("sparsity.target"),
                        format!("is {target}, expected a number in (0, 1)"),
                    ));
                }
                non_negative("sparsity.beta", *beta)?;
            }
        }
        Ok(())
    }

    /// The architecture before the first stage's `grow`.
    fn initial_arch(&self, input: [usize; 3]) -> Result<Arch, RecipeError> {
        let [c, h, w] = input;
        match &self.model {
            ModelSpec::Stacked {
                hidden,
                activation,
                output_activation,
            } => {
                if hidden.is_empty() {
                    return Err(RecipeError::invalid(
                        "model.hidden",
                        "is empty, expected at least one layer size, e.g. [400]",
                    ));
                }
                if let Some(i) = hidden.iter().position(|&h| h == 0) {
                    return Err(RecipeError::Zero {
                        key: format!("model.hidden[{i}]"),
                    });
                }
                let mut grown = Vec::new();
                if self.strategy == Strategy::EndToEnd {
                    grown.extend(self.stages.iter().filter_map(|s| s.grow.clone()));
                }
                Ok(Arch::Stacked {
                    input_size: c * h * w,
                    hidden: hidden.clone(),
                    activation: *activation,
                    output_activation: *output_activation,
                    grown,
                })
            }
            ModelSpec::ConvAutoencoder {
                code_size,
                negative_slope,
                upsample,
                output_activation,
            } => {
                if (h, w) != (32, 32) {
                    return Err(RecipeError::invalid(
                        "resize",
                        format!(
                            "the conv autoencoder needs 32×32 images but {} has {h}×{w}; set resize = \"pad32\" or \"bilinear32\"",
                            self.dataset
                        ),
                    ));
                }
                if *code_size == 0 {
                    return Err(RecipeError::Zero {
                        key: "model.code_size".into(),
                    });
                }
                if !negative_slope.is_finite() {
                    return Err(RecipeError::invalid(
                        "model.negative_slope",
                        "expected a finite number",
                    ));
                }
                Ok(Arch::ConvAutoencoder {
                    in_channels: c,
                    code_size: *code_size,
                    negative_slope: *negative_slope,
                    upsample: *upsample,
                    output_activation: *output_activation,
                })
            }
            ModelSpec::Lenet => {
                if c != 1 {
                    return Err(RecipeError::invalid(
                        "dataset",
                        format!(
                            "LeNet-5 takes 1-channel images but {} has {c} channels",
                            self.dataset
                        ),
                    ));
                }
                if (h, w) != (32, 32) {
                    return Err(RecipeError::invalid(
                        "resize",
                        format!(
                            "LeNet-5 needs 32×32 images but {} has {h}×{w}; set resize = \"bilinear32\" or \"pad32\"",
                            self.dataset
                        ),
                    ));
                }
                Ok(Arch::Lenet {
                    num_classes: NUM_CLASSES,
                })
            }
        }
    }
}

/// Values the command line may override in a recipe.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    /// Every stage's epochs.
    pub epochs: Option<usize>,
    /// The seed.
    pub seed: Option<u64>,
    /// Train on the first `limit` images.
    pub limit: Option<usize>,
    /// Evaluate on the first `test_limit` test images.
    pub test_limit: Option<usize>,
    /// Another dataset.
    pub dataset: Option<DatasetName>,
}
