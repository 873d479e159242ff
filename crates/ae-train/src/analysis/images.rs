//! The user's own pictures as model input: PNG or JPEG of any size, converted to the dataset's
//! channels (grey or RGB), padded to a square, resized to the dataset's image size, then
//! transformed exactly as the recipe transforms its dataset (`resize = keep | pad32 |
//! bilinear32`).
//!
//! MNIST and Fashion-MNIST are light objects on a black background: `invert` turns a dark
//! drawing on white paper into that. Transparent pixels are laid over the background first.

use std::path::Path;

use ae_data::{DatasetName, ImageSet, Prepared, Resize};
use image::imageops::FilterType;
use image::{DynamicImage, GenericImageView, RgbaImage};

use crate::error::TrainError;

/// Reads the image at `path` and returns it as the model's input: `[c, h, w]` values in [0, 1]
/// for a model trained on `dataset` with `resize`.
pub fn image_input(
    path: &Path,
    dataset: DatasetName,
    resize: Resize,
    invert: bool,
) -> Result<Vec<f32>, TrainError> {
    let picture = read_image(path)?;
    let [c, h, w] = dataset.image_shape();
    let pixels = to_dataset_pixels(&picture, [c, h, w], invert);
    let set = ImageSet::new(pixels, vec![0], [c, h, w])?;
    Ok(Prepared::new(&set, resize).image(0).to_vec())
}

/// Decodes a PNG or JPEG file; anything else, or a damaged file, is an error naming it.
pub fn read_image(path: &Path) -> Result<DynamicImage, TrainError> {
    let fail = |message: String| TrainError::Image {
        path: path.to_path_buf(),
        message,
    };
    let bytes = std::fs::read(path).map_err(|e| fail(format!("cannot read: {e}")))?;
    let format = image::guess_format(&bytes)
        .map_err(|_| fail("not a PNG or JPEG file".into()))?;
    if !matches!(format, image::ImageFormat::Png | image::ImageFormat::Jpeg) {
        return Err(fail(format!("is {format:?}, expected a PNG or JPEG file")));
    }
    let picture = image::load_from_memory_with_format(&bytes, format)
        .map_err(|e| fail(format!("cannot decode {format:?}: {e}")))?;
    if picture.width() == 0 || picture.height() == 0 {
        return Err(fail("the image is empty (0 pixels)".into()));
    }
    Ok(picture)
}

/// `picture` as `[c, h, w]` bytes: alpha laid over the background (black, or white when
/// inverting), padded with the background to a centred square, resized (bilinear, scale-aware
/// when shrinking), then inverted if asked and reduced to grey when `c` is 1.
pub fn to_dataset_pixels(picture: &DynamicImage, shape: [usize; 3], invert: bool) -> Vec<u8> {
    let [c, h, w] = shape;
    let background: u8 = if invert { 255 } else { 0 };
    let rgba = picture.to_rgba8();
    let (pw, ph) = rgba.dimensions();
    let side = pw.max(ph);
    let mut square = RgbaImage::from_pixel(side, side, image::Rgba([background, background, background, 255]));
    let (left, top) = ((side - pw) / 2, (side - ph) / 2);
    for (x, y, p) in rgba.enumerate_pixels() {
        let alpha = f32::from(p[3]) / 255.0;
        let over = |v: u8| (f32::from(v) * alpha + f32::from(background) * (1.0 - alpha)).round() as u8;
        square.put_pixel(x + left, y + top, image::Rgba([over(p[0]), over(p[1]), over(p[2]), 255]));
    }
    let resized = DynamicImage::ImageRgba8(square).resize_exact(w as u32, h as u32, FilterType::Triangle);
    let mut out = vec![0u8; c * h * w];
    for (x, y, p) in resized.pixels() {
        let (x, y) = (x as usize, y as usize);
        let value = |v: u8| if invert { 255 - v } else { v };
        if c == 1 {
            // ITU-R BT.601 luma, as PIL's convert("L").
            let grey = (299 * u32::from(p[0]) + 587 * u32::from(p[1]) + 114 * u32::from(p[2]) + 500) / 1000;
            out[y * w + x] = value(grey as u8);
        } else {
            for ch in 0..c.min(3) {
                out[ch * h * w + y * w + x] = value(p[ch]);
            }
        }
    }
    out
}

