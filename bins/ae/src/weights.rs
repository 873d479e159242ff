//! `ae export` and `ae eval --weights`: weights out to and in from PyTorch.

use std::path::Path;

use ae_train::{EvalOptions, WeightsReport, Which, evaluate_weights, export};
use anyhow::{Context, Result};
use serde_json::json;

use crate::cli::{CheckpointChoice, EvalArgs, ExportArgs};
use crate::recipes;
use crate::report::{print_test_report, test_report_json};

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
    options.dataset = args.dataset.clone();
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
        r.recipe, r.stage, r.test.stage_name, r.architecture
    );
    print_test_report(&r.test);
}

fn as_json(r: &WeightsReport) -> serde_json::Value {
    let mut head = serde_json::Map::new();
    head.insert("weights".into(), json!(r.weights));
    head.insert("format".into(), json!(r.format.name()));
    head.insert("recipe".into(), json!(r.recipe));
    head.insert("stage".into(), json!(r.stage));
    head.insert("architecture".into(), json!(r.architecture));
    test_report_json(head, &r.test)
}
