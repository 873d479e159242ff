//! The convolutional VAE (the conv autoencoder's encoder and decoder around a Gaussian latent):
//! shapes, the parameter count by hand, the flat view the objective uses, the importance-
//! weighted bound with one sample against the negative ELBO's estimate by hand, gradients in
//! every layer, and its PyTorch names.

use ae_models::pytorch::{expected_shapes, load_pytorch, save_pytorch};
use ae_models::{
    ConvVae, ConvVaeConfig, LatentVariableModel, Likelihood, Reconstructs, Upsampling,
    bernoulli_nll, elbo_terms, iwae_nll,
};
use burn::module::Module;
use burn::tensor::{Device, Distribution, Tensor, activation};

use crate::common::{assert_close, device, images, param_data, values};

const LN_2PI: f64 = 1.837_877_066_409_345_3;

fn model(in_channels: usize, device: &Device) -> ConvVae {
    ConvVaeConfig::new()
        .with_in_channels(in_channels)
        .init(device)
}

fn normals(shape: [usize; 2], device: &Device) -> Tensor<2> {
    Tensor::random(shape, Distribution::Normal(0.0, 1.0), device)
}

fn as_f64(values: &[f32]) -> Vec<f64> {
    values.iter().map(|&v| v as f64).collect()
}

#[test]
fn conv_vae_shapes_accessors_and_defaults() {
    let device = device();
    for in_channels in [1, 3] {
        let vae = model(in_channels, &device);
        assert_eq!(
            (vae.in_channels(), vae.hidden(), vae.latent()),
            (in_channels, 256, 32)
        );
        assert_eq!(vae.fc_mu.weight.dims(), [256, 32]);
        assert_eq!(vae.fc_log_var.weight.dims(), [256, 32]);
        assert_eq!(vae.decoder.fc.weight.dims(), [32, 2048]);
        assert_eq!(vae.decoder.conv4.weight.dims(), [in_channels, 64, 3, 3]);
        for batch in [1, 3] {
            let x = images([batch, in_channels, 32, 32], &device);
            let eps = normals([batch, 32], &device);
            let (mu, log_var) = vae.encode(x.clone());
            assert_eq!((mu.dims(), log_var.dims()), ([batch, 32], [batch, 32]));
            let out = vae.forward(x.clone(), eps);
            assert_eq!(out.logits.dims(), [batch, in_channels, 32, 32]);
            assert_eq!(out.z.dims(), [batch, 32]);
            let decoded = values(vae.decode(out.z.clone()));
            assert!(decoded.iter().all(|&p| p > 0.0 && p < 1.0));
            let expected = as_f64(&values(activation::sigmoid(out.logits.clone())));
            assert_close(&decoded, &expected, 1e-6, "decode = sigmoid(decode_logits)");

            // The reconstruction decodes the posterior mean; its code is μ.
            let rec = vae.reconstruct(x.clone());
            assert_eq!(rec.output.dims(), [batch, in_channels, 32, 32]);
            assert_close(
                &values(rec.code),
                &as_f64(&values(mu.clone())),
                1e-6,
                "code",
            );

            // The flat view: rows of c·32·32 values in [c, h, w] order.
            let flat = x.reshape([batch, in_channels * 1024]);
            let (flat_mu, _) = vae.encode_flat(flat);
            assert_close(&values(flat_mu), &as_f64(&values(mu)), 1e-6, "encode_flat");
            let flat_logits = vae.decode_logits_flat(out.z.clone());
            assert_eq!(flat_logits.dims(), [batch, in_channels * 1024]);
            let logits = as_f64(&values(out.logits));
            assert_close(&values(flat_logits), &logits, 1e-5, "decode_logits_flat");
            assert_eq!(LatentVariableModel::latent(&vae), 32);
        }
    }
    let config = ConvVaeConfig::new();
    assert_eq!(
        (config.in_channels, config.hidden, config.latent),
        (1, 256, 32)
    );
    assert_eq!(config.negative_slope, 0.1);
    assert_eq!(config.upsampling, Upsampling::Bilinear);
}

