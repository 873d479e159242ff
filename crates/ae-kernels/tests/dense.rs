//! The fused dense layer against Burn's plain graph: values and the gradients of input, weight
//! and bias, for every activation, on flex (the fused kernels) and on ndarray (the plain graph).

use ae_kernels::{FusedActivation, dense, dense_unfused, fused_calls};
use burn::tensor::{Device, Distribution, Tensor};

const ACTIVATIONS: [FusedActivation; 5] = [
    FusedActivation::Tanh,
    FusedActivation::Sigmoid,
    FusedActivation::Relu,
    FusedActivation::LeakyRelu {
        negative_slope: 0.1,
    },
    FusedActivation::Identity,
];

fn values(tensor: Tensor<2>) -> Vec<f32> {
    tensor.into_data().try_to_vec().expect("f32 values")
}

fn values_1d(tensor: Tensor<1>) -> Vec<f32> {
    tensor.into_data().try_to_vec().expect("f32 values")
}

fn assert_close(what: &str, actual: &[f32], expected: &[f32], tolerance: f32) {
    assert_eq!(actual.len(), expected.len(), "{what}: lengths differ");
    let scale = expected.iter().fold(1e-3f32, |m, v| m.max(v.abs()));
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert!(
            (a - e).abs() <= tolerance * scale,
            "{what}[{i}]: fused {a}, plain graph {e} (tolerance {tolerance} x {scale})"
        );
    }
}

struct Outcome {
    output: Vec<f32>,
    input_grad: Vec<f32>,
    weight_grad: Vec<f32>,
    bias_grad: Vec<f32>,
}

/// Runs `layer` on the given values and back-propagates `sum(output * upstream)`.
fn run(
    layer: fn(Tensor<2>, Tensor<2>, Option<Tensor<1>>, FusedActivation) -> Tensor<2>,
    device: &Device,
    [input, weight, bias, upstream]: [&Tensor<2>; 4],
    activation: FusedActivation,
) -> Outcome {
    let input = Tensor::<2>::from_data(input.to_data(), device).require_grad();
    let weight = Tensor::<2>::from_data(weight.to_data(), device).require_grad();
    let bias = Tensor::<2>::from_data(bias.to_data(), device)
        .reshape([bias.dims()[1]])
        .require_grad();
    let upstream = Tensor::<2>::from_data(upstream.to_data(), device);
    let output = layer(
        input.clone(),
        weight.clone(),
        Some(bias.clone()),
        activation,
    );
    let grads = (output.clone() * upstream).sum().backward();
    Outcome {
        output: values(output),
        input_grad: values(input.grad(&grads).expect("input gradient")),
        weight_grad: values(weight.grad(&grads).expect("weight gradient")),
        bias_grad: values_1d(bias.grad(&grads).expect("bias gradient")),
    }
}

fn compare_on(device: &Device, batch: usize, d_input: usize, d_output: usize) {
    let host = Device::flex();
    let input = Tensor::<2>::random([batch, d_input], Distribution::Uniform(-1.0, 1.0), &host);
    let weight = Tensor::<2>::random([d_input, d_output], Distribution::Uniform(-0.5, 0.5), &host);
    let bias = Tensor::<2>::random([1, d_output], Distribution::Uniform(-0.5, 0.5), &host);
    let upstream = Tensor::<2>::random([batch, d_output], Distribution::Normal(0.0, 1.0), &host);
    for activation in ACTIVATIONS {
        let tensors = [&input, &weight, &bias, &upstream];
        let calls = fused_calls();
        let fused = run(dense, &device.clone().autodiff(), tensors, activation);
        // The fused kernel ran on flex and only there (tests run in parallel: at least one).
        if *device == Device::flex() {
            assert!(fused_calls() > calls, "flex took the plain graph");
        }
        let plain = run(
            dense_unfused,
            &device.clone().autodiff(),
            tensors,
            activation,
        );
        let what = |part: &str| format!("{activation:?} {batch}x{d_input}x{d_output} {part}");
        assert_close(&what("output"), &fused.output, &plain.output, 1e-5);
        assert_close(
            &what("input grad"),
            &fused.input_grad,
            &plain.input_grad,
            1e-4,
        );
        assert_close(
            &what("weight grad"),
            &fused.weight_grad,
            &plain.weight_grad,
            1e-4,
        );
        assert_close(&what("bias grad"), &fused.bias_grad, &plain.bias_grad, 1e-4);
    }
}

#[test]
fn fused_dense_matches_the_plain_graph_on_flex() {
    let device = Device::flex();
    // Small (one thread) and large (split over rayon's threads) passes.
    compare_on(&device, 3, 5, 4);
    compare_on(&device, 100, 784, 400);
}

