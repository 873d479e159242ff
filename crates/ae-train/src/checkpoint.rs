//! Checkpoints: the model, the optimiser state and where training stands, written together as
//! one folder that appears atomically, with `last.json` and `best.json` pointing at folders.
//!
//! ```text
//! checkpoints/
//!   last.json                 {"dir": "stage2-epoch004", ...}
//!   best.json                 {"dir": "stage2-epoch003", ...}
//!   autoencoder.json          the last epoch of the last reconstruction stage (the trained
//!                             autoencoder a classifier head was put on), for the analyses
//!   stage2-epoch003/  model.bpk  optimizer.bpk  state.json
//!   stage2-epoch004/  ...
//!   initial-encoder.tiles     first-layer weights at initialisation (for the grids)
//! ```
//! Only the folders `last`, `best` and `autoencoder` point at are kept.

use std::path::{Path, PathBuf};

use burn::optim::ModuleOptimizer;
use serde::{Deserialize, Serialize};

use crate::error::TrainError;
use crate::files::{read_json, write_json};
use crate::metrics::EpochRecord;
use crate::model::{Arch, Net};
use crate::optim::save_optimizer;

/// Version of `state.json`.
pub const STATE_FORMAT: u32 = 1;

/// Sums of an epoch cut short by an interrupt, so that the resumed epoch reports the same
/// numbers as an uninterrupted one. Floating sums are kept as their bit patterns.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PartialEpoch {
    /// Steps of the epoch already taken.
    pub steps_done: usize,
    /// Images seen.
    pub samples: usize,
    /// Σ loss × batch length, as `f64::to_bits`.
    pub loss_sum_bits: u64,
    /// Σ penalty over steps, as `f64::to_bits`.
    pub penalty_sum_bits: u64,
    /// Correct training predictions.
    pub correct: u64,
    /// Training seconds so far.
    pub seconds: f64,
    /// The part of them inside the optimiser steps (absent from checkpoints written before it).
    #[serde(default)]
    pub step_seconds: f64,
}

/// Where training stands, saved with each checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointState {
    /// [`STATE_FORMAT`].
    pub format: u32,
    /// The saved model's architecture.
    pub arch: Arch,
    /// Stage of the saved model, from 0.
    pub stage: usize,
    /// Complete epochs of that stage.
    pub epochs_done: usize,
    /// Progress into the next epoch, when interrupted within one.
    pub partial: Option<PartialEpoch>,
    /// Every epoch so far.
    pub history: Vec<EpochRecord>,
    /// Best epoch of the current stage.
    pub best: Option<Pointer>,
    /// Optimiser steps over the whole run so far.
    pub total_steps: u64,
}

/// What `last.json` / `best.json` hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pointer {
    /// Folder name inside `checkpoints/`.
    pub dir: String,
    /// Stage, from 1.
    pub stage: usize,
    /// Complete epochs of that stage.
    pub epoch: usize,
    /// Steps into the next epoch (interrupted checkpoints).
    pub step: Option<usize>,
    /// Accuracy, or minus the test loss (best).
    pub score: Option<f64>,
}

/// The `checkpoints/` folder of a run.
#[derive(Debug, Clone)]
pub struct Checkpoints {
    dir: PathBuf,
}

/// Which checkpoint to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Which {
    /// The best epoch of the last stage trained.
    #[default]
    Best,
    /// The most recent.
    Last,
    /// The last epoch of the last reconstruction stage.
    Autoencoder,
}

impl Which {
    fn file(self) -> &'static str {
        match self {
            Which::Best => "best.json",
            Which::Last => "last.json",
            Which::Autoencoder => "autoencoder.json",
        }
    }
}

impl Checkpoints {
    /// The checkpoints of the run in `run_dir`.
    pub fn new(run_dir: &Path) -> Self {
        Self {
            dir: run_dir.join("checkpoints"),
        }
    }

    /// The `checkpoints/` folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `base`, or `base-2`, `base-3`... if a folder of that name exists.
    pub fn unique_name(&self, base: &str) -> String {
        let mut name = base.to_string();
        let mut n = 2;
        while self.dir.join(&name).exists() {
            name = format!("{base}-{n}");
            n += 1;
        }
        name
    }

    /// Writes the checkpoint folder `name` (see [`Checkpoints::unique_name`]): the files go to a
    /// scratch folder that is renamed to `name` when complete.
    pub fn save(
        &self,
        name: &str,
        net: &Net,
        optim: &ModuleOptimizer,
        state: &CheckpointState,
    ) -> Result<(), TrainError> {
        let scratch = self
            .dir
            .join(format!(".scratch-{name}-{}", std::process::id()));
        if scratch.exists() {
            std::fs::remove_dir_all(&scratch)
                .map_err(|e| TrainError::io(&scratch, "cannot remove stale scratch folder", e))?;
        }
        std::fs::create_dir_all(&scratch)
            .map_err(|e| TrainError::io(&scratch, "cannot create folder", e))?;
        let written = (|| {
            net.save(&scratch.join("model.bpk"))?;
            save_optimizer(optim, &scratch.join("optimizer.bpk"))?;
            write_json(&scratch.join("state.json"), state)
        })();
        if let Err(e) = written {
            let _ = std::fs::remove_dir_all(&scratch);
            return Err(e);
        }
        let target = self.dir.join(name);
        std::fs::rename(&scratch, &target)
            .map_err(|e| TrainError::io(&target, "cannot rename checkpoint into place", e))
    }

    /// Points `which` at a checkpoint folder (atomically).
    pub fn point(&self, which: Which, pointer: &Pointer) -> Result<(), TrainError> {
        write_json(&self.dir.join(which.file()), pointer)
    }

    /// Reads a pointer; `None` when the run has no such checkpoint yet.
    pub fn pointer(&self, which: Which) -> Result<Option<Pointer>, TrainError> {
        let path = self.dir.join(which.file());
        if !path.exists() {
            return Ok(None);
        }
        read_json(&path).map(Some)
    }

    /// The folder of a checkpoint.
    pub fn folder(&self, pointer: &Pointer) -> PathBuf {
        self.dir.join(&pointer.dir)
    }

    /// Reads a checkpoint's state.
    pub fn state(&self, pointer: &Pointer) -> Result<CheckpointState, TrainError> {
        let path = self.folder(pointer).join("state.json");
        let state: CheckpointState = read_json(&path)?;
        if state.format != STATE_FORMAT {
            return Err(TrainError::RunFolder {
                path,
                message: format!(
                    "checkpoint state format {} is not supported, expected {STATE_FORMAT}",
                    state.format
                ),
            });
        }
        Ok(state)
    }

    /// Removes checkpoint folders neither pointer refers to, and stale scratch folders.
    pub fn prune(&self) -> Result<(), TrainError> {
        let keep: Vec<String> = [Which::Last, Which::Best, Which::Autoencoder]
            .into_iter()
            .filter_map(|w| self.pointer(w).ok().flatten())
            .map(|p| p.dir)
            .collect();
        let entries = std::fs::read_dir(&self.dir)
            .map_err(|e| TrainError::io(&self.dir, "cannot list", e))?;
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() && !keep.contains(&name) {
                std::fs::remove_dir_all(&path)
                    .map_err(|e| TrainError::io(&path, "cannot remove old checkpoint", e))?;
            }
        }
        Ok(())
    }
}
