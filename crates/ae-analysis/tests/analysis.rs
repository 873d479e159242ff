//! The analyses on a small run trained on the bundled MNIST subset: robustness at level 0 is
//! the evaluation, predictions on pictures written as PNG are the model's predictions on the
//! same tensors, the embedding files and report, and every bad input gives its error.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ae_analysis::{
    DataChoice, EmbedOptions, ModelChoice, NoiseKind, PictureOptions, Projection,
    RobustnessOptions, TrainedModel, embed, parse_levels, predict, reconstruct, robustness,
    write_png,
};
use ae_data::{DataLocator, DatasetName, Prepared, Resize, load_dataset};
use ae_train::{EvalOptions, Recipe, RunOptions, evaluate, read_metrics, train};
use burn::tensor::Device;

fn mini_data() -> DataLocator {
    DataLocator {
        data_dir: Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/mnist-mini")),
        allow_download: false,
        ..DataLocator::default()
    }
}

/// A 784-64-784 autoencoder then a 64-10 classifier, one epoch each on 1,000 digits.
const SMALL: &str = r#"
name = "analysis-test"
dataset = "mnist-mini"
batch_size = 50
limit = 1000
test_limit = 300

[model]
kind = "stacked"
hidden = [64]

[[stages]]
name = "ae-64"
kind = "reconstruction"
epochs = 1
optimizer = { kind = "adam", lr = 1e-3 }

[[stages]]
name = "classifier"
kind = "classification"
epochs = 2
head = { classes = 10, input = 64 }
optimizer = { kind = "sgd", lr = 0.1 }
"#;

/// The run, trained once for all the tests of this file (in a folder kept until exit).
fn small_run() -> &'static Path {
    static RUN: OnceLock<PathBuf> = OnceLock::new();
    RUN.get_or_init(|| {
        let out = tempfile::tempdir().unwrap().keep();
        let mut options = RunOptions::new(Device::flex());
        options.data = mini_data();
        options.out_dir = out;
        options.observers = ae_report::observers(false, ae_report::grids::GridScale::Grid);
        let recipe = Recipe::from_toml_str(SMALL, "test recipe").unwrap();
        train(&recipe, &options).unwrap().run_dir
    })
}

fn data_choice() -> DataChoice {
    DataChoice {
        locator: mini_data(),
        ..DataChoice::default()
    }
}

#[test]
fn robustness_at_level_zero_equals_the_evaluation() {
    let run = small_run();
    let mut eval_options = EvalOptions::new(Device::flex());
    eval_options.data = mini_data();
    let eval = evaluate(run, &eval_options).unwrap();

    let mut options = RobustnessOptions::new(Device::flex());
    options.data = data_choice();
    options.levels = vec![0.0, 1.0];
    let report = robustness(&[run.to_path_buf()], &options).unwrap();
    assert_eq!(report.metric, "accuracy");
    let curve = &report.curves[0];
    assert_eq!(curve.samples, 300);
    assert_eq!(Some(curve.values[0]), eval.test.test_accuracy);
    // Noise of std 1 (on pixels in [0, 1]) costs accuracy.
    assert!(curve.values[1] < curve.values[0], "{:?}", curve.values);

    // The autoencoder: level 0 is the clean test MSE recorded for its last epoch.
    options.checkpoint = ModelChoice::Autoencoder;
    options.levels = vec![0.0, 0.3];
    let report = robustness(&[run.to_path_buf()], &options).unwrap();
    assert_eq!(report.metric, "mse");
    let metrics = read_metrics(run).unwrap();
    let recorded = metrics
        .epochs
        .iter()
        .find(|r| r.stage == 1)
        .unwrap()
        .test_loss;
    let measured = report.curves[0].values[0];
    assert!(
        (measured - recorded).abs() <= 1e-9 * recorded,
        "{measured} vs {recorded}"
    );
    assert!(report.curves[0].values[1] > measured);

    // Written files: a CSV row per run and level, the plot.
    let dir = tempfile::tempdir().unwrap();
    let (csv, png) = report.write(dir.path()).unwrap();
    let text = std::fs::read_to_string(csv).unwrap();
    assert_eq!(text.lines().count(), 1 + 2);
    assert!(text.lines().nth(1).unwrap().contains(",gaussian,0,mse,"));
    assert!(png.is_file());
}

