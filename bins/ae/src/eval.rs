//! `ae eval`: measure a run's checkpoint on the test set.

use ae_train::{EvalOptions, EvalReport, StageKind, Which, evaluate};
use anyhow::Result;
use serde_json::json;

use crate::cli::EvalArgs;
use crate::report::{per_class_lines, percent};

pub fn run(args: EvalArgs) -> Result<()> {
    if let Some(weights) = &args.weights {
        return crate::weights::eval_weights(&args, weights);
    }
    let Some(run) = args.run.clone() else {
        anyhow::bail!("ae eval needs a RUN_FOLDER, or --weights FILE with --recipe RECIPE");
    };
    let mut options = EvalOptions::new(args.device.device.open()?);
    options.data = args.data.locator();
    options.dataset = args.dataset;
    options.checkpoint = if args.last { Which::Last } else { Which::Best };
    options.test_limit = args.test_limit;
    let report = evaluate(&run, &options)?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&as_json(&report, args.last))?
        );
    } else {
        print_report(&report, args.last);
    }
    Ok(())
}

fn which(last: bool) -> &'static str {
    if last { "last" } else { "best" }
}

fn print_report(r: &EvalReport, last: bool) {
    println!("run: {}", r.run_dir.display());
    println!(
        "checkpoint: {} of stage {} '{}', epoch {} (checkpoints/{})",
        which(last),
        r.checkpoint.stage,
        r.stage_name,
        r.checkpoint.epoch,
        r.checkpoint.dir
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

fn as_json(r: &EvalReport, last: bool) -> serde_json::Value {
    json!({
        "run": r.run_dir,
        "checkpoint": {
            "which": which(last),
            "dir": r.checkpoint.dir,
            "stage": r.checkpoint.stage,
            "epoch": r.checkpoint.epoch,
        },
        "stage_name": r.stage_name,
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
