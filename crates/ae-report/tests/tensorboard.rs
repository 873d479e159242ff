//! The TensorBoard observer on a tiny training (1,000 bundled MNIST digits, a 784-32-784
//! autoencoder for 2 epochs, then its classifier for 1; a few seconds): the event files read
//! back with ae-tensorboard's reader hold every value of metrics.csv at its epoch, the
//! training loss every `CHECK_EVERY` steps, the grids the run folder has, the recipe as
//! hparams and text, and the session's end; an interrupted and resumed run adds an event file
//! and logs the same series.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ae_data::DataLocator;
use ae_report::WeightPictures;
use ae_report::grids::GridScale;
use ae_report::tensorboard::{TENSORBOARD_DIR, TensorBoard, epoch_scalars};
use ae_tensorboard::EventLog;
use ae_tensorboard::proto::{Status, value};
use ae_train::{Recipe, RunOptions, TrainError, resume, train};
use burn::tensor::Device;

const RECIPE: &str = r#"
name = "tensorboard-test"
dataset = "mnist-mini"
batch_size = 50
limit = 1000
test_limit = 200

[model]
kind = "stacked"
hidden = [32]

[[stages]]
name = "ae-32"
kind = "reconstruction"
epochs = 2
optimizer = { kind = "sgd", lr = 0.5 }

[[stages]]
name = "classifier"
kind = "classification"
epochs = 1
head = { input = 32 }
optimizer = { kind = "sgd", lr = 0.1 }
"#;

fn options(out: &Path) -> RunOptions {
    let mut o = RunOptions::new(Device::flex());
    o.data = DataLocator {
        data_dir: Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/mnist-mini")),
        allow_download: false,
        ..DataLocator::default()
    };
    o.out_dir = out.to_path_buf();
    // As the binary has them (no progress), with the TensorBoard observer after the grids.
    o.observers = ae_report::observers(false, GridScale::Grid);
    o.observers.push(Arc::new(TensorBoard::strict()));
    o
}

fn recipe() -> Recipe {
    Recipe::from_toml_str(RECIPE, "test recipe").unwrap()
}

/// metrics.csv as (column -> cell) maps, one per epoch.
fn metrics_csv(run_dir: &Path) -> Vec<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(run_dir.join("metrics.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            assert_eq!(cells.len(), header.len(), "{line}");
            header
                .iter()
                .zip(cells)
                .map(|(h, c)| (h.to_string(), c.to_string()))
                .collect()
        })
        .collect()
}

/// The scalar tag a metrics.csv column is logged under (`None`: not a scalar).
fn tag_of(column: &str, kind: &str) -> Option<String> {
    let loss = if kind == "reconstruction" {
        "mse"
    } else {
        "nll"
    };
    let tag = match column {
        "train_loss" => format!("loss/train_{loss}"),
        "test_loss" => format!("loss/test_{loss}"),
        "test_mse_noisy" => "loss/test_mse_noisy".into(),
        "train_penalty" => "loss/train_penalty".into(),
        "train_accuracy" => "accuracy/train".into(),
        "test_accuracy" => "accuracy/test".into(),
        "mean_per_class_accuracy" => "accuracy/test_mean_per_class".into(),
        "inactive_fraction" => "code/inactive_fraction".into(),
        "mean_abs_code" => "code/mean_abs".into(),
        "mean_abs_code_noisy" => "code/mean_abs_noisy".into(),
        "lr" => "optim/lr".into(),
        "stage" => "run/stage".into(),
        "seconds" => "time/epoch_seconds".into(),
        "step_seconds" => "time/step_seconds".into(),
        c => {
            let class = c.strip_prefix("class_")?.strip_suffix("_accuracy")?;
            format!("class_accuracy/{class}")
        }
    };
    Some(tag)
}

