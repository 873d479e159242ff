//! # ae-report
//!
//! What a person sees of a run, drawn from what `ae-train` reports: the terminal progress
//! ([`ProgressPrinter`]), the weight and reconstruction grids of every stage
//! ([`StagePictures`]), the training plots and the self-contained `report.html`
//! ([`ReportWriter`], [`refresh_report`]), each an `ae_train::Observer` that the binary plugs
//! into a run; and the drawing under them ([`grids`], [`plots`]), which `ae-analysis` uses for
//! its pictures too.
//!
//! ```no_run
//! use ae_train::{Recipe, RunOptions, train};
//! use burn::tensor::Device;
//!
//! let recipe = Recipe::from_file("models/stacked-mnist.toml".as_ref())?;
//! let mut options = RunOptions::new(Device::flex());
//! options.observers = ae_report::observers(true, ae_report::grids::GridScale::Grid);
//! let summary = train(&recipe, &options)?;
//! println!("report: {}", summary.report.display());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Depends on `ae-train` (the events, the run folder, the tiles) and `ae-data`; not on
//! `ae-analysis` or the binary. No `unsafe`.
#![forbid(unsafe_code)]

mod generative;
pub mod grids;
pub mod plots;
mod progress;
mod report;
mod stage_pictures;
pub mod tensorboard;

use std::sync::Arc;

use ae_train::Observers;

pub use generative::{EpochSamples, RECONSTRUCTED, SAMPLES, reconstruction_path, samples_path};
pub use progress::{ProgressPrinter, epoch_line};
pub use report::{ReportWriter, refresh_report};
pub use stage_pictures::{LayerPictures, NEAR_ZERO, Snapshot, StagePictures, WeightPictures};
pub use tensorboard::TensorBoard;

use crate::grids::GridScale;

/// The observers of a run as `ae train` has them: the grids (weights scaled as `scale` says)
/// and the report, and the progress on stderr when `progress`.
pub fn observers(progress: bool, scale: GridScale) -> Observers {
    let mut observers = Observers::none()
        .with(Arc::new(StagePictures::new(scale)))
        .with(Arc::new(EpochSamples))
        .with(Arc::new(ReportWriter));
    if progress {
        observers.push(Arc::new(ProgressPrinter::new()));
    }
    observers
}
