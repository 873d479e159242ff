//! Finding a dataset on disk (or downloading it), checking its files and reading it.
//!
//! Search order: an explicit data folder (exclusive: nothing else is tried), then
//! `$AE_DATA_DIR/<name>`, then the user cache `~/.cache/ae/<name>` (or `$XDG_CACHE_HOME/ae/<name>`),
//! then known system folders (Debian's `dataset-fashion-mnist` installs in
//! `/usr/share/datasets/fashion-mnist`). The bundled `mnist-mini` is also found in the
//! repository's `assets/` and, failing that, in a copy embedded in the library.
//! When nothing is found and downloading is allowed, the files are downloaded into the cache,
//! their digests checked before use.

use std::path::{Path, PathBuf};

use crate::catalog::{CIFAR_ARCHIVE, DatasetName, FileSpec, Format, Role};
use crate::dataset_id::DatasetId;
use crate::digest::{Check, check, sha256_hex};
use crate::download::{fetch, write_atomic};
use crate::error::DataError;
use crate::idx::{decode_maybe_gz, parse_images, parse_labels};
use crate::images::ImageSet;

/// Where to look for data and what to do when it is missing.
#[derive(Debug, Clone)]
pub struct DataLocator {
    /// An explicit folder holding the dataset's files (or a `<name>` subfolder of it).
    /// When set, no other place is searched.
    pub data_dir: Option<PathBuf>,
    /// Download missing datasets from their mirrors.
    pub allow_download: bool,
    /// Use files whose digest matches none of the known ones (reported as unverified).
    pub accept_unverified: bool,
    /// A base URL used instead of the canonical mirrors (a private mirror; tests).
    pub mirror: Option<String>,
    /// The cache folder instead of `~/.cache/ae` (decoded picture folders are kept in its
    /// `folders/`).
    pub cache_dir: Option<PathBuf>,
    /// Leave out pictures that cannot be decoded (counted, listed, reported) instead of
    /// stopping at the first.
    pub skip_unreadable: bool,
    /// Show a progress bar while a folder of pictures is decoded.
    pub show_progress: bool,
}

impl Default for DataLocator {
    fn default() -> Self {
        Self {
            data_dir: None,
            allow_download: true,
            accept_unverified: false,
            mirror: None,
            cache_dir: None,
            skip_unreadable: false,
            show_progress: false,
        }
    }
}

/// A dataset read into memory.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub id: DatasetId,
    pub train: ImageSet,
    pub test: ImageSet,
    /// One name per class (empty for an unlabelled dataset).
    pub class_names: Vec<String>,
    pub source: DataSource,
    /// For a user's dataset: how its split was made, what was skipped, whether it came from
    /// the decoded cache.
    pub custom: Option<CustomSource>,
}

/// How a folder of pictures or a NumPy file was read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CustomSource {
    /// `None` when the data gave its own train / test split; else the test share and seed of
    /// the split made here.
    pub seeded_split: Option<(f64, u64)>,
    /// Files left out (`--skip-unreadable`), each with why.
    pub skipped: Vec<(PathBuf, String)>,
    /// True when the decoded pictures came from the cache.
    pub from_cache: bool,
    /// One line on what was read.
    pub description: String,
}

/// Where a dataset was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataSource {
    /// The folder (or `<embedded>` for the copy built into the library).
    pub dir: PathBuf,
    pub files: Vec<DataFile>,
}

/// One file read, with its SHA-256 and whether a known digest matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataFile {
    pub name: String,
    pub sha256: String,
    pub verified: bool,
}

/// Where a dataset was searched and what was found there, for `ae datasets`.
#[derive(Debug, Clone)]
pub struct Probe {
    pub dir: PathBuf,
    /// The files of the dataset missing in `dir` (empty when complete).
    pub missing: Vec<String>,
}

