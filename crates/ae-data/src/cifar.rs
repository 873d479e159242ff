//! The CIFAR-10 binary format: files of records, each 1 label byte followed by 3072 pixel bytes
//! (32×32 red, then green, then blue: channel-major, row-major within a channel).

use std::path::{Path, PathBuf};

use crate::error::DataError;
use crate::images::ImageSet;

/// Bytes of one record: 1 label byte + 3 × 32 × 32 pixel bytes.
pub const CIFAR_RECORD_LEN: usize = 1 + CIFAR_IMAGE_LEN;
/// Bytes of one image: 3 channels × 32 × 32.
pub const CIFAR_IMAGE_LEN: usize = 3 * 32 * 32;
/// The training batch files, in order.
pub const CIFAR_TRAIN_FILES: [&str; 5] = [
    "data_batch_1.bin",
    "data_batch_2.bin",
    "data_batch_3.bin",
    "data_batch_4.bin",
    "data_batch_5.bin",
];
/// The test batch file.
pub const CIFAR_TEST_FILE: &str = "test_batch.bin";

/// Parses the records of one CIFAR-10 batch file, appending pixels and labels.
pub fn parse_batch(
    path: &Path,
    bytes: &[u8],
    pixels: &mut Vec<u8>,
    labels: &mut Vec<u8>,
) -> Result<(), DataError> {
    if bytes.is_empty() {
        return Err(DataError::Empty {
            file: path.to_path_buf(),
            expected: "CIFAR-10 records of 3073 bytes".into(),
        });
    }
    if !bytes.len().is_multiple_of(CIFAR_RECORD_LEN) {
        return Err(DataError::CifarRecordLength {
            file: path.to_path_buf(),
            len: bytes.len(),
        });
    }
    for (index, record) in bytes.chunks_exact(CIFAR_RECORD_LEN).enumerate() {
        let label = record[0];
        if label >= 10 {
            return Err(DataError::LabelOutOfRange {
                file: path.to_path_buf(),
                index,
                label,
            });
        }
        labels.push(label);
        pixels.extend_from_slice(&record[1..]);
    }
    Ok(())
}

/// Reads CIFAR-10 batch files into one image set of shape [n, 3, 32, 32].
pub fn read_batches(paths: &[PathBuf]) -> Result<ImageSet, DataError> {
    let mut pixels = Vec::new();
    let mut labels = Vec::new();
    for path in paths {
        let bytes = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
        parse_batch(path, &bytes, &mut pixels, &mut labels)?;
    }
    ImageSet::new(pixels, labels, [3, 32, 32])
}

/// Encodes images and labels as one CIFAR-10 batch file. Used to write test fixtures.
pub fn encode_batch(pixels: &[u8], labels: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(labels.len() * CIFAR_RECORD_LEN);
    for (i, &label) in labels.iter().enumerate() {
        out.push(label);
        out.extend_from_slice(&pixels[i * CIFAR_IMAGE_LEN..(i + 1) * CIFAR_IMAGE_LEN]);
    }
    out
}
