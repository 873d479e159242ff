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

use std::path::{Path, PathBuf};

use burn::tensor::Device;
use serde::Serialize;

use crate::images::PictureOptions;
use crate::predict::inputs;
use ae_report::grids::{grid_shape, image_grid_size, save_image_rows};
use ae_report::refresh_report;
use ae_train::{DataChoice, ModelChoice, TrainError, TrainedModel};
use ae_train::{create_dir, standard_normal_draws, write_json};

/// Most pictures `ae sample` draws (a 32 × 32 grid).
pub const MAX_SAMPLES: usize = 1024;
/// Most rows of `ae traverse` (latent dimensions), and its default when the latent is larger.
pub const MAX_TRAVERSE_DIMS: usize = 32;
/// Most points per side of a manifold grid, and most steps of a row.
pub const MAX_GRID: usize = 40;
pub const MAX_STEPS: usize = 64;
/// The quantiles a manifold grid spans: Φ⁻¹ of `linspace(0.05, 0.95, grid)`.
pub const MANIFOLD_QUANTILES: [f64; 2] = [0.05, 0.95];

/// The checkpoint, output folder and device every generating command takes.
#[derive(Debug, Clone)]
pub struct GenerateTarget {
    /// Which checkpoint decodes (default: the best).
    pub checkpoint: ModelChoice,
    /// Folder for the PNG and JSON (default: the run's `analysis/`, and report.html is
    /// refreshed).
    pub out_dir: Option<PathBuf>,
    pub device: Device,
}

impl GenerateTarget {
    /// The best checkpoint, writing into the run's `analysis/`.
    pub fn new(device: Device) -> Self {
        Self {
            checkpoint: ModelChoice::Best,
            out_dir: None,
            device,
        }
    }
}

/// What every generating command reports about the model it used.
#[derive(Debug, Clone, Serialize)]
pub struct GeneratedModel {
    pub run: PathBuf,
    /// The checkpoint folder that decoded, and its stage name.
    pub checkpoint: String,
    pub stage: String,
    /// Size of z.
    pub latent: usize,
    /// `[channels, height, width]` of each picture.
    pub image_shape: [usize; 3],
}

/// What `sample` does.
#[derive(Debug, Clone)]
pub struct SampleOptions {
    /// Pictures drawn (1..=[`MAX_SAMPLES`]).
    pub n: usize,
    /// Seed of the `StdRng` the draws come from.
    pub seed: u64,
    pub target: GenerateTarget,
}

impl SampleOptions {
    /// 64 pictures from seed 0.
    pub fn new(device: Device) -> Self {
        Self {
            n: 64,
            seed: 0,
            target: GenerateTarget::new(device),
        }
    }
}

/// What `sample` drew and wrote.
#[derive(Debug, Clone, Serialize)]
pub struct SampleReport {
    #[serde(flatten)]
    pub model: GeneratedModel,
    pub n: usize,
    pub seed: u64,
    /// Columns and rows of the grid.
    pub columns: usize,
    pub rows: usize,
    pub png: PathBuf,
}

/// One end of an interpolation: a test image (by index) or the user's picture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Endpoint {
    TestImage(usize),
    Picture(PathBuf),
}

impl Endpoint {
    /// A plain number is a test-set index, anything else a picture's path.
    pub fn parse(text: &str) -> Self {
        match text.trim().parse::<usize>() {
            Ok(i) => Self::TestImage(i),
            Err(_) => Self::Picture(PathBuf::from(text)),
        }
    }

    /// Its part of a file name: the index, or the picture's stem (letters, digits, `-`, `_`).
    pub fn label(&self) -> String {
        match self {
            Self::TestImage(i) => i.to_string(),
            Self::Picture(path) => {
                let stem = path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let clean: String = stem
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                            c
                        } else {
                            '_'
                        }
                    })
                    .take(40)
                    .collect();
                if clean.is_empty() {
                    "picture".into()
                } else {
                    clean
                }
            }
        }
    }

    /// In words: "test image 3" or the path.
    pub fn describe(&self) -> String {
        match self {
            Self::TestImage(i) => format!("test image {i}"),
            Self::Picture(path) => path.display().to_string(),
        }
    }
}

/// What `interpolate` does.
#[derive(Debug, Clone)]
pub struct InterpolateOptions {
    pub a: Endpoint,
    pub b: Endpoint,
    /// Points of the line, ends included (2..=[`MAX_STEPS`]).
    pub steps: usize,
    /// How the user's pictures are read (as `ae predict` reads them).
    pub picture: PictureOptions,
    /// Where the test set is found (and which dataset).
    pub data: DataChoice,
    pub target: GenerateTarget,
}

impl InterpolateOptions {
    /// Ten steps from `a` to `b`.
    pub fn new(a: Endpoint, b: Endpoint, device: Device) -> Self {
        Self {
            a,
            b,
            steps: 10,
            picture: PictureOptions::default(),
            data: DataChoice::default(),
            target: GenerateTarget::new(device),
        }
    }
}

