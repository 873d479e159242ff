//! `ae sample`, `ae interpolate`, `ae traverse` and `ae manifold`: what a variational
//! autoencoder's decoder makes of points of its latent space.
//!
//! - [`sample`]: `n` draws z ~ N(0, I) (a seeded `StdRng`, so a seed gives the same pictures),
//!   decoded, as a near-square grid `samples-seed<S>.png`.
//! - [`interpolate`]: the straight line between the codes μ of two pictures (the user's files
//!   or test images), decoded at `steps` points, the two pictures at the ends:
//!   `interpolate-<a>-<b>.png`.
//! - [`traverse`]: one row per latent dimension, swept over −range..range while the others
//!   stay at μ of a test image: `traverse.png`.
//! - [`manifold`]: for a 2-D latent, the decoder over a grid of the standard normal's
//!   quantiles (Kingma & Welling 2014, fig. 4; Keras' `plot_latent_space`): `manifold.png`.
//!
//! Each writes its PNG and a JSON report (same stem) into the run's `analysis/` (or the folder
//! given) and refreshes the run's `report.html`.

mod normal;
mod options;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::predict::inputs;
use ae_report::grids::{grid_shape, image_grid_size, save_image_rows};
use ae_report::refresh_report;
use ae_train::{DataChoice, TrainError, TrainedModel};
use ae_train::{create_dir, standard_normal_draws, write_json};

pub use normal::{linspace, normal_quantile};
pub use options::{
    Endpoint, GenerateTarget, GeneratedModel, InterpolateOptions, InterpolateReport,
    MANIFOLD_QUANTILES, MAX_GRID, MAX_SAMPLES, MAX_STEPS, MAX_TRAVERSE_DIMS, ManifoldOptions,
    ManifoldReport, SampleOptions, SampleReport, TraverseOptions, TraverseReport,
};

/// Parses a comma-separated list of latent dimensions such as `0,1,2`.
pub fn parse_dims(text: &str) -> Result<Vec<usize>, TrainError> {
    if text.trim().is_empty() {
        return Err(TrainError::InvalidOption(
            "empty --dims: expected latent dimensions separated by commas, e.g. --dims 0,1,2"
                .into(),
        ));
    }
    text.split(',')
        .map(|part| {
            let part = part.trim();
            part.parse::<usize>().map_err(|_| {
                TrainError::InvalidOption(format!(
                    "dimension '{part}' in --dims '{text}': expected a whole number >= 0"
                ))
            })
        })
        .collect()
}

/// Draws `n` decoded samples z ~ N(0, I) and writes them as a near-square grid
/// `samples-seed<S>.png` (and `.json`, this report).
pub fn sample(run_dir: &Path, options: &SampleOptions) -> Result<SampleReport, TrainError> {
    check_count("--n", options.n, 1, MAX_SAMPLES)?;
    let model = open_generative(run_dir, &options.target, "sample")?;
    let latent = model.code_size();
    let z = standard_normal_draws(options.seed, options.n * latent);
    let pictures = decode(&model, &z)?;
    let shape = model.input_shape()?;
    let (columns, rows) = grid_shape(options.n, None);
    let grid: Vec<Vec<Vec<f32>>> = tiles(&pictures, shape)
        .chunks(columns)
        .map(<[Vec<f32>]>::to_vec)
        .collect();
    let out_dir = out_dir(run_dir, &options.target)?;
    let stem = format!("samples-seed{}", options.seed);
    let png = out_dir.join(format!("{stem}.png"));
    save_image_rows(&grid, shape, &png)?;
    let report = SampleReport {
        model: described(&model)?,
        n: options.n,
        seed: options.seed,
        columns,
        rows,
        png,
    };
    finish(run_dir, &options.target, &out_dir, &stem, &report)?;
    Ok(report)
}

