//! `ae embed`, `ae robustness`, `ae predict` and `ae reconstruct` as a user runs them on a
//! small stacked-mnist run, and their one-line errors.

use ae_e2e::{Scratch, assert_clean_failure, read_json, write_stroke_png};

#[test]
fn the_analysis_commands_work_on_a_trained_run_and_fail_in_one_line() {
    let scratch = Scratch::new();
    let run = scratch.train_quick("stacked-mnist", "500", "200", &["--quiet"]);
    let run_arg = run.to_str().unwrap();

    // embed: the autoencoder's 256-d code, PCA by default.
    let out = scratch.ae_ok(&["embed", run_arg, "--limit", "150", "--knn-train", "500"]);
    assert!(out.contains("encoder: 256-d autoencoder code"), "{out}");
    assert!(out.contains("5-NN accuracy of the codes"), "{out}");
    assert!(out.contains("explained variance"), "{out}");
    assert!(run.join("analysis/embedding-pca.png").is_file());
    let csv = std::fs::read_to_string(run.join("analysis/embedding-pca.csv")).unwrap();
    assert_eq!(csv.lines().count(), 151);

    // robustness: level 0 is `ae eval`'s accuracy.
    let eval = scratch.ae_ok(&["eval", run_arg, "--json"]);
    let eval: serde_json::Value = serde_json::from_str(&eval).unwrap();
    let accuracy = eval["test_accuracy"].as_f64().unwrap();
    let table = scratch.ae_ok(&["robustness", run_arg, "--levels", "0,0.5"]);
    let level0 = table
        .lines()
        .find(|l| l.trim_start().starts_with("0 "))
        .unwrap();
    assert!(
        level0.ends_with(&format!("{:.2}%", 100.0 * accuracy)),
        "{table}\nvs eval {accuracy}"
    );
    let saved = read_json(&run.join("analysis/robustness-gaussian.json"));
    assert_eq!(saved["curves"][0]["values"][0].as_f64(), Some(accuracy));
    assert!(run.join("analysis/robustness-gaussian.png").is_file());
    let html = std::fs::read_to_string(run.join("report.html")).unwrap();
    assert!(html.contains("ae robustness") && html.contains("ae embed"));

    // predict and reconstruct on a picture drawn as PNG.
    let picture = scratch.path().join("stroke.png");
    write_stroke_png(&picture);
    let pic = picture.to_str().unwrap();
    let out = scratch.ae_ok(&["predict", run_arg, pic]);
    let line = out.lines().next().unwrap();
    assert!(line.starts_with(&format!("{pic}: ")), "{out}");
    assert_eq!(line.matches('%').count(), 3, "{out}");
    let json: serde_json::Value =
        serde_json::from_str(&scratch.ae_ok(&["predict", run_arg, pic, "--json"])).unwrap();
    let top = json[0]["predictions"].as_array().unwrap();
    assert_eq!(top.len(), 3);
    let total: f64 = top.iter().map(|p| p["probability"].as_f64().unwrap()).sum();
    assert!(total > 0.0 && total <= 1.0 + 1e-6);
    let out = scratch.ae_ok(&["reconstruct", run_arg, pic, "--out", "rec"]);
    assert!(out.contains("stroke-reconstruction.png"), "{out}");
    assert!(
        scratch
            .path()
            .join("rec/stroke-reconstruction.png")
            .is_file()
    );

    // Bad input: one line naming what was wrong.
    let out = scratch.ae(&["embed", run_arg, "--method", "umap"]);
    assert_clean_failure(&out, &["unknown method 'umap'", "pca or tsne"]);
    let out = scratch.ae(&["robustness", run_arg, "--levels", ""]);
    assert_clean_failure(&out, &["empty level list"]);
    let out = scratch.ae(&["robustness", run_arg, "--noise", "blur"]);
    assert_clean_failure(&out, &["unknown noise 'blur'"]);
    let notes = scratch.path().join("notes.png");
    std::fs::write(&notes, "not a picture").unwrap();
    let out = scratch.ae(&["predict", run_arg, notes.to_str().unwrap()]);
    assert_clean_failure(&out, &["notes.png", "not a PNG or JPEG"]);
    let out = scratch.ae(&["predict", run_arg, "missing.png"]);
    assert_clean_failure(&out, &["missing.png", "cannot read"]);
    let bare = scratch.subdir("bare-run");
    for file in ["recipe.toml", "manifest.json"] {
        std::fs::copy(run.join(file), bare.join(file)).unwrap();
    }
    let out = scratch.ae(&["embed", bare.to_str().unwrap()]);
    assert_clean_failure(&out, &["bare-run", "no trained model"]);
    let out = scratch.ae(&["embed", scratch.subdir("empty").to_str().unwrap()]);
    assert_clean_failure(&out, &["not a run folder"]);
}
