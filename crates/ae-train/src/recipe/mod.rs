//! The recipe: one experiment as a TOML file — dataset, model, stacking strategy and the
//! sequence of training stages. This file is the schema of the file and its reading; the
//! stages' keys are in [`stage`], the checks in [`validate`] and the working out of every
//! stage's model in [`plan`].

mod plan;
mod stage;
mod validate;

use std::path::Path;

use ae_data::{DatasetId, NUM_CLASSES, Resize};
use serde::{Deserialize, Serialize};

pub use plan::{StagePlan, Transition};
pub use stage::{Head, OptimizerSpec, Schedule, Sparsity, Stage, StageKind};

use crate::error::RecipeError;
use crate::model::ModelSpec;

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
    /// The dataset: `"mnist"`, `"fashion-mnist"`, `"cifar10"`, `"mnist-mini"`, a folder of
    /// pictures (`"path/to/pictures"`, laid out as torchvision's `ImageFolder`) or a NumPy file
    /// (`"digits.npz"`).
    pub dataset: DatasetId,
    /// For a folder or NumPy file: the shape `[channels, height, width]` its pictures are
    /// brought to (arrays must have it) before `resize`. A `--dataset PATH` on a recipe written
    /// for a built-in dataset takes that dataset's shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_shape: Option<[usize; 3]>,
    /// For a folder or NumPy file without its own train / test split: the share of each class
    /// held out for testing (seeded by `seed`), 0.2 when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_fraction: Option<f64>,
    /// For a folder or NumPy file: how many classes it has (0: unlabelled). Filled in when a
    /// run reads the data; a recipe need not give it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classes: Option<usize>,
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

/// The test share of a seeded split when the recipe gives none (torchvision users' usual 80/20).
pub const DEFAULT_TEST_FRACTION: f64 = 0.2;

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
        if let Some(dataset) = &overrides.dataset {
            match (self.dataset.named(), dataset.named()) {
                // A user's data on a recipe written for a built-in dataset: that dataset's shape.
                (Some(was), None) if self.image_shape.is_none() => {
                    self.image_shape = Some(was.image_shape());
                }
                (_, Some(_)) => self.image_shape = None,
                _ => {}
            }
            if *dataset != self.dataset {
                self.classes = None;
            }
            self.dataset = dataset.clone();
        }
        if let Some(fraction) = overrides.test_fraction {
            self.test_fraction = Some(fraction);
        }
    }

    /// The shape of the dataset's images before `resize`: a built-in dataset's own, or the
    /// recipe's `image_shape` for a folder or NumPy file.
    pub fn stored_shape(&self) -> Result<[usize; 3], RecipeError> {
        match (self.dataset.named(), self.image_shape) {
            (Some(name), None) => Ok(name.image_shape()),
            (Some(name), Some(_)) => Err(RecipeError::invalid(
                "image_shape",
                format!(
                    "applies to a folder of pictures or a NumPy file; {name} has its own ({:?})",
                    name.image_shape()
                ),
            )),
            (None, Some(shape)) => {
                if shape.contains(&0) {
                    return Err(RecipeError::invalid(
                        "image_shape",
                        format!("{shape:?} has a zero size; expected [channels, height, width]"),
                    ));
                }
                if ![1, 3].contains(&shape[0]) {
                    return Err(RecipeError::invalid(
                        "image_shape",
                        format!(
                            "{shape:?} has {} channels; expected 1 (grey) or 3 (RGB)",
                            shape[0]
                        ),
                    ));
                }
                Ok(shape)
            }
            (None, None) => Err(RecipeError::invalid(
                "image_shape",
                format!(
                    "is needed for {}: the shape its pictures are brought to, e.g. image_shape = [1, 28, 28]",
                    self.dataset
                ),
            )),
        }
    }

    /// The number of classes of the dataset: ten for a built-in one; for a folder or NumPy file
    /// what the run found (`None` before the data was read; 0 when unlabelled).
    pub fn dataset_classes(&self) -> Option<usize> {
        match self.dataset.named() {
            Some(_) => Some(NUM_CLASSES),
            None => self.classes,
        }
    }

    /// The test share of a seeded split (folders and NumPy files without their own split).
    pub fn test_fraction(&self) -> f64 {
        self.test_fraction.unwrap_or(DEFAULT_TEST_FRACTION)
    }

    /// The image shape the model sees: the dataset's after `resize`, `[channels, height, width]`.
    pub fn input_shape(&self) -> Result<[usize; 3], RecipeError> {
        let [c, h, w] = self.stored_shape()?;
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
    pub dataset: Option<DatasetId>,
    /// The test share of a seeded split.
    pub test_fraction: Option<f64>,
}