/// Every metrics.csv value is the scalar of its tag at its epoch (as the f32 TensorBoard
/// keeps), and an empty cell has none.
fn assert_scalars_match_metrics(run_dir: &Path, log: &EventLog) {
    let rows = metrics_csv(run_dir);
    assert_eq!(rows.len(), 3);
    let mut checked = 0;
    for row in &rows {
        let epoch: i64 = row["global_epoch"].parse().unwrap();
        for (column, cell) in row {
            let Some(tag) = tag_of(column, &row["kind"]) else {
                continue;
            };
            let at_epoch: Vec<f32> = log
                .scalar(&tag)
                .iter()
                .filter(|(step, _)| *step == epoch)
                .map(|(_, v)| *v)
                .collect();
            if cell.is_empty() {
                assert!(
                    at_epoch.is_empty(),
                    "{tag} at epoch {epoch}: {at_epoch:?}, no value in metrics.csv"
                );
                continue;
            }
            let want = cell.parse::<f64>().unwrap() as f32;
            assert_eq!(
                at_epoch,
                [want],
                "{tag} at epoch {epoch} (metrics.csv {column} = {cell})"
            );
            checked += 1;
        }
    }
    // 3 epochs: losses, lr, stage, seconds, step seconds; code statistics (2) and accuracies
    // with the ten classes (1).
    assert!(checked >= 3 * 6 + 2 * 2 + 13, "{checked} values checked");
    // Nothing logged per epoch that metrics.csv does not hold, but the throughput.
    for tag in log.scalars.keys() {
        let known = rows.iter().any(|row| {
            row.keys()
                .any(|c| tag_of(c, &row["kind"]).as_deref() == Some(tag.as_str()))
        });
        assert!(
            known || tag.starts_with("steps/") || tag == "time/images_per_second",
            "{tag} is not a metrics.csv column"
        );
    }
}

fn tensorboard_dir(run_dir: &Path) -> PathBuf {
    run_dir.join(TENSORBOARD_DIR)
}

#[test]
fn a_run_logs_its_metrics_steps_grids_and_recipe() {
    let out = tempfile::tempdir().unwrap();
    let summary = train(&recipe(), &options(out.path())).unwrap();
    let run_dir = &summary.run_dir;
    let log = EventLog::read_dir(&tensorboard_dir(run_dir)).unwrap();
    assert_eq!((log.files.len(), log.file_versions), (1, 1));

    assert_scalars_match_metrics(run_dir, &log);
    // What `epoch_scalars` gives is what was logged.
    for record in &summary.epochs {
        for (tag, value) in epoch_scalars(record) {
            assert!(
                log.scalar(&tag)
                    .contains(&(record.global_epoch as i64, value as f32)),
                "{tag}"
            );
        }
    }

    // 20 steps an epoch, the loss read back at the 20th: run steps 20 and 40 (autoencoder),
    // 60 (classifier).
    let steps = |tag: &str| log.scalar(tag).iter().map(|(s, _)| *s).collect::<Vec<_>>();
    assert_eq!(steps("steps/train_mse"), [20, 40]);
    assert_eq!(steps("steps/train_nll"), [60]);
    assert!(
        log.scalar("steps/train_mse")
            .iter()
            .all(|(_, v)| v.is_finite() && *v > 0.0)
    );

    // The weight grids at initialisation (step 0) and after each stage (its last epoch, 2 and
    // 3), byte for byte; the reconstruction after the autoencoder stage.
    let grids = run_dir.join("grids");
    let pictures = WeightPictures::read(&grids).unwrap().unwrap();
    let epoch_of_stage = [0, 2, 3];
    for layer in &pictures.layers {
        let logged = &log.images[&format!("weights/{}", layer.name)];
        let logged_steps: Vec<i64> = logged.iter().map(|i| i.step).collect();
        let wanted: Vec<i64> = layer
            .snapshots
            .iter()
            .map(|s| epoch_of_stage[s.stage])
            .collect();
        assert_eq!(logged_steps, wanted, "weights/{}", layer.name);
        let last = layer.snapshots.last().unwrap();
        let png = std::fs::read(grids.join(&last.picture)).unwrap();
        let image = logged.last().unwrap();
        assert_eq!(image.png, png);
        assert_eq!(
            Some((image.width, image.height, image.channels)),
            ae_tensorboard::png_info(&png)
        );
        let updates = layer
            .snapshots
            .iter()
            .filter(|s| s.update.is_some())
            .count();
        let logged_updates = log
            .images
            .get(&format!("weights/{}_update", layer.name))
            .map_or(0, Vec::len);
        assert_eq!(logged_updates, updates, "weights/{}_update", layer.name);
    }
    assert!(!pictures.layers.is_empty());
    let reconstruction = &log.images["images/reconstruction"];
    assert_eq!(reconstruction.len(), 1);
    assert_eq!(reconstruction[0].step, 2);

    // The recipe: hparams (flattened, stages from 1), its TOML as text, how the session ended.
    assert_eq!(log.session_starts.len(), 1);
    let hparams = &log.session_starts[0].hparams;
    let number = |k: &str| match &hparams[k].kind {
        Some(value::Kind::NumberValue(v)) => *v,
        other => panic!("{k}: {other:?}"),
    };
    let text = |k: &str| match &hparams[k].kind {
        Some(value::Kind::StringValue(v)) => v.clone(),
        other => panic!("{k}: {other:?}"),
    };
    assert_eq!(number("batch_size"), 50.0);
    assert_eq!(number("stages.1.epochs"), 2.0);
    assert_eq!(number("stages.2.optimizer.lr"), 0.1);
    assert_eq!(text("model.kind"), "stacked");
    assert_eq!(text("stages.2.kind"), "classification");
    assert_eq!(text("dataset"), "mnist-mini");
    let recipe_text = &log.texts["recipe"][0].1;
    assert!(
        recipe_text.contains("name = \"tensorboard-test\""),
        "{recipe_text}"
    );
    assert!(log.texts["stages"][0].1.contains("classifier"));
    assert_eq!(log.session_ends.len(), 1);
    assert_eq!(log.session_ends[0].status, Status::Success as i32);
    assert_eq!(log.texts["run/status"][0], (3, "completed".to_string()));
}

