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

use std::io::IsTerminal;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::UNIX_EPOCH;

use indicatif::{ProgressBar, ProgressStyle};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rayon::prelude::*;

use crate::cache;
use crate::error::DataError;
use crate::images::{ImageSet, MAX_CLASSES};
use crate::picture::{PictureOptions, read_image, to_dataset_pixels};

/// How deep pictures may lie under a class folder (a guard against link loops).
const MAX_DEPTH: usize = 32;

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

    fn check(&self, what: &Path, channels: &[usize]) -> Result<(), DataError> {
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

/// Which part of the folder a picture is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    /// No split given: the seeded split decides.
    Pool,
    Train,
    Test,
}

/// One picture of the listing.
#[derive(Debug, Clone)]
pub(crate) struct Listed {
    /// Relative to the folder.
    pub(crate) rel: PathBuf,
    pub(crate) part: Part,
    /// 0 when unlabelled.
    pub(crate) label: u8,
    pub(crate) size: u64,
    /// Modification time, nanoseconds since the Unix epoch (0 when unknown).
    pub(crate) mtime_ns: u128,
}

/// A folder's pictures, in file order: `train/` before `test/`, classes in name order, paths
/// sorted within each class.
#[derive(Debug, Clone)]
pub(crate) struct Listing {
    pub(crate) root: PathBuf,
    pub(crate) class_names: Vec<String>,
    pub(crate) split_given: bool,
    pub(crate) files: Vec<Listed>,
    not_pictures: usize,
    outside_classes: usize,
    ignored: Vec<PathBuf>,
}

impl Listing {
    fn scan(&self) -> FolderScan {
        let groups = self.class_names.len().max(1);
        let mut train_counts = vec![0; groups];
        let mut test_counts = vec![0; if self.split_given { groups } else { 0 }];
        for f in &self.files {
            match f.part {
                Part::Test => test_counts[f.label as usize] += 1,
                Part::Pool | Part::Train => train_counts[f.label as usize] += 1,
            }
        }
        FolderScan {
            path: self.root.clone(),
            class_names: self.class_names.clone(),
            split_given: self.split_given,
            train_counts,
            test_counts,
            not_pictures: self.not_pictures,
            outside_classes: self.outside_classes,
            ignored: self.ignored.clone(),
            picture_bytes: self.files.iter().map(|f| f.size).sum(),
        }
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

/// The train and test images, by index into the items, in their final order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    pub(crate) train: Vec<usize>,
    pub(crate) test: Vec<usize>,
}

/// Round half away from zero, at most `n`.
fn test_count(n: usize, test_fraction: f64) -> usize {
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

/// What became of one picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    Decoded,
    /// Why it cannot be read (without the path).
    Failed(String),
    /// Not decoded: an earlier picture failed and the load stops there.
    NotTried,
}

/// Decodes every picture into its slot, in parallel. Without `skip_unreadable`, pictures after
/// the first failure (in file order) are not tried.
fn decode_all(
    listing: &Listing,
    shape: [usize; 3],
    slots: &mut [Option<&mut [u8]>],
    options: &CustomOptions,
) -> Vec<Outcome> {
    let bar = progress_bar(listing.files.len(), options.progress, &listing.root);
    let first_failure = AtomicUsize::new(usize::MAX);
    let outcomes = slots
        .par_iter_mut()
        .enumerate()
        .map(|(index, slot)| {
            if !options.skip_unreadable && index > first_failure.load(Ordering::Relaxed) {
                return Outcome::NotTried;
            }
            let Some(slot) = slot.as_deref_mut() else {
                return Outcome::Decoded;
            };
            let file = listing.root.join(&listing.files[index].rel);
            let outcome = match decode_one(&file, shape) {
                Ok(pixels) => {
                    slot.copy_from_slice(&pixels);
                    Outcome::Decoded
                }
                Err(message) => {
                    first_failure.fetch_min(index, Ordering::Relaxed);
                    Outcome::Failed(message)
                }
            };
            bar.inc(1);
            outcome
        })
        .collect();
    bar.finish_and_clear();
    outcomes
}

/// One picture as `shape` bytes, or why it cannot be read. A decoder that panics on a damaged
/// file makes that file unreadable, not the load.
fn decode_one(file: &Path, shape: [usize; 3]) -> Result<Vec<u8>, String> {
    std::panic::catch_unwind(AssertUnwindSafe(|| {
        let picture = read_image(file).map_err(|e| match e {
            DataError::Image { message, .. } => message,
            other => other.to_string(),
        })?;
        Ok(to_dataset_pixels(
            &picture,
            shape,
            PictureOptions::default(),
        ))
    }))
    .unwrap_or_else(|_| Err("the decoder failed on this file (damaged?)".into()))
}

fn progress_bar(total: usize, show: bool, root: &Path) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    if !std::io::stderr().is_terminal() {
        eprintln!("decoding {total} pictures of {}", root.display());
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total as u64);
    if let Ok(style) =
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} {per_sec} eta {eta}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(format!("decoding {}", root.display()));
    bar
}

