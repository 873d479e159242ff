//! The one error type of the crate: every variant names the file concerned.

use std::path::{Path, PathBuf};

/// Writing or reading a TensorBoard file failed.
#[derive(Debug, thiserror::Error)]
pub enum TensorBoardError {
    /// A file or folder could not be created, written or read.
    #[error("{path}: {action}: {source}")]
    Io {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// An event file that is not a well-formed TFRecord of `Event` messages (truncated, bad
    /// checksum, undecodable protobuf).
    #[error("{path}: not a TensorBoard event file: {message}")]
    Corrupt { path: PathBuf, message: String },
    /// Data that cannot be written as asked (a shape that does not add up, bytes that are not
    /// a PNG, a sprite sheet too large for the projector).
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl TensorBoardError {
    /// An I/O failure on `path` while doing `action`.
    pub fn io(path: impl Into<PathBuf>, action: &'static str, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            action,
            source,
        }
    }

    /// Data for `path` that cannot be written, as `message` says.
    pub fn invalid(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Self::Invalid {
            path: path.into(),
            message: message.into(),
        }
    }

    /// The file (or folder) concerned.
    pub fn path(&self) -> &Path {
        match self {
            Self::Io { path, .. } | Self::Corrupt { path, .. } | Self::Invalid { path, .. } => path,
        }
    }
}
