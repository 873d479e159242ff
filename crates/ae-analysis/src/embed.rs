//! `ae embed`: the test set's codes projected to 2-D (PCA or t-SNE), drawn coloured by class,
//! written as CSV, and summarised by the k-nearest-neighbour accuracy of the codes.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::tensor::Device;
use serde::Serialize;

use crate::knn::knn_accuracy;
use crate::pca::pca;
use crate::tsne::{TsneConfig, tsne};
use ae_report::plots::scatter_plot;
use ae_report::refresh_report;
use ae_report::tensorboard::{Embedding, Metadata, projector_sprite, write_projector};
use ae_train::TrainError;
use ae_train::{DataChoice, ModelChoice, TrainedModel};
use ae_train::{create_dir, write_atomic, write_json};

/// Exact t-SNE (`theta = 0`) keeps n × n matrices: beyond this many points it needs gigabytes
/// and minutes. Barnes-Hut (the default) has no cap: 10,000 points take about 12 s.
pub const TSNE_MAX_POINTS: usize = 5000;

/// How the codes are brought to 2-D.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Projection {
    /// Exact principal component analysis (the two axes of largest variance).
    Pca,
    /// Barnes-Hut t-SNE (perplexity 30, theta 0.5, started from the PCA projection; deterministic).
    Tsne,
}

impl Projection {
    /// Parses `pca` or `tsne`.
    pub fn parse(text: &str) -> Result<Self, TrainError> {
        match text {
            "pca" => Ok(Self::Pca),
            "tsne" | "t-sne" => Ok(Self::Tsne),
            other => Err(TrainError::InvalidOption(format!(
                "unknown method '{other}': expected pca or tsne"
            ))),
        }
    }

    /// `pca` or `tsne`, as in file names.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pca => "pca",
            Self::Tsne => "tsne",
        }
    }
}

/// What `embed` does.
#[derive(Debug, Clone)]
pub struct EmbedOptions {
    pub projection: Projection,
    /// Test images embedded (the first n).
    pub limit: usize,
    /// Neighbours voting in the k-NN accuracy.
    pub k: usize,
    /// Training images whose codes are the k-NN reference (the first n).
    pub knn_reference: usize,
    /// Which checkpoint encodes (default: the run's autoencoder when it kept one, else the best).
    pub checkpoint: ModelChoice,
    /// Where the data is found (and which dataset).
    pub data: DataChoice,
    /// Folder for the PNG, CSV and JSON (default: the run's `analysis/`).
    pub out_dir: Option<PathBuf>,
    pub device: Device,
}

impl EmbedOptions {
    /// PCA of the first 2,000 test images, 5-NN against the first 10,000 training codes.
    pub fn new(device: Device) -> Self {
        Self {
            projection: Projection::Pca,
            limit: 2000,
            k: 5,
            knn_reference: 10_000,
            checkpoint: ModelChoice::AutoencoderOrBest,
            data: DataChoice::default(),
            out_dir: None,
            device,
        }
    }
}

/// What `embed` measured and wrote.
#[derive(Debug, Clone, Serialize)]
pub struct EmbedReport {
    pub run: PathBuf,
    /// The checkpoint folder that encoded, and its stage name.
    pub checkpoint: String,
    pub stage: String,
    /// e.g. "256-d code of the encoder classifier".
    pub code: String,
    pub code_size: usize,
    pub dataset: String,
    pub projection: Projection,
    /// Test images embedded.
    pub points: usize,
    /// PCA: share of the variance along each axis.
    pub explained_variance: Option<[f64; 2]>,
    /// Seconds the projection took (t-SNE's figure to quote).
    pub projection_seconds: f64,
    /// k-NN test accuracy of the codes: k, reference size and accuracy in [0, 1].
    pub knn_k: usize,
    pub knn_reference: usize,
    pub knn_accuracy: f64,
    /// The same k-NN classifier on the raw pixels, for comparison.
    pub knn_pixels_accuracy: f64,
    pub png: PathBuf,
    pub csv: PathBuf,
    /// The projector's config in the run's `tensorboard/` (`tensorboard --logdir runs`, the
    /// Projector tab): the codes with labels, class names and a sprite of the pictures. Not
    /// written with `--out`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub projector: Option<PathBuf>,
}

