//! The plots and `report.html`: one self-contained page (images embedded as base64) tying the
//! recipe, the metrics and every picture of a run together.

use std::fmt::Write as _;
use std::path::Path;

use base64::Engine as _;

use ae_train::{
    ConfusionMatrix, Manifest, MetricsFile, Observer, Recipe, RunEnd, RunFolder, StageKind,
    TrainError, read_json, write_atomic,
};

use crate::plots::{accuracy_plot, confusion_plot, loss_plot};
use crate::stage_pictures::{NEAR_ZERO, WeightPictures};

/// The observer that draws the plots and writes `report.html` when a run ends (completed or
/// failed; an interrupted run gets them when it completes).
#[derive(Debug, Clone, Copy, Default)]
pub struct ReportWriter;

impl Observer for ReportWriter {
    fn run_ended(&self, run: &RunEnd<'_>) -> Result<(), TrainError> {
        if run.status == "interrupted" {
            return Ok(());
        }
        let folder = RunFolder::open(run.run_dir)?;
        write_outputs(&folder, run.recipe, run.manifest, run.metrics)
    }
}

/// Draws the plots from `metrics` and writes `report.html`.
pub fn write_outputs(
    folder: &RunFolder,
    recipe: &Recipe,
    manifest: &Manifest,
    metrics: &MetricsFile,
) -> Result<(), TrainError> {
    let plots = folder.plots();
    if !metrics.epochs.is_empty() {
        loss_plot(&metrics.epochs, &plots.join("loss.png"))?;
    }
    if metrics
        .epochs
        .iter()
        .any(|r| r.kind == StageKind::Classification)
    {
        accuracy_plot(&metrics.epochs, &plots.join("accuracy.png"))?;
    }
    if let Some(matrix) = &metrics.final_metrics.confusion_matrix {
        let names = &metrics.class_names;
        let title = format!(
            "Test confusion matrix, stage {} epoch {} (rows: true class)",
            metrics.final_metrics.stage.unwrap_or(0),
            metrics.final_metrics.epoch.unwrap_or(0)
        );
        confusion_plot(matrix, names, &title, &plots.join("confusion.png"))?;
    }
    let html = render_html(folder, recipe, manifest, metrics);
    write_atomic(&folder.report(), html.as_bytes())
}

/// Rewrites `report.html` of an existing run from its files (after an analysis added pictures
/// to its `analysis/` folder). The plots of training are left as they are.
pub fn refresh_report(run_dir: &Path) -> Result<(), TrainError> {
    let folder = RunFolder::open(run_dir)?;
    let recipe = Recipe::from_file(&folder.recipe())?;
    let manifest: Manifest = read_json(&folder.manifest())?;
    let metrics: MetricsFile = read_json(&folder.metrics_json())?;
    let html = render_html(&folder, &recipe, &manifest, &metrics);
    write_atomic(&folder.report(), html.as_bytes())
}

/// The weight pictures of `grids/`, layer by layer and stage by stage as `weights.json` lists
/// them: the weights at initialisation and after each stage, each stage's update beside them.
fn weight_figures(grids: &Path) -> String {
    let record = match WeightPictures::read(grids) {
        Ok(Some(record)) => record,
        // A run folder from before the record existed (or with an unreadable one): the three
        // pictures such runs have.
        _ => return legacy_weight_figures(grids),
    };
    let scaling = if record.scale == "tile" {
        "each tile scaled to its own range (<code>scale_each=True</code>)"
    } else {
        "one scale per grid, as the notebooks' <code>make_grid(normalize=True)</code>"
    };
    let mut h = format!(
        "<h2>Weights</h2>\n<p>Each layer at initialisation and after every stage, with the \
         stage's update (after − before), {scaling}. \"Near zero\": |w| ≤ {}% of the layer's \
         largest |w|.</p>\n",
        NEAR_ZERO * 100.0
    );
    for layer in &record.layers {
        let _ = writeln!(h, "<h3>{}</h3>\n<div class=\"figs\">", esc(&layer.title));
        for s in &layer.snapshots {
            let when = if s.stage == 0 {
                "At initialisation".to_string()
            } else {
                format!("After stage {} '{}'", s.stage, s.stage_name)
            };
            let stats = format!(
                "{:.1}% near zero, max |w| {:.3}",
                100.0 * s.near_zero_fraction,
                s.max_abs
            );
            let caption = if s.unchanged {
                format!("{when}: unchanged by the stage; {stats}")
            } else {
                format!("{when}: {stats}")
            };
            h.push_str(&figure(&grids.join(&s.picture), &caption));
            if let Some(update) = &s.update {
                let caption = format!("Update in stage {} '{}'", s.stage, s.stage_name);
                h.push_str(&figure(&grids.join(update), &caption));
            }
        }
        h.push_str("</div>\n");
    }
    h
}

