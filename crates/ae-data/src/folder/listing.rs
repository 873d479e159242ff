//! Listing a folder of pictures: which files are pictures, their classes (the sub-folder names,
//! sorted) and split (`train/`, `test/` or none), in file order, with sizes and modification
//! times (what the cache is keyed by); nothing is decoded here.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use super::{FolderScan, folder_error};
use crate::error::DataError;
use crate::images::MAX_CLASSES;

/// How deep pictures may lie under a class folder (a guard against link loops).
const MAX_DEPTH: usize = 32;

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
    pub(super) fn scan(&self) -> FolderScan {
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
