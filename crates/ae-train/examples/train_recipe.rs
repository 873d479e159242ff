//! Trains a recipe file on flex (or resumes a run folder) and prints where the run folder is.
//!
//! `cargo run --release -p ae-train --example train_recipe -- RECIPE.toml|RUN_FOLDER [OUT_DIR] [DATA_DIR]`

use std::path::PathBuf;

use ae_train::{Recipe, RunOptions, resume, train};
use burn::tensor::Device;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let recipe_path = PathBuf::from(
        args.next()
            .ok_or("usage: train_recipe RECIPE.toml|RUN_FOLDER [OUT_DIR] [DATA_DIR]")?,
    );
    let mut options = RunOptions::new(Device::flex());
    if let Some(out) = args.next() {
        options.out_dir = PathBuf::from(out);
    }
    if let Some(data) = args.next() {
        options.data.data_dir = Some(PathBuf::from(data));
    }
    let summary = if recipe_path.is_dir() {
        resume(&recipe_path, &options)?
    } else {
        train(&Recipe::from_file(&recipe_path)?, &options)?
    };
    if let Some(acc) = summary.final_metrics.test_accuracy {
        println!("test accuracy: {:.2}%", 100.0 * acc);
    }
    if let Some(mse) = summary.final_metrics.test_mse {
        println!("test MSE: {mse:.5}");
    }
    println!("training time: {:.1} s", summary.train_seconds);
    println!("run: {}", summary.run_dir.display());
    Ok(())
}
