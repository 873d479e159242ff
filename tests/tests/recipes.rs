//! Every recipe in `models/` runs end to end (one epoch per stage on a small subset) and leaves a
//! complete run folder; `ae eval` on that folder reproduces the accuracy in its metrics.json.

use ae_e2e::{
    Scratch, assert_complete_run, models_dir, read_json, run_folder, write_cifar,
    write_fashion_lookalike,
};

/// Trains `recipe` with `extra` arguments, checks the run folder, then evaluates it.
fn train_and_eval(recipe: &str, stages: usize, extra: &[&str]) {
    let scratch = Scratch::new();
    let recipe_path = models_dir().join(format!("{recipe}.toml"));
    let recipe_path = recipe_path.to_str().expect("utf-8 path");
    let mut args = vec![
        "train",
        recipe_path,
        "--epochs",
        "1",
        "--quiet",
        "--offline",
    ];
    args.extend_from_slice(extra);
    let stdout = scratch.ae_ok(&args);
    assert!(stdout.contains("final test accuracy: "), "{stdout}");
    let run = run_folder(&stdout, scratch.path());
    assert!(
        run.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(recipe),
        "run folder {} is not named after {recipe}",
        run.display()
    );
    let metrics = assert_complete_run(&run, stages, 1);
    assert_eq!(metrics["status"], "completed");
    let trained = metrics["test_accuracy"]
        .as_f64()
        .expect("metrics.json test_accuracy");
    assert!((0.0..=1.0).contains(&trained));

    // Same data options as training; the run folder holds the recipe (and any overrides).
    let run_str = run.to_str().expect("utf-8 path");
    let mut eval_args = vec!["eval", run_str, "--json", "--offline"];
    for (i, a) in extra.iter().enumerate() {
        if *a == "--data-dir" {
            eval_args.extend_from_slice(&["--data-dir", extra[i + 1]]);
        }
        if *a == "--accept-unverified" {
            eval_args.push("--accept-unverified");
        }
    }
    let report: serde_json::Value =
        serde_json::from_str(&scratch.ae_ok(&eval_args)).expect("eval --json prints JSON");
    let evaluated = report["test_accuracy"]
        .as_f64()
        .expect("eval test_accuracy");
    assert!(
        (evaluated - trained).abs() < 1e-12,
        "{recipe}: ae eval gives {evaluated}, metrics.json says {trained}"
    );
    assert_eq!(report["kind"], "classification");
    assert_eq!(report["checkpoint"]["stage"].as_u64(), Some(stages as u64));
    let per_class = report["per_class_accuracy"].as_array().expect("per-class");
    assert_eq!(per_class.len(), 10);
    assert_eq!(
        &report["per_class_accuracy"], &metrics["per_class_accuracy"],
        "per-class accuracy differs between eval and metrics.json"
    );

    // The human-readable form prints the same accuracy.
    let text = scratch.ae_ok(
        &["eval", run_str, "--offline"]
            .iter()
            .copied()
            .chain(eval_args[4..].iter().copied())
            .collect::<Vec<_>>(),
    );
    let expected = format!("test accuracy: {:.2}%", 100.0 * trained);
    assert!(text.contains(&expected), "{expected:?} not in:\n{text}");
}

/// Where a recipe's data comes from.
enum Data {
    /// The bundled `mnist-mini`: no data options.
    Bundled,
    /// A Fashion-MNIST folder in the real format (the bundled digits under Fashion-MNIST's
    /// names): `--data-dir <it> --accept-unverified`.
    FashionLookalike,
    /// Generated CIFAR-10 files with this many records each: `--data-dir <it>`.
    Cifar(usize),
}

/// [`train_and_eval`] with the `subset` arguments, then the options of `data`.
fn train_and_eval_on(recipe: &str, stages: usize, data: Data, subset: &[&str]) {
    let scratch = Scratch::new();
    let data_args: Vec<String> = match data {
        Data::Bundled => Vec::new(),
        Data::FashionLookalike => {
            let dir = scratch.subdir("fashion");
            write_fashion_lookalike(&dir);
            let dir = dir.to_str().unwrap().to_string();
            vec!["--data-dir".into(), dir, "--accept-unverified".into()]
        }
        Data::Cifar(per_file) => {
            let dir = scratch.subdir("cifar");
            write_cifar(&dir, per_file);
            vec!["--data-dir".into(), dir.to_str().unwrap().to_string()]
        }
    };
    let mut args = subset.to_vec();
    args.extend(data_args.iter().map(String::as_str));
    train_and_eval(recipe, stages, &args);
}

