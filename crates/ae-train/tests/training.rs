//! Training on the bundled MNIST subset (`assets/mnist-mini`, 8000 / 2000 real digits) on flex:
//! models learn, the stacking strategies build the right stacks, the run folder is complete,
//! NaN stops a stage, and an interrupted-then-resumed run equals an uninterrupted one.

use std::path::Path;

use ae_data::{BatchLoader, DataLocator, DatasetName, Prepared, Resize, load_dataset};
use ae_models::{Activation, EncoderClassifier, StackedAutoencoderConfig};
use ae_report::grids::{image_grid_size, weight_grid_size};
use ae_report::{LayerPictures, WeightPictures};
use ae_train::{
    BenchOptions, EpochRecord, EvalOptions, MetricsFile, Recipe, RunOptions, RunSummary, StageKind,
    TrainError, Which, bench, evaluate, read_metrics, resume, train,
};
use burn::module::Module;
use burn::tensor::Device;

fn mini_data() -> DataLocator {
    DataLocator {
        data_dir: Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/mnist-mini")),
        allow_download: false,
        ..DataLocator::default()
    }
}

fn options(out: &Path) -> RunOptions {
    let mut o = RunOptions::new(Device::flex());
    o.data = mini_data();
    o.out_dir = out.to_path_buf();
    // The grids and the report, as the binary has them (no progress output).
    o.observers = ae_report::observers(false, ae_report::grids::GridScale::Grid);
    o
}

fn recipe(text: &str) -> Recipe {
    Recipe::from_toml_str(text, "test recipe").unwrap()
}

/// PNG width and height.
fn png_size(path: &Path) -> (usize, usize) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let decoder = png::Decoder::new(std::io::BufReader::new(file));
    let reader = decoder.read_info().unwrap();
    let info = reader.info();
    (info.width as usize, info.height as usize)
}

/// Records without the wall time, which differs between runs.
fn without_time(records: &[EpochRecord]) -> Vec<EpochRecord> {
    records
        .iter()
        .cloned()
        .map(|mut r| {
            r.seconds = 0.0;
            r.step_seconds = 0.0;
            r
        })
        .collect()
}

const STACKED: &str = r#"
name = "stacked-test"
dataset = "mnist-mini"
batch_size = 100
test_limit = 1000
strategy = "greedy"

[model]
kind = "stacked"
hidden = [400]

[[stages]]
name = "ae-400"
kind = "reconstruction"
epochs = 2
optimizer = { kind = "sgd", lr = 0.98 }

[[stages]]
name = "ae-256"
kind = "reconstruction"
epochs = 1
grow = { hidden = 256, activation = "tanh" }
optimizer = { kind = "sgd", lr = 0.98 }

[[stages]]
name = "classifier"
kind = "classification"
epochs = 2
head = { input = 256 }
optimizer = { kind = "sgd", lr = 0.1 }
"#;

