//! `ae embed`: a 2-D map of what a run's encoder learned.

use std::path::PathBuf;

use ae_analysis::{DataChoice, EmbedOptions, ModelChoice, Projection, embed};
use anyhow::Result;
use clap::Args;

use crate::cli::{AnalysisArgs, parse_positive};
use crate::report::percent;

/// Arguments of `ae embed`.
#[derive(Debug, Clone, Args)]
pub struct EmbedArgs {
    /// A run folder written by `ae train`.
    #[arg(value_name = "RUN_FOLDER")]
    pub run: PathBuf,
    /// The projection to 2-D: pca (exact; the explained variance is on the axes) or tsne
    /// (Barnes-Hut t-SNE, perplexity 30, deterministic; 10,000 points in about 12 s).
    #[arg(long, value_name = "METHOD", default_value = "pca")]
    pub method: String,
    /// Embed the first N test images.
    #[arg(long, value_name = "N", default_value_t = 2000, value_parser = parse_positive)]
    pub limit: usize,
    /// Neighbours voting in the k-NN accuracy of the codes.
    #[arg(long, value_name = "K", default_value_t = 5, value_parser = parse_positive)]
    pub k: usize,
    /// Training images whose codes the k-NN classifier compares with (the first N).
    #[arg(long, value_name = "N", default_value_t = 10_000, value_parser = parse_positive)]
    pub knn_train: usize,
    /// Which model encodes: auto (the run's trained autoencoder when it kept one, else the
    /// best checkpoint), autoencoder, best (the final model, e.g. the fine-tuned classifier's
    /// encoder) or last.
    #[arg(long, value_name = "WHICH", default_value = "auto")]
    pub checkpoint: String,
    #[command(flatten)]
    pub shared: AnalysisArgs,
}

pub fn run(args: EmbedArgs) -> Result<()> {
    let mut options = EmbedOptions::new(args.shared.device.device.open()?);
    options.projection = Projection::parse(&args.method)?;
    options.checkpoint = ModelChoice::parse(&args.checkpoint)?;
    options.limit = args.limit;
    options.k = args.k;
    options.knn_reference = args.knn_train;
    options.out_dir = args.shared.out;
    options.data = DataChoice {
        locator: args.shared.data.locator(),
        dataset: args.shared.dataset.clone(),
        ..DataChoice::default()
    };
    let report = embed(&args.run, &options)?;
    if args.shared.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!("run: {}", report.run.display());
    println!(
        "encoder: {} (checkpoints/{}, stage '{}')",
        report.code, report.checkpoint, report.stage
    );
    println!("dataset: {}, {} test images", report.dataset, report.points);
    match report.explained_variance {
        Some([a, b]) => println!(
            "projection: PCA, explained variance {} + {} = {}",
            percent(a),
            percent(b),
            percent(a + b)
        ),
        None => println!(
            "projection: t-SNE (perplexity 30), {:.1} s",
            report.projection_seconds
        ),
    }
    println!(
        "{}-NN accuracy of the codes: {} (test images against {} training codes; on the raw \
         pixels: {})",
        report.knn_k,
        percent(report.knn_accuracy),
        report.knn_reference,
        percent(report.knn_pixels_accuracy)
    );
    println!("plot: {}", report.png.display());
    println!("csv: {}", report.csv.display());
    Ok(())
}
