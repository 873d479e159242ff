//! Evaluating a run folder's checkpoint on a test set (`ae eval`).

use std::path::{Path, PathBuf};

use ae_data::{DataLocator, DatasetName};
use burn::module::Module;
use burn::tensor::Device;

use crate::checkpoint::{Checkpoints, Pointer, Which};
use crate::error::TrainError;
use crate::eval::evaluate_net;
use crate::metrics::ConfusionMatrix;
use crate::net::Net;
use crate::recipe::{Recipe, StageKind};
use crate::run_folder::RunFolder;
use crate::train::{TAG_TEST_NOISE, load_data};

/// How to evaluate a run.
#[derive(Debug, Clone)]
pub struct EvalOptions {
    /// Where the dataset is found.
    pub data: DataLocator,
    /// Another dataset with images of the same shape (default: the run's).
    pub dataset: Option<DatasetName>,
    /// The device.
    pub device: Device,
    /// The best checkpoint of the last stage (default) or the last one.
    pub checkpoint: Which,
    /// Evaluate on the first `n` test images (default: the run's own test limit, if any).
    pub test_limit: Option<usize>,
}

impl EvalOptions {
    /// The best checkpoint, on the run's dataset, found the usual way.
    pub fn new(device: Device) -> Self {
        Self {
            data: DataLocator::default(),
            dataset: None,
            device,
            checkpoint: Which::Best,
            test_limit: None,
        }
    }
}

/// What `evaluate` measured.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalReport {
    /// The run folder.
    pub run_dir: PathBuf,
    /// The checkpoint evaluated.
    pub checkpoint: Pointer,
    /// Its stage's name and kind.
    pub stage_name: String,
    pub kind: StageKind,
    /// The dataset and number of test images.
    pub dataset: DatasetName,
    pub samples: usize,
    /// Class names of the dataset.
    pub class_names: Vec<String>,
    /// Test MSE (reconstruction) or NLL (classification).
    pub test_loss: f64,
    /// Reconstruction from noisy input, when the stage adds noise.
    pub test_mse_noisy: Option<f64>,
    /// Classification only.
    pub test_accuracy: Option<f64>,
    pub per_class_accuracy: Option<Vec<Option<f64>>>,
    pub confusion_matrix: Option<ConfusionMatrix>,
}

/// Loads a checkpoint of the run in `run_dir` and measures it on the test set: accuracy,
/// per-class accuracy and confusion matrix for a classifier, MSE for an autoencoder.
pub fn evaluate(run_dir: &Path, options: &EvalOptions) -> Result<EvalReport, TrainError> {
    let folder = RunFolder::open(run_dir)?;
    let recipe = Recipe::from_file(&folder.recipe())?;
    let checkpoints = Checkpoints::new(run_dir);
    let pointer =
        checkpoints
            .pointer(options.checkpoint)?
            .ok_or_else(|| TrainError::RunFolder {
                path: run_dir.to_path_buf(),
                message: "has no checkpoint yet (no epoch finished)".into(),
            })?;
    let state = checkpoints.state(&pointer)?;
    let mut eval_recipe = recipe.clone();
    if let Some(dataset) = options.dataset {
        eval_recipe.dataset = dataset;
    }
    if let Some(n) = options.test_limit {
        eval_recipe.test_limit = Some(n);
    }
    let trained_shape = recipe.input_shape()?;
    let shape = eval_recipe.input_shape()?;
    if shape != trained_shape {
        return Err(TrainError::DatasetMismatch {
            dataset: eval_recipe.dataset.to_string(),
            message: format!(
                "gives images of shape {shape:?} after resize, the model was trained on {trained_shape:?}"
            ),
        });
    }
    // Only the test split is used; the training limit keeps loading cheap.
    eval_recipe.limit = Some(1);
    let data = load_data(&eval_recipe, &options.data)?;
    let device = options.device.clone().without_autodiff();
    let net = Net::build(&state.arch, &device, 0)
        .load(&checkpoints.folder(&pointer).join("model.bpk"))?;
    let stage = recipe
        .stages
        .get(state.stage)
        .ok_or_else(|| TrainError::RunFolder {
            path: run_dir.to_path_buf(),
            message: format!(
                "checkpoint names stage {} that the recipe lacks",
                state.stage + 1
            ),
        })?;
    let noise_seed = ae_data::derive_seed(recipe.seed, &[TAG_TEST_NOISE, state.stage as u64]);
    let metrics = evaluate_net(
        &net.valid(),
        &data.test,
        stage.kind,
        recipe.eval_batch_size,
        stage.noise,
        noise_seed,
        &device,
    )?;
    Ok(EvalReport {
        run_dir: run_dir.to_path_buf(),
        checkpoint: pointer,
        stage_name: stage.display_name(state.stage),
        kind: stage.kind,
        dataset: eval_recipe.dataset,
        samples: metrics.samples,
        class_names: eval_recipe
            .dataset
            .class_names()
            .iter()
            .map(|s| s.to_string())
            .collect(),
        test_loss: metrics.loss,
        test_mse_noisy: metrics.mse_noisy,
        test_accuracy: metrics.confusion.as_ref().map(ConfusionMatrix::accuracy),
        per_class_accuracy: metrics
            .confusion
            .as_ref()
            .map(ConfusionMatrix::per_class_accuracy),
        confusion_matrix: metrics.confusion,
    })
}
