//! The analyses' pictures, drawn with the run plots' machinery: the 2-D
//! embedding as a scatter plot coloured by class, and the robustness curves.

use std::path::Path;

use plotters::prelude::*;

use ae_train::TrainError;

use plotters::coord::types::RangedCoordf64;

use super::{Chart, FONT, legend, line, render, text_err};

/// Size of the embedding scatter plot.
pub const SCATTER_SIZE: (u32, u32) = (1000, 800);
/// Size of the robustness plot.
pub const ROBUSTNESS_SIZE: (u32, u32) = (960, 600);

/// Ten colours that stay apart (matplotlib's "tab10").
const CLASS_COLOURS: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// The range of `values` with 5% margins (a unit range around a single value).
fn padded_range(values: impl Iterator<Item = f64>) -> std::ops::Range<f64> {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        return -1.0..1.0;
    }
    let margin = if hi > lo { 0.05 * (hi - lo) } else { 0.5 };
    lo - margin..hi + margin
}

/// Scatter plot of 2-D `points` coloured by `labels`, one legend entry per class present
/// (colours repeat after ten classes); one colour and no legend when `class_names` is empty
/// (an unlabelled dataset).
pub fn scatter_plot(
    points: &[[f64; 2]],
    labels: &[u8],
    class_names: &[String],
    title: &str,
    axis_names: [&str; 2],
    path: &Path,
) -> Result<(), TrainError> {
    render(path, SCATTER_SIZE, |root| {
        let x_range = padded_range(points.iter().map(|p| p[0]));
        let y_range = padded_range(points.iter().map(|p| p[1]));
        // Room on the right for the legend.
        let legend_room = 0.22 * (x_range.end - x_range.start);
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 16))
            .margin(16)
            .x_label_area_size(42)
            .y_label_area_size(64)
            .build_cartesian_2d(x_range.start..x_range.end + legend_room, y_range)
            .map_err(text_err)?;
        axes(&mut chart, axis_names, 2)?;
        let classes = class_names.len().max(1);
        for class in (0..classes).map(|c| c as u8) {
            let colour = CLASS_COLOURS[class as usize % CLASS_COLOURS.len()];
            let members: Vec<(f64, f64)> = points
                .iter()
                .zip(labels)
                .filter(|(_, l)| **l == class)
                .map(|(p, _)| (p[0], p[1]))
                .collect();
            if members.is_empty() {
                continue;
            }
            let series = chart
                .draw_series(
                    members
                        .into_iter()
                        .map(|p| Circle::new(p, 2, colour.mix(0.75).filled())),
                )
                .map_err(text_err)?;
            if let Some(name) = class_names.get(class as usize) {
                series
                    .label(name.as_str())
                    .legend(move |(x, y)| Circle::new((x + 8, y), 5, colour.filled()));
            }
        }
        if class_names.is_empty() {
            return Ok(());
        }
        legend(&mut chart, 14, SeriesLabelPosition::UpperRight)
    })
}

/// One line per run: the metric against the noise level; y labels with `decimals` digits.
pub fn robustness_plot(
    levels: &[f64],
    curves: &[(String, Vec<f64>)],
    title: &str,
    axis_names: [&str; 2],
    decimals: usize,
    path: &Path,
) -> Result<(), TrainError> {
    render(path, ROBUSTNESS_SIZE, |root| {
        let x_range = padded_range(levels.iter().copied());
        let y_range = padded_range(curves.iter().flat_map(|(_, v)| v.iter().copied()));
        // Headroom for the legend.
        let y_range = y_range.start..y_range.end + 0.25 * (y_range.end - y_range.start);
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 18))
            .margin(16)
            .x_label_area_size(42)
            .y_label_area_size(70)
            .build_cartesian_2d(x_range, y_range)
            .map_err(text_err)?;
        axes(&mut chart, axis_names, decimals)?;
        for (i, (name, values)) in curves.iter().enumerate() {
            let colour = CLASS_COLOURS[i % CLASS_COLOURS.len()].to_rgba();
            let points = levels.iter().copied().zip(values.iter().copied());
            line(&mut chart, points, colour, 4, name.as_str())?;
        }
        legend(&mut chart, 13, SeriesLabelPosition::UpperRight)
    })
}

/// The grid and axes of a linear chart: the axis names, x labels with 2 decimals, y labels
/// with `decimals`.
fn axes(
    chart: &mut Chart<'_, '_, RangedCoordf64, RangedCoordf64>,
    axis_names: [&str; 2],
    decimals: usize,
) -> Result<(), String> {
    chart
        .configure_mesh()
        .x_desc(axis_names[0])
        .y_desc(axis_names[1])
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 15))
        .light_line_style(WHITE)
        .x_label_formatter(&|x| format!("{x:.2}"))
        .y_label_formatter(&|y| format!("{y:.decimals$}"))
        .draw()
        .map_err(text_err)
}