/// What `interpolate` decoded and wrote.
#[derive(Debug, Clone, Serialize)]
pub struct InterpolateReport {
    #[serde(flatten)]
    pub model: GeneratedModel,
    pub a: Endpoint,
    pub b: Endpoint,
    pub steps: usize,
    /// The points of the line, μ_A + t (μ_B − μ_A).
    pub t: Vec<f64>,
    /// ‖μ_B − μ_A‖.
    pub distance: f64,
    /// The row: picture A, the `steps` decoded points, picture B.
    pub tiles: usize,
    pub png: PathBuf,
}

/// What `traverse` does.
#[derive(Debug, Clone)]
pub struct TraverseOptions {
    /// The latent dimensions, one row each (default: all, at most [`MAX_TRAVERSE_DIMS`]).
    pub dims: Option<Vec<usize>>,
    /// Each dimension is swept over −range..range.
    pub range: f64,
    /// Values per row, ends included (2..=[`MAX_STEPS`]).
    pub steps: usize,
    /// The test image whose μ the other dimensions keep.
    pub index: usize,
    /// Where the test set is found (and which dataset).
    pub data: DataChoice,
    pub target: GenerateTarget,
}

impl TraverseOptions {
    /// Every dimension over −3..3 in 9 steps, around test image 0.
    pub fn new(device: Device) -> Self {
        Self {
            dims: None,
            range: 3.0,
            steps: 9,
            index: 0,
            data: DataChoice::default(),
            target: GenerateTarget::new(device),
        }
    }
}

/// What `traverse` decoded and wrote.
#[derive(Debug, Clone, Serialize)]
pub struct TraverseReport {
    #[serde(flatten)]
    pub model: GeneratedModel,
    /// The rows' dimensions, top to bottom.
    pub dims: Vec<usize>,
    /// The values each row's dimension takes, left to right.
    pub values: Vec<f64>,
    /// The test image whose μ the other dimensions keep, and that μ.
    pub index: usize,
    pub base: Vec<f32>,
    pub png: PathBuf,
}

/// What `manifold` does.
#[derive(Debug, Clone)]
pub struct ManifoldOptions {
    /// Points per side (2..=[`MAX_GRID`]).
    pub grid: usize,
    pub target: GenerateTarget,
}

impl ManifoldOptions {
    /// A 20 × 20 grid.
    pub fn new(device: Device) -> Self {
        Self {
            grid: 20,
            target: GenerateTarget::new(device),
        }
    }
}

/// What `manifold` decoded and wrote.
#[derive(Debug, Clone, Serialize)]
pub struct ManifoldReport {
    #[serde(flatten)]
    pub model: GeneratedModel,
    pub grid: usize,
    /// z values along each axis, Φ⁻¹ of `linspace(0.05, 0.95, grid)`: z₀ grows left to right
    /// (columns), z₁ bottom to top (rows), as on a plot.
    pub z: Vec<f64>,
    pub png: PathBuf,
}

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

/// `n ≥ 1` numbers from `lo` to `hi`, both included, evenly spaced (NumPy's `linspace`).
pub fn linspace(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    match n {
        0 => Vec::new(),
        1 => vec![lo],
        _ => (0..n)
            .map(|i| {
                if i == n - 1 {
                    hi
                } else {
                    lo + (hi - lo) * i as f64 / (n - 1) as f64
                }
            })
            .collect(),
    }
}

/// Φ⁻¹(p), the standard normal's quantile function, for p in (0, 1) (±∞ at 0 and 1, NaN
/// outside): Acklam's rational approximation, relative error below 1.2e-9.
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    const LOW: f64 = 0.02425;
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < LOW {
        tail((-2.0 * p.ln()).sqrt())
    } else if p <= 1.0 - LOW {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    }
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
    fn the_normal_quantile_matches_tabulated_values() {
        for (p, z) in [
            (0.5, 0.0),
            (0.95, 1.644_853_626_951_472_2),
            (0.975, 1.959_963_984_540_054),
            (0.01, -2.326_347_874_040_840_8),
            (0.001, -3.090_232_306_167_813_5),
            (0.8413447460685429, 1.0),
        ] {
            let got = normal_quantile(p);
            assert!((got - z).abs() < 1e-8, "Φ⁻¹({p}) = {got}, expected {z}");
            assert!(
                (normal_quantile(1.0 - p) + z).abs() < 1e-8,
                "symmetry at {p}"
            );
        }
        assert_eq!(normal_quantile(0.0), f64::NEG_INFINITY);
        assert_eq!(normal_quantile(1.0), f64::INFINITY);
        assert!(normal_quantile(1.5).is_nan() && normal_quantile(-0.1).is_nan());
        // Increasing across the region boundaries of the approximation.
        let ps = linspace(0.001, 0.999, 999);
        for pair in ps.windows(2) {
            assert!(normal_quantile(pair[0]) < normal_quantile(pair[1]));
        }
    }

    #[test]
    fn linspace_includes_both_ends() {
        assert_eq!(linspace(0.0, 1.0, 5), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
        assert_eq!(linspace(-3.0, 3.0, 3), vec![-3.0, 0.0, 3.0]);
        assert_eq!(linspace(0.05, 0.95, 2), vec![0.05, 0.95]);
        assert_eq!(linspace(2.0, 9.0, 1), vec![2.0]);
        assert!(linspace(0.0, 1.0, 0).is_empty());
        let p = linspace(0.05, 0.95, 20);
        assert_eq!((p.len(), p[19]), (20, 0.95));
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
