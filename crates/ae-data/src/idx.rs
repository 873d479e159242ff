//! The IDX file format of MNIST and Fashion-MNIST: a big-endian header (magic number, then one
//! u32 per dimension) followed by the raw bytes. Gzipped files are recognised by their content.
//!
//! Everything is checked against the header: the magic, the number of dimensions, zero sizes,
//! and the body length, so a truncated or oversized file is an error, never a silent cut.

use std::io::Read;
use std::path::Path;

use flate2::read::MultiGzDecoder;

use crate::error::DataError;

/// Magic number of an IDX file of unsigned bytes with 3 dimensions (images).
pub const IDX_IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an IDX file of unsigned bytes with 1 dimension (labels).
pub const IDX_LABELS_MAGIC: u32 = 0x0000_0801;

/// Images read from an IDX file: `count` images of `rows × cols` bytes, row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxImages {
    pub count: usize,
    pub rows: usize,
    pub cols: usize,
    /// `count * rows * cols` bytes.
    pub pixels: Vec<u8>,
}

/// Reads a whole file, gunzipping it when it starts with the gzip magic bytes.
pub fn read_maybe_gz(path: &Path) -> Result<Vec<u8>, DataError> {
    let raw = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    decode_maybe_gz(path, raw)
}

/// Gunzips `raw` when it starts with the gzip magic bytes, else returns it as it is.
/// `path` is only used to name the file in errors.
pub fn decode_maybe_gz(path: &Path, raw: Vec<u8>) -> Result<Vec<u8>, DataError> {
    if raw.len() >= 2 && raw[0] == 0x1f && raw[1] == 0x8b {
        let mut out = Vec::with_capacity(raw.len() * 4);
        MultiGzDecoder::new(raw.as_slice())
            .read_to_end(&mut out)
            .map_err(|source| DataError::Gzip {
                file: path.to_path_buf(),
                source,
            })?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

/// Parses an IDX images file (magic 0x00000803) from its decoded bytes.
pub fn parse_images(path: &Path, bytes: &[u8]) -> Result<IdxImages, DataError> {
    let dims = parse_header(path, bytes, IDX_IMAGES_MAGIC, "images", 3)?;
    let [count, rows, cols] = [dims[0], dims[1], dims[2]];
    if rows == 0 || cols == 0 {
        return Err(DataError::BadHeader {
            file: path.to_path_buf(),
            detail: format!("image size {rows}x{cols}, expected non-zero rows and columns"),
        });
    }
    let image_len = rows * cols;
    let what = format!("{count} images of {rows}x{cols}");
    let body = check_body(path, bytes, 16, count, image_len, &what, "images")?;
    Ok(IdxImages {
        count,
        rows,
        cols,
        pixels: body.to_vec(),
    })
}

/// Parses an IDX labels file (magic 0x00000801) from its decoded bytes. Labels must be < 10.
pub fn parse_labels(path: &Path, bytes: &[u8]) -> Result<Vec<u8>, DataError> {
    let dims = parse_header(path, bytes, IDX_LABELS_MAGIC, "labels", 1)?;
    let count = dims[0];
    let what = format!("{count} labels");
    let body = check_body(path, bytes, 8, count, 1, &what, "labels")?;
    if let Some((index, &label)) = body.iter().enumerate().find(|(_, l)| **l >= 10) {
        return Err(DataError::LabelOutOfRange {
            file: path.to_path_buf(),
            index,
            label,
        });
    }
    Ok(body.to_vec())
}

/// Reads and parses an IDX images file (raw or gzipped).
pub fn read_images(path: &Path) -> Result<IdxImages, DataError> {
    parse_images(path, &read_maybe_gz(path)?)
}

/// Reads and parses an IDX labels file (raw or gzipped).
pub fn read_labels(path: &Path) -> Result<Vec<u8>, DataError> {
    parse_labels(path, &read_maybe_gz(path)?)
}

fn parse_header(
    path: &Path,
    bytes: &[u8],
    magic: u32,
    what: &'static str,
    ndims: usize,
) -> Result<Vec<usize>, DataError> {
    let header_len = 4 + 4 * ndims;
    if bytes.is_empty() {
        return Err(DataError::Empty {
            file: path.to_path_buf(),
            expected: format!("an IDX {what} file (magic 0x{magic:08x})"),
        });
    }
    if bytes.len() < 4 {
        return Err(DataError::ShortHeader {
            file: path.to_path_buf(),
            what,
            found: bytes.len(),
            expected: header_len,
        });
    }
    let found = be_u32(&bytes[0..4]);
    if found != magic {
        return Err(DataError::BadMagic {
            file: path.to_path_buf(),
            what,
            found,
            expected: magic,
        });
    }
    if bytes.len() < header_len {
        return Err(DataError::ShortHeader {
            file: path.to_path_buf(),
            what,
            found: bytes.len(),
            expected: header_len,
        });
    }
    Ok((0..ndims)
        .map(|d| be_u32(&bytes[4 + 4 * d..8 + 4 * d]) as usize)
        .collect())
}

/// Checks that the body after `header_len` holds exactly `count * item_len` bytes and returns it.
fn check_body<'a>(
    path: &Path,
    bytes: &'a [u8],
    header_len: usize,
    count: usize,
    item_len: usize,
    what: &str,
    unit: &str,
) -> Result<&'a [u8], DataError> {
    let body = &bytes[header_len..];
    let expected_len = count
        .checked_mul(item_len)
        .ok_or_else(|| DataError::BadHeader {
            file: path.to_path_buf(),
            detail: format!("{what} is too large to address"),
        })?;
    if body.len() < expected_len {
        let whole = body.len() / item_len;
        let rest = body.len() % item_len;
        let found = if rest == 0 {
            format!("{whole}")
        } else {
            format!("{whole} {unit} and {rest} stray byte(s)")
        };
        return Err(DataError::Truncated {
            file: path.to_path_buf(),
            expected: what.to_string(),
            found,
        });
    }
    if body.len() > expected_len {
        return Err(DataError::TrailingBytes {
            file: path.to_path_buf(),
            expected: what.to_string(),
            extra: body.len() - expected_len,
        });
    }
    Ok(body)
}

fn be_u32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// Encodes images as an IDX file (uncompressed). Used to write test fixtures and caches.
pub fn encode_images(count: usize, rows: usize, cols: usize, pixels: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + pixels.len());
    out.extend_from_slice(&IDX_IMAGES_MAGIC.to_be_bytes());
    for d in [count, rows, cols] {
        out.extend_from_slice(&(d as u32).to_be_bytes());
    }
    out.extend_from_slice(pixels);
    out
}

/// Encodes labels as an IDX file (uncompressed).
pub fn encode_labels(labels: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + labels.len());
    out.extend_from_slice(&IDX_LABELS_MAGIC.to_be_bytes());
    out.extend_from_slice(&(labels.len() as u32).to_be_bytes());
    out.extend_from_slice(labels);
    out
}
