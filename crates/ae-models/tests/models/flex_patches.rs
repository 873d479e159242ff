//! The workspace builds Burn's flex backend with performance patches
//! (vendor/burn-flex/PATCHES.md). These tests hold flex's results against Burn's generic code
//! paths on the ndarray backend, which the patches do not touch.

use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;
use burn::tensor::{Device, Tensor};

use crate::common::{ndarray, seeded_tensor, values};

fn assert_all_close(actual: &[f32], expected: &[f32], tolerance: f32, what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}: lengths differ");
    for (index, (&a, &e)) in actual.iter().zip(expected).enumerate() {
        assert!(
            (a - e).abs() <= tolerance * (1.0 + e.abs()),
            "{what}[{index}]: flex {a}, ndarray {e}"
        );
    }
}

/// conv2d(x, w, b) and its weight, input and bias gradients, weighted by fixed output
/// weights, on `device`: (output, weight gradient, input gradient, bias gradient).
fn conv_values_and_grads(
    device: &Device,
    x_shape: [usize; 4],
    w_shape: [usize; 4],
    options: &ConvOptions<2>,
) -> [Vec<f32>; 4] {
    let ad = device.clone().autodiff();
    let x = seeded_tensor(x_shape, 1, -1.0, 1.0, &ad).require_grad();
    let w = seeded_tensor(w_shape, 2, -0.5, 0.5, &ad).require_grad();
    let b = seeded_tensor([w_shape[0]], 4, -0.5, 0.5, &ad).require_grad();
    let out = conv2d(x.clone(), w.clone(), Some(b.clone()), options.clone());
    let out_weights = seeded_tensor(out.dims(), 3, -1.0, 1.0, &ad);
    let grads = (out.clone() * out_weights).sum().backward();
    [
        values(out),
        values(w.grad(&grads).expect("weight gradient")),
        values(x.grad(&grads).expect("input gradient")),
        values(b.grad(&grads).expect("bias gradient")),
    ]
}

