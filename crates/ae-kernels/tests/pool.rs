//! The fused ReLU + 2×2 max-pool against Burn's ReLU then `MaxPool2d`: values and input
//! gradients, on flex (fused) and ndarray (the plain graph).

use ae_kernels::{fused_calls, relu_max_pool_2x2, relu_max_pool_2x2_unfused};
use burn::tensor::{Device, Distribution, Tensor, TensorData};

fn values(tensor: Tensor<4>) -> Vec<f32> {
    tensor.into_data().try_to_vec().expect("f32 values")
}

/// Output and input gradient of `layer` for `sum(output * upstream)`.
fn run(
    layer: fn(Tensor<4>) -> Tensor<4>,
    device: &Device,
    input: &TensorData,
    upstream: &TensorData,
) -> (Vec<f32>, Vec<f32>) {
    let input = Tensor::<4>::from_data(input.clone(), device).require_grad();
    let output = layer(input.clone());
    let grads = (output.clone() * Tensor::from_data(upstream.clone(), device))
        .sum()
        .backward();
    (
        values(output),
        values(input.grad(&grads).expect("input gradient")),
    )
}

fn compare(device: &Device, shape: [usize; 4]) {
    let host = Device::flex();
    // Values on a coarse grid, so that windows hold ties and exact zeros.
    let input = Tensor::<4>::random(shape, Distribution::Uniform(-4.0, 4.0), &host)
        .round()
        .into_data();
    let out_shape = [shape[0], shape[1], shape[2] / 2, shape[3] / 2];
    let upstream =
        Tensor::<4>::random(out_shape, Distribution::Normal(0.0, 1.0), &host).into_data();
    let calls = fused_calls();
    let fused = run(
        relu_max_pool_2x2,
        &device.clone().autodiff(),
        &input,
        &upstream,
    );
    if *device == Device::flex() {
        assert!(fused_calls() > calls, "flex took the plain graph");
    }
    let plain = run(
        relu_max_pool_2x2_unfused,
        &device.clone().autodiff(),
        &input,
        &upstream,
    );
    assert_eq!(fused.0, plain.0, "{shape:?}: outputs differ");
    assert_eq!(fused.1, plain.1, "{shape:?}: input gradients differ");
}

#[test]
fn fused_relu_max_pool_matches_relu_then_max_pool() {
    // LeNet's two shapes, and odd sizes whose last row and column are dropped.
    for shape in [[100, 6, 28, 28], [100, 16, 10, 10], [2, 3, 7, 5]] {
        compare(&Device::flex(), shape);
    }
}

#[test]
#[allow(deprecated)]
fn on_ndarray_the_plain_graph_runs() {
    compare(&Device::ndarray(), [3, 2, 6, 6]);
}

#[test]
fn hand_computed_window() {
    let device = Device::flex().autodiff();
    // One 2×4 plane: windows [[1, 3], [3, -1]] (max 3, first at (0, 1)) and [[-2, -5], [-1, -3]]
    // (all negative: 0, no gradient).
    let input = Tensor::<4>::from_floats(
        [[[[1.0, 3.0, -2.0, -5.0], [3.0, -1.0, -1.0, -3.0]]]],
        &device,
    )
    .require_grad();
    let output = relu_max_pool_2x2(input.clone());
    assert_eq!(values(output.clone()), vec![3.0, 0.0]);
    let grads = (output * Tensor::from_floats([[[[2.0, 7.0]]]], &device))
        .sum()
        .backward();
    let expected = vec![0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
    assert_eq!(values(input.grad(&grads).unwrap()), expected);
}
