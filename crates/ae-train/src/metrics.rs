//! What is measured each epoch: losses, accuracies, the confusion matrix, code statistics and
//! time, and how it is written as CSV.

use ae_data::NUM_CLASSES;
use serde::{Deserialize, Serialize};

use crate::recipe::StageKind;

/// Counts of (true class, predicted class); rows are the true class. Square: one row and one
/// column per class.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConfusionMatrix(pub Vec<Vec<u64>>);

impl ConfusionMatrix {
    /// An empty matrix for `classes` classes.
    pub fn new(classes: usize) -> Self {
        Self(vec![vec![0; classes]; classes])
    }

    /// Number of classes (rows).
    pub fn classes(&self) -> usize {
        self.0.len()
    }

    /// Counts one prediction; a class outside the matrix counts as the last one.
    pub fn add(&mut self, truth: usize, predicted: usize) {
        let last = self.0.len().saturating_sub(1);
        self.0[truth.min(last)][predicted.min(last)] += 1;
    }

    /// Number of predictions counted.
    pub fn total(&self) -> u64 {
        self.0.iter().flatten().sum()
    }

    /// Correct predictions.
    pub fn correct(&self) -> u64 {
        (0..self.0.len()).map(|i| self.0[i][i]).sum()
    }

    /// Fraction of correct predictions in [0, 1] (0 when nothing was counted).
    pub fn accuracy(&self) -> f64 {
        let total = self.total();
        if total == 0 {
            0.0
        } else {
            self.correct() as f64 / total as f64
        }
    }

    /// Per true class, the fraction predicted correctly; `None` for a class with no sample.
    pub fn per_class_accuracy(&self) -> Vec<Option<f64>> {
        self.0
            .iter()
            .enumerate()
            .map(|(i, row)| {
                let n: u64 = row.iter().sum();
                (n > 0).then(|| row[i] as f64 / n as f64)
            })
            .collect()
    }

    /// The mean of the per-class accuracies over the classes that have samples.
    pub fn mean_per_class_accuracy(&self) -> Option<f64> {
        let known: Vec<f64> = self.per_class_accuracy().into_iter().flatten().collect();
        (!known.is_empty()).then(|| known.iter().sum::<f64>() / known.len() as f64)
    }
}

/// Everything measured on the test set after an epoch.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TestMetrics {
    /// MSE (clean input vs clean target) for reconstruction, NLL for classification.
    pub loss: f64,
    /// Reconstruction with the stage's noise on the input (fixed noise), when it has noise.
    pub mse_noisy: Option<f64>,
    /// Classification only.
    pub confusion: Option<ConfusionMatrix>,
    /// Reconstruction only: fraction of code activations with |h| < 0.01.
    pub inactive_fraction: Option<f64>,
    /// Reconstruction only: mean |h| of the code.
    pub mean_abs_code: Option<f64>,
    /// Reconstruction with noise only: mean |h| of the code with the noisy input.
    pub mean_abs_code_noisy: Option<f64>,
    /// A variational autoencoder's parts of `loss`, in nats per image: the reconstruction
    /// term (−log p(x|z), one sample of z) and KL(q(z|x) ‖ N(0, I)).
    pub recon: Option<f64>,
    pub kl: Option<f64>,
    /// A variational autoencoder's latent units whose μ varies over the test set (variance
    /// above 0.01): the rest have collapsed onto the prior.
    pub active_units: Option<usize>,
    /// Number of test images.
    pub samples: usize,
}

/// One row of the run's metrics: one epoch of one stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// Stage number, from 1.
    pub stage: usize,
    /// The stage's name.
    pub stage_name: String,
    /// What the stage optimises.
    pub kind: StageKind,
    /// Epoch within the stage, from 1.
    pub epoch: usize,
    /// Epoch counted over the whole run, from 1.
    pub global_epoch: usize,
    /// Learning rate at the start of the epoch.
    pub lr: f64,
    /// Mean training loss over the epoch's samples: MSE or NLL, without the sparsity penalty.
    pub train_loss: f64,
    /// Mean sparsity penalty per step, when the stage has one.
    pub train_penalty: Option<f64>,
    /// Running training accuracy over the epoch (classification).
    pub train_accuracy: Option<f64>,
    /// Test MSE (reconstruction, clean input) or NLL (classification).
    pub test_loss: f64,
    /// Test MSE with the stage's noise on the input, when it has noise.
    pub test_mse_noisy: Option<f64>,
    /// Test accuracy in [0, 1] (classification).
    pub test_accuracy: Option<f64>,
    /// Test accuracy per true class (`null` for a class without test images).
    pub per_class_accuracy: Option<Vec<Option<f64>>>,
    /// 10×10 test confusion matrix, rows = true class.
    pub confusion_matrix: Option<ConfusionMatrix>,
    /// Fraction of test code activations with |h| < 0.01 (reconstruction).
    pub inactive_fraction: Option<f64>,
    /// Mean |h| of the test code (reconstruction); for a sigmoid code, its mean activation.
    pub mean_abs_code: Option<f64>,
    /// The same with the stage's noise on the input, when it has noise: the input a sparsity
    /// penalty sees in training. (Absent from runs written before it existed.)
    #[serde(default)]
    pub mean_abs_code_noisy: Option<f64>,
    /// A variational autoencoder's test loss in parts, nats per image: reconstruction and KL
    /// (`test_loss` is reconstruction + β·KL), and its active latent units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_recon: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_kl: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_units: Option<usize>,
    /// Training images seen this epoch.
    pub train_samples: usize,
    /// Optimiser steps this epoch.
    pub steps: usize,
    /// Wall seconds of the epoch's training loop (evaluation excluded).
    pub seconds: f64,
    /// The part of `seconds` spent inside the optimiser steps (forward pass, backward pass,
    /// update); the rest is the loop's own: batching, shuffling, noise, loss read-back and the
    /// observers. On an asynchronous device (wgpu) a step returns before its work is done and the
    /// wait shows up in the read-back instead. (0 in runs written before it existed.)
    #[serde(default)]
    pub step_seconds: f64,
}

