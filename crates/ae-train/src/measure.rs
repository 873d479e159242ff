//! Measuring a model on the test set: MSE and code statistics for autoencoders, NLL, accuracy and
//! the confusion matrix for classifiers. Values are accumulated on the device and read back
//! once per pass (predictions once per batch).

use std::sync::Arc;

use ae_data::{BatchLoader, Noise, Prepared};
use burn::tensor::Device;

use crate::error::TrainError;
use crate::metrics::{ConfusionMatrix, TestMetrics};
use crate::model::ModelKind;
use crate::objective::{nll, squared_error_sum};
use crate::readback::{read_i64, read_int_scalars, read_scalars};
use crate::recipe::StageKind;

/// |h| below this counts as an inactive code unit.
pub const INACTIVE_THRESHOLD: f64 = 0.01;

/// What a model is measured on: the test images in batches of `batch_size`, the input noise
/// (drawn from `noise_seed`; the target stays clean) and the device (without autodiff).
#[derive(Debug, Clone, Copy)]
pub struct TestSet<'a> {
    pub data: &'a Arc<Prepared>,
    pub batch_size: usize,
    pub noise: Noise,
    pub noise_seed: u64,
    pub device: &'a Device,
}

/// Evaluates `model` (in validation mode) on `test` as a stage of `kind` measures it: the
/// default [`ModelKind::evaluate`]. Classification is measured on clean input.
pub fn evaluate_stage<M: ModelKind>(
    model: &M,
    kind: StageKind,
    test: &TestSet<'_>,
) -> Result<TestMetrics, TrainError> {
    match kind {
        StageKind::Reconstruction => evaluate_reconstruction(model, test),
        StageKind::Classification => evaluate_classification(
            model,
            &TestSet {
                noise: Noise::None,
                noise_seed: 0,
                ..*test
            },
        ),
    }
}

fn not_an_autoencoder() -> TrainError {
    TrainError::InvalidOption("reconstruction metrics need an autoencoder".into())
}

/// Reconstruction metrics of `net` on `test`: the MSE of the clean input's reconstruction and
/// the code's statistics; with noise other than none, the MSE of reconstructing from noisy
/// input too, with the code's mean |h| on that input (what a sparsity penalty, which sees
/// noisy training input, acts on).
pub fn evaluate_reconstruction<M: ModelKind>(
    net: &M,
    on: &TestSet<'_>,
) -> Result<TestMetrics, TrainError> {
    let (test, batch_size, device) = (on.data, on.batch_size, on.device);
    let loader = BatchLoader::new(test.clone(), batch_size);
    let mut squared = Vec::new();
    let mut abs_sums = Vec::new();
    let mut inactive = Vec::new();
    let mut code_values = 0usize;
    for batch in loader.iter(0, device) {
        let rec = net
            .reconstruct(batch.input)
            .ok_or_else(not_an_autoencoder)?;
        squared.push(squared_error_sum(rec.output, batch.clean));
        let [b, units] = rec.code.dims();
        code_values += b * units;
        let abs = rec.code.abs();
        abs_sums.push(abs.clone().sum());
        inactive.push(abs.lower_elem(INACTIVE_THRESHOLD).int().sum());
    }
    let values_per_image: usize = test.image_shape().iter().product();
    let elements = (test.len() * values_per_image).max(1) as f64;
    let sum = |v: Vec<f32>| v.iter().map(|&x| f64::from(x)).sum::<f64>();
    let loss = sum(read_scalars(squared)?) / elements;
    let mean_abs = sum(read_scalars(abs_sums)?) / code_values.max(1) as f64;
    let inactive_count: i64 = read_int_scalars(inactive)?.iter().sum();

    let (mse_noisy, mean_abs_noisy) = if on.noise == Noise::None {
        (None, None)
    } else {
        let noisy = BatchLoader::new(test.clone(), batch_size).noise(on.noise);
        let mut squared = Vec::new();
        let mut abs_sums = Vec::new();
        for batch in noisy.iter(on.noise_seed, device) {
            let rec = net
                .reconstruct(batch.input)
                .ok_or_else(not_an_autoencoder)?;
            squared.push(squared_error_sum(rec.output, batch.clean));
            abs_sums.push(rec.code.abs().sum());
        }
        (
            Some(sum(read_scalars(squared)?) / elements),
            Some(sum(read_scalars(abs_sums)?) / code_values.max(1) as f64),
        )
    };
    Ok(TestMetrics {
        loss,
        mse_noisy,
        confusion: None,
        inactive_fraction: Some(inactive_count as f64 / code_values.max(1) as f64),
        mean_abs_code: Some(mean_abs),
        mean_abs_code_noisy: mean_abs_noisy,
        recon: None,
        kl: None,
        active_units: None,
        samples: test.len(),
    })
}

/// Classification metrics of `net` on `test`, with the input corrupted by its noise
/// (`Noise::None` gives the clean evaluation).
pub fn evaluate_classification<M: ModelKind>(
    net: &M,
    on: &TestSet<'_>,
) -> Result<TestMetrics, TrainError> {
    let test = on.data;
    let loader = BatchLoader::new(test.clone(), on.batch_size).noise(on.noise);
    let labels = test.labels();
    let classes = test.classes().max(1);
    let mut confusion = ConfusionMatrix::new(classes);
    let mut nll_sums = Vec::new();
    let mut seen = 0usize;
    for batch in loader.iter(on.noise_seed, on.device) {
        let log_probs = net.log_probs(batch.input).ok_or_else(|| {
            TrainError::InvalidOption("classification metrics need a classifier".into())
        })?;
        let n = batch.len;
        nll_sums.push(nll(log_probs.clone(), batch.targets).mul_scalar(n as f64));
        let predicted = read_i64(log_probs.argmax(1).reshape([n]))?;
        for (i, p) in predicted.into_iter().enumerate() {
            let p = usize::try_from(p).unwrap_or(classes).min(classes - 1);
            confusion.add(labels[seen + i] as usize, p);
        }
        seen += n;
    }
    let total: f64 = read_scalars(nll_sums)?.iter().map(|&x| f64::from(x)).sum();
    Ok(TestMetrics {
        loss: total / test.len().max(1) as f64,
        mse_noisy: None,
        confusion: Some(confusion),
        inactive_fraction: None,
        mean_abs_code: None,
        mean_abs_code_noisy: None,
        recon: None,
        kl: None,
        active_units: None,
        samples: test.len(),
    })
}
