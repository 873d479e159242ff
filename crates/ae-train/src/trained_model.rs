//! A run's trained model loaded from one of its checkpoints, and what evaluation and the
//! analyses ask of it: codes, class probabilities and reconstructions of a batch of images.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ae_data::{DataLocator, DatasetId, Prepared};

use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};

use crate::checkpoint::{Checkpoints, Pointer, Which};
use crate::error::TrainError;
use crate::files::read_json;
use crate::model::{Arch, ModelKind, Net};
use crate::readback::read_f32;
use crate::recipe::{Overrides, Recipe, Stage};
use crate::run::load_data;
use crate::run_folder::{Manifest, RunFolder};

/// Which checkpoint of a run an analysis loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ModelChoice {
    /// The best checkpoint of the last stage (what `ae eval` measures).
    #[default]
    Best,
    /// The most recent checkpoint.
    Last,
    /// The autoencoder as it was at the end of the run's last reconstruction stage (the one a
    /// classifier head was put on); runs that never trained an autoencoder have none.
    Autoencoder,
    /// The autoencoder when the run kept one, otherwise the best checkpoint.
    AutoencoderOrBest,
}

impl ModelChoice {
    /// Parses `best`, `last`, `autoencoder` or `auto`.
    pub fn parse(text: &str) -> Result<Self, TrainError> {
        match text {
            "best" => Ok(Self::Best),
            "last" => Ok(Self::Last),
            "autoencoder" => Ok(Self::Autoencoder),
            "auto" => Ok(Self::AutoencoderOrBest),
            other => Err(TrainError::InvalidOption(format!(
                "unknown checkpoint '{other}': expected best, last, autoencoder or auto"
            ))),
        }
    }
}

/// Which data an analysis measures the model on.
#[derive(Debug, Clone, Default)]
pub struct DataChoice {
    /// Where the dataset is found.
    pub locator: DataLocator,
    /// Another dataset with images of the same shape (default: the run's).
    pub dataset: Option<DatasetId>,
    /// The first `n` test images (default: the run's own test limit, if any).
    pub test_limit: Option<usize>,
    /// The first `n` training images (default: one; most analyses need the test split only).
    pub train_limit: Option<usize>,
}

/// The data an analysis loaded: the splits after the recipe's resize.
#[derive(Debug, Clone)]
pub struct AnalysisData {
    pub dataset: DatasetId,
    /// One name per class (empty when unlabelled).
    pub class_names: Vec<String>,
    pub train: Arc<Prepared>,
    pub test: Arc<Prepared>,
}

/// A trained model of a run, in validation mode on a device without autodiff.
#[derive(Debug)]
pub struct TrainedModel {
    /// The run folder.
    pub run_dir: PathBuf,
    /// The recipe as run.
    pub recipe: Recipe,
    /// The checkpoint loaded.
    pub pointer: Pointer,
    /// Its stage (from 0) and the stage's settings.
    pub stage_index: usize,
    pub stage: Stage,
    /// The architecture.
    pub arch: Arch,
    /// The device the model is on.
    pub device: Device,
    /// The names of the classes it was trained on (empty when its data was unlabelled).
    pub class_names: Vec<String>,
    net: Net,
}

impl TrainedModel {
    /// Loads the checkpoint `choice` of the run in `run_dir` onto `device`.
    pub fn open(run_dir: &Path, choice: ModelChoice, device: &Device) -> Result<Self, TrainError> {
        let folder = RunFolder::open(run_dir)?;
        let recipe = Recipe::from_file(&folder.recipe())?;
        let checkpoints = Checkpoints::new(run_dir);
        let no_checkpoint = |what: &str| TrainError::RunFolder {
            path: run_dir.to_path_buf(),
            message: what.to_string(),
        };
        let pointer = match choice {
            ModelChoice::Best => checkpoints.pointer(Which::Best)?,
            ModelChoice::Last => checkpoints.pointer(Which::Last)?,
            ModelChoice::Autoencoder => {
                let pointer = checkpoints.pointer(Which::Autoencoder)?;
                if pointer.is_none() && checkpoints.pointer(Which::Last)?.is_some() {
                    return Err(no_checkpoint(
                        "has no trained autoencoder (checkpoints/autoencoder.json is missing: the \
                         recipe trains none, or the run predates it); use the best checkpoint",
                    ));
                }
                pointer
            }
            ModelChoice::AutoencoderOrBest => match checkpoints.pointer(Which::Autoencoder)? {
                Some(p) => Some(p),
                None => checkpoints.pointer(Which::Best)?,
            },
        }
        .ok_or_else(|| {
            no_checkpoint("has no trained model: no checkpoint yet (no epoch finished)")
        })?;
        let state = checkpoints.state(&pointer)?;
        let stage = recipe.stages.get(state.stage).cloned().ok_or_else(|| {
            no_checkpoint(&format!(
                "checkpoint names stage {} that the recipe lacks",
                state.stage + 1
            ))
        })?;
        let device = device.clone().without_autodiff();
        let net = Net::build(&state.arch, &device, 0)
            .load(&checkpoints.folder(&pointer).join("model.bpk"))?
            .valid();
        let class_names = run_class_names(&folder.manifest(), &recipe)?;
        Ok(Self {
            run_dir: run_dir.to_path_buf(),
            recipe,
            pointer,
            stage_index: state.stage,
            stage,
            arch: state.arch,
            device,
            class_names,
            net,
        })
    }