/// The greedy stacked pipeline on all 8000 training digits: the AE's test MSE falls, the
/// stack grows, the classifier beats 80%, and the run folder holds everything.
#[test]
fn greedy_stacked_pipeline_learns_and_writes_a_complete_run_folder() {
    let out = tempfile::tempdir().unwrap();
    let summary = train(&recipe(STACKED), &options(out.path())).unwrap();
    let e = &summary.epochs;
    assert_eq!(e.len(), 5);

    // Reconstruction: the test MSE falls over the two epochs, well below the ~0.23 of an
    // untrained 784-400-784 (the reference measured 0.2315 at init).
    assert_eq!(e[0].kind, StageKind::Reconstruction);
    assert!(e[0].test_loss < 0.2, "epoch 1 test MSE {}", e[0].test_loss);
    assert!(
        e[1].test_loss < e[0].test_loss,
        "{} !< {}",
        e[1].test_loss,
        e[0].test_loss
    );
    assert!(e[0].inactive_fraction.is_some() && e[0].mean_abs_code.is_some());
    // No noise in this stage: no noisy-input code statistics.
    assert_eq!(e[0].mean_abs_code_noisy, None);

    // Greedy growth: 784-400-784, then 784-400-256-400-784, then the classifier.
    assert_eq!(
        summary.architectures,
        vec![
            "dense autoencoder 784-400-784".to_string(),
            "dense autoencoder 784-400-256-400-784".to_string(),
            "dense classifier 784-400-256-10".to_string(),
        ]
    );
    // Classification after pretraining.
    let acc = summary.final_metrics.test_accuracy.unwrap();
    assert!(acc > 0.80, "test accuracy {acc}");
    assert_eq!(e[4].stage, 3);
    assert_eq!(e[4].epoch, 2);
    assert_eq!(e[4].global_epoch, 5);
    assert_eq!(e[4].train_samples, 8000);
    assert_eq!(e[4].steps, 80);
    // Every epoch records the time inside its steps, a part of its loop's time.
    for r in e {
        assert!(
            r.step_seconds > 0.0 && r.step_seconds <= r.seconds,
            "epoch {}: {} s in steps of a {} s loop",
            r.global_epoch,
            r.step_seconds,
            r.seconds
        );
    }

    check_run_folder(&summary);
}