impl DataLocator {
    /// The cache folder: `cache_dir`, else `$XDG_CACHE_HOME/ae`, else `~/.cache/ae`.
    pub fn cache_root(&self) -> Option<PathBuf> {
        if let Some(dir) = &self.cache_dir {
            return Some(dir.clone());
        }
        if let Some(x) = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
            return Some(PathBuf::from(x).join("ae"));
        }
        std::env::var_os("HOME")
            .filter(|v| !v.is_empty())
            .map(|h| PathBuf::from(h).join(".cache").join("ae"))
    }

    /// The folders searched for `name`, in order (without the embedded copy).
    pub fn search_dirs(&self, name: DatasetName) -> Vec<PathBuf> {
        let mut dirs = Vec::new();
        if let Some(dir) = &self.data_dir {
            dirs.push(dir.clone());
            dirs.push(dir.join(name.as_str()));
        } else {
            if let Some(env) = std::env::var_os("AE_DATA_DIR").filter(|v| !v.is_empty()) {
                dirs.push(PathBuf::from(env).join(name.as_str()));
            }
            if let Some(cache) = self.cache_root() {
                dirs.push(cache.join(name.as_str()));
            }
            dirs.extend(name.system_dirs().iter().map(PathBuf::from));
            if name == DatasetName::MnistMini {
                dirs.push(bundled_assets_dir());
            }
        }
        if name.format() == Format::Cifar {
            dirs = dirs
                .into_iter()
                .flat_map(|d| [d.join("cifar-10-batches-bin"), d])
                .collect();
        }
        dirs
    }

    /// What each search folder holds of `name`.
    pub fn probe(&self, name: DatasetName) -> Vec<Probe> {
        self.search_dirs(name)
            .into_iter()
            .map(|dir| {
                let missing = name
                    .files()
                    .iter()
                    .filter(|f| find_file(&dir, f).is_none())
                    .map(|f| f.name.to_string())
                    .collect();
                Probe { dir, missing }
            })
            .collect()
    }
}

/// The repository's `assets/mnist-mini` folder (as seen when this crate was compiled).
pub fn bundled_assets_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/mnist-mini")
}

/// Finds, checks and reads a dataset.
pub fn load_dataset(name: DatasetName, locator: &DataLocator) -> Result<Dataset, DataError> {
    let probes = locator.probe(name);
    if let Some(p) = probes.iter().find(|p| p.missing.is_empty()) {
        return read_from_dir(name, &p.dir, locator.accept_unverified);
    }
    if name == DatasetName::MnistMini && locator.data_dir.is_none() {
        return read_embedded_mini();
    }
    let mirrors: Vec<String> = match &locator.mirror {
        Some(m) => vec![m.clone()],
        None => name.mirrors().iter().map(|m| m.to_string()).collect(),
    };
    let cache = locator.cache_root();
    let mut download_error = None;
    if locator.allow_download
        && !mirrors.is_empty()
        && let Some(cache) = &cache
    {
        let dir = cache.join(name.as_str());
        match download(name, &mirrors, &dir, locator.accept_unverified) {
            Ok(()) => return read_from_dir(name, &dir, locator.accept_unverified),
            Err(e @ DataError::HashMismatch { .. }) => return Err(e),
            Err(e) => download_error = Some(e),
        }
    }
    Err(not_found(name, locator, &probes, download_error))
}

fn not_found(
    name: DatasetName,
    locator: &DataLocator,
    probes: &[Probe],
    download_error: Option<DataError>,
) -> DataError {
    let files: Vec<&str> = name.files().iter().map(|f| f.name).collect();
    let mut msg = format!("dataset '{name}' not found.");
    msg.push_str(&format!(
        "\n  it needs these files (gzipped or not): {}",
        files.join(", ")
    ));
    msg.push_str("\n  searched:");
    for p in probes {
        if p.missing.len() == files.len() {
            msg.push_str(&format!("\n    {} (none of them)", p.dir.display()));
        } else {
            msg.push_str(&format!(
                "\n    {} (missing {})",
                p.dir.display(),
                p.missing.join(", ")
            ));
        }
    }
    let target = match (&locator.data_dir, locator.cache_root()) {
        (Some(d), _) => d.clone(),
        (None, Some(c)) => c.join(name.as_str()),
        (None, None) => PathBuf::from(format!("<data dir>/{name}")),
    };
    msg.push_str(&format!(
        "\n  put the files in {} (or pass --data-dir DIR, or set AE_DATA_DIR so that $AE_DATA_DIR/{name} holds them)",
        target.display()
    ));
    msg.push_str(&format!("\n  {}", name.offline_hint()));
    match download_error {
        Some(e) => msg.push_str(&format!("\n  download failed: {e}")),
        None if !locator.allow_download => msg.push_str("\n  downloading is switched off"),
        None => {}
    }
    DataError::NotFound {
        dataset: name.to_string(),
        message: msg,
    }
}

