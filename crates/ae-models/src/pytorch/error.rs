//! What can go wrong reading or writing a weights file; every message is one line naming the
//! file and the fault.

use std::path::PathBuf;

/// A weights file that cannot be read, does not fit the model, or cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum WeightsError {
    /// The file cannot be opened or read.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The content is neither a PyTorch file nor a safetensors file.
    #[error(
        "{path}: neither a PyTorch file (zip or pickle, from torch.save) nor a safetensors file ({found})"
    )]
    UnknownFormat {
        /// The file.
        path: PathBuf,
        /// What its first bytes look like.
        found: String,
    },
    /// The file starts like one of the formats but cannot be parsed (cut short or damaged).
    #[error("{path}: truncated or corrupt {format} file: {message}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// `PyTorch` or `safetensors`.
        format: &'static str,
        /// The reader's explanation.
        message: String,
    },
    /// A parameter of the model is not in the file.
    #[error("{path}: missing key '{key}' (expected shape {expected:?}){others}")]
    MissingKey {
        /// The file.
        path: PathBuf,
        /// The PyTorch key (the notebook's name).
        key: String,
        /// Its PyTorch shape.
        expected: Vec<usize>,
        /// The other missing keys, if any, as `"; also missing: a, b"`.
        others: String,
    },
    /// The file holds a tensor the model has no parameter for.
    #[error(
        "{path}: unexpected key '{key}' (the model has no such parameter; it expects {expected}){others}"
    )]
    UnexpectedKey {
        /// The file.
        path: PathBuf,
        /// The key found.
        key: String,
        /// The keys the model expects, abbreviated.
        expected: String,
        /// The other unexpected keys, if any.
        others: String,
    },
    /// A tensor's shape differs from the parameter's (both in PyTorch's layout).
    #[error("{path}: '{key}' has shape {found:?}, expected {expected:?}")]
    ShapeMismatch {
        /// The file.
        path: PathBuf,
        /// The PyTorch key.
        key: String,
        /// The model's shape, PyTorch layout (`Linear.weight` is `[out, in]`).
        expected: Vec<usize>,
        /// The file's shape.
        found: Vec<usize>,
    },
    /// A tensor holds integers or booleans where a float parameter is expected (f16, bf16 and
    /// f64 are converted to f32, not refused).
    #[error("{path}: '{key}' holds {dtype} values, expected floating point")]
    NotFloat {
        /// The file.
        path: PathBuf,
        /// The PyTorch key.
        key: String,
        /// The dtype found.
        dtype: String,
    },
    /// The file cannot be written.
    #[error("{path}: cannot write: {message}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
}

/// One line out of a possibly multi-line message from a reader.
pub(crate) fn one_line(message: impl std::fmt::Display) -> String {
    message
        .to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}
