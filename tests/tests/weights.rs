//! Weights in and out of PyTorch through the binary: `ae export`, `ae eval --weights`,
//! `ae train --init`, and their errors.

use std::path::{Path, PathBuf};

use ae_e2e::{Scratch, assert_clean_failure, read_json, run_folder, write_fashion_lookalike};
use serde_json::Value;

/// The PyTorch fixtures committed with ae-models.
fn pytorch_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../crates/ae-models/tests/fixtures/pytorch")
        .join(name)
}

/// This package's own test data.
fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

fn text(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// The JSON header of a safetensors file: `{key: {dtype, shape, data_offsets}, "__metadata__": {...}}`.
fn safetensors_header(path: &Path) -> Value {
    let bytes = std::fs::read(path).expect("read");
    let len = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) as usize;
    serde_json::from_slice(&bytes[8..8 + len]).expect("JSON header")
}

fn shape(header: &Value, key: &str) -> Vec<u64> {
    header[key]["shape"]
        .as_array()
        .unwrap_or_else(|| panic!("no key {key} in {header}"))
        .iter()
        .map(|d| d.as_u64().expect("dim"))
        .collect()
}

fn json(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

/// `eval --weights FILE --recipe RECIPE` followed by `extra`.
fn eval_weights_args<'a>(file: &'a Path, recipe: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["eval", "--weights", text(file), "--recipe", recipe];
    args.extend_from_slice(extra);
    args
}

/// Runs [`eval_weights_args`] with `ae`, asserts success and returns stdout.
fn eval_weights(scratch: &Scratch, file: &Path, recipe: &str, extra: &[&str]) -> String {
    scratch.ae_ok(&eval_weights_args(file, recipe, extra))
}

#[test]
fn an_exported_run_evaluates_to_the_runs_own_accuracy() {
    let scratch = Scratch::new();
    let run = scratch.train_quick("lenet-mnist", "600", "300", &["-q"]);
    let run_eval = json(&scratch.ae_ok(&["eval", text(&run), "--json"]));

    let file = scratch.path().join("lenet.safetensors");
    let out = scratch.ae_ok(&["export", text(&run), "--out", text(&file)]);
    assert!(out.contains("stage 1 'lenet5'"), "{out}");
    let header = safetensors_header(&file);
    assert_eq!(shape(&header, "conv1.weight"), [6, 1, 5, 5]);
    assert_eq!(shape(&header, "fc1.weight"), [120, 400]);
    assert_eq!(shape(&header, "fc3.bias"), [10]);
    assert_eq!(header.as_object().expect("object").len(), 11, "{header}");
    let metadata = &header["__metadata__"];
    assert_eq!(metadata["recipe"], "lenet-mnist");
    assert_eq!(metadata["stage"], "1");
    assert_eq!(metadata["architecture"], "LeNet-5, 10 classes");
    assert_eq!(metadata["resize"], "\"bilinear32\"");

    let weights_eval = json(&eval_weights(
        &scratch,
        &file,
        "lenet-mnist",
        &["--test-limit", "300", "--json"],
    ));
    assert_eq!(weights_eval["format"], "safetensors");
    assert_eq!(weights_eval["stage"], 1);
    assert_eq!(weights_eval["samples"], 300);
    assert_eq!(weights_eval["test_accuracy"], run_eval["test_accuracy"]);
    assert_eq!(weights_eval["test_loss"], run_eval["test_loss"]);
    assert_eq!(
        weights_eval["confusion_matrix"],
        run_eval["confusion_matrix"]
    );
}

