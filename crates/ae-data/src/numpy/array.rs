//! One NumPy array: its `.npy` header (dtype, shape, order) checked against the file, and its
//! values read in chunks straight into images, labels or class names.

use std::io::Read;

use npyz::{DType, Endianness, NpyFile, NpyHeader, TypeChar, TypeStr};

use super::archive::read_up_to;
use crate::images::MAX_CLASSES;

/// The largest `.npy` header read (NumPy itself refuses headers over 10,000 bytes by default).
const MAX_HEADER: usize = 1 << 20;

/// An array's header, checked against the bytes that follow it.
pub(super) struct Header {
    npy: NpyHeader,
    pub(super) shape: Vec<u64>,
    ty: TypeStr,
    /// Elements.
    len: u64,
    item: usize,
}

impl Header {
    pub(super) fn dtype_name(&self) -> String {
        dtype_name(&self.ty)
    }

    pub(super) fn shape_text(&self) -> String {
        shape_text(&self.shape)
    }
}

pub(super) fn shape_text(shape: &[u64]) -> String {
    if shape.is_empty() {
        return "() (a scalar)".into();
    }
    shape
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("×")
}

pub(super) fn dtype_name(ty: &TypeStr) -> String {
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
pub(super) fn read_header(r: &mut dyn Read, available: u64) -> Result<Header, String> {
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
pub(super) fn shape_product(text: &str) -> Option<u64> {
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
pub(super) fn read_data(
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
pub(super) fn integer(ty: &TypeStr, bytes: &[u8]) -> i128 {
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
pub(super) fn float(ty: &TypeStr, bytes: &[u8]) -> f64 {
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
pub(super) fn read_labels(r: &mut dyn Read, size: u64) -> Result<Vec<u8>, String> {
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
pub(super) fn read_class_names(r: &mut dyn Read, size: u64) -> Result<Vec<String>, String> {
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
pub(super) fn image_count(header: &Header, shape: [usize; 3]) -> Result<usize, String> {
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
pub(super) fn read_images(
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
