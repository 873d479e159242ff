use ae_models::{KL_ACTIVATION_CLAMP, kl_sparsity_penalty, l1_penalty};
use burn::tensor::{Tensor, TensorData};

use crate::common::{assert_close, device, seeded_values, values};

#[test]
fn l1_penalty_value_is_rho_times_sum_of_absolute_codes() {
    let device = device();
    let code = Tensor::<2>::from_floats([[0.5, -0.25, 0.0], [-1.0, 2.0, 0.125]], &device);
    let value = values(l1_penalty(code, 0.1));
    assert_close(&value, &[0.1 * 3.875], 1e-7, "l1 penalty");
}

/// The notebook's `L1Penalty.backward` returns `grad_output + rho * sign(h)` for every element,
/// whatever the batch size. The loss term's gradient must be exactly `rho * sign(h)`, so added
/// to the reconstruction loss it reproduces the notebook's gradient.
#[test]
fn l1_penalty_gradient_equals_rho_sign_per_element_at_any_batch_size() {
    let device = device().autodiff();
    let rho = 0.1;
    for batch in [1, 7, 100] {
        let mut raw = seeded_values(batch * 400, batch as u64, -1.0, 1.0);
        raw[0] = 0.0; // sign(0) = 0, as in PyTorch
        let code = Tensor::<2>::from_data(TensorData::new(raw.clone(), [batch, 400]), &device)
            .require_grad();
        let grads = l1_penalty(code.clone(), rho).backward();
        let grad = values(code.grad(&grads).expect("gradient"));
        // Exactly rho * sign(h) in f32: +-0.1f32 or 0, no batch scaling.
        let expected: Vec<f64> = raw
            .iter()
            .map(|&h| {
                let sign = if h > 0.0 {
                    1.0
                } else if h < 0.0 {
                    -1.0
                } else {
                    0.0
                };
                f64::from(rho as f32 * sign)
            })
            .collect();
        assert_close(&grad, &expected, 0.0, &format!("batch {batch}"));
    }
}

/// Composed with a reconstruction loss, the code's gradient is the reconstruction gradient plus
/// rho * sign(h): what the notebook's identity-forward autograd function produces.
#[test]
fn l1_penalty_adds_rho_sign_to_the_reconstruction_gradient() {
    let device = device().autodiff();
    let rho = 0.1;
    let raw = seeded_values(3 * 5, 3, -1.0, 1.0);
    let target = Tensor::<2>::from_data(
        TensorData::new(seeded_values(3 * 5, 4, 0.0, 1.0), [3, 5]),
        &device,
    );
    let code =
        || Tensor::<2>::from_data(TensorData::new(raw.clone(), [3, 5]), &device).require_grad();

    let plain = code();
    let grads = (plain.clone() - target.clone()).square().mean().backward();
    let reconstruction_grad = values(plain.grad(&grads).expect("gradient"));

    let penalised = code();
    let loss = (penalised.clone() - target).square().mean() + l1_penalty(penalised.clone(), rho);
    let grads = loss.backward();
    let total = values(penalised.grad(&grads).expect("gradient"));

    let expected: Vec<f64> = reconstruction_grad
        .iter()
        .zip(&raw)
        .map(|(&g, &h)| g as f64 + rho * h.signum() as f64)
        .collect();
    assert_close(&total, &expected, 1e-7, "combined gradient");
}

fn kl_by_hand(code: &[f32], batch: usize, units: usize, rho: f64, beta: f64) -> (f64, Vec<f64>) {
    let means: Vec<f64> = (0..units)
        .map(|j| (0..batch).map(|b| code[b * units + j] as f64).sum::<f64>() / batch as f64)
        .collect();
    let value = beta
        * means
            .iter()
            .map(|&m| rho * (rho / m).ln() + (1.0 - rho) * ((1.0 - rho) / (1.0 - m)).ln())
            .sum::<f64>();
    let gradient = (0..batch * units)
        .map(|index| {
            let m = means[index % units];
            beta / batch as f64 * (-rho / m + (1.0 - rho) / (1.0 - m))
        })
        .collect();
    (value, gradient)
}

#[test]
fn kl_penalty_value_and_gradient_match_hand_computation() {
    let device = device().autodiff();
    let (batch, units, rho, beta) = (6, 5, 0.05, 3.0);
    let raw = seeded_values(batch * units, 21, 0.02, 0.9);
    let code = Tensor::<2>::from_data(TensorData::new(raw.clone(), [batch, units]), &device)
        .require_grad();
    let penalty = kl_sparsity_penalty(code.clone(), rho, beta);
    let grads = penalty.backward();
    let (value, gradient) = kl_by_hand(&raw, batch, units, rho, beta);
    assert_close(
        &values(penalty),
        &[value],
        1e-4 * value.abs().max(1.0),
        "KL value",
    );
    let grad = values(code.grad(&grads).expect("gradient"));
    assert_close(&grad, &gradient, 1e-4, "KL gradient");
}

#[test]
fn kl_penalty_is_zero_at_the_target_and_finite_for_saturated_codes() {
    let device = device();
    let at_target = Tensor::<2>::full([4, 3], 0.05, &device);
    assert_close(
        &values(kl_sparsity_penalty(at_target, 0.05, 1.0)),
        &[0.0],
        1e-5,
        "KL at target",
    );
    // Means 0 and 1 are clamped to KL_ACTIVATION_CLAMP and 1 - KL_ACTIVATION_CLAMP.
    let saturated = Tensor::<2>::from_floats([[0.0, 1.0], [0.0, 1.0]], &device);
    let value = values(kl_sparsity_penalty(saturated, 0.05, 1.0))[0];
    let kl = |m: f64| 0.05 * (0.05 / m).ln() + 0.95 * (0.95 / (1.0 - m)).ln();
    let expected = kl(KL_ACTIVATION_CLAMP) + kl(1.0 - KL_ACTIVATION_CLAMP);
    // 1 - 1e-6 is not exact in f32, hence the loose tolerance on a value of about 13.4.
    assert_close(&[value], &[expected], 0.05, "saturated KL");
}

#[test]
#[should_panic(expected = "target sparsity must be strictly between 0 and 1")]
fn kl_penalty_rejects_target_outside_0_1() {
    let device = device();
    kl_sparsity_penalty(Tensor::<2>::full([1, 1], 0.5, &device), 1.0, 1.0);
}