#[test]
fn predictions_on_pictures_written_as_png_agree_with_the_model_on_the_tensors() {
    let run = small_run();
    let model = TrainedModel::open(run, ModelChoice::Best, &Device::flex()).unwrap();
    let data = load_dataset(DatasetName::MnistMini, &mini_data()).unwrap();
    let test = Prepared::new(&data.test.take(12).unwrap(), Resize::Keep);
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for i in 0..test.len() {
        let path = dir.path().join(format!("digit{i}.png"));
        write_png(&path, test.image(i), [1, 28, 28]).unwrap();
        paths.push(path);
    }
    let predictions = predict(&model, &paths, PictureOptions::default(), 3).unwrap();
    let probabilities = model.probabilities(test.pixels()).unwrap();
    for (i, p) in predictions.iter().enumerate() {
        let row = &probabilities[i * 10..(i + 1) * 10];
        let best = (0..10).max_by(|&a, &b| row[a].total_cmp(&row[b])).unwrap();
        assert_eq!(p.top[0].class, best, "image {i}");
        assert_eq!(p.top.len(), 3);
        for score in &p.top {
            assert!((score.probability - f64::from(row[score.class])).abs() < 1e-6);
        }
        assert!(p.top[0].probability >= p.top[1].probability);
    }
    // Inverting a picture changes what the model sees, so at least one prediction changes
    // or loses confidence.
    let inverted = predict(
        &model,
        &paths,
        PictureOptions {
            invert: true,
            center: false,
        },
        1,
    )
    .unwrap();
    assert!(
        inverted
            .iter()
            .zip(&predictions)
            .any(|(a, b)| a.top[0].class != b.top[0].class
                || (a.top[0].probability - b.top[0].probability).abs() > 1e-3)
    );

    // The run's autoencoder reconstructs the same pictures: the written PNG holds the input
    // beside its reconstruction.
    let auto = TrainedModel::open(run, ModelChoice::AutoencoderOrBest, &Device::flex()).unwrap();
    let out = dir.path().join("rec");
    let files = reconstruct(&auto, &paths[..2], PictureOptions::default(), &out).unwrap();
    assert_eq!(files.len(), 2);
    assert!(files[0].output.ends_with("digit0-reconstruction.png"));
    assert!(files[0].mse > 0.0 && files[0].mse < 0.2, "{}", files[0].mse);
    let (w, h) = png_size(&files[0].output);
    assert_eq!((w, h), ae_report::grids::image_grid_size(1, 2, 28, 28));
}

#[test]
fn embedding_writes_the_plot_the_coordinates_and_the_report_section() {
    let run = small_run();
    let mut options = EmbedOptions::new(Device::flex());
    options.data = data_choice();
    options.limit = 200;
    options.knn_reference = 1000;
    let report = embed(run, &options).unwrap();
    // The run kept its autoencoder: its 64-d code is what gets embedded.
    assert_eq!(report.code_size, 64);
    assert_eq!(report.stage, "ae-64");
    assert_eq!(report.points, 200);
    assert_eq!(report.knn_reference, 1000);
    // Even after one epoch the code separates digits far better than chance (10%).
    assert!(
        report.knn_accuracy > 0.5,
        "k-NN accuracy {}",
        report.knn_accuracy
    );
    assert!(
        report.knn_pixels_accuracy > 0.5,
        "pixels {}",
        report.knn_pixels_accuracy
    );
    let [a, b] = report.explained_variance.unwrap();
    assert!(a >= b && b > 0.0 && a + b <= 1.0);
    let csv = std::fs::read_to_string(&report.csv).unwrap();
    assert_eq!(csv.lines().count(), 201);
    assert_eq!(csv.lines().next().unwrap(), "index,label,class,x,y");
    let (w, h) = ae_analysis::SCATTER_SIZE;
    assert_eq!(png_size(&report.png), (w as usize, h as usize));
    let html = std::fs::read_to_string(run.join("report.html")).unwrap();
    assert!(html.contains("<h2>Analyses</h2>") && html.contains("ae embed"));

    // The fine-tuned classifier's encoder gives the same size of code, another checkpoint.
    options.checkpoint = ModelChoice::Best;
    options.out_dir = Some(tempfile::tempdir().unwrap().keep());
    let best = embed(run, &options).unwrap();
    assert_eq!(best.stage, "classifier");
    assert_ne!(best.checkpoint, report.checkpoint);
}