impl EpochRecord {
    /// The value "best" is judged on, larger is better: accuracy, or minus the test loss.
    pub fn score(&self) -> f64 {
        match self.test_accuracy {
            Some(acc) => acc,
            None => -self.test_loss,
        }
    }
}

/// The number of per-class columns of a metrics CSV: as many as the records' classes, ten (the
/// built-in datasets') when none has per-class accuracies.
pub fn csv_classes(records: &[EpochRecord]) -> usize {
    records
        .iter()
        .filter_map(|r| r.per_class_accuracy.as_ref().map(Vec::len))
        .max()
        .unwrap_or(NUM_CLASSES)
}

/// The CSV header matching [`csv_row`], with `classes` per-class columns.
pub fn csv_header(classes: usize) -> String {
    let mut cols: Vec<String> = [
        "stage",
        "stage_name",
        "kind",
        "epoch",
        "global_epoch",
        "lr",
        "train_loss",
        "train_penalty",
        "train_accuracy",
        "test_loss",
        "test_mse_noisy",
        "test_accuracy",
        "mean_per_class_accuracy",
        "inactive_fraction",
        "mean_abs_code",
        "mean_abs_code_noisy",
        "test_recon",
        "test_kl",
        "active_units",
        "train_samples",
        "steps",
        "seconds",
        "step_seconds",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    cols.extend((0..classes).map(|c| format!("class_{c}_accuracy")));
    cols.join(",")
}

/// One CSV line (no newline) with `classes` per-class cells; empty cells for values the stage
/// does not have.
pub fn csv_row(r: &EpochRecord, classes: usize) -> String {
    let opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    let mean_per_class = r
        .confusion_matrix
        .as_ref()
        .and_then(ConfusionMatrix::mean_per_class_accuracy);
    let mut cells = vec![
        r.stage.to_string(),
        csv_text(&r.stage_name),
        r.kind.as_str().to_string(),
        r.epoch.to_string(),
        r.global_epoch.to_string(),
        r.lr.to_string(),
        r.train_loss.to_string(),
        opt(r.train_penalty),
        opt(r.train_accuracy),
        r.test_loss.to_string(),
        opt(r.test_mse_noisy),
        opt(r.test_accuracy),
        opt(mean_per_class),
        opt(r.inactive_fraction),
        opt(r.mean_abs_code),
        opt(r.mean_abs_code_noisy),
        opt(r.test_recon),
        opt(r.test_kl),
        r.active_units.map(|u| u.to_string()).unwrap_or_default(),
        r.train_samples.to_string(),
        r.steps.to_string(),
        r.seconds.to_string(),
        r.step_seconds.to_string(),
    ];
    let per_class = r.per_class_accuracy.clone().unwrap_or_default();
    cells.extend((0..classes).map(|c| opt(per_class.get(c).copied().flatten())));
    cells.join(",")
}

/// Quotes a CSV text cell when it holds a separator, quote or line break.
fn csv_text(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The whole CSV file.
pub fn csv_document(records: &[EpochRecord]) -> String {
    let classes = csv_classes(records);
    let mut out = csv_header(classes);
    out.push('\n');
    for r in records {
        out.push_str(&csv_row(r, classes));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confusion_matrix_accuracy_and_per_class() {
        let mut m = ConfusionMatrix::new(10);
        // class 0: 3 right, 1 predicted as 1; class 1: 1 right; class 2: 0 of 2.
        for _ in 0..3 {
            m.add(0, 0);
        }
        m.add(0, 1);
        m.add(1, 1);
        m.add(2, 5);
        m.add(2, 0);
        assert_eq!(m.total(), 7);
        assert_eq!(m.correct(), 4);
        assert!((m.accuracy() - 4.0 / 7.0).abs() < 1e-12);
        let per = m.per_class_accuracy();
        assert_eq!(per[0], Some(0.75));
        assert_eq!(per[1], Some(1.0));
        assert_eq!(per[2], Some(0.0));
        assert_eq!(per[3], None);
        let mean = m.mean_per_class_accuracy().unwrap();
        assert!((mean - (0.75 + 1.0 + 0.0) / 3.0).abs() < 1e-12);
    }

    #[test]
    fn csv_rows_have_as_many_cells_as_the_header() {
        let r = EpochRecord {
            stage: 1,
            stage_name: "a,b".into(),
            kind: StageKind::Classification,
            epoch: 1,
            global_epoch: 1,
            lr: 0.1,
            train_loss: 0.5,
            train_penalty: None,
            train_accuracy: Some(0.9),
            test_loss: 0.4,
            test_mse_noisy: None,
            test_accuracy: Some(0.8),
            per_class_accuracy: Some(vec![Some(1.0); 10]),
            confusion_matrix: Some(ConfusionMatrix::new(10)),
            inactive_fraction: None,
            mean_abs_code: None,
            mean_abs_code_noisy: None,
            test_recon: None,
            test_kl: None,
            active_units: None,
            train_samples: 100,
            steps: 1,
            seconds: 0.25,
            step_seconds: 0.2,
        };
        let header_cells = csv_header(10).split(',').count();
        let row = csv_row(&r, 10);
        assert!(row.starts_with("1,\"a,b\",classification,"));
        // The quoted name holds one comma that is not a separator.
        assert_eq!(row.split(',').count(), header_cells + 1);
    }
}
