use ae_models::{
    MAX_GPU_MATMUL_ROWS, MAX_WORKGROUPS_PER_DIMENSION, UpsampleImplementation, Upsampling,
    matmul_in_row_blocks, matmul_in_row_chunks, upsample_2x,
};
use burn::tensor::{Device, Tensor, TensorData};

use crate::common::{assert_close, device, ndarray, seeded_tensor, seeded_values, values};
use crate::pytorch_common::{fixture, read_f32_tensors};
use crate::reference::{self, Map};

const IMPLEMENTATIONS: [UpsampleImplementation; 3] = [
    UpsampleImplementation::Burn,
    UpsampleImplementation::Portable,
    UpsampleImplementation::Fused,
];

/// PyTorch's outputs and input gradients, reproduced to this (max abs).
const PYTORCH_TOLERANCE: f64 = 1e-5;

/// The cases of `upsample-2x.safetensors` (written by `pytorch/reference_fixtures.py`).
const PYTORCH_CASES: [&str; 3] = ["small", "wide", "tiny"];

type Fixture = std::collections::BTreeMap<String, (Vec<usize>, Vec<f32>)>;

fn pytorch_fixture() -> Fixture {
    read_f32_tensors(&fixture("upsample-2x.safetensors"))
}

fn tensor(fixture: &Fixture, key: &str, device: &Device) -> Tensor<4> {
    let (shape, data) = fixture
        .get(key)
        .unwrap_or_else(|| panic!("no {key} in the fixture"));
    Tensor::from_data(TensorData::new(data.clone(), shape.clone()), device)
}

fn expected(fixture: &Fixture, key: &str) -> Vec<f64> {
    fixture[key].1.iter().map(|&v| f64::from(v)).collect()
}

