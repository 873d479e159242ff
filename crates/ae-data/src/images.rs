//! The one image-set type of this crate, generic over the pixel type: a split of a dataset as
//! pixels [n, channels, height, width], labels [n] in 0..classes and the image shape.
//!
//! The built-in datasets have ten classes; a folder of pictures or a NumPy file has as many as
//! it names (at most 256: labels are bytes), or none: an unlabelled set has `classes() == 0`
//! and every label 0.
//!
//! [`ImageSet`] (`Images<u8>`) is a split as raw bytes, the way it is stored on disk;
//! [`Prepared`] (`Images<f32>`) is the same split as floats in [0, 1] after an optional resize,
//! built by `Prepared::new` in `prepare.rs`. Validation and the accessors are written once here.

use crate::error::DataError;

/// Number of classes of every built-in dataset (MNIST, Fashion-MNIST, CIFAR-10).
pub const NUM_CLASSES: usize = 10;

/// The most classes a set can have: labels are bytes.
pub const MAX_CLASSES: usize = 256;

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
/// pixels: [n, channels, height, width] as `T`, labels: [n] in 0..classes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Images<T> {
    pixels: Vec<T>,
    labels: Vec<u8>,
    shape: [usize; 3],
    /// 0 for an unlabelled set.
    classes: usize,
}

impl ImageSet {
    /// Builds a ten-class set, checking that the pixel count fits the labels and the image shape.
    pub fn new(pixels: Vec<u8>, labels: Vec<u8>, shape: [usize; 3]) -> Result<Self, DataError> {
        Self::from_parts(pixels, labels, shape)
    }

    /// Builds a set of `classes` classes (1..=256), checking pixels, shape and labels.
    pub fn labelled(
        pixels: Vec<u8>,
        labels: Vec<u8>,
        shape: [usize; 3],
        classes: usize,
    ) -> Result<Self, DataError> {
        Self::with_classes(pixels, labels, shape, classes)
    }

    /// Builds a set without labels (`classes() == 0`, every label 0): pixels
    /// [n, channels, height, width].
    pub fn unlabelled(pixels: Vec<u8>, shape: [usize; 3]) -> Result<Self, DataError> {
        let image_len = shape.iter().product::<usize>();
        let n = pixels.len().checked_div(image_len).unwrap_or(0);
        let mut set = Self::with_classes(pixels, vec![0; n], shape, 1)?;
        set.classes = 0;
        Ok(set)
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
    /// Builds a ten-class set, checking that the shape has no zero dimension, that the pixel
    /// count fits the labels and the image shape, and that every label is in 0..10.
    pub fn from_parts(
        pixels: Vec<T>,
        labels: Vec<u8>,
        shape: [usize; 3],
    ) -> Result<Self, DataError> {
        Self::with_classes(pixels, labels, shape, NUM_CLASSES)
    }

    /// As [`Images::from_parts`] for a set of `classes` classes (1..=256).
    pub fn with_classes(
        pixels: Vec<T>,
        labels: Vec<u8>,
        shape: [usize; 3],
        classes: usize,
    ) -> Result<Self, DataError> {
        if !(1..=MAX_CLASSES).contains(&classes) {
            return Err(DataError::InvalidArgument(format!(
                "{classes} classes: expected 1 to {MAX_CLASSES} (labels are bytes)"
            )));
        }
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
            .find(|(_, l)| **l as usize >= classes)
        {
            return Err(DataError::InvalidArgument(format!(
                "label {label} at index {index} is out of range, expected 0..={}",
                classes - 1
            )));
        }
        Ok(Self::from_parts_unchecked(pixels, labels, shape, classes))
    }

    /// Builds a set from parts the caller has derived from a valid set (no checks).
    pub(crate) fn from_parts_unchecked(
        pixels: Vec<T>,
        labels: Vec<u8>,
        shape: [usize; 3],
        classes: usize,
    ) -> Self {
        Self {
            pixels,
            labels,
            shape,
            classes,
        }
    }

    /// Number of classes; 0 for an unlabelled set.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// True when the labels mean something (the set has classes).
    pub fn is_labelled(&self) -> bool {
        self.classes > 0
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

    /// How many images each class has (`classes()` entries; none for an unlabelled set).
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.classes];
        if counts.is_empty() {
            return counts;
        }
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
            classes: self.classes,
        })
    }
}
