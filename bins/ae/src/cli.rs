//! The command line: subcommands, their arguments and the options they share.

use std::path::PathBuf;

use ae_data::{DataLocator, DatasetId};
use clap::{Args, Parser, Subcommand};

use crate::device::Backend;
use crate::recipes::DEFAULT_RECIPE;

/// Representation learning with autoencoders: train, evaluate and benchmark the recipes in
/// `models/`.
///
/// With no command, `ae` trains the default recipe (models/stacked-mnist.toml) on the bundled
/// MNIST subset and prints where its run folder is.
#[derive(Debug, Parser)]
#[command(name = "ae", version, propagate_version = true)]
#[command(after_help = concat!(
    "Examples:\n",
    "  ae                                    train the default recipe (stacked-mnist)\n",
    "  ae train models/lenet-mnist.toml      train a recipe\n",
    "  ae train lenet-mnist --epochs 1       the same recipe by name, one epoch per stage\n",
    "  ae eval runs/lenet-mnist-<time>       test accuracy of a run's best checkpoint\n",
    "  ae export runs/<run> --out m.safetensors  the run's weights for PyTorch\n",
    "  ae eval --weights m.pth --recipe lenet-mnist  test accuracy of PyTorch weights\n",
    "  ae datasets                           where each dataset was found\n",
    "  ae bench lenet-mnist --json           time training steps\n",
    "  ae embed runs/stacked-mnist-<time>    2-D map of the codes (--method tsne)\n",
    "  ae robustness RUN_A RUN_B             accuracy against input noise, one curve per run\n",
    "  ae predict RUN digit.png              classify your own pictures"
))]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train a recipe: run its stages, write a run folder, print `run: <folder>`.
    #[command(after_help = recipes_help())]
    Train(TrainArgs),
    /// Evaluate a run's best checkpoint (or PyTorch weights with --weights and --recipe) on the
    /// test set: accuracy and per-class accuracy, or MSE.
    Eval(EvalArgs),
    /// List the known datasets: where each was found (or why not), sample counts, digests.
    Datasets(DatasetsArgs),
    /// Time training steps and one epoch per recipe and stage on the chosen device.
    #[command(after_help = recipes_help())]
    Bench(BenchArgs),
    /// Write a run's checkpoint as safetensors with the PyTorch notebook's key names and layouts
    /// (load it with `model.load_state_dict(safetensors.torch.load_file(FILE), strict=True)`).
    Export(ExportArgs),
    /// Map a run's codes of the test set to 2-D (PCA or t-SNE), coloured by class, with the
    /// k-NN accuracy of the codes.
    Embed(crate::embed::EmbedArgs),
    /// Test accuracy (or reconstruction MSE) against input noise, one curve per run.
    Robustness(crate::robustness::RobustnessArgs),
    /// Classify your own PNG/JPEG pictures with a run's model: top classes and probabilities.
    Predict(crate::predict::PredictArgs),
    /// Reconstruct your own PNG/JPEG pictures with a run's autoencoder.
    Reconstruct(crate::predict::ReconstructArgs),
    /// Draw pictures from a variational autoencoder: z ~ N(0, I) decoded, as a grid
    /// analysis/samples-seed<S>.png.
    Sample(crate::generate::SampleArgs),
    /// Decode the straight line between the codes of two pictures (test-set indices or
    /// PNG/JPEG files) of a variational autoencoder: analysis/interpolate-<a>-<b>.png.
    Interpolate(crate::generate::InterpolateArgs),
    /// Sweep each latent dimension of a variational autoencoder over -range..range around a
    /// test image's code, one row per dimension: analysis/traverse.png.
    Traverse(crate::generate::TraverseArgs),
    /// Decode a grid of the 2-d latent of a variational autoencoder over the standard normal's
    /// quantiles, as one picture: analysis/manifold.png.
    Manifold(crate::generate::ManifoldArgs),
}

