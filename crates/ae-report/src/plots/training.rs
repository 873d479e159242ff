//! The training curves (loss and accuracy per epoch, one colour per stage) and the test
//! confusion matrix.

use std::path::Path;

use ae_train::{ConfusionMatrix, EpochRecord, StageKind, TrainError};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use plotters::coord::ranged1d::Ranged;

use super::{Chart, FONT, legend, line, render, text_err, whole_number};

/// Size of the loss and accuracy plots.
pub const CURVE_SIZE: (u32, u32) = (960, 540);
/// Size of the confusion-matrix heatmap.
pub const CONFUSION_SIZE: (u32, u32) = (760, 680);

/// Loss per epoch over the whole run, train and test, one colour per stage, log scale.
pub fn loss_plot(records: &[EpochRecord], path: &Path) -> Result<(), TrainError> {
    render(path, CURVE_SIZE, |root| {
        let values: Vec<f64> = records
            .iter()
            .flat_map(|r| [r.train_loss, r.test_loss])
            .filter(|v| v.is_finite() && *v > 0.0)
            .collect();
        let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        // Headroom above the curves for the legend.
        let (lo, hi) = if lo.is_finite() && hi.is_finite() {
            (lo / 1.3, hi * 4.0)
        } else {
            (1e-3, 1.0)
        };
        let n = records.len().max(1) as f64;
        let mut chart = ChartBuilder::on(root)
            .caption(
                "Loss per epoch (MSE for reconstruction, NLL for classification)",
                (FONT, 20),
            )
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(0.5f64..n + 0.5, (lo..hi).log_scale())
            .map_err(text_err)?;
        chart
            .configure_mesh()
            .x_desc("epoch (whole run)")
            .y_desc("loss (log scale)")
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 15))
            .light_line_style(WHITE)
            .y_labels(12)
            .x_labels(12)
            .x_label_formatter(&whole_number)
            .y_label_formatter(&|y| format!("{y:.3}"))
            .draw()
            .map_err(text_err)?;
        for (i, (name, group)) in stage_groups(records).iter().enumerate() {
            let points = |loss: fn(&EpochRecord) -> f64| {
                group
                    .iter()
                    .map(move |r| (r.global_epoch as f64, loss(r)))
                    .collect::<Vec<_>>()
            };
            let curves = [
                (points(|r| r.train_loss), format!("{name}: train")),
                (points(|r| r.test_loss), format!("{name}: test")),
            ];
            stage_curves(&mut chart, i, curves)?;
        }
        legend(&mut chart, 13, SeriesLabelPosition::UpperMiddle)
    })
}

/// Test (and running train) accuracy per epoch of the classification stages, in percent.
pub fn accuracy_plot(records: &[EpochRecord], path: &Path) -> Result<(), TrainError> {
    render(path, CURVE_SIZE, |root| {
        let epochs = records
            .iter()
            .filter(|r| r.kind == StageKind::Classification)
            .map(|r| r.global_epoch as f64);
        let first = epochs.clone().fold(f64::INFINITY, f64::min);
        let last = epochs.fold(f64::NEG_INFINITY, f64::max);
        let (first, last) = if first.is_finite() {
            (first, last)
        } else {
            (1.0, 1.0)
        };
        let mut chart = ChartBuilder::on(root)
            .caption("Accuracy per epoch", (FONT, 20))
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(first - 0.5..last + 0.5, 0f64..100f64)
            .map_err(text_err)?;
        chart
            .configure_mesh()
            .x_desc("epoch (whole run)")
            .y_desc("accuracy %")
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 15))
            .light_line_style(WHITE)
            .x_label_formatter(&whole_number)
            .y_label_formatter(&|y| format!("{y:.0}"))
            .draw()
            .map_err(text_err)?;
        for (i, (name, group)) in stage_groups(records).iter().enumerate() {
            if group[0].kind != StageKind::Classification {
                continue;
            }
            let points = |accuracy: fn(&EpochRecord) -> Option<f64>| {
                group
                    .iter()
                    .filter_map(move |r| accuracy(r).map(|a| (r.global_epoch as f64, 100.0 * a)))
                    .collect::<Vec<_>>()
            };
            let curves = [
                (points(|r| r.test_accuracy), format!("{name}: test")),
                (
                    points(|r| r.train_accuracy),
                    format!("{name}: train (running)"),
                ),
            ];
            stage_curves(&mut chart, i, curves)?;
        }
        legend(&mut chart, 13, SeriesLabelPosition::LowerRight)
    })
}