/// The weight pictures of run folders written before `grids/weights.json` existed.
fn legacy_weight_figures(grids: &Path) -> String {
    let mut h = String::from("<h2>Weights</h2>\n<div class=\"figs\">\n");
    for (file, caption) in [
        ("encoder-initial.png", "First layer at initialisation"),
        ("encoder-trained.png", "First layer after training"),
        ("encoder-difference.png", "First layer: trained − initial"),
        (
            "decoder-initial.png",
            "Decoder output layer at initialisation",
        ),
        ("decoder-trained.png", "Decoder output layer after training"),
        (
            "decoder-difference.png",
            "Decoder output layer: trained − initial",
        ),
    ] {
        h.push_str(&figure(&grids.join(file), caption));
    }
    h.push_str("</div>\n");
    h
}

/// The analyses' pictures in `analysis/` (embeddings, robustness curves, a VAE's samples,
/// interpolations, traversals and manifold), with captions.
fn analysis_figures(dir: &Path) -> String {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".png") && !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let mut html = String::new();
    for name in names {
        let stem = name.trim_end_matches(".png");
        let caption = if let Some(method) = stem.strip_prefix("embedding-") {
            format!("Test-set codes projected to 2-D ({method}), coloured by class (ae embed)")
        } else if let Some(noise) = stem.strip_prefix("robustness-") {
            format!("Test metric against {noise} noise level (ae robustness)")
        } else if let Some(seed) = stem.strip_prefix("samples-seed") {
            format!("Samples: z ~ N(0, I) drawn with seed {seed}, decoded (ae sample)")
        } else if let Some(ends) = stem.strip_prefix("interpolate-") {
            format!(
                "Codes interpolated between {ends} (first - last), decoded; the two pictures at \
                 the ends (ae interpolate)"
            )
        } else if stem == "traverse" {
            "Latent traversal: one dimension per row swept from -range to range, the others at \
             a test image's code (ae traverse)"
                .to_string()
        } else if stem == "manifold" {
            "The decoder over the 2-d latent at the standard normal's quantiles 0.05..0.95 \
             (ae manifold)"
                .to_string()
        } else {
            stem.to_string()
        };
        html.push_str(&figure(&dir.join(&name), &caption));
    }
    html
}

/// Escapes text for HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn pct(v: Option<f64>) -> String {
    v.map(|x| format!("{:.2}%", 100.0 * x)).unwrap_or_default()
}

fn num(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.4}")).unwrap_or_default()
}

/// A generative model's per-epoch pictures (`samples-<epoch>.png`, `reconstruction-<epoch>.png`,
/// written by [`crate::EpochSamples`]), epoch by epoch.
fn epoch_figures(grids: &Path) -> String {
    let mut epochs: Vec<usize> = std::fs::read_dir(grids)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_prefix("samples-")?
                .strip_suffix(".png")?
                .parse()
                .ok()
        })
        .collect();
    epochs.sort_unstable();
    let mut h = String::new();
    for epoch in epochs {
        h.push_str(&figure(
            &grids.join(format!("samples-{epoch:03}.png")),
            &format!("Epoch {epoch}: decoded from the same 64 draws of z ~ N(0, I)"),
        ));
        h.push_str(&figure(
            &grids.join(format!("reconstruction-{epoch:03}.png")),
            &format!("Epoch {epoch}: test images (top) and their reconstructions from μ (bottom)"),
        ));
    }
    h
}

/// `<figure>` with the PNG at `path` embedded, or nothing when it does not exist.
fn figure(path: &Path, caption: &str) -> String {
    match std::fs::read(path) {
        Ok(bytes) => format!(
            "<figure><img alt=\"{}\" src=\"data:image/png;base64,{}\"><figcaption>{}</figcaption></figure>\n",
            esc(caption),
            base64::engine::general_purpose::STANDARD.encode(bytes),
            esc(caption)
        ),
        Err(_) => String::new(),
    }
}

