//! A user's dataset, whichever form it comes in (a folder of pictures, `crate::folder`; a NumPy
//! file, `crate::numpy`): how it is read ([`CustomOptions`]), how its train / test split is
//! made ([`Split`], the seeded stratified split of `seeded_plan`), and what reading it gives
//! ([`CustomData`]).

use std::path::{Path, PathBuf};

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use crate::error::DataError;
use crate::images::ImageSet;

/// How a user's dataset (a folder of pictures or a NumPy file) is read.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomOptions {
    /// `[channels, height, width]` of every image: pictures are brought to it, arrays must
    /// have it. A folder needs 1 (grey) or 3 (RGB) channels.
    pub shape: [usize; 3],
    /// The share of each class held out for testing when the data gives no split of its own,
    /// strictly between 0 and 1.
    pub test_fraction: f64,
    /// The seed of that split (and of the order of a folder's images).
    pub seed: u64,
    /// Leave out the pictures that cannot be decoded (listed in [`CustomData::skipped`])
    /// instead of stopping at the first one, in file order.
    pub skip_unreadable: bool,
    /// Where decoded folders are cached (one file per folder and shape); `None`: no cache.
    pub cache_dir: Option<PathBuf>,
    /// Show a progress bar while decoding (a terminal), or one line saying what is decoded
    /// (not a terminal).
    pub progress: bool,
}

impl CustomOptions {
    /// Options for images of `shape`: a test share of 0.2, seed 0, stop at the first
    /// unreadable picture, no cache, no progress bar.
    pub fn new(shape: [usize; 3]) -> Self {
        Self {
            shape,
            test_fraction: 0.2,
            seed: 0,
            skip_unreadable: false,
            cache_dir: None,
            progress: false,
        }
    }

    pub(crate) fn check(&self, what: &Path, channels: &[usize]) -> Result<(), DataError> {
        let [c, h, w] = self.shape;
        if h == 0 || w == 0 || !channels.contains(&c) {
            return Err(DataError::InvalidArgument(format!(
                "{}: cannot bring images to shape {c}×{h}×{w}: expected {} channel(s) and a height and width of at least 1",
                what.display(),
                channels
                    .iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join(" or "),
            )));
        }
        check_test_fraction(self.test_fraction)
    }
}

/// Checks a test share: strictly between 0 and 1.
pub(crate) fn check_test_fraction(test_fraction: f64) -> Result<(), DataError> {
    if test_fraction > 0.0 && test_fraction < 1.0 {
        Ok(())
    } else {
        Err(DataError::InvalidArgument(format!(
            "test fraction {test_fraction}: expected a share strictly between 0 and 1"
        )))
    }
}

/// How the train / test split of a user's dataset was made.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Split {
    /// The data gave it (`train/` + `test/` folders, `x_train` + `x_test` arrays).
    Given,
    /// Made here: in each class, the images (in file order) shuffled by a `StdRng` seeded with
    /// `seed`, the first `round(test_fraction × n)` of them for testing, the rest for training;
    /// each split then shuffled by the same generator, so that its first images hold every
    /// class.
    Seeded { test_fraction: f64, seed: u64 },
}

/// A user's dataset read into memory.
#[derive(Debug, Clone)]
pub struct CustomData {
    pub train: ImageSet,
    pub test: ImageSet,
    /// One name per class, label `k` is `class_names[k]`; empty when unlabelled.
    pub class_names: Vec<String>,
    /// For a folder, the picture of each training image (`PATH/...`); empty for arrays.
    pub train_files: Vec<PathBuf>,
    /// For a folder, the picture of each test image; empty for arrays.
    pub test_files: Vec<PathBuf>,
    /// Pictures left out with [`CustomOptions::skip_unreadable`], each with why.
    pub skipped: Vec<(PathBuf, String)>,
    pub split: Split,
    /// True when a folder's decoded pictures came from the cache (nothing was decoded).
    pub from_cache: bool,
    /// The cache file read or written; `None` without a cache, or when it could not be written.
    pub cache_file: Option<PathBuf>,
    /// One line on what was read.
    pub source: String,
}

/// The train and test images, by index into the items, in their final order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    pub(crate) train: Vec<usize>,
    pub(crate) test: Vec<usize>,
}

/// Round half away from zero, at most `n`.
pub(crate) fn test_count(n: usize, test_fraction: f64) -> usize {
    ((test_fraction * n as f64).round() as usize).min(n)
}

/// The seeded, stratified split of items with `labels` (all 0 when `classes` is 0): see
/// [`Split::Seeded`].
pub(crate) fn seeded_plan(labels: &[u8], classes: usize, test_fraction: f64, seed: u64) -> Plan {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut groups: Vec<Vec<usize>> = vec![Vec::new(); classes.max(1)];
    let last = groups.len() - 1;
    for (i, &label) in labels.iter().enumerate() {
        groups[(label as usize).min(last)].push(i);
    }
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for mut group in groups {
        group.shuffle(&mut rng);
        let k = test_count(group.len(), test_fraction);
        test.extend_from_slice(&group[..k]);
        train.extend_from_slice(&group[k..]);
    }
    train.shuffle(&mut rng);
    test.shuffle(&mut rng);
    Plan { train, test }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seeded_split_is_stratified_and_reproducible() {
        let labels: Vec<u8> = (0..100).map(|i| (i % 3) as u8).collect();
        let plan = seeded_plan(&labels, 3, 0.25, 7);
        assert_eq!(plan, seeded_plan(&labels, 3, 0.25, 7));
        assert_ne!(plan, seeded_plan(&labels, 3, 0.25, 8));
        // 34, 33, 33 per class: round(8.5) = 9, round(8.25) = 8 twice.
        let count =
            |items: &[usize], class: u8| items.iter().filter(|&&i| labels[i] == class).count();
        assert_eq!(
            [
                count(&plan.test, 0),
                count(&plan.test, 1),
                count(&plan.test, 2)
            ],
            [9, 8, 8]
        );
        assert_eq!(plan.train.len() + plan.test.len(), 100);
        let mut all: Vec<usize> = plan.train.iter().chain(&plan.test).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..100).collect::<Vec<_>>());
    }
}