/// One test per recipe: `test_name: "recipe", stages, data, [subset arguments];`.
macro_rules! recipe_tests {
    ($($test:ident: $recipe:literal, $stages:literal, $data:expr, [$($arg:literal),*];)*) => {
        $(
            #[test]
            fn $test() {
                train_and_eval_on($recipe, $stages, $data, &[$($arg),*]);
            }
        )*
    };
}

recipe_tests! {
    stacked_mnist: "stacked-mnist", 3, Data::Bundled, ["--limit", "300"];
    stacked_mnist_adam: "stacked-mnist-adam", 3, Data::Bundled, ["--limit", "300"];
    stacked_mnist_end_to_end: "stacked-mnist-end-to-end", 3, Data::Bundled, ["--limit", "300"];
    stacked_fashion_mnist_on_files_in_the_real_format:
        "stacked-fashion-mnist", 3, Data::FashionLookalike, ["--limit", "300"];
    denoising_sparse_mnist: "denoising-sparse-mnist", 2, Data::Bundled, ["--limit", "300"];
    denoising_sparse_mnist_kl: "denoising-sparse-mnist-kl", 2, Data::Bundled, ["--limit", "300"];
    denoising_sparse_mnist_kl_tuned:
        "denoising-sparse-mnist-kl-tuned", 2, Data::Bundled, ["--limit", "300"];
    denoising_sparse_mnist_l1_scaled:
        "denoising-sparse-mnist-l1-scaled", 2, Data::Bundled, ["--limit", "300"];
    lenet_mnist: "lenet-mnist", 1, Data::Bundled, ["--limit", "300", "--test-limit", "500"];
    lenet_mnist_adam:
        "lenet-mnist-adam", 1, Data::Bundled, ["--limit", "300", "--test-limit", "500"];
    conv_ae_cifar10_on_generated_cifar_files:
        "conv-ae-cifar10", 2, Data::Cifar(20), ["--limit", "48", "--test-limit", "20"];
    conv_ae_fashion_mnist_on_files_in_the_real_format:
        "conv-ae-fashion-mnist", 2, Data::FashionLookalike, ["--limit", "48", "--test-limit", "30"];
    conv_ae_fashion_mnist_sigmoid_on_files_in_the_real_format:
        "conv-ae-fashion-mnist-sigmoid", 2, Data::FashionLookalike,
        ["--limit", "48", "--test-limit", "30"];
}