#[test]
fn a_resumed_run_adds_an_event_file_and_continues_the_series() {
    let out = tempfile::tempdir().unwrap();
    let mut interrupted = options(out.path());
    // Step 10 of the autoencoder's second epoch.
    interrupted.interrupt_after_steps = Some(30);
    let run_dir = match train(&recipe(), &interrupted).unwrap_err() {
        TrainError::Interrupted { run_dir, .. } => run_dir,
        other => panic!("expected an interrupt, got {other}"),
    };
    let before = EventLog::read_dir(&tensorboard_dir(&run_dir)).unwrap();
    assert_eq!(before.files.len(), 1);
    assert_eq!(before.scalar("loss/train_mse").len(), 1);
    // Interrupted: the session is not over.
    assert!(before.session_ends.is_empty());

    resume(&run_dir, &options(out.path())).unwrap();
    let log = EventLog::read_dir(&tensorboard_dir(&run_dir)).unwrap();
    assert_eq!((log.files.len(), log.file_versions), (2, 2));
    assert_scalars_match_metrics(&run_dir, &log);
    let steps = |tag: &str| log.scalar(tag).iter().map(|(s, _)| *s).collect::<Vec<_>>();
    assert_eq!(steps("steps/train_mse"), [20, 40]);
    assert_eq!(steps("steps/train_nll"), [60]);
    // The hparams once, the resume noted, one end.
    assert_eq!(log.session_starts.len(), 1);
    assert_eq!(log.texts["run/resumed"][0].0, 1);
    assert_eq!(log.session_ends.len(), 1);
}

#[test]
fn a_failing_write_warns_and_the_run_goes_on_or_fails_when_strict() {
    let out = tempfile::tempdir().unwrap();
    // A file where the run's folders go: the TensorBoard folder cannot be created.
    let blocked = |o: &mut RunOptions, observer: TensorBoard| {
        o.observers = ae_train::Observers::none()
            .with(Arc::new(Blocker))
            .with(Arc::new(observer));
    };
    let mut quiet = options(out.path());
    blocked(&mut quiet, TensorBoard::new());
    let mut r = recipe();
    for stage in &mut r.stages {
        stage.epochs = 1;
    }
    let summary = train(&r, &quiet).unwrap();
    assert!(tensorboard_dir(&summary.run_dir).is_file());

    let mut strict = options(out.path());
    blocked(&mut strict, TensorBoard::strict());
    let error = train(&r, &strict).unwrap_err();
    assert!(
        matches!(&error, TrainError::Io { path, .. } if path.ends_with(TENSORBOARD_DIR)),
        "{error}"
    );
}

/// An observer that puts a file where the TensorBoard folder would be.
struct Blocker;

impl ae_train::Observer for Blocker {
    fn run_started(&self, run: &ae_train::RunStart<'_>) -> Result<(), TrainError> {
        std::fs::write(tensorboard_dir(run.run_dir), b"in the way").unwrap();
        Ok(())
    }
}