#[test]
fn a_greedy_stacked_run_exports_its_classifier_and_the_notebook_autoencoders_evaluate() {
    let scratch = Scratch::new();
    let run = scratch.train_quick("stacked-mnist", "300", "200", &["-q"]);
    let file = scratch.path().join("classifier.safetensors");
    scratch.ae_ok(&[
        "export",
        text(&run),
        "--checkpoint",
        "last",
        "--out",
        text(&file),
    ]);
    let header = safetensors_header(&file);
    assert_eq!(shape(&header, "0.0.weight"), [400, 784]);
    assert_eq!(shape(&header, "0.2.weight"), [256, 400]);
    assert_eq!(shape(&header, "classifier.0.weight"), [10, 256]);
    assert_eq!(header["__metadata__"]["stage"], "3");
    let run_eval = json(&scratch.ae_ok(&["eval", text(&run), "--last", "--json"]));
    let weights_eval = json(&eval_weights(
        &scratch,
        &file,
        "stacked-mnist",
        &["--test-limit", "200", "--json"],
    ));
    assert_eq!(weights_eval["stage"], 3);
    assert_eq!(weights_eval["test_accuracy"], run_eval["test_accuracy"]);

    // The notebook's own autoencoders fit the first two stages, found without --stage.
    for (name, stage, arch) in [
        (
            "autoencoder-784-400-784.pth",
            1,
            "dense autoencoder 784-400-784",
        ),
        (
            "stacked-784-400-256-400-784.safetensors",
            2,
            "dense autoencoder 784-400-256-400-784",
        ),
    ] {
        let report = json(&eval_weights(
            &scratch,
            &pytorch_fixture(name),
            "stacked-mnist",
            &["--test-limit", "100", "--json"],
        ));
        assert_eq!(report["stage"], stage, "{name}");
        assert_eq!(report["architecture"], arch, "{name}");
        assert_eq!(report["kind"], "reconstruction", "{name}");
        // Untrained weights: a sigmoid output near 0.5 against mostly-black digits.
        let mse = report["test_mse"].as_f64().expect("mse");
        assert!((0.05..0.5).contains(&mse), "{name}: MSE {mse}");
    }
    let out = scratch.ae(&eval_weights_args(
        &pytorch_fixture("autoencoder-784-400-784.pth"),
        "stacked-mnist",
        &["--stage", "2"],
    ));
    assert_clean_failure(
        &out,
        &["missing key 'decoder.2.bias' (expected shape [784])"],
    );
}

#[test]
fn a_conv_autoencoder_run_exports_its_classifier() {
    let scratch = Scratch::new();
    let data = scratch.subdir("data");
    write_fashion_lookalike(&data.join("fashion-mnist"));
    let data_args = ["--data-dir", text(&data), "--accept-unverified"];
    let run = scratch.train_quick(
        "conv-ae-fashion-mnist",
        "64",
        "64",
        &[&["-q"][..], &data_args[..]].concat(),
    );
    let file = scratch.path().join("conv.safetensors");
    scratch.ae_ok(&["export", text(&run), "--out", text(&file)]);
    let header = safetensors_header(&file);
    assert_eq!(shape(&header, "conv_encoder.0.weight"), [64, 1, 3, 3]);
    assert_eq!(shape(&header, "fc_encoder.0.weight"), [1024, 2048]);
    assert_eq!(shape(&header, "classifier.0.weight"), [10, 1024]);
    assert_eq!(header.as_object().expect("object").len(), 11, "{header}");
    let mut args = vec!["eval", text(&run), "--json"];
    args.extend(data_args);
    let run_eval = json(&scratch.ae_ok(&args));
    let weights_eval = json(&eval_weights(
        &scratch,
        &file,
        "conv-ae-fashion-mnist",
        &[&["--test-limit", "64", "--json"][..], &data_args[..]].concat(),
    ));
    assert_eq!(weights_eval["stage"], 2);
    assert_eq!(weights_eval["test_accuracy"], run_eval["test_accuracy"]);
}

#[test]
fn a_pytorch_trained_lenet_evaluates_to_pytorchs_own_accuracy() {
    let reference = read_json(&fixture("lenet-mnist-mini-pytorch.json"));
    let scratch = Scratch::new();
    let weights = fixture("lenet-mnist-mini-pytorch.pth");
    let report = json(&eval_weights(
        &scratch,
        &weights,
        "lenet-mnist",
        &["--json"],
    ));
    assert_eq!(report["format"], "PyTorch");
    assert_eq!(report["samples"], reference["samples"]);
    assert_eq!(report["test_accuracy"], reference["test_accuracy"]);
    let out = eval_weights(&scratch, &weights, "lenet-mnist", &[]);
    assert!(out.contains("test accuracy: 91.35% (1827/2000)"), "{out}");
}

/// A recipe with one stage, SGD at a learning rate too small to move the weights measurably.
const STILL_AUTOENCODER: &str = r#"
name = "still-autoencoder"
dataset = "mnist-mini"
batch_size = 100
[model]
kind = "stacked"
hidden = [400]
activation = "tanh"
output_activation = "sigmoid"
[[stages]]
name = "autoencoder"
kind = "reconstruction"
epochs = 1
optimizer = { kind = "sgd", lr = 1e-12 }
"#;