fn recipes_help() -> String {
    format!(
        "A RECIPE is a TOML file, or the name of a recipe in models/ (e.g. `lenet-mnist`); the \
         recipes shipped with ae are also built in, so their names work from any folder: {}.",
        crate::recipes::builtin_names().join(", ")
    )
}

/// Where datasets are looked for.
#[derive(Debug, Clone, Args)]
pub struct DataArgs {
    /// Read the dataset from DIR (its files directly in DIR or in DIR/<name>); nothing else is
    /// searched.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Never download a missing dataset.
    #[arg(long)]
    pub offline: bool,
    /// Use data files whose digest matches no published one (e.g. a re-compressed copy).
    #[arg(long)]
    pub accept_unverified: bool,
    /// In a folder of pictures, leave out the ones that cannot be decoded (they are counted,
    /// listed in the manifest and reported) instead of stopping at the first.
    #[arg(long)]
    pub skip_unreadable: bool,
}

impl DataArgs {
    pub fn locator(&self) -> DataLocator {
        DataLocator {
            data_dir: self.data_dir.clone(),
            allow_download: !self.offline,
            accept_unverified: self.accept_unverified,
            skip_unreadable: self.skip_unreadable,
            show_progress: true,
            ..DataLocator::default()
        }
    }
}

/// Which device computes.
#[derive(Debug, Clone, Args)]
pub struct DeviceArgs {
    /// The backend: flex (fast CPU), ndarray (CPU) or wgpu (GPU; needs a build with
    /// `--features wgpu`). The default is chosen by the build's cargo features.
    #[arg(long, value_enum, default_value_t = Backend::default_for_build())]
    pub device: Backend,
}

#[derive(Debug, Clone, Args)]
pub struct TrainArgs {
    /// The recipe: a TOML file or a recipe name (default: models/stacked-mnist.toml, or with
    /// --resume the run folder's own).
    #[arg(value_name = "RECIPE")]
    pub recipe: Option<String>,
    /// Train on another dataset: mnist, fashion-mnist, cifar10, mnist-mini, a folder of
    /// pictures (PATH/<class>/<picture>, or PATH/train/… and PATH/test/…) or a .npz / .npy file;
    /// pictures are brought to the shape of the recipe's dataset.
    #[arg(long, value_name = "DATASET", value_parser = parse_dataset)]
    pub dataset: Option<DatasetId>,
    /// Set every stage's number of epochs.
    #[arg(long, value_name = "N", value_parser = parse_positive)]
    pub epochs: Option<usize>,
    /// Train on the first N training images only (for quick looks).
    #[arg(long, value_name = "N", value_parser = parse_positive)]
    pub limit: Option<usize>,
    /// For a folder or NumPy file without its own train/test split: the share of each class
    /// held out for testing (default 0.2), split with the recipe's seed.
    #[arg(long, value_name = "SHARE", value_parser = parse_fraction)]
    pub test_fraction: Option<f64>,
    /// Evaluate on the first N test images only.
    #[arg(long, value_name = "N", value_parser = parse_positive)]
    pub test_limit: Option<usize>,
    /// The seed of initialisation, shuffling and noise (default: the recipe's).
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Folder in which the run folder is created.
    #[arg(long, value_name = "DIR", default_value = "runs")]
    pub out: PathBuf,
    /// Continue the interrupted run in RUN_FOLDER from its last checkpoint (the recipe is
    /// optional: the run folder holds it).
    #[arg(long, value_name = "RUN_FOLDER")]
    pub resume: Option<PathBuf>,
    /// No per-epoch progress on stderr.
    #[arg(long, short)]
    pub quiet: bool,
    /// Scale each tile of the weight grids to its own range (torchvision's `scale_each=True`)
    /// instead of one scale per grid, as the notebooks draw them.
    #[arg(long)]
    pub scale_each: bool,
    /// For a variational autoencoder: samples per image of the importance-weighted estimate
    /// of the test set's −log p(x) at the end of the run (default 100; 0 skips it).
    #[arg(long, value_name = "K")]
    pub samples: Option<usize>,
    /// Write no TensorBoard logs (by default the run folder's tensorboard/ holds the scalars,
    /// pictures and recipe for `tensorboard --logdir runs`).
    #[arg(long)]
    pub no_tensorboard: bool,
    /// Start the first stage from PyTorch weights (a `.pth` from torch.save(state_dict) or a
    /// `.safetensors` file, told apart by content) instead of a random initialisation.
    #[arg(long, value_name = "FILE", conflicts_with = "resume")]
    pub init: Option<PathBuf>,
    /// Stop as if interrupted after N optimiser steps, with a checkpoint (for testing resume).
    #[arg(long, value_name = "N", hide = true)]
    pub interrupt_after_steps: Option<u64>,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub device: DeviceArgs,
}

