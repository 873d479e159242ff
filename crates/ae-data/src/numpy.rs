//! NumPy files as datasets.
//!
//! * `.npz` with `x_train`, `y_train`, `x_test`, `y_test` (as Keras' `mnist.npz`): the split is
//!   given. Without `y_train` and `y_test` the images are unlabelled.
//! * `.npz` with `images` (and optionally `labels`): the split is made here, seeded and
//!   stratified, exactly as for a folder of pictures ([`crate::Split::Seeded`]).
//! * `.npy`: one array of images, unlabelled, split here.
//!
//! Either `.npz` may also hold `class_names`, a 1-D string array (`U` or `S`), one name per
//! class. The file kind is told by its content (a zip archive or the `.npy` magic).
//!
//! Images are `N×H×W` (one channel) or `N×C×H×W`, C order, and must match the target shape
//! exactly. Their dtype is `uint8`, or `float32` / `float64` with every value in [0, 1],
//! stored as the byte `round(x·255)` (the load's `source` line says so). Labels are `N` (or
//! `N×1`) integers of any integer dtype, each in `0..classes`, where `classes` is the length
//! of `class_names` when given, else the largest label + 1 (at most 256: labels are bytes).
//!
//! The arrays are read in chunks straight into the final buffers; sizes are checked against
//! the file before anything is allocated, so a damaged or lying header is an error, never a
//! huge allocation or a panic.

use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::{Path, PathBuf};

use npyz::{DType, Endianness, NpyFile, NpyHeader, TypeChar, TypeStr};

use crate::custom::{CustomData, CustomOptions, Plan, Split, check_test_fraction, seeded_plan};
use crate::error::DataError;
use crate::images::{ImageSet, MAX_CLASSES};

/// The largest `.npy` header read (NumPy itself refuses headers over 10,000 bytes by default).
const MAX_HEADER: usize = 1 << 20;

/// What a NumPy file holds, from its headers and labels (no images read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrayScan {
    pub path: PathBuf,
    /// The images array(s) as stored, e.g. `[60000, 28, 28]` (of `x_train` when the split is
    /// given).
    pub images_shape: Vec<u64>,
    /// NumPy's name of the images' dtype: `uint8`, `float32`, ...
    pub dtype: String,
    /// True for `x_train` + `x_test`.
    pub split_given: bool,
    /// Images of `x_train`, or every image when the split is not given.
    pub train_count: usize,
    /// Images of `x_test`; 0 when the split is not given.
    pub test_count: usize,
    /// 0 when unlabelled.
    pub classes: usize,
    /// From `class_names`; empty when the file has none.
    pub class_names: Vec<String>,
    /// The arrays of the file (`.npz` keys; `["images"]` for a `.npy`).
    pub keys: Vec<String>,
}

/// The file's layout: which arrays hold what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// `x_train`, `x_test` and, when labelled, `y_train`, `y_test`.
    Given { labelled: bool },
    /// `images` and maybe `labels` (or a `.npy`).
    Pooled { labelled: bool },
}

/// An opened `.npy` or `.npz`.
enum Archive {
    Npy(File),
    Npz(zip::ZipArchive<BufReader<File>>),
}

fn array_error(file: &Path, message: String) -> DataError {
    DataError::Arrays {
        file: file.to_path_buf(),
        message,
    }
}