/// Decodes `steps` points of the line between the codes μ of `a` and `b` and writes them as
/// one row `interpolate-<a>-<b>.png`, picture A first and picture B last.
pub fn interpolate(
    run_dir: &Path,
    options: &InterpolateOptions,
) -> Result<InterpolateReport, TrainError> {
    check_count("--steps", options.steps, 2, MAX_STEPS)?;
    let model = open_generative(run_dir, &options.target, "interpolate")?;
    let shape = model.input_shape()?;
    let indices: Vec<usize> = [&options.a, &options.b]
        .into_iter()
        .filter_map(|e| match e {
            Endpoint::TestImage(i) => Some(*i),
            Endpoint::Picture(_) => None,
        })
        .collect();
    // The test set is loaded only when an end is a test image, and only as far as needed.
    let test = match indices.iter().max() {
        Some(&max) => test_images(&model, &options.data, max)?,
        None => Vec::new(),
    };
    let per_image: usize = shape.iter().product();
    let picture = |end: &Endpoint| -> Result<Vec<f32>, TrainError> {
        match end {
            Endpoint::TestImage(i) => test
                .get(i * per_image..(i + 1) * per_image)
                .map(<[f32]>::to_vec)
                .ok_or_else(|| TrainError::InvalidOption(format!("test image {i} out of range"))),
            Endpoint::Picture(path) => inputs(&model, std::slice::from_ref(path), options.picture),
        }
    };
    let (pa, pb) = (picture(&options.a)?, picture(&options.b)?);
    let latent = model.code_size();
    let codes = model.codes(&[pa.as_slice(), pb.as_slice()].concat(), 2)?;
    let (mu_a, mu_b) = codes.split_at(latent);
    let t = linspace(0.0, 1.0, options.steps);
    let z: Vec<f32> = t
        .iter()
        .flat_map(|&t| {
            mu_a.iter()
                .zip(mu_b)
                .map(move |(&a, &b)| a + t as f32 * (b - a))
        })
        .collect();
    let decoded = decode(&model, &z)?;
    let mut row = vec![pa];
    row.extend(tiles(&decoded, shape));
    row.push(pb);
    let out_dir = out_dir(run_dir, &options.target)?;
    let stem = format!("interpolate-{}-{}", options.a.label(), options.b.label());
    let png = out_dir.join(format!("{stem}.png"));
    save_image_rows(std::slice::from_ref(&row), shape, &png)?;
    let distance = mu_a
        .iter()
        .zip(mu_b)
        .map(|(&a, &b)| f64::from(b - a).powi(2))
        .sum::<f64>()
        .sqrt();
    let report = InterpolateReport {
        model: described(&model)?,
        a: options.a.clone(),
        b: options.b.clone(),
        steps: options.steps,
        t,
        distance,
        tiles: row.len(),
        png,
    };
    finish(run_dir, &options.target, &out_dir, &stem, &report)?;
    Ok(report)
}

/// Sweeps each of `dims` over −range..range with the other dimensions at μ of test image
/// `index`, one row per dimension: `traverse.png`.
pub fn traverse(run_dir: &Path, options: &TraverseOptions) -> Result<TraverseReport, TrainError> {
    check_count("--steps", options.steps, 2, MAX_STEPS)?;
    if !(options.range.is_finite() && options.range > 0.0) {
        return Err(TrainError::InvalidOption(format!(
            "--range {}: expected a number > 0 (each dimension is swept over -range..range)",
            options.range
        )));
    }
    let model = open_generative(run_dir, &options.target, "traverse")?;
    let latent = model.code_size();
    let dims = match &options.dims {
        None => (0..latent.min(MAX_TRAVERSE_DIMS)).collect(),
        Some(dims) => check_dims(dims, latent)?,
    };
    let test = test_images(&model, &options.data, options.index)?;
    let shape = model.input_shape()?;
    let per_image: usize = shape.iter().product();
    let image = &test[options.index * per_image..(options.index + 1) * per_image];
    let base = model.codes(image, 1)?;
    let values = linspace(-options.range, options.range, options.steps);
    let mut z = Vec::with_capacity(dims.len() * values.len() * latent);
    for &d in &dims {
        for &v in &values {
            let mut code = base.clone();
            code[d] = v as f32;
            z.extend(code);
        }
    }
    let decoded = tiles(&decode(&model, &z)?, shape);
    let rows: Vec<Vec<Vec<f32>>> = decoded.chunks(values.len()).map(<[_]>::to_vec).collect();
    let out_dir = out_dir(run_dir, &options.target)?;
    let stem = "traverse";
    let png = out_dir.join(format!("{stem}.png"));
    save_image_rows(&rows, shape, &png)?;
    let report = TraverseReport {
        model: described(&model)?,
        dims,
        values,
        index: options.index,
        base,
        png,
    };
    finish(run_dir, &options.target, &out_dir, stem, &report)?;
    Ok(report)
}

