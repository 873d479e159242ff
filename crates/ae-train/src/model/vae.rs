//! The variational autoencoder (Kingma & Welling 2014) as pytorch/examples' `vae/main.py`
//! builds it: `input -> hidden (ReLU) -> μ, log σ²`, `z = μ + ε·σ`, `z -> hidden (ReLU) ->
//! input (sigmoid)`, trained on the negative ELBO, reconstruction + β·KL(q(z|x) ‖ N(0, I))
//! (β = 1 the plain VAE, β > 1 the β-VAE of Higgins et al. 2017), in nats per image. The
//! likelihood and β are the stage's (`[[stages]] likelihood`, `beta`): the objective, as a
//! sparsity penalty is.
//!
//! ε is drawn on the CPU from each batch's own seed (`Batch::seed`), so that training, its
//! resume and the test loss are pure functions of the run's seed as the rest of a run is.
//! Reconstructions, codes and pictures use μ (no sampling).
//!
//! The objective, the evaluation, the importance-weighted estimate and the decoding of latent
//! codes are functions of any [`LatentVariableModel`] (images as flat rows), which the
//! convolutional VAE ([`super::conv_vae`]) shares.

use std::fmt;

use ae_data::{Batch, BatchLoader};
use ae_models::{
    LatentVariableModel, Likelihood, Reconstruction, Vae, VaeConfig, gaussian_kl, iwae_nll,
};
use burn::tensor::{Device, Tensor, TensorData};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use super::kind::dense_flops;
use super::stacked::first_layer_tiles;
use super::{Arch, ArchKind, LayerTiles, ModelKind, Net, SpecKind, dense_rows};
use crate::error::{RecipeError, TrainError};
use crate::measure::TestSet;
use crate::metrics::TestMetrics;
use crate::objective::{StepLosses, flat};
use crate::readback::{read_f32, read_scalars};
use crate::recipe::{Recipe, Stage, StageKind};

/// A latent unit counts as active when the variance of its μ over the test set exceeds this
/// (Burda et al. 2016's criterion).
pub const ACTIVE_UNIT_VARIANCE: f64 = 0.01;

/// `[model] kind = "vae"`: pytorch/examples' VAE; the input size is the dataset's image size
/// after resize (784 for MNIST).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaeSpec {
    /// Units of the encoder's and the decoder's hidden layer (400 in pytorch/examples).
    #[serde(default = "default_hidden")]
    pub hidden: usize,
    /// Size of z (20 in pytorch/examples; 2 for a latent map).
    #[serde(default = "default_latent")]
    pub latent: usize,
}

fn default_hidden() -> usize {
    400
}
fn default_latent() -> usize {
    20
}
/// The VAE of a checkpoint: its sizes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VaeArch {
    pub input_size: usize,
    pub hidden: usize,
    pub latent: usize,
}

impl SpecKind for VaeSpec {
    fn initial_arch(&self, _recipe: &Recipe, input: [usize; 3]) -> Result<Arch, RecipeError> {
        for (key, value) in [("model.hidden", self.hidden), ("model.latent", self.latent)] {
            if value == 0 {
                return Err(RecipeError::Zero { key: key.into() });
            }
        }
        Ok(Arch::Vae(VaeArch {
            input_size: input.iter().product(),
            hidden: self.hidden,
            latent: self.latent,
        }))
    }
}

impl ArchKind for VaeArch {
    fn build(&self, device: &Device) -> Net {
        Net::Vae(
            VaeConfig::new()
                .with_input_size(self.input_size)
                .with_hidden(self.hidden)
                .with_latent(self.latent)
                .init(device),
        )
    }

