//! The variational autoencoder of pytorch/examples and its objective: shapes, the parameter
//! count, the closed-form KL against hand values and a Monte-Carlo estimate, the binary cross
//! entropy at extreme logits, gradients of the reparameterised sample (analytic and finite
//! differences), and the importance-weighted bound against `log p(x)` integrated on a grid.

use ae_models::{
    Likelihood, Reconstructs, Vae, VaeConfig, bernoulli_nll, elbo_terms, gaussian_kl, gaussian_nll,
    iwae_nll, log_importance_weights, log_mean_exp, reparameterize,
};
use burn::module::{Module, ModuleMapper, Param};
use burn::tensor::{Device, Tensor, TensorData, activation};

use crate::common::{assert_close, device, seeded_tensor, values};

const LN_2PI: f64 = 1.837_877_066_409_345_3;

/// Standard normal draws from a fixed seed: SplitMix64 and the Box–Muller transform
/// (reproducible, no dependency).
struct Normals {
    state: u64,
    spare: Option<f64>,
}

impl Normals {
    fn new(seed: u64) -> Self {
        Normals {
            state: seed,
            spare: None,
        }
    }

    /// Uniform in (0, 1].
    fn uniform(&mut self) -> f64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        ((z >> 11) + 1) as f64 / (1u64 << 53) as f64
    }

    fn next(&mut self) -> f64 {
        if let Some(spare) = self.spare.take() {
            return spare;
        }
        let radius = (-2.0 * self.uniform().ln()).sqrt();
        let angle = 2.0 * std::f64::consts::PI * self.uniform();
        self.spare = Some(radius * angle.sin());
        radius * angle.cos()
    }

    fn values(&mut self, len: usize) -> Vec<f32> {
        (0..len).map(|_| self.next() as f32).collect()
    }

    fn tensor(&mut self, shape: [usize; 2], device: &Device) -> Tensor<2> {
        let data = TensorData::new(self.values(shape[0] * shape[1]), shape);
        Tensor::from_data(data, device)
    }
}

fn tensor(rows: &[&[f32]], device: &Device) -> Tensor<2> {
    let flat: Vec<f32> = rows.iter().flat_map(|row| row.iter().copied()).collect();
    Tensor::from_data(TensorData::new(flat, [rows.len(), rows[0].len()]), device)
}

/// Replaces every float parameter with seeded values in `[-scale, scale)` (deterministic,
/// unlike Burn's process-wide initialisation generator shared by the tests' threads).
fn seeded_params<M: Module>(module: M, seed: u64, scale: f32) -> M {
    struct Seeded {
        seed: u64,
        scale: f32,
    }
    impl ModuleMapper for Seeded {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            self.seed += 1;
            let (seed, scale) = (self.seed, self.scale);
            param.map(|tensor| {
                // A fresh leaf: keep the parameter's gradient requirement (autodiff devices).
                let fresh = seeded_tensor(tensor.dims(), seed, -scale, scale, &tensor.device());
                if tensor.is_require_grad() {
                    fresh.require_grad()
                } else {
                    fresh
                }
            })
        }
    }
    module.map(&mut Seeded { seed, scale })
}

fn mean_and_standard_error(samples: &[f64]) -> (f64, f64) {
    let n = samples.len() as f64;
    let mean = samples.iter().sum::<f64>() / n;
    let variance = samples.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (variance / n).sqrt())
}

