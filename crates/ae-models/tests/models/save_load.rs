use ae_models::{
    Activation, ConvAutoencoderConfig, EncoderClassifier, LeNet5Config, Reconstructs,
    StackedAutoencoderConfig,
};
use burn::module::Module;

use crate::common::{device, images, param_data, values};

#[test]
fn grown_stacked_autoencoder_saves_and_loads_into_a_model_built_from_its_config() {
    let device = device();
    let dir = tempfile::tempdir().expect("temp dir");
    let ae =
        StackedAutoencoderConfig::mnist_dense()
            .init(&device)
            .grow(256, Activation::Tanh, &device);
    let config = ae.config();
    let weights = param_data(&ae);
    let path = dir.path().join("stacked");
    ae.clone().save_file(&path).expect("save");
    let loaded = config.init(&device).load_file(&path);
    assert_eq!(param_data(&loaded), weights);
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
    lenet
        .clone()
        .save_file(dir.path().join("lenet"))
        .expect("save");
    let loaded = lenet
        .config()
        .init(&device)
        .load_file(dir.path().join("lenet"));
    assert_eq!(param_data(&loaded), param_data(&lenet));

    let conv = ConvAutoencoderConfig::new()
        .with_in_channels(1)
        .init(&device);
    conv.clone()
        .save_file(dir.path().join("conv"))
        .expect("save");
    let loaded = conv
        .config()
        .init(&device)
        .load_file(dir.path().join("conv"));
    assert_eq!(param_data(&loaded), param_data(&conv));
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
    classifier
        .clone()
        .save_file(dir.path().join("classifier"))
        .expect("save");
    let loaded = classifier
        .config()
        .init(&device)
        .load_file(dir.path().join("classifier"));
    assert_eq!(param_data(&loaded), param_data(&classifier));
}
