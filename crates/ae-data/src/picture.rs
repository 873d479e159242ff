//! One picture (PNG or JPEG, any size) brought to a dataset's image shape: the one code path
//! shared by `ae predict` / `ae reconstruct` (a user's pictures given to a trained model) and
//! the folders of pictures read as datasets ([`crate::folder`]).
//!
//! The picture is converted to the dataset's channels (grey or RGB), padded to a square,
//! resized to the dataset's image size. MNIST and Fashion-MNIST are light objects on a black
//! background: `invert` turns a dark drawing on white paper into that. Transparent pixels are
//! laid over the paper first. `center` prepares a drawing as the MNIST digits were prepared:
//! cropped to the ink, scaled to fit a 20 × 20 box (of 28 × 28) keeping its aspect ratio, and
//! placed with its centre of mass in the middle.

use std::path::Path;

use image::imageops::FilterType;
use image::{DynamicImage, GenericImageView, RgbImage};

use crate::error::DataError;

/// The longest side a picture may have: it is padded to a square of that side before being
/// resized, so a thin strip would otherwise ask for a huge square.
pub const MAX_PICTURE_SIDE: u32 = 16_384;

/// How a picture is brought to the model's input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PictureOptions {
    /// Dark on light -> light on dark.
    pub invert: bool,
    /// MNIST's preparation: crop to the drawing, fit into 20/28 of the frame, centre of mass in
    /// the middle.
    pub center: bool,
}

/// Decodes a PNG or JPEG file (told by its content, not its name); anything else, a damaged or
/// cut file, an empty picture or one longer than [`MAX_PICTURE_SIDE`] on a side is a
/// [`DataError::Image`] naming the file.
pub fn read_image(path: &Path) -> Result<DynamicImage, DataError> {
    let bytes = std::fs::read(path).map_err(|e| image_error(path, format!("cannot read: {e}")))?;
    decode_image(path, &bytes)
}

/// [`read_image`] of bytes already read from `path` (named in the errors).
pub fn decode_image(path: &Path, bytes: &[u8]) -> Result<DynamicImage, DataError> {
    let fail = |message: String| image_error(path, message);
    let format = image::guess_format(bytes).map_err(|_| fail("not a PNG or JPEG file".into()))?;
    if !matches!(format, image::ImageFormat::Png | image::ImageFormat::Jpeg) {
        return Err(fail(format!("is {format:?}, expected a PNG or JPEG file")));
    }
    let picture = image::load_from_memory_with_format(bytes, format)
        .map_err(|e| fail(format!("cannot decode {format:?}: {e}")))?;
    let (w, h) = (picture.width(), picture.height());
    if w == 0 || h == 0 {
        return Err(fail("the image is empty (0 pixels)".into()));
    }
    if w.max(h) > MAX_PICTURE_SIDE {
        return Err(fail(format!(
            "the image is {w}×{h} pixels, at most {MAX_PICTURE_SIDE} on a side are supported"
        )));
    }
    Ok(picture)
}

fn image_error(path: &Path, message: String) -> DataError {
    DataError::Image {
        file: path.to_path_buf(),
        message,
    }
}

/// `picture` as `[c, h, w]` bytes: alpha laid over the paper (black, or white when inverting),
/// inverted if asked, cropped and centred if asked, padded with black to a centred square,
/// resized (bilinear, scale-aware when shrinking), and reduced to grey when `c` is 1 (ITU-R
/// BT.601 luma, as PIL's `convert("L")`). With 3 channels they are R, G, B; channels past the
/// third stay 0.
pub fn to_dataset_pixels(
    picture: &DynamicImage,
    shape: [usize; 3],
    options: PictureOptions,
) -> Vec<u8> {
    let [c, h, w] = shape;
    let paper: f32 = if options.invert { 255.0 } else { 0.0 };
    let rgba = picture.to_rgba8();
    // Light on dark, opaque.
    let mut light = RgbImage::new(rgba.width(), rgba.height());
    for (x, y, p) in rgba.enumerate_pixels() {
        let alpha = f32::from(p[3]) / 255.0;
        let value = |v: u8| {
            let over = f32::from(v) * alpha + paper * (1.0 - alpha);
            let v = if options.invert { 255.0 - over } else { over };
            v.round().clamp(0.0, 255.0) as u8
        };
        light.put_pixel(x, y, image::Rgb([value(p[0]), value(p[1]), value(p[2])]));
    }
    drop(rgba);
    let resized = if options.center {
        centred(&light, h, w)
    } else {
        square(&light).resize_exact(w as u32, h as u32, FilterType::Triangle)
    };
    let mut out = vec![0u8; c * h * w];
    for (x, y, p) in resized.pixels() {
        let (x, y) = (x as usize, y as usize);
        if c == 1 {
            out[y * w + x] = luma(p[0], p[1], p[2]);
        } else {
            for ch in 0..c.min(3) {
                out[ch * h * w + y * w + x] = p[ch];
            }
        }
    }
    out
}