#[test]
fn vae_shapes_accessors_and_pytorch_examples_parameter_count() {
    let device = device();
    let vae = VaeConfig::new().init(&device);
    // 784·400+400 + 2·(400·20+20) + 20·400+400 + 400·784+784
    assert_eq!(vae.num_params(), 652_824);
    assert_eq!(
        (vae.input_size(), vae.hidden(), vae.latent()),
        (784, 400, 20)
    );
    let config = vae.config();
    assert_eq!(
        (config.input_size, config.hidden, config.latent),
        (784, 400, 20)
    );
    assert_eq!(vae.fc1.weight.dims(), [784, 400]);
    assert_eq!(vae.fc21.weight.dims(), [400, 20]);
    assert_eq!(vae.fc22.weight.dims(), [400, 20]);
    assert_eq!(vae.fc3.weight.dims(), [20, 400]);
    assert_eq!(vae.fc4.weight.dims(), [400, 784]);

    let x = seeded_tensor([3, 784], 1, 0.0, 1.0, &device);
    let eps = Normals::new(2).tensor([3, 20], &device);
    let out = vae.forward(x.clone(), eps);
    assert_eq!(out.logits.dims(), [3, 784]);
    assert_eq!(out.mu.dims(), [3, 20]);
    assert_eq!(out.log_var.dims(), [3, 20]);
    assert_eq!(out.z.dims(), [3, 20]);
    let decoded = values(vae.decode(out.z.clone()));
    assert!(decoded.iter().all(|&p| p > 0.0 && p < 1.0));
    let expected: Vec<f64> = values(activation::sigmoid(out.logits.clone()))
        .iter()
        .map(|&p| p as f64)
        .collect();
    assert_close(&decoded, &expected, 1e-6, "decode = sigmoid(decode_logits)");

    let images = x.reshape([3, 1, 28, 28]);
    let reconstruction = vae.reconstruct(images);
    assert_eq!(reconstruction.output.dims(), [3, 1, 28, 28]);
    assert_eq!(reconstruction.code.dims(), [3, 20]);
    // The reconstruction decodes the posterior mean.
    let mu: Vec<f64> = values(out.mu).iter().map(|&v| v as f64).collect();
    assert_close(&values(reconstruction.code), &mu, 1e-6, "code = mu");

    let small = VaeConfig::new()
        .with_input_size(6)
        .with_hidden(5)
        .with_latent(2)
        .init(&device);
    assert_eq!(
        small.num_params(),
        6 * 5 + 5 + 2 * (5 * 2 + 2) + 2 * 5 + 5 + 5 * 6 + 6
    );
    assert_eq!(
        (small.input_size(), small.hidden(), small.latent()),
        (6, 5, 2)
    );
}

#[test]
#[should_panic(expected = "VaeConfig sizes must be positive")]
fn vae_config_rejects_a_zero_latent_size() {
    VaeConfig::new().with_latent(0).init(&device());
}

#[test]
#[should_panic(expected = "Vae::forward expects x [batch, 6] and eps [batch, 2]")]
fn vae_forward_rejects_eps_of_the_wrong_shape() {
    let device = device();
    let vae = VaeConfig::new()
        .with_input_size(6)
        .with_hidden(5)
        .with_latent(2)
        .init(&device);
    vae.forward(
        Tensor::zeros([4, 6], &device),
        Tensor::zeros([4, 3], &device),
    );
}

/// z = mu + eps·exp(log_var/2) element by element, and the logits decode that z.
#[test]
fn forward_reparameterises_with_the_callers_noise() {
    let device = device();
    let vae = seeded_params(
        VaeConfig::new()
            .with_input_size(10)
            .with_hidden(7)
            .with_latent(3)
            .init(&device),
        10,
        0.5,
    );
    let x = seeded_tensor([4, 10], 11, 0.0, 1.0, &device);
    let eps = Normals::new(12).tensor([4, 3], &device);
    let out = vae.forward(x, eps.clone());
    let (mu, log_var, eps_v) = (values(out.mu), values(out.log_var), values(eps));
    let expected: Vec<f64> = (0..12)
        .map(|i| mu[i] as f64 + eps_v[i] as f64 * (0.5 * log_var[i] as f64).exp())
        .collect();
    assert_close(&values(out.z.clone()), &expected, 1e-5, "z");
    let logits: Vec<f64> = values(vae.decode_logits(out.z))
        .iter()
        .map(|&v| v as f64)
        .collect();
    assert_close(&values(out.logits), &logits, 1e-6, "logits of z");
}

fn kl_by_hand(mu: &[f64], log_var: &[f64]) -> f64 {
    -0.5 * mu
        .iter()
        .zip(log_var)
        .map(|(m, lv)| 1.0 + lv - m * m - lv.exp())
        .sum::<f64>()
}

