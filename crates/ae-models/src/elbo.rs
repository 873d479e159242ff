//! The objective of a variational autoencoder ([`Vae`](crate::Vae),
//! [`ConvVae`](crate::ConvVae)): the evidence lower bound (ELBO) and the importance-weighted
//! bound (IWAE, Burda et al. 2016), in nats, per image.
//!
//! Every function returns one value per image, `[batch]`, so that a caller sums them (as
//! pytorch/examples' `loss_function` does over a batch) or averages them (nats per image).
//! The functions that run a model take any [`LatentVariableModel`]: images flattened to
//! `[batch, c·h·w]` rows, whatever the model's layers are.

use burn::serde::{Deserialize, Serialize};
use burn::tensor::{Tensor, activation};

use crate::{VaeOutput, reparameterize};

/// A variational autoencoder seen through flat images: a Gaussian encoder `q(z|x)` giving
/// `(μ, log σ²)` and a decoder giving per-pixel logits of `p(x|z)`, on rows `[batch, c·h·w]`
/// (an image's values in its `[c, h, w]` order). [`iwae_nll`] and the trainers of every
/// variational kind use only this, so the dense [`Vae`](crate::Vae) and the convolutional
/// [`ConvVae`](crate::ConvVae) share one objective.
pub trait LatentVariableModel {
    /// x: `[batch, c·h·w]` -> (μ, log σ²): `[batch, latent]` each.
    fn encode_flat(&self, x: Tensor<2>) -> (Tensor<2>, Tensor<2>);

    /// z: `[batch, latent]` -> logits `[batch, c·h·w]` (before the sigmoid).
    fn decode_logits_flat(&self, z: Tensor<2>) -> Tensor<2>;

    /// Dimension of the latent code z.
    fn latent(&self) -> usize;

    /// The training pass on flat images: encode, reparameterise with the caller's standard
    /// normal noise `eps` `[batch, latent]`, decode. Logits `[batch, c·h·w]`.
    fn forward_flat(&self, x: Tensor<2>, eps: Tensor<2>) -> VaeOutput {
        let (mu, log_var) = self.encode_flat(x);
        let z = reparameterize(mu.clone(), log_var.clone(), eps);
        let logits = self.decode_logits_flat(z.clone());
        VaeOutput {
            logits,
            mu,
            log_var,
            z,
        }
    }
}

/// `0.5 · ln(2π)` (0.5 * (2.0 * PI).ln() in f64), the constant of a unit-variance Gaussian's negative log-density.
const HALF_LN_2PI: f64 = 0.918_938_533_204_672_7;

/// The decoder's likelihood `p(x|z)`, chosen by configuration.
///
/// Serialises in kebab case: `"bernoulli"`, `"gaussian"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(crate = "burn::serde", rename_all = "kebab-case")]
pub enum Likelihood {
    /// Independent Bernoulli pixels with probabilities `sigmoid(logits)`: the binary cross
    /// entropy of pytorch/examples ([`bernoulli_nll`]).
    Bernoulli,
    /// Independent unit-variance Gaussian pixels with means `sigmoid(logits)`, the decoded
    /// image ([`gaussian_nll`]).
    Gaussian,
}

impl Likelihood {
    /// `-log p(x|z)` per image from the decoder's logits.
    ///
    /// logits, x: `[batch, input_size]` -> `[batch]`.
    pub fn nll(self, logits: Tensor<2>, x: Tensor<2>) -> Tensor<1> {
        match self {
            Likelihood::Bernoulli => bernoulli_nll(logits, x),
            Likelihood::Gaussian => gaussian_nll(activation::sigmoid(logits), x),
        }
    }

    /// The name recipes use: `"bernoulli"` or `"gaussian"`.
    pub fn name(self) -> &'static str {
        match self {
            Likelihood::Bernoulli => "bernoulli",
            Likelihood::Gaussian => "gaussian",
        }
    }
}

/// Sums `[batch, n]` over its second dimension: `[batch]`.
fn sum_per_row(values: Tensor<2>) -> Tensor<1> {
    let [batch, _] = values.dims();
    values.sum_dim(1).reshape([batch])
}

