//! A user's own data, tried as a new user would: the bundled digits written out as a folder of
//! PNGs with class folders (renamed so that the names are the folders' own), trained on, evaluated,
//! embedded and predicted with the folder's class names; the decoded cache reused; a corrupt
//! picture named in one line (or skipped and listed); a `.npz` of the same pictures giving the
//! same result; an unlabelled folder trained by reconstruction and refused for classification.

use std::path::Path;

use ae_e2e::{Scratch, assert_clean_failure, read_json, run_folder};

/// Renames the class folders `0`..`9` of `split` to `digit-0`..`digit-9` (same sorted order).
fn rename_classes(folder: &Path) {
    for split in ["train", "test"] {
        for d in 0..10 {
            let from = folder.join(split).join(d.to_string());
            std::fs::rename(&from, folder.join(split).join(format!("digit-{d}"))).unwrap();
        }
    }
}

fn final_accuracy(run: &Path) -> f64 {
    read_json(&run.join("metrics.json"))["test_accuracy"]
        .as_f64()
        .unwrap()
}

#[test]
fn a_folder_of_pictures_trains_and_names_its_classes_everywhere() {
    let scratch = Scratch::new();
    let folder = scratch.path().join("digits");
    let out = scratch.ae_ok(&["datasets", "mnist-mini", "--write-folder", "digits"]);
    assert!(out.contains("wrote 10000 pictures"), "{out}");
    rename_classes(&folder);
    let listing = scratch.ae_ok(&["datasets", "digits"]);
    assert!(listing.contains("10 classes"), "{listing}");
    assert!(listing.contains("digit-7"), "{listing}");
    assert!(listing.contains("882 train, 188 test"), "{listing}");

    let train = [
        "train",
        "lenet-mnist-adam",
        "--dataset",
        "digits",
        "--epochs",
        "2",
        "--limit",
        "3000",
        "--test-limit",
        "500",
        "--quiet",
    ];
    let run = run_folder(&scratch.ae_ok(&train), scratch.path());
    let manifest = read_json(&run.join("manifest.json"));
    let dataset = &manifest["dataset"];
    assert_eq!(
        dataset["name"].as_str(),
        Some(std::fs::canonicalize(&folder).unwrap().to_str().unwrap())
    );
    let names: Vec<String> = (0..10).map(|d| format!("digit-{d}")).collect();
    assert_eq!(dataset["class_names"], serde_json::json!(names));
    assert_eq!(dataset["from_cache"], serde_json::Value::Null);
    assert_eq!(dataset["input_shape"], serde_json::json!([1, 32, 32]));
    let accuracy = final_accuracy(&run);
    // Two epochs of LeNet (Adam) on 3,000 digits (measured 2026-12-02: 85.6%); chance is 10%.
    assert!(accuracy > 0.7, "accuracy {accuracy}");
    let metrics = read_json(&run.join("metrics.json"));
    assert_eq!(metrics["class_names"], serde_json::json!(names));

    // eval names the classes by their folders.
    let run_arg = run.to_str().unwrap();
    let eval = scratch.ae_ok(&["eval", run_arg]);
    assert!(eval.contains("digit-3"), "{eval}");
    // predict: a test picture of a 7 is found to be one.
    let seven = std::fs::read_dir(folder.join("test/digit-7"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let predicted = scratch.ae_ok(&["predict", run_arg, seven.to_str().unwrap()]);
    assert!(predicted.contains("digit-"), "{predicted}");
    // embed's CSV carries the class names.
    scratch.ae_ok(&["embed", run_arg, "--limit", "100", "--knn-train", "200"]);
    let csv = std::fs::read_to_string(run.join("analysis/embedding-pca.csv")).unwrap();
    assert!(csv.lines().nth(1).unwrap().contains(",digit-"), "{csv}");
    // ... and so do the projector's files beside the run's TensorBoard logs.
    let tensorboard = run.join("tensorboard");
    assert!(tensorboard.join("projector_config.pbtxt").is_file());
    let metadata = std::fs::read_to_string(tensorboard.join("metadata.tsv")).unwrap();
    assert_eq!(metadata.lines().count(), 101, "{metadata}");
    assert!(metadata.contains("\tdigit-"), "{metadata}");
    let events = std::fs::read_dir(&tensorboard)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("events.out.tfevents.")
        })
        .count();
    assert!(events >= 1, "no event file in {}", tensorboard.display());

    // A second run reuses the decoded pictures and gets the same result.
    let again = run_folder(&scratch.ae_ok(&train), scratch.path());
    let manifest = read_json(&again.join("manifest.json"));
    assert_eq!(manifest["dataset"]["from_cache"], serde_json::json!(true));
    assert_eq!(final_accuracy(&again), accuracy);

    // The same pictures as a .npz (in the order training reads them) give the same result.
    scratch.ae_ok(&[
        "datasets",
        "digits",
        "--write-npz",
        "digits.npz",
        "--image-shape",
        "1,28,28",
    ]);
    let mut from_npz = train;
    from_npz[3] = "digits.npz";
    let npz_run = run_folder(&scratch.ae_ok(&from_npz), scratch.path());
    assert_eq!(final_accuracy(&npz_run), accuracy);
    let npz_names = read_json(&npz_run.join("manifest.json"))["dataset"]["class_names"].clone();
    assert_eq!(
        npz_names,
        serde_json::json!((0..10).map(|d| d.to_string()).collect::<Vec<_>>())
    );

    // A corrupt picture stops the run in one line naming it; --skip-unreadable leaves it out.
    let broken = folder.join("train/digit-4/broken.png");
    std::fs::write(&broken, b"\x89PNG\r\n\x1a\nnot really").unwrap();
    let failed = scratch.ae(&train);
    let line = assert_clean_failure(&failed, &["broken.png"]);
    assert!(line.contains("digit-4"), "{line}");
    let mut skipping = train.to_vec();
    skipping.push("--skip-unreadable");
    let skipped_run = run_folder(&scratch.ae_ok(&skipping), scratch.path());
    let skipped = &read_json(&skipped_run.join("manifest.json"))["dataset"]["skipped"];
    assert_eq!(skipped.as_array().map(Vec::len), Some(1), "{skipped}");
    assert!(
        skipped[0]["file"].as_str().unwrap().ends_with("broken.png"),
        "{skipped}"
    );
}

