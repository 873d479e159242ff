//! Looking inside a trained model, beside the training loop: the codes' 2-D map ([`embed`]:
//! exact [`pca`] or [`tsne`], with a [`knn`] accuracy of the codes), accuracy or reconstruction
//! error against input noise ([`robustness`]), and the model on the user's own pictures
//! ([`predict`], [`reconstruct`]).
//!
//! Everything starts from a [`TrainedModel`]: a run folder's checkpoint loaded for inference.
//! Runs keep `checkpoints/autoencoder.json`, the autoencoder a classifier head was put on, so
//! the unsupervised code can be looked at after the decoder is gone.

mod eigen;
mod embed;
mod images;
mod knn;
mod model;
mod pca;
mod plots;
mod predict;
mod robustness;
mod tsne;

pub use eigen::symmetric_eigen;
pub use embed::{EmbedOptions, EmbedReport, Projection, TSNE_MAX_POINTS, embed};
pub use images::{PictureOptions, image_input, read_image, to_dataset_pixels, write_png};
pub use knn::{knn_accuracy, knn_predict, squared_distance};
pub use model::{AnalysisData, DataChoice, ModelChoice, TrainedModel};
pub use pca::{Pca, pca};
pub use plots::{ROBUSTNESS_SIZE, SCATTER_SIZE};
pub use predict::{
    ClassScore, Prediction, ReconstructionFile, inputs, predict, reconstruct, top_classes,
};
pub use robustness::{
    NoiseKind, RobustnessCurve, RobustnessOptions, RobustnessReport, parse_levels, robustness,
};
pub use tsne::{TsneConfig, tsne};
