//! The fused leaky ReLU against Burn's `activation::leaky_relu`: values and input gradients,
//! bit for bit, on flex (fused) and ndarray (the plain graph), and a hand-computed case.

mod common;

use ae_kernels::leaky_relu;
use burn::tensor::activation;
use burn::tensor::{Device, Tensor};

use common::{assert_fused_matches_plain, values};

/// The fused and the plain leaky ReLU, the input also used by a second branch (`input * 3`),
/// so that the fused pass must not overwrite what the graph still holds.
fn compare(device: &Device, shape: [usize; 4], slope: f64) {
    assert_fused_matches_plain(
        device,
        shape,
        shape,
        |x| leaky_relu(x.clone(), slope) + x * 3.0,
        |x| activation::leaky_relu(x.clone(), slope) + x * 3.0,
    );
}

#[test]
fn fused_leaky_relu_matches_burns_bit_for_bit() {
    // The conv autoencoder's largest map (split over threads) and a small one (one block).
    for shape in [[64, 64, 16, 16], [2, 3, 5, 7]] {
        compare(&Device::flex(), shape, 0.1);
    }
    compare(&Device::flex(), [4, 2, 6, 6], 0.01);
}

#[test]
#[allow(deprecated)]
fn on_ndarray_the_plain_graph_runs() {
    compare(&Device::ndarray(), [3, 2, 6, 6], 0.1);
}

#[test]
fn hand_computed_values_and_gradient() {
    let device = Device::flex().autodiff();
    let input = Tensor::<2>::from_floats([[-2.0, 0.0, 3.0, -0.5]], &device).require_grad();
    let output = leaky_relu(input.clone(), 0.1);
    assert_eq!(values(output.clone()), vec![-0.2, 0.0, 3.0, -0.05]);
    let grads = (output * Tensor::from_floats([[1.0, 2.0, 3.0, 4.0]], &device))
        .sum()
        .backward();
    // The slope where x < 0; 1 at x = 0, as Burn counts it.
    assert_eq!(
        values(input.grad(&grads).unwrap()),
        vec![0.1, 2.0, 3.0, 0.4]
    );
}

#[test]
fn without_autodiff_the_input_held_elsewhere_is_left_alone() {
    let device = Device::flex();
    let input = Tensor::<1>::from_floats([-1.0, 2.0], &device);
    let output = leaky_relu(input.clone(), 0.5);
    assert_eq!(values(output), vec![-0.5, 2.0]);
    assert_eq!(values(input), vec![-1.0, 2.0]);
}