#[test]
fn gaussian_kl_matches_the_closed_form_by_hand() {
    let device = device();
    let mu = [[0.0, 0.0], [1.0, -2.0], [0.5, 0.3]];
    let log_var = [[0.0, 0.0], [0.5, -1.0], [-2.0, 1.5]];
    let rows = |a: &[[f64; 2]; 3]| -> Vec<Vec<f32>> {
        a.iter()
            .map(|r| r.iter().map(|&v| v as f32).collect())
            .collect()
    };
    let (mu_rows, lv_rows) = (rows(&mu), rows(&log_var));
    let to_tensor =
        |r: &Vec<Vec<f32>>| tensor(&r.iter().map(Vec::as_slice).collect::<Vec<_>>(), &device);
    let kl = values(gaussian_kl(to_tensor(&mu_rows), to_tensor(&lv_rows)));
    // Row 0: N(0, 1) against itself. Row 1: -0.5·(1+0.5-1-e^0.5 + 1-1-4-e^-1) = 2.7583...
    let expected: Vec<f64> = (0..3).map(|i| kl_by_hand(&mu[i], &log_var[i])).collect();
    assert!((expected[1] - 2.758_3).abs() < 1e-4, "{}", expected[1]);
    assert_close(&kl, &expected, 1e-5, "KL");
}

/// E_q[log q(z) − log p(z)] over 200,000 reparameterised samples matches the closed form.
#[test]
fn gaussian_kl_matches_a_monte_carlo_estimate() {
    let device = device();
    let mu = [[0.8, -1.5, 0.2], [0.0, 2.0, -0.5]];
    let log_var = [[-1.0, 0.7, 0.0], [1.2, -0.5, -2.0]];
    let samples = 200_000;
    let closed = values(gaussian_kl(
        tensor(&[&[0.8, -1.5, 0.2], &[0.0, 2.0, -0.5]], &device),
        tensor(&[&[-1.0, 0.7, 0.0], &[1.2, -0.5, -2.0]], &device),
    ));
    let mut normals = Normals::new(2024);
    for image in 0..2 {
        let row = |v: &[f64; 3]| v.map(|x| x as f32);
        let (m, lv) = (row(&mu[image]), row(&log_var[image]));
        let mu_t = tensor(&[&m], &device).repeat_dim(0, samples);
        let lv_t = tensor(&[&lv], &device).repeat_dim(0, samples);
        let eps = normals.values(samples * 3);
        let z = values(reparameterize(
            mu_t,
            lv_t,
            Tensor::from_data(TensorData::new(eps.clone(), [samples, 3]), &device),
        ));
        // log q − log p = Σ_j −0.5·eps² − 0.5·log σ² + 0.5·z² (the ln 2π terms cancel).
        let log_ratio: Vec<f64> = (0..samples)
            .map(|s| {
                (0..3)
                    .map(|j| {
                        let (e, zz) = (eps[s * 3 + j] as f64, z[s * 3 + j] as f64);
                        -0.5 * e * e - 0.5 * log_var[image][j] + 0.5 * zz * zz
                    })
                    .sum()
            })
            .collect();
        let (estimate, standard_error) = mean_and_standard_error(&log_ratio);
        let exact = kl_by_hand(&mu[image], &log_var[image]);
        eprintln!(
            "KL image {image}: closed form {} (by hand {exact:.5}), Monte Carlo {estimate:.5} ± {standard_error:.5}",
            closed[image]
        );
        assert!((closed[image] as f64 - exact).abs() < 1e-5);
        assert!(
            (estimate - exact).abs() <= 1e-2 * exact
                && (estimate - exact).abs() <= 4.0 * standard_error,
            "image {image}: Monte Carlo KL {estimate} ± {standard_error} vs closed form {exact}"
        );
    }
}

/// PyTorch's binary cross entropy in f64: −(x·ln p + (1−x)·ln(1−p)), p = sigmoid(l).
fn bce_by_hand(logit: f64, target: f64) -> f64 {
    let p = 1.0 / (1.0 + (-logit).exp());
    -(target * p.ln() + (1.0 - target) * (1.0 - p).ln())
}

