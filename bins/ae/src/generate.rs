//! `ae sample`, `ae interpolate`, `ae traverse` and `ae manifold`: pictures a variational
//! autoencoder's decoder makes from points of its latent space.

use std::path::PathBuf;

use ae_analysis::{
    DataChoice, Endpoint, GenerateTarget, InterpolateOptions, ManifoldOptions, ModelChoice,
    PictureOptions, SampleOptions, TraverseOptions, interpolate, manifold, parse_dims, sample,
    traverse,
};
use anyhow::Result;
use clap::Args;

use crate::cli::{DataArgs, DeviceArgs, parse_dataset};
use ae_data::DatasetId;

/// The options every generating command takes.
#[derive(Debug, Clone, Args)]
pub struct GenerateArgs {
    /// Which checkpoint decodes: best (the best epoch of the last stage) or last.
    #[arg(long, value_name = "WHICH", default_value = "best")]
    pub checkpoint: String,
    /// Write the PNG and JSON into DIR instead of the run folder's analysis/ (report.html is
    /// then left as it is).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print the report as JSON instead of the picture's path.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub device: DeviceArgs,
}

impl GenerateArgs {
    fn target(&self) -> Result<GenerateTarget> {
        let mut target = GenerateTarget::new(self.device.device.open()?);
        target.checkpoint = ModelChoice::parse(&self.checkpoint)?;
        target.out_dir = self.out.clone();
        Ok(target)
    }
}

/// Where the test set comes from (`ae interpolate` and `ae traverse` read test images).
#[derive(Debug, Clone, Args)]
pub struct TestSetArgs {
    /// Take test images from another dataset with images of the same shape.
    #[arg(long, value_name = "DATASET", value_parser = parse_dataset)]
    pub dataset: Option<DatasetId>,
    #[command(flatten)]
    pub data: DataArgs,
}

impl TestSetArgs {
    fn choice(&self) -> DataChoice {
        DataChoice {
            locator: self.data.locator(),
            dataset: self.dataset.clone(),
            ..DataChoice::default()
        }
    }
}

/// Arguments of `ae sample`.
#[derive(Debug, Clone, Args)]
pub struct SampleArgs {
    /// A run folder of a variational autoencoder (e.g. `ae train vae-mnist`).
    #[arg(value_name = "RUN_FOLDER")]
    pub run: PathBuf,
    /// How many pictures to draw (1 to 1024), laid out as a near-square grid.
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub n: usize,
    /// Seed of the draws z ~ N(0, I): the same seed gives the same pictures.
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub seed: u64,
    #[command(flatten)]
    pub shared: GenerateArgs,
}

/// Arguments of `ae interpolate`.
#[derive(Debug, Clone, Args)]
#[command(
    after_help = "A and B are each a test-set index (a plain number, e.g. 3) or a PNG/JPEG \
picture, read as `ae predict` reads it (--invert, --center). The row shows picture A, the \
decoded points mu_A + t (mu_B - mu_A) for t = 0..1 (ends included), then picture B."
)]
pub struct InterpolateArgs {
    /// A run folder of a variational autoencoder.
    #[arg(value_name = "RUN_FOLDER")]
    pub run: PathBuf,
    /// The first end: a test-set index or a picture's path.
    #[arg(value_name = "A")]
    pub a: String,
    /// The other end: a test-set index or a picture's path.
    #[arg(value_name = "B")]
    pub b: String,
    /// Points of the line decoded, both ends included (2 to 64).
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub steps: usize,
    /// Invert pictures given as files (dark on light -> light on dark, as MNIST).
    #[arg(long)]
    pub invert: bool,
    /// Crop pictures given as files to their drawing and centre them as MNIST digits are.
    #[arg(long)]
    pub center: bool,
    #[command(flatten)]
    pub test_set: TestSetArgs,
    #[command(flatten)]
    pub shared: GenerateArgs,
}

/// Arguments of `ae traverse`.
#[derive(Debug, Clone, Args)]
pub struct TraverseArgs {
    /// A run folder of a variational autoencoder.
    #[arg(value_name = "RUN_FOLDER")]
    pub run: PathBuf,
    /// The latent dimensions to sweep, one row each, e.g. 0,1,2 (default: all, at most the
    /// first 32).
    #[arg(long, value_name = "D1,D2,...")]
    pub dims: Option<String>,
    /// Each dimension is swept over -RANGE..RANGE.
    #[arg(
        long,
        value_name = "RANGE",
        default_value_t = 3.0,
        allow_negative_numbers = true
    )]
    pub range: f64,
    /// Values per row, both ends included (2 to 64).
    #[arg(long, value_name = "N", default_value_t = 9)]
    pub steps: usize,
    /// The test image whose code mu the other dimensions keep.
    #[arg(long, value_name = "I", default_value_t = 0)]
    pub index: usize,
    #[command(flatten)]
    pub test_set: TestSetArgs,
    #[command(flatten)]
    pub shared: GenerateArgs,
}

/// Arguments of `ae manifold`.
#[derive(Debug, Clone, Args)]
pub struct ManifoldArgs {
    /// A run folder of a variational autoencoder with a 2-d latent (`[model] latent = 2`).
    #[arg(value_name = "RUN_FOLDER")]
    pub run: PathBuf,
    /// Points per side (2 to 40): z at the standard normal's quantiles 0.05..0.95.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub grid: usize,
    #[command(flatten)]
    pub shared: GenerateArgs,
}

pub fn run_sample(args: SampleArgs) -> Result<()> {
    let target = args.shared.target()?;
    let mut options = SampleOptions::new(target.device.clone());
    options.target = target;
    options.n = args.n;
    options.seed = args.seed;
    let report = sample(&args.run, &options)?;
    print(args.shared.json, &report.png, || {
        serde_json::to_string_pretty(&report)
    })
}

pub fn run_interpolate(args: InterpolateArgs) -> Result<()> {
    let target = args.shared.target()?;
    let mut options = InterpolateOptions::new(
        Endpoint::parse(&args.a),
        Endpoint::parse(&args.b),
        target.device.clone(),
    );
    options.target = target;
    options.steps = args.steps;
    options.picture = PictureOptions {
        invert: args.invert,
        center: args.center,
    };
    options.data = args.test_set.choice();
    let report = interpolate(&args.run, &options)?;
    print(args.shared.json, &report.png, || {
        serde_json::to_string_pretty(&report)
    })
}

pub fn run_traverse(args: TraverseArgs) -> Result<()> {
    let target = args.shared.target()?;
    let mut options = TraverseOptions::new(target.device.clone());
    options.target = target;
    options.dims = args.dims.as_deref().map(parse_dims).transpose()?;
    options.range = args.range;
    options.steps = args.steps;
    options.index = args.index;
    options.data = args.test_set.choice();
    let report = traverse(&args.run, &options)?;
    print(args.shared.json, &report.png, || {
        serde_json::to_string_pretty(&report)
    })
}

pub fn run_manifold(args: ManifoldArgs) -> Result<()> {
    let target = args.shared.target()?;
    let mut options = ManifoldOptions::new(target.device.clone());
    options.target = target;
    options.grid = args.grid;
    let report = manifold(&args.run, &options)?;
    print(args.shared.json, &report.png, || {
        serde_json::to_string_pretty(&report)
    })
}

/// The report as JSON (`to_json`), or the picture's path alone.
fn print(
    json: bool,
    png: &std::path::Path,
    to_json: impl FnOnce() -> serde_json::Result<String>,
) -> Result<()> {
    if json {
        println!("{}", to_json()?);
    } else {
        println!("{}", png.display());
    }
    Ok(())
}