impl Archive {
    fn open(path: &Path) -> Result<Self, DataError> {
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
    fn keys(&self) -> Vec<String> {
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
    fn with<T>(
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
fn self_kind(archive: &Archive) -> bool {
    matches!(archive, Archive::Npy(_))
}

/// Reads until `buf` is full or the end; returns how many bytes were read.
fn read_up_to(r: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
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

/// An array's header, checked against the bytes that follow it.
struct Header {
    npy: NpyHeader,
    shape: Vec<u64>,
    ty: TypeStr,
    /// Elements.
    len: u64,
    item: usize,
}

impl Header {
    fn dtype_name(&self) -> String {
        dtype_name(&self.ty)
    }

    fn shape_text(&self) -> String {
        shape_text(&self.shape)
    }
}

fn shape_text(shape: &[u64]) -> String {
    if shape.is_empty() {
        return "() (a scalar)".into();
    }
    shape
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("×")
}

fn dtype_name(ty: &TypeStr) -> String {
    let size = ty.size_field();
    match ty.type_char() {
        TypeChar::Uint => format!("uint{}", size * 8),
        TypeChar::Int => format!("int{}", size * 8),
        TypeChar::Float => format!("float{}", size * 8),
        TypeChar::Bool => "bool".into(),
        TypeChar::UnicodeStr => format!("str{size}"),
        TypeChar::ByteStr => format!("bytes{size}"),
        _ => ty.to_string(),
    }
}

/// Reads and checks the header of the array in `r` (`available` bytes in all): its magic, a
/// header that fits, a plain C-order dtype, and exactly as many data bytes as the shape needs.
fn read_header(r: &mut dyn Read, available: u64) -> Result<Header, String> {
    let cut = |e: std::io::Error| format!("cut short in its .npy header ({e})");
    let mut pre = [0u8; 8];
    r.read_exact(&mut pre).map_err(cut)?;
    if &pre[..6] != b"\x93NUMPY" {
        return Err("not a .npy array (no \\x93NUMPY magic)".into());
    }
    let size_bytes = match pre[6] {
        1 => 2,
        2 | 3 => 4,
        major => {
            return Err(format!(
                "unsupported .npy format version {major}.{}",
                pre[7]
            ));
        }
    };
    let mut size = [0u8; 4];
    r.read_exact(&mut size[..size_bytes]).map_err(cut)?;
    let header_len = u32::from_le_bytes(size) as usize;
    let consumed = (8 + size_bytes + header_len) as u64;
    if header_len > MAX_HEADER || consumed > available {
        return Err(format!(
            "its .npy header claims {header_len} bytes, more than the {available} byte(s) the array holds"
        ));
    }
    let mut bytes = pre.to_vec();
    bytes.extend_from_slice(&size[..size_bytes]);
    let start = bytes.len();
    bytes.resize(start + header_len, 0);
    r.read_exact(&mut bytes[start..]).map_err(cut)?;
    let text = String::from_utf8_lossy(&bytes[start..]).into_owned();
    // npyz multiplies the shape without checking: refuse a product that overflows first.
    if shape_product(&text).is_none() {
        return Err(format!(
            "its .npy header has a shape whose size overflows: {}",
            text.trim()
        ));
    }
    let npy = NpyHeader::from_reader(&bytes[..])
        .map_err(|e| format!("bad .npy header ({e}): {}", text.trim()))?;
    let ty = match npy.dtype() {
        DType::Plain(ty) => ty,
        other => {
            return Err(format!(
                "dtype {} (a structured array) is not supported, expected plain numbers",
                other.descr()
            ));
        }
    };
    let shape = npy.shape().to_vec();
    if npy.order() == npyz::Order::Fortran && shape.iter().filter(|&&d| d > 1).count() > 1 {
        return Err(
            "is stored in Fortran order; save it in C order (np.ascontiguousarray(x))".into(),
        );
    }
    let item = ty
        .num_bytes()
        .filter(|&n| n > 0 && ty.type_char() != TypeChar::Object)
        .ok_or_else(|| format!("dtype {ty} is not supported"))?;
    let len = shape
        .iter()
        .try_fold(1u64, |a, &d| a.checked_mul(d))
        .ok_or_else(|| format!("shape {} is too large", shape_text(&shape)))?;
    let data = available - consumed;
    let needed = len.checked_mul(item as u64);
    if needed != Some(data) {
        return Err(format!(
            "holds {data} byte(s) of data, its header (shape {}, {}) needs {}",
            shape_text(&shape),
            dtype_name(&ty),
            needed.map_or("more than 2^64".into(), |n| n.to_string())
        ));
    }
    Ok(Header {
        npy,
        shape,
        ty,
        len,
        item,
    })
}

/// The product of the numbers after `'shape'` in a header's text, `None` if it overflows.
fn shape_product(text: &str) -> Option<u64> {
    let Some(at) = text.find("shape") else {
        return Some(0);
    };
    let rest = &text[at..];
    let end = rest.find(')').unwrap_or(rest.len());
    let mut product = 1u64;
    for number in rest[..end]
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
    {
        product = product.checked_mul(number.parse::<u64>().ok()?)?;
    }
    Some(product)
}

/// Reads the `len × item` data bytes of an array in chunks of whole elements, handing each
/// chunk to `each`, then checks that nothing follows.
fn read_data(
    r: &mut dyn Read,
    header: &Header,
    chunk_elements: usize,
    mut each: impl FnMut(&[u8]) -> Result<(), String>,
) -> Result<(), String> {
    let chunk_elements = chunk_elements.max(1);
    let mut buf = vec![0u8; (chunk_elements as u64).min(header.len.max(1)) as usize * header.item];
    let mut left = header.len;
    while left > 0 {
        let n = (left.min(chunk_elements as u64)) as usize;
        let bytes = &mut buf[..n * header.item];
        r.read_exact(bytes).map_err(|e| {
            format!(
                "cut short: {} of {} elements read ({e})",
                header.len - left,
                header.len
            )
        })?;
        each(bytes)?;
        left -= n as u64;
    }
    let mut probe = [0u8; 1];
    match read_up_to(r, &mut probe) {
        Ok(0) => Ok(()),
        Ok(_) => Err(format!(
            "holds more bytes than its header (shape {}) says",
            header.shape_text()
        )),
        Err(e) => Err(format!("cannot read its end: {e}")),
    }
}

/// The integer in `bytes` (one element of dtype `ty`), as i128.
fn integer(ty: &TypeStr, bytes: &[u8]) -> i128 {
    let mut b = [0u8; 16];
    let n = bytes.len().min(8);
    let little = ty.endianness() != Endianness::Big;
    for i in 0..n {
        b[i] = if little { bytes[i] } else { bytes[n - 1 - i] };
    }
    let unsigned = u64::from_le_bytes(b[..8].try_into().unwrap_or([0; 8]));
    if ty.type_char() == TypeChar::Int && n > 0 && b[n - 1] & 0x80 != 0 {
        // Sign-extend.
        (unsigned as i128) - (1i128 << (8 * n))
    } else {
        unsigned as i128
    }
}

/// The float in `bytes` (one `float32` or `float64` element).
fn float(ty: &TypeStr, bytes: &[u8]) -> f64 {
    let big = ty.endianness() == Endianness::Big;
    match bytes.len() {
        4 => {
            let a: [u8; 4] = bytes.try_into().unwrap_or([0; 4]);
            f64::from(if big {
                f32::from_be_bytes(a)
            } else {
                f32::from_le_bytes(a)
            })
        }
        _ => {
            let a: [u8; 8] = bytes.try_into().unwrap_or([0; 8]);
            if big {
                f64::from_be_bytes(a)
            } else {
                f64::from_le_bytes(a)
            }
        }
    }
}

/// Reads a label array: `N` or `N×1` integers, each in 0..=255 (checked by the caller against
/// the class count).
fn read_labels(r: &mut dyn Read, size: u64) -> Result<Vec<u8>, String> {
    let header = read_header(r, size)?;
    let n = match header.shape.as_slice() {
        [n] | [n, 1] => *n,
        _ => {
            return Err(format!(
                "shape {}, expected N labels (N or N×1)",
                header.shape_text()
            ));
        }
    };
    if !matches!(header.ty.type_char(), TypeChar::Int | TypeChar::Uint) || header.item > 8 {
        return Err(format!(
            "dtype {}, expected integer labels",
            header.dtype_name()
        ));
    }
    let ty = header.ty.clone();
    let mut labels = Vec::with_capacity(n.min(1 << 24) as usize);
    read_data(r, &header, 1 << 16, |chunk| {
        for bytes in chunk.chunks_exact(header.item) {
            let value = integer(&ty, bytes);
            if !(0..MAX_CLASSES as i128).contains(&value) {
                return Err(format!(
                    "label {value} at index {} is out of range: labels are class indices 0..={} (at most {MAX_CLASSES} classes)",
                    labels.len(),
                    MAX_CLASSES - 1
                ));
            }
            labels.push(value as u8);
        }
        Ok(())
    })?;
    Ok(labels)
}

/// Reads `class_names`: a 1-D array of at most 256 strings.
fn read_class_names(r: &mut dyn Read, size: u64) -> Result<Vec<String>, String> {
    let header = read_header(r, size)?;
    if !matches!(
        header.ty.type_char(),
        TypeChar::UnicodeStr | TypeChar::ByteStr
    ) {
        return Err(format!(
            "dtype {}, expected strings (U or S)",
            header.dtype_name()
        ));
    }
    if header.shape.len() != 1 || header.len == 0 || header.len > MAX_CLASSES as u64 {
        return Err(format!(
            "shape {}, expected 1 to {MAX_CLASSES} names",
            header.shape_text()
        ));
    }
    let npy = NpyFile::with_header(header.npy.clone(), r);
    let names = npy
        .data::<String>()
        .map_err(|e| format!("cannot read the names: {e}"))?;
    let mut out = Vec::with_capacity(header.len as usize);
    for name in names {
        out.push(name.map_err(|e| format!("cannot read the names: {e}"))?);
    }
    Ok(out)
}

/// Checks an images header against the target shape; returns the number of images.
fn image_count(header: &Header, shape: [usize; 3]) -> Result<usize, String> {
    let [c, h, w] = shape.map(|d| d as u64);
    let n = match header.shape.as_slice() {
        [n, hh, ww] if c == 1 && *hh == h && *ww == w => *n,
        [n, cc, hh, ww] if (*cc, *hh, *ww) == (c, h, w) => *n,
        found => {
            let channels_last = matches!(found, [_, hh, ww, cc] if (*cc, *hh, *ww) == (c, h, w));
            return Err(format!(
                "shape {}, expected N×{c}×{h}×{w}{}{}",
                header.shape_text(),
                if c == 1 {
                    format!(" or N×{h}×{w}")
                } else {
                    String::new()
                },
                if channels_last {
                    " (these look channels-last: save x.transpose(0, 3, 1, 2))"
                } else {
                    ""
                }
            ));
        }
    };
    match (header.ty.type_char(), header.item) {
        (TypeChar::Uint, 1) | (TypeChar::Float, 4) | (TypeChar::Float, 8) => {}
        _ => {
            return Err(format!(
                "dtype {}, expected uint8, or float32 / float64 in [0, 1]",
                header.dtype_name()
            ));
        }
    }
    usize::try_from(n).map_err(|_| format!("{n} images are too many"))
}

/// Reads an images array (checked by [`image_count`]) into the slots, one image per slot in
/// array order; floats in [0, 1] become `round(x·255)`.
fn read_images(
    r: &mut dyn Read,
    size: u64,
    shape: [usize; 3],
    slots: &mut [Option<&mut [u8]>],
) -> Result<Header, String> {
    let header = read_header(r, size)?;
    let n = image_count(&header, shape)?;
    if n != slots.len() {
        return Err(format!("holds {n} images, its labels say {}", slots.len()));
    }
    let image_len: usize = shape.iter().product();
    let ty = header.ty.clone();
    let is_float = ty.type_char() == TypeChar::Float;
    let item = header.item;
    let mut next = 0usize;
    read_data(r, &header, image_len, |chunk| {
        let mut slot = slots[next].as_deref_mut();
        if is_float {
            for (k, bytes) in chunk.chunks_exact(item).enumerate() {
                let x = float(&ty, bytes);
                if !(0.0..=1.0).contains(&x) {
                    return Err(format!(
                        "value {x} at index {} is outside [0, 1]: float images must lie in [0, 1] (or be stored as uint8)",
                        next * image_len + k
                    ));
                }
                if let Some(slot) = slot.as_deref_mut() {
                    slot[k] = (x * 255.0).round() as u8;
                }
            }
        } else if let Some(slot) = slot {
            slot.copy_from_slice(chunk);
        }
        next += 1;
        Ok(())
    })?;
    Ok(header)
}

/// The header of array `key` and, for label arrays, the labels.
fn header_of(archive: &mut Archive, path: &Path, key: &str) -> Result<Option<Header>, DataError> {
    archive.with(path, key, |r, size| read_header(r, size))
}

fn labels_of(archive: &mut Archive, path: &Path, key: &str) -> Result<Option<Vec<u8>>, DataError> {
    archive.with(path, key, read_labels)
}

fn layout_of(path: &Path, keys: &[String], npy: bool) -> Result<Layout, DataError> {
    let has = |k: &str| keys.iter().any(|key| key == k);
    if npy {
        return Ok(Layout::Pooled { labelled: false });
    }
    if has("x_train") || has("x_test") {
        for k in ["x_train", "x_test"] {
            if !has(k) {
                return Err(array_error(
                    path,
                    format!(
                        "holds {} but no {k}",
                        if k == "x_test" { "x_train" } else { "x_test" }
                    ),
                ));
            }
        }
        match (has("y_train"), has("y_test")) {
            (true, true) => Ok(Layout::Given { labelled: true }),
            (false, false) => Ok(Layout::Given { labelled: false }),
            (true, false) => Err(array_error(path, "holds y_train but no y_test".into())),
            (false, true) => Err(array_error(path, "holds y_test but no y_train".into())),
        }
    } else if has("images") {
        Ok(Layout::Pooled {
            labelled: has("labels"),
        })
    } else {
        Err(array_error(
            path,
            format!(
                "holds none of x_train + x_test (with y_train + y_test) or images (with labels); its arrays: {}",
                if keys.is_empty() {
                    "none".into()
                } else {
                    keys.join(", ")
                }
            ),
        ))
    }
}

/// Labels and class names read and checked: `(train labels, test labels, classes, names)`;
/// `None` labels when unlabelled.
struct Labels {
    train: Option<Vec<u8>>,
    test: Option<Vec<u8>>,
    classes: usize,
    class_names: Vec<String>,
}

fn read_all_labels(
    archive: &mut Archive,
    path: &Path,
    layout: Layout,
) -> Result<Labels, DataError> {
    let class_names = archive
        .with(path, "class_names", read_class_names)?
        .unwrap_or_default();
    let (train, test) = match layout {
        Layout::Given { labelled: true } => (
            labels_of(archive, path, "y_train")?,
            labels_of(archive, path, "y_test")?,
        ),
        Layout::Pooled { labelled: true } => (labels_of(archive, path, "labels")?, None),
        _ => (None, None),
    };
    let keys: &[&str] = match layout {
        Layout::Given { .. } => &["y_train", "y_test"],
        Layout::Pooled { .. } => &["labels"],
    };
    let mut classes = 0;
    if train.is_some() {
        let largest = train
            .iter()
            .chain(&test)
            .flat_map(|l| l.iter().copied())
            .max()
            .map_or(0, |m| m as usize + 1);
        classes = if class_names.is_empty() {
            largest
        } else {
            class_names.len()
        };
        for (labels, key) in [&train, &test].into_iter().zip(keys) {
            if let Some(labels) = labels
                && let Some((index, label)) = labels
                    .iter()
                    .enumerate()
                    .find(|(_, l)| **l as usize >= classes)
            {
                return Err(array_error(
                    path,
                    format!(
                        "{key}: label {label} at index {index} is out of range: class_names names {classes} classes"
                    ),
                ));
            }
        }
    }
    Ok(Labels {
        train,
        test,
        classes,
        class_names: if classes > 0 { class_names } else { Vec::new() },
    })
}

/// Lists what the NumPy file at `path` holds: its layout, the images' shape and dtype (from
/// the headers), their counts, and the classes (the labels are read: they are small).
pub fn scan_arrays(path: &Path) -> Result<ArrayScan, DataError> {
    let mut archive = Archive::open(path)?;
    let keys = archive.keys();
    let layout = layout_of(path, &keys, self_kind(&archive))?;
    let labels = read_all_labels(&mut archive, path, layout)?;
    let (first, second) = match layout {
        Layout::Given { .. } => ("x_train", Some("x_test")),
        Layout::Pooled { .. } => ("images", None),
    };
    let missing = |key: &str| array_error(path, format!("{key}: missing"));
    let head = header_of(&mut archive, path, first)?.ok_or_else(|| missing(first))?;
    let count = |h: &Header| h.shape.first().copied().unwrap_or(0) as usize;
    let test_count = match second {
        Some(key) => count(&header_of(&mut archive, path, key)?.ok_or_else(|| missing(key))?),
        None => 0,
    };
    Ok(ArrayScan {
        path: path.to_path_buf(),
        images_shape: head.shape.clone(),
        dtype: head.dtype_name(),
        split_given: matches!(layout, Layout::Given { .. }),
        train_count: count(&head),
        test_count,
        classes: labels.classes,
        class_names: labels.class_names,
        keys,
    })
}

/// Reads the NumPy file at `path` (see the module documentation for the layouts) as a dataset
/// of images of `options.shape`. A split made here follows `options.test_fraction` and
/// `options.seed` exactly as for a folder; a given split keeps the file's order.
/// `skip_unreadable`, `cache_dir` and `progress` do not apply (the file is read as it is).
pub fn load_arrays(path: &Path, options: &CustomOptions) -> Result<CustomData, DataError> {
    let [c, h, w] = options.shape;
    if c == 0 || h == 0 || w == 0 {
        return Err(DataError::InvalidArgument(format!(
            "{}: image shape {c}×{h}×{w} has a zero dimension",
            path.display()
        )));
    }
    check_test_fraction(options.test_fraction)?;
    let shape = options.shape;
    let image_len: usize = shape.iter().product();
    let mut archive = Archive::open(path)?;
    let keys = archive.keys();
    let layout = layout_of(path, &keys, self_kind(&archive))?;
    let labels = read_all_labels(&mut archive, path, layout)?;
    let classes = labels.classes;
    let missing = |key: &str| array_error(path, format!("{key}: missing"));
    let npy = self_kind(&archive);
    let keyed = |key: &str, m: String| {
        if npy {
            array_error(path, m)
        } else {
            array_error(path, format!("{key}: {m}"))
        }
    };
    let set_error = |e: DataError| array_error(path, e.to_string());
    let classes_of_set = classes.max(1);

    // The number of images of each images array, from its header, and that it fits the labels.
    let mut count = |key: &str, labels: &Option<Vec<u8>>| -> Result<usize, DataError> {
        let header = header_of(&mut archive, path, key)?.ok_or_else(|| missing(key))?;
        let n = image_count(&header, shape).map_err(|m| keyed(key, m))?;
        if let Some(labels) = labels
            && labels.len() != n
        {
            return Err(array_error(
                path,
                format!(
                    "{key} holds {n} images but its labels hold {} labels",
                    labels.len()
                ),
            ));
        }
        Ok(n)
    };

    let mut notes = Vec::new();
    let (split, train, test) = match layout {
        Layout::Given { .. } => {
            let n_train = count("x_train", &labels.train)?;
            let n_test = count("x_test", &labels.test)?;
            let mut sets = Vec::new();
            for (key, n, l) in [
                ("x_train", n_train, &labels.train),
                ("x_test", n_test, &labels.test),
            ] {
                let mut pixels = vec![0u8; n * image_len];
                let mut slots: Vec<Option<&mut [u8]>> =
                    pixels.chunks_mut(image_len).map(Some).collect();
                let header = archive
                    .with(path, key, |r, size| read_images(r, size, shape, &mut slots))?
                    .ok_or_else(|| missing(key))?;
                drop(slots);
                notes.push(format!(
                    "{key} {} {}",
                    header.shape_text(),
                    header.dtype_name()
                ));
                let set = match l {
                    Some(labels) => {
                        ImageSet::labelled(pixels, labels.clone(), shape, classes_of_set)
                    }
                    None => ImageSet::unlabelled(pixels, shape),
                }
                .map_err(set_error)?;
                sets.push(set);
            }
            let test = sets.pop();
            let train = sets.pop();
            match (train, test) {
                (Some(train), Some(test)) => (Split::Given, train, test),
                _ => return Err(missing("x_train")),
            }
        }
        Layout::Pooled { .. } => {
            let n = count("images", &labels.train)?;
            let all_labels = labels.train.clone().unwrap_or_else(|| vec![0; n]);
            let Plan {
                train: train_order,
                test: test_order,
            } = seeded_plan(&all_labels, classes, options.test_fraction, options.seed);
            let mut train_pixels = vec![0u8; train_order.len() * image_len];
            let mut test_pixels = vec![0u8; test_order.len() * image_len];
            let mut slots: Vec<Option<&mut [u8]>> = (0..n).map(|_| None).collect();
            for (slot, &i) in train_pixels.chunks_mut(image_len).zip(&train_order) {
                slots[i] = Some(slot);
            }
            for (slot, &i) in test_pixels.chunks_mut(image_len).zip(&test_order) {
                slots[i] = Some(slot);
            }
            let header = archive
                .with(path, "images", |r, size| {
                    read_images(r, size, shape, &mut slots)
                })?
                .ok_or_else(|| missing("images"))?;
            drop(slots);
            let key = if npy { "array" } else { "images" };
            notes.push(format!(
                "{key} {} {}",
                header.shape_text(),
                header.dtype_name()
            ));
            let make = |pixels: Vec<u8>, order: &[usize]| {
                if labels.train.is_none() {
                    ImageSet::unlabelled(pixels, shape)
                } else {
                    let l = order.iter().map(|&i| all_labels[i]).collect();
                    ImageSet::labelled(pixels, l, shape, classes_of_set)
                }
                .map_err(set_error)
            };
            let train = make(train_pixels, &train_order)?;
            let test = make(test_pixels, &test_order)?;
            let split = Split::Seeded {
                test_fraction: options.test_fraction,
                seed: options.seed,
            };
            (split, train, test)
        }
    };
    for (set, name) in [(&train, "training"), (&test, "test")] {
        if set.is_empty() {
            return Err(array_error(
                path,
                match split {
                    Split::Given => format!("holds no {name} image"),
                    Split::Seeded {
                        test_fraction,
                        seed,
                    } => format!(
                        "a test share of {test_fraction} (seed {seed}) of {} images leaves no {name} image; add images or change the test fraction",
                        train.len() + test.len()
                    ),
                },
            ));
        }
    }

    let floats = notes.iter().any(|n| n.contains("float"));
    let classes_text = match (classes, labels.class_names.is_empty()) {
        (0, _) => "unlabelled".to_string(),
        (k, true) => format!("{k} classes"),
        (k, false) => {
            let mut names = labels.class_names[..k.min(6)].join(", ");
            if k > 6 {
                names.push_str(", ...");
            }
            format!("{k} classes ({names})")
        }
    };
    let split_text = match split {
        Split::Given => "split given".to_string(),
        Split::Seeded {
            test_fraction,
            seed,
        } => format!("split here: test share {test_fraction}, seed {seed}, stratified"),
    };
    let source = format!(
        "arrays {}: {}, {classes_text}, {} train / {} test ({split_text}){}",
        path.display(),
        notes.join(", "),
        train.len(),
        test.len(),
        if floats {
            "; floats in [0, 1] stored as bytes round(x·255)"
        } else {
            ""
        }
    );
    Ok(CustomData {
        train,
        test,
        class_names: labels.class_names,
        train_files: Vec::new(),
        test_files: Vec::new(),
        skipped: Vec::new(),
        split,
        from_cache: false,
        cache_file: None,
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(s: &str) -> TypeStr {
        s.parse().unwrap()
    }

    #[test]
    fn integers_of_every_width_and_order_are_read() {
        assert_eq!(integer(&ty("<i2"), &(-3i16).to_le_bytes()), -3);
        assert_eq!(integer(&ty(">i4"), &(-70000i32).to_be_bytes()), -70000);
        assert_eq!(integer(&ty("<u8"), &300u64.to_le_bytes()), 300);
        assert_eq!(integer(&ty("|u1"), &[255]), 255);
        assert_eq!(integer(&ty("|i1"), &[255]), -1);
        assert_eq!(
            integer(&ty(">i8"), &(i64::MIN).to_be_bytes()),
            i64::MIN as i128
        );
        assert_eq!(float(&ty(">f4"), &0.5f32.to_be_bytes()), 0.5);
        assert_eq!(float(&ty("<f8"), &0.25f64.to_le_bytes()), 0.25);
    }

    #[test]
    fn an_overflowing_shape_is_caught_before_npyz_sees_it() {
        assert_eq!(shape_product("{'shape': (2, 3), }"), Some(6));
        assert_eq!(
            shape_product("{'shape': (4294967296, 4294967296, 2), }"),
            None
        );
    }
}
