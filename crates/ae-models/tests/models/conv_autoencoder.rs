use ae_models::{
    Activation, ConvAutoencoder, ConvAutoencoderConfig, Reconstructs, UpsampleImplementation,
    Upsampling,
};
use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor, TensorData};

use crate::common::{assert_close, device, images, ndarray, seeded_tensor, values};
use crate::reference::{self, Map};

fn model(in_channels: usize, device: &Device) -> ConvAutoencoder {
    ConvAutoencoderConfig::new()
        .with_in_channels(in_channels)
        .init(device)
}

#[test]
fn conv_autoencoder_shapes_at_batch_1_and_7() {
    let device = device();
    for in_channels in [3, 1] {
        let ae = model(in_channels, &device);
        for batch in [1, 7] {
            let input = images([batch, in_channels, 32, 32], &device);
            let out = ae.reconstruct(input.clone());
            assert_eq!(out.output.dims(), [batch, in_channels, 32, 32]);
            assert_eq!(out.code.dims(), [batch, 1024]);
            assert_eq!(ae.encode(input).dims(), [batch, 1024]);
            // The output layer is a ReLU.
            assert!(values(out.output).iter().all(|&v| v >= 0.0));
        }
    }
}

#[test]
fn conv_autoencoder_parameter_counts_match_pytorch() {
    let device = device();
    assert_eq!(model(3, &device).num_params(), 4_680_643);
    // One input/output channel (Fashion-MNIST padded to 32x32): the first conv loses
    // 2 * 64 * 9 weights, the last 2 * 64 * 9 weights and 2 biases.
    assert_eq!(model(1, &device).num_params(), 4_678_337);
}

/// The whole conv autoencoder against a naive f64 implementation of the notebook's layers.
fn reference_forward(ae: &ConvAutoencoder, image: Map) -> (Vec<f64>, Map) {
    let slope = 0.1;
    let enc = &ae.encoder;
    let mut x = reference::conv2d(&image, &enc.conv1, 2, 1);
    reference::leaky(&mut x.data, slope);
    let mut x = reference::conv2d(&x, &enc.conv2, 2, 1);
    reference::leaky(&mut x.data, slope);
    let mut x = reference::conv2d(&x, &enc.conv3, 2, 1);
    reference::leaky(&mut x.data, slope);
    let mut code = reference::linear(&x.data, &enc.fc);
    reference::leaky(&mut code, slope);

    let dec = &ae.decoder;
    let mut flat = reference::linear(&code, &dec.fc);
    reference::leaky(&mut flat, slope);
    let x = Map::new(128, 4, 4, flat);
    let mut x = reference::conv2d(&x, &dec.conv1, 1, 1);
    reference::leaky(&mut x.data, slope);
    let x = reference::upsample2x(&x);
    let mut x = reference::conv2d(&x, &dec.conv2, 1, 1);
    reference::leaky(&mut x.data, slope);
    let x = reference::upsample2x(&x);
    let mut x = reference::conv2d(&x, &dec.conv3, 1, 1);
    reference::leaky(&mut x.data, slope);
    let x = reference::upsample2x(&x);
    let mut x = reference::conv2d(&x, &dec.conv4, 1, 1);
    reference::relu(&mut x.data);
    (code, x)
}

#[test]
fn conv_autoencoder_forward_matches_naive_reference_with_both_upsample_implementations() {
    let device = device();
    let mut ae = model(1, &device);
    // With one output channel a random init often leaves the output ReLU dead (all zeros, as
    // the PyTorch reference saw for most seeds); a positive bias keeps the comparison meaningful.
    ae.decoder.conv4.bias = Some(Param::from_data(
        TensorData::new(vec![0.2f32], [1]),
        &device,
    ));
    let batch = 2;
    let input = seeded_tensor([batch, 1, 32, 32], 11, 0.0, 1.0, &device);
    let pixels: Vec<f64> = values(input.clone()).into_iter().map(f64::from).collect();
    let expected: Vec<(Vec<f64>, Map)> = pixels
        .chunks(32 * 32)
        .map(|image| reference_forward(&ae, Map::new(1, 32, 32, image.to_vec())))
        .collect();
    let expected_code: Vec<f64> = expected.iter().flat_map(|(c, _)| c.clone()).collect();
    let expected_out: Vec<f64> = expected.iter().flat_map(|(_, m)| m.data.clone()).collect();
    // The output must not be trivially zero for the comparison to mean something.
    assert!(
        expected_out.iter().any(|&v| v > 1e-3),
        "reference output is all zero"
    );

    for mode in [
        UpsampleImplementation::Burn,
        UpsampleImplementation::Portable,
        UpsampleImplementation::Fused,
    ] {
        let ae = ae.clone().with_upsample_implementation(mode);
        let out = ae.reconstruct(input.clone());
        assert_close(
            &values(out.code),
            &expected_code,
            1e-4,
            &format!("code ({mode:?})"),
        );
        assert_close(
            &values(out.output),
            &expected_out,
            1e-4,
            &format!("output ({mode:?})"),
        );
    }
}

