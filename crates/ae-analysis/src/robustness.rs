//! `ae robustness`: how a trained model degrades as its input gets noisier. Classifiers are
//! measured by test accuracy, autoencoders by the MSE of reconstructing the *clean* image from
//! the noisy one. Every run sees the same noisy images (the noise is drawn from one seed per
//! level), so that runs compare on one picture.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use ae_data::{Noise, derive_seed};
use burn::tensor::Device;
use serde::Serialize;

use ae_report::plots::robustness_plot;
use ae_train::ConfusionMatrix;
use ae_train::StageKind;
use ae_train::TrainError;
use ae_train::{DataChoice, ModelChoice, TrainedModel};
use ae_train::{TestSet, evaluate_classification, evaluate_reconstruction};
use ae_train::{create_dir, write_atomic, write_json};

/// The kind of corruption; the level is its strength.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoiseKind {
    /// Additive Gaussian noise of mean 0; the level is its standard deviation (not clamped).
    Gaussian,
    /// The level is the fraction of pixels set to 0.
    Masking,
    /// The level is the fraction of pixels set to 0 or 1.
    SaltPepper,
}

impl NoiseKind {
    /// Parses `gaussian`, `masking` or `salt-pepper`.
    pub fn parse(text: &str) -> Result<Self, TrainError> {
        match text {
            "gaussian" => Ok(Self::Gaussian),
            "masking" => Ok(Self::Masking),
            "salt-pepper" => Ok(Self::SaltPepper),
            other => Err(TrainError::InvalidOption(format!(
                "unknown noise '{other}': expected gaussian, masking or salt-pepper"
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gaussian => "gaussian",
            Self::Masking => "masking",
            Self::SaltPepper => "salt-pepper",
        }
    }

    /// What the level means, for axis labels.
    pub fn level_name(self) -> &'static str {
        match self {
            Self::Gaussian => "Gaussian noise std (mean 0)",
            Self::Masking => "fraction of pixels masked to 0",
            Self::SaltPepper => "fraction of pixels set to 0 or 1",
        }
    }

    /// The default levels.
    pub fn default_levels(self) -> Vec<f32> {
        match self {
            Self::Gaussian => vec![0.0, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0],
            Self::Masking | Self::SaltPepper => vec![0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9],
        }
    }

    /// The noise of strength `level` (`Noise::None` at 0), checked.
    pub fn at(self, level: f32) -> Result<Noise, TrainError> {
        if level == 0.0 {
            return Ok(Noise::None);
        }
        let noise = match self {
            Self::Gaussian => Noise::Gaussian {
                mean: 0.0,
                std: level,
            },
            Self::Masking => Noise::Masking { fraction: level },
            Self::SaltPepper => Noise::SaltPepper { fraction: level },
        };
        noise.validate().map_err(|e| {
            TrainError::InvalidOption(format!("noise level {level} for {}: {e}", self.as_str()))
        })?;
        Ok(noise)
    }
}

/// Parses a comma-separated list of noise levels such as `0,0.1,0.25`.
pub fn parse_levels(text: &str) -> Result<Vec<f32>, TrainError> {
    if text.trim().is_empty() {
        return Err(TrainError::InvalidOption(
            "empty level list: expected noise levels separated by commas, e.g. --levels 0,0.1,0.2"
                .into(),
        ));
    }
    text.split(',')
        .map(|part| {
            let part = part.trim();
            match part.parse::<f32>() {
                Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
                _ => Err(TrainError::InvalidOption(format!(
                    "noise level '{part}' in --levels '{text}': expected a number >= 0"
                ))),
            }
        })
        .collect()
}

/// What `robustness` does.
#[derive(Debug, Clone)]
pub struct RobustnessOptions {
    pub noise: NoiseKind,
    /// Noise levels, in the order measured (checked: at least one).
    pub levels: Vec<f32>,
    /// Which checkpoint of each run (default: the best, what `ae eval` measures).
    pub checkpoint: ModelChoice,
    /// Where the data is found (and which dataset, test limit).
    pub data: DataChoice,
    /// Seed of the noise draws (the same for every run).
    pub seed: u64,
    pub device: Device,
}

impl RobustnessOptions {
    /// Gaussian noise at the default levels, best checkpoints, seed 0.
    pub fn new(device: Device) -> Self {
        Self {
            noise: NoiseKind::Gaussian,
            levels: NoiseKind::Gaussian.default_levels(),
            checkpoint: ModelChoice::Best,
            data: DataChoice::default(),
            seed: 0,
            device,
        }
    }
}

/// One run's curve.
#[derive(Debug, Clone, Serialize)]
pub struct RobustnessCurve {
    pub run: PathBuf,
    pub recipe: String,
    pub checkpoint: String,
    pub samples: usize,
    /// The metric at each level: accuracy in [0, 1] or MSE.
    pub values: Vec<f64>,
}

impl RobustnessCurve {
    /// The run folder's name (for legends and table headers).
    pub fn label(&self) -> String {
        self.run
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.run.display().to_string())
    }
}

/// What `robustness` measured.
#[derive(Debug, Clone, Serialize)]
pub struct RobustnessReport {
    pub noise: NoiseKind,
    pub levels: Vec<f32>,
    /// `accuracy` (classifiers) or `mse` (autoencoders, clean target).
    pub metric: &'static str,
    pub curves: Vec<RobustnessCurve>,
}

/// Measures every run at every level. All runs must be of one kind (all classifiers or all
/// autoencoders), so that one metric compares them.
pub fn robustness(
    runs: &[PathBuf],
    options: &RobustnessOptions,
) -> Result<RobustnessReport, TrainError> {
    if runs.is_empty() {
        return Err(TrainError::InvalidOption("no run folder given".into()));
    }
    if options.levels.is_empty() {
        return Err(TrainError::InvalidOption(
            "empty level list: expected at least one noise level".into(),
        ));
    }
    let noises: Vec<Noise> = options
        .levels
        .iter()
        .map(|&level| options.noise.at(level))
        .collect::<Result<_, _>>()?;
    let mut kind: Option<(StageKind, PathBuf)> = None;
    let mut curves = Vec::new();
    for run in runs {
        let model = TrainedModel::open(run, options.checkpoint, &options.device)?;
        let this = model.stage.kind;
        match &kind {
            Some((first, first_run)) if *first != this => {
                return Err(TrainError::InvalidOption(format!(
                    "{} holds a {} and {} a {}: compare runs of one kind (or pick --checkpoint autoencoder)",
                    first_run.display(),
                    kind_noun(*first),
                    run.display(),
                    kind_noun(this)
                )));
            }
            _ => kind = Some((this, run.clone())),
        }
        let data = model.data(&options.data)?;
        let mut values = Vec::with_capacity(noises.len());
        for (i, &noise) in noises.iter().enumerate() {
            let seed = derive_seed(options.seed, &[i as u64]);
            let batch = model.recipe.eval_batch_size;
            let test = TestSet {
                data: &data.test,
                batch_size: batch,
                noise,
                noise_seed: seed,
                device: &model.device,
            };
            let value = match this {
                StageKind::Classification => evaluate_classification(model.net(), &test)?
                    .confusion
                    .as_ref()
                    .map_or(0.0, ConfusionMatrix::accuracy),
                StageKind::Reconstruction => {
                    let m = evaluate_reconstruction(model.net(), &test)?;
                    m.mse_noisy.unwrap_or(m.loss)
                }
            };
            values.push(value);
        }
        curves.push(RobustnessCurve {
            run: run.clone(),
            recipe: model.recipe.name.clone(),
            checkpoint: model.pointer.dir.clone(),
            samples: data.test.len(),
            values,
        });
    }
    let metric = match kind.map(|(k, _)| k) {
        Some(StageKind::Reconstruction) => "mse",
        _ => "accuracy",
    };
    Ok(RobustnessReport {
        noise: options.noise,
        levels: options.levels.clone(),
        metric,
        curves,
    })
}

fn kind_noun(kind: StageKind) -> &'static str {
    match kind {
        StageKind::Classification => "classifier",
        StageKind::Reconstruction => "autoencoder",
    }
}