#[test]
fn bernoulli_nll_matches_hand_values_and_is_stable_at_extreme_logits() {
    let device = device();
    let logits = tensor(&[&[0.0, 2.0, -3.0, 0.7], &[-1.5, 4.0, 0.25, -0.5]], &device);
    let targets = tensor(&[&[1.0, 0.0, 0.25, 1.0], &[0.0, 1.0, 0.5, 0.8]], &device);
    let l = [[0.0, 2.0, -3.0, 0.7], [-1.5, 4.0, 0.25, -0.5]];
    let x = [[1.0, 0.0, 0.25, 1.0], [0.0, 1.0, 0.5, 0.8]];
    let expected: Vec<f64> = (0..2)
        .map(|b| (0..4).map(|j| bce_by_hand(l[b][j], x[b][j])).sum())
        .collect();
    // Row 0: ln 2 + (2 + ln(1+e^-2)) + ... ; the first term alone is ln 2.
    assert!((bce_by_hand(0.0, 1.0) - std::f64::consts::LN_2).abs() < 1e-12);
    assert_close(
        &values(bernoulli_nll(logits, targets)),
        &expected,
        1e-5,
        "BCE",
    );

    // exp(200) overflows f32 and sigmoid(−200) underflows to 0 (ln 0 = −inf in the naive
    // formula); softplus(l) − x·l stays exact: softplus(200) = 200, softplus(−200) = 0.
    let logits = tensor(&[&[200.0, -200.0], &[150.0, -90.0]], &device);
    let targets = tensor(&[&[1.0, 1.0], &[0.3, 0.0]], &device);
    let nll = values(bernoulli_nll(logits, targets));
    // [200 − 200 + (0 + 200)] and [150 − 45 + (e^−90 ≈ 0)].
    assert_close(&nll, &[200.0, 105.0], 1e-4, "BCE at extreme logits");
    assert!(nll.iter().all(|v| v.is_finite()));
}

#[test]
fn gaussian_nll_is_half_the_squared_error_plus_the_unit_variance_constant() {
    let device = device();
    let mean = tensor(&[&[0.0, 0.5, 1.0], &[0.2, 0.2, 0.2]], &device);
    let x = tensor(&[&[1.0, 0.5, 0.0], &[0.2, 0.7, -0.3]], &device);
    let expected = [
        0.5 * (1.0 + 0.0 + 1.0) + 1.5 * LN_2PI,
        0.5 * (0.0 + 0.25 + 0.25) + 1.5 * LN_2PI,
    ];
    assert_close(
        &values(gaussian_nll(mean, x)),
        &expected,
        1e-5,
        "Gaussian NLL",
    );
    // Likelihood::Gaussian takes logits: its mean is their sigmoid.
    let logits = tensor(&[&[0.0, 0.0, 0.0]], &device);
    let x = tensor(&[&[0.5, 1.0, 0.0]], &device);
    let expected = [0.5 * (0.0 + 0.25 + 0.25) + 1.5 * LN_2PI];
    assert_close(
        &values(Likelihood::Gaussian.nll(logits, x)),
        &expected,
        1e-5,
        "Likelihood::Gaussian",
    );
}

#[test]
fn likelihood_serialises_in_kebab_case() {
    assert_eq!(
        serde_json::to_string(&Likelihood::Bernoulli).unwrap(),
        "\"bernoulli\""
    );
    let parsed: Likelihood = serde_json::from_str("\"gaussian\"").unwrap();
    assert_eq!(parsed, Likelihood::Gaussian);
    assert_eq!(Likelihood::Gaussian.name(), "gaussian");
}

/// Backward passes of the two loss terms: ∂BCE/∂l = sigmoid(l) − x, ∂KL/∂μ = μ and
/// ∂KL/∂log σ² = 0.5·(σ² − 1).
#[test]
fn loss_gradients_match_their_analytic_forms() {
    let device = device().autodiff();
    let l = [-3.0f32, -0.4, 0.0, 1.3, 7.0, 120.0];
    let x = [0.0f32, 1.0, 0.5, 0.2, 1.0, 0.0];
    let logits =
        Tensor::<2>::from_data(TensorData::new(l.to_vec(), [2, 3]), &device).require_grad();
    let targets = Tensor::<2>::from_data(TensorData::new(x.to_vec(), [2, 3]), &device);
    let grads = bernoulli_nll(logits.clone(), targets).sum().backward();
    let expected: Vec<f64> = l
        .iter()
        .zip(&x)
        .map(|(&l, &x)| 1.0 / (1.0 + (-l as f64).exp()) - x as f64)
        .collect();
    assert_close(
        &values(logits.grad(&grads).unwrap()),
        &expected,
        1e-6,
        "dBCE/dl",
    );

    let m = [0.3f32, -1.2, 0.0, 2.0];
    let lv = [-0.7f32, 0.4, 1.5, 0.0];
    let mu = Tensor::<2>::from_data(TensorData::new(m.to_vec(), [2, 2]), &device).require_grad();
    let log_var =
        Tensor::<2>::from_data(TensorData::new(lv.to_vec(), [2, 2]), &device).require_grad();
    let grads = gaussian_kl(mu.clone(), log_var.clone()).sum().backward();
    let expected_mu: Vec<f64> = m.iter().map(|&v| v as f64).collect();
    let expected_lv: Vec<f64> = lv.iter().map(|&v| 0.5 * ((v as f64).exp() - 1.0)).collect();
    assert_close(
        &values(mu.grad(&grads).unwrap()),
        &expected_mu,
        1e-6,
        "dKL/dmu",
    );
    assert_close(
        &values(log_var.grad(&grads).unwrap()),
        &expected_lv,
        1e-6,
        "dKL/dlog_var",
    );
}

