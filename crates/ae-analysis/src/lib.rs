//! # ae-analysis
//!
//! Looking inside a trained model, beside the training loop: the codes' 2-D map ([`embed`]:
//! [`pca`] or [`tsne`], with a [`knn`] accuracy of the codes), accuracy or reconstruction error
//! against input noise ([`robustness`]), and the model on the user's own pictures ([`predict`],
//! [`reconstruct`]), and what a variational autoencoder generates ([`sample`], [`interpolate`],
//! [`traverse`], [`manifold`]); the numerics under them.
//!
//! Everything starts from an `ae_train::TrainedModel`: a run folder's checkpoint loaded for
//! inference. Runs keep `checkpoints/autoencoder.json`, the autoencoder a classifier head was
//! put on, so the unsupervised code can be looked at after the decoder is gone. Pictures are
//! drawn with `ae-report`, which also refreshes the run's `report.html`.
//!
//! Depends on `ae-train`, `ae-report` and `ae-data`; nothing depends on it but the binary. No
//! `unsafe`.
#![forbid(unsafe_code)]

mod embed;
mod generate;
mod images;
mod knn;
mod pca;
mod predict;
mod robustness;
mod tsne;

pub use ae_report::plots::{ROBUSTNESS_SIZE, SCATTER_SIZE};
pub use ae_train::{AnalysisData, DataChoice, ModelChoice, TrainedModel};
pub use embed::{EmbedOptions, EmbedReport, Projection, TSNE_MAX_POINTS, embed};
pub use generate::{
    Endpoint, GenerateTarget, GeneratedModel, InterpolateOptions, InterpolateReport,
    MANIFOLD_QUANTILES, MAX_GRID, MAX_SAMPLES, MAX_STEPS, MAX_TRAVERSE_DIMS, ManifoldOptions,
    ManifoldReport, SampleOptions, SampleReport, TraverseOptions, TraverseReport, interpolate,
    linspace, manifold, normal_quantile, parse_dims, sample, sample_grid_size, traverse,
};
pub use images::{PictureOptions, image_input, read_image, to_dataset_pixels, write_png};
pub use knn::{knn_accuracy, knn_predict, nearest_neighbours, squared_distance};
pub use pca::{Pca, pca, symmetric_eigen};
pub use predict::{
    ClassScore, Prediction, ReconstructionFile, inputs, predict, reconstruct, top_classes,
};
pub use robustness::{
    NoiseKind, RobustnessCurve, RobustnessOptions, RobustnessReport, parse_levels, robustness,
};
pub use tsne::{TsneConfig, tsne};