/// For a 2-D latent: decodes the `grid × grid` points z = (Φ⁻¹(p_j), Φ⁻¹(p_i)), p =
/// `linspace(0.05, 0.95, grid)`, into one picture `manifold.png` (z₁ largest in the top row).
pub fn manifold(run_dir: &Path, options: &ManifoldOptions) -> Result<ManifoldReport, TrainError> {
    check_count("--grid", options.grid, 2, MAX_GRID)?;
    let model = open_generative(run_dir, &options.target, "manifold")?;
    let latent = model.code_size();
    if latent != 2 {
        return Err(TrainError::InvalidOption(format!(
            "ae manifold needs a 2-d latent (a recipe with [model] latent = 2); this run's \
             variational autoencoder has a {latent}-d latent (ae sample and ae traverse work on \
             it)"
        )));
    }
    let [lo, hi] = MANIFOLD_QUANTILES;
    let z_axis: Vec<f64> = linspace(lo, hi, options.grid)
        .into_iter()
        .map(normal_quantile)
        .collect();
    let mut z = Vec::with_capacity(options.grid * options.grid * 2);
    for &y in z_axis.iter().rev() {
        for &x in &z_axis {
            z.extend([x as f32, y as f32]);
        }
    }
    let shape = model.input_shape()?;
    let decoded = tiles(&decode(&model, &z)?, shape);
    let rows: Vec<Vec<Vec<f32>>> = decoded.chunks(options.grid).map(<[_]>::to_vec).collect();
    let out_dir = out_dir(run_dir, &options.target)?;
    let stem = "manifold";
    let png = out_dir.join(format!("{stem}.png"));
    save_image_rows(&rows, shape, &png)?;
    let report = ManifoldReport {
        model: described(&model)?,
        grid: options.grid,
        z: z_axis,
        png,
    };
    finish(run_dir, &options.target, &out_dir, stem, &report)?;
    Ok(report)
}

/// Pixel size (width, height) of a grid of `n` samples of `height × width`, as `sample` draws it.
pub fn sample_grid_size(n: usize, height: usize, width: usize) -> (usize, usize) {
    let (columns, rows) = grid_shape(n, None);
    image_grid_size(rows, columns, height, width)
}

/// `name value`: at least `min`, at most `max`.
fn check_count(name: &str, value: usize, min: usize, max: usize) -> Result<(), TrainError> {
    if value < min {
        return Err(TrainError::InvalidOption(format!(
            "{name} {value}: expected at least {min}"
        )));
    }
    if value > max {
        return Err(TrainError::InvalidOption(format!(
            "{name} {value}: expected at most {max}"
        )));
    }
    Ok(())
}

/// The dimensions asked for, checked against the latent size: in range, no repeats, at most
/// [`MAX_TRAVERSE_DIMS`].
fn check_dims(dims: &[usize], latent: usize) -> Result<Vec<usize>, TrainError> {
    if dims.is_empty() {
        return Err(TrainError::InvalidOption(
            "empty --dims: expected latent dimensions separated by commas".into(),
        ));
    }
    if dims.len() > MAX_TRAVERSE_DIMS {
        return Err(TrainError::InvalidOption(format!(
            "--dims lists {} dimensions: at most {MAX_TRAVERSE_DIMS} rows",
            dims.len()
        )));
    }
    for (i, &d) in dims.iter().enumerate() {
        if d >= latent {
            return Err(TrainError::InvalidOption(format!(
                "latent dimension {d} out of range: the latent has {latent} (0..={})",
                latent - 1
            )));
        }
        if dims[..i].contains(&d) {
            return Err(TrainError::InvalidOption(format!(
                "latent dimension {d} is listed twice in --dims"
            )));
        }
    }
    Ok(dims.to_vec())
}

/// Opens the run's checkpoint; anything but a variational autoencoder is an error naming
/// `ae <command>` and what the checkpoint holds.
fn open_generative(
    run_dir: &Path,
    target: &GenerateTarget,
    command: &str,
) -> Result<TrainedModel, TrainError> {
    let model = TrainedModel::open(run_dir, target.checkpoint, &target.device)?;
    if !model.arch.kind().is_variational() {
        return Err(TrainError::RunFolder {
            path: run_dir.to_path_buf(),
            message: format!(
                "ae {command} needs a variational autoencoder (a recipe with [model] kind = \
                 \"vae\", e.g. vae-mnist); checkpoint {} holds a {}",
                model.pointer.dir,
                model.arch.kind_name()
            ),
        });
    }
    Ok(model)
}