/// Asserts two `[batch, n]` tensors have one shape, naming the function.
fn assert_same_shape(a: &Tensor<2>, b: &Tensor<2>, what: &str) {
    let (a, b) = (a.dims(), b.dims());
    assert!(a == b, "{what}: shapes {a:?} and {b:?} differ");
}

/// Bernoulli negative log-likelihood (binary cross entropy) summed over pixels:
/// `Σ_j softplus(l_j) − x_j · l_j`, with `softplus(l) = max(l, 0) + log1p(exp(−|l|))`
/// computed without overflow for any logit (and with the exact gradient at `l = 0`).
///
/// logits, x: `[batch, input_size]` (targets in `[0, 1]`) -> `[batch]`. Equals PyTorch's
/// `F.binary_cross_entropy(torch.sigmoid(l), x, reduction='none').sum(1)` except where PyTorch
/// clamps its logarithms at −100 (logits beyond about ±100). Its gradient is
/// `sigmoid(l) − x`.
///
/// # Panics
/// When the shapes differ.
pub fn bernoulli_nll(logits: Tensor<2>, x: Tensor<2>) -> Tensor<1> {
    assert_same_shape(&logits, &x, "bernoulli_nll logits and x");
    // max(l, 0) as (l + |l|) / 2: with Burn's sign(0) = 0 for |l|, the gradient at l = 0 is
    // then 1/2 + 0 = sigmoid(0), where relu's would give 0 (both kinks cancel in softplus).
    let magnitude = logits.clone().abs();
    let softplus =
        (logits.clone() + magnitude.clone()).mul_scalar(0.5) + magnitude.neg().exp().log1p();
    sum_per_row(softplus - x * logits)
}

/// Negative log-likelihood of a unit-variance Gaussian summed over pixels:
/// `Σ_j 0.5 · (x_j − mean_j)² + 0.5 · ln(2π)`.
///
/// mean, x: `[batch, input_size]` -> `[batch]`. The variance is fixed at 1 (not learnt), so
/// this is half the summed squared error plus the constant `input_size · 0.5 · ln(2π)`; its
/// gradient in `mean` is `mean − x`.
///
/// # Panics
/// When the shapes differ.
pub fn gaussian_nll(mean: Tensor<2>, x: Tensor<2>) -> Tensor<1> {
    assert_same_shape(&mean, &x, "gaussian_nll mean and x");
    sum_per_row((x - mean).square().mul_scalar(0.5).add_scalar(HALF_LN_2PI))
}

/// `KL(N(μ, σ²) ‖ N(0, I)) = −0.5 · Σ_j (1 + log σ²_j − μ²_j − σ²_j)` per image, in closed
/// form (pytorch/examples' `KLD`).
///
/// mu, log_var: `[batch, latent]` -> `[batch]`. Gradients: `μ` and `0.5 · (σ² − 1)`.
///
/// # Panics
/// When the shapes differ.
pub fn gaussian_kl(mu: Tensor<2>, log_var: Tensor<2>) -> Tensor<1> {
    assert_same_shape(&mu, &log_var, "gaussian_kl mu and log_var");
    let terms = log_var.clone().add_scalar(1.0) - mu.square() - log_var.exp();
    sum_per_row(terms).mul_scalar(-0.5)
}

/// The two terms of the negative ELBO of one sample, per image.
#[derive(Clone, Debug)]
pub struct ElboTerms {
    /// `-log p(x|z)` of the decoded sample: `[batch]`.
    pub reconstruction: Tensor<1>,
    /// `KL(q(z|x) ‖ p(z))` in closed form: `[batch]`.
    pub kl: Tensor<1>,
}

impl ElboTerms {
    /// `reconstruction + kl`: the negative ELBO's single-sample estimate, `[batch]`.
    pub fn negative_elbo(&self) -> Tensor<1> {
        self.reconstruction.clone() + self.kl.clone()
    }
}

