use std::path::Path;

use ae_models::{Activation, ConvAutoencoderConfig, EncoderClassifier, LeNet5Config, Reconstructs};
use burn::module::Module;

use crate::common::{device, grown_autoencoder, images, param_data, values};

/// Saves `model` as `path`, loads the file into `fresh` (a model built from its config) and
/// asserts every weight came back; returns the loaded model.
fn assert_round_trip<M: Module + Clone>(model: &M, fresh: M, path: &Path) -> M {
    model.clone().save_file(path).expect("save");
    let loaded = fresh.load_file(path);
    assert_eq!(param_data(&loaded), param_data(model));
    loaded
}

#[test]
fn grown_stacked_autoencoder_saves_and_loads_into_a_model_built_from_its_config() {
    let device = device();
    let dir = tempfile::tempdir().expect("temp dir");
    let ae = grown_autoencoder(&device);
    let fresh = ae.config().init(&device);
    let loaded = assert_round_trip(&ae, fresh, &dir.path().join("stacked"));
    let input = images([2, 1, 28, 28], &device);
    assert_eq!(
        values(loaded.reconstruct(input.clone()).output),
        values(ae.reconstruct(input).output)
    );
}

#[test]
fn lenet_conv_autoencoder_and_classifier_round_trip_through_files() {
    let device = device();
    let dir = tempfile::tempdir().expect("temp dir");

    let lenet = LeNet5Config::new().init(&device);
    assert_round_trip(
        &lenet,
        lenet.config().init(&device),
        &dir.path().join("lenet"),
    );

    let conv = ConvAutoencoderConfig::new()
        .with_in_channels(1)
        .init(&device);
    assert_round_trip(&conv, conv.config().init(&device), &dir.path().join("conv"));
    // The output activation holds no weights: a checkpoint of the notebook's ReLU model loads
    // into a sigmoid-output one unchanged.
    let sigmoid = conv
        .config()
        .with_output_activation(Activation::Sigmoid)
        .init(&device)
        .load_file(dir.path().join("conv"));
    assert_eq!(param_data(&sigmoid), param_data(&conv));
    assert_eq!(sigmoid.decoder.output_activation, Activation::Sigmoid);

    let classifier = EncoderClassifier::from_conv(conv, 10, &device);
    let fresh = classifier.config().init(&device);
    assert_round_trip(&classifier, fresh, &dir.path().join("classifier"));
}
