//! `ae export` and `ae eval --weights`: weights out to and in from PyTorch.

use std::path::Path;

use ae_train::{EvalOptions, StageKind, WeightsReport, Which, evaluate_weights, export};
use anyhow::{Context, Result};
use serde_json::json;

use crate::cli::{CheckpointChoice, EvalArgs, ExportArgs};
use crate::recipes;
use crate::report::{per_class_lines, percent};

/// `ae export RUN_FOLDER --out FILE.safetensors`.
pub fn export_run(args: ExportArgs) -> Result<()> {
    let which = match args.checkpoint {
        CheckpointChoice::Best => Which::Best,
        CheckpointChoice::Last => Which::Last,
    };
    let device = args.device.device.open()?;
    let summary = export(&args.run, which, &args.out, &device)?;
    println!(
        "exported: {} (recipe {}, stage {} '{}', epoch {}: {})",
        summary.out.display(),
        summary.recipe,
        summary.stage,
        summary.stage_name,
        summary.epoch,
        summary.architecture
    );
    let keys: Vec<String> = summary
        .keys
        .iter()
        .map(|(key, shape)| format!("{key} {shape:?}"))
        .collect();
    println!("keys: {}", keys.join(", "));
    Ok(())
}

/// `ae eval --weights FILE --recipe RECIPE [--stage N]`.
pub fn eval_weights(args: &EvalArgs, weights: &Path) -> Result<()> {
    let recipe_arg = args.recipe.as_deref().context(
        "--weights needs --recipe RECIPE: the recipe gives the architecture and the test set",
    )?;
    let loaded = recipes::load(recipe_arg)?;
    let mut options = EvalOptions::new(args.device.device.open()?);
    options.data = args.data.locator();
    options.dataset = args.dataset;
    options.test_limit = args.test_limit;
    let report = evaluate_weights(weights, &loaded.recipe, args.stage, &options)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&as_json(&report))?);
    } else {
        print_report(&report);
    }
    Ok(())
}

fn print_report(r: &WeightsReport) {
    println!("weights: {} ({})", r.weights.display(), r.format);
    println!(
        "model: recipe {}, stage {} '{}' ({})",
        r.recipe, r.stage, r.stage_name, r.architecture
    );
    println!("dataset: {}, {} test images", r.dataset, r.samples);
    match r.kind {
        StageKind::Classification => {
            if let (Some(acc), Some(cm)) = (r.test_accuracy, &r.confusion_matrix) {
                println!(
                    "test accuracy: {} ({}/{})",
                    percent(acc),
                    cm.correct(),
                    cm.total()
                );
            }
            println!("test loss (NLL): {:.6}", r.test_loss);
            if let Some(per_class) = &r.per_class_accuracy {
                println!("per-class accuracy:");
                for line in per_class_lines(per_class, Some(&r.class_names)) {
                    println!("  {line}");
                }
            }
        }
        StageKind::Reconstruction => {
            println!("test MSE: {:.6}", r.test_loss);
            if let Some(noisy) = r.test_mse_noisy {
                println!("test MSE from noisy input: {noisy:.6}");
            }
        }
    }
}

fn as_json(r: &WeightsReport) -> serde_json::Value {
    json!({
        "weights": r.weights,
        "format": r.format.name(),
        "recipe": r.recipe,
        "stage": r.stage,
        "stage_name": r.stage_name,
        "architecture": r.architecture,
        "kind": r.kind.as_str(),
        "dataset": r.dataset.to_string(),
        "samples": r.samples,
        "class_names": r.class_names,
        "test_loss": r.test_loss,
        "test_mse": (r.kind == StageKind::Reconstruction).then_some(r.test_loss),
        "test_mse_noisy": r.test_mse_noisy,
        "test_accuracy": r.test_accuracy,
        "per_class_accuracy": r.per_class_accuracy,
        "confusion_matrix": r.confusion_matrix.as_ref().map(|c| c.0),
    })
}
