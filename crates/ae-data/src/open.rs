//! Reading any [`DatasetId`]: a built-in dataset through [`load_dataset`], a folder of pictures
//! or a NumPy file through their readers, brought to the shape the recipe asks for.

use crate::custom::{CustomOptions, Split};
use crate::dataset_id::DatasetId;
use crate::error::DataError;
use crate::folder::load_image_folder;
use crate::locate::{CustomSource, DataLocator, DataSource, Dataset, load_dataset};
use crate::numpy::load_arrays;

/// What a run wants of a user's dataset (ignored for the built-in ones, which have their own).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DataRequest {
    /// `[channels, height, width]` the pictures are brought to (arrays must have it).
    pub shape: [usize; 3],
    /// The share of each class held out for testing when the data has no split of its own.
    pub test_fraction: f64,
    /// The seed of that split.
    pub seed: u64,
}

/// Finds and reads `id`: a built-in dataset as [`load_dataset`] does, a folder or NumPy file
/// brought to `request.shape` (a folder's decoded pictures are cached in the locator's cache
/// root, `folders/`).
pub fn open_dataset(
    id: &DatasetId,
    locator: &DataLocator,
    request: &DataRequest,
) -> Result<Dataset, DataError> {
    match id {
        DatasetId::Named(name) => load_dataset(*name, locator),
        DatasetId::Folder(path) | DatasetId::Arrays(path) => {
            let options = CustomOptions {
                shape: request.shape,
                test_fraction: request.test_fraction,
                seed: request.seed,
                skip_unreadable: locator.skip_unreadable,
                cache_dir: locator.cache_root().map(|root| root.join("folders")),
                progress: locator.show_progress,
            };
            let data = match id {
                DatasetId::Folder(_) => load_image_folder(path, &options)?,
                _ => load_arrays(path, &options)?,
            };
            // Labels without names (a NumPy file without `class_names`) are named by number.
            let class_names = if data.class_names.is_empty() {
                (0..data.train.classes()).map(|c| c.to_string()).collect()
            } else {
                data.class_names
            };
            Ok(Dataset {
                id: id.clone(),
                train: data.train,
                test: data.test,
                class_names,
                source: DataSource {
                    dir: path.clone(),
                    files: Vec::new(),
                },
                custom: Some(CustomSource {
                    seeded_split: match data.split {
                        Split::Given => None,
                        Split::Seeded {
                            test_fraction,
                            seed,
                        } => Some((test_fraction, seed)),
                    },
                    skipped: data.skipped,
                    from_cache: data.from_cache,
                    description: data.source,
                }),
            })
        }
    }
}
