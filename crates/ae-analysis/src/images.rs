//! The user's own pictures as model input: PNG or JPEG of any size, converted to the dataset's
//! channels (grey or RGB), padded to a square, resized to the dataset's image size, then
//! transformed exactly as the recipe transforms its dataset (`resize = keep | pad32 |
//! bilinear32`).
//!
//! MNIST and Fashion-MNIST are light objects on a black background: `invert` turns a dark
//! drawing on white paper into that. Transparent pixels are laid over the paper first.
//! `center` prepares a drawing as the MNIST digits were prepared: cropped to the ink, scaled to
//! fit a 20 × 20 box (of 28 × 28) keeping its aspect ratio, and placed with its centre of mass
//! in the middle.

use std::path::Path;

use ae_data::{ImageSet, Prepared, Resize};
use image::imageops::FilterType;
use image::{DynamicImage, GenericImageView, RgbImage};

use ae_train::TrainError;

/// How a picture is brought to the model's input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PictureOptions {
    /// Dark on light -> light on dark.
    pub invert: bool,
    /// MNIST's preparation: crop to the drawing, fit into 20/28 of the frame, centre of mass in
    /// the middle.
    pub center: bool,
}

/// Reads the image at `path` and returns it as the model's input: `[c, h, w]` values in [0, 1]
/// for a model trained on images of `stored_shape` (the dataset's, before the recipe's resize)
/// with `resize`.
pub fn image_input(
    path: &Path,
    stored_shape: [usize; 3],
    resize: Resize,
    options: PictureOptions,
) -> Result<Vec<f32>, TrainError> {
    let picture = read_image(path)?;
    let [c, h, w] = stored_shape;
    let pixels = to_dataset_pixels(&picture, [c, h, w], options);
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
    let format = image::guess_format(&bytes).map_err(|_| fail("not a PNG or JPEG file".into()))?;
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

/// `picture` as `[c, h, w]` bytes: alpha laid over the paper (black, or white when inverting),
/// inverted if asked, cropped and centred if asked, padded with black to a centred square,
/// resized (bilinear, scale-aware when shrinking), and reduced to grey when `c` is 1.
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
        image::GrayImage::from_raw(
            w as u32,
            h as u32,
            pixels.iter().map(|&v| byte(v)).collect(),
        )
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
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .map_err(|e| fail(format!("cannot encode PNG: {e}")))?;
    ae_train::write_atomic(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ae_data::DatasetName;

    /// The picture at `path` prepared for `dataset`.
    fn prepared(
        path: &Path,
        dataset: DatasetName,
        resize: Resize,
        options: PictureOptions,
    ) -> Vec<f32> {
        image_input(path, dataset.image_shape(), resize, options).unwrap()
    }

    #[test]
    fn an_image_of_the_dataset_size_round_trips_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("digit.png");
        let pixels: Vec<f32> = (0..784).map(|i| ((i * 7) % 256) as f32 / 255.0).collect();
        write_png(&path, &pixels, [1, 28, 28]).unwrap();
        let input = prepared(
            &path,
            DatasetName::MnistMini,
            Resize::Keep,
            PictureOptions::default(),
        );
        assert_eq!(input, pixels);
        // Inverted, each value v becomes 1 − v.
        let inverted = prepared(
            &path,
            DatasetName::MnistMini,
            Resize::Keep,
            PictureOptions {
                invert: true,
                center: false,
            },
        );
        for (a, b) in inverted.iter().zip(&pixels) {
            assert!((a - (1.0 - b)).abs() < 1e-6);
        }
        // pad32 puts the same 28 × 28 in the middle of 32 × 32 zeros.
        let padded = prepared(
            &path,
            DatasetName::MnistMini,
            Resize::Pad32,
            PictureOptions::default(),
        );
        assert_eq!(padded.len(), 1024);
        assert_eq!(padded[2 * 32 + 2], pixels[0]);
        assert_eq!(padded[0], 0.0);
    }

    #[test]
    fn an_rgb_picture_keeps_its_channels_in_chw_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("photo.png");
        // Channel c of pixel i: (i * (c + 1) * 5) mod 256, laid out [c, h, w].
        let pixels: Vec<f32> = (0..3 * 1024)
            .map(|k| (((k % 1024) * (k / 1024 + 1) * 5) % 256) as f32 / 255.0)
            .collect();
        write_png(&path, &pixels, [3, 32, 32]).unwrap();
        let input = prepared(
            &path,
            DatasetName::Cifar10,
            Resize::Keep,
            PictureOptions::default(),
        );
        assert_eq!(input, pixels);
    }

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
    fn centring_fits_the_drawing_into_20_pixels_with_its_mass_in_the_middle() {
        // A dark 30 × 60 bar in the top-left corner of a white 300 × 200 page.
        let mut page = image::RgbImage::from_pixel(300, 200, image::Rgb([255, 255, 255]));
        for y in 10..70 {
            for x in 20..50 {
                page.put_pixel(x, y, image::Rgb([0, 0, 0]));
            }
        }
        let options = PictureOptions {
            invert: true,
            center: true,
        };
        let out = to_dataset_pixels(&DynamicImage::ImageRgb8(page), [1, 28, 28], options);
        // The bar (2:1) becomes 10 × 20 pixels: columns 9..19, rows 4..24 around the centre.
        let lit: Vec<(usize, usize)> = (0..784)
            .filter(|&i| out[i] > 127)
            .map(|i| (i % 28, i / 28))
            .collect();
        let (xs, ys): (Vec<usize>, Vec<usize>) = lit.iter().copied().unzip();
        assert_eq!(
            (*xs.iter().min().unwrap(), *xs.iter().max().unwrap()),
            (9, 18)
        );
        assert_eq!(
            (*ys.iter().min().unwrap(), *ys.iter().max().unwrap()),
            (4, 23)
        );
        assert_eq!(lit.len(), 200);
    }

    #[test]
    fn unreadable_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("notes.png");
        std::fs::write(&text, "not an image").unwrap();
        let e = read_image(&text).unwrap_err().to_string();
        assert!(
            e.contains("notes.png") && e.contains("not a PNG or JPEG"),
            "{e}"
        );
        let missing = dir.path().join("missing.png");
        let e = read_image(&missing).unwrap_err().to_string();
        assert!(
            e.contains("missing.png") && e.contains("cannot read"),
            "{e}"
        );
        let mut truncated = Vec::new();
        write_png(&dir.path().join("ok.png"), &[0.5; 784], [1, 28, 28]).unwrap();
        truncated.extend_from_slice(&std::fs::read(dir.path().join("ok.png")).unwrap()[..40]);
        let cut = dir.path().join("cut.png");
        std::fs::write(&cut, truncated).unwrap();
        let e = read_image(&cut).unwrap_err().to_string();
        assert!(e.contains("cut.png") && e.contains("cannot decode"), "{e}");
    }
}