#[test]
fn an_unlabelled_folder_trains_an_autoencoder_and_refuses_classification() {
    let scratch = Scratch::new();
    scratch.ae_ok(&["datasets", "mnist-mini", "--write-folder", "digits"]);
    // Pictures straight in the folder: no classes. 600 of them, seeded split.
    let plain = scratch.subdir("plain");
    let mut copied = 0;
    for class in std::fs::read_dir(scratch.path().join("digits/train")).unwrap() {
        let class = class.unwrap().path();
        let name = class.file_name().unwrap().to_string_lossy().into_owned();
        for picture in std::fs::read_dir(&class).unwrap().take(60) {
            let picture = picture.unwrap().path();
            let file = format!("{name}-{}", picture.file_name().unwrap().to_string_lossy());
            std::fs::copy(&picture, plain.join(file)).unwrap();
            copied += 1;
        }
    }
    assert_eq!(copied, 600);
    let recipe = r#"
name = "plain-ae"
dataset = "plain"
image_shape = [1, 28, 28]
test_fraction = 0.25
batch_size = 50

[model]
kind = "stacked"
hidden = [64]
activation = "tanh"
output_activation = "sigmoid"

[[stages]]
kind = "reconstruction"
epochs = 10
optimizer = { kind = "adam", lr = 1e-2 }
"#;
    std::fs::write(scratch.path().join("plain-ae.toml"), recipe).unwrap();
    let run = run_folder(
        &scratch.ae_ok(&["train", "plain-ae.toml", "--quiet"]),
        scratch.path(),
    );
    let manifest = read_json(&run.join("manifest.json"));
    assert_eq!(manifest["dataset"]["train_samples"], 450);
    assert_eq!(manifest["dataset"]["test_samples"], 150);
    assert_eq!(
        manifest["dataset"]["seeded_split"]["test_fraction"],
        serde_json::json!(0.25)
    );
    let mse = read_json(&run.join("metrics.json"))["test_mse"]
        .as_f64()
        .unwrap();
    // Ten epochs of a 784-64-784 autoencoder (measured 2026-12-02: 0.038); the mean picture
    // alone gives 0.068.
    assert!(mse < 0.05, "test MSE {mse}");

    let refused = scratch.ae(&[
        "train",
        "stacked-mnist",
        "--dataset",
        "plain",
        "--epochs",
        "1",
    ]);
    assert_clean_failure(&refused, &["needs labels", "plain"]);
}
