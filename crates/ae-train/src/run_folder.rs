//! The run folder: its layout, the manifest, and the metrics files.
//!
//! ```text
//! runs/<recipe>-<timestamp>/
//!   recipe.toml      the resolved recipe (overrides applied)
//!   manifest.json    seed, backend, device, versions, dataset files and hashes, times, status
//!   metrics.csv      one row per stage × epoch
//!   metrics.json     every epoch, plus the final test accuracy / per-class / confusion (or MSE)
//!   checkpoints/     last and best checkpoints (see `checkpoint`)
//!   plots/           loss.png, accuracy.png, confusion.png
//!   grids/           weight grids (initial, trained, difference) and reconstructions
//!   report.html      everything above on one self-contained page
//! ```

use std::path::{Path, PathBuf};

use ae_data::DatasetId;
use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use crate::checkpoint::Pointer;
use crate::error::TrainError;
use crate::files::{compact_timestamp, create_dir, unix_seconds, write_atomic, write_json};
use crate::metrics::{ConfusionMatrix, EpochRecord, csv_document};
use crate::recipe::StageKind;

/// The Burn version this crate is built against (pinned in the workspace).
pub const BURN_VERSION: &str = "0.22.1";

/// Paths inside a run folder.
#[derive(Debug, Clone)]
pub struct RunFolder {
    /// The folder.
    pub dir: PathBuf,
}

impl RunFolder {
    /// Creates `<parent>/<name>-<timestamp>` (with `-2`, `-3`... if taken) and its sub-folders.
    pub fn create(parent: &Path, name: &str) -> Result<RunFolder, TrainError> {
        create_dir(parent)?;
        let stamp = compact_timestamp(unix_seconds());
        let base = format!("{name}-{stamp}");
        let mut n = 1;
        let dir = loop {
            let candidate = if n == 1 {
                parent.join(&base)
            } else {
                parent.join(format!("{base}-{n}"))
            };
            match std::fs::create_dir(&candidate) {
                Ok(()) => break candidate,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => n += 1,
                Err(e) => return Err(TrainError::io(&candidate, "cannot create run folder", e)),
            }
        };
        let folder = RunFolder { dir };
        for sub in [folder.checkpoints(), folder.plots(), folder.grids()] {
            create_dir(&sub)?;
        }
        Ok(folder)
    }

    /// An existing run folder (checked to hold a recipe and a manifest).
    pub fn open(dir: &Path) -> Result<RunFolder, TrainError> {
        let folder = RunFolder {
            dir: dir.to_path_buf(),
        };
        for file in [folder.recipe(), folder.manifest()] {
            if !file.is_file() {
                return Err(TrainError::RunFolder {
                    path: dir.to_path_buf(),
                    message: format!(
                        "not a run folder: {} is missing",
                        file.file_name().unwrap_or_default().to_string_lossy()
                    ),
                });
            }
        }
        for sub in [folder.checkpoints(), folder.plots(), folder.grids()] {
            create_dir(&sub)?;
        }
        Ok(folder)
    }

    pub fn recipe(&self) -> PathBuf {
        self.dir.join("recipe.toml")
    }
    pub fn manifest(&self) -> PathBuf {
        self.dir.join("manifest.json")
    }
    pub fn metrics_csv(&self) -> PathBuf {
        self.dir.join("metrics.csv")
    }
    pub fn metrics_json(&self) -> PathBuf {
        self.dir.join("metrics.json")
    }
    pub fn checkpoints(&self) -> PathBuf {
        self.dir.join("checkpoints")
    }
    pub fn plots(&self) -> PathBuf {
        self.dir.join("plots")
    }
    pub fn grids(&self) -> PathBuf {
        self.dir.join("grids")
    }
    pub fn report(&self) -> PathBuf {
        self.dir.join("report.html")
    }

    /// Writes `metrics.csv` and `metrics.json` (atomically).
    pub fn write_metrics(&self, metrics: &MetricsFile) -> Result<(), TrainError> {
        write_atomic(
            &self.metrics_csv(),
            csv_document(&metrics.epochs).as_bytes(),
        )?;
        write_json(&self.metrics_json(), metrics)
    }
}

/// One data file of the run's dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataFileInfo {
    pub name: String,
    pub sha256: String,
    /// Whether the digest matched a known one.
    pub verified: bool,
}

/// The dataset a run used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetInfo {
    /// A built-in dataset's name, or the folder / NumPy file (absolute).
    pub name: DatasetId,
    /// One name per class (empty when unlabelled); run folders from before 2026-12-02 lack it
    /// (their datasets are the built-in ones).
    #[serde(default)]
    pub class_names: Vec<String>,
    /// A folder or NumPy file split here: the test share and seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seeded_split: Option<SeededSplit>,
    /// Pictures left out (`--skip-unreadable`), each with why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<SkippedFile>,
    /// True when a folder's decoded pictures came from the cache.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub from_cache: bool,
    /// Where the files were read from.
    pub dir: PathBuf,
    pub files: Vec<DataFileInfo>,
    /// Training images used (after the limit) and available.
    pub train_samples: usize,
    pub train_available: usize,
    /// Test images used (after the limit) and available.
    pub test_samples: usize,
    pub test_available: usize,
    /// Stored image shape [c, h, w] and the shape the model sees after resize.
    pub image_shape: [usize; 3],
    pub input_shape: [usize; 3],
}