    fn kind_name(&self) -> &'static str {
        "variational autoencoder"
    }

    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "dense VAE {}-{}-{}z-{}-{}",
            self.input_size, self.hidden, self.latent, self.hidden, self.input_size,
        )
    }

    fn reconstructs(&self) -> bool {
        true
    }

    fn is_variational(&self) -> bool {
        true
    }

    fn code_size(&self) -> usize {
        self.latent
    }

    fn code_description(&self) -> String {
        format!("{}-d latent mean μ", self.latent)
    }

    fn forward_flops_per_sample(&self) -> u64 {
        dense_flops(self.input_size, self.hidden)
            + 2 * dense_flops(self.hidden, self.latent)
            + dense_flops(self.latent, self.hidden)
            + dense_flops(self.hidden, self.input_size)
    }

    fn encoder_flops_per_sample(&self) -> u64 {
        dense_flops(self.input_size, self.hidden) + 2 * dense_flops(self.hidden, self.latent)
    }
}

/// `count` draws of N(0, 1) from `StdRng::seed_from_u64(seed)`, in order (row-major codes).
pub fn standard_normal_draws(seed: u64, count: usize) -> Vec<f32> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..count)
        .map(|_| StandardNormal.sample(&mut rng))
        .collect()
}

/// ε for a batch of `rows`: standard normal `[rows, latent]` from `seed`
/// ([`standard_normal_draws`] as a tensor).
pub fn standard_normal(seed: u64, rows: usize, latent: usize, device: &Device) -> Tensor<2> {
    let values = standard_normal_draws(seed, rows * latent);
    Tensor::from_data(TensorData::new(values, [rows, latent]), device)
}

/// The stage's likelihood and β (Bernoulli and 1 when not given).
fn objective(stage: &Stage) -> (Likelihood, f64) {
    (
        stage.likelihood.unwrap_or(Likelihood::Bernoulli),
        stage.beta.unwrap_or(1.0),
    )
}

/// The reconstruction of `images` `[batch, c, h, w]` decoded from μ, code μ.
pub(super) fn reconstruct_from_mean<M: LatentVariableModel>(
    model: &M,
    images: Tensor<4>,
) -> Reconstruction {
    let dims = images.dims();
    let (mu, _) = model.encode_flat(flat(images));
    let output = decode_images(model, mu.clone(), dims);
    Reconstruction { output, code: mu }
}

/// The posterior mean μ of `images` `[batch, c, h, w]`: `[batch, latent]`.
pub(super) fn posterior_mean<M: LatentVariableModel>(model: &M, images: Tensor<4>) -> Tensor<2> {
    model.encode_flat(flat(images)).0
}

/// The images decoded from `z` `[n, latent]` (the sigmoid of the logits), `dims` =
/// `[n, c, h, w]`.
fn decode_images<M: LatentVariableModel>(model: &M, z: Tensor<2>, dims: [usize; 4]) -> Tensor<4> {
    burn::tensor::activation::sigmoid(model.decode_logits_flat(z)).reshape(dims)
}

/// [`ModelKind::decode_latent`] of a variational model: the pictures of `z` `[n, latent]`,
/// `[n, c, h, w]`.
pub(super) fn decode_latent<M: LatentVariableModel>(
    model: &M,
    z: Tensor<2>,
    [c, h, w]: [usize; 3],
) -> Tensor<4> {
    let [n, _] = z.dims();
    decode_images(model, z, [n, c, h, w])
}

/// The negative ELBO of a training batch of `stage` (reconstruction + β·KL, nats per image),
/// ε from the batch's seed.
pub(super) fn elbo_losses<M: LatentVariableModel>(
    model: &M,
    batch: &Batch,
    stage: &Stage,
) -> Result<StepLosses, TrainError> {
    if stage.kind != StageKind::Reconstruction {
        return Err(TrainError::InvalidOption(
            "a variational autoencoder trains in reconstruction stages only".into(),
        ));
    }
    let (likelihood, beta) = objective(stage);
    let device = batch.input.device();
    let eps = standard_normal(batch.seed, batch.len, model.latent(), &device);
    let out = model.forward_flat(flat(batch.input.clone()), eps);
    let recon = likelihood.nll(out.logits, flat(batch.clean.clone())).mean();
    let kl = gaussian_kl(out.mu, out.log_var).mean().mul_scalar(beta);
    Ok(StepLosses {
        loss: recon.clone() + kl.clone(),
        data_loss: recon,
        penalty: Some(kl),
        correct: None,
    })
}

