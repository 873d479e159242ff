//! The typed errors of this crate: every variant names the file, key or stage concerned and what
//! was expected.

use std::path::PathBuf;

/// A recipe that cannot be read or describes an impossible pipeline.
#[derive(Debug, thiserror::Error)]
pub enum RecipeError {
    /// The recipe file could not be read.
    #[error("{path}: cannot read recipe: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The TOML is malformed, has an unknown key, a wrong type or an unknown name (dataset,
    /// activation, optimiser...). `message` is the parser's, which names the key and the line.
    #[error("{origin}: {message}")]
    Parse { origin: String, message: String },
    /// A value that must be at least 1 is zero.
    #[error("recipe key `{key}` is 0, expected at least 1")]
    Zero { key: String },
    /// A classifier head whose input does not match the encoder's output.
    #[error(
        "recipe key `{key}` is {found}, but the encoder before it outputs {expected} values; expected {expected}"
    )]
    HeadMismatch {
        key: String,
        expected: usize,
        found: usize,
    },
    /// Any other impossible value, with what was expected.
    #[error("recipe key `{key}`: {message}")]
    Invalid { key: String, message: String },
}

impl RecipeError {
    /// The value of `key` is unusable, as `message` says.
    pub fn invalid(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            key: key.into(),
            message: message.into(),
        }
    }
}

/// Everything that can stop training, evaluation or a benchmark.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// The recipe is invalid.
    #[error(transparent)]
    Recipe(#[from] RecipeError),
    /// The dataset could not be found, read or batched.
    #[error(transparent)]
    Data(#[from] ae_data::DataError),
    /// A file or folder of the run could not be written or read.
    #[error("{path}: {action}: {source}")]
    Io {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// A JSON file of the run is malformed.
    #[error("{path}: malformed JSON: {message}")]
    Json { path: PathBuf, message: String },
    /// A model or optimiser checkpoint could not be written or read.
    #[error("{path}: checkpoint: {message}")]
    Checkpoint { path: PathBuf, message: String },
    /// A plot or image grid could not be drawn.
    #[error("{path}: cannot draw: {message}")]
    Draw { path: PathBuf, message: String },
    /// The loss became NaN or infinite; the stage was stopped.
    #[error(
        "stage {stage} ('{stage_name}'), epoch {epoch}, step {step}: {what} is {value}; stopped the stage ({}). Try a smaller learning rate",
        kept_checkpoint(.checkpoint)
    )]
    NonFinite {
        stage: usize,
        stage_name: String,
        epoch: usize,
        step: usize,
        what: &'static str,
        value: f32,
        /// The last good checkpoint, if an epoch had finished.
        checkpoint: Option<PathBuf>,
    },
    /// Training was interrupted (Ctrl-C, SIGTERM or the interrupt option); a checkpoint was saved.
    #[error(
        "interrupted at stage {stage} ('{stage_name}'), epoch {epoch}, step {step}; checkpoint saved. Resume with: ae train --resume {}",
        run_dir.display()
    )]
    Interrupted {
        run_dir: PathBuf,
        stage: usize,
        stage_name: String,
        epoch: usize,
        step: usize,
    },
    /// A run folder that cannot be resumed or evaluated.
    #[error("{path}: {message}")]
    RunFolder { path: PathBuf, message: String },
    /// The requested dataset does not fit the trained model.
    #[error("dataset {dataset}: {message}")]
    DatasetMismatch { dataset: String, message: String },
    /// The backend failed to compute or read back a tensor.
    #[error("backend: {0}")]
    Backend(String),
    /// A picture given to a trained model cannot be read.
    #[error("{path}: {message}")]
    Image { path: PathBuf, message: String },
    /// An option of the call itself is unusable.
    #[error("{0}")]
    InvalidOption(String),
    /// A PyTorch or safetensors weights file that cannot be read, does not fit the model or
    /// cannot be written.
    #[error(transparent)]
    Weights(#[from] ae_models::pytorch::WeightsError),
}

fn kept_checkpoint(checkpoint: &Option<PathBuf>) -> String {
    match checkpoint {
        Some(path) => format!("the last good checkpoint is kept in {}", path.display()),
        None => "no epoch had finished, so there is no checkpoint".to_string(),
    }
}

impl TrainError {
    /// An I/O failure on `path` while doing `action`.
    pub fn io(path: impl Into<PathBuf>, action: &'static str, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            action,
            source,
        }
    }
}
