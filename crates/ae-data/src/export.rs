//! Writing a dataset out in the two forms a user's data comes in: a folder of PNG pictures laid
//! out as torchvision's `ImageFolder` (`train/<class>/<n>.png`, `test/<class>/<n>.png`) and a
//! `.npz` with Keras' keys (`x_train`, `y_train`, `x_test`, `y_test`, u8). Both read back into
//! the same pixels and labels (`ae datasets NAME --write-folder DIR` / `--write-npz FILE`).

use std::io::{Cursor, Write};
use std::path::Path;

use image::{DynamicImage, GrayImage, RgbImage};
use npyz::WriterBuilder;

use crate::download::write_atomic;
use crate::error::DataError;
use crate::images::ImageSet;
use crate::locate::Dataset;

/// Writes every image of `data` as a PNG into `dir/train/<class>/` and `dir/test/<class>/`
/// (`<class>` the dataset's class names; `dir/train/` and `dir/test/` directly when it is
/// unlabelled). File names are the image's index in its split, zero-padded so that their
/// sorted order is the split's order. Returns the number of pictures written.
pub fn write_image_folder(data: &Dataset, dir: &Path) -> Result<usize, DataError> {
    let mut written = 0;
    for (split, set) in [("train", &data.train), ("test", &data.test)] {
        let width = set.len().max(1).to_string().len();
        for index in 0..set.len() {
            let mut folder = dir.join(split);
            if set.is_labelled() {
                let label = set.labels()[index] as usize;
                let class = data
                    .class_names
                    .get(label)
                    .cloned()
                    .unwrap_or_else(|| label.to_string());
                folder = folder.join(folder_name(&class));
            }
            std::fs::create_dir_all(&folder).map_err(|e| DataError::io(&folder, e))?;
            let path = folder.join(format!("{index:0width$}.png"));
            write_atomic(&path, &png_bytes(set, index, &path)?)?;
            written += 1;
        }
    }
    Ok(written)
}

/// A class name usable as a folder name: path separators and a leading dot replaced.
fn folder_name(class: &str) -> String {
    let name: String = class
        .chars()
        .map(|c| if matches!(c, '/' | '\\') { '_' } else { c })
        .collect();
    match name.strip_prefix('.') {
        Some(rest) => format!("_{rest}"),
        None => name,
    }
}

/// Image `index` of `set` as PNG bytes (grey for one channel, RGB for three).
fn png_bytes(set: &ImageSet, index: usize, path: &Path) -> Result<Vec<u8>, DataError> {
    let [c, h, w] = set.image_shape();
    let pixels = set.image(index);
    let fail = |message: String| DataError::Image {
        file: path.to_path_buf(),
        message,
    };
    let picture = match c {
        1 => GrayImage::from_raw(w as u32, h as u32, pixels.to_vec()).map(DynamicImage::ImageLuma8),
        3 => {
            // [c, h, w] -> interleaved RGB.
            let plane = h * w;
            let rgb = (0..plane)
                .flat_map(|i| (0..3).map(move |ch| ch * plane + i))
                .map(|k| pixels[k])
                .collect();
            RgbImage::from_raw(w as u32, h as u32, rgb).map(DynamicImage::ImageRgb8)
        }
        _ => None,
    }
    .ok_or_else(|| {
        fail(format!(
            "{c} channels cannot be written as PNG; expected 1 or 3"
        ))
    })?;
    let mut bytes = Vec::new();
    picture
        .write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png)
        .map_err(|e| fail(format!("cannot encode PNG: {e}")))?;
    Ok(bytes)
}

/// Writes `data` as an uncompressed `.npz` (as NumPy's `np.savez` does) with `x_train`
/// `[n, c, h, w]` (or `[n, h, w]` for one channel) u8, `y_train` `[n]` u8, and the same for
/// the test split; labels are left out of an unlabelled dataset. Written atomically.
pub fn write_npz(data: &Dataset, path: &Path) -> Result<(), DataError> {
    let fail = |message: String| DataError::Image {
        file: path.to_path_buf(),
        message,
    };
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(true);
    for (split, set) in [("train", &data.train), ("test", &data.test)] {
        let [c, h, w] = set.image_shape();
        let n = set.len() as u64;
        let shape: Vec<u64> = if c == 1 {
            vec![n, h as u64, w as u64]
        } else {
            vec![n, c as u64, h as u64, w as u64]
        };
        let mut arrays = vec![(format!("x_{split}.npy"), npy_u8(set.pixels(), &shape)?)];
        if set.is_labelled() {
            arrays.push((format!("y_{split}.npy"), npy_u8(set.labels(), &[n])?));
        }
        for (name, bytes) in arrays {
            zip.start_file(name.as_str(), options)
                .map_err(|e| fail(format!("cannot write {name}: {e}")))?;
            zip.write_all(&bytes)
                .map_err(|e| fail(format!("cannot write {name}: {e}")))?;
        }
    }
    let bytes = zip
        .finish()
        .map_err(|e| fail(format!("cannot finish the archive: {e}")))?
        .into_inner();
    write_atomic(path, &bytes)
}

/// `values` as a `.npy` of u8 with `shape`.
fn npy_u8(values: &[u8], shape: &[u64]) -> Result<Vec<u8>, DataError> {
    let mut bytes = Vec::new();
    let io = |e: std::io::Error| DataError::InvalidArgument(format!("writing a .npy array: {e}"));
    let mut writer = npyz::WriteOptions::new()
        .default_dtype()
        .shape(shape)
        .writer(&mut bytes)
        .begin_nd()
        .map_err(io)?;
    writer.extend(values.iter().copied()).map_err(io)?;
    writer.finish().map_err(io)?;
    Ok(bytes)
}
