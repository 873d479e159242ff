//! Evaluating a run folder's checkpoint on a test set (`ae eval`).

use std::path::{Path, PathBuf};

use ae_data::{DataLocator, DatasetName};
use burn::tensor::Device;

use crate::analysis::{DataChoice, ModelChoice, TrainedModel};
use crate::checkpoint::{Pointer, Which};
use crate::error::TrainError;
use crate::eval::evaluate_net;
use crate::metrics::ConfusionMatrix;
use crate::recipe::StageKind;
use crate::train::TAG_TEST_NOISE;

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
    let choice = match options.checkpoint {
        Which::Best => ModelChoice::Best,
        Which::Last => ModelChoice::Last,
        Which::Autoencoder => ModelChoice::Autoencoder,
    };
    let model = TrainedModel::open(run_dir, choice, &options.device)?;
    let data = model.data(&DataChoice {
        locator: options.data.clone(),
        dataset: options.dataset,
        test_limit: options.test_limit,
        train_limit: None,
    })?;
    let noise_seed = ae_data::derive_seed(
        model.recipe.seed,
        &[TAG_TEST_NOISE, model.stage_index as u64],
    );
    let metrics = evaluate_net(
        model.net(),
        &data.test,
        model.stage.kind,
        model.recipe.eval_batch_size,
        model.stage.noise,
        noise_seed,
        &model.device,
    )?;
    Ok(EvalReport {
        run_dir: run_dir.to_path_buf(),
        checkpoint: model.pointer.clone(),
        stage_name: model.stage.display_name(model.stage_index),
        kind: model.stage.kind,
        dataset: data.dataset,
        samples: metrics.samples,
        class_names: data
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
