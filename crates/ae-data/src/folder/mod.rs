//! A folder of pictures as a dataset, laid out as torchvision's `ImageFolder`:
//!
//! * `PATH/<class>/<picture>`: classes are the sub-folder names, sorted by name (as torchvision
//!   sorts them); pictures may sit in sub-folders of a class folder. The train / test split is
//!   made here, seeded and stratified (see [`Split`]).
//! * `PATH/train/<class>/…` and `PATH/test/<class>/…`: the split is given; both must have the
//!   same class folders.
//! * pictures directly in `PATH` (or in `PATH/train/` and `PATH/test/`): unlabelled
//!   (`classes() == 0`).
//!
//! Pictures are PNG and JPEG files, told by their extension (`.png`, `.jpg`, `.jpeg`, any case);
//! other files are skipped and counted as "not pictures"; hidden files and folders (a name
//! starting with `.`) are ignored. Every picture is brought to the target shape `[c, h, w]`
//! exactly as `ae predict` brings a picture to a model ([`to_dataset_pixels`] with the default
//! [`PictureOptions`]), decoded on all cores, in a deterministic order (sorted paths).
//!
//! The decoded pictures are cached (when [`CustomOptions::cache_dir`] is set) in one file per
//! folder and target shape, keyed by every picture's path, size and modification time: a
//! second load of an unchanged folder decodes nothing (see `cache.rs` for the format).
//!
//! The same options, split and result types serve the NumPy files of [`crate::numpy`].

mod decode;
mod listing;

use std::path::{Path, PathBuf};

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use crate::cache;
use crate::custom::{
    CustomData, CustomOptions, Plan, Split, check_test_fraction, seeded_plan, test_count,
};
use crate::error::DataError;
use crate::images::ImageSet;

pub(crate) use decode::Outcome;
use decode::decode_all;
pub(crate) use listing::{Listed, Listing, Part, list_folder};

/// What a folder of pictures holds, from its listing alone (nothing decoded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderScan {
    pub path: PathBuf,
    /// The class folders, sorted; empty when the pictures are unlabelled.
    pub class_names: Vec<String>,
    /// True for `train/` + `test/`.
    pub split_given: bool,
    /// Pictures per class (one count when unlabelled): of `train/` when the split is given,
    /// else every picture.
    pub train_counts: Vec<usize>,
    /// Pictures per class of `test/`; empty when the split is not given.
    pub test_counts: Vec<usize>,
    /// Files that are not PNG or JPEG pictures (by extension), skipped.
    pub not_pictures: usize,
    /// Pictures lying beside the class folders instead of in one, skipped.
    pub outside_classes: usize,
    /// With a given split, the other entries of `PATH` (neither `train/` nor `test/`), skipped.
    pub ignored: Vec<PathBuf>,
    /// Bytes of all the pictures on disk.
    pub picture_bytes: u64,
}

impl FolderScan {
    /// Number of pictures.
    pub fn pictures(&self) -> usize {
        self.train_counts.iter().chain(&self.test_counts).sum()
    }

    /// True when the pictures are in class folders.
    pub fn is_labelled(&self) -> bool {
        !self.class_names.is_empty()
    }

    /// Pictures per class in the train and test splits a load would make: the given ones,
    /// or the seeded split's (`round(test_fraction × n)` of each class for testing).
    pub fn split_counts(&self, test_fraction: f64) -> Result<(Vec<usize>, Vec<usize>), DataError> {
        if self.split_given {
            return Ok((self.train_counts.clone(), self.test_counts.clone()));
        }
        check_test_fraction(test_fraction)?;
        let test: Vec<usize> = self
            .train_counts
            .iter()
            .map(|&n| test_count(n, test_fraction))
            .collect();
        let train = self
            .train_counts
            .iter()
            .zip(&test)
            .map(|(n, t)| n - t)
            .collect();
        Ok((train, test))
    }
}

/// Lists the folder at `path` as [`load_image_folder`] would read it, decoding nothing: its
/// classes, pictures per class and split, and what it skips. The layout errors are those of
/// [`load_image_folder`].
pub fn scan_image_folder(path: &Path) -> Result<FolderScan, DataError> {
    Ok(list_folder(path)?.scan())
}

