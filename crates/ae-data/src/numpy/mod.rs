//! NumPy files as datasets.
//!
//! * `.npz` with `x_train`, `y_train`, `x_test`, `y_test` (as Keras' `mnist.npz`): the split is
//!   given. Without `y_train` and `y_test` the images are unlabelled.
//! * `.npz` with `images` (and optionally `labels`): the split is made here, seeded and
//!   stratified, exactly as for a folder of pictures ([`crate::Split::Seeded`]).
//! * `.npy`: one array of images, unlabelled, split here.
//!
//! Either `.npz` may also hold `class_names`, a 1-D string array (`U` or `S`), one name per
//! class. The file kind is told by its content (a zip archive or the `.npy` magic).
//!
//! Images are `N×H×W` (one channel) or `N×C×H×W`, C order, and must match the target shape
//! exactly. Their dtype is `uint8`, or `float32` / `float64` with every value in [0, 1],
//! stored as the byte `round(x·255)` (the load's `source` line says so). Labels are `N` (or
//! `N×1`) integers of any integer dtype, each in `0..classes`, where `classes` is the length
//! of `class_names` when given, else the largest label + 1 (at most 256: labels are bytes).
//!
//! The arrays are read in chunks straight into the final buffers; sizes are checked against
//! the file before anything is allocated, so a damaged or lying header is an error, never a
//! huge allocation or a panic.

mod archive;
mod array;

use std::path::{Path, PathBuf};

use crate::custom::{CustomData, CustomOptions, Plan, Split, check_test_fraction, seeded_plan};
use crate::error::DataError;
use crate::images::ImageSet;

use archive::{Archive, self_kind};
use array::{Header, image_count, read_class_names, read_header, read_images, read_labels};

/// What a NumPy file holds, from its headers and labels (no images read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrayScan {
    pub path: PathBuf,
    /// The images array(s) as stored, e.g. `[60000, 28, 28]` (of `x_train` when the split is
    /// given).
    pub images_shape: Vec<u64>,
    /// NumPy's name of the images' dtype: `uint8`, `float32`, ...
    pub dtype: String,
    /// True for `x_train` + `x_test`.
    pub split_given: bool,
    /// Images of `x_train`, or every image when the split is not given.
    pub train_count: usize,
    /// Images of `x_test`; 0 when the split is not given.
    pub test_count: usize,
    /// 0 when unlabelled.
    pub classes: usize,
    /// From `class_names`; empty when the file has none.
    pub class_names: Vec<String>,
    /// The arrays of the file (`.npz` keys; `["images"]` for a `.npy`).
    pub keys: Vec<String>,
}

/// The file's layout: which arrays hold what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// `x_train`, `x_test` and, when labelled, `y_train`, `y_test`.
    Given { labelled: bool },
    /// `images` and maybe `labels` (or a `.npy`).
    Pooled { labelled: bool },
}

fn array_error(file: &Path, message: String) -> DataError {
    DataError::Arrays {
        file: file.to_path_buf(),
        message,
    }
}

/// The header of array `key` and, for label arrays, the labels.
fn header_of(archive: &mut Archive, path: &Path, key: &str) -> Result<Option<Header>, DataError> {
    archive.with(path, key, |r, size| read_header(r, size))
}

fn labels_of(archive: &mut Archive, path: &Path, key: &str) -> Result<Option<Vec<u8>>, DataError> {
    archive.with(path, key, read_labels)
}

fn layout_of(path: &Path, keys: &[String], npy: bool) -> Result<Layout, DataError> {
    let has = |k: &str| keys.iter().any(|key| key == k);
    if npy {
        return Ok(Layout::Pooled { labelled: false });
    }
    if has("x_train") || has("x_test") {
        for k in ["x_train", "x_test"] {
            if !has(k) {
                return Err(array_error(
                    path,
                    format!(
                        "holds {} but no {k}",
                        if k == "x_test" { "x_train" } else { "x_test" }
                    ),
                ));
            }
        }
        match (has("y_train"), has("y_test")) {
            (true, true) => Ok(Layout::Given { labelled: true }),
            (false, false) => Ok(Layout::Given { labelled: false }),
            (true, false) => Err(array_error(path, "holds y_train but no y_test".into())),
            (false, true) => Err(array_error(path, "holds y_test but no y_train".into())),
        }
    } else if has("images") {
        Ok(Layout::Pooled {
            labelled: has("labels"),
        })
    } else {
        Err(array_error(
            path,
            format!(
                "holds none of x_train + x_test (with y_train + y_test) or images (with labels); its arrays: {}",
                if keys.is_empty() {
                    "none".into()
                } else {
                    keys.join(", ")
                }
            ),
        ))
    }
}

/// Labels and class names read and checked: `(train labels, test labels, classes, names)`;
/// `None` labels when unlabelled.
struct Labels {
    train: Option<Vec<u8>>,
    test: Option<Vec<u8>>,
    classes: usize,
    class_names: Vec<String>,
}

