//! `ae train`: run a recipe (or resume a run) and summarise the result.

use ae_report::grids::GridScale;
use ae_train::{
    Interrupt, Manifest, MetricsFile, Overrides, RunOptions, RunSummary, read_json, resume, train,
};
use anyhow::{Result, bail};

use crate::cli::TrainArgs;
use crate::recipes::{self, DEFAULT_RECIPE};
use crate::report::{per_class_lines, percent};

pub fn run(args: TrainArgs) -> Result<()> {
    let overrides = Overrides {
        epochs: args.epochs,
        seed: args.seed,
        limit: args.limit,
        test_limit: args.test_limit,
        dataset: args.dataset.clone(),
        test_fraction: args.test_fraction,
    };
    let device = args.device.device.open()?;
    let mut options = RunOptions::new(device);
    options.data = args.data.locator();
    options.data.show_progress = !args.quiet;
    options.out_dir = args.out.clone();
    options.overrides = overrides;
    let scale = if args.scale_each {
        GridScale::Tile
    } else {
        GridScale::Grid
    };
    options.observers = ae_report::observers(!args.quiet, scale);
    if !args.no_tensorboard {
        // After the grids' observer: it logs the pictures that one draws.
        options
            .observers
            .push(std::sync::Arc::new(ae_report::TensorBoard::new()));
    }
    options.interrupt = interrupt_on_signals();
    options.interrupt_after_steps = args.interrupt_after_steps;
    options.init = args.init.clone();
    options.iw_samples = args.samples;

    let summary = match (&args.resume, &args.recipe) {
        (Some(run_dir), None) => {
            if options.overrides != Overrides::default() {
                bail!(
                    "--resume continues a run with its own recipe; --epochs, --seed, --limit, --test-limit, --dataset and --test-fraction cannot be changed"
                );
            }
            status(&args, &format!("resuming {}", run_dir.display()));
            resume(run_dir, &options)?
        }
        (resume_dir, recipe) => {
            let loaded = recipes::load(recipe.as_deref().unwrap_or(DEFAULT_RECIPE))?;
            let mut effective = loaded.recipe.clone();
            effective.apply_overrides(&options.overrides);
            effective.validate()?;
            options.resume = resume_dir.clone();
            status(
                &args,
                &format!(
                    "{} {} ({}) on {}, device {}",
                    if resume_dir.is_some() {
                        "resuming"
                    } else {
                        "training"
                    },
                    effective.name,
                    loaded.origin,
                    effective.dataset,
                    args.device.device.name(),
                ),
            );
            train(&loaded.recipe, &options)?
        }
    };
    print_summary(&summary);
    Ok(())
}

/// An interrupt handle that the first Ctrl-C / SIGTERM requests (the second quits at once).
fn interrupt_on_signals() -> Interrupt {
    let interrupt = Interrupt::new();
    let requested = interrupt.clone();
    if !ae_runtime::on_interrupt_signals(move || requested.request()) {
        eprintln!("note: another Ctrl-C handler is installed; interrupts are not caught here");
    }
    interrupt
}

fn status(args: &TrainArgs, line: &str) {
    if !args.quiet {
        eprintln!("{line}");
    }
}

fn print_summary(summary: &RunSummary) {
    let m = &summary.final_metrics;
    let at = match (m.stage, m.epoch) {
        (Some(stage), Some(epoch)) => format!(" (stage {stage}, epoch {epoch})"),
        _ => String::new(),
    };
    if let Some(acc) = m.test_accuracy {
        println!("final test accuracy: {}{at}", percent(acc));
        if let Some(per_class) = &m.per_class_accuracy {
            // The run folder's metrics name the classes.
            let names: Option<Vec<String>> =
                read_json::<MetricsFile>(&summary.run_dir.join("metrics.json"))
                    .ok()
                    .map(|m| m.class_names);
            for line in per_class_lines(per_class, names.as_deref()) {
                println!("  {line}");
            }
        }
    } else if let Some(loss) = m.test_loss {
        println!(
            "final test loss (negative ELBO): {loss:.4} nats/image{at} = reconstruction {:.4} + KL {:.4}",
            m.test_recon.unwrap_or(f64::NAN),
            m.test_kl.unwrap_or(f64::NAN)
        );
        if let (Some(nll), Some(samples)) = (m.iw_nll, m.iw_samples) {
            println!(
                "-log p(x) of the test set, importance-weighted with {samples} samples: {nll:.4} nats/image"
            );
        }
    } else if let Some(mse) = m.test_mse {
        println!("final test MSE: {mse:.6}{at}");
    }
    if let Some(best) = &summary.best {
        println!(
            "best checkpoint: stage {}, epoch {} (checkpoints/{})",
            best.stage, best.epoch, best.dir
        );
    }
    if let Ok(manifest) = read_json::<Manifest>(&summary.run_dir.join("manifest.json"))
        && !manifest.dataset.skipped.is_empty()
    {
        let skipped = &manifest.dataset.skipped;
        println!(
            "skipped {} unreadable picture(s) (--skip-unreadable; listed in manifest.json), first: {}: {}",
            skipped.len(),
            skipped[0].file.display(),
            skipped[0].reason
        );
    }
    println!("training time: {:.1} s", summary.train_seconds);
    println!("report: {}", summary.report.display());
    println!("run: {}", summary.run_dir.display());
}
