//! Helpers for the end-to-end tests: find the built `ae` binary, run it in a scratch folder,
//! write datasets in their real on-disk formats, and check run folders and error output.
//!
//! The tests run `target/<profile>/ae`, which `cargo test --release --workspace` builds (the
//! `ae` package has integration tests, so cargo builds its binary before any test runs). When
//! running this package alone, build the binary first (`cargo build --release -p ae`), or point
//! `AE_BIN` at one.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use tempfile::TempDir;

/// The `ae` binary: `$AE_BIN`, else `ae` in the profile folder above this test's `deps/`.
pub fn ae_binary() -> PathBuf {
    if let Some(bin) = std::env::var_os("AE_BIN") {
        return PathBuf::from(bin);
    }
    let exe = std::env::current_exe().expect("path of the test executable");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test executable lives in target/<profile>/deps");
    let bin = profile_dir.join(format!("ae{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.is_file(),
        "{} not found: build it with `cargo build --release -p ae` (cargo test --release --workspace does), or set AE_BIN",
        bin.display()
    );
    bin
}

/// The repository's bundled MNIST subset.
pub fn mnist_mini_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/mnist-mini")
}

/// The repository's `models/` folder.
pub fn models_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../models")
}

/// A scratch working folder for `ae`, with its own dataset cache (nothing from the user's
/// cache or `$AE_DATA_DIR` leaks in).
pub struct Scratch {
    pub dir: TempDir,
}

impl Default for Scratch {
    fn default() -> Self {
        Self::new()
    }
}