/// The test metrics of a variational model: the negative ELBO and its two parts in nats per
/// image (ε from each test batch's seed), and the active latent units.
pub(super) fn elbo_evaluate<M: LatentVariableModel>(
    model: &M,
    stage: &Stage,
    test: &TestSet<'_>,
) -> Result<TestMetrics, TrainError> {
    let (likelihood, beta) = objective(stage);
    let loader = BatchLoader::new(test.data.clone(), test.batch_size).noise(test.noise);
    let (mut recon_sums, mut kl_sums, mut mus) = (Vec::new(), Vec::new(), Vec::new());
    for batch in loader.iter(test.noise_seed, test.device) {
        let eps = standard_normal(batch.seed, batch.len, model.latent(), test.device);
        let out = model.forward_flat(flat(batch.input), eps);
        recon_sums.push(likelihood.nll(out.logits, flat(batch.clean)).sum());
        kl_sums.push(gaussian_kl(out.mu.clone(), out.log_var).sum());
        mus.push(out.mu);
    }
    let n = test.data.len().max(1) as f64;
    let recon = read_scalars(recon_sums)?
        .iter()
        .map(|&v| f64::from(v))
        .sum::<f64>()
        / n;
    let kl = read_scalars(kl_sums)?
        .iter()
        .map(|&v| f64::from(v))
        .sum::<f64>()
        / n;
    let mu = read_f32(Tensor::cat(mus, 0))?;
    Ok(TestMetrics {
        loss: recon + beta * kl,
        recon: Some(recon),
        kl: Some(kl),
        active_units: Some(active_units(&mu, model.latent())),
        samples: test.data.len(),
        ..TestMetrics::default()
    })
}

impl ModelKind for Vae {
    fn reconstruct(&self, images: Tensor<4>) -> Option<Reconstruction> {
        Some(reconstruct_from_mean(self, images))
    }

    fn encode(&self, images: Tensor<4>) -> Tensor<2> {
        posterior_mean(self, images)
    }

    fn decode_latent(&self, z: Tensor<2>, image: [usize; 3]) -> Option<Tensor<4>> {
        Some(decode_latent(self, z, image))
    }

    fn weight_tiles(&self, image: [usize; 3]) -> Result<Vec<LayerTiles>, TrainError> {
        let units = self.fc4.weight.dims()[0];
        Ok(vec![
            first_layer_tiles(self.fc1.weight.val(), image)?,
            LayerTiles::new(
                "decoder",
                format!("the decoder's output layer, one image per unit of its {units} inputs"),
                dense_rows(self.fc4.weight.val(), image)?,
            ),
        ])
    }

    fn losses(&self, batch: &Batch, stage: &Stage) -> Result<StepLosses, TrainError> {
        elbo_losses(self, batch, stage)
    }

    fn evaluate(&self, stage: &Stage, test: &TestSet<'_>) -> Result<TestMetrics, TrainError> {
        elbo_evaluate(self, stage, test)
    }

    fn negative_log_likelihood(
        &self,
        stage: &Stage,
        test: &TestSet<'_>,
        samples: usize,
    ) -> Result<Option<f64>, TrainError> {
        iw_negative_log_likelihood(self, stage, test, samples, IW_ROWS)
    }
}

/// Rows the dense VAE decodes at once in the importance-weighted estimate (K samples × images
/// per chunk).
const IW_ROWS: usize = 20_000;

/// [`ModelKind::negative_log_likelihood`] of a variational model: the importance-weighted
/// estimate with the stage's likelihood, decoding at most `max_rows` rows at once.
pub(super) fn iw_negative_log_likelihood<M: LatentVariableModel>(
    model: &M,
    stage: &Stage,
    test: &TestSet<'_>,
    samples: usize,
    max_rows: usize,
) -> Result<Option<f64>, TrainError> {
    let (likelihood, _) = objective(stage);
    iw_estimate(model, likelihood, test, samples, max_rows).map(Some)
}