fn check_run_folder(summary: &RunSummary) {
    let dir = &summary.run_dir;
    for file in [
        "recipe.toml",
        "manifest.json",
        "metrics.csv",
        "metrics.json",
        "report.html",
        "checkpoints/last.json",
        "checkpoints/best.json",
        "checkpoints/tiles-encoder-3.tiles",
        "checkpoints/tiles-decoder-2.tiles",
    ] {
        assert!(dir.join(file).is_file(), "{file} missing");
    }
    // The resolved recipe parses back.
    let stored = Recipe::from_file(&dir.join("recipe.toml")).unwrap();
    assert_eq!(stored.name, "stacked-test");

    // Manifest.
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["status"], "completed");
    assert_eq!(manifest["backend"], "flex");
    assert_eq!(manifest["burn_version"], "0.22.1");
    assert_eq!(manifest["dataset"]["name"], "mnist-mini");
    assert_eq!(manifest["dataset"]["train_samples"], 8000);
    assert_eq!(manifest["dataset"]["test_samples"], 1000);
    let files = manifest["dataset"]["files"].as_array().unwrap();
    assert_eq!(files.len(), 4);
    assert!(
        files
            .iter()
            .all(|f| f["sha256"].as_str().unwrap().len() == 64 && f["verified"] == true)
    );
    assert!(manifest["end_time"].as_str().unwrap().ends_with('Z'));

    // metrics.csv: a header and one row per epoch, all with the header's cell count.
    let csv = std::fs::read_to_string(dir.join("metrics.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 1 + summary.epochs.len());
    let cells = lines[0].split(',').count();
    assert!(lines.iter().all(|l| l.split(',').count() == cells));
    assert!(lines[1].starts_with("1,ae-400,reconstruction,1,1,"));

    // metrics.json equals what training returned, and its accuracy is the confusion matrix's.
    let metrics: MetricsFile = read_metrics(dir).unwrap();
    assert_eq!(metrics.epochs, summary.epochs);
    let matrix = metrics.final_metrics.confusion_matrix.clone().unwrap();
    assert_eq!(matrix.total(), 1000);
    assert_eq!(
        metrics.final_metrics.test_accuracy,
        Some(matrix.correct() as f64 / 1000.0)
    );
    recount_accuracy(dir, &metrics);

    // `evaluate` on the best checkpoint reproduces the best epoch's accuracy.
    let mut eval_options = EvalOptions::new(Device::flex());
    eval_options.data = mini_data();
    let report = evaluate(dir, &eval_options).unwrap();
    let best = metrics.best.clone().unwrap();
    let best_record = metrics
        .epochs
        .iter()
        .find(|r| r.stage == best.stage && r.epoch == best.epoch)
        .unwrap();
    assert_eq!(report.test.test_accuracy, best_record.test_accuracy);
    assert_eq!(report.test.samples, 1000);
    assert_eq!(report.test.kind, StageKind::Classification);

    // Plots and grids with their expected pixel sizes.
    let curve = (
        ae_report::plots::CURVE_SIZE.0 as usize,
        ae_report::plots::CURVE_SIZE.1 as usize,
    );
    assert_eq!(png_size(&dir.join("plots/loss.png")), curve);
    assert_eq!(png_size(&dir.join("plots/accuracy.png")), curve);
    let confusion = (
        ae_report::plots::CONFUSION_SIZE.0 as usize,
        ae_report::plots::CONFUSION_SIZE.1 as usize,
    );
    assert_eq!(png_size(&dir.join("plots/confusion.png")), confusion);
    let weights = weight_grid_size(400, None, 28, 28);
    assert_eq!(weights, (1162, 1162));
    // Every layer at initialisation and after each stage, with each stage's update; the
    // decoder's output layer is not part of the classifier.
    let record = WeightPictures::read(&dir.join("grids")).unwrap().unwrap();
    let layers: Vec<&str> = record.layers.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(layers, ["encoder", "decoder"]);
    let files = |layer: &LayerPictures| -> Vec<String> {
        let mut files = Vec::new();
        for s in &layer.snapshots {
            files.push(s.picture.clone());
            files.extend(s.update.clone());
        }
        files
    };
    assert_eq!(
        files(&record.layers[0]),
        [
            "encoder-0-initial.png",
            "encoder-1-ae-400.png",
            "encoder-1-ae-400-update.png",
            "encoder-2-ae-256.png",
            "encoder-2-ae-256-update.png",
            "encoder-3-classifier.png",
            "encoder-3-classifier-update.png",
        ]
    );
    assert_eq!(files(&record.layers[1]).len(), 5);
    for file in record.layers.iter().flat_map(files) {
        let path = dir.join("grids").join(&file);
        assert_eq!(png_size(&path), weights, "{}", path.display());
    }
    // The stored initial weights are PyTorch's U(-1/sqrt(784), 1/sqrt(784)): about 1% of them
    // lie within 1% of the largest magnitude.
    let initial = &record.layers[0].snapshots[0];
    assert!(
        (initial.near_zero_fraction - 0.01).abs() < 0.002 && initial.max_abs <= 1.0 / 28.0,
        "{initial:?}"
    );
    // Clean and reconstructed rows of ten digits (no noise in this recipe).
    assert_eq!(
        png_size(&dir.join("grids/reconstruction.png")),
        image_grid_size(2, 10, 28, 28)
    );

    // The report embeds every picture.
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let pngs = |folder: &str| {
        std::fs::read_dir(dir.join(folder))
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().extension() == Some("png".as_ref()))
            .count()
    };
    let pictures = pngs("plots") + pngs("grids");
    assert_eq!(
        html.matches("src=\"data:image/png;base64,").count(),
        pictures
    );
    assert!(html.contains("stacked-test") && html.contains("classifier"));
    assert!(!html.contains("src=\"plots/"));
}

