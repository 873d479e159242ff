//! `ae` with no arguments, `ae datasets`, `ae bench`, and resuming an interrupted run.

use ae_e2e::{Scratch, assert_complete_run, quick_train_args, read_json, run_folder, write_cifar};

#[test]
fn train_without_a_recipe_uses_the_built_in_default_from_any_folder() {
    // The scratch folder has no models/: the default recipe comes from the binary.
    let scratch = Scratch::new();
    let out = scratch.ae(&["train", "--epochs", "1", "--limit", "200"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("training stacked-mnist (built-in stacked-mnist.toml) on mnist-mini"),
        "{stderr}"
    );
    // One line per epoch on a non-terminal stderr.
    assert_eq!(
        stderr.lines().filter(|l| l.contains("epoch 1/1")).count(),
        3,
        "{stderr}"
    );
    let run = run_folder(&stdout, scratch.path());
    assert!(run.starts_with(scratch.path().join("runs")));
    assert_complete_run(&run, 3, 1);
}

#[test]
fn datasets_lists_every_dataset_with_where_and_how_many() {
    let scratch = Scratch::new();
    let data = scratch.subdir("data");
    write_cifar(&data.join("cifar10").join("cifar-10-batches-bin"), 3);
    let out = scratch.ae_ok(&["datasets", "--data-dir", data.to_str().unwrap()]);
    let line = |name: &str| {
        out.lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("{name} not listed:\n{out}"))
            .to_string()
    };
    assert!(line("cifar10").contains("found"), "{out}");
    assert!(out.contains("15 train / 3 test images of 3x32x32"), "{out}");
    assert!(line("mnist").contains("missing"), "{out}");
    assert!(line("fashion-mnist").contains("missing"), "{out}");
    // With an explicit --data-dir nothing else is searched, not even the bundled subset.
    assert!(line("mnist-mini").contains("missing"), "{out}");

    let out = scratch.ae_ok(&["datasets"]);
    let mini = out
        .lines()
        .skip_while(|l| !l.starts_with("mnist-mini"))
        .take(2)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(mini.contains("found"), "{out}");
    assert!(
        mini.contains("8000 train / 2000 test images of 1x28x28"),
        "{out}"
    );
    assert!(
        mini.contains("all 4 files match their published digests"),
        "{out}"
    );
}

#[test]
fn bench_json_has_one_row_per_recipe_and_stage() {
    let scratch = Scratch::new();
    let out = scratch.ae_ok(&[
        "bench",
        "lenet-mnist",
        "stacked-mnist",
        "--steps",
        "2",
        "--warmup",
        "1",
        "--limit",
        "200",
        "--json",
    ]);
    let rows: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let rows = rows.as_array().expect("array");
    assert_eq!(rows.len(), 1 + 3);
    assert_eq!(rows[0]["recipe"], "lenet-mnist");
    assert_eq!(rows[0]["stage"], "lenet5");
    for row in rows {
        for key in [
            "recipe",
            "stage",
            "backend",
            "batch",
            "step_median_s",
            "step_min_s",
            "step_max_s",
            "epoch_s",
            "samples_per_s",
            "step_gflops",
            "matmul_gflops",
        ] {
            assert!(!row[key].is_null(), "{key} missing in {row}");
        }
        assert_eq!(row["backend"], "flex");
        assert!(
            row["matmul_library"]
                .as_str()
                .unwrap()
                .starts_with("flex: BLAS "),
            "{row}"
        );
        // On a CPU with AVX-512 the binary has OpenBLAS pick its AVX-512 kernels
        // (`ae_blas::prefer_avx512_kernels`), so no OpenBLAS is refused for weaker ones.
        if std::env::var_os("OPENBLAS_CORETYPE").is_none() {
            assert!(
                !row["matmul_library"]
                    .as_str()
                    .unwrap()
                    .contains("on a CPU with AVX-512"),
                "{row}"
            );
        }
        assert_eq!(row["batch"], 100);
        let (min, med, max) = (
            row["step_min_s"].as_f64().unwrap(),
            row["step_median_s"].as_f64().unwrap(),
            row["step_max_s"].as_f64().unwrap(),
        );
        assert!(0.0 < min && min <= med && med <= max, "{row}");
        assert!(row["samples_per_s"].as_f64().unwrap() > 0.0);
    }
    assert_eq!(rows[3]["recipe"], "stacked-mnist");
    assert_eq!(rows[3]["stage"], "classifier-256-10");
    // FLOPs of a step: 3 × the forward multiply-adds × 2 × batch 100. LeNet-5: conv1
    // 6·28·28·25, conv2 16·10·10·150, dense 400·120 + 120·84 + 84·10 multiply-adds.
    let lenet_macs: u64 = 117_600 + 240_000 + 48_000 + 10_080 + 840;
    assert_eq!(rows[0]["step_flops"], 3 * 2 * lenet_macs * 100);
    // 784-400-784: 2 × 784·400 multiply-adds.
    assert_eq!(rows[1]["step_flops"], 3 * 2 * 2 * 313_600 * 100);
    let gflops = rows[1]["step_gflops"].as_f64().unwrap();
    let expected =
        rows[1]["step_flops"].as_f64().unwrap() / rows[1]["step_median_s"].as_f64().unwrap() / 1e9;
    assert!(
        (gflops - expected).abs() <= 1e-9 * expected,
        "{gflops} vs {expected}"
    );

    // The table form has a header and the same rows.
    let table = scratch.ae_ok(&[
        "bench",
        "lenet-mnist",
        "--steps",
        "1",
        "--warmup",
        "0",
        "--limit",
        "100",
    ]);
    let mut lines = table.lines();
    assert!(lines.next().unwrap().starts_with("roof: "), "{table}");
    assert!(
        lines.next().unwrap().starts_with("matrix products: flex"),
        "{table}"
    );
    assert!(lines.next().unwrap().contains("step med"), "{table}");
    assert!(lines.next().unwrap().starts_with("lenet-mnist"), "{table}");
}

#[test]
fn an_interrupted_run_resumes_to_the_same_result_as_an_uninterrupted_one() {
    let scratch = Scratch::new();
    let mut args = quick_train_args("stacked-mnist", "400", "500", &["--quiet"]);
    let whole = run_folder(&scratch.ae_ok(&args), scratch.path());

    // 5 steps into stage 1 (4 steps per epoch): stage 2 has begun.
    args.extend_from_slice(&["--interrupt-after-steps", "5", "--out", "cut"]);
    let out = scratch.ae(&args);
    let line = ae_e2e::assert_clean_failure(&out, &["interrupted", "ae train --resume"]);
    let cut = line.rsplit(' ').next().unwrap().trim().to_string();
    let cut = scratch.path().join(cut);
    assert!(cut.is_dir(), "{line}");
    assert_eq!(
        read_json(&cut.join("manifest.json"))["status"],
        "interrupted"
    );

    let stdout = scratch.ae_ok(&["train", "--resume", cut.to_str().unwrap(), "--quiet"]);
    assert_eq!(run_folder(&stdout, scratch.path()), cut);
    let resumed = assert_complete_run(&cut, 3, 1);
    let original = read_json(&whole.join("metrics.json"));
    for key in ["test_accuracy", "per_class_accuracy", "confusion_matrix"] {
        assert_eq!(resumed[key], original[key], "{key} differs after resuming");
    }
    for (a, b) in resumed["epochs"]
        .as_array()
        .unwrap()
        .iter()
        .zip(original["epochs"].as_array().unwrap())
    {
        assert_eq!(a["train_loss"], b["train_loss"]);
        assert_eq!(a["test_loss"], b["test_loss"]);
    }
}
