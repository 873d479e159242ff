use ae_models::{
    Classifies, ConvAutoencoderConfig, EncoderClassifier, EncoderClassifierConfig, EncoderConfig,
    StackedAutoencoderConfig, UpsampleImplementation,
};
use burn::module::{Module, Param};
use burn::tensor::{Tensor, TensorData};

use crate::common::{
    assert_close, device, grown_autoencoder, images, param_data, set_all_params, values,
};
use crate::reference;

fn dense_encoder_config() -> EncoderConfig {
    EncoderConfig::from(&StackedAutoencoderConfig::mnist_stacked())
}

fn conv_encoder_config() -> EncoderConfig {
    EncoderConfig::from(&ConvAutoencoderConfig::new())
}

#[test]
fn classifier_shapes_at_batch_1_and_7() {
    let device = device();
    let stacked = StackedAutoencoderConfig::mnist_stacked().init(&device);
    let conv = ConvAutoencoderConfig::new().init(&device);
    let cases = [
        (
            EncoderClassifier::from_stacked(stacked, 10, &device),
            [1, 28, 28],
        ),
        (EncoderClassifier::from_conv(conv, 10, &device), [3, 32, 32]),
        (
            EncoderClassifierConfig::new(dense_encoder_config()).init(&device),
            [1, 28, 28],
        ),
        (
            EncoderClassifierConfig::new(conv_encoder_config()).init(&device),
            [3, 32, 32],
        ),
    ];
    for (classifier, [c, h, w]) in cases {
        for batch in [1, 7] {
            let log_probs = classifier.log_probs(images([batch, c, h, w], &device));
            assert_eq!(log_probs.dims(), [batch, 10]);
            let sums = values(log_probs.exp().sum_dim(1));
            assert_close(&sums, &vec![1.0; batch], 1e-5, "probability sums");
        }
    }
}

#[test]
fn classifier_parameter_counts_match_pytorch() {
    let device = device();
    let stacked = StackedAutoencoderConfig::mnist_stacked().init(&device);
    assert_eq!(
        EncoderClassifier::from_stacked(stacked, 10, &device).num_params(),
        419_226
    );
    let conv = ConvAutoencoderConfig::new().init(&device);
    assert_eq!(
        EncoderClassifier::from_conv(conv, 10, &device).num_params(),
        2_331_658
    );
    // From scratch, same architectures.
    let dense = EncoderClassifierConfig::new(dense_encoder_config()).init(&device);
    assert_eq!(dense.num_params(), 419_226);
    let conv = EncoderClassifierConfig::new(conv_encoder_config()).init(&device);
    assert_eq!(conv.num_params(), 2_331_658);
}

#[test]
fn classifier_encoder_weights_equal_the_autoencoders() {
    let device = device();
    let stacked = grown_autoencoder(&device);
    let encoder_weights = param_data(&stacked.encoder);
    let classifier = EncoderClassifier::from_stacked(stacked, 10, &device);
    let ae_models::Encoder::Dense(encoder) = &classifier.encoder else {
        panic!("expected a dense encoder");
    };
    assert_eq!(param_data(encoder), encoder_weights);

    let conv = ConvAutoencoderConfig::new()
        .with_in_channels(1)
        .init(&device);
    let encoder_weights = param_data(&conv.encoder);
    let classifier = EncoderClassifier::from_conv(conv, 10, &device);
    let ae_models::Encoder::Conv(encoder) = &classifier.encoder else {
        panic!("expected a conv encoder");
    };
    assert_eq!(param_data(encoder), encoder_weights);
    assert_eq!(
        classifier.log_probs(images([2, 1, 32, 32], &device)).dims(),
        [2, 10]
    );
}