#[test]
fn conv_autoencoder_config_rebuilds_the_architecture() {
    let device = device();
    let config = ConvAutoencoderConfig::new()
        .with_in_channels(1)
        .with_code_size(64)
        .with_negative_slope(0.2)
        .with_upsampling(Upsampling::Nearest)
        .with_upsample_implementation(Some(UpsampleImplementation::Burn));
    let ae = config.init(&device);
    let rebuilt = ae.config();
    assert_eq!(rebuilt.in_channels, 1);
    assert_eq!(rebuilt.code_size, 64);
    assert_eq!(rebuilt.negative_slope, 0.2);
    assert_eq!(rebuilt.upsampling, Upsampling::Nearest);
    assert_eq!(
        rebuilt.upsample_implementation,
        Some(UpsampleImplementation::Burn)
    );
    // By default the implementation is the input device's, chosen at every forward pass.
    assert_eq!(ConvAutoencoderConfig::new().upsample_implementation, None);
    assert_eq!(
        ConvAutoencoderConfig::new().upsampling,
        Upsampling::Bilinear
    );
    assert_eq!(rebuilt.output_activation, Activation::Relu);
    assert_eq!(rebuilt.init(&device).num_params(), ae.num_params());
    let sigmoid = config
        .with_output_activation(Activation::Sigmoid)
        .init(&device);
    assert_eq!(sigmoid.config().output_activation, Activation::Sigmoid);
}

#[test]
fn conv_autoencoder_defaults_are_the_cifar_notebook() {
    let config = ConvAutoencoderConfig::new();
    assert_eq!(config.in_channels, 3);
    assert_eq!(config.code_size, 1024);
    assert_eq!(config.negative_slope, 0.1);
    assert_eq!(config.output_activation, Activation::Relu);
}

/// The same weights with another output activation.
fn with_output(ae: &ConvAutoencoder, activation: Activation) -> ConvAutoencoder {
    let mut ae = ae.clone();
    ae.decoder.output_activation = activation;
    ae
}

#[test]
fn the_output_activation_is_applied_to_the_last_convolution() {
    let device = device();
    let ae = model(1, &device);
    let input = seeded_tensor([2, 1, 32, 32], 5, 0.0, 1.0, &device);
    // Identity gives the last convolution's raw output z; the others must be f(z).
    let z: Vec<f64> = values(
        with_output(&ae, Activation::Identity)
            .reconstruct(input.clone())
            .output,
    )
    .into_iter()
    .map(f64::from)
    .collect();
    assert!(z.iter().any(|&v| v != 0.0), "identity output is all zero");
    type Case = (Activation, fn(f64) -> f64);
    let cases: [Case; 2] = [
        (Activation::Relu, |v| v.max(0.0)),
        (Activation::Sigmoid, |v| 1.0 / (1.0 + (-v).exp())),
    ];
    for (activation, f) in cases {
        let out = with_output(&ae, activation)
            .reconstruct(input.clone())
            .output;
        let expected: Vec<f64> = z.iter().map(|&v| f(v)).collect();
        assert_close(&values(out), &expected, 1e-6, &format!("{activation:?}"));
    }
}

