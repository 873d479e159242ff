//! wgpu tests (ignored by default: the default build has no wgpu backend).
//!
//! Run them after a wgpu build:
//! ```sh
//! cargo build --release --features wgpu
//! cargo test --release -p ae-e2e --test wgpu -- --ignored --nocapture
//! ```
//! They need a wgpu adapter: a GPU, or Mesa's software Vulkan (`apt-get install -y
//! mesa-vulkan-drivers libvulkan1`, with `__EGL_VENDOR_LIBRARY_FILENAMES=/nonexistent
//! XDG_RUNTIME_DIR=/tmp CUBECL_AUTOTUNE_LEVEL=minimal`). Where none exists the smoke test checks
//! that the binary says so in one line and points to the CPU backend.
//! `AE_WGPU_RECIPES=name,name` limits the recipe test to those recipes.

use std::path::{Path, PathBuf};
use std::time::Instant;

use ae_e2e::{
    Scratch, assert_clean_failure, assert_complete_run, models_dir, quick_train_args, read_json,
    run_folder, write_cifar, write_fashion_lookalike,
};

#[test]
#[ignore = "needs `cargo build --release --features wgpu`; minutes of shader compilation on a software adapter"]
fn lenet_trains_a_few_steps_on_wgpu_or_says_there_is_no_adapter() {
    let scratch = Scratch::new();
    let out = scratch.ae(&quick_train_args(
        "lenet-mnist",
        "300",
        "200",
        &["--quiet", "--offline", "--device", "wgpu"],
    ));
    if out.status.success() {
        let run = run_folder(&String::from_utf8_lossy(&out.stdout), scratch.path());
        let metrics = assert_complete_run(&run, 1, 1);
        let manifest = ae_e2e::read_json(&run.join("manifest.json"));
        assert_eq!(manifest["backend"], "wgpu");
        let loss = metrics["epochs"][0]["train_loss"].as_f64().unwrap();
        assert!(loss.is_finite() && loss < 2.5, "train loss {loss}");
    } else {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("built without wgpu"),
            "this test needs a wgpu build: cargo build --release --features wgpu"
        );
        assert_clean_failure(&out, &["wgpu", "--device flex"]);
    }
}

/// The first stage's losses on wgpu equal flex's to this, relative to the loss (at least 1 in
/// absolute terms for losses below 1). Both start from the same weights and see the same
/// batches, noise and ε (drawn on the CPU from the recipe's seed); what differs is the order of
/// f32 sums in the kernels.
const RELATIVE_TOLERANCE: f64 = 2e-3;

/// Training images per recipe: a couple of steps at the recipe's batch size (the batch is the
/// subset when the subset is smaller, as for the conv autoencoders' 2000, whose second stage
/// gives the flex run its interrupted step). The conv VAE has one stage at batch 128, so it
/// needs two batches for a step to be interrupted after.
fn limit_for(recipe: &str) -> &'static str {
    if recipe.starts_with("conv-vae-") {
        "256"
    } else if recipe.starts_with("conv-") {
        "64"
    } else {
        "200"
    }
}

fn text(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// The one run folder `ae train --out out` wrote.
fn only_run(out: &Path) -> PathBuf {
    let runs: Vec<PathBuf> = std::fs::read_dir(out)
        .unwrap_or_else(|e| panic!("{}: {e}", out.display()))
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(runs.len(), 1, "runs in {}: {runs:?}", out.display());
    runs[0].clone()
}

/// The recipe's `dataset = "..."` value.
fn dataset_of(recipe: &Path) -> String {
    let toml = std::fs::read_to_string(recipe).expect("recipe");
    toml.lines()
        .find_map(|l| l.strip_prefix("dataset = \""))
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("{}: no dataset line", recipe.display()))
        .to_string()
}