fn read_all_labels(
    archive: &mut Archive,
    path: &Path,
    layout: Layout,
) -> Result<Labels, DataError> {
    let class_names = archive
        .with(path, "class_names", read_class_names)?
        .unwrap_or_default();
    let (train, test) = match layout {
        Layout::Given { labelled: true } => (
            labels_of(archive, path, "y_train")?,
            labels_of(archive, path, "y_test")?,
        ),
        Layout::Pooled { labelled: true } => (labels_of(archive, path, "labels")?, None),
        _ => (None, None),
    };
    let keys: &[&str] = match layout {
        Layout::Given { .. } => &["y_train", "y_test"],
        Layout::Pooled { .. } => &["labels"],
    };
    let mut classes = 0;
    if train.is_some() {
        let largest = train
            .iter()
            .chain(&test)
            .flat_map(|l| l.iter().copied())
            .max()
            .map_or(0, |m| m as usize + 1);
        classes = if class_names.is_empty() {
            largest
        } else {
            class_names.len()
        };
        for (labels, key) in [&train, &test].into_iter().zip(keys) {
            if let Some(labels) = labels
                && let Some((index, label)) = labels
                    .iter()
                    .enumerate()
                    .find(|(_, l)| **l as usize >= classes)
            {
                return Err(array_error(
                    path,
                    format!(
                        "{key}: label {label} at index {index} is out of range: class_names names {classes} classes"
                    ),
                ));
            }
        }
    }
    Ok(Labels {
        train,
        test,
        classes,
        class_names: if classes > 0 { class_names } else { Vec::new() },
    })
}

/// Lists what the NumPy file at `path` holds: its layout, the images' shape and dtype (from
/// the headers), their counts, and the classes (the labels are read: they are small).
pub fn scan_arrays(path: &Path) -> Result<ArrayScan, DataError> {
    let mut archive = Archive::open(path)?;
    let keys = archive.keys();
    let layout = layout_of(path, &keys, self_kind(&archive))?;
    let labels = read_all_labels(&mut archive, path, layout)?;
    let (first, second) = match layout {
        Layout::Given { .. } => ("x_train", Some("x_test")),
        Layout::Pooled { .. } => ("images", None),
    };
    let missing = |key: &str| array_error(path, format!("{key}: missing"));
    let head = header_of(&mut archive, path, first)?.ok_or_else(|| missing(first))?;
    let count = |h: &Header| h.shape.first().copied().unwrap_or(0) as usize;
    let test_count = match second {
        Some(key) => count(&header_of(&mut archive, path, key)?.ok_or_else(|| missing(key))?),
        None => 0,
    };
    Ok(ArrayScan {
        path: path.to_path_buf(),
        images_shape: head.shape.clone(),
        dtype: head.dtype_name(),
        split_given: matches!(layout, Layout::Given { .. }),
        train_count: count(&head),
        test_count,
        classes: labels.classes,
        class_names: labels.class_names,
        keys,
    })
}

