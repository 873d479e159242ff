//! The two training objectives on one batch: reconstruction (MSE against the clean image, plus an
//! optional sparsity penalty on the code) and classification (NLL of the log-softmax).

use ae_data::Batch;
use ae_models::{kl_sparsity_penalty, l1_penalty};
use burn::tensor::{Int, Tensor};

use crate::error::TrainError;
use crate::model::ModelKind;
use crate::recipe::{Sparsity, Stage, StageKind};

/// The losses of one training batch.
pub struct StepLosses {
    /// What `backward` differentiates: data loss plus penalty. shape: [1]
    pub loss: Tensor<1>,
    /// MSE or NLL alone. shape: [1]
    pub data_loss: Tensor<1>,
    /// The sparsity penalty, when the stage has one. shape: [1]
    pub penalty: Option<Tensor<1>>,
    /// Correct predictions in the batch (classification). shape: [1]
    pub correct: Option<Tensor<1, Int>>,
}

/// Mean squared error over every element. output, target: [batch, c, h, w] -> [1]
pub fn mse(output: Tensor<4>, target: Tensor<4>) -> Tensor<1> {
    squared_errors(output, target).mean()
}

/// Sum of the squared errors over every element. output, target: [batch, c, h, w] -> [1]
pub fn squared_error_sum(output: Tensor<4>, target: Tensor<4>) -> Tensor<1> {
    squared_errors(output, target).sum()
}

/// `(output - target)²` per image, as rows. output, target: [batch, c, h, w] -> [batch, c·h·w]
///
/// On rows, not on the images' own shape: Burn 0.22.1's fusion on wgpu gets a sum of an
/// elementwise chain over a 4-D tensor with a dimension of 1 wrong. Measured on lavapipe, for
/// the Fashion-MNIST conv autoencoder's output `[64, 1, 32, 32]` (one channel):
/// `(output - x).square().sum()` gave 15,073–16,065 (a different value each run) or 5,788,
/// where the values sum to 21,791.59; on `[64, 1024]` it is exact every time. That made the
/// one-channel conv autoencoders' test MSE 50–70% too high on wgpu. On every backend the
/// reshape moves no data, so the CPU backends' sums are the same as before, bit for bit.
fn squared_errors(output: Tensor<4>, target: Tensor<4>) -> Tensor<2> {
    (flat(output) - flat(target)).square()
}

/// Images as rows, one per image: `[b, c, h, w] -> [b, c·h·w]`.
pub(crate) fn flat(images: Tensor<4>) -> Tensor<2> {
    let [b, c, h, w] = images.dims();
    images.reshape([b, c * h * w])
}

/// Mean negative log-likelihood of the targets.
/// log_probs: [batch, classes], targets: [batch] -> [1]
pub fn nll(log_probs: Tensor<2>, targets: Tensor<1, Int>) -> Tensor<1> {
    let [batch, _] = log_probs.dims();
    log_probs
        .gather(1, targets.reshape([batch, 1]))
        .mean()
        .neg()
}

/// Number of rows whose arg-max is the target. log_probs: [batch, classes], targets: [batch] -> [1]
pub fn correct_count(log_probs: Tensor<2>, targets: Tensor<1, Int>) -> Tensor<1, Int> {
    let [batch, _] = log_probs.dims();
    log_probs
        .argmax(1)
        .reshape([batch])
        .equal(targets)
        .int()
        .sum()
}

/// Forward pass and losses of `model` on a training `batch` of `stage`: the default
/// [`ModelKind::losses`].
pub fn stage_losses<M: ModelKind>(
    model: &M,
    batch: &Batch,
    stage: &Stage,
) -> Result<StepLosses, TrainError> {
    match stage.kind {
        StageKind::Reconstruction => {
            let rec = model.reconstruct(batch.input.clone()).ok_or_else(|| {
                TrainError::InvalidOption(
                    "a reconstruction stage reached a model that does not reconstruct".into(),
                )
            })?;
            let data_loss = mse(rec.output, batch.clean.clone());
            let penalty = stage.sparsity.as_ref().map(|s| match s {
                Sparsity::L1 { rho } => l1_penalty(rec.code.clone(), *rho),
                Sparsity::Kl { target, beta } => {
                    kl_sparsity_penalty(rec.code.clone(), *target, *beta)
                }
            });
            let loss = match &penalty {
                Some(p) => data_loss.clone() + p.clone(),
                None => data_loss.clone(),
            };
            Ok(StepLosses {
                loss,
                data_loss,
                penalty,
                correct: None,
            })
        }
        StageKind::Classification => {
            let log_probs = model.log_probs(batch.input.clone()).ok_or_else(|| {
                TrainError::InvalidOption(
                    "a classification stage reached a model without a classifier head".into(),
                )
            })?;
            let correct = correct_count(log_probs.clone().detach(), batch.targets.clone());
            let data_loss = nll(log_probs, batch.targets.clone());
            Ok(StepLosses {
                loss: data_loss.clone(),
                data_loss,
                penalty: None,
                correct: Some(correct),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, TensorData};

    #[test]
    fn nll_and_correct_count_match_hand_computed_values() {
        let device = Device::flex();
        // Two rows of log-probabilities over 3 classes.
        let lp = Tensor::<2>::from_data(
            TensorData::new(vec![-0.1f32, -2.0, -3.0, -1.5, -0.5, -2.5], [2, 3]),
            &device,
        );
        let targets = Tensor::<1, Int>::from_data(TensorData::new(vec![0i64, 2], [2]), &device);
        let loss: f32 = nll(lp.clone(), targets.clone()).into_scalar();
        assert!((loss - (0.1 + 2.5) / 2.0).abs() < 1e-6);
        let correct: i64 = correct_count(lp, targets).into_scalar();
        assert_eq!(correct, 1);
    }

    #[test]
    fn mse_averages_over_every_element() {
        let device = Device::flex();
        let a = Tensor::<4>::from_data(
            TensorData::new(vec![0.0f32, 1.0, 2.0, 3.0], [1, 1, 2, 2]),
            &device,
        );
        let b = Tensor::<4>::zeros([1, 1, 2, 2], &device);
        let v: f32 = mse(a, b).into_scalar();
        assert!((v - 14.0 / 4.0).abs() < 1e-6);
    }

    #[test]
    fn squared_error_sum_adds_every_images_errors() {
        let device = Device::flex();
        // Two one-channel 2×3 images (the one-channel shape is the one the sum is reshaped for).
        let output = Tensor::<4>::from_data(
            TensorData::new(
                vec![
                    1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0, 0.5, 0.0, -1.0, 2.0, 2.0, 2.0,
                ],
                [2, 1, 2, 3],
            ),
            &device,
        );
        let target = Tensor::<4>::ones([2, 1, 2, 3], &device);
        // (0+1+4+9+16+25) + (0.25+1+4+1+1+1)
        let v: f32 = squared_error_sum(output.clone(), target.clone()).into_scalar();
        assert!((v - 63.25).abs() < 1e-5, "{v}");
        let mean: f32 = mse(output, target).into_scalar();
        assert!((mean - 63.25 / 12.0).abs() < 1e-6, "{mean}");
    }
}