/// True for a PNG or JPEG file name (by extension, any case).
fn is_picture(name: &std::ffi::OsStr) -> bool {
    Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| {
            let e = e.to_ascii_lowercase();
            e == "png" || e == "jpg" || e == "jpeg"
        })
}

/// A folder entry (hidden ones left out).
struct Entry {
    name: std::ffi::OsString,
    is_dir: bool,
    size: u64,
    mtime_ns: u128,
}

/// The entries of `dir` (not hidden), sorted by name.
fn read_sorted(dir: &Path) -> Result<Vec<Entry>, DataError> {
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| DataError::io(dir, e))? {
        let entry = entry.map_err(|e| DataError::io(dir, e))?;
        let name = entry.file_name();
        if name.as_encoded_bytes().first() == Some(&b'.') {
            continue;
        }
        let path = entry.path();
        let meta = std::fs::metadata(&path).map_err(|e| DataError::io(&path, e))?;
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        entries.push(Entry {
            name,
            is_dir: meta.is_dir(),
            size: meta.len(),
            mtime_ns,
        });
    }
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(entries)
}

/// One part of a folder (`PATH`, `PATH/train` or `PATH/test`).
struct PartListing {
    /// `None` when its pictures lie directly in it (unlabelled).
    class_names: Option<Vec<String>>,
    /// Relative to the root, with class index, size and time.
    files: Vec<(PathBuf, usize, u64, u128)>,
    not_pictures: usize,
    outside_classes: usize,
}

fn list_part(root: &Path, rel: &Path) -> Result<PartListing, DataError> {
    let dir = root.join(rel);
    let entries = read_sorted(&dir)?;
    let mut part = PartListing {
        class_names: None,
        files: Vec::new(),
        not_pictures: 0,
        outside_classes: 0,
    };
    let class_dirs: Vec<&Entry> = entries.iter().filter(|e| e.is_dir).collect();
    if class_dirs.is_empty() {
        for e in &entries {
            if is_picture(&e.name) {
                part.files.push((rel.join(&e.name), 0, e.size, e.mtime_ns));
            } else {
                part.not_pictures += 1;
            }
        }
        return Ok(part);
    }
    if class_dirs.len() > MAX_CLASSES {
        return Err(folder_error(
            &dir,
            format!(
                "{} class folders, at most {MAX_CLASSES} classes are supported (labels are bytes)",
                class_dirs.len()
            ),
        ));
    }
    for e in entries.iter().filter(|e| !e.is_dir) {
        if is_picture(&e.name) {
            part.outside_classes += 1;
        } else {
            part.not_pictures += 1;
        }
    }
    let mut names = Vec::with_capacity(class_dirs.len());
    for (class, e) in class_dirs.iter().enumerate() {
        names.push(e.name.to_string_lossy().into_owned());
        let class_rel = rel.join(&e.name);
        let before = part.files.len();
        let mut not_pictures = 0;
        walk(
            root,
            &class_rel,
            0,
            class,
            &mut part.files,
            &mut not_pictures,
        )?;
        part.not_pictures += not_pictures;
        if part.files.len() == before {
            return Err(folder_error(
                &root.join(&class_rel),
                format!(
                    "class folder '{}' holds no PNG or JPEG pictures{}",
                    names[class],
                    other_files(not_pictures)
                ),
            ));
        }
    }
    part.class_names = Some(names);
    Ok(part)
}

fn other_files(n: usize) -> String {
    match n {
        0 => String::new(),
        1 => " (1 other file)".into(),
        n => format!(" ({n} other files)"),
    }
}

/// Every picture under `rel` (files sorted, then sub-folders sorted).
fn walk(
    root: &Path,
    rel: &Path,
    depth: usize,
    class: usize,
    files: &mut Vec<(PathBuf, usize, u64, u128)>,
    not_pictures: &mut usize,
) -> Result<(), DataError> {
    let entries = read_sorted(&root.join(rel))?;
    for e in entries.iter().filter(|e| !e.is_dir) {
        if is_picture(&e.name) {
            files.push((rel.join(&e.name), class, e.size, e.mtime_ns));
        } else {
            *not_pictures += 1;
        }
    }
    for e in entries.iter().filter(|e| e.is_dir) {
        if depth >= MAX_DEPTH {
            return Err(folder_error(
                &root.join(rel).join(&e.name),
                format!("folders nested more than {MAX_DEPTH} deep (a link loop?)"),
            ));
        }
        walk(
            root,
            &rel.join(&e.name),
            depth + 1,
            class,
            files,
            not_pictures,
        )?;
    }
    Ok(())
}

