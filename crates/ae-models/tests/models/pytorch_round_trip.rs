//! Saving for PyTorch and loading back: bit-identical weights for every model, and a model
//! loaded from PyTorch's file writes back exactly PyTorch's tensors (same keys, layouts, bits).

use ae_models::pytorch::{PytorchNames, WeightsFile, load_pytorch, save_pytorch};
use ae_models::{EncoderClassifier, StackedAutoencoder};
use burn::tensor::Device;

use crate::common::{device, param_data};
use crate::pytorch_common::*;

/// Every parameter's bytes, in visiting order.
fn bits<M: burn::module::Module>(model: &M) -> Vec<Vec<u8>> {
    param_data(model)
        .into_iter()
        .map(|d| d.as_bytes().to_vec())
        .collect()
}

/// Saves `model`, loads the file into `fresh` (other random weights) and compares the bits.
fn round_trip<M: PytorchNames + Clone>(model: M, fresh: M, what: &str) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(format!("{what}.safetensors"));
    save_pytorch(&model, &path, &[]).expect("save");
    assert_ne!(
        bits(&fresh),
        bits(&model),
        "{what}: the fresh model must differ first"
    );
    let loaded = load_pytorch(fresh, &path).expect("load");
    assert_eq!(
        bits(&loaded),
        bits(&model),
        "{what}: weights changed in the round trip"
    );
}

#[test]
fn every_model_round_trips_bit_identically() {
    let device = device();
    round_trip(lenet(&device), lenet(&device), "lenet");
    round_trip(
        dense_autoencoder(&device),
        dense_autoencoder(&device),
        "dense",
    );
    round_trip(
        grown_autoencoder(&device),
        grown_autoencoder(&device),
        "grown",
    );
    // A third stage of growth: encoder.4 / decoder.4 appear.
    let deeper = |d: &Device| -> StackedAutoencoder {
        grown_autoencoder(d).grow(64, ae_models::Activation::Tanh, d)
    };
    round_trip(deeper(&device), deeper(&device), "grown-twice");
    round_trip(
        dense_classifier(&device),
        dense_classifier(&device),
        "dense-classifier",
    );
    let dsae_classifier = |d: &Device| EncoderClassifier::from_stacked(dense_autoencoder(d), 10, d);
    round_trip(
        dsae_classifier(&device),
        dsae_classifier(&device),
        "dsae-classifier",
    );
    round_trip(
        conv_autoencoder(1, 16, &device),
        conv_autoencoder(1, 16, &device),
        "conv-1ch",
    );
    round_trip(
        conv_autoencoder(3, 32, &device),
        conv_autoencoder(3, 32, &device),
        "conv-3ch",
    );
    let conv_classifier =
        |d: &Device| EncoderClassifier::from_conv(conv_autoencoder(1, 16, d), 10, d);
    round_trip(
        conv_classifier(&device),
        conv_classifier(&device),
        "conv-classifier",
    );
}

#[test]
fn the_conv_classifier_is_saved_under_the_documented_names() {
    let device = device();
    let classifier = EncoderClassifier::from_conv(conv_autoencoder(1, 16, &device), 10, &device);
    let keys: Vec<String> = ae_models::pytorch::expected_shapes(&classifier)
        .into_iter()
        .map(|(k, v)| format!("{k} {v:?}"))
        .collect();
    assert_eq!(
        keys,
        [
            "classifier.0.bias [10]",
            "classifier.0.weight [10, 16]",
            "conv_encoder.0.bias [64]",
            "conv_encoder.0.weight [64, 1, 3, 3]",
            "conv_encoder.2.bias [128]",
            "conv_encoder.2.weight [128, 64, 3, 3]",
            "conv_encoder.4.bias [128]",
            "conv_encoder.4.weight [128, 128, 3, 3]",
            "fc_encoder.0.bias [16]",
            "fc_encoder.0.weight [16, 2048]",
        ]
    );
}

/// A model loaded from PyTorch's file and saved again gives PyTorch's tensors back, bit for bit.
#[test]
fn saving_a_loaded_fixture_gives_back_pytorchs_own_tensors() {
    let device = device();
    let dir = tempfile::tempdir().expect("temp dir");
    fn again<M: PytorchNames>(name: &str, model: M, dir: &std::path::Path) {
        let original = fixture(&format!("{name}.safetensors"));
        let model = load_pytorch(model, &original).expect("load");
        let out = dir.join(format!("{name}.safetensors"));
        save_pytorch(&model, &out, &[("recipe".into(), "test".into())]).expect("save");
        assert_eq!(
            read_f32_tensors(&out),
            read_f32_tensors(&original),
            "{name}: exported tensors differ from PyTorch's"
        );
        let metadata = WeightsFile::read(&out).expect("read").metadata;
        assert_eq!(metadata.get("recipe").map(String::as_str), Some("test"));
    }
    again("lenet5", lenet(&device), dir.path());
    again(
        "autoencoder-784-400-784",
        dense_autoencoder(&device),
        dir.path(),
    );
    again(
        "stacked-784-400-256-400-784",
        grown_autoencoder(&device),
        dir.path(),
    );
    again(
        "stacked-classifier-784-400-256-10",
        dense_classifier(&device),
        dir.path(),
    );
    again(
        "conv-autoencoder-1ch-code16",
        conv_autoencoder(1, 16, &device),
        dir.path(),
    );
}