/// Counts correct predictions of the last checkpoint's classifier directly, with a model built
/// from ae-models and the test images read by ae-data.
fn recount_accuracy(dir: &Path, metrics: &MetricsFile) {
    let last: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("checkpoints/last.json")).unwrap())
            .unwrap();
    let model_path = dir
        .join("checkpoints")
        .join(last["dir"].as_str().unwrap())
        .join("model.bpk");
    let device = Device::flex();
    let ae = StackedAutoencoderConfig::new(784, vec![400], Activation::Tanh, Activation::Sigmoid)
        .init(&device)
        .grow(256, Activation::Tanh, &device);
    let model = EncoderClassifier::from_stacked(ae, 10, &device).load_file(&model_path);
    let data = load_dataset(DatasetName::MnistMini, &mini_data()).unwrap();
    let test = std::sync::Arc::new(Prepared::new(&data.test.take(1000).unwrap(), Resize::Keep));
    let mut correct = 0usize;
    for batch in BatchLoader::new(test, 250).iter(0, &device) {
        let predicted = model.logits(batch.input).argmax(1).into_data();
        let labels = batch.targets.into_data();
        let predicted: Vec<i64> = predicted.iter::<i64>().collect();
        let labels: Vec<i64> = labels.iter::<i64>().collect();
        correct += predicted
            .iter()
            .zip(&labels)
            .filter(|(p, l)| p == l)
            .count();
    }
    assert_eq!(
        metrics.final_metrics.test_accuracy,
        Some(correct as f64 / 1000.0),
        "metrics.json accuracy differs from a recount"
    );
}

#[test]
fn end_to_end_strategy_trains_the_full_stack_from_the_start() {
    let out = tempfile::tempdir().unwrap();
    let text = STACKED
        .replace("strategy = \"greedy\"", "strategy = \"end-to-end\"")
        .replace("epochs = 2", "epochs = 1")
        .replace("test_limit = 1000", "test_limit = 300\nlimit = 1000");
    let summary = train(&recipe(&text), &options(out.path())).unwrap();
    assert_eq!(
        summary.architectures,
        vec![
            "dense autoencoder 784-400-256-400-784".to_string(),
            "dense autoencoder 784-400-256-400-784".to_string(),
            "dense classifier 784-400-256-10".to_string(),
        ]
    );
    assert_eq!(summary.epochs.len(), 3);
    assert_eq!(summary.epochs[0].train_samples, 1000);
}

#[test]
fn lenet_learns_on_32x32_digits() {
    let out = tempfile::tempdir().unwrap();
    let text = r#"
name = "lenet-test"
dataset = "mnist-mini"
resize = "bilinear32"
batch_size = 100
test_limit = 1000

[model]
kind = "lenet"

[[stages]]
kind = "classification"
epochs = 2
optimizer = { kind = "adam", lr = 2e-3 }
"#;
    let summary = train(&recipe(text), &options(out.path())).unwrap();
    let e = &summary.epochs;
    assert!(e[1].train_loss < e[0].train_loss);
    assert!(e[1].test_loss < 1.0, "test NLL {}", e[1].test_loss);
    let acc = summary.final_metrics.test_accuracy.unwrap();
    assert!(acc > 0.8, "LeNet test accuracy {acc}");
    // As the LeNet lecture shows them, before, after and the difference, in one row each:
    // conv1's six 5×5 kernels, and the six input channels of conv2's first kernel.
    let grids = summary.run_dir.join("grids");
    for layer in ["conv1", "conv2-kernel1"] {
        for file in [
            "0-initial",
            "1-stage1-classification",
            "1-stage1-classification-update",
        ] {
            let path = grids.join(format!("{layer}-{file}.png"));
            assert_eq!(
                png_size(&path),
                weight_grid_size(6, Some(6), 5, 5),
                "{layer}-{file}"
            );
        }
    }
    let record = WeightPictures::read(&grids).unwrap().unwrap();
    assert_eq!(record.layers.len(), 2);
    assert_eq!(
        record.layers[1].title,
        "the 6 input channels of conv2's first kernel"
    );
}

const DENOISING: &str = r#"
name = "denoising-test"
dataset = "mnist-mini"
batch_size = 100
limit = 1000
test_limit = 300
seed = 3

[model]
kind = "stacked"
hidden = [400]

[[stages]]
kind = "reconstruction"
epochs = 2
noise = { kind = "gaussian", mean = 0.1, std = 0.2 }
sparsity = { kind = "l1", rho = 0.1 }
optimizer = { kind = "adam", lr = 1e-3 }

[[stages]]
kind = "classification"
epochs = 2
schedule = { kind = "cosine", min_lr = 0.01 }
optimizer = { kind = "sgd", lr = 0.1, momentum = 0.5 }
"#;

