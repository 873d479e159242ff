use ae_models::{
    Activation, DenseLayerConfig, Reconstructs, StackedAutoencoder, StackedAutoencoderConfig,
};
use burn::module::Module;
use burn::tensor::Tensor;

use crate::common::{
    assert_close, device, grown_autoencoder, images, param_data, set_all_params, values,
};

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

#[test]
fn dense_layer_forward_with_constant_weights() {
    let device = device();
    let layer = DenseLayerConfig::new(3, 2, Activation::Tanh).init(&device);
    let layer = set_all_params(layer, 0.5);
    let input = Tensor::<2>::from_floats([[1.0, -2.0, 0.5], [0.0, 0.0, 0.0]], &device);
    let out = values(layer.forward(input));
    // 0.5 * (1 - 2 + 0.5) + 0.5 = 0.25 for the first row, 0.5 (bias only) for the second.
    let expected = [0.25f64.tanh(), 0.25f64.tanh(), 0.5f64.tanh(), 0.5f64.tanh()];
    assert_close(&out, &expected, 1e-6, "dense layer");
    assert_eq!((layer.d_input(), layer.d_output()), (3, 2));
}

#[test]
fn stacked_autoencoder_shapes_at_batch_1_and_7() {
    let device = device();
    for (config, code) in [
        (StackedAutoencoderConfig::mnist_dense(), 400),
        (StackedAutoencoderConfig::mnist_stacked(), 256),
    ] {
        let ae = config.init(&device);
        for batch in [1, 7] {
            let input = images([batch, 1, 28, 28], &device);
            let out = ae.reconstruct(input.clone());
            assert_eq!(out.output.dims(), [batch, 1, 28, 28]);
            assert_eq!(out.code.dims(), [batch, code]);
            let flat = input.reshape([batch, 784]);
            assert_eq!(ae.encode(flat.clone()).dims(), [batch, code]);
            assert_eq!(ae.decode(ae.encode(flat)).dims(), [batch, 784]);
        }
    }
}

#[test]
fn stacked_autoencoder_parameter_counts_match_pytorch() {
    let device = device();
    assert_eq!(
        StackedAutoencoderConfig::mnist_dense()
            .init(&device)
            .num_params(),
        628_384
    );
    assert_eq!(
        StackedAutoencoderConfig::mnist_stacked()
            .init(&device)
            .num_params(),
        833_840
    );
}

#[test]
fn stacked_autoencoder_forward_with_constant_weights() {
    let device = device();
    let ae = set_all_params(
        StackedAutoencoderConfig::mnist_stacked().init(&device),
        0.001,
    );
    let input = Tensor::<4>::full([2, 1, 28, 28], 0.5, &device);
    let out = ae.reconstruct(input);
    // Every unit of a layer sees the same sum: n_in * x * 0.001 + 0.001.
    let h1 = (784.0 * 0.5 * 0.001 + 0.001f64).tanh();
    let h2 = (400.0 * h1 * 0.001 + 0.001f64).tanh();
    let d1 = (256.0 * h2 * 0.001 + 0.001f64).tanh();
    let y = sigmoid(400.0 * d1 * 0.001 + 0.001);
    // f32 sums of up to 784 products: the order of the additions (gemm's or a BLAS's) moves
    // the result by a few 1e-6.
    assert_close(&values(out.code), &vec![h2; 2 * 256], 1e-5, "code");
    assert_close(&values(out.output), &vec![y; 2 * 784], 1e-5, "output");
}

#[test]
fn stacked_autoencoder_activations_follow_the_config() {
    let device = device();
    let ae = StackedAutoencoderConfig::mnist_stacked().init(&device);
    let (encoder, decoder) = ae.layer_activations();
    assert_eq!(encoder, vec![Activation::Tanh, Activation::Tanh]);
    assert_eq!(decoder, vec![Activation::Tanh, Activation::Sigmoid]);
    let sizes: Vec<_> = ae
        .decoder
        .layers
        .iter()
        .map(|l| (l.d_input(), l.d_output()))
        .collect();
    assert_eq!(sizes, vec![(256, 400), (400, 784)]);
}

fn outer_weights(ae: &StackedAutoencoder) -> Vec<burn::tensor::TensorData> {
    let mut data = param_data(&ae.encoder.layers[0]);
    data.extend(param_data(ae.decoder.layers.last().expect("decoder layer")));
    data
}

#[test]
fn grow_keeps_outer_layers_bit_identical_and_adds_an_inner_pair() {
    let device = device();
    let ae = StackedAutoencoderConfig::mnist_dense().init(&device);
    let before = outer_weights(&ae);
    let grown = ae.grow(256, Activation::Tanh, &device);
    assert_eq!(grown.hidden_sizes(), vec![400, 256]);
    assert_eq!(grown.input_size(), 784);
    assert_eq!(grown.num_params(), 833_840);
    assert_eq!(outer_weights(&grown), before, "outer weights changed");
    let (encoder, decoder) = grown.layer_activations();
    assert_eq!(encoder, vec![Activation::Tanh, Activation::Tanh]);
    assert_eq!(decoder, vec![Activation::Tanh, Activation::Sigmoid]);

    // Growing again keeps every layer that was there.
    let before_all = param_data(&grown);
    let deeper = grown.grow(64, Activation::Tanh, &device);
    assert_eq!(deeper.hidden_sizes(), vec![400, 256, 64]);
    let [e0, e1, d1, d0] = [
        &deeper.encoder.layers[0],
        &deeper.encoder.layers[1],
        &deeper.decoder.layers[1],
        &deeper.decoder.layers[2],
    ];
    let mut kept = param_data(e0);
    kept.extend(param_data(e1));
    kept.extend(param_data(d1));
    kept.extend(param_data(d0));
    assert_eq!(
        kept, before_all,
        "existing layers changed on the second grow"
    );
    let out = deeper.reconstruct(images([3, 1, 28, 28], &device));
    assert_eq!(out.code.dims(), [3, 64]);
    assert_eq!(out.output.dims(), [3, 1, 28, 28]);
}

#[test]
fn grown_model_config_rebuilds_the_same_architecture() {
    let device = device();
    let grown = grown_autoencoder(&device);
    let config = grown.config();
    assert_eq!(config.hidden, vec![400, 256]);
    assert_eq!(config.input_size, 784);
    assert_eq!(config.activation, Activation::Tanh);
    assert_eq!(config.output_activation, Activation::Sigmoid);
    let rebuilt = config.init(&device);
    assert_eq!(rebuilt.layer_activations(), grown.layer_activations());
    assert_eq!(rebuilt.num_params(), grown.num_params());
}

#[test]
#[should_panic(expected = "StackedAutoencoder expects images with 784 values each")]
fn stacked_autoencoder_rejects_wrong_image_size() {
    let device = device();
    let ae = StackedAutoencoderConfig::mnist_dense().init(&device);
    ae.reconstruct(Tensor::zeros([1, 1, 32, 32], &device));
}

#[test]
#[should_panic(expected = "hidden must list at least one code size")]
fn stacked_autoencoder_needs_a_hidden_layer() {
    StackedAutoencoderConfig::new(784, vec![], Activation::Tanh, Activation::Sigmoid)
        .init(&device());
}
