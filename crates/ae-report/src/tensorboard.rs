//! The observer that writes a run's TensorBoard logs into `<run>/tensorboard/`, so that
//! `tensorboard --logdir runs` shows every run (`<run>/tensorboard` is the run's name there).
//! A fresh run writes one event file; a resumed run adds one (TensorBoard reads them in order).
//!
//! - Scalars after every epoch, at the run's epoch count (`global_epoch`, from 1): the
//!   losses under `loss/` (`train_mse` / `test_mse` / `test_mse_noisy` / `train_penalty` in a
//!   reconstruction stage, `train_nll` / `test_nll` in a classification one), `accuracy/train`,
//!   `accuracy/test`, `accuracy/test_mean_per_class`, `class_accuracy/<class>`, the code's
//!   `code/inactive_fraction`, `code/mean_abs`, `code/mean_abs_noisy`, `optim/lr`, `run/stage`
//!   and `time/epoch_seconds`, `time/step_seconds` (its part inside the optimiser steps),
//!   `time/images_per_second`: every value of
//!   `ae_train::EpochRecord` a stage has ([`epoch_scalars`]). And the training loss as it is
//!   read back, every `ae_train::CHECK_EVERY` steps, at the run's optimiser step count:
//!   `steps/train_mse` or `steps/train_nll`.
//! - Images: the weight grids `StagePictures` draws (`weights/<layer>` at initialisation,
//!   step 0, and after every stage, `weights/<layer>_update` for the stage's change) and the
//!   reconstruction grid of a reconstruction stage (`images/reconstruction`), at the stage's
//!   last epoch. They are read from the run folder, so this observer must come after
//!   `StagePictures`: push it onto what [`crate::observers`] returns.
//! - The recipe as the HParams dashboard's hyper-parameters (every key of the recipe,
//!   flattened: `model.kind`, `stages.2.optimizer.lr`, stages counted from 1), its metrics
//!   being the scalars, and the session's end (success or failure); the recipe's TOML and the
//!   stages' architectures as text.
//!
//! Writes are buffered and reach the file at the end of every epoch and stage. A failed write
//! never stops the run by default: a one-line warning on stderr, and no more TensorBoard
//! logging in that run ([`OnError::Warn`]); [`TensorBoard::strict`] fails the run instead.
//!
//! [`write_projector`] puts an embedding into the run's `tensorboard/` folder for the
//! projector (`ae embed`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use ae_tensorboard::{EventWriter, HParamValue, SessionStatus, TensorBoardError, event_files};
use ae_train::{
    CHECK_EVERY, EpochModel, EpochRecord, EpochStart, ModelStart, Observer, RunEnd, RunStart,
    StageEnd, StageKind, Step, TrainError,
};

pub use ae_tensorboard::{Embedding, Metadata, ProjectorFiles, Sprite};

use crate::stage_pictures::WeightPictures;

/// The run folder's TensorBoard folder.
pub const TENSORBOARD_DIR: &str = "tensorboard";

/// What a failed TensorBoard write does to the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnError {
    /// Warn once on stderr and stop logging to TensorBoard; the run goes on.
    #[default]
    Warn,
    /// Fail the run (at the next event that can return an error).
    Fail,
}

/// Writes the run's TensorBoard logs (see the module documentation).
#[derive(Debug, Default)]
pub struct TensorBoard {
    on_error: OnError,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    writer: Option<EventWriter>,
    /// Each stage's kind, from the recipe.
    kinds: Vec<StageKind>,
    /// Optimiser steps of the epochs finished in the whole run.
    steps_done: u64,
    /// The last epoch finished, counted over the run (0 before the first).
    global_epoch: u64,
    epoch: Option<EpochProgress>,
    /// A write error not yet reported (`OnError::Fail`).
    pending: Option<TensorBoardError>,
}

/// The epoch in progress.
#[derive(Debug, Clone, Copy)]
struct EpochProgress {
    kind: StageKind,
    steps: usize,
    /// Steps taken since the epoch started (or resumed): the losses are read back every
    /// `CHECK_EVERY` of them and at the epoch's last step.
    taken: usize,
}

