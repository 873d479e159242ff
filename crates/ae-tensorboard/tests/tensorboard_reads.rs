//! TensorBoard itself reads what this crate writes: an event file with scalars, a PNG image, a
//! text and hparams, and a projector folder, read by `tests/tensorboard/read_events.py` with
//! TensorBoard's `EventAccumulator`, its data provider (what the dashboards query), and its
//! hparams and projector plugins.
//!
//! Python is `$AE_PYTHON` or `python3`. Without the `tensorboard` package the test prints
//! "skipped: tensorboard not installed" and passes, except under CI (`CI=true`), where it
//! fails: `.ci/run` installs the package.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use ae_tensorboard::{
    Embedding, EventWriter, HParamValue, Metadata, SessionStatus, Sprite, encode_png,
    write_projector,
};

fn python() -> String {
    std::env::var("AE_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

/// True when Python has the `tensorboard` package; otherwise skips (or fails under CI).
fn tensorboard_available(python: &str) -> bool {
    let ok = Command::new(python)
        .args(["-c", "import tensorboard"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        let why = format!(
            "`{python} -c \"import tensorboard\"` fails (set AE_PYTHON to a Python with the \
             tensorboard package, e.g. python3 -m venv ~/.cache/tb-venv && ~/.cache/tb-venv/bin/pip install tensorboard)"
        );
        assert!(
            !matches!(std::env::var("CI").as_deref(), Ok(v) if !v.is_empty() && v != "false" && v != "0"),
            "CI is set but {why}"
        );
        eprintln!("skipped: tensorboard not installed: {why}");
    }
    ok
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/tensorboard/read_events.py")
}

/// A JSON string literal.
fn json(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[test]
fn tensorboard_reads_scalars_images_text_hparams_and_the_projector() {
    let python = python();
    if !tensorboard_available(&python) {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let logdir = root.path().join("runs");
    let run = "demo-run/tensorboard";
    let dir = logdir.join(run);

    // Scalars at epochs 1..=3 (one of them not exact in f32), an RGB image, a text, hparams.
    let losses = [0.5, 0.1, 1.0 / 3.0];
    let (width, height) = (5u32, 3u32);
    let pixels: Vec<u8> = (0..width * height * 3)
        .map(|i| (i * 17 % 256) as u8)
        .collect();
    let png = encode_png(&pixels, width, height, 3, &dir).unwrap();
    let text = "```toml\nname = \"demo\"\nseed = 7\n```";
    {
        let mut w = EventWriter::create(&dir).unwrap();
        let mut hparams = BTreeMap::new();
        hparams.insert("lr".to_string(), HParamValue::from(0.1));
        hparams.insert("optimizer".to_string(), HParamValue::from("sgd"));
        hparams.insert("freeze_encoder".to_string(), HParamValue::from(true));
        hparams.insert("epochs".to_string(), HParamValue::from(3i64));
        w.add_hparams(&hparams, "").unwrap();
        w.add_text("recipe", text, 0).unwrap();
        for (epoch, loss) in losses.iter().enumerate() {
            w.add_scalar("loss/train", *loss, epoch as u64 + 1).unwrap();
            w.add_scalar(
                "accuracy/test",
                0.8 + epoch as f64 / 100.0,
                epoch as u64 + 1,
            )
            .unwrap();
            w.flush().unwrap();
        }
        w.add_image_png("images/reconstruction", &png, width, height, 3, 3)
            .unwrap();
        w.add_session_end(SessionStatus::Success, 3).unwrap();
    }

    // Projector: 7 points of 3 values, labels and classes, a sprite of 7 grey 4×2 images.
    let n = 7;
    let dim = 3;
    let vectors: Vec<f32> = (0..n * dim).map(|i| (i as f32 * 0.37).sin()).collect();
    let names = ["zero", "one", "two"];
    let metadata = Metadata::labels_and_classes((0..n).map(|i| i % 3), &names);
    let images: Vec<f32> = (0..n * 8).map(|i| (i % 9) as f32 / 8.0).collect();
    let sprite = Sprite::from_images(&images, [1, 2, 4]).unwrap();
    let files = write_projector(
        &dir,
        &Embedding {
            name: "codes",
            vectors: &vectors,
            dim,
            metadata: Some(&metadata),
            sprite: Some(&sprite),
        },
    )
    .unwrap();
    assert_eq!(
        files.event_file, None,
        "the run folder already had an event file"
    );

    let scalars = |values: Vec<f64>| {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("[{}, {v:?}]", i + 1))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let expected = format!(
        r#"{{
  "run": {run},
  "scalars": {{
    "loss/train": [{loss}],
    "accuracy/test": [{acc}]
  }},
  "images": {{"images/reconstruction": {{"step": 3, "width": {width}, "height": {height}, "bytes": {bytes}}}}},
  "texts": {{"recipe": {text}}},
  "hparams": {{"lr": 0.1, "optimizer": "sgd", "freeze_encoder": true, "epochs": 3.0}},
  "session_end_status": "STATUS_SUCCESS",
  "projector": {{"tensor_name": "codes", "points": {n}, "dim": {dim},
                 "header": ["label", "class"], "first_row": ["0", "zero"],
                 "tile": [4, 2], "first_vector": [{v0}, {v1}, {v2}]}}
}}
"#,
        run = json(run),
        loss = scalars(losses.to_vec()),
        acc = scalars((0..3).map(|e| 0.8 + e as f64 / 100.0).collect()),
        bytes = png.len(),
        text = json(text),
        v0 = vectors[0],
        v1 = vectors[1],
        v2 = vectors[2],
    );
    let expected_path = root.path().join("expected.json");
    std::fs::write(&expected_path, expected).unwrap();

    let out = Command::new(&python)
        .arg(script())
        .arg(&logdir)
        .arg(&expected_path)
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "read_events.py failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("all checks passed"), "{stdout}");
}