fn confusion_table(matrix: &ConfusionMatrix, names: &[String]) -> String {
    let mut html = String::from("<table class=\"confusion\"><tr><th>true \\ predicted</th>");
    for n in names {
        let _ = write!(html, "<th>{}</th>", esc(n));
    }
    html.push_str("</tr>\n");
    for (t, row) in matrix.0.iter().enumerate() {
        let _ = write!(html, "<tr><th>{}</th>", esc(&names[t]));
        for (p, count) in row.iter().enumerate() {
            let class = if p == t { " class=\"diag\"" } else { "" };
            let _ = write!(html, "<td{class}>{count}</td>");
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</table>\n");
    html
}

fn render_html(
    folder: &RunFolder,
    recipe: &Recipe,
    manifest: &Manifest,
    metrics: &MetricsFile,
) -> String {
    let mut h = String::new();
    let title = format!("ae run: {}", recipe.name);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\n<style>{}</style></head><body>\n",
        esc(&title),
        STYLE
    );
    let _ = writeln!(h, "<h1>{}</h1>", esc(&title));
    if let Some(d) = &recipe.description {
        let _ = writeln!(h, "<p>{}</p>", esc(d));
    }

    // Summary.
    let f = &metrics.final_metrics;
    h.push_str("<h2>Result</h2>\n<table class=\"kv\">\n");
    let mut kv = |k: &str, v: String| {
        let _ = writeln!(h, "<tr><th>{}</th><td>{}</td></tr>", esc(k), v);
    };
    kv("status", esc(&manifest.status));
    if let Some(message) = &manifest.message {
        kv("message", esc(message));
    }
    if let Some(acc) = f.test_accuracy {
        kv(
            "final test accuracy",
            format!(
                "<b>{}</b> (stage {}, epoch {})",
                pct(Some(acc)),
                f.stage.unwrap_or(0),
                f.epoch.unwrap_or(0)
            ),
        );
    }
    if let Some(mse) = f.test_mse {
        kv(
            "final test MSE",
            format!(
                "<b>{mse:.5}</b> (stage {}, epoch {})",
                f.stage.unwrap_or(0),
                f.epoch.unwrap_or(0)
            ),
        );
    }
    if let Some(best) = &metrics.best {
        kv(
            "best checkpoint",
            format!(
                "{} (stage {}, epoch {})",
                esc(&best.dir),
                best.stage,
                best.epoch
            ),
        );
    }
    let seconds: f64 = metrics.epochs.iter().map(|r| r.seconds).sum();
    kv(
        "training time",
        format!("{seconds:.1} s over {} epochs", metrics.epochs.len()),
    );
    kv(
        "dataset",
        format!(
            "{} — {} training / {} test images (of {} / {}), images {:?} → model input {:?}, from {}",
            esc(&manifest.dataset.name.to_string()),
            manifest.dataset.train_samples,
            manifest.dataset.test_samples,
            manifest.dataset.train_available,
            manifest.dataset.test_available,
            manifest.dataset.image_shape,
            manifest.dataset.input_shape,
            esc(&manifest.dataset.dir.display().to_string())
        ),
    );
    kv(
        "backend",
        format!("{} ({})", esc(&manifest.backend), esc(&manifest.device)),
    );
    kv("seed", manifest.seed.to_string());
    kv(
        "versions",
        format!(
            "ae-train {}, Burn {}",
            esc(&manifest.ae_train_version),
            esc(&manifest.burn_version)
        ),
    );
    kv(
        "time",
        format!(
            "{} – {}{}",
            esc(&manifest.start_time),
            esc(manifest.end_time.as_deref().unwrap_or("")),
            if manifest.resumed.is_empty() {
                String::new()
            } else {
                format!(" (resumed {})", esc(&manifest.resumed.join(", ")))
            }
        ),
    );
    kv("run folder", esc(&folder.dir.display().to_string()));
    h.push_str("</table>\n");

    h.push_str("<h2>Stages</h2>\n<ol>\n");
    for (i, arch) in manifest.stages.iter().enumerate() {
        let stage = &recipe.stages[i];
        let _ = writeln!(
            h,
            "<li><b>{}</b>: {} — {}, {} epochs</li>",
            esc(&stage.display_name(i)),
            esc(stage.kind.as_str()),
            esc(arch),
            stage.epochs
        );
    }
    h.push_str("</ol>\n");

    // Final per-class accuracy and confusion matrix.
    if let (Some(per_class), Some(matrix)) = (&f.per_class_accuracy, &f.confusion_matrix) {
        h.push_str("<h2>Per-class test accuracy</h2>\n<table><tr>");
        for n in &metrics.class_names {
            let _ = write!(h, "<th>{}</th>", esc(n));
        }
        h.push_str("<th>mean</th></tr>\n<tr>");
        for v in per_class {
            let _ = write!(h, "<td>{}</td>", pct(*v));
        }
        let _ = writeln!(
            h,
            "<td>{}</td></tr></table>",
            pct(matrix.mean_per_class_accuracy())
        );
        h.push_str("<h3>Confusion matrix (rows: true class)</h3>\n");
        h.push_str(&confusion_table(matrix, &metrics.class_names));
    }

    // Plots.
    h.push_str("<h2>Curves</h2>\n<div class=\"figs\">\n");
    let plots = folder.plots();
    h.push_str(&figure(&plots.join("loss.png"), "Loss per epoch"));
    h.push_str(&figure(&plots.join("accuracy.png"), "Accuracy per epoch"));
    h.push_str(&figure(
        &plots.join("confusion.png"),
        "Test confusion matrix",
    ));
    h.push_str("</div>\n");

    // Grids.
    let grids = folder.grids();
    h.push_str(&weight_figures(&grids));
    let reconstruction = figure(
        &grids.join("reconstruction.png"),
        "Test images: clean (top), noisy input (middle, denoising only), reconstruction (bottom)",
    );
    if !reconstruction.is_empty() {
        h.push_str("<h2>Reconstructions</h2>\n");
        h.push_str(&reconstruction);
    }

    let generated = epoch_figures(&grids);
    if !generated.is_empty() {
        h.push_str("<h2>Samples and reconstructions, epoch by epoch</h2>\n<div class=\"figs\">\n");
        h.push_str(&generated);
        h.push_str("</div>\n");
    }

    let analysis = analysis_figures(&folder.dir.join("analysis"));
    if !analysis.is_empty() {
        h.push_str("<h2>Analyses</h2>\n<div class=\"figs\">\n");
        h.push_str(&analysis);
        h.push_str("</div>\n");
    }

    // Metrics table.
    h.push_str("<h2>Metrics per epoch</h2>\n<table class=\"metrics\"><tr><th>stage</th><th>epoch</th><th>lr</th><th>train loss</th><th>penalty</th><th>train acc</th><th>test loss</th><th>noisy-input MSE</th><th>test acc</th><th>|h|&lt;0.01</th><th>mean |h|</th><th>mean |h|, noisy input</th><th>s</th></tr>\n");
    for r in &metrics.epochs {
        let _ = writeln!(
            h,
            "<tr><td>{} {}</td><td>{}</td><td>{}</td><td>{:.4}</td><td>{}</td><td>{}</td><td>{:.4}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.2}</td></tr>",
            r.stage,
            esc(&r.stage_name),
            r.epoch,
            r.lr,
            r.train_loss,
            num(r.train_penalty),
            pct(r.train_accuracy),
            r.test_loss,
            num(r.test_mse_noisy),
            pct(r.test_accuracy),
            pct(r.inactive_fraction),
            num(r.mean_abs_code),
            num(r.mean_abs_code_noisy),
            r.seconds
        );
    }
    h.push_str("</table>\n");

    // Recipe and data files.
    let _ = writeln!(h, "<h2>Recipe</h2>\n<pre>{}</pre>", esc(&recipe.to_toml()));
    h.push_str(
        "<h2>Data files</h2>\n<table><tr><th>file</th><th>SHA-256</th><th>verified</th></tr>\n",
    );
    for file in &manifest.dataset.files {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
            esc(&file.name),
            esc(&file.sha256),
            if file.verified { "yes" } else { "no" }
        );
    }
    h.push_str("</table>\n</body></html>\n");
    h
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1200px;padding:0 1em;color:#222}\
h1{font-size:1.6em}h2{margin-top:1.6em;border-bottom:1px solid #ccc}\
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}\
table.kv th,table.kv td{text-align:left}th{background:#f3f3f3}\
table.confusion td.diag{background:#dde8ff;font-weight:bold}\
.figs{display:flex;flex-wrap:wrap;gap:1em}figure{margin:0}img{max-width:100%;border:1px solid #ddd}\
figcaption{font-size:.9em;color:#555}pre{background:#f6f6f6;padding:1em;overflow:auto}";