fn backends() -> [(&'static str, Device); 2] {
    [("flex", Device::flex()), ("ndarray", ndarray())]
}

#[test]
fn every_mode_implementation_and_backend_matches_pytorch_outputs() {
    let fixture = pytorch_fixture();
    for (backend, device) in backends() {
        for case in PYTORCH_CASES {
            let input = tensor(&fixture, &format!("{case}.input"), &device);
            let [b, c, h, w] = input.dims();
            for mode in Upsampling::ALL {
                let want = expected(&fixture, &format!("{case}.{}.output", mode.name()));
                for implementation in IMPLEMENTATIONS {
                    let out = upsample_2x(input.clone(), mode, implementation);
                    assert_eq!(out.dims(), [b, c, 2 * h, 2 * w]);
                    let what = format!("{case} {mode:?} {implementation:?} on {backend}");
                    assert_close(&values(out), &want, PYTORCH_TOLERANCE, &what);
                }
            }
        }
    }
}

/// Gradient of `sum(upsample(x) * weight)` with respect to `x`, for a fixture case.
fn input_gradient(
    fixture: &Fixture,
    case: &str,
    mode: Upsampling,
    implementation: UpsampleImplementation,
    device: &Device,
) -> Vec<f32> {
    let device = device.clone().autodiff();
    let x = tensor(fixture, &format!("{case}.input"), &device).require_grad();
    let weight = tensor(fixture, &format!("{case}.weight"), &device);
    let grads = (upsample_2x(x.clone(), mode, implementation) * weight)
        .sum()
        .backward();
    values(x.grad(&grads).expect("input gradient"))
}

#[test]
fn portable_input_gradients_match_pytorch_in_every_mode_and_backend() {
    let fixture = pytorch_fixture();
    for (backend, device) in backends() {
        for case in PYTORCH_CASES {
            for mode in Upsampling::ALL {
                let want = expected(&fixture, &format!("{case}.{}.input_grad", mode.name()));
                let got = input_gradient(
                    &fixture,
                    case,
                    mode,
                    UpsampleImplementation::Portable,
                    &device,
                );
                let what = format!("{case} {mode:?} gradient on {backend}");
                assert_close(&got, &want, PYTORCH_TOLERANCE, &what);
                assert!(
                    got.iter().any(|v| v.abs() > 0.1),
                    "{what} is trivially small"
                );
            }
        }
    }
}

/// flex trains with the fused kernel (bilinear) and Burn's (nearest) (see
/// `UpsampleImplementation::for_device`): their backward passes must be PyTorch's too, and so
/// must Burn's bilinear backward, which `AE_KERNELS=off` does not use but a user may choose.
#[test]
fn burn_and_fused_input_gradients_on_flex_match_pytorch_in_every_mode() {
    let fixture = pytorch_fixture();
    for case in PYTORCH_CASES {
        for mode in Upsampling::ALL {
            let want = expected(&fixture, &format!("{case}.{}.input_grad", mode.name()));
            for implementation in [UpsampleImplementation::Burn, UpsampleImplementation::Fused] {
                let got = input_gradient(&fixture, case, mode, implementation, &Device::flex());
                let what = format!("{case} {mode:?} {implementation:?} gradient on flex");
                assert_close(&got, &want, PYTORCH_TOLERANCE, &what);
            }
        }
    }
}

#[test]
fn portable_upsampling_matches_hand_computed_values() {
    let device = device();
    // One 2x2 image [[0, 4], [8, 12]].
    let input = || Tensor::<4>::from_floats([[[[0.0, 4.0], [8.0, 12.0]]]], &device);
    let portable = |mode| values(upsample_2x(input(), mode, UpsampleImplementation::Portable));
    let grid = |row: &dyn Fn(f64, f64) -> Vec<f64>, weights: [f64; 4]| -> Vec<f64> {
        let (top, bottom) = (row(0.0, 4.0), row(8.0, 12.0));
        weights
            .iter()
            .flat_map(|w| {
                (0..4)
                    .map(|i| (1.0 - w) * top[i] + w * bottom[i])
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    // align_corners = false: the 1-D weights are (1), (0.75, 0.25), (0.25, 0.75), (1).
    let row = |a: f64, b: f64| vec![a, 0.75 * a + 0.25 * b, 0.25 * a + 0.75 * b, b];
    let expected = grid(&row, [0.0, 0.25, 0.75, 1.0]);
    assert_close(&portable(Upsampling::Bilinear), &expected, 1e-6, "bilinear");
    // align_corners = true: source o/3, weights (1), (2/3, 1/3), (1/3, 2/3), (1).
    let third = 1.0 / 3.0;
    let row = |a: f64, b: f64| {
        vec![
            a,
            (1.0 - third) * a + third * b,
            third * a + (1.0 - third) * b,
            b,
        ]
    };
    let expected = grid(&row, [0.0, third, 1.0 - third, 1.0]);
    let what = "bilinear-align-corners";
    assert_close(
        &portable(Upsampling::BilinearAlignCorners),
        &expected,
        1e-6,
        what,
    );
    // nearest: every sample repeated 2×2.
    let row = |a: f64, b: f64| vec![a, a, b, b];
    let expected = grid(&row, [0.0, 0.0, 1.0, 1.0]);
    assert_close(&portable(Upsampling::Nearest), &expected, 1e-6, "nearest");
}

#[test]
fn every_implementation_matches_pytorch_bilinear_rule_on_non_square_maps() {
    let device = device();
    let input = seeded_tensor([2, 3, 4, 6], 7, -1.0, 1.0, &device);
    let flat: Vec<f64> = values(input.clone()).into_iter().map(f64::from).collect();
    let expected: Vec<f64> = flat
        .chunks(4 * 6)
        .flat_map(|map| reference::upsample2x(&Map::new(1, 4, 6, map.to_vec())).data)
        .collect();
    for implementation in IMPLEMENTATIONS {
        let out = upsample_2x(input.clone(), Upsampling::Bilinear, implementation);
        assert_eq!(out.dims(), [2, 3, 8, 12]);
        assert_close(
            &values(out),
            &expected,
            1e-6,
            &format!("{implementation:?}"),
        );
    }
}

#[test]
fn portable_and_fused_equal_burn_interpolate_on_flex_at_the_decoders_shapes() {
    let device = Device::flex();
    for (shape, seed) in [
        ([1, 1, 1, 1], 1),
        ([3, 128, 4, 4], 2),
        ([2, 64, 8, 8], 3),
        ([1, 64, 16, 16], 4),
    ] {
        let input = seeded_tensor(shape, seed, -2.0, 2.0, &device);
        for mode in Upsampling::ALL {
            let burn = upsample_2x(input.clone(), mode, UpsampleImplementation::Burn);
            let burn: Vec<f64> = values(burn).into_iter().map(f64::from).collect();
            for other in [
                UpsampleImplementation::Portable,
                UpsampleImplementation::Fused,
            ] {
                assert_close(
                    &values(upsample_2x(input.clone(), mode, other)),
                    &burn,
                    1e-6,
                    &format!("{shape:?} {mode:?} {other:?}"),
                );
            }
        }
    }
}

/// Gradient of `sum(upsample(x) * g)` with respect to `x`.
fn weighted_sum_gradient(
    device: &Device,
    implementation: UpsampleImplementation,
    x: &[f32],
    g: &[f32],
) -> Vec<f32> {
    let device = device.clone().autodiff();
    let x =
        Tensor::<4>::from_data(TensorData::new(x.to_vec(), [2, 3, 4, 5]), &device).require_grad();
    let g = Tensor::<4>::from_data(TensorData::new(g.to_vec(), [2, 3, 8, 10]), &device);
    let grads = (upsample_2x(x.clone(), Upsampling::Bilinear, implementation) * g)
        .sum()
        .backward();
    values(x.grad(&grads).expect("gradient"))
}

#[test]
fn portable_upsampling_is_differentiable_on_ndarray_and_matches_flex_bilinear_backward() {
    let x = seeded_values(2 * 3 * 4 * 5, 8, -1.0, 1.0);
    let g = seeded_values(2 * 3 * 8 * 10, 9, -1.0, 1.0);
    let on_ndarray = weighted_sum_gradient(&ndarray(), UpsampleImplementation::Portable, &x, &g);
    let on_flex = weighted_sum_gradient(&Device::flex(), UpsampleImplementation::Burn, &x, &g);
    let expected: Vec<f64> = on_flex.iter().map(|&v| v as f64).collect();
    assert_close(&on_ndarray, &expected, 1e-5, "gradient");
    // Not trivially zero.
    assert!(on_ndarray.iter().any(|v| v.abs() > 0.1));
}

#[test]
fn upsample_implementation_for_device_picks_kernels_only_on_flex_where_they_are_faster() {
    use UpsampleImplementation::{Burn, Fused, Portable};
    use Upsampling::{Bilinear, BilinearAlignCorners, Nearest};
    // `AE_KERNELS=off` (a way out should a kernel misbehave) leaves flex the portable graph.
    let bilinear = if ae_kernels::enabled() {
        Fused
    } else {
        Portable
    };
    for device in [Device::flex(), Device::flex().autodiff()] {
        assert_eq!(
            UpsampleImplementation::for_device(&device, Bilinear),
            bilinear
        );
        assert_eq!(UpsampleImplementation::for_device(&device, Nearest), Burn);
        let align = UpsampleImplementation::for_device(&device, BilinearAlignCorners);
        assert_eq!(align, bilinear);
    }
    for device in [ndarray(), ndarray().autodiff()] {
        for mode in Upsampling::ALL {
            assert_eq!(UpsampleImplementation::for_device(&device, mode), Portable);
        }
    }
}

#[test]
fn upsampling_modes_and_implementations_serialise_in_kebab_case() {
    for mode in Upsampling::ALL {
        let json = serde_json::to_string(&mode).unwrap();
        assert_eq!(json, format!("\"{}\"", mode.name()));
        assert_eq!(serde_json::from_str::<Upsampling>(&json).unwrap(), mode);
    }
    assert_eq!(Upsampling::default(), Upsampling::Bilinear);
    assert_eq!(
        serde_json::to_string(&UpsampleImplementation::Burn).unwrap(),
        "\"burn\""
    );
    assert_eq!(
        serde_json::from_str::<UpsampleImplementation>("\"portable\"").unwrap(),
        UpsampleImplementation::Portable
    );
    assert_eq!(
        serde_json::to_string(&UpsampleImplementation::Fused).unwrap(),
        "\"fused\""
    );
}

/// A product split into row blocks (what the portable upsampling does on GPU backends, whose
/// launches have at most 65,535 workgroups per dimension) gives the one product's values and
/// both operands' gradients, for blocks that divide the rows and blocks that do not.
#[test]
fn a_matmul_in_row_blocks_gives_the_products_values_and_gradients() {
    assert_eq!(MAX_GPU_MATMUL_ROWS, MAX_WORKGROUPS_PER_DIMENSION * 4);
    for (backend, device) in backends() {
        let device = device.autodiff();
        let lhs_values = seeded_tensor([37, 16], 11, -1.0, 1.0, &device);
        let rhs_values = seeded_tensor([16, 32], 12, -1.0, 1.0, &device);
        let weight = seeded_tensor([37, 32], 13, -1.0, 1.0, &device);
        let run = |max_rows: Option<usize>| {
            let lhs = lhs_values.clone().require_grad();
            let rhs = rhs_values.clone().require_grad();
            let out = match max_rows {
                Some(rows) => matmul_in_row_blocks(lhs.clone(), rhs.clone(), rows),
                None => lhs.clone().matmul(rhs.clone()),
            };
            assert_eq!(out.dims(), [37, 32]);
            let grads = (out.clone() * weight.clone()).sum().backward();
            let lhs_grad = values(lhs.grad(&grads).expect("lhs gradient"));
            let rhs_grad = values(rhs.grad(&grads).expect("rhs gradient"));
            (values(out), lhs_grad, rhs_grad)
        };
        let (want, want_lhs, want_rhs) = run(None);
        assert!(want_rhs.iter().any(|v| v.abs() > 0.5), "trivial gradient");
        for rows in [1, 5, 36, 37, 100] {
            let (got, got_lhs, got_rhs) = run(Some(rows));
            let what = format!("blocks of {rows} rows on {backend}");
            let f64s = |v: &[f32]| v.iter().map(|&x| f64::from(x)).collect::<Vec<_>>();
            assert_close(&got, &f64s(&want), 1e-5, &format!("{what}: values"));
            assert_close(
                &got_lhs,
                &f64s(&want_lhs),
                1e-5,
                &format!("{what}: lhs gradient"),
            );
            assert_close(
                &got_rhs,
                &f64s(&want_rhs),
                1e-5,
                &format!("{what}: rhs gradient"),
            );
        }
        // On a CPU backend the chunked product is the plain one, bit for bit.
        let plain = values(lhs_values.clone().matmul(rhs_values.clone()));
        let chunked = values(matmul_in_row_chunks(lhs_values.clone(), rhs_values.clone()));
        assert_eq!(plain, chunked, "{backend}");
    }
}