impl TensorBoard {
    /// Logs a run; a failed write warns and turns the logging off ([`OnError::Warn`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Logs a run; a failed write fails the run ([`OnError::Fail`]).
    pub fn strict() -> Self {
        Self {
            on_error: OnError::Fail,
            state: Mutex::default(),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the writer (when logging is on) and deals with its error as `on_error` says;
    /// an error returned here fails the run.
    fn write(
        &self,
        state: &mut State,
        f: impl FnOnce(&mut EventWriter, &State) -> Result<(), TensorBoardError>,
    ) -> Result<(), TrainError> {
        if let Some(mut writer) = state.writer.take() {
            match f(&mut writer, state) {
                Ok(()) => state.writer = Some(writer),
                Err(error) => self.failed(state, error),
            }
        }
        match state.pending.take() {
            Some(error) => Err(train_error(error)),
            None => Ok(()),
        }
    }

    /// As [`Self::write`], for events that cannot return an error: a strict observer reports
    /// it at the next event that can.
    fn write_later(
        &self,
        state: &mut State,
        f: impl FnOnce(&mut EventWriter, &State) -> Result<(), TensorBoardError>,
    ) {
        if let Some(mut writer) = state.writer.take() {
            match f(&mut writer, state) {
                Ok(()) => state.writer = Some(writer),
                Err(error) => self.failed(state, error),
            }
        }
    }

    fn failed(&self, state: &mut State, error: TensorBoardError) {
        match self.on_error {
            OnError::Warn => eprintln!(
                "warning: TensorBoard log: {error}; no more TensorBoard logging in this run \
                 (the run itself goes on)"
            ),
            OnError::Fail => {
                state.pending.get_or_insert(error);
            }
        }
    }
}

/// A TensorBoard error as the learner's.
fn train_error(error: TensorBoardError) -> TrainError {
    match error {
        TensorBoardError::Io {
            path,
            action,
            source,
        } => TrainError::Io {
            path,
            action,
            source,
        },
        other => TrainError::RunFolder {
            path: other.path().to_path_buf(),
            message: other.to_string(),
        },
    }
}

/// The scalars logged for one epoch: `(tag, value)` for every value the stage has (see the
/// module documentation).
pub fn epoch_scalars(r: &EpochRecord) -> Vec<(String, f64)> {
    let loss = match r.kind {
        StageKind::Reconstruction => "mse",
        StageKind::Classification => "nll",
    };
    let mut out: Vec<(String, f64)> = vec![
        (format!("loss/train_{loss}"), r.train_loss),
        (format!("loss/test_{loss}"), r.test_loss),
        ("optim/lr".into(), r.lr),
        ("run/stage".into(), r.stage as f64),
        ("time/epoch_seconds".into(), r.seconds),
        ("time/step_seconds".into(), r.step_seconds),
    ];
    if r.seconds > 0.0 {
        out.push((
            "time/images_per_second".into(),
            r.train_samples as f64 / r.seconds,
        ));
    }
    let optional = [
        ("loss/test_mse_noisy", r.test_mse_noisy),
        ("loss/train_penalty", r.train_penalty),
        ("accuracy/train", r.train_accuracy),
        ("accuracy/test", r.test_accuracy),
        (
            "accuracy/test_mean_per_class",
            r.confusion_matrix
                .as_ref()
                .and_then(|m| m.mean_per_class_accuracy()),
        ),
        ("code/inactive_fraction", r.inactive_fraction),
        ("code/mean_abs", r.mean_abs_code),
        ("code/mean_abs_noisy", r.mean_abs_code_noisy),
        ("loss/test_recon", r.test_recon),
        ("loss/test_kl", r.test_kl),
        ("code/active_units", r.active_units.map(|u| u as f64)),
    ];
    out.extend(
        optional
            .into_iter()
            .filter_map(|(tag, v)| v.map(|v| (tag.to_string(), v))),
    );
    for (class, accuracy) in r.per_class_accuracy.iter().flatten().enumerate() {
        if let Some(accuracy) = accuracy {
            out.push((format!("class_accuracy/{class}"), *accuracy));
        }
    }
    out
}

/// The recipe as hyper-parameters: every key, nested tables joined by `.`, the stages by their
/// number from 1 (`stages.1.epochs`), arrays of values as their TOML text (`[400, 256]`).
pub fn recipe_hparams(recipe: &ae_train::Recipe) -> BTreeMap<String, HParamValue> {
    fn flatten(prefix: &str, value: &toml::Value, out: &mut BTreeMap<String, HParamValue>) {
        let key = |k: &str| {
            if prefix.is_empty() {
                k.to_string()
            } else {
                format!("{prefix}.{k}")
            }
        };
        match value {
            toml::Value::Table(table) => {
                for (k, v) in table {
                    flatten(&key(k), v, out);
                }
            }
            toml::Value::Array(items) if items.iter().all(toml::Value::is_table) => {
                for (i, v) in items.iter().enumerate() {
                    flatten(&key(&(i + 1).to_string()), v, out);
                }
            }
            toml::Value::String(s) => {
                out.insert(prefix.to_string(), HParamValue::Text(s.clone()));
            }
            toml::Value::Integer(i) => {
                out.insert(prefix.to_string(), HParamValue::Number(*i as f64));
            }
            toml::Value::Float(f) => {
                out.insert(prefix.to_string(), HParamValue::Number(*f));
            }
            toml::Value::Boolean(b) => {
                out.insert(prefix.to_string(), HParamValue::Bool(*b));
            }
            other => {
                out.insert(prefix.to_string(), HParamValue::Text(other.to_string()));
            }
        }
    }
    let mut out = BTreeMap::new();
    match toml::Value::try_from(recipe) {
        Ok(value) => flatten("", &value, &mut out),
        Err(e) => {
            out.insert(
                "recipe".into(),
                HParamValue::Text(format!("unreadable: {e}")),
            );
        }
    }
    out
}

/// The weight pictures drawn at `stage` (0: initialisation), as `(tag, file)`.
fn weight_pictures(run_dir: &Path, stage: usize) -> Result<Vec<(String, PathBuf)>, TrainError> {
    let grids = run_dir.join("grids");
    let Some(record) = WeightPictures::read(&grids)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for layer in &record.layers {
        for snapshot in layer.snapshots.iter().filter(|s| s.stage == stage) {
            out.push((
                format!("weights/{}", layer.name),
                grids.join(&snapshot.picture),
            ));
            if let Some(update) = &snapshot.update {
                out.push((format!("weights/{}_update", layer.name), grids.join(update)));
            }
        }
    }
    Ok(out)
}

/// Logs the PNG files `pictures` (those that exist) at `step`.
fn log_pictures(
    writer: &mut EventWriter,
    pictures: &[(String, PathBuf)],
    step: u64,
) -> Result<(), TensorBoardError> {
    for (tag, path) in pictures {
        let png = match std::fs::read(path) {
            Ok(png) => png,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(TensorBoardError::io(path, "cannot read picture", e)),
        };
        writer
            .add_png(tag, &png, step)
            .map_err(|e| TensorBoardError::invalid(path, e.to_string()))?;
    }
    writer.flush()
}

impl Observer for TensorBoard {
    fn run_started(&self, run: &RunStart<'_>) -> Result<(), TrainError> {
        let mut state = self.state();
        *state = State {
            kinds: run.recipe.stages.iter().map(|s| s.kind).collect(),
            ..State::default()
        };
        let dir = run.run_dir.join(TENSORBOARD_DIR);
        let had_events = dir.is_dir() && event_files(&dir).is_ok_and(|f| !f.is_empty());
        if run.resumed {
            // Steps and epochs already done, so that this file's steps continue the others'.
            if let Ok(metrics) = ae_train::read_metrics(run.run_dir) {
                state.steps_done = metrics.epochs.iter().map(|r| r.steps as u64).sum();
                state.global_epoch = metrics.epochs.last().map_or(0, |r| r.global_epoch as u64);
            }
        }
        match EventWriter::create(&dir) {
            Ok(writer) => state.writer = Some(writer),
            Err(error) => self.failed(&mut state, error),
        }
        let recipe = run.recipe;
        let stages: String = run
            .plan
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{}. **{}**: {}\n", i + 1, p.name, p.arch))
            .collect();
        let resumed = run.resumed;
        let folder = run
            .run_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.write(&mut state, |w, state| {
            if resumed && had_events {
                w.add_text(
                    "run/resumed",
                    &format!(
                        "resumed after epoch {} (step {})",
                        state.global_epoch, state.steps_done
                    ),
                    state.global_epoch,
                )?;
            } else {
                w.add_hparams(&recipe_hparams(recipe), "")?;
                w.add_text(
                    "recipe",
                    &format!("```toml\n{}\n```", recipe.to_toml().trim_end()),
                    0,
                )?;
                w.add_text("stages", &format!("run `{folder}`\n\n{stages}"), 0)?;
            }
            w.flush()
        })
    }

    fn model_initialised(&self, model: &ModelStart<'_>) -> Result<(), TrainError> {
        let pictures = weight_pictures(model.run_dir, 0)?;
        let mut state = self.state();
        self.write(&mut state, |w, _| log_pictures(w, &pictures, 0))
    }

    fn epoch_started(&self, epoch: &EpochStart<'_>) {
        let mut state = self.state();
        let kind = state
            .kinds
            .get(epoch.stage.saturating_sub(1))
            .copied()
            .unwrap_or(StageKind::Reconstruction);
        state.epoch = Some(EpochProgress {
            kind,
            steps: epoch.steps,
            taken: 0,
        });
    }

    fn step(&self, step: &Step) {
        let mut state = self.state();
        let Some(progress) = state.epoch.as_mut() else {
            return;
        };
        progress.taken += 1;
        let read_back = progress.taken % CHECK_EVERY == 0 || step.step + 1 == progress.steps;
        let kind = progress.kind;
        let Some(loss) = step.latest_loss.filter(|_| read_back) else {
            return;
        };
        let tag = match kind {
            StageKind::Reconstruction => "steps/train_mse",
            StageKind::Classification => "steps/train_nll",
        };
        self.write_later(&mut state, |w, state| {
            w.add_scalar(tag, loss, state.steps_done + step.step as u64 + 1)
        });
    }

    fn epoch_ended(&self, record: &EpochRecord, _epochs: usize) {
        let mut state = self.state();
        state.steps_done += record.steps as u64;
        state.global_epoch = record.global_epoch as u64;
        state.epoch = None;
        let step = record.global_epoch as u64;
        self.write_later(&mut state, |w, _| {
            for (tag, value) in epoch_scalars(record) {
                w.add_scalar(&tag, value, step)?;
            }
            w.flush()
        });
    }

    fn epoch_model(&self, epoch: &EpochModel<'_>) -> Result<(), TrainError> {
        // A generative model's pictures of the epoch (drawn by `EpochSamples` before).
        let pictures = [
            (
                "images/samples".to_string(),
                crate::samples_path(epoch.run_dir, epoch.global_epoch),
            ),
            (
                "images/reconstruction_per_epoch".to_string(),
                crate::reconstruction_path(epoch.run_dir, epoch.global_epoch),
            ),
        ];
        let step = epoch.global_epoch as u64;
        let mut state = self.state();
        self.write(&mut state, |w, _| log_pictures(w, &pictures, step))
    }

    fn stage_ended(&self, end: &StageEnd<'_>) -> Result<(), TrainError> {
        let mut pictures = weight_pictures(end.run_dir, end.index + 1)?;
        if end.stage.kind == StageKind::Reconstruction {
            pictures.push((
                "images/reconstruction".into(),
                end.run_dir.join("grids/reconstruction.png"),
            ));
        }
        let mut state = self.state();
        self.write(&mut state, |w, state| {
            log_pictures(w, &pictures, state.global_epoch)
        })
    }

    fn run_ended(&self, end: &RunEnd<'_>) -> Result<(), TrainError> {
        let mut state = self.state();
        let status = match end.status {
            "completed" => Some(SessionStatus::Success),
            "failed" => Some(SessionStatus::Failure),
            // Interrupted: the session goes on when the run is resumed.
            _ => None,
        };
        let message = end.manifest.message.clone().unwrap_or_default();
        let text = format!(
            "{}{}{message}",
            end.status,
            if message.is_empty() { "" } else { ": " }
        );
        let result = self.write(&mut state, |w, state| {
            w.add_text("run/status", &text, state.global_epoch)?;
            if let Some(status) = status {
                w.add_session_end(status, state.global_epoch)?;
            }
            w.flush()
        });
        // The file is complete: closed now, not when the observer goes.
        state.writer = None;
        result
    }
}

/// Writes `embedding` for TensorBoard's projector into the run's `tensorboard/` folder (a
/// run TensorBoard lists; an earlier embedding there is replaced). Build the metadata with
/// [`Metadata::labels_and_classes`] and the sprite with [`Sprite::from_images`].
pub fn write_projector(
    run_dir: &Path,
    embedding: &Embedding<'_>,
) -> Result<ProjectorFiles, TrainError> {
    ae_tensorboard::write_projector(&run_dir.join(TENSORBOARD_DIR), embedding).map_err(train_error)
}

/// The images as a projector sprite sheet (see [`Sprite::from_images`]), or `None` with a
/// warning on stderr when they make a sheet larger than the projector takes (the embedding is
/// still written, without pictures).
pub fn projector_sprite(pixels: &[f32], shape: [usize; 3]) -> Option<Sprite> {
    match Sprite::from_images(pixels, shape) {
        Ok(sprite) => Some(sprite),
        Err(e) => {
            eprintln!("warning: projector sprite: {e}; the embedding is written without pictures");
            None
        }
    }
}