/// The importance-weighted estimate of −log p(x) on `test`, nats per image: for each image,
/// K = `samples` draws of ε from the image's batch seed. Images go `max_rows / K` at a time
/// (at least 1, at most the test batch size); as the batches' seeds follow from that size, a
/// kind's `max_rows` is part of its results (keep it fixed).
fn iw_estimate<M: LatentVariableModel>(
    model: &M,
    likelihood: Likelihood,
    test: &TestSet<'_>,
    samples: usize,
    max_rows: usize,
) -> Result<f64, TrainError> {
    if samples == 0 {
        return Err(TrainError::InvalidOption(
            "--samples 0: the importance-weighted estimate needs at least 1 sample".into(),
        ));
    }
    let rows = (max_rows / samples).clamp(1, test.batch_size.max(1));
    let loader = BatchLoader::new(test.data.clone(), rows).noise(test.noise);
    let mut sums = Vec::new();
    for batch in loader.iter(test.noise_seed, test.device) {
        let eps: Vec<Tensor<2>> = (0..samples as u64)
            .map(|k| {
                let seed = ae_data::derive_seed(batch.seed, &[k]);
                standard_normal(seed, batch.len, model.latent(), test.device)
            })
            .collect();
        sums.push(iwae_nll(model, flat(batch.clean), &eps, likelihood).sum());
    }
    let total: f64 = read_scalars(sums)?.iter().map(|&v| f64::from(v)).sum();
    Ok(total / test.data.len().max(1) as f64)
}

/// Latent units whose mean `mu` (`[n, latent]` row-major) varies over the rows by more than
/// [`ACTIVE_UNIT_VARIANCE`].
pub fn active_units(mu: &[f32], latent: usize) -> usize {
    let n = (mu.len() / latent.max(1)).max(1) as f64;
    (0..latent)
        .filter(|&j| {
            let column = mu.iter().skip(j).step_by(latent).map(|&v| f64::from(v));
            let (sum, sum_sq) = column.fold((0.0, 0.0), |(s, q), v| (s + v, q + v * v));
            let mean = sum / n;
            sum_sq / n - mean * mean > ACTIVE_UNIT_VARIANCE
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_units_count_the_latent_means_that_vary() {
        // Unit 0 varies (±1: variance 1), unit 1 barely (±0.05: 0.0025), unit 2 not at all.
        let mu = [
            1.0, 0.05, 3.0, -1.0, -0.05, 3.0, 1.0, 0.05, 3.0, -1.0, -0.05, 3.0,
        ];
        assert_eq!(active_units(&mu, 3), 1);
    }

    #[test]
    fn draws_are_a_function_of_the_seed() {
        let a = standard_normal_draws(0, 4000);
        assert_eq!(a, standard_normal_draws(0, 4000));
        assert_ne!(a, standard_normal_draws(1, 4000));
        // A prefix of more draws is the fewer draws.
        assert_eq!(&standard_normal_draws(0, 5000)[..4000], a.as_slice());
        let mean = a.iter().map(|&v| f64::from(v)).sum::<f64>() / 4000.0;
        let var = a
            .iter()
            .map(|&v| (f64::from(v) - mean).powi(2))
            .sum::<f64>()
            / 3999.0;
        assert!(mean.abs() < 0.08 && (var - 1.0).abs() < 0.1, "{mean} {var}");
    }

    #[test]
    fn epsilon_is_a_function_of_the_seed() {
        let device = Device::flex();
        let a: Vec<f32> = standard_normal(7, 4, 3, &device)
            .into_data()
            .iter()
            .collect();
        let b: Vec<f32> = standard_normal(7, 4, 3, &device)
            .into_data()
            .iter()
            .collect();
        let c: Vec<f32> = standard_normal(8, 4, 3, &device)
            .into_data()
            .iter()
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(a.iter().all(|v| v.abs() < 6.0));
    }
}
