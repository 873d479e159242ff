//! ae trains step for step as PyTorch does: from the weights of two PyTorch fixtures, five
//! optimiser steps on the fixture's input give PyTorch's losses and final output
//! (`crates/ae-train/tests/fixtures/*.steps.safetensors`, written by
//! `pytorch/training_steps_fixture.py`). This covers the forward pass, the backward pass (the
//! fused dense layers' hand-written one included) and the one-pass optimisers together.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ae_kernels::{AdamSettings, SgdSettings};
use ae_models::pytorch::load_pytorch;
use ae_models::{ConvAutoencoderConfig, Reconstructs, StackedAutoencoderConfig};
use ae_train::{OnePassAdam, OnePassSgd};
use burn::module::Module;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor, TensorData};

fn model_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../ae-models/tests/fixtures/pytorch")
        .join(name)
}

fn tensors(path: &Path) -> BTreeMap<String, (Vec<usize>, Vec<f32>)> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let file = safetensors::SafeTensors::deserialize(&bytes).expect("a safetensors file");
    file.tensors()
        .into_iter()
        .map(|(name, view)| {
            let values = view
                .data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            (name, (view.shape().to_vec(), values))
        })
        .collect()
}

/// The fixture's input as images, and PyTorch's losses and final output.
fn expected(name: &str, image_shape: [usize; 4]) -> (TensorData, Vec<f32>, Vec<f32>) {
    let io = tensors(&model_fixture(&format!("{name}.io.safetensors")));
    let (_, input) = io["input"].clone();
    let steps = tensors(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(format!("{name}.steps.safetensors")),
    );
    let (_, losses) = steps["losses"].clone();
    let (_, output) = steps["output"].clone();
    (TensorData::new(input, image_shape), losses, output)
}

/// Five steps of MSE(reconstruction, input) with `optimizer`; the losses before each step and
/// the output after the last.
fn train<M>(
    mut model: M,
    input: Tensor<4>,
    mut optimizer: ModuleOptimizer,
    lr: f64,
) -> (Vec<f32>, Vec<f32>)
where
    M: Reconstructs + Module,
{
    let mut losses = Vec::new();
    for _ in 0..5 {
        let output = model.reconstruct(input.clone()).output;
        let loss = (output - input.clone()).square().mean();
        losses.push(
            loss.clone()
                .into_data()
                .try_to_vec::<f32>()
                .expect("f32 loss")[0],
        );
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optimizer.step(lr, model, grads);
    }
    let output = model.reconstruct(input).output;
    (losses, output.into_data().try_to_vec().expect("f32 output"))
}

fn assert_close(what: &str, actual: &[f32], expected: &[f32], tolerance: f32) {
    assert_eq!(actual.len(), expected.len(), "{what}: lengths differ");
    let worst = actual
        .iter()
        .zip(expected)
        .map(|(a, e)| (a - e).abs() / e.abs().max(1e-2))
        .fold(0.0f32, f32::max);
    eprintln!("{what}: largest relative difference {worst:.2e}");
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert!(
            (a - e).abs() <= tolerance * e.abs().max(1e-2),
            "{what}[{i}]: ae {a}, PyTorch {e}\n  ae:      {actual:?}\n  PyTorch: {expected:?}"
        );
    }
}

#[test]
fn dense_autoencoder_with_sgd_follows_pytorch() {
    let device = Device::flex().autodiff();
    let name = "autoencoder-784-400-784";
    let model = StackedAutoencoderConfig::mnist_dense().init(&device);
    let model = load_pytorch(model, &model_fixture(&format!("{name}.safetensors"))).unwrap();
    let (input, losses, output) = expected(name, [4, 1, 28, 28]);
    let sgd = OnePassSgd::new(SgdSettings {
        momentum: 0.0,
        dampening: 0.0,
        weight_decay: 0.0,
        nesterov: false,
    });
    let (ae_losses, ae_output) = train(model, Tensor::from_data(input, &device), sgd.into(), 0.98);
    // Measured: 1e-7 and 3e-7.
    assert_close("losses", &ae_losses, &losses, 1e-5);
    assert_close("output after 5 steps", &ae_output, &output, 1e-5);
}

#[test]
fn conv_autoencoder_with_adam_follows_pytorch() {
    let device = Device::flex().autodiff();
    let name = "conv-autoencoder-1ch-code16";
    let model = ConvAutoencoderConfig::new()
        .with_in_channels(1)
        .with_code_size(16)
        .init(&device);
    let model = load_pytorch(model, &model_fixture(&format!("{name}.safetensors"))).unwrap();
    let (input, losses, output) = expected(name, [2, 1, 32, 32]);
    let adam = OnePassAdam::new(AdamSettings {
        beta_1: 0.9,
        beta_2: 0.999,
        epsilon: 1e-8,
        weight_decay: 0.0,
    });
    let (ae_losses, ae_output) = train(model, Tensor::from_data(input, &device), adam.into(), 1e-3);
    // Measured: 4e-5 and 2.5e-6 (the fourth step's loss jumps to 0.88 and back: Adam on two
    // images amplifies float rounding).
    assert_close("losses", &ae_losses, &losses, 5e-4);
    assert_close("output after 5 steps", &ae_output, &output, 1e-4);
}
