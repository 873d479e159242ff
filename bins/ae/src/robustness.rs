//! `ae robustness`: accuracy (or reconstruction error) against input noise, one curve per run.

use std::path::PathBuf;

use ae_analysis::{
    DataChoice, ModelChoice, NoiseKind, RobustnessOptions, parse_levels, robustness,
};
use ae_report::refresh_report;
use anyhow::Result;
use clap::Args;

use crate::cli::{AnalysisArgs, parse_positive};

/// Arguments of `ae robustness`.
#[derive(Debug, Clone, Args)]
pub struct RobustnessArgs {
    /// Run folders written by `ae train` (all classifiers, or all autoencoders).
    #[arg(value_name = "RUN_FOLDER", required = true)]
    pub runs: Vec<PathBuf>,
    /// The noise: gaussian (level = std, mean 0, not clamped), masking (level = fraction of
    /// pixels set to 0) or salt-pepper (level = fraction set to 0 or 1).
    #[arg(long, value_name = "KIND", default_value = "gaussian")]
    pub noise: String,
    /// Noise levels separated by commas (default: 0,0.1,0.2,0.3,0.5,0.75,1 for gaussian,
    /// 0,0.1,0.2,0.3,0.5,0.7,0.9 otherwise). Level 0 is the clean test set: `ae eval`'s figure.
    #[arg(long, value_name = "L1,L2,...")]
    pub levels: Option<String>,
    /// Which model of each run: best (default, what `ae eval` measures; accuracy for
    /// classifiers), last, or autoencoder (the run's trained autoencoder: MSE against the
    /// clean image).
    #[arg(long, value_name = "WHICH", default_value = "best")]
    pub checkpoint: String,
    /// Seed of the noise draws (every run sees the same noisy images).
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub seed: u64,
    /// Measure on the first N test images only (default: each run's own test limit, if any).
    #[arg(long, value_name = "N", value_parser = parse_positive)]
    pub test_limit: Option<usize>,
    #[command(flatten)]
    pub shared: AnalysisArgs,
}

pub fn run(args: RobustnessArgs) -> Result<()> {
    let mut options = RobustnessOptions::new(args.shared.device.device.open()?);
    options.noise = NoiseKind::parse(&args.noise)?;
    options.levels = match &args.levels {
        Some(text) => parse_levels(text)?,
        None => options.noise.default_levels(),
    };
    options.checkpoint = ModelChoice::parse(&args.checkpoint)?;
    options.seed = args.seed;
    options.data = DataChoice {
        locator: args.shared.data.locator(),
        dataset: args.shared.dataset.clone(),
        test_limit: args.test_limit,
        train_limit: None,
    };
    let report = robustness(&args.runs, &options)?;
    let written = match &args.shared.out {
        Some(dir) => vec![report.write(dir)?],
        None => {
            let mut written = Vec::new();
            for run in &args.runs {
                written.push(report.write(&run.join("analysis"))?);
                refresh_report(run)?;
            }
            written
        }
    };
    if args.shared.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    print!("{}", report.table());
    for (csv, png) in written {
        println!("csv: {}", csv.display());
        println!("plot: {}", png.display());
    }
    Ok(())
}