#[test]
fn classifier_forward_with_constant_weights() {
    let device = device();
    let stacked = StackedAutoencoderConfig::mnist_stacked().init(&device);
    let mut classifier =
        set_all_params(EncoderClassifier::from_stacked(stacked, 10, &device), 0.001);
    let bias: Vec<f32> = (0..10).map(|k| k as f32 * -0.2).collect();
    classifier.head.bias = Some(Param::from_data(TensorData::new(bias, [10]), &device));
    let log_probs = values(classifier.log_probs(Tensor::full([1, 1, 28, 28], 0.5, &device)));
    let h1 = (784.0 * 0.5 * 0.001 + 0.001f64).tanh();
    let h2 = (400.0 * h1 * 0.001 + 0.001f64).tanh();
    let logits: Vec<f64> = (0..10)
        .map(|k| 256.0 * h2 * 0.001 - 0.2 * k as f64)
        .collect();
    assert_close(
        &log_probs,
        &reference::log_softmax(&logits),
        1e-5,
        "log-probabilities",
    );
}

/// Negative log-likelihood of class 0, backpropagated; returns which parameters got gradients.
fn gradients_present(classifier: &EncoderClassifier, input: Tensor<4>) -> (bool, bool) {
    let loss = classifier.log_probs(input).narrow(1, 0, 1).mean().neg();
    let grads = loss.backward();
    let ae_models::Encoder::Dense(encoder) = &classifier.encoder else {
        panic!("expected a dense encoder");
    };
    let encoder_grad = encoder.layers[0].linear.weight.val().grad(&grads).is_some();
    let head_grad = classifier.head.weight.val().grad(&grads).is_some();
    (encoder_grad, head_grad)
}

#[test]
fn frozen_encoder_gets_no_gradient_and_the_head_does() {
    let device = device().autodiff();
    let stacked = StackedAutoencoderConfig::mnist_stacked().init(&device);
    let classifier = EncoderClassifier::from_stacked(stacked, 10, &device);
    let input = images([4, 1, 28, 28], &device);
    assert!(!classifier.is_encoder_frozen());
    assert_eq!(gradients_present(&classifier, input.clone()), (true, true));

    let frozen = classifier.freeze_encoder();
    assert!(frozen.is_encoder_frozen());
    assert_eq!(gradients_present(&frozen, input.clone()), (false, true));

    // The config option freezes too.
    let from_config = EncoderClassifierConfig::new(dense_encoder_config())
        .with_freeze_encoder(true)
        .init(&device);
    assert_eq!(gradients_present(&from_config, input), (false, true));
}

#[test]
fn classifier_config_round_trips_through_json_and_toml() {
    let device = device();
    let conv = ConvAutoencoderConfig::new()
        .with_in_channels(1)
        .with_upsample_implementation(Some(UpsampleImplementation::Portable))
        .init(&device);
    let classifier = EncoderClassifier::from_conv(conv, 10, &device).freeze_encoder();
    let config = classifier.config();
    assert_eq!(
        config.encoder,
        EncoderConfig::Conv {
            in_channels: 1,
            code_size: 1024,
            negative_slope: 0.1
        }
    );
    assert!(config.freeze_encoder);

    let json = serde_json::to_string(&config).expect("serialise");
    let back: EncoderClassifierConfig = serde_json::from_str(&json).expect("deserialise");
    assert_eq!(back.encoder, config.encoder);
    assert_eq!(back.num_classes, 10);
    assert!(back.freeze_encoder);
    assert_eq!(back.init(&device).num_params(), classifier.num_params());

    let dense = EncoderClassifierConfig::new(dense_encoder_config());
    let text = toml::to_string(&dense).expect("toml");
    let back: EncoderClassifierConfig = toml::from_str(&text).expect("toml back");
    assert_eq!(back.encoder, dense.encoder);
    // A hand-written TOML recipe. Burn's Config deserialiser does not fill in defaults:
    // every field must be given.
    let written: EncoderClassifierConfig = toml::from_str(
        "num_classes = 10\nfreeze_encoder = false\n\n[encoder.dense]\ninput_size = 784\nhidden = [400, 256]\nactivation = \"tanh\"\n",
    )
    .expect("hand-written toml");
    assert_eq!(written.encoder, dense_encoder_config());
    assert_eq!(written.num_classes, 10);
    assert!(!written.freeze_encoder);
}