/// loss = Σ z² with z = μ + eps·exp(0.5·log σ²): ∂loss/∂μ = 2z and
/// ∂loss/∂log σ² = 2z·eps·0.5·σ = z·eps·σ, from autodiff, by hand and by central finite
/// differences on f32 values.
#[test]
fn reparameterised_sample_gradients_match_analytic_and_finite_differences() {
    let plain = device();
    let device = plain.clone().autodiff();
    let m: Vec<f32> = vec![0.4, -1.1, 0.0, 2.3, -0.6, 0.9];
    let lv: Vec<f32> = vec![-0.8, 0.3, 1.1, -2.0, 0.0, 0.6];
    let e: Vec<f32> = Normals::new(77).values(6);
    let make = |v: &[f32], device: &Device| {
        Tensor::<2>::from_data(TensorData::new(v.to_vec(), [2, 3]), device)
    };
    let mu = make(&m, &device).require_grad();
    let log_var = make(&lv, &device).require_grad();
    let z = reparameterize(mu.clone(), log_var.clone(), make(&e, &device));
    let grads = z.clone().square().sum().backward();
    let grad_mu = values(mu.grad(&grads).unwrap());
    let grad_lv = values(log_var.grad(&grads).unwrap());
    let z = values(z);

    let sigma: Vec<f64> = lv.iter().map(|&v| (0.5 * v as f64).exp()).collect();
    let analytic_mu: Vec<f64> = z.iter().map(|&z| 2.0 * z as f64).collect();
    let analytic_lv: Vec<f64> = (0..6)
        .map(|i| z[i] as f64 * e[i] as f64 * sigma[i])
        .collect();
    assert_close(&grad_mu, &analytic_mu, 1e-5, "dloss/dmu (analytic)");
    assert_close(&grad_lv, &analytic_lv, 1e-5, "dloss/dlog_var (analytic)");

    let loss = |m: &[f32], lv: &[f32]| -> f64 {
        let z = reparameterize(make(m, &plain), make(lv, &plain), make(&e, &plain));
        values(z.square().sum())[0] as f64
    };
    let h = 1e-2f32;
    let finite = |perturb_mu: bool| -> Vec<f64> {
        (0..6)
            .map(|i| {
                let (mut up_m, mut up_lv, mut down_m, mut down_lv) =
                    (m.clone(), lv.clone(), m.clone(), lv.clone());
                if perturb_mu {
                    up_m[i] += h;
                    down_m[i] -= h;
                } else {
                    up_lv[i] += h;
                    down_lv[i] -= h;
                }
                (loss(&up_m, &up_lv) - loss(&down_m, &down_lv)) / (2.0 * h as f64)
            })
            .collect()
    };
    let (finite_mu, finite_lv) = (finite(true), finite(false));
    let worst = |a: &[f32], f: &[f64]| {
        a.iter()
            .zip(f)
            .map(|(&a, f)| (a as f64 - f).abs())
            .fold(0.0, f64::max)
    };
    eprintln!(
        "reparameterised gradients: largest |autodiff - finite difference| {:.2e} (mu), {:.2e} (log_var)",
        worst(&grad_mu, &finite_mu),
        worst(&grad_lv, &finite_lv)
    );
    assert_close(&grad_mu, &finite_mu, 1e-2, "dloss/dmu (finite differences)");
    assert_close(
        &grad_lv,
        &finite_lv,
        1e-2,
        "dloss/dlog_var (finite differences)",
    );
}

