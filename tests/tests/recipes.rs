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

#[test]
fn stacked_mnist() {
    train_and_eval("stacked-mnist", 3, &["--limit", "300"]);
}

#[test]
fn stacked_mnist_adam() {
    train_and_eval("stacked-mnist-adam", 3, &["--limit", "300"]);
}

#[test]
fn stacked_mnist_end_to_end() {
    train_and_eval("stacked-mnist-end-to-end", 3, &["--limit", "300"]);
}

#[test]
fn stacked_fashion_mnist_on_files_in_the_real_format() {
    let scratch = Scratch::new();
    let data = scratch.subdir("fashion");
    write_fashion_lookalike(&data);
    let data = data.to_str().unwrap().to_string();
    train_and_eval(
        "stacked-fashion-mnist",
        3,
        &["--limit", "300", "--data-dir", &data, "--accept-unverified"],
    );
}

#[test]
fn denoising_sparse_mnist() {
    train_and_eval("denoising-sparse-mnist", 2, &["--limit", "300"]);
}

#[test]
fn denoising_sparse_mnist_kl() {
    train_and_eval("denoising-sparse-mnist-kl", 2, &["--limit", "300"]);
}

#[test]
fn denoising_sparse_mnist_kl_tuned() {
    train_and_eval("denoising-sparse-mnist-kl-tuned", 2, &["--limit", "300"]);
}

#[test]
fn denoising_sparse_mnist_l1_scaled() {
    train_and_eval("denoising-sparse-mnist-l1-scaled", 2, &["--limit", "300"]);
}

#[test]
fn lenet_mnist() {
    train_and_eval("lenet-mnist", 1, &["--limit", "300", "--test-limit", "500"]);
}

#[test]
fn lenet_mnist_adam() {
    train_and_eval(
        "lenet-mnist-adam",
        1,
        &["--limit", "300", "--test-limit", "500"],
    );
}

#[test]
fn conv_ae_cifar10_on_generated_cifar_files() {
    let scratch = Scratch::new();
    let data = scratch.subdir("cifar");
    write_cifar(&data, 20);
    let data = data.to_str().unwrap().to_string();
    train_and_eval(
        "conv-ae-cifar10",
        2,
        &["--limit", "48", "--test-limit", "20", "--data-dir", &data],
    );
}

#[test]
fn conv_ae_fashion_mnist_on_files_in_the_real_format() {
    let scratch = Scratch::new();
    let data = scratch.subdir("fashion");
    write_fashion_lookalike(&data);
    let data = data.to_str().unwrap().to_string();
    train_and_eval(
        "conv-ae-fashion-mnist",
        2,
        &[
            "--limit",
            "48",
            "--test-limit",
            "30",
            "--data-dir",
            &data,
            "--accept-unverified",
        ],
    );
}

#[test]
fn conv_ae_fashion_mnist_sigmoid_on_files_in_the_real_format() {
    let scratch = Scratch::new();
    let data = scratch.subdir("fashion");
    write_fashion_lookalike(&data);
    let data = data.to_str().unwrap().to_string();
    train_and_eval(
        "conv-ae-fashion-mnist-sigmoid",
        2,
        &[
            "--limit",
            "48",
            "--test-limit",
            "30",
            "--data-dir",
            &data,
            "--accept-unverified",
        ],
    );
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
    let stdout = scratch.ae_ok(&[
        "train",
        "lenet-mnist",
        "--epochs",
        "1",
        "--limit",
        "200",
        "--test-limit",
        "100",
        "--seed",
        "7",
        "--quiet",
        "--out",
        "elsewhere",
    ]);
    let run = run_folder(&stdout, scratch.path());
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
