//! `ae predict` and `ae reconstruct`: a trained model on the user's own pictures.

use std::path::PathBuf;

use ae_analysis::{ModelChoice, PictureOptions, TrainedModel, predict, reconstruct};
use anyhow::Result;
use clap::Args;
use serde_json::json;

use crate::cli::{DeviceArgs, parse_positive};

const PICTURES_HELP: &str = "\
Pictures are PNG or JPEG files of any size: they are converted to the dataset's channels \
(grey for MNIST and Fashion-MNIST, RGB for CIFAR-10), padded to a square, resized to the \
dataset's image size and transformed as the recipe transforms its data. MNIST digits are \
white on black, fitted into a 20x20 box at the centre of 28x28: pass --invert for a dark drawing \
on light paper, and --center to crop a drawing to its ink and place it as MNIST digits are \
placed.";

/// Arguments of `ae predict`.
#[derive(Debug, Clone, Args)]
#[command(after_help = PICTURES_HELP)]
pub struct PredictArgs {
    /// A run folder written by `ae train` whose model classifies.
    #[arg(value_name = "RUN_FOLDER")]
    pub run: PathBuf,
    /// PNG or JPEG pictures.
    #[arg(value_name = "IMAGE", required = true)]
    pub images: Vec<PathBuf>,
    /// Invert the pictures (dark on light -> light on dark, as MNIST).
    #[arg(long)]
    pub invert: bool,
    /// Crop each picture to its drawing, fit it into 20/28 of the frame and centre its mass,
    /// as the MNIST digits were prepared.
    #[arg(long)]
    pub center: bool,
    /// How many classes to print per picture.
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = parse_positive)]
    pub top: usize,
    /// Use the last checkpoint instead of the best one.
    #[arg(long)]
    pub last: bool,
    /// Print a JSON array of {image, predictions: [{class, name, probability}]}.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub device: DeviceArgs,
}

pub fn run_predict(args: PredictArgs) -> Result<()> {
    let choice = if args.last {
        ModelChoice::Last
    } else {
        ModelChoice::Best
    };
    let model = TrainedModel::open(&args.run, choice, &args.device.device.open()?)?;
    let predictions = predict(
        &model,
        &args.images,
        picture_options(args.invert, args.center),
        args.top,
    )?;
    if args.json {
        let rows: Vec<_> = predictions
            .iter()
            .map(|p| json!({ "image": p.image, "predictions": p.top }))
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    for p in &predictions {
        let cells: Vec<String> = p
            .top
            .iter()
            .map(|s| format!("{} {:.1}%", s.name, 100.0 * s.probability))
            .collect();
        println!("{}: {}", p.image.display(), cells.join(", "));
    }
    Ok(())
}

/// Arguments of `ae reconstruct`.
#[derive(Debug, Clone, Args)]
#[command(after_help = PICTURES_HELP)]
pub struct ReconstructArgs {
    /// A run folder written by `ae train` that trained an autoencoder.
    #[arg(value_name = "RUN_FOLDER")]
    pub run: PathBuf,
    /// PNG or JPEG pictures.
    #[arg(value_name = "IMAGE", required = true)]
    pub images: Vec<PathBuf>,
    /// Folder for `<name>-reconstruction.png` (the picture as the model sees it, left, beside
    /// its reconstruction).
    #[arg(long, value_name = "DIR", required = true)]
    pub out: PathBuf,
    /// Invert the pictures (dark on light -> light on dark, as MNIST).
    #[arg(long)]
    pub invert: bool,
    /// Crop each picture to its drawing, fit it into 20/28 of the frame and centre its mass,
    /// as the MNIST digits were prepared.
    #[arg(long)]
    pub center: bool,
    #[command(flatten)]
    pub device: DeviceArgs,
}

pub fn run_reconstruct(args: ReconstructArgs) -> Result<()> {
    let model = TrainedModel::open(
        &args.run,
        ModelChoice::AutoencoderOrBest,
        &args.device.device.open()?,
    )?;
    for file in reconstruct(
        &model,
        &args.images,
        picture_options(args.invert, args.center),
        &args.out,
    )? {
        println!(
            "{} -> {} (MSE {:.5})",
            file.image.display(),
            file.output.display(),
            file.mse
        );
    }
    Ok(())
}

fn picture_options(invert: bool, center: bool) -> PictureOptions {
    PictureOptions { invert, center }
}