#[test]
fn every_recipe_in_models_is_tested_here() {
    let source = include_str!("recipes.rs");
    let mut names: Vec<String> = std::fs::read_dir(models_dir())
        .expect("models/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 6, "{names:?}");
    for name in names {
        assert!(
            source.contains(&format!("\"{name}\",")),
            "models/{name}.toml has no end-to-end test"
        );
        // and the run folder's recipe is the file's, so names must match.
        let text = std::fs::read_to_string(models_dir().join(format!("{name}.toml"))).unwrap();
        assert!(
            text.contains(&format!("name = \"{name}\"")),
            "{name}: name key"
        );
    }
}

#[test]
fn the_run_folder_records_the_overrides() {
    let scratch = Scratch::new();
    let run = scratch.train_quick(
        "lenet-mnist",
        "200",
        "100",
        &["--seed", "7", "--quiet", "--out", "elsewhere"],
    );
    assert!(
        run.starts_with(scratch.path().join("elsewhere")),
        "{}",
        run.display()
    );
    let recipe = std::fs::read_to_string(run.join("recipe.toml")).unwrap();
    assert!(recipe.contains("seed = 7"), "{recipe}");
    assert!(recipe.contains("limit = 200"), "{recipe}");
    let manifest = read_json(&run.join("manifest.json"));
    assert_eq!(manifest["dataset"]["train_samples"], 200);
    assert_eq!(manifest["dataset"]["test_samples"], 100);
    assert_eq!(manifest["backend"], "flex");
}

/// A variational autoencoder recipe: one epoch on a subset leaves a complete run folder whose
/// metrics hold the test loss in nats and its parts, and `ae eval` gives the same loss and the
/// same importance-weighted likelihood estimate, tighter than the ELBO's (β = 1).
/// `vae`: the model's pixels and latent units, and the subset (training images, test images)
/// and importance samples the test uses (a conv VAE decodes ~3 ms per image and sample).
struct VaeCase {
    pixels: usize,
    latent: u64,
    limit: &'static str,
    test_limit: &'static str,
    samples: &'static str,
}

const DENSE: VaeCase = VaeCase {
    pixels: 784,
    latent: 20,
    limit: "1000",
    test_limit: "300",
    samples: "100",
};

fn train_and_eval_vae(recipe: &str, data: Data, beta: f64, vae: VaeCase) {
    let scratch = Scratch::new();
    let recipe_path = models_dir().join(format!("{recipe}.toml"));
    let mut args: Vec<String> = [
        "train",
        recipe_path.to_str().unwrap(),
        "--epochs",
        "1",
        "--limit",
        vae.limit,
        "--test-limit",
        vae.test_limit,
        "--samples",
        vae.samples,
        "--quiet",
        "--offline",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut data_args = Vec::new();
    if let Data::FashionLookalike = data {
        let dir = scratch.subdir("fashion");
        write_fashion_lookalike(&dir);
        data_args = vec![
            "--data-dir".to_string(),
            dir.to_str().unwrap().to_string(),
            "--accept-unverified".to_string(),
        ];
    }
    args.extend(data_args.iter().cloned());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let stdout = scratch.ae_ok(&args);
    assert!(
        stdout.contains("final test loss (negative ELBO): "),
        "{stdout}"
    );
    let run = run_folder(&stdout, scratch.path());
    let metrics = assert_complete_run(&run, 1, 1);
    let loss = metrics["test_loss"]
        .as_f64()
        .expect("metrics.json test_loss");
    let (recon, kl) = (
        metrics["test_recon"].as_f64().unwrap(),
        metrics["test_kl"].as_f64().unwrap(),
    );
    assert!((loss - (recon + beta * kl)).abs() < 1e-9, "{metrics}");
    // Below the loss of an untrained decoder (pixels · ln 2, 543 nats for 784) after one epoch.
    let untrained = vae.pixels as f64 * std::f64::consts::LN_2;
    assert!(loss > 0.0 && loss < untrained, "{loss} vs {untrained}");
    let iw = metrics["iw_nll"].as_f64().expect("metrics.json iw_nll");
    assert_eq!(metrics["iw_samples"].to_string(), vae.samples);
    // The bound is tighter than the β = 1 ELBO, recon + KL.
    assert!(
        iw < recon + kl,
        "IW estimate {iw} should be below the ELBO {}",
        recon + kl
    );
    for epoch in ["samples-001.png", "reconstruction-001.png"] {
        assert!(run.join("grids").join(epoch).is_file(), "grids/{epoch}");
    }

    let run_str = run.to_str().unwrap();
    let mut eval = vec![
        "eval",
        run_str,
        "--json",
        "--offline",
        "--samples",
        vae.samples,
    ];
    eval.extend(data_args.iter().map(String::as_str));
    let report: serde_json::Value = serde_json::from_str(&scratch.ae_ok(&eval)).unwrap();
    assert_eq!(report["kind"], "reconstruction");
    assert!(
        (report["test_loss"].as_f64().unwrap() - loss).abs() < 1e-9,
        "{report}"
    );
    assert!(
        (report["iw_nll"].as_f64().unwrap() - iw).abs() < 1e-9,
        "{report}"
    );
    assert!(report["active_units"].as_u64().unwrap() <= vae.latent);
    let mut text = vec!["eval", run_str, "--offline", "--samples", "5"];
    text.extend(data_args.iter().map(String::as_str));
    let text = scratch.ae_ok(&text);
    assert!(
        text.contains("importance-weighted estimate with 5 samples"),
        "{text}"
    );
}

#[test]
fn vae_mnist() {
    train_and_eval_vae("vae-mnist", Data::Bundled, 1.0, DENSE);
}

#[test]
fn vae_fashion_mnist_on_files_in_the_real_format() {
    train_and_eval_vae("vae-fashion-mnist", Data::FashionLookalike, 1.0, DENSE);
}

#[test]
fn beta_vae_mnist() {
    let beta = VaeCase {
        latent: 10,
        ..DENSE
    };
    train_and_eval_vae("beta-vae-mnist", Data::Bundled, 4.0, beta);
}

#[test]
fn conv_vae_fashion_mnist_on_files_in_the_real_format() {
    let conv = VaeCase {
        pixels: 1024,
        latent: 32,
        limit: "512",
        test_limit: "100",
        samples: "10",
    };
    train_and_eval_vae("conv-vae-fashion-mnist", Data::FashionLookalike, 1.0, conv);
}
