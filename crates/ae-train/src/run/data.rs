//! A run's data: the recipe's dataset loaded, limited and resized, and what the manifest
//! records about it.

use std::sync::Arc;

use ae_data::{DataLocator, DataRequest, Prepared, open_dataset};

use crate::error::TrainError;
use crate::recipe::Recipe;
use crate::run_folder::{DataFileInfo, DatasetInfo, SeededSplit, SkippedFile};

/// The data of a run: prepared splits and what the manifest records about them.
pub struct RunData {
    pub train: Arc<Prepared>,
    pub test: Arc<Prepared>,
    pub info: DatasetInfo,
}

/// Loads the recipe's dataset, applies the sample limits and the resize.
pub fn load_data(recipe: &Recipe, locator: &DataLocator) -> Result<RunData, TrainError> {
    let request = DataRequest {
        shape: recipe.stored_shape()?,
        test_fraction: recipe.test_fraction(),
        seed: recipe.seed,
    };
    let dataset = open_dataset(&recipe.dataset, locator, &request)?;
    if let Some(expected) = recipe.classes
        && expected != dataset.train.classes()
    {
        return Err(TrainError::DatasetMismatch {
            dataset: recipe.dataset.to_string(),
            message: format!(
                "has {} classes now, but the run was started with {expected}",
                dataset.train.classes()
            ),
        });
    }
    let custom = dataset.custom.clone().unwrap_or_default();
    let train_available = dataset.train.len();
    let test_available = dataset.test.len();
    let train_set = match recipe.limit {
        Some(n) => dataset.train.take(n)?,
        None => dataset.train,
    };
    let test_set = match recipe.test_limit {
        Some(n) => dataset.test.take(n)?,
        None => dataset.test,
    };
    let train = Arc::new(Prepared::new(&train_set, recipe.resize));
    let test = Arc::new(Prepared::new(&test_set, recipe.resize));
    let info = DatasetInfo {
        name: recipe.dataset.absolute(),
        class_names: dataset.class_names.clone(),
        seeded_split: custom
            .seeded_split
            .map(|(test_fraction, seed)| SeededSplit {
                test_fraction,
                seed,
            }),
        skipped: custom
            .skipped
            .iter()
            .map(|(file, reason)| SkippedFile {
                file: file.clone(),
                reason: reason.clone(),
            })
            .collect(),
        from_cache: custom.from_cache,
        dir: std::fs::canonicalize(&dataset.source.dir).unwrap_or(dataset.source.dir.clone()),
        files: dataset
            .source
            .files
            .iter()
            .map(|f| DataFileInfo {
                name: f.name.clone(),
                sha256: f.sha256.clone(),
                verified: f.verified,
            })
            .collect(),
        train_samples: train.len(),
        train_available,
        test_samples: test.len(),
        test_available,
        image_shape: train_set.image_shape(),
        input_shape: train.image_shape(),
    };
    if train.is_empty() || test.is_empty() {
        return Err(TrainError::DatasetMismatch {
            dataset: recipe.dataset.to_string(),
            message: "has no training or no test image".into(),
        });
    }
    Ok(RunData { train, test, info })
}
