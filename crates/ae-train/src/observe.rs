//! What a run tells the world as it goes: the events of the epoch loop, delivered to the
//! [`Observer`]s given in the run options. ae-train writes only its own files (recipe,
//! manifest, metrics, checkpoints); the progress bar, the grids, the plots and `report.html`
//! are observers (`ae-report`), and a library user can add their own or none.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use ae_data::Prepared;
use burn::tensor::Device;

use crate::error::TrainError;
use crate::metrics::EpochRecord;
use crate::model::Net;
use crate::recipe::{Recipe, Stage, StagePlan};
use crate::run_folder::{Manifest, MetricsFile};

/// A run starts (fresh or resumed); the run folder exists with its recipe and manifest.
#[derive(Debug)]
pub struct RunStart<'a> {
    pub run_dir: &'a Path,
    pub recipe: &'a Recipe,
    pub plan: &'a [StagePlan],
    /// True when the run continues from a checkpoint.
    pub resumed: bool,
}

/// The first stage's model was just initialised (fresh runs only; resumed runs load theirs).
#[derive(Debug)]
pub struct ModelStart<'a> {
    pub run_dir: &'a Path,
    pub net: &'a Net,
    /// `[channels, height, width]` of the images the model takes.
    pub input_shape: [usize; 3],
}

/// An epoch begins (or continues after a resume).
#[derive(Debug)]
pub struct EpochStart<'a> {
    /// Stage and epoch, from 1.
    pub stage: usize,
    pub stage_name: &'a str,
    pub epoch: usize,
    /// Epochs of the stage.
    pub epochs: usize,
    /// Steps in the epoch, and how many were taken before this call (resume).
    pub steps: usize,
    pub steps_done: usize,
}

/// A training step was taken.
#[derive(Debug, Clone, Copy)]
pub struct Step {
    /// Step within the epoch, from 0.
    pub step: usize,
    /// The latest training loss read back (they are read every `CHECK_EVERY` steps).
    pub latest_loss: Option<f64>,
}

/// A stage's epochs are done: its trained model, and the test data to show it on.
#[derive(Debug)]
pub struct StageEnd<'a> {
    pub run_dir: &'a Path,
    /// Stage from 0, and its settings.
    pub index: usize,
    pub stage: &'a Stage,
    /// The trained model (on the autodiff device; `.valid()` for inference).
    pub net: &'a Net,
    pub test: &'a Arc<Prepared>,
    pub input_shape: [usize; 3],
    /// The seed of the stage's test noise (what its evaluation used).
    pub noise_seed: u64,
    /// The device without autodiff.
    pub device: &'a Device,
}

/// An epoch's model, after its record (`epoch_ended`): for what is drawn at every epoch (a
/// generative model's samples from fixed noise and its reconstructions).
#[derive(Debug)]
pub struct EpochModel<'a> {
    pub run_dir: &'a Path,
    /// Stage from 0, and the epoch counted over the whole run, from 1.
    pub stage: usize,
    pub global_epoch: usize,
    /// The model (on the autodiff device; `.valid()` for inference).
    pub net: &'a Net,
    pub test: &'a Arc<Prepared>,
    pub input_shape: [usize; 3],
    /// The size of the model's code (a generative model's latent size).
    pub code_size: usize,
    /// The recipe's seed (what fixed noise is drawn from).
    pub seed: u64,
    /// The device without autodiff.
    pub device: &'a Device,
}

/// A run ended: completed, failed or interrupted (`status`); metrics and manifest are written.
#[derive(Debug)]
pub struct RunEnd<'a> {
    pub run_dir: &'a Path,
    pub recipe: &'a Recipe,
    pub manifest: &'a Manifest,
    pub metrics: &'a MetricsFile,
    /// `completed`, `failed` or `interrupted`.
    pub status: &'a str,
}

/// Something that watches a run. Every method has a default that does nothing; an error from
/// one that returns `Result` stops the run as a failure of the run would (the checkpoints are
/// kept).
pub trait Observer: Send + Sync {
    fn run_started(&self, _run: &RunStart<'_>) -> Result<(), TrainError> {
        Ok(())
    }
    fn model_initialised(&self, _model: &ModelStart<'_>) -> Result<(), TrainError> {
        Ok(())
    }
    fn epoch_started(&self, _epoch: &EpochStart<'_>) {}
    fn step(&self, _step: &Step) {}
    /// `epochs`: the stage's number of epochs.
    fn epoch_ended(&self, _record: &EpochRecord, _epochs: usize) {}
    /// After `epoch_ended`, with the epoch's model.
    fn epoch_model(&self, _epoch: &EpochModel<'_>) -> Result<(), TrainError> {
        Ok(())
    }
    fn stage_ended(&self, _stage: &StageEnd<'_>) -> Result<(), TrainError> {
        Ok(())
    }
    fn run_ended(&self, _run: &RunEnd<'_>) -> Result<(), TrainError> {
        Ok(())
    }
}

/// The observers of a run, called in the order they were added.
#[derive(Clone, Default)]
pub struct Observers(Vec<Arc<dyn Observer>>);

impl fmt::Debug for Observers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Observers({})", self.0.len())
    }
}

impl Observers {
    /// No observer: a silent run that writes no pictures.
    pub fn none() -> Self {
        Self::default()
    }

    /// Adds an observer.
    pub fn push(&mut self, observer: Arc<dyn Observer>) {
        self.0.push(observer);
    }

    /// Adds an observer (builder style).
    pub fn with(mut self, observer: Arc<dyn Observer>) -> Self {
        self.push(observer);
        self
    }

    fn each(&self, f: impl Fn(&dyn Observer) -> Result<(), TrainError>) -> Result<(), TrainError> {
        self.0.iter().try_for_each(|o| f(o.as_ref()))
    }

    pub(crate) fn run_started(&self, e: &RunStart<'_>) -> Result<(), TrainError> {
        self.each(|o| o.run_started(e))
    }
    pub(crate) fn model_initialised(&self, e: &ModelStart<'_>) -> Result<(), TrainError> {
        self.each(|o| o.model_initialised(e))
    }
    pub(crate) fn epoch_started(&self, e: &EpochStart<'_>) {
        self.0.iter().for_each(|o| o.epoch_started(e));
    }
    pub(crate) fn step(&self, e: &Step) {
        self.0.iter().for_each(|o| o.step(e));
    }
    pub(crate) fn epoch_ended(&self, record: &EpochRecord, epochs: usize) {
        self.0.iter().for_each(|o| o.epoch_ended(record, epochs));
    }
    pub(crate) fn epoch_model(&self, e: &EpochModel<'_>) -> Result<(), TrainError> {
        self.each(|o| o.epoch_model(e))
    }
    pub(crate) fn stage_ended(&self, e: &StageEnd<'_>) -> Result<(), TrainError> {
        self.each(|o| o.stage_ended(e))
    }
    pub(crate) fn run_ended(&self, end: &RunEnd<'_>) -> Result<(), TrainError> {
        // Every observer hears the end, even when one of them fails; the first error counts.
        let mut first = Ok(());
        for o in &self.0 {
            if let Err(error) = o.run_ended(end)
                && first.is_ok()
            {
                first = Err(error);
            }
        }
        first
    }
}