#[test]
fn conv_vae_parameter_count_by_hand() {
    let device = device();
    // Encoder: conv 1->64, 64->128, 128->128 (3x3, with biases), dense 2048 -> 256.
    let encoder = (64 * 9 + 64) + (128 * 64 * 9 + 128) + (128 * 128 * 9 + 128) + (2048 * 256 + 256);
    // The μ and log σ² heads 256 -> 32.
    let heads = 2 * (256 * 32 + 32);
    // Decoder: dense 32 -> 2048, conv 128->128, 128->64, 64->64, 64->1.
    let decoder = (32 * 2048 + 2048)
        + (128 * 128 * 9 + 128)
        + (64 * 128 * 9 + 64)
        + (64 * 64 * 9 + 64)
        + (64 * 9 + 1);
    assert_eq!(encoder + heads + decoder, 1_089_537);
    assert_eq!(model(1, &device).num_params(), 1_089_537);
    // Three channels: conv1 and conv4 each gain 2·64·9 weights, conv4 two biases.
    assert_eq!(model(3, &device).num_params(), 1_089_537 + 4 * 64 * 9 + 2);
    let small = ConvVaeConfig::new()
        .with_in_channels(3)
        .with_hidden(16)
        .with_latent(2)
        .init(&device);
    let conv = (64 * 27 + 64) + (128 * 64 * 9 + 128) + (128 * 128 * 9 + 128);
    let deconv =
        (128 * 128 * 9 + 128) + (64 * 128 * 9 + 64) + (64 * 64 * 9 + 64) + (3 * 64 * 9 + 3);
    assert_eq!(
        small.num_params(),
        conv + (2048 * 16 + 16) + 2 * (16 * 2 + 2) + (2 * 2048 + 2048) + deconv
    );
}

#[test]
fn conv_vae_config_rebuilds_the_architecture() {
    let device = device();
    let vae = ConvVaeConfig::new()
        .with_in_channels(3)
        .with_hidden(64)
        .with_latent(8)
        .with_negative_slope(0.2)
        .with_upsampling(Upsampling::Nearest)
        .init(&device);
    let config = vae.config();
    assert_eq!(
        (config.in_channels, config.hidden, config.latent),
        (3, 64, 8)
    );
    assert_eq!(config.negative_slope, 0.2);
    assert_eq!(config.upsampling, Upsampling::Nearest);
    assert_eq!(config.init(&device).num_params(), vae.num_params());
    let bilinear = vae.with_upsampling(Upsampling::Bilinear);
    assert_eq!(bilinear.config().upsampling, Upsampling::Bilinear);
}

#[test]
#[should_panic(expected = "ConvVaeConfig sizes must be positive")]
fn conv_vae_config_rejects_a_zero_latent_size() {
    ConvVaeConfig::new().with_latent(0).init(&device());
}

#[test]
#[should_panic(expected = "ConvEncoder expects images [batch, 1, 32, 32]")]
fn conv_vae_rejects_28x28_images() {
    let device = device();
    model(1, &device).encode(Tensor::zeros([2, 1, 28, 28], &device));
}

#[test]
#[should_panic(expected = "ConvVae expects rows of 1·32·32 = 1024 values")]
fn conv_vae_rejects_flat_rows_of_the_wrong_width() {
    let device = device();
    model(1, &device).encode_flat(Tensor::zeros([2, 784], &device));
}

#[test]
#[should_panic(expected = "ConvVae::forward expects eps [2, 32]")]
fn conv_vae_forward_rejects_eps_of_the_wrong_shape() {
    let device = device();
    model(1, &device).forward(
        Tensor::zeros([2, 1, 32, 32], &device),
        Tensor::zeros([2, 20], &device),
    );
}

/// `-log w = -log p(x|z) - log p(z) + log q(z|x)` of one forward pass, by hand in f64.
fn negative_log_weight_by_hand(
    logits: &[f32],
    x: &[f32],
    mu: &[f32],
    log_var: &[f32],
    z: &[f32],
    batch: usize,
) -> Vec<f64> {
    let (pixels, latent) = (x.len() / batch, mu.len() / batch);
    (0..batch)
        .map(|b| {
            let bce: f64 = (0..pixels)
                .map(|j| {
                    let (l, t) = (logits[b * pixels + j] as f64, x[b * pixels + j] as f64);
                    l.max(0.0) - l * t + (-l.abs()).exp().ln_1p()
                })
                .sum();
            let (log_pz, log_qz): (f64, f64) = (0..latent)
                .map(|j| {
                    let i = b * latent + j;
                    let (z, mu, sigma) =
                        (z[i] as f64, mu[i] as f64, (0.5 * log_var[i] as f64).exp());
                    let u = (z - mu) / sigma;
                    (
                        -0.5 * (z * z + LN_2PI),
                        -0.5 * (u * u + LN_2PI) - sigma.ln(),
                    )
                })
                .fold((0.0, 0.0), |(p, q), (a, b)| (p + a, q + b));
            bce - log_pz + log_qz
        })
        .collect()
}