/// Reads the folder of pictures at `path` (see the module documentation for the layouts),
/// every picture brought to `options.shape`.
///
/// Errors, each naming the file or folder: a picture that cannot be decoded (the first in file
/// order; none with `skip_unreadable`), an empty class folder, no pictures at all, more than
/// 256 classes, `train/` and `test/` with different class folders, only one of them, a split
/// that leaves no training or no test image.
///
/// The split is made over the listing before decoding, so a picture skipped as unreadable
/// leaves its split one short instead of moving the others.
pub fn load_image_folder(path: &Path, options: &CustomOptions) -> Result<CustomData, DataError> {
    options.check(path, &[1, 3])?;
    let listing = list_folder(path)?;
    let shape = options.shape;
    let image_len: usize = shape.iter().product();
    let classes = listing.class_names.len();
    let split = if listing.split_given {
        Split::Given
    } else {
        Split::Seeded {
            test_fraction: options.test_fraction,
            seed: options.seed,
        }
    };
    let plan = match split {
        Split::Given => given_folder_plan(&listing.files, options.seed),
        Split::Seeded {
            test_fraction,
            seed,
        } => {
            let labels: Vec<u8> = listing.files.iter().map(|f| f.label).collect();
            seeded_plan(&labels, classes, test_fraction, seed)
        }
    };

    let mut train_pixels = vec![0u8; plan.train.len() * image_len];
    let mut test_pixels = vec![0u8; plan.test.len() * image_len];
    // Where each file's pixels go, by file index.
    let mut slots: Vec<Option<&mut [u8]>> = (0..listing.files.len()).map(|_| None).collect();
    for (slot, &file) in train_pixels.chunks_mut(image_len).zip(&plan.train) {
        slots[file] = Some(slot);
    }
    for (slot, &file) in test_pixels.chunks_mut(image_len).zip(&plan.test) {
        slots[file] = Some(slot);
    }

    let cache_file = options
        .cache_dir
        .as_deref()
        .map(|dir| cache::file_for(dir, path, shape));
    let key = cache::key(&listing, shape);
    let mut from_cache = false;
    let mut outcomes = None;
    if let Some(file) = &cache_file {
        outcomes = cache::read(file, &key, &listing, shape, &mut slots);
        from_cache = outcomes.is_some();
    }
    let mut written = from_cache;
    let outcomes = match outcomes {
        Some(outcomes) => outcomes,
        None => {
            let outcomes = decode_all(&listing, shape, &mut slots, options);
            let complete = outcomes.iter().all(|o| !matches!(o, Outcome::NotTried));
            if complete && let Some(file) = &cache_file {
                written = cache::write(file, &key, &listing, shape, &slots, &outcomes).is_ok();
            }
            outcomes
        }
    };
    drop(slots);

    let failed = |file: usize| match &outcomes[file] {
        Outcome::Failed(message) => Some(message.clone()),
        Outcome::Decoded | Outcome::NotTried => None,
    };
    let skipped: Vec<(PathBuf, String)> = (0..listing.files.len())
        .filter_map(|i| failed(i).map(|m| (path.join(&listing.files[i].rel), m)))
        .collect();
    if !options.skip_unreadable
        && let Some((file, message)) = skipped.first()
    {
        return Err(DataError::Image {
            file: file.clone(),
            message: message.clone(),
        });
    }

    let build = |mut pixels: Vec<u8>, order: &[usize]| {
        let kept = compact(&mut pixels, order, image_len, |f| failed(f).is_none());
        let labels: Vec<u8> = kept.iter().map(|&f| listing.files[f].label).collect();
        let files: Vec<PathBuf> = kept
            .iter()
            .map(|&f| path.join(&listing.files[f].rel))
            .collect();
        let set = if classes == 0 {
            ImageSet::unlabelled(pixels, shape)
        } else {
            ImageSet::labelled(pixels, labels, shape, classes)
        };
        set.map(|set| (set, files))
            .map_err(|e| folder_error(path, e.to_string()))
    };
    let (train, train_files) = build(train_pixels, &plan.train)?;
    let (test, test_files) = build(test_pixels, &plan.test)?;
    for (set, name) in [(&train, "training"), (&test, "test")] {
        if set.is_empty() {
            return Err(folder_error(
                path,
                format!(
                    "{} leaves no {name} picture (of {} readable); add pictures{}",
                    split_words(split),
                    train.len() + test.len(),
                    if matches!(split, Split::Seeded { .. }) {
                        " or change the test fraction"
                    } else {
                        ""
                    }
                ),
            ));
        }
    }

    let scan = listing.scan();
    let source = folder_source(&scan, &train, &test, split, &skipped, from_cache);
    Ok(CustomData {
        train,
        test,
        class_names: listing.class_names,
        train_files,
        test_files,
        skipped,
        split,
        from_cache,
        cache_file: cache_file.filter(|_| written),
        source,
    })
}

