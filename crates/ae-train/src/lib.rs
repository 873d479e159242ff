//! # ae-train
//!
//! Trains the models of `ae-models` on the datasets of `ae-data`: a [`Recipe`] (TOML) describes
//! the dataset, the model and a pipeline of stages; [`train`] runs it on the autodiff version of
//! a device and writes a run folder (resolved recipe, manifest, metrics CSV/JSON, checkpoints,
//! plots, weight and reconstruction grids, a self-contained `report.html`); [`resume`] continues
//! an interrupted run; [`evaluate`] measures a run's checkpoint; [`bench`] times each stage;
//! [`analysis`] looks inside a trained model (code maps, noise robustness, own pictures).
//!
//! ```no_run
//! use ae_train::{Recipe, RunOptions, train};
//! use burn::tensor::Device;
//!
//! let recipe = Recipe::from_file("models/stacked-mnist.toml".as_ref())?;
//! let summary = train(&recipe, &RunOptions::new(Device::flex()))?;
//! println!("run: {}", summary.run_dir.display());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Recipes
//!
//! The stacked-autoencoder notebook (greedy layer-wise; `strategy = "end-to-end"` builds the
//! whole 784-400-256-400-784 stack before the first stage instead):
//!
//! ```toml
//! name = "stacked-mnist"
//! dataset = "mnist"
//! batch_size = 100
//! strategy = "greedy"
//!
//! [model]
//! kind = "stacked"
//! hidden = [400]
//! activation = "tanh"
//! output_activation = "sigmoid"
//!
//! [[stages]]
//! name = "autoencoder-784-400-784"
//! kind = "reconstruction"
//! epochs = 10
//! optimizer = { kind = "sgd", lr = 0.98 }
//!
//! [[stages]]
//! name = "autoencoder-784-400-256-400-784"
//! kind = "reconstruction"
//! epochs = 10
//! grow = { hidden = 256, activation = "tanh" }
//! optimizer = { kind = "sgd", lr = 0.98 }
//!
//! [[stages]]
//! name = "classifier-256-10"
//! kind = "classification"
//! epochs = 10
//! head = { classes = 10, input = 256 }
//! optimizer = { kind = "sgd", lr = 0.1 }
//! ```
//!
//! Other keys: `seed`, `description`, `resize = "keep" | "pad32" | "bilinear32"`,
//! `eval_batch_size`, `limit`, `test_limit`; per stage `batch_size`,
//! `schedule = { kind = "step", every_epochs, gamma }` or `{ kind = "cosine", min_lr }`,
//! `noise = { kind = "gaussian", mean, std }` (or `masking` / `salt-pepper` with `fraction`),
//! `sparsity = { kind = "l1", rho }` or `{ kind = "kl", target, beta }`, `freeze_encoder`;
//! optimisers `{ kind = "sgd", lr, momentum, weight_decay }` and
//! `{ kind = "adam", lr, betas, eps, weight_decay }` (eps defaults to PyTorch's 1e-8). Models:
//! `kind = "stacked"`, `kind = "conv-autoencoder"` (`code_size`, `negative_slope`,
//! `upsample = "auto" | "burn" | "portable"`) and `kind = "lenet"`. Unknown keys are errors.

mod allocator;
pub mod analysis;
mod arch;
mod bench;
mod block_cache;
mod checkpoint;
mod error;
mod eval;
mod evaluate;
mod files;
mod grids;
mod interrupt;
mod metrics;
mod net;
mod objective;
mod optim;
mod plots;
mod progress;
mod recipe;
mod report;
mod run_folder;
mod threads;
mod train;
mod weights;

pub use allocator::keep_freed_memory;
pub use arch::{Arch, GrowSpec, Upsample};
pub use bench::{BenchOptions, BenchRow, bench};
pub use block_cache::LargeBlockCache;
pub use checkpoint::{Pointer, Which};
pub use error::{RecipeError, TrainError};
pub use evaluate::{EvalOptions, EvalReport, evaluate};
pub use grids::{image_grid_size, weight_grid_size};
pub use interrupt::request_interrupt;
pub use metrics::{ConfusionMatrix, EpochRecord};
pub use optim::{OnePassAdam, OnePassSgd};
pub use plots::{CONFUSION_SIZE, CURVE_SIZE};
pub use recipe::{
    Head, ModelSpec, OptimizerSpec, Overrides, Recipe, Schedule, Sparsity, Stage, StageKind,
    StagePlan, Strategy, Transition,
};
pub use report::refresh_report;
pub use run_folder::{DataFileInfo, DatasetInfo, FinalMetrics, Manifest, MetricsFile};
pub use threads::on_compute_threads;
pub use train::{CHECK_EVERY, RunOptions, RunSummary, read_metrics, resume, train};
pub use weights::{ExportSummary, WeightsReport, evaluate_weights, export};