#[test]
fn log_mean_exp_is_stable_and_exact() {
    let device = device();
    // Column 0: log((e^1000 + e^(1000 + ln 3)) / 2) = 1000 + ln 2. Column 1: all −1000.
    // Column 2: log((e^0 + e^-1)/2).
    let log_w = tensor(
        &[
            &[1000.0, -1000.0, 0.0],
            &[1000.0 + 3f32.ln(), -1000.0, -1.0],
        ],
        &device,
    );
    let expected = [
        1000.0 + std::f64::consts::LN_2,
        -1000.0,
        ((1.0 + (-1.0f64).exp()) / 2.0).ln(),
    ];
    assert_close(
        &values(log_mean_exp(log_w)),
        &expected,
        1e-4,
        "log_mean_exp",
    );
    let single = tensor(&[&[-3.5, 12.0]], &device);
    assert_close(&values(log_mean_exp(single)), &[-3.5, 12.0], 0.0, "K = 1");
}

/// log w from its definition, with log p(x|z), log p(z) and log q(z|x) by hand; and
/// elbo_terms adds the closed-form KL to the reconstruction.
#[test]
fn log_importance_weights_match_their_definition() {
    let device = device();
    let vae = seeded_params(
        VaeConfig::new()
            .with_input_size(5)
            .with_hidden(4)
            .with_latent(2)
            .init(&device),
        30,
        0.8,
    );
    let x = seeded_tensor([3, 5], 31, 0.0, 1.0, &device);
    let eps = Normals::new(32).tensor([3, 2], &device);
    let out = vae.forward(x.clone(), eps.clone());
    let log_w = values(log_importance_weights(
        x.clone(),
        out.mu.clone(),
        out.log_var.clone(),
        eps.clone(),
        out.logits.clone(),
        Likelihood::Bernoulli,
    ));
    let (mu, lv, z) = (
        values(out.mu.clone()),
        values(out.log_var.clone()),
        values(out.z.clone()),
    );
    let (logits, xs) = (values(out.logits.clone()), values(x.clone()));
    let expected: Vec<f64> = (0..3)
        .map(|b| {
            let log_px: f64 = (0..5)
                .map(|j| -bce_by_hand(logits[b * 5 + j] as f64, xs[b * 5 + j] as f64))
                .sum();
            let log_pz: f64 = (0..2)
                .map(|j| -0.5 * ((z[b * 2 + j] as f64).powi(2) + LN_2PI))
                .sum();
            let log_qz: f64 = (0..2)
                .map(|j| {
                    let i = b * 2 + j;
                    let sigma = (0.5 * lv[i] as f64).exp();
                    // The Gaussian density of z around μ, written without eps.
                    let u = (z[i] as f64 - mu[i] as f64) / sigma;
                    -0.5 * (u * u + LN_2PI) - sigma.ln()
                })
                .sum();
            log_px + log_pz - log_qz
        })
        .collect();
    assert_close(&log_w, &expected, 1e-4, "log w");

    // K = 1: iwae_nll is −log w.
    let neg: Vec<f64> = expected.iter().map(|v| -v).collect();
    assert_close(
        &values(iwae_nll(&vae, x.clone(), &[eps], Likelihood::Bernoulli)),
        &neg,
        1e-4,
        "iwae_nll K = 1",
    );

    let terms = elbo_terms(x.clone(), &out, Likelihood::Bernoulli);
    let kl: Vec<f64> = (0..3)
        .map(|b| {
            let m: Vec<f64> = mu[b * 2..b * 2 + 2].iter().map(|&v| v as f64).collect();
            let l: Vec<f64> = lv[b * 2..b * 2 + 2].iter().map(|&v| v as f64).collect();
            kl_by_hand(&m, &l)
        })
        .collect();
    assert_close(&values(terms.kl.clone()), &kl, 1e-5, "elbo_terms KL");
    let recon = values(bernoulli_nll(out.logits.clone(), x));
    let total: Vec<f64> = (0..3).map(|b| recon[b] as f64 + kl[b]).collect();
    assert_close(
        &values(terms.negative_elbo()),
        &total,
        1e-4,
        "negative ELBO",
    );
}

