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
use image::DynamicImage;

// The picture code is ae-data's, shared with the folders of pictures read as datasets.
pub use ae_data::picture::{PictureOptions, read_image, to_dataset_pixels};

use ae_train::TrainError;

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
