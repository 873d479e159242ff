//! User mistakes and broken data end in one clear line on stderr and a non-zero exit code,
//! never a panic.

use ae_e2e::{Scratch, assert_clean_failure, idx_images, idx_labels, models_dir, write_cifar};

fn write_recipe(scratch: &Scratch, name: &str, text: &str) -> String {
    let path = scratch.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

/// Runs `ae` with `args` in a fresh scratch folder and asserts it fails cleanly naming each of
/// `needles`.
fn assert_ae_fails(args: &[&str], needles: &[&str]) {
    let scratch = Scratch::new();
    assert_clean_failure(&scratch.ae(args), needles);
}

/// Trains `models/<base>.toml` with `from` replaced by `to`, written as `file`, and asserts it
/// fails cleanly naming each of `needles`.
fn assert_edited_recipe_fails(base: &str, from: &str, to: &str, file: &str, needles: &[&str]) {
    let scratch = Scratch::new();
    let text = std::fs::read_to_string(models_dir().join(format!("{base}.toml")))
        .unwrap()
        .replace(from, to);
    let recipe = write_recipe(&scratch, file, &text);
    let out = scratch.ae(&["train", &recipe]);
    assert_clean_failure(&out, needles);
}

#[test]
fn an_unknown_key_is_named_with_its_line() {
    assert_edited_recipe_fails(
        "lenet-mnist",
        "batch_size = 100",
        "batch_size = 100\nbatch_sise = 10",
        "typo.toml",
        &["typo.toml", "batch_sise", "line"],
    );
}

#[test]
fn zero_epochs_in_a_recipe_names_the_key() {
    assert_edited_recipe_fails(
        "lenet-mnist",
        "epochs = 10",
        "epochs = 0",
        "zero.toml",
        &["stages[0].epochs", "is 0"],
    );
}

#[test]
fn a_head_that_does_not_fit_the_encoder_names_both_sizes() {
    assert_edited_recipe_fails(
        "stacked-mnist",
        "input = 256",
        "input = 400",
        "head.toml",
        &["stages[2].head.input", "400", "256"],
    );
}

#[test]
fn an_unknown_dataset_in_a_recipe_lists_the_known_ones() {
    assert_edited_recipe_fails(
        "lenet-mnist",
        "dataset = \"mnist-mini\"",
        "dataset = \"svhn\"",
        "svhn.toml",
        &["svhn", "mnist-mini"],
    );
}

#[test]
fn an_unknown_conv_output_activation_names_the_value_and_the_choices() {
    assert_edited_recipe_fails(
        "conv-ae-fashion-mnist-sigmoid",
        "output_activation = \"sigmoid\"",
        "output_activation = \"softplus\"",
        "output.toml",
        &["output.toml", "softplus", "sigmoid", "identity"],
    );
}

#[test]
fn an_unknown_upsampling_mode_names_the_key_and_the_modes() {
    assert_edited_recipe_fails(
        "conv-ae-fashion-mnist",
        "upsample = \"bilinear\"",
        "upsample = \"bicubic\"",
        "upsample.toml",
        &[
            "upsample.toml",
            "model.upsample",
            "bicubic",
            "bilinear",
            "bilinear-align-corners",
            "nearest",
        ],
    );
}

#[test]
fn a_malformed_toml_file_is_refused() {
    let scratch = Scratch::new();
    let recipe = write_recipe(&scratch, "broken.toml", "name = \"x\"\n[model\nkind = 1\n");
    let out = scratch.ae(&["train", &recipe]);
    assert_clean_failure(&out, &["broken.toml"]);
}

#[test]
fn a_missing_dataset_says_where_it_was_searched() {
    let scratch = Scratch::new();
    let empty = scratch.subdir("empty");
    let empty = empty.to_str().unwrap();
    let out = scratch.ae(&["train", "conv-ae-cifar10", "--data-dir", empty, "--offline"]);
    let line = assert_clean_failure(&out, &["cifar10", "not found", "data_batch_1.bin", empty]);
    assert!(line.contains("downloading is switched off"), "{line}");
}

#[test]
fn a_truncated_data_file_is_named() {
    let scratch = Scratch::new();
    let data = scratch.subdir("mnist");
    // The header promises 10 images, the file holds 9.5.
    std::fs::write(
        data.join("train-images-idx3-ubyte"),
        idx_images(10, 784 * 9 + 392),
    )
    .unwrap();
    std::fs::write(data.join("train-labels-idx1-ubyte"), idx_labels(&[1; 10])).unwrap();
    std::fs::write(data.join("t10k-images-idx3-ubyte"), idx_images(2, 784 * 2)).unwrap();
    std::fs::write(data.join("t10k-labels-idx1-ubyte"), idx_labels(&[1, 2])).unwrap();
    let dir = data.to_str().unwrap();
    let out = scratch.ae(&[
        "train",
        "stacked-mnist",
        "--dataset",
        "mnist",
        "--data-dir",
        dir,
        "--offline",
        "--epochs",
        "1",
    ]);
    assert_clean_failure(&out, &["train-images-idx3-ubyte", "header says"]);
}

#[test]
fn a_corrupt_cifar_file_is_named() {
    let scratch = Scratch::new();
    let data = scratch.subdir("cifar");
    write_cifar(&data, 4);
    // One byte short of four records.
    let path = data.join("test_batch.bin");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.pop();
    std::fs::write(&path, bytes).unwrap();
    let out = scratch.ae(&[
        "train",
        "conv-ae-cifar10",
        "--data-dir",
        data.to_str().unwrap(),
        "--offline",
    ]);
    assert_clean_failure(&out, &["test_batch.bin"]);
}

#[test]
fn a_file_whose_digest_matches_no_published_one_is_refused_without_the_flag() {
    let scratch = Scratch::new();
    let data = scratch.subdir("fashion");
    ae_e2e::write_fashion_lookalike(&data);
    let out = scratch.ae(&[
        "train",
        "stacked-fashion-mnist",
        "--data-dir",
        data.to_str().unwrap(),
        "--offline",
        "--epochs",
        "1",
    ]);
    assert_clean_failure(&out, &["train-images-idx3-ubyte.gz"]);
}

#[test]
fn eval_of_a_folder_that_is_no_run_is_refused() {
    let scratch = Scratch::new();
    let not_a_run = scratch.subdir("not-a-run");
    let out = scratch.ae(&["eval", not_a_run.to_str().unwrap()]);
    assert_clean_failure(&out, &["not-a-run"]);
    let out = scratch.ae(&["eval", "/nonexistent/run"]);
    assert_clean_failure(&out, &["/nonexistent/run"]);
}

#[test]
fn a_dataset_with_another_image_shape_is_refused_before_training() {
    assert_ae_fails(
        &["train", "lenet-mnist", "--dataset", "cifar10", "--offline"],
        &["LeNet-5", "3 channels"],
    );
}

#[test]
fn a_recipe_that_is_not_there_lists_the_built_in_ones() {
    assert_ae_fails(
        &["train", "nope.toml"],
        &["nope.toml", "not found", "lenet-mnist"],
    );
}

#[test]
fn resume_refuses_overrides() {
    assert_ae_fails(
        &["train", "--resume", "runs/x", "--epochs", "3"],
        &["--resume", "cannot be changed"],
    );
}

#[test]
fn wgpu_in_a_build_without_it_points_to_the_cpu_backend() {
    let scratch = Scratch::new();
    let help = String::from_utf8_lossy(&scratch.ae(&["train", "--help"]).stdout).into_owned();
    if help.contains("[default: wgpu]") {
        // A wgpu build: its adapter handling is the ignored smoke test's job (tests/tests/wgpu.rs).
        return;
    }
    let out = scratch.ae(&["train", "lenet-mnist", "--device", "wgpu", "--epochs", "1"]);
    assert_clean_failure(
        &out,
        &["built without wgpu", "--features wgpu", "--device flex"],
    );
}