/// Every recipe of `models/` trains on wgpu from the weights flex starts from and reaches
/// flex's first losses. For each recipe: one flex step, interrupted, exported as PyTorch
/// weights (the common initial weights: Burn's random initialisation differs per backend);
/// then one epoch per stage on a small subset from those weights, on flex and on wgpu. The
/// first stage's train and test losses must agree to [`RELATIVE_TOLERANCE`]; the later stages
/// (whose new layers start from each backend's own random draws) must complete.
#[test]
#[ignore = "needs `cargo build --release --features wgpu` and a wgpu adapter; ~10+ minutes on lavapipe"]
fn every_recipe_trains_on_wgpu_to_flexs_first_losses_from_the_same_weights() {
    // One scratch folder for all recipes: the kernels compiled by one run are cached (in
    // ./target/environment/) for the next.
    let scratch = Scratch::new();
    let fashion = scratch.subdir("fashion");
    write_fashion_lookalike(&fashion);
    let cifar = scratch.subdir("cifar");
    write_cifar(&cifar, 20);
    let mut recipes: Vec<PathBuf> = std::fs::read_dir(models_dir())
        .expect("models/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    recipes.sort();
    assert!(recipes.len() >= 17, "{recipes:?}");
    // `AE_WGPU_RECIPES=lenet-mnist,vae-mnist` runs those only (each name must be a recipe).
    if let Ok(only) = std::env::var("AE_WGPU_RECIPES") {
        let wanted: Vec<&str> = only.split(',').map(str::trim).collect();
        for name in &wanted {
            assert!(
                recipes
                    .iter()
                    .any(|r| r.file_stem().is_some_and(|s| s == *name)),
                "AE_WGPU_RECIPES: no recipe {name} in models/"
            );
        }
        recipes.retain(|r| {
            wanted
                .iter()
                .any(|name| r.file_stem().is_some_and(|s| s == *name))
        });
    }
    let mut report = Vec::new();
    for recipe in &recipes {
        let name = recipe.file_stem().unwrap().to_string_lossy().into_owned();
        let mut data: Vec<&str> = match dataset_of(recipe).as_str() {
            "fashion-mnist" => vec!["--data-dir", text(&fashion), "--accept-unverified"],
            "cifar10" => vec!["--data-dir", text(&cifar)],
            "mnist-mini" => vec![],
            other => panic!("{name}: no test data for dataset {other}"),
        };
        data.extend(["--quiet", "--offline", "--no-tensorboard", "--samples", "0"]);
        let limit = limit_for(&name);
        let train = |device: &str, out: &Path, extra: &[&str]| {
            let mut args = quick_train_args(&name, limit, "100", &data);
            args.extend(["--device", device, "--out", text(out)]);
            args.extend_from_slice(extra);
            scratch.ae(&args)
        };

        // The initial weights: flex's after one step.
        let first = scratch.subdir(&format!("{name}-first"));
        let out = train("flex", &first, &["--interrupt-after-steps", "1"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("interrupted"), "{name}: {stderr}");
        let init = scratch.path().join(format!("{name}-init.safetensors"));
        scratch.ae_ok(&[
            "export",
            text(&only_run(&first)),
            "--checkpoint",
            "last",
            "--out",
            text(&init),
        ]);

        let mut losses = Vec::new();
        let mut seconds = Vec::new();
        for device in ["flex", "wgpu"] {
            let folder = scratch.subdir(&format!("{name}-{device}"));
            let start = Instant::now();
            let out = train(device, &folder, &["--init", text(&init)]);
            seconds.push(start.elapsed().as_secs_f64());
            assert!(
                out.status.success(),
                "{name} on {device} failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let run = only_run(&folder);
            let manifest = read_json(&run.join("manifest.json"));
            assert_eq!(manifest["backend"], device, "{name}");
            let stages = manifest["stages"].as_array().map(Vec::len).unwrap_or(0);
            let metrics = assert_complete_run(&run, stages, 1);
            let epoch = &metrics["epochs"][0];
            let loss = |key: &str| {
                epoch[key]
                    .as_f64()
                    .unwrap_or_else(|| panic!("{name} on {device}: no {key} in {epoch}"))
            };
            losses.push([loss("train_loss"), loss("test_loss")]);
        }
        let (flex, wgpu) = (losses[0], losses[1]);
        let differences = [0, 1].map(|i| (wgpu[i] - flex[i]).abs() / flex[i].abs().max(1.0));
        let line = format!(
            "{name}: train loss flex {:.6} wgpu {:.6}, test loss flex {:.6} wgpu {:.6}, \
             relative differences {:.1e} / {:.1e}; flex {:.1} s, wgpu {:.1} s",
            flex[0],
            wgpu[0],
            flex[1],
            wgpu[1],
            differences[0],
            differences[1],
            seconds[0],
            seconds[1]
        );
        eprintln!("{line}");
        report.push((line, differences));
    }
    let failures: Vec<&String> = report
        .iter()
        .filter(|(_, d)| d.iter().any(|&d| !(d <= RELATIVE_TOLERANCE)))
        .map(|(line, _)| line)
        .collect();
    assert!(
        failures.is_empty(),
        "wgpu's first losses differ from flex's by more than {RELATIVE_TOLERANCE}:\n{failures:#?}"
    );
}
