//! Formatting results for the terminal, and the one printout of a model measured on a test
//! set (`ae eval`, `ae eval --weights`).

use ae_train::{StageKind, TestReport};
use serde_json::json;

/// `0.91` -> `91.00%`.
pub fn percent(fraction: f64) -> String {
    format!("{:.2}%", 100.0 * fraction)
}

/// Per-class accuracy as lines of five `class: accuracy` cells; `names` labels the classes
/// (digits when absent).
pub fn per_class_lines(per_class: &[Option<f64>], names: Option<&[String]>) -> Vec<String> {
    let label = |i: usize| {
        names
            .and_then(|n| n.get(i).cloned())
            .unwrap_or_else(|| i.to_string())
    };
    let width = (0..per_class.len())
        .map(|i| label(i).chars().count())
        .max()
        .unwrap_or(1);
    let cells: Vec<String> = per_class
        .iter()
        .enumerate()
        .map(|(i, acc)| {
            let value = acc.map_or_else(|| "   -  ".to_string(), |a| format!("{:5.1}%", 100.0 * a));
            format!("{:>width$} {value}", label(i))
        })
        .collect();
    cells.chunks(5).map(|c| c.join("  ")).collect()
}

/// Prints the dataset line and the metrics of `r` (accuracy, NLL, per-class accuracy; or MSE).
pub fn print_test_report(r: &TestReport) {
    println!("dataset: {}, {} test images", r.dataset, r.samples);
    match r.kind {
        StageKind::Classification => {
            if let (Some(acc), Some(cm)) = (r.test_accuracy, &r.confusion_matrix) {
                println!(
                    "test accuracy: {} ({}/{})",
                    percent(acc),
                    cm.correct(),
                    cm.total()
                );
            }
            println!("test loss (NLL): {:.6}", r.test_loss);
            if let Some(per_class) = &r.per_class_accuracy {
                println!("per-class accuracy:");
                for line in per_class_lines(per_class, Some(&r.class_names)) {
                    println!("  {line}");
                }
            }
        }
        StageKind::Reconstruction if r.test_kl.is_some() => {
            println!(
                "test loss (negative ELBO): {:.4} nats/image = reconstruction {:.4} + KL {:.4}",
                r.test_loss,
                r.test_recon.unwrap_or(f64::NAN),
                r.test_kl.unwrap_or(f64::NAN)
            );
            if let Some((samples, nll)) = r.iw_nll {
                println!(
                    "-log p(x), importance-weighted estimate with {samples} samples: {nll:.4} nats/image"
                );
            }
            if let Some(units) = r.active_units {
                println!("active latent units (variance of μ over the test set > 0.01): {units}");
            }
        }
        StageKind::Reconstruction => {
            println!("test MSE: {:.6}", r.test_loss);
            if let Some(noisy) = r.test_mse_noisy {
                println!("test MSE from noisy input: {noisy:.6}");
            }
        }
    }
}

/// `head` (what was measured) followed by the keys of `r`, as one JSON object.
pub fn test_report_json(
    head: serde_json::Map<String, serde_json::Value>,
    r: &TestReport,
) -> serde_json::Value {
    let mut object = head;
    let metrics = json!({
        "stage_name": r.stage_name,
        "kind": r.kind.as_str(),
        "dataset": r.dataset.to_string(),
        "samples": r.samples,
        "class_names": r.class_names,
        "test_loss": r.test_loss,
        "test_mse": (r.kind == StageKind::Reconstruction && r.test_kl.is_none())
            .then_some(r.test_loss),
        "test_recon": r.test_recon,
        "test_kl": r.test_kl,
        "active_units": r.active_units,
        "iw_nll": r.iw_nll.map(|(_, nll)| nll),
        "iw_samples": r.iw_nll.map(|(samples, _)| samples),
        "test_mse_noisy": r.test_mse_noisy,
        "test_accuracy": r.test_accuracy,
        "per_class_accuracy": r.per_class_accuracy,
        "confusion_matrix": r.confusion_matrix.as_ref().map(|c| c.0.clone()),
    });
    if let serde_json::Value::Object(metrics) = metrics {
        object.extend(metrics);
    }
    serde_json::Value::Object(object)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_class_cells_are_labelled_and_grouped_by_five() {
        let per_class: Vec<Option<f64>> = (0..10)
            .map(|i| if i == 3 { None } else { Some(0.5) })
            .collect();
        let lines = per_class_lines(&per_class, None);
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("0  50.0%  1  50.0%"), "{:?}", lines[0]);
        assert!(lines[0].contains("3    -  "), "{:?}", lines[0]);
        assert_eq!(percent(0.9125), "91.25%");
    }
}
