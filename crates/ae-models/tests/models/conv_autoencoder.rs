use ae_models::{ConvAutoencoder, ConvAutoencoderConfig, Reconstructs, UpsampleMode};
use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor, TensorData};

use crate::common::{assert_close, device, images, ndarray, seeded_tensor, values};
use crate::reference::{self, Map};

fn model(in_channels: usize, device: &Device) -> ConvAutoencoder {
    ConvAutoencoderConfig::new()
        .with_in_channels(in_channels)
        .with_upsample(UpsampleMode::for_device(device))
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
fn conv_autoencoder_forward_matches_naive_reference_in_both_upsample_modes() {
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

    for mode in [UpsampleMode::Burn, UpsampleMode::Portable] {
        let ae = ae.clone().with_upsample(mode);
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
        .with_upsample(UpsampleMode::Burn);
    let ae = config.init(&device);
    let rebuilt = ae.config();
    assert_eq!(rebuilt.in_channels, 1);
    assert_eq!(rebuilt.code_size, 64);
    assert_eq!(rebuilt.negative_slope, 0.2);
    assert_eq!(rebuilt.upsample, UpsampleMode::Burn);
    assert_eq!(rebuilt.init(&device).num_params(), ae.num_params());
}

#[test]
fn conv_autoencoder_defaults_are_the_cifar_notebook() {
    let config = ConvAutoencoderConfig::new();
    assert_eq!(config.in_channels, 3);
    assert_eq!(config.code_size, 1024);
    assert_eq!(config.negative_slope, 0.1);
}

#[test]
fn conv_autoencoder_trains_on_ndarray_with_portable_upsampling() {
    let device = ndarray().autodiff();
    let ae = ConvAutoencoderConfig::new()
        .with_in_channels(1)
        .with_upsample(UpsampleMode::for_device(&device))
        .init(&device);
    assert_eq!(UpsampleMode::for_device(&device), UpsampleMode::Portable);
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
#[should_panic(expected = "ConvEncoder expects images [batch, 3, 32, 32]")]
fn conv_autoencoder_rejects_wrong_image_size() {
    let device = device();
    let ae = model(3, &device);
    ae.encode(Tensor::zeros([1, 3, 28, 28], &device));
}