impl RobustnessReport {
    /// The table printed on stdout: one row per level, one column per run.
    pub fn table(&self) -> String {
        let labels: Vec<String> = self.curves.iter().map(RobustnessCurve::label).collect();
        let width = labels.iter().map(String::len).max().unwrap_or(8).max(10);
        let mut out = format!(
            "{} against {} noise ({})\n",
            if self.metric == "mse" {
                "test MSE (clean target)"
            } else {
                "test accuracy"
            },
            self.noise.as_str(),
            self.noise.level_name()
        );
        let _ = write!(out, "{:>8}", "level");
        for label in &labels {
            let _ = write!(out, "  {label:>width$}");
        }
        out.push('\n');
        for (i, level) in self.levels.iter().enumerate() {
            let _ = write!(out, "{level:>8}");
            for curve in &self.curves {
                let cell = if self.metric == "mse" {
                    format!("{:.6}", curve.values[i])
                } else {
                    format!("{:.2}%", 100.0 * curve.values[i])
                };
                let _ = write!(out, "  {cell:>width$}");
            }
            out.push('\n');
        }
        out
    }

    /// Writes `robustness-<noise>.csv` (run, recipe, checkpoint, noise, level, metric, value),
    /// `.png` (one line per run) and `.json` into `dir`; returns the CSV and PNG paths.
    pub fn write(&self, dir: &Path) -> Result<(PathBuf, PathBuf), TrainError> {
        create_dir(dir)?;
        let stem = format!("robustness-{}", self.noise.as_str());
        let csv = dir.join(format!("{stem}.csv"));
        let png = dir.join(format!("{stem}.png"));
        let mut text = String::from("run,recipe,checkpoint,noise,level,metric,value\n");
        for curve in &self.curves {
            for (level, value) in self.levels.iter().zip(&curve.values) {
                let _ = writeln!(
                    text,
                    "{},{},{},{},{level},{},{value}",
                    curve.label(),
                    curve.recipe,
                    curve.checkpoint,
                    self.noise.as_str(),
                    self.metric
                );
            }
        }
        write_atomic(&csv, text.as_bytes())?;
        let levels: Vec<f64> = self.levels.iter().map(|&l| f64::from(l)).collect();
        let (scale, y_name, decimals) = if self.metric == "mse" {
            (1.0, "test MSE against the clean image", 4)
        } else {
            (100.0, "test accuracy %", 0)
        };
        let lines: Vec<(String, Vec<f64>)> = self
            .curves
            .iter()
            .map(|c| {
                (
                    format!("{} ({})", c.recipe, c.label()),
                    c.values.iter().map(|v| v * scale).collect(),
                )
            })
            .collect();
        let title = format!(
            "{} under {} noise",
            if self.metric == "mse" {
                "Reconstruction"
            } else {
                "Accuracy"
            },
            self.noise.as_str()
        );
        robustness_plot(
            &levels,
            &lines,
            &title,
            [self.noise.level_name(), y_name],
            decimals,
            &png,
        )?;
        write_json(&dir.join(format!("{stem}.json")), self)?;
        Ok((csv, png))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parse_and_bad_lists_are_named() {
        assert_eq!(parse_levels("0, 0.1,0.25").unwrap(), vec![0.0, 0.1, 0.25]);
        let empty = parse_levels("").unwrap_err().to_string();
        assert!(empty.contains("empty level list"), "{empty}");
        let bad = parse_levels("0,,0.2").unwrap_err().to_string();
        assert!(bad.contains("noise level ''"), "{bad}");
        let negative = parse_levels("0,-1").unwrap_err().to_string();
        assert!(negative.contains("'-1'"), "{negative}");
        let fraction = NoiseKind::Masking.at(1.5).unwrap_err().to_string();
        assert!(fraction.contains("[0, 1]"), "{fraction}");
        assert_eq!(NoiseKind::Gaussian.at(0.0).unwrap(), Noise::None);
        assert_eq!(
            NoiseKind::Gaussian.at(0.3).unwrap(),
            Noise::Gaussian {
                mean: 0.0,
                std: 0.3
            }
        );
        let unknown = NoiseKind::parse("speckle").unwrap_err().to_string();
        assert!(unknown.contains("unknown noise 'speckle'"), "{unknown}");
    }
}