/// Interrupted twice (once within an epoch, once within the next stage) and resumed: the same
/// metrics as an uninterrupted run, bit for bit.
#[test]
fn an_interrupted_and_resumed_run_ends_like_an_uninterrupted_one() {
    let out = tempfile::tempdir().unwrap();
    let r = recipe(DENOISING);
    let reference = train(&r, &options(out.path())).unwrap();
    assert_eq!(reference.epochs.len(), 4);
    // The denoising stage measures noisy-input MSE and sparsity; the L1 penalty is reported.
    assert!(reference.epochs[0].test_mse_noisy.is_some());
    // The code's mean |h| is also measured on the noisy input, which changes the code.
    let noisy_code = reference.epochs[0].mean_abs_code_noisy.unwrap();
    let clean_code = reference.epochs[0].mean_abs_code.unwrap();
    assert!(
        noisy_code > 0.0 && noisy_code < 1.0 && (noisy_code - clean_code).abs() > 1e-6,
        "tanh code mean |h|: {noisy_code} with noisy input, {clean_code} with clean input"
    );
    assert!(reference.epochs[0].train_penalty.unwrap() > 0.0);

    let mut interrupted = options(out.path());
    interrupted.interrupt_after_steps = Some(15); // epoch 2 of stage 1, step 5 of 10
    let err = train(&r, &interrupted).unwrap_err();
    let run_dir = match err {
        TrainError::Interrupted {
            run_dir,
            stage,
            epoch,
            step,
            ..
        } => {
            assert_eq!((stage, epoch, step), (1, 2, 5));
            run_dir
        }
        other => panic!("expected an interrupt, got {other}"),
    };
    assert!(err_message_mentions_resume(&run_dir));
    let manifest = std::fs::read_to_string(run_dir.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"interrupted\""));

    // Resume, interrupted again inside the classifier stage's first epoch.
    let mut again = options(out.path());
    again.interrupt_after_steps = Some(12);
    match resume(&run_dir, &again).unwrap_err() {
        TrainError::Interrupted {
            stage, epoch, step, ..
        } => assert_eq!((stage, epoch, step), (2, 1, 7)),
        other => panic!("expected an interrupt, got {other}"),
    }
    // Resuming through `train` with the same recipe works too.
    let mut last = options(out.path());
    last.resume = Some(run_dir.clone());
    let resumed = train(&r, &last).unwrap();
    assert_eq!(resumed.run_dir, run_dir);
    assert_eq!(
        without_time(&resumed.epochs),
        without_time(&reference.epochs)
    );
    assert_eq!(resumed.final_metrics, reference.final_metrics);
    let manifest = std::fs::read_to_string(run_dir.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"completed\""));
    // Noisy / clean / reconstructed rows.
    assert_eq!(
        png_size(&run_dir.join("grids/reconstruction.png")),
        image_grid_size(3, 10, 28, 28)
    );
}

fn err_message_mentions_resume(run_dir: &Path) -> bool {
    let e = TrainError::Interrupted {
        run_dir: run_dir.to_path_buf(),
        stage: 1,
        stage_name: "x".into(),
        epoch: 1,
        step: 1,
    };
    e.to_string()
        .contains(&format!("--resume {}", run_dir.display()))
}

/// A 784-64-784 autoencoder for one epoch on 500 digits, then a classifier stage of
/// `classifier_epochs` with `classifier_optimizer`.
fn small_stacked(name: &str, classifier_epochs: usize, classifier_optimizer: &str) -> String {
    format!(
        r#"
name = "{name}"
dataset = "mnist-mini"
batch_size = 100
limit = 500
test_limit = 200

[model]
kind = "stacked"
hidden = [64]

[[stages]]
kind = "reconstruction"
epochs = 1
optimizer = {{ kind = "sgd", lr = 0.98 }}

[[stages]]
kind = "classification"
epochs = {classifier_epochs}
optimizer = {classifier_optimizer}
"#
    )
}