pub(crate) fn list_folder(path: &Path) -> Result<Listing, DataError> {
    let meta = std::fs::metadata(path).map_err(|e| DataError::io(path, e))?;
    if !meta.is_dir() {
        return Err(folder_error(
            path,
            "is not a folder (a dataset of pictures is a folder; NumPy files end in .npz or .npy)"
                .into(),
        ));
    }
    let entries = read_sorted(path)?;
    let has_dir = |name: &str| entries.iter().any(|e| e.is_dir && e.name == name);
    let (train_dir, test_dir) = (has_dir("train"), has_dir("test"));
    let listed = |part: PartListing, which: Part, out: &mut Vec<Listed>| {
        for (rel, label, size, mtime_ns) in part.files {
            out.push(Listed {
                rel,
                part: which,
                label: label as u8,
                size,
                mtime_ns,
            });
        }
    };
    let mut files = Vec::new();
    let listing = match (train_dir, test_dir) {
        (true, true) => {
            let train = list_part(path, Path::new("train"))?;
            let test = list_part(path, Path::new("test"))?;
            let (train_path, test_path) = (path.join("train"), path.join("test"));
            match (&train.class_names, &test.class_names) {
                (Some(a), Some(b)) if a != b => {
                    let only = |x: &[String], y: &[String]| {
                        x.iter()
                            .filter(|n| !y.contains(n))
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ")
                    };
                    let mut difference = Vec::new();
                    for (dir, x, y) in [(&test_path, b, a), (&train_path, a, b)] {
                        let names = only(x, y);
                        if !names.is_empty() {
                            difference.push(format!("only in {}: {names}", dir.display()));
                        }
                    }
                    return Err(folder_error(
                        path,
                        format!(
                            "{} and {} hold different class folders: {}",
                            train_path.display(),
                            test_path.display(),
                            difference.join("; ")
                        ),
                    ));
                }
                (Some(_), None) | (None, Some(_)) => {
                    let (classes, flat) = if train.class_names.is_some() {
                        (&train_path, &test_path)
                    } else {
                        (&test_path, &train_path)
                    };
                    return Err(folder_error(
                        path,
                        format!(
                            "{} holds class folders but {} holds its pictures directly; give both the same layout",
                            classes.display(),
                            flat.display()
                        ),
                    ));
                }
                _ => {}
            }
            for (part, dir) in [(&train, &train_path), (&test, &test_path)] {
                if part.files.is_empty() {
                    return Err(folder_error(
                        dir,
                        format!(
                            "holds no PNG or JPEG pictures{}",
                            other_files(part.not_pictures)
                        ),
                    ));
                }
            }
            let ignored = entries
                .iter()
                .filter(|e| !(e.is_dir && (e.name == "train" || e.name == "test")))
                .map(|e| PathBuf::from(&e.name))
                .collect();
            let (not_pictures, outside_classes) = (
                train.not_pictures + test.not_pictures,
                train.outside_classes + test.outside_classes,
            );
            let class_names = train.class_names.clone().unwrap_or_default();
            listed(train, Part::Train, &mut files);
            listed(test, Part::Test, &mut files);
            Listing {
                root: path.to_path_buf(),
                class_names,
                split_given: true,
                files,
                not_pictures,
                outside_classes,
                ignored,
            }
        }
        (true, false) | (false, true) => {
            let (has, lacks) = if train_dir {
                ("train", "test")
            } else {
                ("test", "train")
            };
            return Err(folder_error(
                path,
                format!(
                    "holds {has}/ but no {lacks}/: a given split needs both (or put the class folders directly in {})",
                    path.display()
                ),
            ));
        }
        (false, false) => {
            let pool = list_part(path, Path::new(""))?;
            if pool.files.is_empty() {
                return Err(folder_error(
                    path,
                    format!(
                        "holds no PNG or JPEG pictures{}{}",
                        other_files(pool.not_pictures),
                        if pool.outside_classes > 0 {
                            " in class folders"
                        } else {
                            ""
                        }
                    ),
                ));
            }
            let class_names = pool.class_names.clone().unwrap_or_default();
            let (not_pictures, outside_classes) = (pool.not_pictures, pool.outside_classes);
            listed(pool, Part::Pool, &mut files);
            Listing {
                root: path.to_path_buf(),
                class_names,
                split_given: false,
                files,
                not_pictures,
                outside_classes,
                ignored: Vec::new(),
            }
        }
    };
    Ok(listing)
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

    #[test]
    fn compacting_keeps_the_order_of_the_kept_images() {
        let mut pixels = vec![0, 0, 1, 1, 2, 2, 3, 3];
        let kept = compact(&mut pixels, &[10, 11, 12, 13], 2, |f| f != 11);
        assert_eq!(kept, vec![10, 12, 13]);
        assert_eq!(pixels, vec![0, 0, 2, 2, 3, 3]);
    }
}