#[test]
fn bad_inputs_name_what_was_wrong() {
    let run = small_run();
    let device = Device::flex();
    let message = |e: ae_train::TrainError| e.to_string();

    // A folder that is not a run, and a run folder without a trained model.
    let dir = tempfile::tempdir().unwrap();
    let e = message(TrainedModel::open(dir.path(), ModelChoice::Best, &device).unwrap_err());
    assert!(e.contains("not a run folder"), "{e}");
    let bare = dir.path().join("bare-run");
    std::fs::create_dir_all(&bare).unwrap();
    for file in ["recipe.toml", "manifest.json"] {
        std::fs::copy(run.join(file), bare.join(file)).unwrap();
    }
    let e = message(TrainedModel::open(&bare, ModelChoice::Best, &device).unwrap_err());
    assert!(
        e.contains("bare-run") && e.contains("no trained model"),
        "{e}"
    );

    // A run whose autoencoder pointer is gone (as in a recipe without autoencoder).
    let no_ae = dir.path().join("no-ae");
    copy_dir(run, &no_ae);
    std::fs::remove_file(no_ae.join("checkpoints/autoencoder.json")).unwrap();
    let e = message(TrainedModel::open(&no_ae, ModelChoice::Autoencoder, &device).unwrap_err());
    assert!(
        e.contains("no-ae") && e.contains("no trained autoencoder"),
        "{e}"
    );
    // ... so reconstruct falls back to the classifier, which cannot reconstruct.
    let classifier = TrainedModel::open(&no_ae, ModelChoice::AutoencoderOrBest, &device).unwrap();
    let e = message(classifier.reconstructions(&[0.0; 784]).unwrap_err());
    assert!(e.contains("reconstruct needs an autoencoder"), "{e}");

    // Unknown method, noise and checkpoint names; empty level list.
    let e = message(Projection::parse("umap").unwrap_err());
    assert!(
        e.contains("unknown method 'umap'") && e.contains("pca or tsne"),
        "{e}"
    );
    let e = message(NoiseKind::parse("blur").unwrap_err());
    assert!(e.contains("unknown noise 'blur'"), "{e}");
    let e = message(ModelChoice::parse("first").unwrap_err());
    assert!(e.contains("unknown checkpoint 'first'"), "{e}");
    let e = message(parse_levels(" ").unwrap_err());
    assert!(e.contains("empty level list"), "{e}");
    let mut options = RobustnessOptions::new(device.clone());
    options.levels = Vec::new();
    let e = message(robustness(&[run.to_path_buf()], &options).unwrap_err());
    assert!(e.contains("empty level list"), "{e}");

    // An unreadable picture is named.
    let model = TrainedModel::open(run, ModelChoice::Best, &device).unwrap();
    let fake = dir.path().join("photo.jpg");
    std::fs::write(&fake, b"GIF89a not really").unwrap();
    let e = message(predict(&model, &[fake], PictureOptions::default(), 3).unwrap_err());
    assert!(e.contains("photo.jpg") && e.contains("PNG or JPEG"), "{e}");

    // t-SNE on too few points.
    let mut options = EmbedOptions::new(device);
    options.data = data_choice();
    options.projection = Projection::Tsne;
    options.limit = 50;
    options.out_dir = Some(dir.path().join("out"));
    let e = message(embed(run, &options).unwrap_err());
    assert!(
        e.contains("t-SNE") && e.contains("at least 91 points"),
        "{e}"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn png_size(path: &Path) -> (usize, usize) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .unwrap();
    let info = reader.info();
    (info.width as usize, info.height as usize)
}

/// LeNet-5 for a few steps on 32 × 32 digits (bilinear resize).
const LENET: &str = r#"
name = "lenet-analysis-test"
dataset = "mnist-mini"
resize = "bilinear32"
batch_size = 50
limit = 300
test_limit = 200

[model]
kind = "lenet"

[[stages]]
name = "lenet5"
kind = "classification"
epochs = 1
optimizer = { kind = "adam", lr = 1e-3 }
"#;

#[test]
fn lenet_runs_embed_their_84_features_and_have_no_autoencoder() {
    let out = tempfile::tempdir().unwrap();
    let mut run_options = RunOptions::new(Device::flex());
    run_options.data = mini_data();
    run_options.out_dir = out.path().to_path_buf();
    run_options.observers = ae_report::observers(false, ae_report::grids::GridScale::Grid);
    let recipe = Recipe::from_toml_str(LENET, "test recipe").unwrap();
    let run = train(&recipe, &run_options).unwrap().run_dir;
    assert!(!run.join("checkpoints/autoencoder.json").exists());

    let mut options = EmbedOptions::new(Device::flex());
    options.data = data_choice();
    options.limit = 100;
    options.knn_reference = 300;
    let report = embed(&run, &options).unwrap();
    assert_eq!(report.code_size, 84);
    assert_eq!(report.code, "LeNet-5's 84-d penultimate layer");

    // Pictures go through the recipe's bilinear 32 × 32 resize, like the test set.
    let model = TrainedModel::open(&run, ModelChoice::Best, &Device::flex()).unwrap();
    let data = load_dataset(DatasetName::MnistMini, &mini_data()).unwrap();
    let raw = data.test.take(3).unwrap();
    let prepared = Prepared::new(&raw, Resize::Bilinear32);
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for i in 0..3 {
        let path = dir.path().join(format!("d{i}.png"));
        let pixels: Vec<f32> = raw.image(i).iter().map(|&b| f32::from(b) / 255.0).collect();
        write_png(&path, &pixels, [1, 28, 28]).unwrap();
        paths.push(path);
    }
    let inputs = ae_analysis::inputs(&model, &paths, PictureOptions::default()).unwrap();
    assert_eq!(inputs, prepared.pixels());

    let e = TrainedModel::open(&run, ModelChoice::Autoencoder, &Device::flex())
        .unwrap_err()
        .to_string();
    assert!(e.contains("no trained autoencoder"), "{e}");
}