#[test]
fn train_init_starts_the_first_stage_from_pytorch_weights() {
    let scratch = Scratch::new();
    let recipe = scratch.path().join("still.toml");
    std::fs::write(&recipe, STILL_AUTOENCODER).expect("write recipe");
    let init = pytorch_fixture("autoencoder-784-400-784.pth");
    // Trains the recipe file as it is at the call, from the notebook's autoencoder.
    let train_from_init = || {
        scratch.ae_ok(&[
            "train",
            text(&recipe),
            "--init",
            text(&init),
            "--limit",
            "200",
            "--test-limit",
            "200",
            "-q",
        ])
    };
    let run = run_folder(&train_from_init(), scratch.path());
    let manifest = read_json(&run.join("manifest.json"));
    assert_eq!(manifest["init_weights"], text(&init));
    let metrics = read_json(&run.join("metrics.json"));
    let trained_mse = metrics["epochs"][0]["test_loss"]
        .as_f64()
        .expect("test loss");
    let init_mse = json(&eval_weights(
        &scratch,
        &init,
        text(&recipe),
        &["--test-limit", "200", "--json"],
    ))["test_mse"]
        .as_f64()
        .expect("mse");
    assert!(
        (trained_mse - init_mse).abs() < 1e-6,
        "the run did not start from the file: {trained_mse} vs {init_mse}"
    );

    // A recipe whose first stage classifies takes a whole autoencoder: its encoder is kept.
    let classify = STILL_AUTOENCODER.replace(
        "name = \"autoencoder\"\nkind = \"reconstruction\"",
        "name = \"classifier\"\nkind = \"classification\"",
    );
    std::fs::write(&recipe, classify).expect("write recipe");
    train_from_init();
}

#[test]
fn bad_weights_files_fail_with_one_line() {
    let scratch = Scratch::new();
    let notes = scratch.path().join("notes.pth");
    std::fs::write(&notes, "not weights\n").expect("write");
    let out = scratch.ae(&eval_weights_args(&notes, "lenet-mnist", &[]));
    assert_clean_failure(&out, &["notes.pth", "neither a PyTorch file"]);

    let bytes = std::fs::read(pytorch_fixture("lenet5.pth")).expect("read");
    let cut = scratch.path().join("cut.pth");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
    let out = scratch.ae(&eval_weights_args(&cut, "lenet-mnist", &[]));
    assert_clean_failure(&out, &["cut.pth", "truncated or corrupt PyTorch file"]);

    let out = scratch.ae(&eval_weights_args(
        &pytorch_fixture("lenet5.pth"),
        "stacked-mnist",
        &[],
    ));
    assert_clean_failure(
        &out,
        &[
            "lenet5.pth",
            "fit no stage of recipe 'stacked-mnist'",
            "--stage",
        ],
    );

    let out = scratch.ae(&[
        "train",
        "lenet-mnist",
        "--init",
        text(&pytorch_fixture("autoencoder-784-400-784.pth")),
        "--epochs",
        "1",
        "--limit",
        "100",
    ]);
    assert_clean_failure(
        &out,
        &["autoencoder-784-400-784.pth", "missing key 'conv1.bias'"],
    );

    let out = scratch.ae(&["eval", "--weights", text(&notes)]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--recipe"));

    let empty_run = scratch.subdir("not-a-run");
    let out = scratch.ae(&["export", text(&empty_run), "--out", "x.safetensors"]);
    assert_clean_failure(&out, &["not a run folder"]);
}

#[test]
fn an_exported_vae_has_pytorch_examples_keys_and_evaluates_to_the_runs_own_loss() {
    let scratch = Scratch::new();
    let run = scratch.train_quick("vae-mnist", "1000", "300", &["-q"]);
    let run_eval = json(&scratch.ae_ok(&["eval", text(&run), "--json", "--samples", "3"]));

    let file = scratch.path().join("vae.safetensors");
    scratch.ae_ok(&["export", text(&run), "--out", text(&file)]);
    let header = safetensors_header(&file);
    // pytorch/examples' VAE: fc1 784-400, fc21 / fc22 400-20, fc3 20-400, fc4 400-784.
    assert_eq!(shape(&header, "fc1.weight"), [400, 784]);
    assert_eq!(shape(&header, "fc21.weight"), [20, 400]);
    assert_eq!(shape(&header, "fc22.bias"), [20]);
    assert_eq!(shape(&header, "fc3.weight"), [400, 20]);
    assert_eq!(shape(&header, "fc4.weight"), [784, 400]);
    assert_eq!(header.as_object().expect("object").len(), 11, "{header}");

    // Imported back, the weights give the run's own test loss to the last bit: the export
    // loses nothing, and ε comes from the same seeds.
    let weights_eval = json(&eval_weights(
        &scratch,
        &file,
        "vae-mnist",
        &["--json", "--test-limit", "300"],
    ));
    assert_eq!(
        weights_eval["test_loss"], run_eval["test_loss"],
        "{weights_eval}\n{run_eval}"
    );
    assert_eq!(weights_eval["test_kl"], run_eval["test_kl"]);
}