#[test]
#[allow(deprecated)]
fn dense_on_ndarray_is_the_plain_graph_and_agrees_with_flex() {
    compare_on(&Device::ndarray(), 7, 20, 9);
    // Same values on both backends, through both paths.
    let host = Device::flex();
    let input = Tensor::<2>::random([4, 6], Distribution::Uniform(-1.0, 1.0), &host);
    let weight = Tensor::<2>::random([6, 3], Distribution::Uniform(-1.0, 1.0), &host);
    let bias = Tensor::<1>::random([3], Distribution::Uniform(-1.0, 1.0), &host);
    let on = |device: &Device| {
        values(dense(
            Tensor::from_data(input.to_data(), device),
            Tensor::from_data(weight.to_data(), device),
            Some(Tensor::from_data(bias.to_data(), device)),
            FusedActivation::Tanh,
        ))
    };
    assert_close(
        "flex vs ndarray",
        &on(&Device::flex()),
        &on(&Device::ndarray()),
        1e-5,
    );
}

#[test]
fn hand_computed_tanh_layer() {
    // x = [[1, -2]], W = [[0.5, 1], [0.25, -1]], b = [0.1, -0.2]:
    // x W + b = [0.5 - 0.5 + 0.1, 1 + 2 - 0.2] = [0.1, 2.8].
    let device = Device::flex().autodiff();
    let input = Tensor::<2>::from_floats([[1.0, -2.0]], &device).require_grad();
    let weight = Tensor::<2>::from_floats([[0.5, 1.0], [0.25, -1.0]], &device).require_grad();
    let bias = Tensor::<1>::from_floats([0.1, -0.2], &device).require_grad();
    let output = dense(
        input.clone(),
        weight.clone(),
        Some(bias.clone()),
        FusedActivation::Tanh,
    );
    let expected = [0.1f32.tanh(), 2.8f32.tanh()];
    assert_close("output", &values(output.clone()), &expected, 1e-6);
    // d sum(y) / d b = 1 - y².
    let grads = output.sum().backward();
    let dz = expected.map(|y| 1.0 - y * y);
    assert_close(
        "bias grad",
        &values_1d(bias.grad(&grads).unwrap()),
        &dz,
        1e-5,
    );
    // d / d W[i][j] = x[i] dz[j]; d / d x[i] = Σ_j W[i][j] dz[j].
    let weight_grad = [dz[0], dz[1], -2.0 * dz[0], -2.0 * dz[1]];
    assert_close(
        "weight grad",
        &values(weight.grad(&grads).unwrap()),
        &weight_grad,
        1e-5,
    );
    let input_grad = [0.5 * dz[0] + dz[1], 0.25 * dz[0] - dz[1]];
    assert_close(
        "input grad",
        &values(input.grad(&grads).unwrap()),
        &input_grad,
        1e-5,
    );
}

#[test]
fn untracked_input_and_transposed_operands() {
    // The first layer's input carries no gradient; a transposed (strided) input is read right.
    let device = Device::flex().autodiff();
    let host = Device::flex();
    let input_t = Tensor::<2>::random([30, 50], Distribution::Uniform(-1.0, 1.0), &host);
    let weight = Tensor::<2>::random([30, 20], Distribution::Uniform(-0.5, 0.5), &host);
    let bias = Tensor::<1>::random([20], Distribution::Uniform(-0.5, 0.5), &host);
    let layer = |f: fn(Tensor<2>, Tensor<2>, Option<Tensor<1>>, FusedActivation) -> Tensor<2>| {
        let input = Tensor::<2>::from_data(input_t.to_data(), &device).transpose();
        let weight = Tensor::<2>::from_data(weight.to_data(), &device).require_grad();
        let bias = Tensor::<1>::from_data(bias.to_data(), &device).require_grad();
        let output = f(input, weight.clone(), Some(bias), FusedActivation::Sigmoid);
        let grads = output.clone().sum().backward();
        (values(output), values(weight.grad(&grads).unwrap()))
    };
    let (fused, fused_grad) = layer(dense);
    let (plain, plain_grad) = layer(dense_unfused);
    assert_close("output", &fused, &plain, 1e-5);
    assert_close("weight grad", &fused_grad, &plain_grad, 1e-4);
}

#[test]
fn without_bias_or_with_a_sign_flipping_slope_the_plain_graph_runs() {
    let device = Device::flex();
    let input = Tensor::<2>::from_floats([[1.0, -1.0]], &device);
    let weight = Tensor::<2>::from_floats([[2.0], [1.0]], &device);
    let no_bias = dense(
        input.clone(),
        weight.clone(),
        None,
        FusedActivation::Identity,
    );
    assert_close("no bias", &values(no_bias), &[1.0], 0.0);
    let flipped = FusedActivation::LeakyRelu {
        negative_slope: -0.5,
    };
    assert!(!flipped.fusable());
    let negative = dense(
        input,
        weight.neg(),
        Some(Tensor::from_floats([0.0], &device)),
        flipped,
    );
    assert_close("negative slope", &values(negative), &[0.5], 0.0);
}
