//! Plots drawn with plotters into memory and written as PNG: the training curves and the
//! confusion matrix ([`training`]), the analyses' scatter and robustness plots ([`analysis`]).
//! The font is compiled in (DejaVu Sans Mono), so nothing depends on the fonts installed.

mod analysis;
mod training;

pub use analysis::{ROBUSTNESS_SIZE, SCATTER_SIZE, robustness_plot, scatter_plot};
pub use training::{CONFUSION_SIZE, CURVE_SIZE, accuracy_plot, confusion_plot, loss_plot};

use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

use ae_train::{TrainError, write_atomic};

pub(crate) const FONT: &str = "sans-serif";
static FONT_BYTES: &[u8] = include_bytes!("../../assets/DejaVuSansMono.ttf");
static REGISTER_FONT: Once = Once::new();

fn register_font() {
    REGISTER_FONT.call_once(|| {
        // The bytes are a valid TrueType font compiled in; a failure leaves text undrawn and
        // is reported when drawing.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES);
    });
}

/// Draws into an RGB buffer of `size` with `draw`, then writes it as PNG atomically.
pub(crate) fn render(
    path: &Path,
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> Result<(), String>,
) -> Result<(), TrainError> {
    register_font();
    let fail = |message: String| TrainError::Draw {
        path: path.to_path_buf(),
        message,
    };
    let mut buffer = vec![0u8; size.0 as usize * size.1 as usize * 3];
    {
        let backend = BitMapBackend::with_buffer(&mut buffer, size);
        let root = backend.into_drawing_area();
        root.fill(&WHITE).map_err(|e| fail(e.to_string()))?;
        draw(&root).map_err(fail)?;
        root.present().map_err(|e| fail(e.to_string()))?;
    }
    let mut png_bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut png_bytes, size.0, size.1);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(|e| fail(e.to_string()))?;
        writer
            .write_image_data(&buffer)
            .map_err(|e| fail(e.to_string()))?;
    }
    write_atomic(path, &png_bytes)
}

/// Axis label for whole epochs only.
pub(crate) fn whole_number(x: &f64) -> String {
    if (x - x.round()).abs() < 1e-9 {
        format!("{}", x.round())
    } else {
        String::new()
    }
}

pub(crate) fn text_err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// The charts the plots draw into: 2-D, f64 on both axes (linear or log).
pub(crate) type Chart<'a, 'b, X, Y> = ChartContext<'a, BitMapBackend<'b>, Cartesian2d<X, Y>>;

/// A line through `points` (with dots of `dot` pixels) in `colour`, named `label` in the legend.
pub(crate) fn line<X, Y>(
    chart: &mut Chart<'_, '_, X, Y>,
    points: impl IntoIterator<Item = (f64, f64)>,
    colour: RGBAColor,
    dot: u32,
    label: impl Into<String>,
) -> Result<(), String>
where
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    chart
        .draw_series(LineSeries::new(points, colour.stroke_width(2)).point_size(dot))
        .map_err(text_err)?
        .label(label)
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2)));
    Ok(())
}

/// The legend of the labelled series at `position`, its text `size` pixels high.
pub(crate) fn legend<'a, 'b: 'a, X, Y>(
    chart: &mut Chart<'a, 'b, X, Y>,
    size: u32,
    position: SeriesLabelPosition,
) -> Result<(), String>
where
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    chart
        .configure_series_labels()
        .label_font((FONT, size))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(position)
        .draw()
        .map_err(text_err)
}
