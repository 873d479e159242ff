//! `ae bench`: time training steps and one epoch per recipe and stage.

use ae_train::{BenchOptions, BenchRow, bench};
use anyhow::Result;

use crate::cli::BenchArgs;
use crate::recipes::{self, DEFAULT_RECIPE};

pub fn run(args: BenchArgs) -> Result<()> {
    let names = if args.recipes.is_empty() {
        vec![DEFAULT_RECIPE.to_string()]
    } else {
        args.recipes.clone()
    };
    // Read every recipe first: a typo in the last one should not cost the first one's timing.
    let loaded = names
        .iter()
        .map(|n| recipes::load(n))
        .collect::<Result<Vec<_>>>()?;
    let mut options = BenchOptions::new(args.device.device.open()?);
    options.data = args.data.locator();
    options.steps = args.steps;
    options.warmup = args.warmup;
    options.limit = args.limit;
    let mut rows = Vec::new();
    for l in &loaded {
        let mut recipe = l.recipe.clone();
        if let Some(dataset) = &args.dataset {
            recipe.apply_overrides(&ae_train::Overrides {
                dataset: Some(dataset.clone()),
                ..ae_train::Overrides::default()
            });
            recipe.validate()?;
        }
        if !args.json {
            eprintln!(
                "timing {} ({}) on {}",
                l.stem,
                l.origin,
                args.device.device.name()
            );
        }
        for mut row in bench(&recipe, &options)? {
            // Rows name the recipe by its file stem, as scripts pass it.
            row.recipe = l.stem.clone();
            if !args.json {
                print_row(&row, rows.is_empty());
            }
            rows.push(row);
        }
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    }
    Ok(())
}

fn print_row(row: &BenchRow, header: bool) {
    if header {
        println!(
            "roof: one 1024×1024×1024 f32 matrix product reaches {:.1} GFLOP/s on this device",
            row.matmul_gflops
        );
        println!("matrix products: {}", row.matmul_library);
        println!(
            "{:<26} {:<34} {:<8} {:>6} {:>11} {:>11} {:>11} {:>9} {:>10} {:>7} {:>8} {:>7} {:>8}",
            "recipe",
            "stage",
            "backend",
            "batch",
            "step med",
            "step min",
            "step max",
            "epoch s",
            "samples/s",
            "data s",
            "GFLOP/s",
            "of roof",
            "peak MB"
        );
    }
    println!(
        "{:<26} {:<34} {:<8} {:>6} {:>11} {:>11} {:>11} {:>9.2} {:>10.0} {:>7.2} {:>8.1} {:>6.0}% {:>8}",
        row.recipe,
        row.stage,
        row.backend,
        row.batch,
        duration(row.step_median_s),
        duration(row.step_min_s),
        duration(row.step_max_s),
        row.epoch_s,
        row.samples_per_s,
        row.data_load_s,
        row.step_gflops,
        100.0 * row.step_gflops / row.matmul_gflops,
        row.peak_rss_bytes
            .map(|b| format!("{:.0}", b as f64 / 1e6))
            .unwrap_or_else(|| "-".into())
    );
}

/// Seconds as `12.3 ms` or `1.23 s`.
fn duration(seconds: f64) -> String {
    if seconds < 1.0 {
        format!("{:.2} ms", seconds * 1e3)
    } else {
        format!("{seconds:.3} s")
    }
}
