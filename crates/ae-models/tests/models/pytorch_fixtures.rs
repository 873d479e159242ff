//! The notebooks' weights as PyTorch wrote them (`tests/fixtures/pytorch`, both `.pth` and
//! `.safetensors`) load into our models, which then reproduce PyTorch's own output for the
//! stored input within 1e-4 (max abs), and every model's PyTorch keys and shapes are those of
//! the notebook's class.

use std::collections::BTreeMap;
use std::path::Path;

use ae_models::pytorch::{WeightsFile, WeightsFormat, expected_shapes, load_pytorch};
use ae_models::{Classifies, Reconstructs};
use burn::tensor::{Device, Tensor};

use crate::common::{device, values};
use crate::pytorch_common::*;

/// PyTorch's own output, reproduced to this (max abs).
const TOLERANCE: f32 = 1e-4;

fn input<const D: usize>(data: burn::tensor::TensorData, device: &Device) -> Tensor<D> {
    Tensor::from_data(data, device)
}

/// Checks one model on one fixture in both formats: `run` maps the loaded model and the input
/// to the output values.
fn check<M: ae_models::pytorch::PytorchNames + Clone>(
    name: &str,
    build: impl Fn(&Device) -> M,
    run: impl Fn(&M, burn::tensor::TensorData, &Device) -> Vec<f32>,
) {
    let device = device();
    let (x, expected) = io(name);
    for extension in ["pth", "safetensors"] {
        let path = fixture(&format!("{name}.{extension}"));
        let model = load_pytorch(build(&device), &path).unwrap_or_else(|e| panic!("{e}"));
        let output = run(&model, x.clone(), &device);
        let diff = max_abs_diff(&output, &expected);
        assert!(
            diff <= TOLERANCE,
            "{name}.{extension}: max abs difference {diff} from PyTorch's output"
        );
    }
}

#[test]
fn lenet5_reproduces_pytorch() {
    check("lenet5", lenet, |m, x, d| values(m.log_probs(input(x, d))));
}

#[test]
fn dense_autoencoder_784_400_784_reproduces_pytorch() {
    check("autoencoder-784-400-784", dense_autoencoder, |m, x, d| {
        values(m.decode(m.encode(input(x, d))))
    });
}

#[test]
fn grown_stacked_autoencoder_reproduces_pytorch() {
    check(
        "stacked-784-400-256-400-784",
        grown_autoencoder,
        |m, x, d| values(m.decode(m.encode(input(x, d)))),
    );
}

#[test]
fn stacked_classifier_reproduces_pytorch() {
    check(
        "stacked-classifier-784-400-256-10",
        dense_classifier,
        |m, x, d| {
            let flat: Tensor<2> = input(x, d);
            let [batch, _] = flat.dims();
            values(m.log_probs(flat.reshape([batch, 1, 28, 28])))
        },
    );
}

#[test]
fn conv_autoencoder_1ch_code16_reproduces_pytorch() {
    check(
        "conv-autoencoder-1ch-code16",
        |d| conv_autoencoder(1, 16, d),
        |m, x, d| values(m.reconstruct(input(x, d)).output),
    );
}

/// The full-size 3-channel conv autoencoder (18.7 MB, not committed). Run by hand with the
/// folder holding `conv-autoencoder-3ch.pth` and `conv-autoencoder-3ch.io.safetensors`:
/// `AE_PYTORCH_FIXTURES=/path/to/folder cargo test --release -p ae-models conv_autoencoder_3ch -- --ignored`.
#[test]
#[ignore = "needs the 18.7 MB conv-autoencoder-3ch.pth; set AE_PYTORCH_FIXTURES"]
fn conv_autoencoder_3ch_full_size_reproduces_pytorch() {
    let dir = std::env::var("AE_PYTORCH_FIXTURES")
        .expect("AE_PYTORCH_FIXTURES must name the folder holding conv-autoencoder-3ch.pth");
    let dir = Path::new(&dir);
    let device = device();
    let tensors = read_f32_tensors(&dir.join("conv-autoencoder-3ch.io.safetensors"));
    let (shape, x) = tensors["input"].clone();
    let expected = tensors["output"].1.clone();
    let model = load_pytorch(
        conv_autoencoder(3, 1024, &device),
        &dir.join("conv-autoencoder-3ch.pth"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let output = values(
        model
            .reconstruct(Tensor::from_data(
                burn::tensor::TensorData::new(x, shape),
                &device,
            ))
            .output,
    );
    let diff = max_abs_diff(&output, &expected);
    eprintln!("conv-autoencoder-3ch: max abs difference {diff}");
    assert!(diff <= TOLERANCE, "max abs difference {diff}");
}

/// `index.json`'s keys and shapes of one fixture model.
fn index_keys(model: &str) -> BTreeMap<String, Vec<usize>> {
    let text = std::fs::read_to_string(fixture("index.json")).expect("index.json");
    let index: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let keys = index[model]["keys"].as_object().expect("keys");
    keys.iter()
        .map(|(k, v)| {
            let shape = v
                .as_array()
                .expect("shape")
                .iter()
                .map(|d| d.as_u64().expect("dim") as usize)
                .collect();
            (k.clone(), shape)
        })
        .collect()
}

#[test]
fn every_model_expects_the_notebook_keys_and_shapes() {
    let device = device();
    assert_eq!(expected_shapes(&lenet(&device)), index_keys("lenet5"));
    assert_eq!(
        expected_shapes(&dense_autoencoder(&device)),
        index_keys("autoencoder-784-400-784")
    );
    assert_eq!(
        expected_shapes(&grown_autoencoder(&device)),
        index_keys("stacked-784-400-256-400-784")
    );
    assert_eq!(
        expected_shapes(&dense_classifier(&device)),
        index_keys("stacked-classifier-784-400-256-10")
    );
    // The full-size model is not committed, but its keys are in the index.
    assert_eq!(
        expected_shapes(&conv_autoencoder(3, 1024, &device)),
        index_keys("conv-autoencoder-3ch")
    );
    assert_eq!(
        expected_shapes(&conv_autoencoder(1, 16, &device)),
        index_keys("conv-autoencoder-1ch-code16")
    );
}

#[test]
fn the_format_is_told_by_content_not_by_extension() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pth_named_safetensors = dir.path().join("lenet5.safetensors");
    std::fs::copy(fixture("lenet5.pth"), &pth_named_safetensors).expect("copy");
    let safetensors_named_pth = dir.path().join("lenet5.pth");
    std::fs::copy(fixture("lenet5.safetensors"), &safetensors_named_pth).expect("copy");

    let a = WeightsFile::read(&pth_named_safetensors).expect("read");
    let b = WeightsFile::read(&safetensors_named_pth).expect("read");
    assert_eq!(a.format, WeightsFormat::Pytorch);
    assert_eq!(b.format, WeightsFormat::Safetensors);
    let device = device();
    let (x, expected) = io("lenet5");
    for file in [a, b] {
        let model = file.load_into(lenet(&device)).expect("load");
        let diff = max_abs_diff(
            &values(model.log_probs(input(x.clone(), &device))),
            &expected,
        );
        assert!(diff <= TOLERANCE, "{}: {diff}", file.path.display());
    }
}