/// The path of `spec` in `dir`, by its canonical name or without `.gz`.
fn find_file(dir: &Path, spec: &FileSpec) -> Option<PathBuf> {
    let exact = dir.join(spec.name);
    if exact.is_file() {
        return Some(exact);
    }
    let plain = dir.join(spec.name.trim_end_matches(".gz"));
    plain.is_file().then_some(plain)
}

/// A file's bytes as stored, with the name it was found under.
struct RawFile {
    path: PathBuf,
    bytes: Vec<u8>,
    spec: FileSpec,
}

fn verify(raw: &RawFile, accept_unverified: bool) -> Result<DataFile, DataError> {
    let sha256 = sha256_hex(&raw.bytes);
    // The published digests are of the gzipped files; an unpacked file cannot be checked.
    let stored_as_canonical = raw
        .path
        .file_name()
        .is_some_and(|n| n.to_string_lossy() == raw.spec.name);
    let digests = if stored_as_canonical {
        raw.spec.digests
    } else {
        &[]
    };
    let verified = match check(&raw.bytes, &sha256, digests) {
        Check::Verified => true,
        Check::Unknown => false,
        Check::Mismatch(algorithm, found, expected) => {
            if !accept_unverified {
                return Err(DataError::HashMismatch {
                    file: raw.path.clone(),
                    algorithm,
                    found,
                    expected,
                });
            }
            false
        }
    };
    Ok(DataFile {
        name: raw.path.file_name().map_or_else(
            || raw.spec.name.to_string(),
            |n| n.to_string_lossy().into_owned(),
        ),
        sha256,
        verified,
    })
}

fn read_from_dir(
    name: DatasetName,
    dir: &Path,
    accept_unverified: bool,
) -> Result<Dataset, DataError> {
    let mut raws = Vec::new();
    for spec in name.files() {
        let path = find_file(dir, spec).ok_or_else(|| DataError::NotFound {
            dataset: name.to_string(),
            message: format!("{}: missing {}", dir.display(), spec.name),
        })?;
        let bytes = std::fs::read(&path).map_err(|e| DataError::io(&path, e))?;
        raws.push(RawFile {
            path,
            bytes,
            spec: *spec,
        });
    }
    assemble(name, dir.to_path_buf(), raws, accept_unverified)
}

fn read_embedded_mini() -> Result<Dataset, DataError> {
    let dir = PathBuf::from("<embedded mnist-mini>");
    let raws = DatasetName::MnistMini
        .files()
        .iter()
        .zip(EMBEDDED_MINI)
        .map(|(spec, bytes)| RawFile {
            path: dir.join(spec.name),
            bytes: bytes.to_vec(),
            spec: *spec,
        })
        .collect();
    assemble(DatasetName::MnistMini, dir, raws, false)
}

/// The bundled subset, built into the library so it is there even without the repository.
const EMBEDDED_MINI: [&[u8]; 4] = [
    include_bytes!("../../../assets/mnist-mini/train-images-idx3-ubyte.gz"),
    include_bytes!("../../../assets/mnist-mini/train-labels-idx1-ubyte.gz"),
    include_bytes!("../../../assets/mnist-mini/t10k-images-idx3-ubyte.gz"),
    include_bytes!("../../../assets/mnist-mini/t10k-labels-idx1-ubyte.gz"),
];

fn assemble(
    name: DatasetName,
    dir: PathBuf,
    raws: Vec<RawFile>,
    accept_unverified: bool,
) -> Result<Dataset, DataError> {
    let files = raws
        .iter()
        .map(|r| verify(r, accept_unverified))
        .collect::<Result<Vec<_>, _>>()?;
    let (train, test) = match name.format() {
        Format::Idx => {
            let get = |role: Role| {
                raws.iter()
                    .find(|r| r.spec.role == role)
                    .expect("the catalog lists one file per IDX role")
            };
            (
                idx_split(name, get(Role::TrainImages), get(Role::TrainLabels))?,
                idx_split(name, get(Role::TestImages), get(Role::TestLabels))?,
            )
        }
        Format::Cifar => {
            let mut train = (Vec::new(), Vec::new());
            let mut test = (Vec::new(), Vec::new());
            for r in &raws {
                let (pixels, labels) = if r.spec.role == Role::TestBatch {
                    &mut test
                } else {
                    &mut train
                };
                crate::cifar::parse_batch(&r.path, &r.bytes, pixels, labels)?;
            }
            (
                ImageSet::new(train.0, train.1, [3, 32, 32])?,
                ImageSet::new(test.0, test.1, [3, 32, 32])?,
            )
        }
    };
    Ok(Dataset {
        id: DatasetId::Named(name),
        train,
        test,
        class_names: name.class_names().iter().map(|n| n.to_string()).collect(),
        source: DataSource { dir, files },
        custom: None,
    })
}

