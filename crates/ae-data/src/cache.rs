//! The cache of decoded picture folders: one file per folder and target shape, so that a second
//! load of an unchanged folder decodes nothing.
//!
//! The file is `<cache dir>/<folder name>-<16 hex digits of SHA-256 of the folder's canonical
//! path>-<c>x<h>x<w>.pixels`. It holds the pictures in file order (not split order: the split
//! is made after reading it, so one cache serves every seed and test share), little-endian:
//!
//! | bytes | what |
//! | --- | --- |
//! | 8 | magic `AE-PICS` and a 0 byte |
//! | 4 | format version ([`FORMAT_VERSION`]) |
//! | 32 | the key: SHA-256 of the format version, the target shape, the picture options, the layout, the class names, and every picture's part (`train/`, `test/`, none), label, relative path, size and modification time |
//! | 12 | `c`, `h`, `w` (u32 each) |
//! | 8 | number of pictures `n` (u64) |
//! | 4 + … | number of classes (u32), then each name: length (u32) and UTF-8 |
//! | n × … | per picture: status (u8: 0 decoded, 1 unreadable), part (u8: 0 none, 1 train, 2 test), label (u8), relative path (u32 length + UTF-8); when unreadable, why (u32 length + UTF-8) |
//! | … | `c·h·w` bytes for each decoded picture, in file order |
//! | 4 | CRC-32 (IEEE) of every byte before it |
//!
//! A file that does not match in any way (magic, version, key, shape, listing, length, CRC) is
//! ignored and rewritten by the load, never trusted. Files are written atomically (a temporary
//! file in the same folder, then a rename).

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest as _, Sha256};

use crate::error::DataError;
use crate::folder::{Listing, Outcome, Part};

/// Bump when the file layout or the decoding of pictures (`to_dataset_pixels`) changes.
pub(crate) const FORMAT_VERSION: u32 = 1;

const MAGIC: &[u8; 8] = b"AE-PICS\0";

/// The cache file of `folder` at `shape` under `dir`.
pub(crate) fn file_for(dir: &Path, folder: &Path, shape: [usize; 3]) -> PathBuf {
    let canonical = std::fs::canonicalize(folder).unwrap_or_else(|_| folder.to_path_buf());
    let digest = Sha256::digest(canonical.as_os_str().as_encoded_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    let name: String = canonical
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "folder".into())
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(40)
        .collect();
    let [c, h, w] = shape;
    dir.join(format!("{name}-{hex}-{c}x{h}x{w}.pixels"))
}

fn part_byte(part: Part) -> u8 {
    match part {
        Part::Pool => 0,
        Part::Train => 1,
        Part::Test => 2,
    }
}

/// The key of a listing decoded to `shape`.
pub(crate) fn key(listing: &Listing, shape: [usize; 3]) -> [u8; 32] {
    let mut h = Sha256::new();
    let text = |h: &mut Sha256, s: &[u8]| {
        h.update((s.len() as u64).to_le_bytes());
        h.update(s);
    };
    h.update(b"ae-data picture folder cache");
    h.update(FORMAT_VERSION.to_le_bytes());
    for d in shape {
        h.update((d as u64).to_le_bytes());
    }
    // The picture options: default (no inversion, no centring).
    h.update([0u8, 0u8]);
    h.update([u8::from(listing.split_given)]);
    h.update((listing.class_names.len() as u64).to_le_bytes());
    for name in &listing.class_names {
        text(&mut h, name.as_bytes());
    }
    h.update((listing.files.len() as u64).to_le_bytes());
    for f in &listing.files {
        h.update([part_byte(f.part), f.label]);
        text(&mut h, f.rel.as_os_str().as_encoded_bytes());
        h.update(f.size.to_le_bytes());
        h.update(f.mtime_ns.to_le_bytes());
    }
    h.finalize().into()
}

/// Reads exactly what the header promises, keeping a CRC of it and never reading (or
/// allocating) past the file's length.
struct Checked<R> {
    inner: R,
    crc: crc32fast::Hasher,
    remaining: u64,
}

impl<R: Read> Checked<R> {
    fn fill(&mut self, buf: &mut [u8]) -> Option<()> {
        if buf.len() as u64 > self.remaining {
            return None;
        }
        self.inner.read_exact(buf).ok()?;
        self.crc.update(buf);
        self.remaining -= buf.len() as u64;
        Some(())
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        let mut b = [0u8; N];
        self.fill(&mut b)?;
        Some(b)
    }

    fn u8(&mut self) -> Option<u8> {
        Some(self.array::<1>()?[0])
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.array()?))
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.array()?))
    }

    fn text(&mut self) -> Option<Vec<u8>> {
        let len = self.u32()? as u64;
        if len > self.remaining {
            return None;
        }
        let mut b = vec![0u8; len as usize];
        self.fill(&mut b)?;
        Some(b)
    }
}

