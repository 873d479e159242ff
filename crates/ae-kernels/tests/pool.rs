//! The fused ReLU + 2×2 max-pool against Burn's ReLU then `MaxPool2d`: values and input
//! gradients, on flex (fused) and ndarray (the plain graph).

mod common;

use ae_kernels::{relu_max_pool_2x2, relu_max_pool_2x2_unfused};
use burn::tensor::{Device, Tensor};

use common::{assert_fused_matches_plain, values};

fn compare(device: &Device, shape: [usize; 4]) {
    let out_shape = [shape[0], shape[1], shape[2] / 2, shape[3] / 2];
    assert_fused_matches_plain(
        device,
        shape,
        out_shape,
        relu_max_pool_2x2,
        relu_max_pool_2x2_unfused,
    );
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