impl TrainArgs {
    /// What `ae` with no arguments does: the default recipe with its own settings.
    pub fn default_job() -> Self {
        TrainArgs {
            recipe: Some(DEFAULT_RECIPE.to_string()),
            dataset: None,
            epochs: None,
            limit: None,
            test_fraction: None,
            test_limit: None,
            seed: None,
            out: PathBuf::from("runs"),
            resume: None,
            quiet: false,
            scale_each: false,
            no_tensorboard: false,
            samples: None,
            init: None,
            interrupt_after_steps: None,
            data: DataArgs {
                data_dir: None,
                offline: false,
                accept_unverified: false,
                skip_unreadable: false,
            },
            device: DeviceArgs {
                device: Backend::default_for_build(),
            },
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct EvalArgs {
    /// A run folder written by `ae train`.
    #[arg(value_name = "RUN_FOLDER", required_unless_present = "weights")]
    pub run: Option<PathBuf>,
    /// Evaluate PyTorch weights instead of a run (a `.pth` from torch.save(state_dict) or a
    /// `.safetensors` file, told apart by content); needs --recipe.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["run", "last"], requires = "recipe")]
    pub weights: Option<PathBuf>,
    /// The recipe whose model and test set the --weights are evaluated with.
    #[arg(long, value_name = "RECIPE", requires = "weights")]
    pub recipe: Option<String>,
    /// The recipe's stage (from 1) whose model takes the --weights (default: the stage the
    /// file was exported from, else the last stage the weights fit).
    #[arg(long, value_name = "N", requires = "weights")]
    pub stage: Option<usize>,
    /// Evaluate on another dataset with images of the same shape.
    #[arg(long, value_name = "DATASET", value_parser = parse_dataset)]
    pub dataset: Option<DatasetId>,
    /// Evaluate the last checkpoint instead of the best one of the last stage.
    #[arg(long)]
    pub last: bool,
    /// Evaluate on the first N test images only (default: the run's own test limit, if any).
    #[arg(long, value_name = "N", value_parser = parse_positive)]
    pub test_limit: Option<usize>,
    /// For a variational autoencoder: samples per image of the importance-weighted estimate
    /// of the test set's −log p(x) (the IWAE bound; default 100).
    #[arg(long, value_name = "K", value_parser = parse_positive)]
    pub samples: Option<usize>,
    /// Print the results as one JSON object.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub device: DeviceArgs,
}

/// The options `ae embed` and `ae robustness` share.
#[derive(Debug, Clone, Args)]
pub struct AnalysisArgs {
    /// Measure on another dataset with images of the same shape.
    #[arg(long, value_name = "DATASET", value_parser = parse_dataset)]
    pub dataset: Option<DatasetId>,
    /// Write the PNG, CSV and JSON into DIR instead of the run folder's analysis/.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print the results as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub device: DeviceArgs,
}

/// Which checkpoint of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckpointChoice {
    /// The best epoch of the last stage trained.
    Best,
    /// The most recent checkpoint.
    Last,
}

#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// A run folder written by `ae train`.
    #[arg(value_name = "RUN_FOLDER")]
    pub run: PathBuf,
    /// Which checkpoint to export.
    #[arg(long, value_enum, default_value_t = CheckpointChoice::Best)]
    pub checkpoint: CheckpointChoice,
    /// The safetensors file to write (replaced if it exists).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    #[command(flatten)]
    pub device: DeviceArgs,
}

#[derive(Debug, Clone, Args)]
pub struct DatasetsArgs {
    /// Describe these instead of the built-in datasets: a built-in name, a folder of pictures
    /// (classes, pictures per class, skipped files; nothing is decoded) or a .npz / .npy file
    /// (arrays, shapes, dtype, classes).
    #[arg(value_name = "DATASET", value_parser = parse_dataset)]
    pub datasets: Vec<DatasetId>,
    /// Write the one DATASET given as a folder of PNG pictures, DIR/train/<class>/ and
    /// DIR/test/<class>/ (the layout `--dataset DIR` reads).
    #[arg(long, value_name = "DIR")]
    pub write_folder: Option<PathBuf>,
    /// Write the one DATASET given as a .npz with x_train, y_train, x_test, y_test (u8), as
    /// Keras' mnist.npz; its images in the order training reads them.
    #[arg(long, value_name = "FILE")]
    pub write_npz: Option<PathBuf>,
    /// With --write-*, for a folder of pictures or a NumPy file: the shape its pictures are
    /// brought to, as C,H,W (e.g. 1,28,28).
    #[arg(long, value_name = "C,H,W", value_parser = parse_shape)]
    pub image_shape: Option<[usize; 3]>,
    /// With --write-*, for data without its own split: the share of each class held out for
    /// testing (default 0.2), split with seed 0 as a recipe with seed 0 would.
    #[arg(long, value_name = "SHARE", value_parser = parse_fraction)]
    pub test_fraction: Option<f64>,
    #[command(flatten)]
    pub data: DataArgs,
}

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Recipes to time (default: models/stacked-mnist.toml).
    #[arg(value_name = "RECIPE")]
    pub recipes: Vec<String>,
    /// Timed steps per stage; the median, min and max are reported.
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = parse_positive)]
    pub steps: usize,
    /// Untimed warm-up steps before them.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub warmup: usize,
    /// Time the epoch on the first N training images only.
    #[arg(long, value_name = "N", value_parser = parse_positive)]
    pub limit: Option<usize>,
    /// Use another dataset with images of the same shape.
    #[arg(long, value_name = "DATASET", value_parser = parse_dataset)]
    pub dataset: Option<DatasetId>,
    /// Print a JSON array of rows instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub device: DeviceArgs,
}

pub fn parse_dataset(text: &str) -> Result<DatasetId, String> {
    text.parse::<DatasetId>().map_err(|e| e.to_string())
}

pub fn parse_shape(text: &str) -> Result<[usize; 3], String> {
    let sizes: Vec<usize> = text
        .split([',', 'x', '×'])
        .map(|part| part.trim().parse::<usize>())
        .collect::<Result<_, _>>()
        .map_err(|_| format!("'{text}' is not a shape C,H,W (e.g. 1,28,28)"))?;
    match sizes.as_slice() {
        &[c, h, w] if c > 0 && h > 0 && w > 0 => Ok([c, h, w]),
        _ => Err(format!(
            "'{text}' is not a shape C,H,W of three positive sizes (e.g. 1,28,28)"
        )),
    }
}

pub fn parse_fraction(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(f) if f > 0.0 && f < 1.0 => Ok(f),
        _ => Err(format!(
            "'{text}' is not a share strictly between 0 and 1 (e.g. 0.2)"
        )),
    }
}

pub fn parse_positive(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("'{text}' is not a whole number")),
    }
}
