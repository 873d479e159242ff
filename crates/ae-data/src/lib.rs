//! # ae-data
//!
//! Datasets for the `ae` autoencoder toolkit: readers for the IDX format (MNIST, Fashion-MNIST)
//! and CIFAR-10's binary batches that check every byte against the header; locating datasets on
//! disk (or downloading them, digests checked); and batching into Burn tensors with input noise
//! for denoising, all driven by one seed.
//!
//! ```no_run
//! use std::sync::Arc;
//! use ae_data::{BatchLoader, DataLocator, DatasetName, Noise, Prepared, Resize, load_dataset};
//! use burn::tensor::Device;
//!
//! let data = load_dataset(DatasetName::MnistMini, &DataLocator::default())?;
//! let train = Arc::new(Prepared::new(&data.train, Resize::Keep));
//! let loader = BatchLoader::new(train, 100)
//!     .shuffle(true)
//!     .noise(Noise::Gaussian { mean: 0.1, std: 0.2 });
//! let device = Device::flex();
//! for batch in loader.iter(ae_data::derive_seed(0, &[0, 1]), &device) {
//!     assert_eq!(batch.input.dims(), [100, 1, 28, 28]);
//! }
//! # Ok::<(), ae_data::DataError>(())
//! ```
#![forbid(unsafe_code)]

mod batch;
mod cache;
pub mod catalog;
pub mod cifar;
mod custom;
mod dataset_id;
mod digest;
mod download;
mod error;
mod export;
pub mod folder;
pub mod idx;
mod images;
mod locate;
mod noise;
pub mod numpy;
mod open;
pub mod picture;
mod prepare;
mod seed;

pub use batch::{Batch, BatchLoader, ImageBatcher, ImageItem};
pub use catalog::DatasetName;
pub use custom::{CustomData, CustomOptions, Split};
pub use dataset_id::DatasetId;
pub use digest::{md5_hex, sha256_hex};
pub use download::write_atomic;
pub use error::DataError;
pub use export::{write_image_folder, write_npz};
pub use folder::{FolderScan, load_image_folder, scan_image_folder};
pub use images::{ImageSet, Images, MAX_CLASSES, NUM_CLASSES, Pixel, Prepared};
pub use locate::{
    CustomSource, DataFile, DataLocator, DataSource, Dataset, Probe, bundled_assets_dir,
    load_dataset,
};
pub use noise::Noise;
pub use numpy::{ArrayScan, load_arrays, scan_arrays};
pub use open::{DataRequest, open_dataset};
pub use picture::{PictureOptions, read_image, to_dataset_pixels};
pub use prepare::{Resize, resize_u8};
pub use seed::derive_seed;
