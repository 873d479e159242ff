//! The fused bilinear ×2 upsampling against Burn's `interpolate` on flex (values and input
//! gradients, in both corner modes, at the conv autoencoder decoder's shapes and at edge sizes),
//! against hand-computed values, and on ndarray, where Burn's forward pass runs instead.

mod common;

use ae_kernels::{bilinear_upsample_2x, fused_calls};
use burn::tensor::module::interpolate;
use burn::tensor::ops::{InterpolateMode, InterpolateOptions};
use burn::tensor::{Device, Distribution, Tensor, TensorData};

use common::{run, values};

fn burn_upsample(input: Tensor<4>, align_corners: bool) -> Tensor<4> {
    let [_, _, h, w] = input.dims();
    interpolate(
        input,
        InterpolateOptions::new(InterpolateMode::Bilinear)
            .with_align_corners(align_corners)
            .with_output_size([2 * h, 2 * w]),
    )
}

fn assert_close(got: &[f32], want: &[f32], tolerance: f32, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tolerance * (1.0 + w.abs()),
            "{what}: element {i} is {g}, Burn's {w}"
        );
    }
}

/// The kernel and Burn's graph on flex, for inputs of `shape`. Integer inputs and
/// `align_corners = false` make every product and sum exact (weights of ¼ and ¾), so the
/// outputs must then agree bit for bit; the gradients (upstream values that are not exact in
/// binary) to rounding. Both tensors are fixed functions of the element index, so the test
/// sees the same values in every run.
fn compare_on_flex(shape: [usize; 4]) {
    let host = Device::flex();
    let [b, c, h, w] = shape;
    let n = b * c * h * w;
    let input = TensorData::new(
        (0..n).map(|i| ((i * 7 + 3) % 9) as f32 - 4.0).collect(),
        shape,
    );
    let upstream = TensorData::new(
        (0..4 * n).map(|i| (i as f32 * 0.7 + 0.3).sin()).collect(),
        [b, c, 2 * h, 2 * w],
    );
    let ad = host.autodiff();
    for align_corners in [false, true] {
        let calls = fused_calls();
        let fused = run(
            &|x| bilinear_upsample_2x(x, align_corners),
            &ad,
            &input,
            &upstream,
        );
        assert!(fused_calls() > calls, "flex took Burn's graph");
        let plain = run(&|x| burn_upsample(x, align_corners), &ad, &input, &upstream);
        let what = format!("{shape:?}, align_corners {align_corners}");
        if align_corners {
            assert_close(&fused.0, &plain.0, 1e-6, &format!("{what}: outputs"));
        } else {
            assert_eq!(fused.0, plain.0, "{what}: outputs");
        }
        assert_close(&fused.1, &plain.1, 1e-5, &format!("{what}: gradients"));
        assert!(
            fused.1.iter().any(|g| g.abs() > 0.1),
            "{what}: trivial gradient"
        );
    }
}

#[test]
fn fused_upsampling_matches_burns_interpolate_at_the_decoders_shapes() {
    // The decoder's three upsamplings, at batches that split over the threads.
    for shape in [[64, 128, 4, 4], [32, 64, 8, 8], [16, 64, 16, 16]] {
        compare_on_flex(shape);
    }
}

#[test]
fn fused_upsampling_matches_burns_interpolate_at_edge_sizes() {
    // One sample per line (both sources the same everywhere), non-square, odd sizes.
    for shape in [[1, 1, 1, 1], [2, 3, 1, 5], [1, 2, 4, 6], [3, 1, 7, 3]] {
        compare_on_flex(shape);
    }
}

#[test]
fn hand_computed_values_and_gradient() {
    let device = Device::flex().autodiff();
    // One 2×2 image [[0, 4], [8, 12]]: the 1-D weights are (1), (¾, ¼), (¼, ¾), (1).
    let x = Tensor::<4>::from_floats([[[[0.0, 4.0], [8.0, 12.0]]]], &device).require_grad();
    let y = bilinear_upsample_2x(x.clone(), false);
    assert_eq!(
        values(y.clone()),
        vec![
            0.0, 1.0, 3.0, 4.0, //
            2.0, 3.0, 5.0, 6.0, //
            6.0, 7.0, 9.0, 10.0, //
            8.0, 9.0, 11.0, 12.0,
        ]
    );
    // Each source's weights sum to 1 + ¾ + ¼ = 2 along each axis.
    let grads = y.sum().backward();
    assert_eq!(values(x.grad(&grads).unwrap()), vec![4.0; 4]);
}

#[test]
#[allow(deprecated)]
fn on_ndarray_burns_forward_pass_runs_with_the_same_values() {
    let host = Device::flex();
    let input = Tensor::<4>::random([2, 3, 4, 6], Distribution::Uniform(-1.0, 1.0), &host);
    let on_ndarray = Tensor::<4>::from_data(input.to_data(), &Device::ndarray());
    for align_corners in [false, true] {
        let fused = values(bilinear_upsample_2x(input.clone(), align_corners));
        let plain = values(bilinear_upsample_2x(on_ndarray.clone(), align_corners));
        assert_close(
            &plain,
            &fused,
            1e-6,
            &format!("align_corners {align_corners}"),
        );
    }
}