/// Reads the NumPy file at `path` (see the module documentation for the layouts) as a dataset
/// of images of `options.shape`. A split made here follows `options.test_fraction` and
/// `options.seed` exactly as for a folder; a given split keeps the file's order.
/// `skip_unreadable`, `cache_dir` and `progress` do not apply (the file is read as it is).
pub fn load_arrays(path: &Path, options: &CustomOptions) -> Result<CustomData, DataError> {
    let [c, h, w] = options.shape;
    if c == 0 || h == 0 || w == 0 {
        return Err(DataError::InvalidArgument(format!(
            "{}: image shape {c}×{h}×{w} has a zero dimension",
            path.display()
        )));
    }
    check_test_fraction(options.test_fraction)?;
    let shape = options.shape;
    let image_len: usize = shape.iter().product();
    let mut archive = Archive::open(path)?;
    let keys = archive.keys();
    let layout = layout_of(path, &keys, self_kind(&archive))?;
    let labels = read_all_labels(&mut archive, path, layout)?;
    let classes = labels.classes;
    let missing = |key: &str| array_error(path, format!("{key}: missing"));
    let npy = self_kind(&archive);
    let keyed = |key: &str, m: String| {
        if npy {
            array_error(path, m)
        } else {
            array_error(path, format!("{key}: {m}"))
        }
    };
    let set_error = |e: DataError| array_error(path, e.to_string());
    let classes_of_set = classes.max(1);

    // The number of images of each images array, from its header, and that it fits the labels.
    let mut count = |key: &str, labels: &Option<Vec<u8>>| -> Result<usize, DataError> {
        let header = header_of(&mut archive, path, key)?.ok_or_else(|| missing(key))?;
        let n = image_count(&header, shape).map_err(|m| keyed(key, m))?;
        if let Some(labels) = labels
            && labels.len() != n
        {
            return Err(array_error(
                path,
                format!(
                    "{key} holds {n} images but its labels hold {} labels",
                    labels.len()
                ),
            ));
        }
        Ok(n)
    };

    let mut notes = Vec::new();
    let (split, train, test) = match layout {
        Layout::Given { .. } => {
            let n_train = count("x_train", &labels.train)?;
            let n_test = count("x_test", &labels.test)?;
            let mut sets = Vec::new();
            for (key, n, l) in [
                ("x_train", n_train, &labels.train),
                ("x_test", n_test, &labels.test),
            ] {
                let mut pixels = vec![0u8; n * image_len];
                let mut slots: Vec<Option<&mut [u8]>> =
                    pixels.chunks_mut(image_len).map(Some).collect();
                let header = archive
                    .with(path, key, |r, size| read_images(r, size, shape, &mut slots))?
                    .ok_or_else(|| missing(key))?;
                drop(slots);
                notes.push(format!(
                    "{key} {} {}",
                    header.shape_text(),
                    header.dtype_name()
                ));
                let set = match l {
                    Some(labels) => {
                        ImageSet::labelled(pixels, labels.clone(), shape, classes_of_set)
                    }
                    None => ImageSet::unlabelled(pixels, shape),
                }
                .map_err(set_error)?;
                sets.push(set);
            }
            let test = sets.pop();
            let train = sets.pop();
            match (train, test) {
                (Some(train), Some(test)) => (Split::Given, train, test),
                _ => return Err(missing("x_train")),
            }
        }
        Layout::Pooled { .. } => {
            let n = count("images", &labels.train)?;
            let all_labels = labels.train.clone().unwrap_or_else(|| vec![0; n]);
            let Plan {
                train: train_order,
                test: test_order,
            } = seeded_plan(&all_labels, classes, options.test_fraction, options.seed);
            let mut train_pixels = vec![0u8; train_order.len() * image_len];
            let mut test_pixels = vec![0u8; test_order.len() * image_len];
            let mut slots: Vec<Option<&mut [u8]>> = (0..n).map(|_| None).collect();
            for (slot, &i) in train_pixels.chunks_mut(image_len).zip(&train_order) {
                slots[i] = Some(slot);
            }
            for (slot, &i) in test_pixels.chunks_mut(image_len).zip(&test_order) {
                slots[i] = Some(slot);
            }
            let header = archive
                .with(path, "images", |r, size| {
                    read_images(r, size, shape, &mut slots)
                })?
                .ok_or_else(|| missing("images"))?;
            drop(slots);
            let key = if npy { "array" } else { "images" };
            notes.push(format!(
                "{key} {} {}",
                header.shape_text(),
                header.dtype_name()
            ));
            let make = |pixels: Vec<u8>, order: &[usize]| {
                if labels.train.is_none() {
                    ImageSet::unlabelled(pixels, shape)
                } else {
                    let l = order.iter().map(|&i| all_labels[i]).collect();
                    ImageSet::labelled(pixels, l, shape, classes_of_set)
                }
                .map_err(set_error)
            };
            let train = make(train_pixels, &train_order)?;
            let test = make(test_pixels, &test_order)?;
            let split = Split::Seeded {
                test_fraction: options.test_fraction,
                seed: options.seed,
            };
            (split, train, test)
        }
    };
    for (set, name) in [(&train, "training"), (&test, "test")] {
        if set.is_empty() {
            return Err(array_error(
                path,
                match split {
                    Split::Given => format!("holds no {name} image"),
                    Split::Seeded {
                        test_fraction,
                        seed,
                    } => format!(
                        "a test share of {test_fraction} (seed {seed}) of {} images leaves no {name} image; add images or change the test fraction",
                        train.len() + test.len()
                    ),
                },
            ));
        }
    }

    let floats = notes.iter().any(|n| n.contains("float"));
    let classes_text = match (classes, labels.class_names.is_empty()) {
        (0, _) => "unlabelled".to_string(),
        (k, true) => format!("{k} classes"),
        (k, false) => {
            let mut names = labels.class_names[..k.min(6)].join(", ");
            if k > 6 {
                names.push_str(", ...");
            }
            format!("{k} classes ({names})")
        }
    };
    let split_text = match split {
        Split::Given => "split given".to_string(),
        Split::Seeded {
            test_fraction,
            seed,
        } => format!("split here: test share {test_fraction}, seed {seed}, stratified"),
    };
    let source = format!(
        "arrays {}: {}, {classes_text}, {} train / {} test ({split_text}){}",
        path.display(),
        notes.join(", "),
        train.len(),
        test.len(),
        if floats {
            "; floats in [0, 1] stored as bytes round(x·255)"
        } else {
            ""
        }
    );
    Ok(CustomData {
        train,
        test,
        class_names: labels.class_names,
        train_files: Vec::new(),
        test_files: Vec::new(),
        skipped: Vec::new(),
        split,
        from_cache: false,
        cache_file: None,
        source,
    })
}