/// `−log p(x)` of a model with a 2-d latent, by the trapezoidal rule on a grid over
/// `[-7, 7]²`: `p(x) = ∫ p(x|z) N(z; 0, I) dz`.
fn nll_by_quadrature(vae: &Vae, x: &[f32], input: usize, device: &Device) -> Vec<f64> {
    // 141² points, step 0.1: 801² gives the same values to 2e-5 nats for this model.
    let steps = 141;
    let h = 14.0 / (steps - 1) as f64;
    let grid: Vec<f32> = (0..steps * steps)
        .flat_map(|g| {
            let (i, j) = (g / steps, g % steps);
            [(-7.0 + i as f64 * h) as f32, (-7.0 + j as f64 * h) as f32]
        })
        .collect();
    let points = steps * steps;
    let z = Tensor::<2>::from_data(TensorData::new(grid.clone(), [points, 2]), device);
    let logits = vae.decode_logits(z);
    let batch = x.len() / input;
    (0..batch)
        .map(|b| {
            let row = Tensor::<2>::from_data(
                TensorData::new(x[b * input..(b + 1) * input].to_vec(), [1, input]),
                device,
            )
            .repeat_dim(0, points);
            let nll = values(bernoulli_nll(logits.clone(), row));
            let log_terms: Vec<f64> = (0..points)
                .map(|g| {
                    let (z0, z1) = (grid[2 * g] as f64, grid[2 * g + 1] as f64);
                    -(nll[g] as f64) - 0.5 * (z0 * z0 + z1 * z1) - LN_2PI + 2.0 * h.ln()
                })
                .collect();
            let max = log_terms.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            -(max + log_terms.iter().map(|t| (t - max).exp()).sum::<f64>().ln())
        })
        .collect()
}