/// Encodes the test set with the run's trained encoder, projects the codes to 2-D and writes
/// `embedding-<method>.png`, `.csv` (index, label, class, x, y) and `.json` (this report).
pub fn embed(run_dir: &Path, options: &EmbedOptions) -> Result<EmbedReport, TrainError> {
    for (name, value) in [("--limit", options.limit), ("--k", options.k)] {
        if value == 0 {
            return Err(TrainError::InvalidOption(format!(
                "{name} 0: expected at least 1"
            )));
        }
    }
    let model = TrainedModel::open(run_dir, options.checkpoint, &options.device)?;
    let data = model.data(&DataChoice {
        test_limit: Some(options.limit),
        train_limit: Some(options.knn_reference.max(1)),
        ..options.data.clone()
    })?;
    let n = data.test.len();
    let tsne_config = TsneConfig::default();
    match options.projection {
        Projection::Tsne if n < tsne_config.min_points() => {
            return Err(TrainError::InvalidOption(format!(
                "t-SNE with perplexity {} needs at least {} points, the test set gives {n}",
                tsne_config.perplexity,
                tsne_config.min_points()
            )));
        }
        Projection::Tsne if tsne_config.theta == 0.0 && n > TSNE_MAX_POINTS => {
            return Err(TrainError::InvalidOption(format!(
                "exact t-SNE (n × n pairs): at most {TSNE_MAX_POINTS} points, got --limit {}",
                options.limit
            )));
        }
        Projection::Pca if n < 2 => {
            return Err(TrainError::InvalidOption(format!(
                "PCA needs at least 2 test images, the test set gives {n}"
            )));
        }
        _ => {}
    }
    let batch = model.recipe.eval_batch_size;
    let dim = model.code_size();
    let codes = model.codes(data.test.pixels(), batch)?;
    let reference = model.codes(data.train.pixels(), batch)?;
    let knn = knn_accuracy(
        &reference,
        data.train.labels(),
        &codes,
        data.test.labels(),
        dim,
        options.k,
    );
    // The same classifier on the raw pixels: what the code adds (or loses).
    let knn_pixels = knn_accuracy(
        data.train.pixels(),
        data.train.labels(),
        data.test.pixels(),
        data.test.labels(),
        data.test.image_len(),
        options.k,
    );

    let started = Instant::now();
    let (points, explained) = match options.projection {
        Projection::Pca => {
            let result = pca(&codes, dim, 2);
            let points = result
                .projection
                .iter()
                .map(|p| [p[0], p.get(1).copied().unwrap_or(0.0)])
                .collect::<Vec<_>>();
            let explained = [
                result.explained[0],
                result.explained.get(1).copied().unwrap_or(0.0),
            ];
            (points, Some(explained))
        }
        Projection::Tsne => (tsne(&codes, dim, &tsne_config), None),
    };
    let projection_seconds = started.elapsed().as_secs_f64();

    let out_dir = options
        .out_dir
        .clone()
        .unwrap_or_else(|| run_dir.join("analysis"));
    create_dir(&out_dir)?;
    let stem = format!("embedding-{}", options.projection.as_str());
    let png = out_dir.join(format!("{stem}.png"));
    let csv = out_dir.join(format!("{stem}.csv"));
    let names = &data.class_names;
    let class_of = |label: u8| names.get(label as usize).map_or("", String::as_str);

    let mut text = String::from("index,label,class,x,y\n");
    for (i, (p, &label)) in points.iter().zip(data.test.labels()).enumerate() {
        let _ = writeln!(text, "{i},{label},{},{},{}", class_of(label), p[0], p[1]);
    }
    write_atomic(&csv, text.as_bytes())?;

    let code = model.code_description();
    // The codes for TensorBoard's projector, beside the run's logs (not for --out elsewhere).
    let projector = if options.out_dir.is_none() {
        let metadata = Metadata::labels_and_classes(
            data.test.labels().iter().map(|&l| usize::from(l)),
            names.as_slice(),
        );
        let sprite = projector_sprite(data.test.pixels(), data.test.image_shape());
        let files = write_projector(
            run_dir,
            &Embedding {
                name: &code,
                vectors: &codes,
                dim,
                metadata: Some(&metadata),
                sprite: sprite.as_ref(),
            },
        )?;
        Some(files.config)
    } else {
        None
    };
    let title = format!(
        "{}: {} of the {code} ({n} test images), {}-NN accuracy {:.1}%",
        model.recipe.name,
        match options.projection {
            Projection::Pca => "PCA",
            Projection::Tsne => "t-SNE",
        },
        options.k,
        100.0 * knn
    );
    let axis_names = match explained {
        Some([a, b]) => [
            format!("PC1 ({:.1}% of the variance)", 100.0 * a),
            format!("PC2 ({:.1}% of the variance)", 100.0 * b),
        ],
        None => ["t-SNE 1".to_string(), "t-SNE 2".to_string()],
    };
    scatter_plot(
        &points,
        data.test.labels(),
        names,
        &title,
        [&axis_names[0], &axis_names[1]],
        &png,
    )?;

    let report = EmbedReport {
        run: run_dir.to_path_buf(),
        checkpoint: model.pointer.dir.clone(),
        stage: model.stage.display_name(model.stage_index),
        code,
        code_size: dim,
        dataset: data.dataset.to_string(),
        projection: options.projection,
        points: n,
        explained_variance: explained,
        projection_seconds,
        knn_k: options.k,
        knn_reference: data.train.len(),
        knn_accuracy: knn,
        knn_pixels_accuracy: knn_pixels,
        png,
        csv,
        projector,
    };
    write_json(&out_dir.join(format!("{stem}.json")), &report)?;
    if options.out_dir.is_none() {
        refresh_report(run_dir)?;
    }
    Ok(report)
}