/// ITU-R BT.601 luma, as PIL's `convert("L")`.
fn luma(r: u8, g: u8, b: u8) -> u8 {
    ((299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b) + 500) / 1000) as u8
}

/// The picture in the middle of a black square whose side is its longer side.
fn square(picture: &RgbImage) -> DynamicImage {
    let (pw, ph) = picture.dimensions();
    let side = pw.max(ph);
    let mut out = RgbImage::new(side, side);
    image::imageops::replace(
        &mut out,
        picture,
        i64::from((side - pw) / 2),
        i64::from((side - ph) / 2),
    );
    DynamicImage::ImageRgb8(out)
}

/// MNIST's preparation of a light-on-dark drawing for an `h × w` frame: cropped to the pixels
/// brighter than 10% of the brightest, scaled into a box of 20/28 of the frame (aspect ratio
/// kept), and placed so that its centre of mass is in the middle of the frame (as far as the
/// frame allows). A blank picture is simply resized.
fn centred(picture: &RgbImage, h: usize, w: usize) -> DynamicImage {
    let brightness = |p: &image::Rgb<u8>| luma(p[0], p[1], p[2]);
    let brightest = picture.pixels().map(brightness).max().unwrap_or(0);
    let threshold = brightest / 10;
    let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0, 0);
    for (x, y, p) in picture.enumerate_pixels() {
        if brightness(p) > threshold {
            (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
        }
    }
    if brightest == 0 || x0 > x1 {
        return square(picture).resize_exact(w as u32, h as u32, FilterType::Triangle);
    }
    let crop = image::imageops::crop_imm(picture, x0, y0, x1 - x0 + 1, y1 - y0 + 1).to_image();
    let boxed = (h.min(w) * 20).div_ceil(28) as u32;
    let fitted = square(&crop).resize_exact(boxed, boxed, FilterType::Triangle);
    // Centre of mass of the fitted drawing.
    let (mut mass, mut mx, mut my) = (0.0f64, 0.0f64, 0.0f64);
    for (x, y, p) in fitted.pixels() {
        let m = f64::from(luma(p[0], p[1], p[2]));
        mass += m;
        mx += m * f64::from(x);
        my += m * f64::from(y);
    }
    let (cx, cy) = if mass > 0.0 {
        (mx / mass, my / mass)
    } else {
        (f64::from(boxed) / 2.0, f64::from(boxed) / 2.0)
    };
    let place = |side: usize, centre: f64| {
        let offset = (side as f64 / 2.0 - 0.5 - centre).round() as i64;
        offset.clamp(0, side as i64 - i64::from(boxed))
    };
    let mut frame = RgbImage::new(w as u32, h as u32);
    image::imageops::replace(&mut frame, &fitted.to_rgb8(), place(w, cx), place(h, cy));
    DynamicImage::ImageRgb8(frame)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_larger_wide_picture_is_padded_to_a_square_and_shrunk() {
        // A 112 × 56 white picture: padded to 112 × 112 with black above and below, then shrunk
        // to 28 × 28, it is white in rows 7..21 and black in the top and bottom 7 rows.
        let picture =
            DynamicImage::ImageLuma8(image::GrayImage::from_pixel(112, 56, image::Luma([255])));
        let out = to_dataset_pixels(&picture, [1, 28, 28], PictureOptions::default());
        assert_eq!(out[3 * 28 + 14], 0);
        assert_eq!(out[14 * 28 + 14], 255);
        assert_eq!(out[25 * 28 + 14], 0);
    }

    #[test]
    fn a_picture_of_the_target_size_keeps_its_bytes_in_chw_order() {
        let rgb = image::RgbImage::from_fn(4, 4, |x, y| image::Rgb([x as u8, y as u8, 9]));
        let out = to_dataset_pixels(
            &DynamicImage::ImageRgb8(rgb),
            [3, 4, 4],
            PictureOptions::default(),
        );
        assert_eq!(&out[..4], &[0, 1, 2, 3]);
        assert_eq!(&out[16..20], &[0, 0, 0, 0]);
        assert_eq!(&out[24..28], &[2, 2, 2, 2]);
        assert!(out[32..].iter().all(|&v| v == 9));
    }

    #[test]
    fn damaged_and_oversized_pictures_are_named_errors() {
        let p = Path::new("dir/picture.png");
        let e = decode_image(p, b"GIF89a not really")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("dir/picture.png: is Gif"), "{e}");
        let e = decode_image(p, b"").unwrap_err().to_string();
        assert!(e.contains("not a PNG or JPEG"), "{e}");
        let strip = DynamicImage::ImageLuma8(image::GrayImage::new(MAX_PICTURE_SIDE + 1, 1));
        let mut bytes = Vec::new();
        strip
            .write_to(
                &mut std::io::Cursor::new(&mut bytes),
                image::ImageFormat::Png,
            )
            .unwrap();
        let e = decode_image(p, &bytes).unwrap_err().to_string();
        assert!(e.contains("16385×1 pixels, at most 16384"), "{e}");
    }
}
