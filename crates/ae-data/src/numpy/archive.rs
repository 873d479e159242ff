//! An opened `.npy` or `.npz`: its arrays by key, read with their headers checked against the
//! bytes that follow.

use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;

use super::array_error;
use crate::error::DataError;

/// An opened `.npy` or `.npz`.
pub(super) enum Archive {
    Npy(File),
    Npz(zip::ZipArchive<BufReader<File>>),
}

impl Archive {
    pub(super) fn open(path: &Path) -> Result<Self, DataError> {
        let mut file = File::open(path).map_err(|e| DataError::io(path, e))?;
        let mut magic = [0u8; 6];
        let n = read_up_to(&mut file, &mut magic).map_err(|e| DataError::io(path, e))?;
        file.rewind().map_err(|e| DataError::io(path, e))?;
        if n == 6 && &magic == b"\x93NUMPY" {
            return Ok(Archive::Npy(file));
        }
        if n >= 4 && (&magic[..4] == b"PK\x03\x04" || &magic[..4] == b"PK\x05\x06") {
            let archive = zip::ZipArchive::new(BufReader::new(file)).map_err(|e| {
                array_error(path, format!("not a readable .npz (zip) archive: {e}"))
            })?;
            return Ok(Archive::Npz(archive));
        }
        Err(array_error(
            path,
            if n == 0 {
                "file is empty, expected a NumPy .npy or .npz file".into()
            } else {
                "not a NumPy .npy file (no \\x93NUMPY magic) nor a .npz (zip) archive".into()
            },
        ))
    }

    /// The arrays in the file.
    pub(super) fn keys(&self) -> Vec<String> {
        match self {
            Archive::Npy(_) => vec!["images".into()],
            Archive::Npz(zip) => {
                let mut keys: Vec<String> = zip
                    .file_names()
                    .filter_map(|n| n.ok())
                    .filter_map(|n| n.strip_suffix(".npy").map(str::to_string))
                    .collect();
                keys.sort();
                keys
            }
        }
    }

    /// Runs `f` on the array `key` (its reader and its size in bytes), or `None` when the file
    /// has no such array.
    pub(super) fn with<T>(
        &mut self,
        path: &Path,
        key: &str,
        f: impl FnOnce(&mut dyn Read, u64) -> Result<T, String>,
    ) -> Result<Option<T>, DataError> {
        let npy = self_kind(self);
        let named = |message: String| {
            if npy {
                array_error(path, message)
            } else {
                array_error(path, format!("{key}: {message}"))
            }
        };
        match self {
            Archive::Npy(file) => {
                if key != "images" {
                    return Ok(None);
                }
                let len = file.metadata().map_err(|e| DataError::io(path, e))?.len();
                file.rewind().map_err(|e| DataError::io(path, e))?;
                let mut reader = BufReader::with_capacity(1 << 20, &*file);
                f(&mut reader, len).map(Some).map_err(named)
            }
            Archive::Npz(zip) => {
                let mut entry = match zip.by_name(&format!("{key}.npy")) {
                    Ok(entry) => entry,
                    Err(zip::result::ZipError::FileNotFound) => return Ok(None),
                    Err(e) => {
                        return Err(array_error(path, format!("{key}: cannot read it: {e}")));
                    }
                };
                let size = entry.size();
                f(&mut entry, size).map(Some).map_err(named)
            }
        }
    }
}

/// True for a `.npy` (its one array needs no key in messages).
pub(super) fn self_kind(archive: &Archive) -> bool {
    matches!(archive, Archive::Npy(_))
}

/// Reads until `buf` is full or the end; returns how many bytes were read.
pub(super) fn read_up_to(r: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}
