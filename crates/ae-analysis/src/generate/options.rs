//! What the generating commands take and what they report (written as JSON beside each
//! picture).

use std::path::PathBuf;

use burn::tensor::Device;
use serde::Serialize;

use crate::images::PictureOptions;
use ae_train::{DataChoice, ModelChoice};

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
