//! `ae eval`: measure a run's checkpoint on the test set.

use ae_train::{EvalOptions, EvalReport, Which, evaluate};
use anyhow::Result;
use serde_json::json;

use crate::cli::EvalArgs;
use crate::report::{print_test_report, test_report_json};

pub fn run(args: EvalArgs) -> Result<()> {
    if let Some(weights) = &args.weights {
        return crate::weights::eval_weights(&args, weights);
    }
    let Some(run) = args.run.clone() else {
        anyhow::bail!("ae eval needs a RUN_FOLDER, or --weights FILE with --recipe RECIPE");
    };
    let mut options = EvalOptions::new(args.device.device.open()?);
    options.data = args.data.locator();
    options.dataset = args.dataset.clone();
    options.checkpoint = if args.last { Which::Last } else { Which::Best };
    options.test_limit = args.test_limit;
    options.samples = args.samples;
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
        r.test.stage_name,
        r.checkpoint.epoch,
        r.checkpoint.dir
    );
    print_test_report(&r.test);
}

fn as_json(r: &EvalReport, last: bool) -> serde_json::Value {
    let mut head = serde_json::Map::new();
    head.insert("run".into(), json!(r.run_dir));
    head.insert(
        "checkpoint".into(),
        json!({
            "which": which(last),
            "dir": r.checkpoint.dir,
            "stage": r.checkpoint.stage,
            "epoch": r.checkpoint.epoch,
        }),
    );
    test_report_json(head, &r.test)
}
