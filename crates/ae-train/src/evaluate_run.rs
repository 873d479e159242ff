//! Evaluating a run folder's checkpoint on a test set (`ae eval`), and the report that it and
//! `ae eval --weights` give.

use std::path::{Path, PathBuf};

use ae_data::{DataLocator, DatasetId, derive_seed};
use burn::tensor::Device;

use crate::checkpoint::{Pointer, Which};
use crate::error::TrainError;
use crate::measure::TestSet;
use crate::metrics::{ConfusionMatrix, TestMetrics};
use crate::model::ModelKind;
use crate::recipe::StageKind;
use crate::run::TAG_TEST_NOISE;
use crate::trained_model::{DataChoice, ModelChoice, TrainedModel};

/// How to evaluate a run.
#[derive(Debug, Clone)]
pub struct EvalOptions {
    /// Where the dataset is found.
    pub data: DataLocator,
    /// Another dataset with images of the same shape (default: the run's).
    pub dataset: Option<DatasetId>,
    /// The device.
    pub device: Device,
    /// The best checkpoint of the last stage (default) or the last one.
    pub checkpoint: Which,
    /// Evaluate on the first `n` test images (default: the run's own test limit, if any).
    pub test_limit: Option<usize>,
    /// For a generative model: the samples per image of the importance-weighted estimate of
    /// −log p(x) ([`DEFAULT_IW_SAMPLES`] when not given).
    pub samples: Option<usize>,
}

/// The samples per image of the importance-weighted likelihood estimate by default.
pub const DEFAULT_IW_SAMPLES: usize = 100;

impl EvalOptions {
    /// The best checkpoint, on the run's dataset, found the usual way.
    pub fn new(device: Device) -> Self {
        Self {
            data: DataLocator::default(),
            dataset: None,
            device,
            checkpoint: Which::Best,
            test_limit: None,
            samples: None,
        }
    }
}

/// A model measured on a test set: what `ae eval` and `ae eval --weights` print.
#[derive(Debug, Clone, PartialEq)]
pub struct TestReport {
    /// The stage whose model and test were used: its name and kind.
    pub stage_name: String,
    pub kind: StageKind,
    /// The dataset and number of test images.
    pub dataset: DatasetId,
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
    /// A variational autoencoder: the test loss's reconstruction and KL parts (nats per
    /// image), its active latent units, and the importance-weighted estimate of −log p(x)
    /// with its number of samples per image.
    pub test_recon: Option<f64>,
    pub test_kl: Option<f64>,
    pub active_units: Option<usize>,
    pub iw_nll: Option<(usize, f64)>,
}

impl TestReport {
    /// The report of `metrics`, measured by stage `stage_name` of `kind` on `dataset` (whose
    /// classes are `class_names`).
    pub fn new(
        stage_name: String,
        kind: StageKind,
        dataset: DatasetId,
        class_names: Vec<String>,
        metrics: TestMetrics,
    ) -> Self {
        Self {
            stage_name,
            kind,
            dataset,
            samples: metrics.samples,
            class_names,
            test_loss: metrics.loss,
            test_mse_noisy: metrics.mse_noisy,
            test_accuracy: metrics.confusion.as_ref().map(ConfusionMatrix::accuracy),
            test_recon: metrics.recon,
            test_kl: metrics.kl,
            active_units: metrics.active_units,
            iw_nll: None,
            per_class_accuracy: metrics
                .confusion
                .as_ref()
                .map(ConfusionMatrix::per_class_accuracy),
            confusion_matrix: metrics.confusion,
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
    /// The measurement.
    pub test: TestReport,
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
        dataset: options.dataset.clone(),
        test_limit: options.test_limit,
        train_limit: None,
    })?;
    let noise_seed = derive_seed(
        model.recipe.seed,
        &[TAG_TEST_NOISE, model.stage_index as u64],
    );
    let test = TestSet {
        data: &data.test,
        batch_size: model.recipe.eval_batch_size,
        noise: model.stage.noise,
        noise_seed,
        device: &model.device,
    };
    let metrics = model.net().evaluate(&model.stage, &test)?;
    let samples = options.samples.unwrap_or(DEFAULT_IW_SAMPLES);
    let iw_nll = model
        .net()
        .negative_log_likelihood(&model.stage, &test, samples)?
        .map(|nll| (samples, nll));
    let mut report = TestReport::new(
        model.stage.display_name(model.stage_index),
        model.stage.kind,
        data.dataset,
        data.class_names,
        metrics,
    );
    report.iw_nll = iw_nll;
    Ok(EvalReport {
        run_dir: run_dir.to_path_buf(),
        checkpoint: model.pointer.clone(),
        test: report,
    })
}