/// The negative ELBO's terms for a forward pass: `likelihood.nll(logits, x)` and
/// `gaussian_kl(mu, log_var)`. Their sum over the batch with [`Likelihood::Bernoulli`] is
/// pytorch/examples' `loss_function` (`BCE + KLD`).
///
/// x: `[batch, input_size]`, output of [`Vae::forward`](crate::Vae::forward) (or
/// [`LatentVariableModel::forward_flat`], [`ConvVaeOutput::flatten`](crate::ConvVaeOutput::flatten))
/// on it -> two `[batch]` tensors.
pub fn elbo_terms(x: Tensor<2>, output: &VaeOutput, likelihood: Likelihood) -> ElboTerms {
    ElboTerms {
        reconstruction: likelihood.nll(output.logits.clone(), x),
        kl: gaussian_kl(output.mu.clone(), output.log_var.clone()),
    }
}

/// Log importance weights of one sample per image:
/// `log w = log p(x|z) + log p(z) − log q(z|x)` with `z = μ + eps · σ`,
/// `log p(z) = −0.5 · Σ (z² + ln 2π)` and `log q(z|x) = −0.5 · Σ (eps² + ln 2π + log σ²)`.
///
/// x: `[batch, input_size]`; mu, log_var, eps: `[batch, latent]`; logits: `[batch, input_size]`
/// decoded from that `z` -> `[batch]`. `−log w` is the negative ELBO's single-sample estimate
/// with the KL term sampled rather than in closed form; its expectation is
/// [`elbo_terms`]' `negative_elbo`.
///
/// # Panics
/// When the shapes disagree.
pub fn log_importance_weights(
    x: Tensor<2>,
    mu: Tensor<2>,
    log_var: Tensor<2>,
    eps: Tensor<2>,
    logits: Tensor<2>,
    likelihood: Likelihood,
) -> Tensor<1> {
    let z = reparameterize(mu, log_var.clone(), eps.clone());
    // log p(z) − log q(z|x) = −0.5 Σ (z² − eps² − log σ²): the ln 2π terms cancel.
    let log_ratio = sum_per_row(z.square() - eps.square() - log_var).mul_scalar(-0.5);
    log_ratio - likelihood.nll(logits, x)
}

/// `log (1/k · Σ_i exp(log_w[i, b]))` per column, computed stably (the column's maximum is
/// subtracted before the exponential).
///
/// log_w: `[k, batch]` -> `[batch]`.
pub fn log_mean_exp(log_w: Tensor<2>) -> Tensor<1> {
    let [_, batch] = log_w.dims();
    let max = log_w.clone().max_dim(0).detach();
    let shifted = (log_w - max.clone()).exp().mean_dim(0).log();
    (shifted + max).reshape([batch])
}

/// The importance-weighted bound's negative, `−log (1/K · Σ_k w_k)` per image, with one
/// sample per tensor of `eps_samples` (standard normal draws, each `[batch, latent]`).
///
/// x: `[batch, c·h·w]` -> `[batch]`, in nats. With one sample it is `−log w`, the negative
/// ELBO's single-sample estimate; it decreases towards `−log p(x)` as K grows (in expectation).
/// The K samples are decoded in one batch of `K · batch` rows.
///
/// # Panics
/// When `eps_samples` is empty or a sample is not `[batch, latent]`.
pub fn iwae_nll<M: LatentVariableModel>(
    model: &M,
    x: Tensor<2>,
    eps_samples: &[Tensor<2>],
    likelihood: Likelihood,
) -> Tensor<1> {
    let k = eps_samples.len();
    assert!(k > 0, "iwae_nll needs at least one eps sample");
    let [batch, _] = x.dims();
    let latent = model.latent();
    for (index, eps) in eps_samples.iter().enumerate() {
        let dims = eps.dims();
        assert!(
            dims == [batch, latent],
            "iwae_nll: eps sample {index} is {dims:?}, expected [{batch}, {latent}]"
        );
    }
    let (mu, log_var) = model.encode_flat(x.clone());
    let eps = Tensor::cat(eps_samples.to_vec(), 0);
    let (x, mu, log_var) = (
        x.repeat_dim(0, k),
        mu.repeat_dim(0, k),
        log_var.repeat_dim(0, k),
    );
    let z = reparameterize(mu.clone(), log_var.clone(), eps.clone());
    let logits = model.decode_logits_flat(z);
    let log_w = log_importance_weights(x, mu, log_var, eps, logits, likelihood);
    log_mean_exp(log_w.reshape([k, batch])).neg()
}