/// Stage `i`'s two curves, each `(points, label)`, in the stage's two colours.
fn stage_curves<X, Y>(
    chart: &mut Chart<'_, '_, X, Y>,
    i: usize,
    curves: [(Vec<(f64, f64)>, String); 2],
) -> Result<(), String>
where
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    for (k, (points, label)) in curves.into_iter().enumerate() {
        let colour = Palette99::pick(2 * i + k).to_rgba();
        line(chart, points, colour, 3, label)?;
    }
    Ok(())
}

/// Heatmap of the confusion matrix (rows = true class), shaded by row-normalised count, with the
/// counts written in the cells.
pub fn confusion_plot(
    matrix: &ConfusionMatrix,
    class_names: &[String],
    title: &str,
    path: &Path,
) -> Result<(), TrainError> {
    let n = matrix.classes().max(1) as u32;
    let last = n - 1;
    render(path, CONFUSION_SIZE, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 18))
            .margin(16)
            .x_label_area_size(70)
            .y_label_area_size(90)
            .build_cartesian_2d((0u32..last).into_segmented(), (0u32..last).into_segmented())
            .map_err(text_err)?;
        let name = |i: u32| {
            class_names
                .get(i as usize)
                .cloned()
                .unwrap_or_else(|| i.to_string())
        };
        // Rows are drawn top to bottom: true class t sits at y = last - t.
        let x_label = move |v: &SegmentValue<u32>| match v {
            SegmentValue::CenterOf(i) if *i < n => name(*i),
            _ => String::new(),
        };
        let y_label = move |v: &SegmentValue<u32>| match v {
            SegmentValue::CenterOf(i) if *i < n => name(last - *i),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(n as usize)
            .y_labels(n as usize)
            .x_desc("predicted class")
            .y_desc("true class")
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 15))
            .x_label_formatter(&x_label)
            .y_label_formatter(&y_label)
            .draw()
            .map_err(text_err)?;
        let centred = (FONT, 14)
            .into_font()
            .into_text_style(root)
            .pos(Pos::new(HPos::Center, VPos::Center));
        for (t, row) in matrix.0.iter().enumerate() {
            let total: u64 = row.iter().sum();
            for (p, &count) in row.iter().enumerate() {
                let share = if total == 0 {
                    0.0
                } else {
                    count as f64 / total as f64
                };
                // White (0) to dark blue (1).
                let shade = |from: f64, to: f64| (from + (to - from) * share).round() as u8;
                let fill = RGBColor(shade(255.0, 20.0), shade(255.0, 60.0), shade(255.0, 140.0));
                let (x, y) = (p as u32, last - t as u32);
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [
                            (SegmentValue::Exact(x), SegmentValue::Exact(y)),
                            (SegmentValue::Exact(x + 1), SegmentValue::Exact(y + 1)),
                        ],
                        fill.filled(),
                    )))
                    .map_err(text_err)?;
                let ink = if share > 0.5 { WHITE } else { BLACK };
                chart
                    .draw_series(std::iter::once(Text::new(
                        count.to_string(),
                        (SegmentValue::CenterOf(x), SegmentValue::CenterOf(y)),
                        centred.clone().color(&ink),
                    )))
                    .map_err(text_err)?;
            }
        }
        Ok(())
    })
}

/// Consecutive records of the same stage.
fn stage_groups(records: &[EpochRecord]) -> Vec<(String, Vec<&EpochRecord>)> {
    let mut groups: Vec<(String, Vec<&EpochRecord>)> = Vec::new();
    for r in records {
        match groups.last_mut() {
            Some((_, g)) if g[0].stage == r.stage => g.push(r),
            _ => groups.push((r.stage_name.clone(), vec![r])),
        }
    }
    groups
}
