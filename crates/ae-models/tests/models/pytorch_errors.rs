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

fn temp_file(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write");
    path
}

#[test]
fn a_missing_key_is_named_with_its_shape() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("no-fc3-bias.safetensors");
    let tensors: Vec<_> = as_written("lenet5")
        .into_iter()
        .filter(|(k, ..)| k != "fc3.bias")
        .collect();
    write_safetensors(&path, &tensors);
    let error = load_lenet(&path).expect_err("must fail");
    assert!(matches!(&error, WeightsError::MissingKey { key, .. } if key == "fc3.bias"));
    let text = message(error, &path);
    assert!(
        text.contains("missing key 'fc3.bias' (expected shape [10])"),
        "{text}"
    );
}

#[test]
fn an_unexpected_key_is_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("extra.safetensors");
    let mut tensors = as_written("lenet5");
    tensors.push((
        "fc4.weight".into(),
        safetensors::Dtype::F32,
        vec![2],
        vec![0; 8],
    ));
    write_safetensors(&path, &tensors);
    let text = message(load_lenet(&path).expect_err("must fail"), &path);
    assert!(text.contains("unexpected key 'fc4.weight'"), "{text}");
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
    let text = message(error, &path);
    assert!(
        text.contains("'decoder.0.weight' has shape [784, 400], expected [784, 300]"),
        "{text}"
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
    let text = message(load_lenet(&text_file).expect_err("must fail"), &text_file);
    assert!(text.contains("neither a PyTorch file"), "{text}");
    let empty = temp_file(&dir, "empty.safetensors", b"");
    let text = message(load_lenet(&empty).expect_err("must fail"), &empty);
    assert!(text.contains("the file is empty"), "{text}");
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
            let text = message(error, &path);
            assert!(text.contains("truncated or corrupt"), "{text}");
        }
    }
    let missing = dir.path().join("does-not-exist.pth");
    let text = message(load_lenet(&missing).expect_err("must fail"), &missing);
    assert!(text.contains("cannot read"), "{text}");
}

#[test]
fn integer_tensors_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("int.safetensors");
    let tensors: Vec<_> = as_written("lenet5")
        .into_iter()
        .map(|(k, dtype, shape, bytes)| {
            if k == "fc3.bias" {
                (k, safetensors::Dtype::I32, shape, vec![0; 40])
            } else {
                (k, dtype, shape, bytes)
            }
        })
        .collect();
    write_safetensors(&path, &tensors);
    let text = message(load_lenet(&path).expect_err("must fail"), &path);
    assert!(text.contains("'fc3.bias' holds I32 values"), "{text}");
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