/// The importance-weighted bound tightens with K towards −log p(x) (integrated on a grid):
/// E[K=1] = recon + KL (the ELBO) ≥ E[K=5] ≥ E[K=50] ≥ −log p(x), and K = 5000 is within a
/// few hundredths of a nat of it.
#[test]
fn importance_weighted_bound_tightens_with_k_towards_the_true_likelihood() {
    let device = device();
    let (input, latent, batch) = (12, 2, 4);
    let vae = seeded_params(
        VaeConfig::new()
            .with_input_size(input)
            .with_hidden(10)
            .with_latent(latent)
            .init(&device),
        40,
        0.5,
    );
    let x_values: Vec<f32> = crate::common::seeded_values(batch * input, 41, 0.0, 1.0)
        .iter()
        .map(|&v| if v > 0.5 { 1.0 } else { 0.0 })
        .collect();
    let x = Tensor::<2>::from_data(TensorData::new(x_values.clone(), [batch, input]), &device);
    let true_nll = nll_by_quadrature(&vae, &x_values, input, &device);
    let mut normals = Normals::new(42);

    // Independent estimates, each over its own noise: `repeats` copies of the batch in one call.
    let mut estimate = |k: usize, repeats: usize| -> Vec<(f64, f64)> {
        let x_rep = x.clone().repeat_dim(0, repeats);
        let eps: Vec<Tensor<2>> = (0..k)
            .map(|_| normals.tensor([repeats * batch, latent], &device))
            .collect();
        let nll = values(iwae_nll(&vae, x_rep, &eps, Likelihood::Bernoulli));
        (0..batch)
            .map(|b| {
                let per: Vec<f64> = (0..repeats).map(|r| nll[r * batch + b] as f64).collect();
                mean_and_standard_error(&per)
            })
            .collect()
    };
    let k1 = estimate(1, 20_000);
    let k5 = estimate(5, 4_000);
    let k50 = estimate(50, 400);
    let k5000 = estimate(5000, 20);

    // The analytic ELBO: bernoulli_nll of decoded samples plus the closed-form KL.
    let samples = 20_000;
    let x_rep = x.clone().repeat_dim(0, samples);
    let out = vae.forward(
        x_rep.clone(),
        normals.tensor([samples * batch, latent], &device),
    );
    let recon = values(bernoulli_nll(out.logits.clone(), x_rep));
    let kl = values(gaussian_kl(out.mu.clone(), out.log_var.clone()));

    let mut failures = Vec::new();
    let mut check = |ok: bool, what: String| {
        if !ok {
            failures.push(what);
        }
    };
    for b in 0..batch {
        let per: Vec<f64> = (0..samples).map(|s| recon[s * batch + b] as f64).collect();
        let (recon_mean, recon_se) = mean_and_standard_error(&per);
        let elbo = recon_mean + kl[b] as f64;
        let ((m1, s1), (m5, s5), (m50, s50), (m5000, s5000)) = (k1[b], k5[b], k50[b], k5000[b]);
        let truth = true_nll[b];
        eprintln!(
            "image {b}: ELBO {elbo:.4} ± {recon_se:.4} (KL {:.4}), K=1 {m1:.4} ± {s1:.4}, K=5 {m5:.4} ± {s5:.4}, K=50 {m50:.4} ± {s50:.4}, K=5000 {m5000:.4} ± {s5000:.4}, −log p(x) {truth:.4}",
            kl[b]
        );
        // Four standard errors of a difference of independent estimates.
        let noise = |a: f64, c: f64| 4.0 * (a * a + c * c).sqrt();
        check(
            (m1 - elbo).abs() <= noise(s1, recon_se),
            format!("image {b}: K=1 {m1} ± {s1} vs ELBO {elbo} ± {recon_se}"),
        );
        check(
            m1 - m50 > noise(s1, s50),
            format!("image {b}: K=1 {m1} not above K=50 {m50}"),
        );
        check(
            m5 <= m1 + noise(s1, s5),
            format!("image {b}: K=5 {m5} above K=1 {m1}"),
        );
        check(
            m50 <= m5 + noise(s5, s50),
            format!("image {b}: K=50 {m50} above K=5 {m5}"),
        );
        check(
            m50 >= truth - noise(s50, 0.0),
            format!("image {b}: K=50 {m50} below −log p(x) {truth}"),
        );
        check(
            m5000 >= truth - noise(s5000, 0.0) && m5000 <= truth + noise(s5000, 0.0) + 0.02,
            format!("image {b}: K=5000 {m5000} ± {s5000} not at −log p(x) {truth}"),
        );
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// The whole training graph on an autodiff device (fused dense layers on flex): the negative
/// ELBO's gradient in the input, against central finite differences on the plain device, and
/// a gradient for every layer's weight.
#[test]
fn negative_elbo_backward_through_the_model_matches_finite_differences() {
    let plain = device();
    let autodiff = plain.clone().autodiff();
    let build = |device: &Device| {
        seeded_params(
            VaeConfig::new()
                .with_input_size(6)
                .with_hidden(5)
                .with_latent(2)
                .init(device),
            50,
            0.7,
        )
    };
    let x_values = crate::common::seeded_values(3 * 6, 51, 0.05, 0.95);
    let eps_values = Normals::new(52).values(3 * 2);
    let loss = |vae: &Vae, x: Tensor<2>, device: &Device| {
        let eps = Tensor::<2>::from_data(TensorData::new(eps_values.clone(), [3, 2]), device);
        let out = vae.forward(x.clone(), eps);
        elbo_terms(x, &out, Likelihood::Bernoulli)
            .negative_elbo()
            .sum()
    };
    let vae = build(&autodiff);
    let x =
        Tensor::<2>::from_data(TensorData::new(x_values.clone(), [3, 6]), &autodiff).require_grad();
    let grads = loss(&vae, x.clone(), &autodiff).backward();
    let grad_x = values(x.grad(&grads).expect("gradient in x"));
    for (name, weight) in [
        ("fc1", &vae.fc1),
        ("fc21", &vae.fc21),
        ("fc22", &vae.fc22),
        ("fc3", &vae.fc3),
        ("fc4", &vae.fc4),
    ] {
        let grad = values(weight.weight.grad(&grads).expect(name));
        assert!(
            grad.iter().any(|g| g.abs() > 1e-6) && grad.iter().all(|g| g.is_finite()),
            "{name}: gradient {grad:?}"
        );
    }

    let vae = build(&plain);
    let h = 1e-3f32;
    let at = |values: Vec<f32>| {
        let x = Tensor::<2>::from_data(TensorData::new(values, [3, 6]), &plain);
        crate::common::values(loss(&vae, x, &plain))[0] as f64
    };
    let finite: Vec<f64> = (0..18)
        .map(|i| {
            let (mut up, mut down) = (x_values.clone(), x_values.clone());
            up[i] += h;
            down[i] -= h;
            (at(up) - at(down)) / (2.0 * h as f64)
        })
        .collect();
    let worst = grad_x
        .iter()
        .zip(&finite)
        .map(|(&a, f)| (a as f64 - f).abs())
        .fold(0.0, f64::max);
    eprintln!("d(negative ELBO)/dx: largest |autodiff - finite difference| {worst:.2e}");
    assert_close(&grad_x, &finite, 1e-2, "d(negative ELBO)/dx");
}