#[test]
fn iwae_nll_with_one_sample_is_the_negative_elbo_estimate_with_that_eps() {
    let device = device();
    for in_channels in [1, 3] {
        let vae = model(in_channels, &device);
        let batch = 3;
        let x = images([batch, in_channels, 32, 32], &device);
        let flat = x.clone().reshape([batch, in_channels * 1024]);
        let eps = normals([batch, 32], &device);
        let out = vae.forward(x, eps.clone());
        let expected = negative_log_weight_by_hand(
            &values(out.logits.clone()),
            &values(flat.clone()),
            &values(out.mu.clone()),
            &values(out.log_var.clone()),
            &values(out.z.clone()),
            batch,
        );
        let iw = values(iwae_nll(
            &vae,
            flat.clone(),
            std::slice::from_ref(&eps),
            Likelihood::Bernoulli,
        ));
        // ~700 nats summed over 1024·c pixels in f32.
        let tolerance = 1e-5 * expected.iter().fold(0.0f64, |m, v| m.max(v.abs())) + 1e-3;
        assert_close(&iw, &expected, tolerance, "iwae_nll K = 1");

        // The flat forward pass gives the same terms as the image one.
        let flat_out = vae.forward_flat(flat.clone(), eps);
        let image_out = out.flatten();
        let recon = values(bernoulli_nll(image_out.logits.clone(), flat.clone()));
        let terms = elbo_terms(flat, &flat_out, Likelihood::Bernoulli);
        assert_close(
            &values(terms.reconstruction),
            &as_f64(&recon),
            tolerance,
            "forward_flat's reconstruction term",
        );
        // Its closed-form KL is the expectation over eps of log q - log p; both positive here.
        assert!(
            values(terms.kl)
                .iter()
                .all(|&kl| kl >= 0.0 && kl.is_finite())
        );
    }
}

#[test]
fn negative_elbo_gradients_reach_every_layer() {
    let device = device().autodiff();
    let vae = ConvVaeConfig::new().with_hidden(64).init(&device);
    let batch = 2;
    let x = images([batch, 1, 32, 32], &device);
    let flat = x.clone().reshape([batch, 1024]);
    let out = vae.forward(x, normals([batch, 32], &device)).flatten();
    let loss = elbo_terms(flat, &out, Likelihood::Bernoulli)
        .negative_elbo()
        .mean();
    let grads = loss.backward();
    let conv = [
        ("encoder.conv1", &vae.encoder.conv1),
        ("encoder.conv2", &vae.encoder.conv2),
        ("encoder.conv3", &vae.encoder.conv3),
        ("decoder.conv1", &vae.decoder.conv1),
        ("decoder.conv2", &vae.decoder.conv2),
        ("decoder.conv3", &vae.decoder.conv3),
        ("decoder.conv4", &vae.decoder.conv4),
    ];
    let mut seen = Vec::new();
    for (name, layer) in conv {
        let grad = values(layer.weight.grad(&grads).expect(name));
        let bias = values(layer.bias.as_ref().unwrap().grad(&grads).expect(name));
        seen.push((name, grad.iter().chain(&bias).copied().collect::<Vec<_>>()));
    }
    let dense = [
        ("encoder.fc", &vae.encoder.fc),
        ("fc_mu", &vae.fc_mu),
        ("fc_log_var", &vae.fc_log_var),
        ("decoder.fc", &vae.decoder.fc),
    ];
    for (name, layer) in dense {
        let grad = values(layer.weight.grad(&grads).expect(name));
        let bias = values(layer.bias.as_ref().unwrap().grad(&grads).expect(name));
        seen.push((name, grad.iter().chain(&bias).copied().collect::<Vec<_>>()));
    }
    for (name, grad) in seen {
        assert!(
            grad.iter().any(|g| g.abs() > 1e-7) && grad.iter().all(|g| g.is_finite()),
            "{name}: no gradient (largest {:e})",
            grad.iter().fold(0.0f32, |m, g| m.max(g.abs()))
        );
    }
}

#[test]
fn conv_vae_has_the_conv_autoencoders_pytorch_names_and_round_trips() {
    let device = device();
    let vae = model(3, &device);
    let shapes = expected_shapes(&vae);
    let keys: Vec<&str> = shapes.keys().map(String::as_str).collect();
    let mut expected: Vec<String> = [
        "conv_encoder.0",
        "conv_encoder.2",
        "conv_encoder.4",
        "fc_encoder.0",
        "fc_mu",
        "fc_log_var",
        "fc_decoder.0",
        "conv_decoder.0",
        "conv_decoder.3",
        "conv_decoder.6",
        "conv_decoder.9",
    ]
    .iter()
    .flat_map(|layer| [format!("{layer}.weight"), format!("{layer}.bias")])
    .collect();
    expected.sort();
    assert_eq!(keys, expected);
    // PyTorch layouts: Linear weights [out, in].
    assert_eq!(shapes["fc_mu.weight"], vec![32, 256]);
    assert_eq!(shapes["fc_decoder.0.weight"], vec![2048, 32]);
    assert_eq!(shapes["conv_decoder.9.weight"], vec![3, 64, 3, 3]);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("conv-vae.safetensors");
    save_pytorch(&vae, &path, &[]).unwrap();
    let loaded = load_pytorch(model(3, &device), &path).unwrap();
    let bits = |m: &ConvVae| -> Vec<Vec<u8>> {
        param_data(m)
            .into_iter()
            .map(|d| d.as_bytes().to_vec())
            .collect()
    };
    assert_eq!(bits(&loaded), bits(&vae));
}