/// Writes `[c, h, w]` values in [0, 1] as an 8-bit PNG (grey or RGB), for tests and examples.
pub fn write_png(path: &Path, pixels: &[f32], shape: [usize; 3]) -> Result<(), TrainError> {
    let [c, h, w] = shape;
    let fail = |message: String| TrainError::Image {
        path: path.to_path_buf(),
        message,
    };
    if pixels.len() != c * h * w || !(c == 1 || c == 3) {
        return Err(fail(format!(
            "cannot write {} values as a {c}×{h}×{w} picture (1 or 3 channels)",
            pixels.len()
        )));
    }
    let byte = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
    let picture = if c == 1 {
        image::GrayImage::from_raw(w as u32, h as u32, pixels.iter().map(|&v| byte(v)).collect())
            .map(DynamicImage::ImageLuma8)
    } else {
        let rgb = (0..h * w)
            .flat_map(|i| (0..3).map(move |ch| byte(pixels[ch * h * w + i])))
            .collect();
        image::RgbImage::from_raw(w as u32, h as u32, rgb).map(DynamicImage::ImageRgb8)
    }
    .ok_or_else(|| fail("the pixel buffer does not match the picture size".into()))?;
    let mut bytes = Vec::new();
    picture
        .write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png)
        .map_err(|e| fail(format!("cannot encode PNG: {e}")))?;
    crate::files::write_atomic(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_image_of_the_dataset_size_round_trips_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("digit.png");
        let pixels: Vec<f32> = (0..784).map(|i| ((i * 7) % 256) as f32 / 255.0).collect();
        write_png(&path, &pixels, [1, 28, 28]).unwrap();
        let input = image_input(&path, DatasetName::MnistMini, Resize::Keep, false).unwrap();
        assert_eq!(input, pixels);
        // Inverted, each value v becomes 1 − v.
        let inverted = image_input(&path, DatasetName::MnistMini, Resize::Keep, true).unwrap();
        for (a, b) in inverted.iter().zip(&pixels) {
            assert!((a - (1.0 - b)).abs() < 1e-6);
        }
        // pad32 puts the same 28 × 28 in the middle of 32 × 32 zeros.
        let padded = image_input(&path, DatasetName::MnistMini, Resize::Pad32, false).unwrap();
        assert_eq!(padded.len(), 1024);
        assert_eq!(padded[2 * 32 + 2], pixels[0]);
        assert_eq!(padded[0], 0.0);
    }

    #[test]
    fn a_larger_wide_picture_is_padded_to_a_square_and_shrunk() {
        // A 112 × 56 white picture: padded to 112 × 112 with black above and below, then shrunk
        // to 28 × 28, it is white in rows 7..21 and black in the top and bottom 7 rows.
        let picture = DynamicImage::ImageLuma8(image::GrayImage::from_pixel(112, 56, image::Luma([255])));
        let out = to_dataset_pixels(&picture, [1, 28, 28], false);
        assert_eq!(out[3 * 28 + 14], 0);
        assert_eq!(out[14 * 28 + 14], 255);
        assert_eq!(out[25 * 28 + 14], 0);
    }

    #[test]
    fn unreadable_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("notes.png");
        std::fs::write(&text, "not an image").unwrap();
        let e = read_image(&text).unwrap_err().to_string();
        assert!(e.contains("notes.png") && e.contains("not a PNG or JPEG"), "{e}");
        let missing = dir.path().join("missing.png");
        let e = read_image(&missing).unwrap_err().to_string();
        assert!(e.contains("missing.png") && e.contains("cannot read"), "{e}");
        let mut truncated = Vec::new();
        write_png(&dir.path().join("ok.png"), &[0.5; 784], [1, 28, 28]).unwrap();
        truncated.extend_from_slice(&std::fs::read(dir.path().join("ok.png")).unwrap()[..40]);
        let cut = dir.path().join("cut.png");
        std::fs::write(&cut, truncated).unwrap();
        let e = read_image(&cut).unwrap_err().to_string();
        assert!(e.contains("cut.png") && e.contains("cannot decode"), "{e}");
    }
}