/// The notebook's failure: with a negative output bias far larger than the pre-activations'
/// spread, a ReLU output is 0 everywhere and no weight gets a gradient; a sigmoid output with
/// the same weights still passes one.
#[test]
fn a_sigmoid_output_trains_where_the_relu_output_is_dead() {
    let device = device().autodiff();
    let mut ae = ConvAutoencoderConfig::new()
        .with_in_channels(1)
        .init(&device);
    ae.decoder.conv4.bias = Some(Param::from_data(
        TensorData::new(vec![-1.0f32], [1]),
        &device,
    ));
    let input = seeded_tensor([2, 1, 32, 32], 3, 0.0, 1.0, &device);
    let gradient_norm = |activation: Activation| {
        let ae = with_output(&ae, activation);
        let out = ae.reconstruct(input.clone()).output;
        let loss = (out.clone() - input.clone()).square().mean();
        let grads = loss.backward();
        let grad = ae
            .decoder
            .conv4
            .weight
            .val()
            .grad(&grads)
            .expect("conv4 gradient");
        let outputs = values(out);
        let norm = values(grad)
            .iter()
            .map(|g| f64::from(*g).abs())
            .sum::<f64>();
        (outputs, norm)
    };
    let (relu_out, relu_grad) = gradient_norm(Activation::Relu);
    assert!(
        relu_out.iter().all(|&v| v == 0.0),
        "the ReLU output is not dead"
    );
    assert_eq!(relu_grad, 0.0);
    let (sigmoid_out, sigmoid_grad) = gradient_norm(Activation::Sigmoid);
    // sigmoid(-1 + small) is about 0.27 everywhere.
    assert!(
        sigmoid_out.iter().all(|&v| (0.2..0.35).contains(&v)),
        "{:?}",
        &sigmoid_out[..4]
    );
    assert!(sigmoid_grad > 1e-4, "sigmoid gradient {sigmoid_grad}");
}

#[test]
fn conv_autoencoder_trains_on_ndarray_with_portable_upsampling() {
    let device = ndarray().autodiff();
    let ae = ConvAutoencoderConfig::new()
        .with_in_channels(1)
        .init(&device);
    assert_eq!(
        UpsampleImplementation::for_device(&device, Upsampling::Bilinear),
        UpsampleImplementation::Portable
    );
    let input = images([1, 1, 32, 32], &device);
    let out = ae.reconstruct(input.clone());
    let loss = (out.output - input).square().mean();
    let grads = loss.backward();
    for (name, grad) in [
        ("encoder.conv1", ae.encoder.conv1.weight.val().grad(&grads)),
        ("decoder.conv1", ae.decoder.conv1.weight.val().grad(&grads)),
        ("decoder.conv4", ae.decoder.conv4.weight.val().grad(&grads)),
    ] {
        let grad = grad.unwrap_or_else(|| panic!("{name} has no gradient"));
        assert!(
            values(grad).iter().all(|g| g.is_finite()),
            "{name} gradient is not finite"
        );
    }
}

#[test]
fn conv_autoencoder_runs_and_trains_in_every_upsampling_mode_on_flex_and_ndarray() {
    let flex = Device::flex();
    let mut base = model(3, &flex);
    // An identity output: a random init's output ReLU may be dead on every channel.
    base.decoder.output_activation = Activation::Identity;
    let input = seeded_tensor([2, 3, 32, 32], 5, 0.0, 1.0, &flex);
    let decoded = |mode: Upsampling, implementation| {
        let ae = base.clone().with_upsampling(mode);
        let ae = ae.with_upsample_implementation(implementation);
        let x = ae.reconstruct(input.clone()).output;
        assert_eq!(x.dims(), [2, 3, 32, 32], "{mode:?}");
        values(x)
    };
    let mut outputs = Vec::new();
    for mode in Upsampling::ALL {
        let burn = decoded(mode, UpsampleImplementation::Burn);
        let portable = decoded(mode, UpsampleImplementation::Portable);
        let burn_f64: Vec<f64> = burn.iter().map(|&v| f64::from(v)).collect();
        assert_close(&portable, &burn_f64, 1e-5, &format!("{mode:?}"));
        outputs.push(burn);
    }
    // The modes compute different things.
    assert_ne!(outputs[0], outputs[1]);
    assert_ne!(outputs[0], outputs[2]);

    // Training on ndarray (portable implementation, picked for the device) in every mode.
    let device = ndarray().autodiff();
    for mode in Upsampling::ALL {
        let ae = ConvAutoencoderConfig::new()
            .with_in_channels(1)
            .with_upsampling(mode)
            .init(&device);
        let input = images([2, 1, 32, 32], &device);
        let out = ae.reconstruct(input.clone());
        assert_eq!(out.output.dims(), [2, 1, 32, 32]);
        let grads = (out.output - input).square().mean().backward();
        let grad = ae
            .decoder
            .conv1
            .weight
            .val()
            .grad(&grads)
            .expect("gradient");
        assert!(values(grad).iter().all(|g| g.is_finite()), "{mode:?}");
    }
}

#[test]
#[should_panic(expected = "ConvEncoder expects images [batch, 3, 32, 32]")]
fn conv_autoencoder_rejects_wrong_image_size() {
    let device = device();
    let ae = model(3, &device);
    ae.encode(Tensor::zeros([1, 3, 28, 28], &device));
}