    /// Loads the data `choice` describes, transformed as the recipe does; a dataset whose
    /// images do not fit the model is an error.
    pub fn data(&self, choice: &DataChoice) -> Result<AnalysisData, TrainError> {
        let mut recipe = self.recipe.clone();
        recipe.apply_overrides(&Overrides {
            dataset: choice.dataset.clone(),
            ..Overrides::default()
        });
        if let Some(n) = choice.test_limit {
            recipe.test_limit = Some(n);
        }
        let trained_shape = self.recipe.input_shape()?;
        let shape = recipe.input_shape()?;
        if shape != trained_shape {
            return Err(TrainError::DatasetMismatch {
                dataset: recipe.dataset.to_string(),
                message: format!(
                    "gives images of shape {shape:?} after resize, the model was trained on {trained_shape:?}"
                ),
            });
        }
        // Only what is asked of the training split is prepared.
        recipe.limit = Some(choice.train_limit.unwrap_or(1));
        let data = load_data(&recipe, &choice.locator)?;
        Ok(AnalysisData {
            dataset: recipe.dataset,
            class_names: data.info.class_names,
            train: data.train,
            test: data.test,
        })
    }

    /// The network.
    pub fn net(&self) -> &Net {
        &self.net
    }

    /// `[channels, height, width]` the model takes (after the recipe's resize).
    pub fn input_shape(&self) -> Result<[usize; 3], TrainError> {
        Ok(self.recipe.input_shape()?)
    }

    /// Size of the code [`Self::codes`] returns.
    pub fn code_size(&self) -> usize {
        self.arch.code_size()
    }

    /// What the code is, for captions: e.g. "256-d autoencoder code".
    pub fn code_description(&self) -> String {
        self.arch.kind().code_description()
    }

    /// "checkpoint <dir> holds a <kind>, <what>" (the kind lacks what was asked of it).
    fn holds(&self, what: &str) -> TrainError {
        let sep = if what.starts_with("not") { ", " } else { " " };
        TrainError::RunFolder {
            path: self.run_dir.clone(),
            message: format!(
                "checkpoint {} holds a {}{sep}{what}",
                self.pointer.dir,
                self.arch.kind_name()
            ),
        }
    }

    fn tensor(&self, images: &[f32], shape: [usize; 3]) -> Tensor<4> {
        let n = images.len() / shape.iter().product::<usize>().max(1);
        Tensor::<4>::from_data(
            TensorData::new(images.to_vec(), [n, shape[0], shape[1], shape[2]]),
            &self.device,
        )
    }

    /// Codes of `images` (rows of the input shape, values in [0, 1]), read back in batches of
    /// `batch_size`: `[n × code_size]`, row-major.
    pub fn codes(&self, images: &[f32], batch_size: usize) -> Result<Vec<f32>, TrainError> {
        let shape = self.input_shape()?;
        let per_image: usize = shape.iter().product();
        let mut out = Vec::with_capacity(images.len() / per_image * self.code_size());
        for chunk in images.chunks(per_image * batch_size.max(1)) {
            out.extend(read_f32(self.net.encode(self.tensor(chunk, shape)))?);
        }
        Ok(out)
    }

    /// Class probabilities of `images`: `[n × classes]`; an error for autoencoders.
    pub fn probabilities(&self, images: &[f32]) -> Result<Vec<f32>, TrainError> {
        let shape = self.input_shape()?;
        let log_probs = self
            .net
            .log_probs(self.tensor(images, shape))
            .ok_or_else(|| self.holds("not a classifier"))?;
        read_f32(log_probs.exp())
    }

    /// Reconstructions of `images`, same layout; an error for classifiers.
    pub fn reconstructions(&self, images: &[f32]) -> Result<Vec<f32>, TrainError> {
        let shape = self.input_shape()?;
        let rec = self
            .net
            .reconstruct(self.tensor(images, shape))
            .ok_or_else(|| {
                self.holds(
                    "without a decoder; reconstruct needs an autoencoder (this run kept none: \
                     checkpoints/autoencoder.json is missing)",
                )
            })?;
        read_f32(rec.output)
    }

    /// Pictures decoded from latent codes `z` (`[n × code_size]`, row-major), for a generative
    /// model: `[n, c, h, w]` flattened, values in [0, 1]. Draws from N(0, I) give the model's
    /// samples; an error for models that do not generate.
    pub fn decode_latents(&self, z: &[f32]) -> Result<Vec<f32>, TrainError> {
        let latent = self.code_size();
        if latent == 0 || !z.len().is_multiple_of(latent) {
            return Err(TrainError::InvalidOption(format!(
                "{} latent values are not a whole number of {latent}-d codes",
                z.len()
            )));
        }
        let rows = z.len() / latent;
        let z = Tensor::<2>::from_data(TensorData::new(z.to_vec(), [rows, latent]), &self.device);
        let [c, h, w] = self.input_shape()?;
        let images = self.net.decode_latent(z, [c, h, w]).ok_or_else(|| {
            self.holds("not a generative model (ae sample needs a variational autoencoder)")
        })?;
        read_f32(images)
    }
}

/// The class names a run recorded in its manifest (`manifest_path`); run folders from before
/// they were recorded name a built-in dataset, whose names are known.
pub(crate) fn run_class_names(
    manifest_path: &Path,
    recipe: &Recipe,
) -> Result<Vec<String>, TrainError> {
    let manifest: Manifest = read_json(manifest_path)?;
    if !manifest.dataset.class_names.is_empty() {
        return Ok(manifest.dataset.class_names);
    }
    Ok(recipe
        .dataset
        .named()
        .map(|name| name.class_names().iter().map(|n| n.to_string()).collect())
        .unwrap_or_default())
}