fn idx_split(name: DatasetName, images: &RawFile, labels: &RawFile) -> Result<ImageSet, DataError> {
    let image_bytes = decode_maybe_gz(&images.path, images.bytes.clone())?;
    let label_bytes = decode_maybe_gz(&labels.path, labels.bytes.clone())?;
    let parsed = parse_images(&images.path, &image_bytes)?;
    let label_vec = parse_labels(&labels.path, &label_bytes)?;
    let [_, h, w] = name.image_shape();
    if parsed.rows != h || parsed.cols != w {
        return Err(DataError::BadHeader {
            file: images.path.clone(),
            detail: format!(
                "images are {}x{}, expected {h}x{w} for {name}",
                parsed.rows, parsed.cols
            ),
        });
    }
    if parsed.count != label_vec.len() {
        return Err(DataError::CountMismatch {
            images_file: images.path.clone(),
            labels_file: labels.path.clone(),
            images: parsed.count,
            labels: label_vec.len(),
        });
    }
    ImageSet::new(parsed.pixels, label_vec, [1, h, w])
}

/// Downloads every file of `name` into `dir`, checking digests before anything is written.
fn download(
    name: DatasetName,
    mirrors: &[String],
    dir: &Path,
    accept_unverified: bool,
) -> Result<(), DataError> {
    let with_slash = |m: &String| {
        if m.ends_with('/') {
            m.clone()
        } else {
            format!("{m}/")
        }
    };
    let fetch_any = |file: &str| -> Result<Vec<u8>, DataError> {
        let mut last = None;
        for m in mirrors {
            match fetch(&format!("{}{file}", with_slash(m))) {
                Ok(bytes) => return Ok(bytes),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| DataError::Download {
            url: file.to_string(),
            detail: "no mirror known".into(),
        }))
    };
    match name.format() {
        Format::Idx => {
            // Fetch and check all files first so a failure leaves nothing half-done.
            let mut fetched = Vec::new();
            for spec in name.files() {
                let bytes = fetch_any(spec.name)?;
                let raw = RawFile {
                    path: dir.join(spec.name),
                    bytes,
                    spec: *spec,
                };
                verify(&raw, accept_unverified)?;
                fetched.push(raw);
            }
            for raw in fetched {
                write_atomic(&raw.path, &raw.bytes)?;
            }
        }
        Format::Cifar => {
            let bytes = fetch_any(CIFAR_ARCHIVE.name)?;
            let raw = RawFile {
                path: dir.join(CIFAR_ARCHIVE.name),
                bytes,
                spec: CIFAR_ARCHIVE,
            };
            verify(&raw, accept_unverified)?;
            unpack_cifar(&raw.path, &raw.bytes, dir)?;
        }
    }
    Ok(())
}

/// Unpacks the `.bin` batch files of a CIFAR-10 archive into `dir`.
fn unpack_cifar(archive_path: &Path, bytes: &[u8], dir: &Path) -> Result<(), DataError> {
    let tar_bytes = decode_maybe_gz(archive_path, bytes.to_vec())?;
    let mut archive = tar::Archive::new(tar_bytes.as_slice());
    let entries = archive
        .entries()
        .map_err(|e| DataError::io(archive_path, e))?;
    let mut found = Vec::new();
    for entry in entries {
        let mut entry = entry.map_err(|e| DataError::io(archive_path, e))?;
        let path = entry
            .path()
            .map_err(|e| DataError::io(archive_path, e))?
            .into_owned();
        let Some(file_name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
            continue;
        };
        if DatasetName::Cifar10
            .files()
            .iter()
            .any(|f| f.name == file_name)
        {
            let mut content = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut content)
                .map_err(|e| DataError::io(archive_path, e))?;
            write_atomic(&dir.join(&file_name), &content)?;
            found.push(file_name);
        }
    }
    let missing: Vec<&str> = DatasetName::Cifar10
        .files()
        .iter()
        .map(|f| f.name)
        .filter(|n| !found.iter().any(|f| f == n))
        .collect();
    if !missing.is_empty() {
        return Err(DataError::BadHeader {
            file: archive_path.to_path_buf(),
            detail: format!("archive lacks {}", missing.join(", ")),
        });
    }
    Ok(())
}