fn split_words(split: Split) -> String {
    match split {
        Split::Given => "the given split".into(),
        Split::Seeded {
            test_fraction,
            seed,
        } => format!("a test share of {test_fraction} (seed {seed})"),
    }
}

fn folder_source(
    scan: &FolderScan,
    train: &ImageSet,
    test: &ImageSet,
    split: Split,
    skipped: &[(PathBuf, String)],
    from_cache: bool,
) -> String {
    let [c, h, w] = train.image_shape();
    let classes = if scan.is_labelled() {
        let mut names = scan.class_names[..scan.class_names.len().min(6)].join(", ");
        if scan.class_names.len() > 6 {
            names.push_str(", ...");
        }
        format!("{} classes ({names})", scan.class_names.len())
    } else {
        "unlabelled".into()
    };
    let split = match split {
        Split::Given => "split given by train/ and test/".to_string(),
        Split::Seeded {
            test_fraction,
            seed,
        } => format!("split here: test share {test_fraction}, seed {seed}, stratified"),
    };
    let mut line = format!(
        "folder {}: {classes}, {} pictures as {c}×{h}×{w} bytes, {} train / {} test ({split})",
        scan.path.display(),
        scan.pictures(),
        train.len(),
        test.len(),
    );
    if !skipped.is_empty() {
        line.push_str(&format!(", {} unreadable skipped", skipped.len()));
    }
    let other = scan.not_pictures + scan.outside_classes + scan.ignored.len();
    if other > 0 {
        line.push_str(&format!(", {other} other file(s) skipped"));
    }
    line.push_str(if from_cache {
        ", from the cache"
    } else {
        ", decoded"
    });
    line
}

pub(crate) fn folder_error(folder: &Path, message: String) -> DataError {
    DataError::Folder {
        folder: folder.to_path_buf(),
        message,
    }
}

/// A folder's given split: each part in an order shuffled by `seed` (file order is class
/// order, and the first images of a split should hold every class).
fn given_folder_plan(files: &[Listed], seed: u64) -> Plan {
    let mut rng = StdRng::seed_from_u64(seed);
    let pick = |part: Part| -> Vec<usize> {
        (0..files.len())
            .filter(|&i| files[i].part == part)
            .collect()
    };
    let (mut train, mut test) = (pick(Part::Train), pick(Part::Test));
    train.shuffle(&mut rng);
    test.shuffle(&mut rng);
    Plan { train, test }
}

/// Moves the images of `order` whose file passes `keep` to the front of `pixels` (order
/// kept), truncates it, and returns the kept files.
fn compact(
    pixels: &mut Vec<u8>,
    order: &[usize],
    image_len: usize,
    keep: impl Fn(usize) -> bool,
) -> Vec<usize> {
    let mut kept = Vec::with_capacity(order.len());
    for (position, &file) in order.iter().enumerate() {
        if keep(file) {
            let to = kept.len();
            if to != position {
                pixels.copy_within(
                    position * image_len..(position + 1) * image_len,
                    to * image_len,
                );
            }
            kept.push(file);
        }
    }
    pixels.truncate(kept.len() * image_len);
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compacting_keeps_the_order_of_the_kept_images() {
        let mut pixels = vec![0, 0, 1, 1, 2, 2, 3, 3];
        let kept = compact(&mut pixels, &[10, 11, 12, 13], 2, |f| f != 11);
        assert_eq!(kept, vec![10, 12, 13]);
        assert_eq!(pixels, vec![0, 0, 2, 2, 3, 3]);
    }
}
