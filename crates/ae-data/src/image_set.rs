//! A split of a dataset as raw bytes, the way it is stored on disk.

use crate::error::DataError;

/// Images of one split as raw bytes with their labels.
///
/// pixels: [n, channels, height, width] as u8, labels: [n] in 0..10.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSet {
    pixels: Vec<u8>,
    labels: Vec<u8>,
    shape: [usize; 3],
}

/// Number of classes of every dataset here.
pub const NUM_CLASSES: usize = 10;

impl ImageSet {
    /// Builds a set, checking that the pixel count fits the labels and the image shape.
    pub fn new(pixels: Vec<u8>, labels: Vec<u8>, shape: [usize; 3]) -> Result<Self, DataError> {
        let image_len = shape.iter().product::<usize>();
        if image_len == 0 {
            return Err(DataError::InvalidArgument(format!(
                "image shape {shape:?} has a zero dimension"
            )));
        }
        if pixels.len() != labels.len() * image_len {
            return Err(DataError::InvalidArgument(format!(
                "{} pixel bytes do not make {} images of shape {shape:?} ({} bytes)",
                pixels.len(),
                labels.len(),
                labels.len() * image_len
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
        Ok(Self {
            pixels,
            labels,
            shape,
        })
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

    /// Bytes per image.
    pub fn image_len(&self) -> usize {
        self.shape.iter().product()
    }

    /// The labels, one per image.
    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    /// All pixels: [n, channels, height, width].
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }

    /// The pixels of image `index`: [channels, height, width].
    pub fn image(&self, index: usize) -> &[u8] {
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

    /// Mean pixel value scaled to [0, 1].
    pub fn pixel_mean(&self) -> f64 {
        if self.pixels.is_empty() {
            return 0.0;
        }
        let sum: u64 = self.pixels.iter().map(|&p| p as u64).sum();
        sum as f64 / self.pixels.len() as f64 / 255.0
    }

    /// The first `n` images (all of them when `n` is larger). `n == 0` is an error.
    pub fn take(&self, n: usize) -> Result<ImageSet, DataError> {
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
