//! The typed errors of this crate. Every variant names the file (or dataset) and what was expected.

use std::path::PathBuf;

/// Everything that can go wrong while finding, reading, checking or batching data.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The file could not be opened or read.
    #[error("{file}: cannot read: {source}")]
    Io {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file starts like gzip but its stream is corrupt or cut short.
    #[error("{file}: corrupt gzip stream: {source}")]
    Gzip {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file holds no bytes at all.
    #[error("{file}: file is empty, expected {expected}")]
    Empty { file: PathBuf, expected: String },
    /// The IDX header is shorter than its fixed part.
    #[error("{file}: header cut short: {found} bytes, an IDX {what} header needs {expected}")]
    ShortHeader {
        file: PathBuf,
        what: &'static str,
        found: usize,
        expected: usize,
    },
    /// The IDX magic number is not the one for this kind of file.
    #[error("{file}: wrong magic number 0x{found:08x}, expected 0x{expected:08x} ({what})")]
    BadMagic {
        file: PathBuf,
        what: &'static str,
        found: u32,
        expected: u32,
    },
    /// A size in the header is zero or does not fit what the reader accepts.
    #[error("{file}: bad header: {detail}")]
    BadHeader { file: PathBuf, detail: String },
    /// The body holds fewer bytes than the header promises.
    #[error("{file}: header says {expected}, file holds {found}")]
    Truncated {
        file: PathBuf,
        expected: String,
        found: String,
    },
    /// The body holds more bytes than the header promises.
    #[error("{file}: header says {expected}, file holds {extra} extra byte(s) after them")]
    TrailingBytes {
        file: PathBuf,
        expected: String,
        extra: usize,
    },
    /// Images and labels of one split disagree in count.
    #[error("{images_file} holds {images} images but {labels_file} holds {labels} labels")]
    CountMismatch {
        images_file: PathBuf,
        labels_file: PathBuf,
        images: usize,
        labels: usize,
    },
    /// A label is not a class index in 0..10.
    #[error("{file}: label {label} at index {index} is out of range, expected 0..=9")]
    LabelOutOfRange {
        file: PathBuf,
        index: usize,
        label: u8,
    },
    /// A CIFAR-10 batch file's length is not a whole number of records.
    #[error(
        "{file}: length {len} bytes is not a multiple of 3073 (one CIFAR-10 record: 1 label byte + 3072 pixel bytes)"
    )]
    CifarRecordLength { file: PathBuf, len: usize },
    /// A file's digest matches none of the known ones for it.
    #[error(
        "{file}: {algorithm} is {found}, expected {expected}; the file is corrupt or not the official one (re-download it, or accept it explicitly with --accept-unverified)"
    )]
    HashMismatch {
        file: PathBuf,
        algorithm: &'static str,
        found: String,
        expected: String,
    },
    /// The dataset was found nowhere and could not be downloaded.
    #[error("{message}")]
    NotFound { dataset: String, message: String },
    /// A download failed.
    #[error("downloading {url}: {detail}")]
    Download { url: String, detail: String },
    /// A name that is not one of the known datasets.
    #[error(
        "unknown dataset '{name}', expected one of: mnist, fashion-mnist, cifar10, mnist-mini, a folder of pictures (a path) or a .npz / .npy file"
    )]
    UnknownDataset { name: String },
    /// A caller asked for something impossible (a zero batch size, an empty subset...).
    #[error("{0}")]
    InvalidArgument(String),
    /// A picture that cannot be read or decoded (not a PNG or JPEG, damaged, cut short).
    #[error("{file}: {message}")]
    Image { file: PathBuf, message: String },
    /// A folder of pictures that cannot be used as a dataset: its layout, an empty class folder,
    /// no pictures, too many classes, train/ and test/ with different classes.
    #[error("{folder}: {message}")]
    Folder { folder: PathBuf, message: String },
    /// A NumPy file (`.npy` / `.npz`), or an array in it, that cannot be used as a dataset.
    #[error("{file}: {message}")]
    Arrays { file: PathBuf, message: String },
}

impl DataError {
    pub(crate) fn io(file: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            file: file.into(),
            source,
        }
    }
}