#[test]
fn a_huge_learning_rate_stops_the_stage_with_the_last_good_checkpoint_kept() {
    let out = tempfile::tempdir().unwrap();
    let text = small_stacked("nan-test", 2, r#"{ kind = "sgd", lr = 1e38 }"#);
    let err = train(&recipe(&text), &options(out.path())).unwrap_err();
    let (checkpoint, message) = match &err {
        TrainError::NonFinite {
            stage,
            epoch,
            step,
            checkpoint,
            ..
        } => {
            assert_eq!((*stage, *epoch), (2, 1));
            assert!((1..=5).contains(step), "step {step}");
            (checkpoint.clone().expect("a checkpoint"), err.to_string())
        }
        other => panic!("expected NaN/inf, got {other}"),
    };
    assert!(message.contains("epoch 1, step"), "{message}");
    assert!(
        checkpoint.ends_with("stage1-epoch001"),
        "{}",
        checkpoint.display()
    );
    assert!(checkpoint.join("model.bpk").is_file());
    let run_dir = checkpoint.parent().unwrap().parent().unwrap();
    let manifest = std::fs::read_to_string(run_dir.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"failed\""));
    // The first stage's epoch is kept in the metrics.
    let metrics = read_metrics(run_dir).unwrap();
    assert_eq!(metrics.epochs.len(), 1);
}

#[test]
fn conv_autoencoder_pipeline_runs_on_padded_digits() {
    let out = tempfile::tempdir().unwrap();
    let text = r#"
name = "conv-test"
dataset = "mnist-mini"
resize = "pad32"
batch_size = 32
limit = 64
test_limit = 32
seed = 2

[model]
kind = "conv-autoencoder"
code_size = 32
# A sigmoid output passes a gradient at any seed (the notebook's ReLU output can be dead from
# the first step, and then the encoder does not change).
output_activation = "sigmoid"

[[stages]]
kind = "reconstruction"
epochs = 1
optimizer = { kind = "adam", lr = 1e-3 }

[[stages]]
kind = "classification"
epochs = 1
freeze_encoder = true
head = { input = 32 }
optimizer = { kind = "adam", lr = 1e-3 }
"#;
    let summary = train(&recipe(text), &options(out.path())).unwrap();
    assert_eq!(summary.epochs.len(), 2);
    assert!(summary.epochs[0].test_loss.is_finite());
    // conv1's 64 grey 3×3 kernels, 8 to a row, at initialisation and after each stage; the
    // classifier stage froze the encoder, so it has no update picture and is recorded as
    // unchanged.
    let grids = summary.run_dir.join("grids");
    for file in [
        "0-initial",
        "1-stage1-reconstruction",
        "1-stage1-reconstruction-update",
        "2-stage2-classification",
    ] {
        let path = grids.join(format!("conv1-{file}.png"));
        assert_eq!(
            png_size(&path),
            weight_grid_size(64, Some(8), 3, 3),
            "{file}"
        );
    }
    assert!(
        !grids
            .join("conv1-2-stage2-classification-update.png")
            .exists()
    );
    let record = WeightPictures::read(&grids).unwrap().unwrap();
    let conv1 = &record.layers[0].snapshots;
    assert_eq!((conv1[1].unchanged, conv1[2].unchanged), (false, true));
    assert_eq!(
        png_size(&summary.run_dir.join("grids/reconstruction.png")),
        image_grid_size(2, 10, 32, 32)
    );
}