/// The cached pictures of `listing` at `shape`, each written into its slot (by file index),
/// and what became of each; `None` when the file is missing, stale or damaged (the slots may
/// then hold anything).
pub(crate) fn read(
    file: &Path,
    key: &[u8; 32],
    listing: &Listing,
    shape: [usize; 3],
    slots: &mut [Option<&mut [u8]>],
) -> Option<Vec<Outcome>> {
    let handle = File::open(file).ok()?;
    let len = handle.metadata().ok()?.len();
    let mut r = Checked {
        inner: BufReader::with_capacity(1 << 20, handle),
        crc: crc32fast::Hasher::new(),
        remaining: len.checked_sub(4)?,
    };
    if &r.array::<8>()? != MAGIC || r.u32()? != FORMAT_VERSION || &r.array::<32>()? != key {
        return None;
    }
    for d in shape {
        if r.u32()? as usize != d {
            return None;
        }
    }
    if r.u64()? != listing.files.len() as u64 || r.u32()? as usize != listing.class_names.len() {
        return None;
    }
    for name in &listing.class_names {
        if r.text()? != name.as_bytes() {
            return None;
        }
    }
    let mut outcomes = Vec::with_capacity(listing.files.len());
    for f in &listing.files {
        let status = r.u8()?;
        if r.u8()? != part_byte(f.part) || r.u8()? != f.label {
            return None;
        }
        if r.text()? != f.rel.to_string_lossy().as_bytes() {
            return None;
        }
        outcomes.push(match status {
            0 => Outcome::Decoded,
            1 => Outcome::Failed(String::from_utf8_lossy(&r.text()?).into_owned()),
            _ => return None,
        });
    }
    let image_len: usize = shape.iter().product();
    let decoded = outcomes.iter().filter(|o| **o == Outcome::Decoded).count() as u64;
    if r.remaining != decoded.checked_mul(image_len as u64)? {
        return None;
    }
    let mut scratch = vec![0u8; image_len];
    for (outcome, slot) in outcomes.iter().zip(slots.iter_mut()) {
        if *outcome == Outcome::Decoded {
            match slot {
                Some(slot) => r.fill(slot)?,
                None => r.fill(&mut scratch)?,
            }
        }
    }
    let mut crc = [0u8; 4];
    r.inner.read_exact(&mut crc).ok()?;
    (u32::from_le_bytes(crc) == r.crc.finalize()).then_some(outcomes)
}

/// Writes the cache file of `listing` at `shape`: what became of every picture and the pixels
/// of the decoded ones, from their slots.
pub(crate) fn write(
    file: &Path,
    key: &[u8; 32],
    listing: &Listing,
    shape: [usize; 3],
    slots: &[Option<&mut [u8]>],
    outcomes: &[Outcome],
) -> Result<(), DataError> {
    let dir = file.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| DataError::io(dir, e))?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Unique per process and per write, so that two loads of one folder never share it.
    static WRITES: AtomicU64 = AtomicU64::new(0);
    let tmp = dir.join(format!(
        ".{name}.{}-{}.part",
        std::process::id(),
        WRITES.fetch_add(1, Ordering::Relaxed)
    ));
    let result = write_to(&tmp, key, listing, shape, slots, outcomes)
        .map_err(|e| DataError::io(&tmp, e))
        .and_then(|()| std::fs::rename(&tmp, file).map_err(|e| DataError::io(file, e)));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn write_to(
    tmp: &Path,
    key: &[u8; 32],
    listing: &Listing,
    shape: [usize; 3],
    slots: &[Option<&mut [u8]>],
    outcomes: &[Outcome],
) -> std::io::Result<()> {
    struct Crc<W> {
        inner: W,
        crc: crc32fast::Hasher,
    }
    impl<W: Write> Crc<W> {
        fn put(&mut self, bytes: &[u8]) -> std::io::Result<()> {
            self.crc.update(bytes);
            self.inner.write_all(bytes)
        }
        fn text(&mut self, bytes: &[u8]) -> std::io::Result<()> {
            self.put(&(bytes.len() as u32).to_le_bytes())?;
            self.put(bytes)
        }
    }
    let mut w = Crc {
        inner: BufWriter::with_capacity(1 << 20, File::create(tmp)?),
        crc: crc32fast::Hasher::new(),
    };
    w.put(MAGIC)?;
    w.put(&FORMAT_VERSION.to_le_bytes())?;
    w.put(key)?;
    for d in shape {
        w.put(&(d as u32).to_le_bytes())?;
    }
    w.put(&(listing.files.len() as u64).to_le_bytes())?;
    w.put(&(listing.class_names.len() as u32).to_le_bytes())?;
    for name in &listing.class_names {
        w.text(name.as_bytes())?;
    }
    for (f, outcome) in listing.files.iter().zip(outcomes) {
        let failed = match outcome {
            Outcome::Decoded => None,
            Outcome::Failed(message) => Some(message),
            Outcome::NotTried => {
                return Err(std::io::Error::other("a picture was not decoded"));
            }
        };
        w.put(&[u8::from(failed.is_some()), part_byte(f.part), f.label])?;
        w.text(f.rel.to_string_lossy().as_bytes())?;
        if let Some(message) = failed {
            w.text(message.as_bytes())?;
        }
    }
    let image_len: usize = shape.iter().product();
    let blank = vec![0u8; image_len];
    for (outcome, slot) in outcomes.iter().zip(slots) {
        if *outcome == Outcome::Decoded {
            w.put(slot.as_deref().unwrap_or(&blank))?;
        }
    }
    let crc = w.crc.finalize();
    w.inner.write_all(&crc.to_le_bytes())?;
    let file = w.inner.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()
}
