//! Weights in and out of PyTorch for whole pipelines: export a run folder's checkpoint with
//! the notebook's key names ([`export`]), evaluate a PyTorch weights file on a recipe's stage
//! ([`evaluate_weights`]), and start a run's first stage from one (`RunOptions::init`).
//!
//! The per-model key mapping lives with the models, in `ae_models::pytorch`; a whole model of
//! any kind is loaded and saved by `crate::model`.

mod evaluate_weights;
mod export;
mod init;

pub use evaluate_weights::{WeightsReport, evaluate_weights};
pub use export::{ExportSummary, export};
pub(crate) use init::{INIT_MODEL_FILE, initial_net};