#[test]
fn bench_times_every_stage() {
    let mut o = BenchOptions::new(Device::flex());
    o.data = mini_data();
    o.steps = 3;
    o.warmup = 1;
    o.limit = Some(300);
    let rows = bench(&recipe(STACKED), &o).unwrap();
    assert_eq!(rows.len(), 3);
    for row in &rows {
        assert_eq!(row.recipe, "stacked-test");
        assert_eq!(row.backend, "flex");
        assert_eq!(row.batch, 100);
        assert!(
            row.step_min_s > 0.0
                && row.step_min_s <= row.step_median_s
                && row.step_median_s <= row.step_max_s
        );
        assert!(row.epoch_s > 0.0 && row.samples_per_s > 0.0);
        assert!(row.eval_s > 0.0 && row.test_samples > 0);
    }
    assert_eq!(rows[1].stage, "ae-256");
}

#[test]
fn resuming_refuses_a_folder_that_is_not_a_run() {
    let dir = tempfile::tempdir().unwrap();
    let err = resume(dir.path(), &options(dir.path())).unwrap_err();
    assert!(err.to_string().contains("recipe.toml"), "{err}");
    // Evaluating it fails the same way.
    let mut eval_options = EvalOptions::new(Device::flex());
    eval_options.checkpoint = Which::Last;
    assert!(evaluate(dir.path(), &eval_options).is_err());
}

#[test]
fn trains_on_the_ndarray_backend_too() {
    let out = tempfile::tempdir().unwrap();
    let text = small_stacked("ndarray-test", 1, r#"{ kind = "adam", lr = 1e-3 }"#);
    let mut o = options(out.path());
    #[allow(deprecated)]
    let device = Device::ndarray();
    o.device = device;
    let summary = train(&recipe(&text), &o).unwrap();
    assert_eq!(summary.epochs.len(), 2);
    assert!(summary.final_metrics.test_accuracy.unwrap() > 0.3);
    let manifest = std::fs::read_to_string(summary.run_dir.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"backend\": \"ndarray\""), "{manifest}");
}

const VAE: &str = r#"
name = "vae-test"
dataset = "mnist-mini"
batch_size = 128
limit = 2000
test_limit = 500

[model]
kind = "vae"

[[stages]]
name = "vae"
kind = "reconstruction"
epochs = 3
optimizer = { kind = "adam", lr = 1e-3 }
"#;

#[test]
fn a_vae_learns_on_digits_and_resumes_to_the_same_losses() {
    let out = tempfile::tempdir().unwrap();
    let r = recipe(VAE);
    let reference = train(&r, &options(out.path())).unwrap();
    let losses: Vec<f64> = reference.epochs.iter().map(|e| e.test_loss).collect();
    // Measured 2026-12-02: 245.6, 215.5, 206.6 nats per image; an untrained decoder gives
    // 784 · ln 2 ≈ 543.
    assert!(losses.windows(2).all(|w| w[1] < w[0]), "{losses:?}");
    assert!(losses[2] < 215.0, "{losses:?}");
    for e in &reference.epochs {
        let (recon, kl) = (e.test_recon.unwrap(), e.test_kl.unwrap());
        assert!((e.test_loss - (recon + kl)).abs() < 1e-9);
        assert!(kl > 0.0 && e.train_penalty.unwrap() > 0.0);
        assert!(e.active_units.unwrap() <= 20);
    }
    let m = &reference.final_metrics;
    assert_eq!(m.iw_samples, Some(100));
    assert!(m.iw_nll.unwrap() < losses[2], "{m:?}");
    assert!(reference.run_dir.join("grids/samples-003.png").is_file());

    // ε comes from each batch's seed: an interrupted and resumed run gives the same losses.
    let mut interrupted = options(out.path());
    interrupted.interrupt_after_steps = Some(20); // epoch 2, step 4 of 16
    let run_dir = match train(&r, &interrupted).unwrap_err() {
        TrainError::Interrupted { run_dir, .. } => run_dir,
        other => panic!("expected an interrupt, got {other}"),
    };
    let resumed = resume(&run_dir, &options(out.path())).unwrap();
    assert_eq!(
        without_time(&resumed.epochs),
        without_time(&reference.epochs)
    );
    assert_eq!(resumed.final_metrics, reference.final_metrics);
}
