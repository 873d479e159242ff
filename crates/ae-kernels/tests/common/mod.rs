//! What the fused-kernel tests share: reading values back, and a fused layer held against the
//! plain graph it replaces (values and input gradient, bit for bit).

use ae_kernels::fused_calls;
use burn::tensor::{Device, Distribution, Tensor, TensorData};

pub fn values<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
    tensor.into_data().try_to_vec().expect("f32 values")
}

/// Output and input gradient of `layer` for `sum(output * upstream)`.
pub fn run(
    layer: &impl Fn(Tensor<4>) -> Tensor<4>,
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

/// `fused` and `plain` on an input of `shape` (values on a coarse grid, so that ties and exact
/// zeros are among them) and an upstream gradient of `out_shape`, through autodiff on
/// `device`: the same outputs and input gradients bit for bit, and on flex the fused kernel
/// was called.
#[allow(dead_code)] // Not every test file that includes this module uses it.
pub fn assert_fused_matches_plain(
    device: &Device,
    shape: [usize; 4],
    out_shape: [usize; 4],
    fused: impl Fn(Tensor<4>) -> Tensor<4>,
    plain: impl Fn(Tensor<4>) -> Tensor<4>,
) {
    let host = Device::flex();
    let input = Tensor::<4>::random(shape, Distribution::Uniform(-4.0, 4.0), &host)
        .round()
        .into_data();
    let upstream =
        Tensor::<4>::random(out_shape, Distribution::Normal(0.0, 1.0), &host).into_data();
    let ad = device.clone().autodiff();
    let calls = fused_calls();
    let fused = run(&fused, &ad, &input, &upstream);
    if *device == Device::flex() {
        assert!(fused_calls() > calls, "flex took the plain graph");
    }
    let plain = run(&plain, &ad, &input, &upstream);
    assert_eq!(fused.0, plain.0, "{shape:?}: outputs differ");
    assert_eq!(fused.1, plain.1, "{shape:?}: input gradients differ");
}