#[test]
fn conv2d_values_and_gradients_match_the_generic_path() {
    // (input, weight, stride, padding, dilation, groups): the models' layers and odd cases,
    // through patches 2 and 3 (gradients), 8 (forward: one sample per product, several, more
    // samples than a chunk), 9 (few output channels: 3x3 and 5x5 fused, other kernels), more
    // stride-2/3 and padding geometries for patch 3's input gradient and patch 10's; every
    // case with one group whose kernel row over all input channels is 16 floats or more (16
    // or more channels; LeNet conv2's 6 x 5, the 5x5 kernel on 5 channels, the 4x4 on 4) also
    // takes patch 12 (forward and weight gradient, channels-last), the one with dilation 2
    // and 16 channels its tap-by-tap gather.
    type Case = ([usize; 4], [usize; 4], usize, usize, usize, usize);
    let cases: [Case; 27] = [
        ([3, 1, 32, 32], [6, 1, 5, 5], 1, 0, 1, 1), // LeNet conv1 (patch 9, 5x5)
        ([3, 6, 14, 14], [16, 6, 5, 5], 1, 0, 1, 1), // LeNet conv2
        ([2, 3, 32, 32], [64, 3, 3, 3], 2, 1, 1, 1), // conv AE encoder, stride 2
        ([3, 64, 16, 16], [64, 64, 3, 3], 1, 1, 1, 1), // conv AE decoder (one sample a chunk)
        ([3, 256, 4, 4], [128, 256, 3, 3], 1, 1, 1, 1), // conv AE decoder (3 samples a chunk)
        ([9, 256, 4, 4], [16, 256, 3, 3], 1, 1, 1, 1), // more samples than a chunk
        ([2, 64, 32, 32], [1, 64, 3, 3], 1, 1, 1, 1), // conv AE output layer (patch 9, 3x3)
        ([3, 5, 7, 9], [3, 5, 3, 3], 1, 1, 1, 1),   // patch 9, odd sizes
        ([2, 3, 8, 9], [2, 3, 2, 4], 1, 1, 1, 1),   // patch 9, kernel neither 3x3 nor 5x5
        ([2, 16, 9, 7], [8, 16, 3, 3], 2, 1, 1, 1), // odd sizes, stride 2
        ([2, 4, 11, 10], [6, 2, 3, 3], 1, 1, 1, 2), // groups
        ([2, 3, 12, 12], [5, 3, 3, 3], 1, 2, 2, 1), // dilation, wide padding
        ([1, 2, 600, 3], [3, 2, 3, 3], 1, 1, 1, 1), // more than one 512-position tile
        ([2, 2, 6, 6], [12, 2, 3, 3], 1, 0, 1, 1),  // no padding
        ([2, 16, 16, 16], [32, 16, 3, 3], 2, 1, 1, 1), // conv AE encoder layer 2's geometry
        ([2, 5, 13, 11], [12, 5, 5, 5], 2, 2, 1, 1), // kernel 5, stride 2, odd sizes
        ([2, 4, 10, 9], [10, 4, 4, 4], 2, 1, 1, 1), // even kernel, stride 2
        ([2, 3, 14, 13], [9, 3, 3, 3], 3, 0, 1, 1), // stride 3
        ([2, 3, 9, 9], [10, 3, 1, 1], 2, 0, 1, 1),  // 1x1 kernel, stride 2: rows no tap reads
        ([2, 3, 9, 8], [10, 3, 3, 3], 1, 2, 1, 1),  // padding k-1 at stride 1
        // Patch 10's channels-last input gradient (at least 16 input channels; the cases
        // above with 16, 64 and 256 take it too):
        ([2, 128, 8, 8], [256, 128, 3, 3], 2, 1, 1, 1), // conv AE encoder layer 3's geometry
        ([2, 16, 11, 9], [20, 16, 3, 3], 1, 2, 2, 1),   // dilation 2, odd sizes
        ([2, 16, 14, 13], [9, 16, 3, 3], 3, 0, 1, 1),   // stride 3: rows and columns no tap reads
        ([2, 24, 10, 9], [10, 24, 4, 4], 2, 1, 1, 1),   // even kernel; 24 channels, not 16·k
        // One sample a chunk, several chunks (patch 10; patch 12's weight gradient: 3 samples
        // a chunk, so each worker takes two chunks):
        ([9, 256, 16, 16], [16, 256, 3, 3], 1, 1, 1, 1),
        ([2, 32, 8, 8], [8, 16, 3, 3], 1, 1, 1, 2), // groups: patch 3
        ([2, 18, 7, 6], [5, 18, 3, 3], 1, 1, 1, 1), // 18 channels: patch 12's transposition edges
    ];
    for (x_shape, w_shape, stride, padding, dilation, groups) in cases {
        let options = ConvOptions::new([stride; 2], [padding; 2], [dilation; 2], groups);
        let flex = conv_values_and_grads(&Device::flex(), x_shape, w_shape, &options);
        let nd = conv_values_and_grads(&ndarray(), x_shape, w_shape, &options);
        let what = format!("{x_shape:?} * {w_shape:?} s{stride} p{padding} d{dilation} g{groups}");
        for (i, part) in [
            "output",
            "weight gradient",
            "input gradient",
            "bias gradient",
        ]
        .iter()
        .enumerate()
        {
            assert_all_close(&flex[i], &nd[i], 1e-4, &format!("{part} {what}"));
        }
    }
}

#[test]
fn matmul_with_a_transposed_left_operand_matches_the_generic_path() {
    let product = |device: &Device| {
        let x = seeded_tensor([37, 53], 4, -1.0, 1.0, device);
        let g = seeded_tensor([37, 29], 5, -1.0, 1.0, device);
        values(x.transpose().matmul(g))
    };
    assert_all_close(
        &product(&Device::flex()),
        &product(&ndarray()),
        1e-5,
        "x^T g",
    );
    // And the same product in a dense layer's weight gradient.
    let grad = |device: &Device| {
        let ad = device.clone().autodiff();
        let x = seeded_tensor([37, 53], 4, -1.0, 1.0, &ad);
        let w = seeded_tensor([53, 29], 6, -1.0, 1.0, &ad).require_grad();
        let grads = x.matmul(w.clone()).square().sum().backward();
        values(w.grad(&grads).expect("weight gradient"))
    };
    assert_all_close(&grad(&Device::flex()), &grad(&ndarray()), 1e-4, "dW");
}

