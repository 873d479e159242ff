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

#[test]
fn an_exported_run_evaluates_to_the_runs_own_accuracy() {
    let scratch = Scratch::new();
    let out = scratch.ae_ok(&[
        "train",
        "lenet-mnist",
        "--epochs",
        "1",
        "--limit",
        "600",
        "--test-limit",
        "300",
        "-q",
    ]);
    let run = run_folder(&out, scratch.path());
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

    let weights_eval = json(&scratch.ae_ok(&[
        "eval",
        "--weights",
        text(&file),
        "--recipe",
        "lenet-mnist",
        "--test-limit",
        "300",
        "--json",
    ]));
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
    let out = scratch.ae_ok(&[
        "train",
        "stacked-mnist",
        "--epochs",
        "1",
        "--limit",
        "300",
        "--test-limit",
        "200",
        "-q",
    ]);
    let run = run_folder(&out, scratch.path());
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
    let weights_eval = json(&scratch.ae_ok(&[
        "eval",
        "--weights",
        text(&file),
        "--recipe",
        "stacked-mnist",
        "--test-limit",
        "200",
        "--json",
    ]));
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
        let report = json(&scratch.ae_ok(&[
            "eval",
            "--weights",
            text(&pytorch_fixture(name)),
            "--recipe",
            "stacked-mnist",
            "--test-limit",
            "100",
            "--json",
        ]));
        assert_eq!(report["stage"], stage, "{name}");
        assert_eq!(report["architecture"], arch, "{name}");
        assert_eq!(report["kind"], "reconstruction", "{name}");
        // Untrained weights: a sigmoid output near 0.5 against mostly-black digits.
        let mse = report["test_mse"].as_f64().expect("mse");
        assert!((0.05..0.5).contains(&mse), "{name}: MSE {mse}");
    }
    let out = scratch.ae(&[
        "eval",
        "--weights",
        text(&pytorch_fixture("autoencoder-784-400-784.pth")),
        "--recipe",
        "stacked-mnist",
        "--stage",
        "2",
    ]);
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
    let mut args = vec![
        "train",
        "conv-ae-fashion-mnist",
        "--epochs",
        "1",
        "--limit",
        "64",
        "--test-limit",
        "64",
        "-q",
    ];
    args.extend(data_args);
    let run = run_folder(&scratch.ae_ok(&args), scratch.path());
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
    let mut args = vec![
        "eval",
        "--weights",
        text(&file),
        "--recipe",
        "conv-ae-fashion-mnist",
        "--test-limit",
        "64",
        "--json",
    ];
    args.extend(data_args);
    let weights_eval = json(&scratch.ae_ok(&args));
    assert_eq!(weights_eval["stage"], 2);
    assert_eq!(weights_eval["test_accuracy"], run_eval["test_accuracy"]);
}

#[test]
fn a_pytorch_trained_lenet_evaluates_to_pytorchs_own_accuracy() {
    let reference = read_json(&fixture("lenet-mnist-mini-pytorch.json"));
    let scratch = Scratch::new();
    let report = json(&scratch.ae_ok(&[
        "eval",
        "--weights",
        text(&fixture("lenet-mnist-mini-pytorch.pth")),
        "--recipe",
        "lenet-mnist",
        "--json",
    ]));
    assert_eq!(report["format"], "PyTorch");
    assert_eq!(report["samples"], reference["samples"]);
    assert_eq!(report["test_accuracy"], reference["test_accuracy"]);
    let out = scratch.ae_ok(&[
        "eval",
        "--weights",
        text(&fixture("lenet-mnist-mini-pytorch.pth")),
        "--recipe",
        "lenet-mnist",
    ]);
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
    let out = scratch.ae_ok(&[
        "train",
        text(&recipe),
        "--init",
        text(&init),
        "--limit",
        "200",
        "--test-limit",
        "200",
        "-q",
    ]);
    let run = run_folder(&out, scratch.path());
    let manifest = read_json(&run.join("manifest.json"));
    assert_eq!(manifest["init_weights"], text(&init));
    let metrics = read_json(&run.join("metrics.json"));
    let trained_mse = metrics["epochs"][0]["test_loss"]
        .as_f64()
        .expect("test loss");
    let init_mse = json(&scratch.ae_ok(&[
        "eval",
        "--weights",
        text(&init),
        "--recipe",
        text(&recipe),
        "--test-limit",
        "200",
        "--json",
    ]))["test_mse"]
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
    ]);
}

#[test]
fn bad_weights_files_fail_with_one_line() {
    let scratch = Scratch::new();
    let notes = scratch.path().join("notes.pth");
    std::fs::write(&notes, "not weights\n").expect("write");
    let out = scratch.ae(&["eval", "--weights", text(&notes), "--recipe", "lenet-mnist"]);
    assert_clean_failure(&out, &["notes.pth", "neither a PyTorch file"]);

    let bytes = std::fs::read(pytorch_fixture("lenet5.pth")).expect("read");
    let cut = scratch.path().join("cut.pth");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
    let out = scratch.ae(&["eval", "--weights", text(&cut), "--recipe", "lenet-mnist"]);
    assert_clean_failure(&out, &["cut.pth", "truncated or corrupt PyTorch file"]);

    let out = scratch.ae(&[
        "eval",
        "--weights",
        text(&pytorch_fixture("lenet5.pth")),
        "--recipe",
        "stacked-mnist",
    ]);
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
