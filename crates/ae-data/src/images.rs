//! The one image-set type of this crate, generic over the pixel type: a split of a dataset as
//! pixels [n, channels, height, width], labels [n] in 0..10 and the image shape.
//!
//! [`ImageSet`] (`Images<u8>`) is a split as raw bytes, the way it is stored on disk;
//! [`Prepared`] (`Images<f32>`) is the same split as floats in [0, 1] after an optional resize,
//! built by `Prepared::new` in `prepare.rs`. Validation and the accessors are written once here.

use crate::error::DataError;

/// Number of classes of every dataset here.
pub const NUM_CLASSES: usize = 10;

/// A split as raw bytes with their labels: pixels [n, channels, height, width] as u8.
pub type ImageSet = Images<u8>;

/// A whole split as f32 in [0, 1], ready to be cut into batches: pixels
/// [n, channels, height, width].
pub type Prepared = Images<f32>;

/// A pixel type an [`Images`] holds: `u8` (as stored) or `f32` (as prepared for a model).
pub trait Pixel: Copy + sealed::Sealed {
    /// What one pixel value is called in messages: "bytes" or "floats".
    const UNIT: &'static str;
}

impl Pixel for u8 {
    const UNIT: &'static str = "bytes";
}

impl Pixel for f32 {
    const UNIT: &'static str = "floats";
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for u8 {}
    impl Sealed for f32 {}
}

/// Images of one split with their labels.
///
/// pixels: [n, channels, height, width] as `T`, labels: [n] in 0..10.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Images<T> {
    pixels: Vec<T>,
    labels: Vec<u8>,
    shape: [usize; 3],
}

impl ImageSet {
    /// Builds a set, checking that the pixel count fits the labels and the image shape.
    pub fn new(pixels: Vec<u8>, labels: Vec<u8>, shape: [usize; 3]) -> Result<Self, DataError> {
        Self::from_parts(pixels, labels, shape)
    }

    /// Mean pixel value scaled to [0, 1].
    pub fn pixel_mean(&self) -> f64 {
        if self.pixels.is_empty() {
            return 0.0;
        }
        let sum: u64 = self.pixels.iter().map(|&p| p as u64).sum();
        sum as f64 / self.pixels.len() as f64 / 255.0
    }
}

impl<T: Pixel> Images<T> {
    /// Builds a set, checking that the shape has no zero dimension, that the pixel count fits
    /// the labels and the image shape, and that every label is in 0..10.
    pub fn from_parts(
        pixels: Vec<T>,
        labels: Vec<u8>,
        shape: [usize; 3],
    ) -> Result<Self, DataError> {
        let image_len = shape.iter().product::<usize>();
        if image_len == 0 {
            return Err(DataError::InvalidArgument(format!(
                "image shape {shape:?} has a zero dimension"
            )));
        }
        if pixels.len() != labels.len() * image_len {
            return Err(DataError::InvalidArgument(format!(
                "{} pixel {unit} do not make {} images of shape {shape:?} ({} {unit})",
                pixels.len(),
                labels.len(),
                labels.len() * image_len,
                unit = T::UNIT,
            )));
        }
        if let Some((index, &label)) = labels
            .iter()
            .enumerate()
            .find(|(_, l)| **l as usize >= NUM_CLASSES)
        {
            return Err(DataError::InvalidArgument(format!(
                "label {label} at index {index} is out of range, expected 0..=9"
            )));
        }
        Ok(Self::from_parts_unchecked(pixels, labels, shape))
    }

    /// Builds a set from parts the caller has derived from a valid set (no checks).
    pub(crate) fn from_parts_unchecked(pixels: Vec<T>, labels: Vec<u8>, shape: [usize; 3]) -> Self {
        Self {
            pixels,
            labels,
            shape,
        }
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when the set holds no image.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The shape of one image: [channels, height, width].
    pub fn image_shape(&self) -> [usize; 3] {
        self.shape
    }

    /// Pixel values per image (bytes for [`ImageSet`], floats for [`Prepared`]).
    pub fn image_len(&self) -> usize {
        self.shape.iter().product()
    }

    /// The labels, one per image.
    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    /// All pixels: [n, channels, height, width].
    pub fn pixels(&self) -> &[T] {
        &self.pixels
    }

    /// The pixels of image `index`: [channels, height, width].
    pub fn image(&self, index: usize) -> &[T] {
        let len = self.image_len();
        &self.pixels[index * len..(index + 1) * len]
    }

    /// How many images each class has.
    pub fn class_counts(&self) -> [usize; NUM_CLASSES] {
        let mut counts = [0; NUM_CLASSES];
        for &l in &self.labels {
            counts[l as usize] += 1;
        }
        counts
    }

    /// The first `n` images (all of them when `n` is larger). `n == 0` is an error.
    pub fn take(&self, n: usize) -> Result<Self, DataError> {
        if n == 0 {
            return Err(DataError::InvalidArgument(
                "a sample limit of 0 leaves no image to train on; expected at least 1".into(),
            ));
        }
        let n = n.min(self.len());
        Ok(Self {
            pixels: self.pixels[..n * self.image_len()].to_vec(),
            labels: self.labels[..n].to_vec(),
            shape: self.shape,
        })
    }
}