/// The test share and seed of a split made here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeededSplit {
    pub test_fraction: f64,
    pub seed: u64,
}

/// A picture a run left out, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkippedFile {
    pub file: PathBuf,
    pub reason: String,
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub recipe: String,
    pub seed: u64,
    /// `flex`, `ndarray`, `wgpu`...
    pub backend: String,
    /// The device as Burn describes it.
    pub device: String,
    pub ae_train_version: String,
    pub burn_version: String,
    pub dataset: DatasetInfo,
    /// Architecture trained in each stage.
    pub stages: Vec<String>,
    pub start_time: String,
    pub end_time: Option<String>,
    /// `running`, `completed`, `interrupted` or `failed`.
    pub status: String,
    /// Why the run stopped, when it did not complete.
    pub message: Option<String>,
    /// When the run was resumed, and on which device.
    pub resumed: Vec<String>,
    /// The PyTorch weights file the first stage started from (`ae train --init`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_weights: Option<String>,
}

/// The result the run ends with: of the last classification stage, or the final MSE.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FinalMetrics {
    /// Stage (from 1) and epoch these numbers are from.
    pub stage: Option<usize>,
    pub epoch: Option<usize>,
    pub test_accuracy: Option<f64>,
    pub per_class_accuracy: Option<Vec<Option<f64>>>,
    pub confusion_matrix: Option<ConfusionMatrix>,
    /// Test MSE of the last epoch when the run has no classification stage.
    pub test_mse: Option<f64>,
    /// A variational autoencoder's last test loss (the negative ELBO, reconstruction + β·KL,
    /// nats per image) and its parts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_loss: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_recon: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_kl: Option<f64>,
    /// A generative model's importance-weighted estimate of the test set's −log p(x), nats
    /// per image, at the end of the run, with its samples per image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iw_nll: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iw_samples: Option<usize>,
}

impl FinalMetrics {
    /// From the epochs so far.
    pub fn from_records(records: &[EpochRecord]) -> FinalMetrics {
        if let Some(r) = records
            .iter()
            .rev()
            .find(|r| r.kind == StageKind::Classification)
        {
            FinalMetrics {
                stage: Some(r.stage),
                epoch: Some(r.epoch),
                test_accuracy: r.test_accuracy,
                per_class_accuracy: r.per_class_accuracy.clone(),
                confusion_matrix: r.confusion_matrix.clone(),
                ..FinalMetrics::default()
            }
        } else if let Some(r) = records.last().filter(|r| r.test_kl.is_some()) {
            FinalMetrics {
                stage: Some(r.stage),
                epoch: Some(r.epoch),
                test_loss: Some(r.test_loss),
                test_recon: r.test_recon,
                test_kl: r.test_kl,
                ..FinalMetrics::default()
            }
        } else if let Some(r) = records.last() {
            FinalMetrics {
                stage: Some(r.stage),
                epoch: Some(r.epoch),
                test_mse: Some(r.test_loss),
                ..FinalMetrics::default()
            }
        } else {
            FinalMetrics::default()
        }
    }
}

/// `metrics.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricsFile {
    pub recipe: String,
    pub dataset: DatasetId,
    pub class_names: Vec<String>,
    pub status: String,
    #[serde(flatten)]
    pub final_metrics: FinalMetrics,
    /// The best checkpoint of the last stage.
    pub best: Option<Pointer>,
    pub epochs: Vec<EpochRecord>,
}

impl MetricsFile {
    /// `class_names`: the dataset's (the manifest's), one per class.
    pub fn new(
        recipe: &str,
        dataset: DatasetId,
        class_names: Vec<String>,
        status: &str,
        best: Option<Pointer>,
        epochs: Vec<EpochRecord>,
    ) -> Self {
        MetricsFile {
            recipe: recipe.to_string(),
            dataset,
            class_names,
            status: status.to_string(),
            final_metrics: FinalMetrics::from_records(&epochs),
            best,
            epochs,
        }
    }
}

/// `flex`, `ndarray`, `wgpu`, ... from Burn's description of a device.
pub fn backend_name(device: &Device) -> String {
    let text = format!("{device:?}").to_lowercase();
    for name in [
        "flex", "ndarray", "wgpu", "vulkan", "metal", "webgpu", "cuda", "rocm", "cpu", "tch",
    ] {
        if text.contains(name) {
            return name.to_string();
        }
    }
    text
}

/// Reads a run folder's metrics file.
pub fn read_metrics(run_dir: &Path) -> Result<MetricsFile, TrainError> {
    crate::files::read_json(&RunFolder::open(run_dir)?.metrics_json())
}