impl Scratch {
    pub fn new() -> Self {
        Scratch {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs `ae` with `args` in this folder.
    pub fn ae(&self, args: &[&str]) -> Output {
        Command::new(ae_binary())
            .args(args)
            .current_dir(self.path())
            .env("XDG_CACHE_HOME", self.path().join("cache"))
            .env_remove("AE_DATA_DIR")
            .env_remove("RUST_BACKTRACE")
            .output()
            .expect("run ae")
    }

    /// Runs `ae` and asserts success; returns stdout.
    pub fn ae_ok(&self, args: &[&str]) -> String {
        let out = self.ae(args);
        assert!(
            out.status.success(),
            "ae {args:?} failed ({:?}):\nstdout:\n{}\nstderr:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A new empty sub-folder.
    pub fn subdir(&self, name: &str) -> PathBuf {
        let dir = self.path().join(name);
        std::fs::create_dir_all(&dir).expect("create dir");
        dir
    }

    /// Runs [`quick_train_args`] with `ae`, asserts success and returns the run folder.
    pub fn train_quick(
        &self,
        recipe: &str,
        limit: &str,
        test_limit: &str,
        extra: &[&str],
    ) -> PathBuf {
        let stdout = self.ae_ok(&quick_train_args(recipe, limit, test_limit, extra));
        run_folder(&stdout, self.path())
    }
}

/// `train RECIPE --epochs 1 --limit LIMIT --test-limit TEST_LIMIT` followed by `extra`: the
/// arguments of a quick one-epoch run on a subset.
pub fn quick_train_args<'a>(
    recipe: &'a str,
    limit: &'a str,
    test_limit: &'a str,
    extra: &[&'a str],
) -> Vec<&'a str> {
    let mut args = vec![
        "train",
        recipe,
        "--epochs",
        "1",
        "--limit",
        limit,
        "--test-limit",
        test_limit,
    ];
    args.extend_from_slice(extra);
    args
}

/// The run folder named by the `run: <folder>` line that ends `ae train`'s output, resolved
/// against `cwd`.
pub fn run_folder(stdout: &str, cwd: &Path) -> PathBuf {
    let last = stdout.lines().last().unwrap_or_default();
    let folder = last
        .strip_prefix("run: ")
        .unwrap_or_else(|| panic!("output does not end with `run: <folder>`:\n{stdout}"));
    cwd.join(folder)
}

/// Reads a JSON file.
pub fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Asserts a finished run folder holds everything `ae train` promises: recipe, manifest
/// (completed), metrics (one row per stage and epoch), checkpoints, plots, grids and report.
pub fn assert_complete_run(run: &Path, stages: usize, epochs_per_stage: usize) -> Value {
    for file in [
        "recipe.toml",
        "manifest.json",
        "metrics.json",
        "metrics.csv",
        "report.html",
        "checkpoints/best.json",
        "checkpoints/last.json",
        "plots/loss.png",
    ] {
        let path = run.join(file);
        let len = std::fs::metadata(&path)
            .unwrap_or_else(|e| panic!("{} missing: {e}", path.display()))
            .len();
        assert!(len > 0, "{} is empty", path.display());
    }
    let manifest = read_json(&run.join("manifest.json"));
    assert_eq!(manifest["status"], "completed", "manifest: {manifest}");
    assert_eq!(
        manifest["stages"].as_array().map(Vec::len),
        Some(stages),
        "manifest stages: {manifest}"
    );
    let metrics = read_json(&run.join("metrics.json"));
    let epochs = metrics["epochs"].as_array().expect("metrics.epochs");
    assert_eq!(
        epochs.len(),
        stages * epochs_per_stage,
        "epochs in metrics.json"
    );
    for e in epochs {
        let loss = e["train_loss"].as_f64().expect("train_loss");
        assert!(loss.is_finite() && loss >= 0.0, "train loss {loss}");
    }
    let csv = std::fs::read_to_string(run.join("metrics.csv")).expect("metrics.csv");
    assert_eq!(
        csv.lines().count(),
        1 + stages * epochs_per_stage,
        "metrics.csv rows"
    );
    let best = read_json(&run.join("checkpoints/best.json"));
    let best_dir = run
        .join("checkpoints")
        .join(best["dir"].as_str().expect("best.dir"));
    for file in ["model.bpk", "state.json"] {
        assert!(
            best_dir.join(file).is_file(),
            "{} missing",
            best_dir.join(file).display()
        );
    }
    let report = std::fs::read_to_string(run.join("report.html")).expect("report.html");
    assert!(report.contains("<html") && report.contains("data:image/png;base64"));
    let grids: Vec<_> = std::fs::read_dir(run.join("grids"))
        .expect("grids folder")
        .collect();
    assert!(!grids.is_empty(), "no image grids");
    metrics
}

/// Asserts a failure as users see it: exit code != 0, stderr ending with exactly one line starting
/// with `error:` that contains each of `needles`, no panic message, nothing on stdout.
pub fn assert_clean_failure(out: &Output, needles: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !out.status.success(),
        "expected a failure, got success:\n{stderr}"
    );
    assert_ne!(
        out.status.code(),
        Some(101),
        "exit code 101 is a panic:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "panic in stderr:\n{stderr}");
    assert!(
        !stderr.contains("RUST_BACKTRACE"),
        "backtrace hint in stderr:\n{stderr}"
    );
    // Progress lines may come first; the error is one line, the last one.
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    let errors: Vec<&&str> = lines.iter().filter(|l| l.starts_with("error")).collect();
    assert_eq!(
        errors.len(),
        1,
        "expected one error line on stderr:\n{stderr}"
    );
    let last = lines.last().copied().unwrap_or_default();
    assert!(
        last.starts_with("error: "),
        "the error is not the last line:\n{stderr}"
    );
    let lines = [last];
    for needle in needles {
        assert!(lines[0].contains(needle), "{needle:?} not in: {stderr}");
    }
    assert!(
        out.stdout.is_empty(),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    lines[0].to_string()
}

/// Copies the bundled MNIST subset's four gzipped IDX files into `dir` under the same names as
/// Fashion-MNIST's: a Fashion-MNIST folder in the real format (8,000 / 2,000 images) whose
/// digests are not the published ones, so `ae` needs `--accept-unverified` for it.
pub fn write_fashion_lookalike(dir: &Path) {
    std::fs::create_dir_all(dir).expect("create dir");
    for name in [
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ] {
        std::fs::copy(mnist_mini_dir().join(name), dir.join(name)).expect("copy IDX file");
    }
}

/// Writes CIFAR-10's binary files (`data_batch_1..5.bin`, `test_batch.bin`) in the real format
/// (records of 1 label byte + 3×32×32 channel-major pixels) with `per_file` records each:
/// images whose colour and stripes depend on the class, plus pseudo-random noise.
pub fn write_cifar(dir: &Path, per_file: usize) {
    std::fs::create_dir_all(dir).expect("create dir");
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 32) as u32
    };
    // data_batch_1.bin .. data_batch_5.bin, then test_batch.bin.
    let files = (1..=5)
        .map(|i| format!("data_batch_{i}.bin"))
        .chain(["test_batch.bin".to_string()]);
    for name in files {
        let mut bytes = Vec::with_capacity(per_file * 3073);
        for i in 0..per_file {
            let label = (i % 10) as u8;
            bytes.push(label);
            for c in 0..3usize {
                for y in 0..32usize {
                    for x in 0..32usize {
                        let base = 40 + 20 * ((label as usize + c) % 10);
                        let stripe = if (x + y * label as usize) % 8 < 4 {
                            30
                        } else {
                            0
                        };
                        let noise = (next() % 24) as usize;
                        bytes.push((base + stripe + noise).min(255) as u8);
                    }
                }
            }
        }
        std::fs::write(dir.join(name), bytes).expect("write CIFAR batch");
    }
}

/// An IDX image file header claiming `n` images of 28×28 followed by `bytes` pixel bytes.
pub fn idx_images(n: u32, bytes: usize) -> Vec<u8> {
    let mut out = vec![0, 0, 0x08, 0x03];
    for dim in [n, 28, 28] {
        out.extend_from_slice(&dim.to_be_bytes());
    }
    out.extend(std::iter::repeat_n(7u8, bytes));
    out
}

/// An IDX label file with `labels`.
pub fn idx_labels(labels: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, 0x08, 0x01];
    out.extend_from_slice(&(labels.len() as u32).to_be_bytes());
    out.extend_from_slice(labels);
    out
}

/// Writes a grey 28 × 28 PNG: a white vertical stroke (a "1") on black; returns its pixels.
pub fn write_stroke_png(path: &Path) -> Vec<u8> {
    let mut pixels = vec![0u8; 28 * 28];
    for y in 5..23 {
        for x in 13..16 {
            pixels[y * 28 + x] = 255;
        }
    }
    let file = std::fs::File::create(path).expect("create PNG");
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), 28, 28);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    encoder
        .write_header()
        .expect("PNG header")
        .write_image_data(&pixels)
        .expect("PNG data");
    pixels
}
