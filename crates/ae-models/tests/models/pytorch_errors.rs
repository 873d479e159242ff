//! Bad weights files: one line naming the file and the fault, never a panic; other float
//! dtypes are converted.

use std::path::{Path, PathBuf};

use ae_models::Classifies;
use ae_models::pytorch::{WeightsError, load_pytorch};
use burn::tensor::{DType, Tensor};

use crate::common::{device, values};
use crate::pytorch_common::*;

fn load_lenet(path: &Path) -> Result<ae_models::LeNet5, WeightsError> {
    load_pytorch(lenet(&device()), path)
}

/// The error's message: one line, naming the file.
fn message(error: WeightsError, path: &Path) -> String {
    let text = error.to_string();
    assert!(!text.contains('\n'), "not one line: {text}");
    assert!(
        text.contains(&path.display().to_string()),
        "does not name the file: {text}"
    );
    text
}

/// Asserts `error`'s [`message`] names `path` and contains `needle`.
fn assert_message(error: WeightsError, path: &Path, needle: &str) {
    let text = message(error, path);
    assert!(text.contains(needle), "{text}");
}

fn temp_file(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write");
    path
}

/// Writes LeNet-5's tensors as PyTorch wrote them, after `edit`, as `dir/name`.
fn write_edited_lenet(
    dir: &tempfile::TempDir,
    name: &str,
    edit: impl FnOnce(&mut Vec<(String, safetensors::Dtype, Vec<usize>, Vec<u8>)>),
) -> PathBuf {
    let path = dir.path().join(name);
    let mut tensors = as_written("lenet5");
    edit(&mut tensors);
    write_safetensors(&path, &tensors);
    path
}

#[test]
fn a_missing_key_is_named_with_its_shape() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write_edited_lenet(&dir, "no-fc3-bias.safetensors", |tensors| {
        tensors.retain(|(k, ..)| k != "fc3.bias")
    });
    let error = load_lenet(&path).expect_err("must fail");
    assert!(matches!(&error, WeightsError::MissingKey { key, .. } if key == "fc3.bias"));
    assert_message(error, &path, "missing key 'fc3.bias' (expected shape [10])");
}

#[test]
fn an_unexpected_key_is_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write_edited_lenet(&dir, "extra.safetensors", |tensors| {
        tensors.push((
            "fc4.weight".into(),
            safetensors::Dtype::F32,
            vec![2],
            vec![0; 8],
        ))
    });
    let error = load_lenet(&path).expect_err("must fail");
    assert_message(error, &path, "unexpected key 'fc4.weight'");
}

#[test]
fn a_shape_that_does_not_fit_gives_expected_and_found() {
    let device = device();
    // The notebook's 784-400-784 into a 784-300-784 model.
    let path = fixture("autoencoder-784-400-784.pth");
    let model = ae_models::StackedAutoencoderConfig::new(
        784,
        vec![300],
        ae_models::Activation::Tanh,
        ae_models::Activation::Sigmoid,
    )
    .init(&device);
    let error = load_pytorch(model, &path).expect_err("must fail");
    assert_message(
        error,
        &path,
        "'decoder.0.weight' has shape [784, 400], expected [784, 300]",
    );
}

#[test]
fn a_file_in_neither_format_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text_file = temp_file(
        &dir,
        "notes.pth",
        b"these are not weights, just some text\n",
    );
    let error = load_lenet(&text_file).expect_err("must fail");
    assert_message(error, &text_file, "neither a PyTorch file");
    let empty = temp_file(&dir, "empty.safetensors", b"");
    let error = load_lenet(&empty).expect_err("must fail");
    assert_message(error, &empty, "the file is empty");
}

#[test]
fn truncated_files_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    for name in ["lenet5.pth", "lenet5.safetensors"] {
        let bytes = std::fs::read(fixture(name)).expect("read");
        for cut in [bytes.len() / 2, bytes.len() - 1] {
            let path = temp_file(&dir, &format!("cut-{cut}-{name}"), &bytes[..cut]);
            let error = load_lenet(&path).expect_err("must fail");
            assert!(matches!(error, WeightsError::Corrupt { .. }), "{error}");
            assert_message(error, &path, "truncated or corrupt");
        }
    }
    let missing = dir.path().join("does-not-exist.pth");
    let error = load_lenet(&missing).expect_err("must fail");
    assert_message(error, &missing, "cannot read");
}

#[test]
fn integer_tensors_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write_edited_lenet(&dir, "int.safetensors", |tensors| {
        for (k, dtype, _, bytes) in tensors.iter_mut() {
            if k == "fc3.bias" {
                (*dtype, *bytes) = (safetensors::Dtype::I32, vec![0; 40]);
            }
        }
    });
    let error = load_lenet(&path).expect_err("must fail");
    assert_message(error, &path, "'fc3.bias' holds I32 values");
}

#[test]
fn f16_bf16_and_f64_weights_are_converted_to_f32() {
    let device = device();
    let dir = tempfile::tempdir().expect("temp dir");
    let (x, expected) = io("lenet5");
    // f64 holds the f32 values exactly; f16 and bf16 round them (about 3 and 2 digits).
    for (dtype, st, tolerance) in [
        (DType::F64, safetensors::Dtype::F64, 1e-4),
        (DType::F16, safetensors::Dtype::F16, 2e-2),
        (DType::BF16, safetensors::Dtype::BF16, 2e-1),
    ] {
        let path = dir.path().join(format!("lenet5-{st:?}.safetensors"));
        write_safetensors(&path, &converted("lenet5", dtype, st));
        let model = load_lenet(&path).unwrap_or_else(|e| panic!("{st:?}: {e}"));
        assert_eq!(model.fc1.weight.val().dtype(), DType::F32, "{st:?}");
        let output = values(model.log_probs(Tensor::from_data(x.clone(), &device)));
        let diff = max_abs_diff(&output, &expected);
        assert!(diff <= tolerance, "{st:?}: max abs difference {diff}");
    }
}
