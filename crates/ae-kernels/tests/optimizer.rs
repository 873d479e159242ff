//! The one-pass optimiser updates against the same arithmetic as separate Burn operations (what
//! they do on ndarray and wgpu), over several steps, and one step computed by hand.

use ae_kernels::{AdamSettings, SgdSettings, adam_step, fused_calls, sgd_momentum_step, sgd_step};
use burn::tensor::{Device, Distribution, Tensor, TensorData};

fn values(tensor: Tensor<2>) -> Vec<f32> {
    tensor.into_data().try_to_vec().expect("f32 values")
}

fn assert_close(what: &str, actual: &[f32], expected: &[f32], tolerance: f32) {
    assert_eq!(actual.len(), expected.len(), "{what}: lengths differ");
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert!(
            (a - e).abs() <= tolerance * e.abs().max(1.0),
            "{what}[{i}]: {a} against {e}"
        );
    }
}

/// A start and five gradients.
type Problem = (TensorData, Vec<TensorData>);

/// A [`Problem`], drawn once so that every device sees the same one.
fn problem(shape: [usize; 2]) -> Problem {
    let host = Device::flex();
    let start = Tensor::<2>::random(shape, Distribution::Uniform(-1.0, 1.0), &host);
    let grads = (0..5)
        .map(|_| Tensor::<2>::random(shape, Distribution::Normal(0.0, 1.0), &host).into_data())
        .collect();
    (start.into_data(), grads)
}

fn sgd_trajectory(device: &Device, (start, grads): &Problem, settings: &SgdSettings) -> Vec<f32> {
    let mut param = Tensor::<2>::from_data(start.clone(), device);
    let mut velocity: Option<Tensor<2>> = None;
    for (step, grad) in grads.iter().enumerate() {
        let grad = Tensor::<2>::from_data(grad.clone(), device);
        let lr = 0.1 / (step + 1) as f64;
        (param, velocity) = match velocity {
            // PyTorch's first momentum step: v = g (+ λ p), no dampening.
            None if settings.momentum > 0.0 => {
                let grad = grad + param.clone().mul_scalar(settings.weight_decay);
                (param - grad.clone().mul_scalar(lr), Some(grad))
            }
            None => (sgd_step(param, grad, lr, settings.weight_decay), None),
            Some(v) => {
                let (p, v) = sgd_momentum_step(param, grad, v, lr, settings);
                (p, Some(v))
            }
        };
    }
    values(param)
}

fn adam_trajectory(device: &Device, (start, grads): &Problem, settings: &AdamSettings) -> Vec<f32> {
    let mut param = Tensor::<2>::from_data(start.clone(), device);
    let shape = param.dims();
    let mut moments = [Tensor::zeros(shape, device), Tensor::zeros(shape, device)];
    for (index, grad) in grads.iter().enumerate() {
        let time = index + 1;
        let grad = Tensor::<2>::from_data(grad.clone(), device);
        let (p, m1, m2) = adam_step(param, grad, moments, time, 1e-2, settings);
        param = p;
        moments = [m1, m2];
    }
    values(param)
}

#[allow(deprecated)]
fn devices() -> [Device; 2] {
    [Device::flex(), Device::ndarray()]
}

/// Asserts `trajectory` ends at the same parameters on flex (fused) and ndarray (plain), on a
/// small problem (one pass on the calling thread) and a large one (split over threads).
fn assert_backends_agree(what: &str, trajectory: impl Fn(&Device, &Problem) -> Vec<f32>) {
    for shape in [[3, 5], [400, 300]] {
        let problem = problem(shape);
        let fused = trajectory(&devices()[0], &problem);
        let plain = trajectory(&devices()[1], &problem);
        assert_close(&format!("{what} {shape:?}"), &fused, &plain, 1e-5);
    }
}

#[test]
fn sgd_with_and_without_momentum_agrees_across_backends_and_sizes() {
    let settings = [
        SgdSettings {
            momentum: 0.0,
            dampening: 0.0,
            weight_decay: 0.0,
            nesterov: false,
        },
        SgdSettings {
            momentum: 0.9,
            dampening: 0.1,
            weight_decay: 1e-3,
            nesterov: false,
        },
        SgdSettings {
            momentum: 0.9,
            dampening: 0.0,
            weight_decay: 0.0,
            nesterov: true,
        },
    ];
    for settings in settings {
        assert_backends_agree(&format!("{settings:?}"), |device, problem| {
            sgd_trajectory(device, problem, &settings)
        });
    }
}

#[test]
fn adam_agrees_across_backends_and_sizes() {
    let settings = AdamSettings {
        beta_1: 0.9,
        beta_2: 0.999,
        epsilon: 1e-8,
        weight_decay: 1e-4,
    };
    assert_backends_agree("adam", |device, problem| {
        adam_trajectory(device, problem, &settings)
    });
}

#[test]
fn hand_computed_steps() {
    let device = Device::flex();
    let calls = fused_calls();
    let t = |v: [f32; 2]| Tensor::<2>::from_floats([v], &device);
    // SGD: p = 1 - 0.5 (2 + 0.1 * 1) = -0.05; p = -2 - 0.5 (-1 + 0.1 * -2) = -1.4.
    let p = sgd_step(t([1.0, -2.0]), t([2.0, -1.0]), 0.5, 0.1);
    assert_close("sgd", &values(p), &[-0.05, -1.4], 1e-6);
    // Momentum 0.9, dampening 0: v = 0.9 * 1 + 2 = 2.9, p = 1 - 0.1 * 2.9 = 0.71.
    let settings = SgdSettings {
        momentum: 0.9,
        dampening: 0.0,
        weight_decay: 0.0,
        nesterov: false,
    };
    let (p, v) = sgd_momentum_step(t([1.0, 0.0]), t([2.0, 0.0]), t([1.0, 0.0]), 0.1, &settings);
    assert_close("momentum p", &values(p), &[0.71, 0.0], 1e-6);
    assert_close("momentum v", &values(v), &[2.9, 0.0], 1e-6);
    // Adam's first step moves every coordinate by lr * sign(g) (to epsilon).
    let settings = AdamSettings {
        beta_1: 0.9,
        beta_2: 0.999,
        epsilon: 1e-8,
        weight_decay: 0.0,
    };
    let zeros = || t([0.0, 0.0]);
    let (p, m1, m2) = adam_step(
        t([1.0, 1.0]),
        t([3.0, -0.5]),
        [zeros(), zeros()],
        1,
        0.01,
        &settings,
    );
    assert_close("adam p", &values(p), &[0.99, 1.01], 1e-6);
    assert_close("adam m1", &values(m1), &[0.3, -0.05], 1e-6);
    assert_close("adam m2", &values(m2), &[0.009, 0.00025], 1e-6);
    // All three went through the one-pass kernels.
    assert!(fused_calls() >= calls + 3, "flex took the plain path");
}