/// The first `index + 1` test images (index checked against the test set's size).
fn test_images(
    model: &TrainedModel,
    data: &DataChoice,
    index: usize,
) -> Result<Vec<f32>, TrainError> {
    let loaded = model.data(&DataChoice {
        test_limit: Some(index.saturating_add(1)),
        ..data.clone()
    })?;
    let n = loaded.test.len();
    if index >= n {
        return Err(TrainError::InvalidOption(format!(
            "test image {index} out of range: the test set of {} has {n} images (0..={})",
            loaded.dataset,
            n.saturating_sub(1)
        )));
    }
    Ok(loaded.test.pixels().to_vec())
}

/// The pictures decoded from `z`, in batches of the recipe's evaluation batch size.
fn decode(model: &TrainedModel, z: &[f32]) -> Result<Vec<f32>, TrainError> {
    let chunk = model.recipe.eval_batch_size.max(1) * model.code_size().max(1);
    let mut out = Vec::new();
    for part in z.chunks(chunk) {
        out.extend(model.decode_latents(part)?);
    }
    Ok(out)
}

/// `[n, c, h, w]` flattened, as one `[c, h, w]` vector per picture.
fn tiles(pictures: &[f32], shape: [usize; 3]) -> Vec<Vec<f32>> {
    let per_image: usize = shape.iter().product::<usize>().max(1);
    pictures.chunks(per_image).map(<[f32]>::to_vec).collect()
}

fn out_dir(run_dir: &Path, target: &GenerateTarget) -> Result<PathBuf, TrainError> {
    let dir = target
        .out_dir
        .clone()
        .unwrap_or_else(|| run_dir.join("analysis"));
    create_dir(&dir)?;
    Ok(dir)
}

fn described(model: &TrainedModel) -> Result<GeneratedModel, TrainError> {
    Ok(GeneratedModel {
        run: model.run_dir.clone(),
        checkpoint: model.pointer.dir.clone(),
        stage: model.stage.display_name(model.stage_index),
        latent: model.code_size(),
        image_shape: model.input_shape()?,
    })
}

/// Writes `<stem>.json` and, in the run's own `analysis/`, refreshes report.html.
fn finish(
    run_dir: &Path,
    target: &GenerateTarget,
    out_dir: &Path,
    stem: &str,
    report: &impl Serialize,
) -> Result<(), TrainError> {
    write_json(&out_dir.join(format!("{stem}.json")), report)?;
    if target.out_dir.is_none() {
        refresh_report(run_dir)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_indices_or_paths() {
        assert_eq!(Endpoint::parse("7"), Endpoint::TestImage(7));
        assert_eq!(
            Endpoint::parse("digits/seven.png"),
            Endpoint::Picture("digits/seven.png".into())
        );
        assert_eq!(Endpoint::parse("7").label(), "7");
        assert_eq!(
            Endpoint::parse("a b/my digit(1).png").label(),
            "my_digit_1_"
        );
        assert_eq!(Endpoint::parse("x/.png").label(), "_png");
        assert_eq!(Endpoint::parse("-1").label(), "-1");
    }

    #[test]
    fn dims_are_parsed_and_checked() {
        assert_eq!(parse_dims("0, 1,2").unwrap(), vec![0, 1, 2]);
        for bad in ["", "a", "1,,2", "-1"] {
            let e = parse_dims(bad).unwrap_err().to_string();
            assert!(e.contains("--dims"), "{bad}: {e}");
        }
        assert_eq!(check_dims(&[3, 1], 20).unwrap(), vec![3, 1]);
        let e = check_dims(&[20], 20).unwrap_err().to_string();
        assert!(
            e.contains("dimension 20 out of range") && e.contains("0..=19"),
            "{e}"
        );
        let e = check_dims(&[1, 1], 20).unwrap_err().to_string();
        assert!(e.contains("twice"), "{e}");
        let many: Vec<usize> = (0..33).collect();
        assert!(check_dims(&many, 64).is_err());
    }

    #[test]
    fn counts_are_bounded() {
        assert!(check_count("--n", 0, 1, MAX_SAMPLES).is_err());
        assert!(check_count("--n", 1, 1, MAX_SAMPLES).is_ok());
        let e = check_count("--steps", 1, 2, MAX_STEPS)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "--steps 1: expected at least 2");
        assert!(check_count("--grid", 41, 2, MAX_GRID).is_err());
        // 64 samples of 28 × 28: an 8 × 8 grid of 56-px tiles with 2-px gaps.
        assert_eq!(sample_grid_size(64, 28, 28), (8 * 58 + 2, 8 * 58 + 2));
    }
}
