//! # ae-train
//!
//! The learner. Trains the models of `ae-models` on the datasets of `ae-data`: a [`Recipe`]
//! (TOML) describes the dataset, the model and a pipeline of stages; [`train`] runs it on the
//! autodiff version of a device and writes the run folder's records (resolved recipe,
//! manifest, metrics CSV/JSON, checkpoints); [`resume`] continues an interrupted run bit for
//! bit; [`evaluate`] measures a run's checkpoint; [`bench`] times each stage; [`export`] and
//! [`evaluate_weights`] move weights to and from PyTorch.
//!
//! The run reports what happens to [`Observer`]s given in [`RunOptions::observers`]: the
//! progress bar, the grids, the plots and `report.html` are observers in `ae-report`; a run
//! with none is silent and draws nothing. Interruption is an [`Interrupt`] handle in the
//! options. Each model kind is one module of [`model`] (nothing else names a kind).
//!
//! Depends on `ae-models`, `ae-data`, `ae-kernels` (one-pass optimiser updates) and `ae-blas`
//! (to report the matrix library in `bench`); nothing above it (`ae-report`, `ae-analysis`,
//! the binary). No `unsafe`.
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
//! `upsample = "bilinear" | "bilinear-align-corners" | "nearest"`, `output_activation`) and
//! `kind = "lenet"`. Unknown keys are errors.

#![forbid(unsafe_code)]

mod bench;
mod checkpoint;
mod error;
mod evaluate_run;
mod files;
mod interrupt;
mod measure;
mod metrics;
pub mod model;
mod objective;
mod observe;
mod optim;
mod readback;
mod recipe;
mod run;
mod run_folder;
mod trained_model;
mod weights;

pub use bench::{BenchOptions, BenchRow, bench};
pub use checkpoint::{Pointer, Which};
pub use error::{RecipeError, TrainError};
pub use evaluate_run::{DEFAULT_IW_SAMPLES, EvalOptions, EvalReport, TestReport, evaluate};
pub use files::{create_dir, read_json, write_atomic, write_json};
pub use interrupt::Interrupt;
pub use measure::{
    INACTIVE_THRESHOLD, TestSet, evaluate_classification, evaluate_reconstruction, evaluate_stage,
};
pub use metrics::{ConfusionMatrix, EpochRecord, TestMetrics};
pub use model::{
    Arch, ConvVaeArch, ConvVaeSpec, GrowSpec, LayerTiles, ModelKind, ModelSpec, Net, Tiles,
    Upsample, VaeArch, VaeSpec, active_units, standard_normal, standard_normal_draws,
};
pub use objective::StepLosses;
pub use observe::{
    EpochModel, EpochStart, ModelStart, Observer, Observers, RunEnd, RunStart, StageEnd, Step,
};
pub use optim::{OnePassAdam, OnePassSgd};
pub use readback::read_f32;
pub use recipe::{
    DEFAULT_TEST_FRACTION, Head, OptimizerSpec, Overrides, Recipe, Schedule, Sparsity, Stage,
    StageKind, StagePlan, Strategy, Transition,
};
pub use run::{CHECK_EVERY, RunOptions, RunSummary, TAG_TEST_NOISE, resume, train};
pub use run_folder::{
    DataFileInfo, DatasetInfo, FinalMetrics, Manifest, MetricsFile, RunFolder, SeededSplit,
    SkippedFile, read_metrics,
};
pub use trained_model::{AnalysisData, DataChoice, ModelChoice, TrainedModel};
pub use weights::{ExportSummary, WeightsReport, evaluate_weights, export};
