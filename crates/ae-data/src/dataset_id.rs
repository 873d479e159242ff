//! What a recipe's `dataset = "..."` (or `--dataset`) names: one of the built-in datasets, a
//! folder of pictures laid out as torchvision's `ImageFolder`, or a NumPy file.
//!
//! A known name (`mnist`, `fashion-mnist`, `cifar10`, `mnist-mini`) is the built-in dataset; a
//! text ending in `.npz` or `.npy` is a NumPy file; anything else is a folder of pictures. In
//! recipes and run folders it is written as that text (a path as given; runs record it
//! absolute so that `ae eval RUN` works from any folder).

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::catalog::DatasetName;
use crate::error::DataError;

/// A dataset: built in, a folder of pictures or a NumPy file.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DatasetId {
    /// A dataset known by name.
    Named(DatasetName),
    /// A folder of PNG / JPEG pictures: `<class>/<picture>`, `train/<class>/…` + `test/<class>/…`,
    /// or pictures directly in it (unlabelled).
    Folder(PathBuf),
    /// A `.npz` (`x_train`, `y_train`, `x_test`, `y_test`, or `images` [+ `labels`]) or a `.npy`
    /// of images (unlabelled).
    Arrays(PathBuf),
}

impl DatasetId {
    /// The built-in dataset, if this is one.
    pub fn named(&self) -> Option<DatasetName> {
        match self {
            DatasetId::Named(name) => Some(*name),
            _ => None,
        }
    }

    /// The folder or file of a user's dataset, `None` for a built-in one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            DatasetId::Named(_) => None,
            DatasetId::Folder(path) | DatasetId::Arrays(path) => Some(path),
        }
    }

    /// True for a folder of pictures or a NumPy file.
    pub fn is_custom(&self) -> bool {
        self.path().is_some()
    }

    /// The same dataset with its path made absolute (unchanged when it cannot be resolved:
    /// the error then comes when it is read, naming the path as given).
    pub fn absolute(&self) -> DatasetId {
        let resolve = |path: &Path| std::fs::canonicalize(path).unwrap_or_else(|_| path.into());
        match self {
            DatasetId::Named(name) => DatasetId::Named(*name),
            DatasetId::Folder(path) => DatasetId::Folder(resolve(path)),
            DatasetId::Arrays(path) => DatasetId::Arrays(resolve(path)),
        }
    }

    /// The text this dataset is written as in recipes.
    pub fn as_text(&self) -> String {
        self.to_string()
    }
}

impl From<DatasetName> for DatasetId {
    fn from(name: DatasetName) -> Self {
        DatasetId::Named(name)
    }
}

impl fmt::Display for DatasetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatasetId::Named(name) => name.fmt(f),
            DatasetId::Folder(path) | DatasetId::Arrays(path) => path.display().fmt(f),
        }
    }
}

impl FromStr for DatasetId {
    type Err = DataError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if let Ok(name) = text.parse::<DatasetName>() {
            return Ok(DatasetId::Named(name));
        }
        if text.trim().is_empty() {
            return Err(DataError::UnknownDataset { name: text.into() });
        }
        let lower = text.to_ascii_lowercase();
        if lower.ends_with(".npz") || lower.ends_with(".npy") {
            return Ok(DatasetId::Arrays(PathBuf::from(text)));
        }
        let path = PathBuf::from(text);
        // A bare word that is no folder here is more likely a misspelt name than a path.
        let looks_like_path = text.contains(['/', '\\', '.']) || path.exists();
        if !looks_like_path {
            return Err(DataError::UnknownDataset { name: text.into() });
        }
        Ok(DatasetId::Folder(path))
    }
}

impl Serialize for DatasetId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for DatasetId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_paths_and_arrays_are_told_apart() {
        assert_eq!(
            "Fashion_MNIST".parse::<DatasetId>().unwrap(),
            DatasetId::Named(DatasetName::FashionMnist)
        );
        assert_eq!(
            "data/digits.NPZ".parse::<DatasetId>().unwrap(),
            DatasetId::Arrays("data/digits.NPZ".into())
        );
        assert_eq!(
            "./my-pictures".parse::<DatasetId>().unwrap(),
            DatasetId::Folder("./my-pictures".into())
        );
        let e = "mnsit".parse::<DatasetId>().unwrap_err().to_string();
        assert!(e.contains("unknown dataset 'mnsit'"), "{e}");
        assert!(e.contains("folder"), "{e}");
    }

    #[test]
    fn written_as_its_text() {
        assert_eq!(
            DatasetId::Folder("/data/pictures".into()).to_string(),
            "/data/pictures"
        );
        assert_eq!(
            DatasetId::Named(DatasetName::Cifar10).to_string(),
            "cifar10"
        );
    }
}
