//! The learner: runs a recipe's stages on the autodiff version of the chosen device, writes
//! the run folder's own files (recipe, manifest, metrics, checkpoints) as it goes, tells the
//! observers what happens, and resumes from a checkpoint.
//!
//! [`train`] starts a run ([`session`] holds it and walks the stages), [`epoch`] is one
//! epoch's steps, evaluation and checkpoint, [`resume`] continues an interrupted run.

mod data;
mod epoch;
mod resume;
mod session;

use std::path::PathBuf;

use ae_data::DataLocator;
use burn::tensor::Device;

pub use data::{RunData, load_data};
pub use resume::resume;

use crate::checkpoint::Pointer;
use crate::error::TrainError;
use crate::files::{rfc3339, unix_seconds, write_atomic, write_json};
use crate::interrupt::Interrupt;
use crate::metrics::EpochRecord;
use crate::observe::Observers;
use crate::recipe::{Overrides, Recipe};
use crate::run_folder::{BURN_VERSION, FinalMetrics, Manifest, RunFolder, backend_name};
use session::Session;

/// How often (in steps) the training losses are read back and checked for NaN/inf.
pub const CHECK_EVERY: usize = 20;

/// Seed-derivation tags: weights of a stage, data order and noise of an epoch, test noise.
pub const TAG_INIT: u64 = 1;
pub const TAG_DATA: u64 = 2;
pub const TAG_TEST_NOISE: u64 = 3;

/// How a training run is carried out (everything that is not the recipe).
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Where the dataset is found (and whether it may be downloaded).
    pub data: DataLocator,
    /// The folder run folders are created in (`runs` by default).
    pub out_dir: PathBuf,
    /// Command-line overrides of the recipe (epochs, seed, limit, dataset).
    pub overrides: Overrides,
    /// The device; training runs on its autodiff version.
    pub device: Device,
    /// Who hears the run's events (progress, pictures, reports); none by default.
    pub observers: Observers,
    /// Continue the run in this folder instead of starting one (see [`resume`]).
    pub resume: Option<PathBuf>,
    /// Checked after every step: when requested, the run stops with a checkpoint.
    pub interrupt: Interrupt,
    /// Behave as if interrupted once this many optimiser steps were taken by this call
    /// (tests and demonstrations of resuming).
    pub interrupt_after_steps: Option<u64>,
    /// Start the first stage from these PyTorch weights (`.pth` or safetensors, see
    /// `ae_models::pytorch`) instead of a random initialisation.
    pub init: Option<PathBuf>,
    /// For a generative model: samples per image of the importance-weighted estimate of the
    /// test set's −log p(x) at the end of the run (`DEFAULT_IW_SAMPLES` when not given; 0
    /// skips it, which a conv VAE on 10,000 test images may want: ~3 ms per image and sample).
    pub iw_samples: Option<usize>,
}

impl RunOptions {
    /// Defaults: data found the usual way, runs in `./runs`, no overrides, no observers.
    pub fn new(device: Device) -> Self {
        Self {
            data: DataLocator::default(),
            out_dir: PathBuf::from("runs"),
            overrides: Overrides::default(),
            device,
            observers: Observers::none(),
            resume: None,
            interrupt: Interrupt::new(),
            interrupt_after_steps: None,
            init: None,
            iw_samples: None,
        }
    }
}

/// What a finished run reports.
#[derive(Debug, Clone)]
pub struct RunSummary {
    /// The run folder.
    pub run_dir: PathBuf,
    /// Its `report.html` (written by `ae-report`'s observer, when one is given).
    pub report: PathBuf,
    /// The recipe's name.
    pub recipe: String,
    /// Every epoch of every stage.
    pub epochs: Vec<EpochRecord>,
    /// Test accuracy / per-class / confusion of the last classification stage, or the final MSE.
    pub final_metrics: FinalMetrics,
    /// The best checkpoint of the last stage.
    pub best: Option<Pointer>,
    /// Architecture trained in each stage, e.g. `dense autoencoder 784-400-784`.
    pub architectures: Vec<String>,
    /// Training seconds (sum over epochs, evaluation excluded).
    pub train_seconds: f64,
}

/// Trains `recipe` (with `options.overrides` applied) in a new run folder under
/// `options.out_dir`, or continues `options.resume` (whose `recipe.toml` must equal this recipe
/// with the overrides).
///
/// Ends with the complete run folder. Errors: an invalid recipe, missing data, NaN/inf loss
/// ([`TrainError::NonFinite`], last good checkpoint kept), an interrupt
/// ([`TrainError::Interrupted`], checkpoint saved), or I/O.
pub fn train(recipe: &Recipe, options: &RunOptions) -> Result<RunSummary, TrainError> {
    if let Some(dir) = &options.resume {
        let folder = RunFolder::open(dir)?;
        let stored = Recipe::from_file(&folder.recipe())?;
        let mut wanted = recipe.clone();
        wanted.apply_overrides(&options.overrides);
        if wanted.dataset.is_custom() {
            // The run recorded its folder absolute and the classes it found.
            wanted.dataset = wanted.dataset.absolute();
            wanted.classes = wanted.classes.or(stored.classes);
        }
        if wanted != stored {
            return Err(TrainError::RunFolder {
                path: dir.clone(),
                message: "was started with a different recipe (see its recipe.toml); resume it with the run folder alone".into(),
            });
        }
        let mut options = options.clone();
        options.overrides = Overrides::default();
        options.resume = None;
        return resume(dir, &options);
    }
    let mut recipe = recipe.clone();
    recipe.apply_overrides(&options.overrides);
    let mut plan = recipe.plan()?;
    let data = load_data(&recipe, &options.data)?;
    if recipe.dataset.is_custom() {
        // A user's data: the run records where it is and how many classes it found, and plans
        // again with them (heads, an unlabelled dataset's classification stage).
        recipe.dataset = recipe.dataset.absolute();
        recipe.classes = Some(data.info.class_names.len());
        plan = recipe.plan()?;
    }
    let folder = RunFolder::create(&options.out_dir, &recipe.name)?;
    write_atomic(&folder.recipe(), recipe.to_toml().as_bytes())?;
    let manifest = Manifest {
        recipe: recipe.name.clone(),
        seed: recipe.seed,
        backend: backend_name(&options.device),
        device: format!("{:?}", options.device),
        ae_train_version: env!("CARGO_PKG_VERSION").to_string(),
        burn_version: BURN_VERSION.to_string(),
        dataset: data.info.clone(),
        stages: plan.iter().map(|p| p.arch.to_string()).collect(),
        start_time: rfc3339(unix_seconds()),
        end_time: None,
        status: "running".into(),
        message: None,
        resumed: Vec::new(),
        init_weights: options.init.as_ref().map(|p| p.display().to_string()),
    };
    write_json(&folder.manifest(), &manifest)?;
    Session::new(recipe, plan, folder, data, manifest, options).run(None)
}
