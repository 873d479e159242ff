use ae_models::{UpsampleMode, upsample_bilinear_2x};
use burn::tensor::{Device, Tensor, TensorData};

use crate::common::{assert_close, device, ndarray, seeded_tensor, seeded_values, values};
use crate::reference::{self, Map};

#[test]
fn portable_upsampling_matches_hand_computed_values() {
    let device = device();
    // One 2x2 image [[0, 4], [8, 12]]: the 1-D weights are (1), (0.75, 0.25), (0.25, 0.75), (1).
    let input = Tensor::<4>::from_floats([[[[0.0, 4.0], [8.0, 12.0]]]], &device);
    let out = values(upsample_bilinear_2x(input, UpsampleMode::Portable));
    let row = |a: f64, b: f64| [a, 0.75 * a + 0.25 * b, 0.25 * a + 0.75 * b, b];
    let (top, bottom) = (row(0.0, 4.0), row(8.0, 12.0));
    let mix = |w: f64| -> Vec<f64> { (0..4).map(|i| (1.0 - w) * top[i] + w * bottom[i]).collect() };
    let expected: Vec<f64> = [mix(0.0), mix(0.25), mix(0.75), mix(1.0)].concat();
    assert_close(&out, &expected, 1e-6, "2x2 -> 4x4");
}

#[test]
fn both_modes_match_pytorch_rule_on_non_square_maps() {
    let device = device();
    let input = seeded_tensor([2, 3, 4, 6], 7, -1.0, 1.0, &device);
    let flat: Vec<f64> = values(input.clone()).into_iter().map(f64::from).collect();
    let expected: Vec<f64> = flat
        .chunks(4 * 6)
        .flat_map(|map| reference::upsample2x(&Map::new(1, 4, 6, map.to_vec())).data)
        .collect();
    for mode in [UpsampleMode::Burn, UpsampleMode::Portable] {
        let out = upsample_bilinear_2x(input.clone(), mode);
        assert_eq!(out.dims(), [2, 3, 8, 12]);
        assert_close(&values(out), &expected, 1e-6, &format!("{mode:?}"));
    }
}

#[test]
fn portable_equals_burn_interpolate_on_flex() {
    let device = Device::flex();
    for (shape, seed) in [
        ([1, 1, 1, 1], 1),
        ([3, 128, 4, 4], 2),
        ([2, 64, 8, 8], 3),
        ([1, 64, 16, 16], 4),
    ] {
        let input = seeded_tensor(shape, seed, -2.0, 2.0, &device);
        let burn = values(upsample_bilinear_2x(input.clone(), UpsampleMode::Burn));
        let portable = values(upsample_bilinear_2x(input, UpsampleMode::Portable));
        let burn: Vec<f64> = burn.into_iter().map(f64::from).collect();
        assert_close(&portable, &burn, 1e-6, &format!("{shape:?}"));
    }
}

/// Gradient of `sum(upsample(x) * g)` with respect to `x`.
fn weighted_sum_gradient(device: &Device, mode: UpsampleMode, x: &[f32], g: &[f32]) -> Vec<f32> {
    let device = device.clone().autodiff();
    let x =
        Tensor::<4>::from_data(TensorData::new(x.to_vec(), [2, 3, 4, 5]), &device).require_grad();
    let g = Tensor::<4>::from_data(TensorData::new(g.to_vec(), [2, 3, 8, 10]), &device);
    let grads = (upsample_bilinear_2x(x.clone(), mode) * g).sum().backward();
    values(x.grad(&grads).expect("gradient"))
}

#[test]
fn portable_upsampling_is_differentiable_on_ndarray_and_matches_flex_bilinear_backward() {
    let x = seeded_values(2 * 3 * 4 * 5, 8, -1.0, 1.0);
    let g = seeded_values(2 * 3 * 8 * 10, 9, -1.0, 1.0);
    let on_ndarray = weighted_sum_gradient(&ndarray(), UpsampleMode::Portable, &x, &g);
    let on_flex = weighted_sum_gradient(&Device::flex(), UpsampleMode::Burn, &x, &g);
    let expected: Vec<f64> = on_flex.iter().map(|&v| v as f64).collect();
    assert_close(&on_ndarray, &expected, 1e-5, "gradient");
    // Not trivially zero.
    assert!(on_ndarray.iter().any(|v| v.abs() > 0.1));
}

#[test]
fn upsample_mode_for_device_picks_burn_only_on_flex() {
    assert_eq!(
        UpsampleMode::for_device(&Device::flex()),
        UpsampleMode::Burn
    );
    assert_eq!(
        UpsampleMode::for_device(&Device::flex().autodiff()),
        UpsampleMode::Burn
    );
    assert_eq!(UpsampleMode::for_device(&ndarray()), UpsampleMode::Portable);
    assert_eq!(
        UpsampleMode::for_device(&ndarray().autodiff()),
        UpsampleMode::Portable
    );
}

#[test]
fn upsample_mode_serialises_in_kebab_case() {
    assert_eq!(
        serde_json::to_string(&UpsampleMode::Burn).unwrap(),
        "\"burn\""
    );
    assert_eq!(
        serde_json::from_str::<UpsampleMode>("\"portable\"").unwrap(),
        UpsampleMode::Portable
    );
}