#[test]
fn tanh_sigmoid_and_exp_stay_within_a_few_ulps_of_f64() {
    // Dense near 0 (tanh's polynomial branch ends at 0.625), then out to the saturated ends.
    let mut xs: Vec<f32> = (-2000..=2000).map(|i| i as f32 * 1e-3).collect();
    xs.extend((-120..=120).map(|i| i as f32 * 0.75));
    xs.extend([1e-30, -1e-30, 1e-6, -1e-6, 0.624_999_9, 0.625, -0.625]);
    let input = || Tensor::<1>::from_floats(xs.as_slice(), &Device::flex());
    type Case = (&'static str, fn(Tensor<1>) -> Tensor<1>, fn(f64) -> f64);
    let cases: [Case; 3] = [
        ("tanh", |t| t.tanh(), f64::tanh),
        ("sigmoid", burn::tensor::activation::sigmoid, |x| {
            1.0 / (1.0 + (-x).exp())
        }),
        ("exp", |t| t.exp(), f64::exp),
    ];
    for (name, f, reference) in cases {
        let got = values(f(input()));
        for (&x, &y) in xs.iter().zip(&got) {
            let expected = reference(x as f64);
            // exp is clamped to [e^-87, e^88] (both finite in f32); compare inside that range.
            if name == "exp" && !(-87.0..=88.0).contains(&x) {
                assert!(y.is_finite() && y > 0.0, "exp({x}) = {y}");
                continue;
            }
            let error = (y as f64 - expected).abs();
            assert!(
                error <= 4e-7 * expected.abs() + 1e-37,
                "{name}({x}) = {y}, expected {expected} (error {error:e})"
            );
        }
        let nan = values(f(Tensor::<1>::from_floats([f32::NAN], &Device::flex())));
        assert!(nan[0].is_nan(), "{name}(NaN) = {}", nan[0]);
    }
}

#[test]
fn max_pool_values_and_gradients_match_the_generic_path() {
    use burn::tensor::module::max_pool2d;
    use burn::tensor::ops::MaxPoolOptions;
    // (input, kernel, stride, padding, ceil mode): LeNet's pooling, then windows that
    // overhang the input (the path the patch leaves as it was).
    type Case = ([usize; 4], usize, usize, usize, bool);
    let cases: [Case; 4] = [
        ([4, 6, 28, 28], 2, 2, 0, false),
        ([2, 3, 9, 7], 3, 2, 0, false),
        ([2, 3, 9, 7], 3, 2, 1, false),
        ([2, 3, 9, 7], 2, 2, 0, true),
    ];
    for (shape, kernel, stride, padding, ceil_mode) in cases {
        let run = |device: &Device| {
            let ad = device.clone().autodiff();
            let x = seeded_tensor(shape, 7, -1.0, 1.0, &ad).require_grad();
            let options = MaxPoolOptions {
                kernel_size: [kernel; 2],
                stride: [stride; 2],
                padding: [(padding, padding); 2],
                dilation: [1, 1],
                ceil_mode,
            };
            let y = max_pool2d(x.clone(), options);
            let w = seeded_tensor(y.dims(), 8, -1.0, 1.0, &ad);
            let grads = (y.clone() * w).sum().backward();
            (values(y), values(x.grad(&grads).expect("gradient")))
        };
        let (flex_y, flex_g) = run(&Device::flex());
        let (nd_y, nd_g) = run(&ndarray());
        let what = format!("{shape:?} k{kernel} s{stride} p{padding} ceil {ceil_mode}");
        assert_eq!(flex_y, nd_y, "values {what}");
        assert_eq!(flex_g, nd_g, "gradients {what}");
    }
}
