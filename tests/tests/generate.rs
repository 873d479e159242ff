//! `ae sample`, `ae interpolate`, `ae traverse` and `ae manifold` on small variational
//! autoencoder runs (vae-mnist with a 20-d latent, and a 2-d latent recipe written here), as a
//! user runs them: the pictures' sizes and contents, seeds, and one-line errors.

use std::path::{Path, PathBuf};

use ae_e2e::{Scratch, assert_clean_failure, models_dir, read_json, write_stroke_png};

/// Pixels between tiles and around a grid; 28 × 28 pictures are drawn twice their size.
const GAP: usize = 2;
const TILE: usize = 56;

/// Pixel size of a grid of `rows` × `columns` 28 × 28 pictures.
fn grid_size(columns: usize, rows: usize) -> (usize, usize) {
    (columns * (TILE + GAP) + GAP, rows * (TILE + GAP) + GAP)
}

/// A decoded RGB PNG.
struct Picture {
    width: usize,
    height: usize,
    rgb: Vec<u8>,
}

impl Picture {
    fn open(path: &Path) -> Self {
        let file =
            std::fs::File::open(path).unwrap_or_else(|e| panic!("{} missing: {e}", path.display()));
        let decoder = png::Decoder::new(std::io::BufReader::new(file));
        let mut reader = decoder.read_info().unwrap();
        let mut rgb = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut rgb).unwrap();
        assert_eq!(info.color_type, png::ColorType::Rgb, "{}", path.display());
        rgb.truncate(info.buffer_size());
        Picture {
            width: info.width as usize,
            height: info.height as usize,
            rgb,
        }
    }

    fn size(&self) -> (usize, usize) {
        (self.width, self.height)
    }

    /// The grey levels of the 28 × 28 picture in column `col`, row `row` of the grid.
    fn tile(&self, col: usize, row: usize) -> Vec<u8> {
        let (x0, y0) = (GAP + col * (TILE + GAP), GAP + row * (TILE + GAP));
        let mut out = Vec::with_capacity(28 * 28);
        for ty in 0..28 {
            for tx in 0..28 {
                let (x, y) = (x0 + 2 * tx, y0 + 2 * ty);
                out.push(self.rgb[(y * self.width + x) * 3]);
            }
        }
        out
    }
}

/// The largest difference of two tiles' grey levels.
fn max_difference(a: &[u8], b: &[u8]) -> u8 {
    a.iter().zip(b).map(|(x, y)| x.abs_diff(*y)).max().unwrap()
}

/// Runs a generating command, checks it printed one line, the picture's path, and returns it.
fn picture_path(scratch: &Scratch, args: &[&str]) -> PathBuf {
    let out = scratch.ae_ok(args);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 1, "ae {args:?} printed:\n{out}");
    let path = scratch.path().join(lines[0]);
    assert!(path.is_file(), "{} missing", path.display());
    path
}

#[test]
fn a_vae_run_samples_interpolates_and_traverses_and_bad_input_fails_in_one_line() {
    let scratch = Scratch::new();
    let run = scratch.train_quick("vae-mnist", "1000", "200", &["--quiet"]);
    let r = run.to_str().unwrap();

    // sample: 64 pictures as an 8 × 8 grid; a seed gives the same bytes, another seed others.
    let samples = picture_path(&scratch, &["sample", r]);
    assert_eq!(samples, run.join("analysis/samples-seed0.png"));
    assert_eq!(Picture::open(&samples).size(), grid_size(8, 8));
    let again = picture_path(&scratch, &["sample", r, "--seed", "0", "--out", "again"]);
    assert_eq!(again, scratch.path().join("again/samples-seed0.png"));
    let bytes = std::fs::read(&samples).unwrap();
    assert_eq!(bytes, std::fs::read(&again).unwrap(), "seed 0 twice");
    let other = picture_path(&scratch, &["sample", r, "--seed", "1"]);
    assert_eq!(other, run.join("analysis/samples-seed1.png"));
    assert_ne!(bytes, std::fs::read(&other).unwrap(), "seeds 0 and 1");
    // Ten pictures: 4 columns, 3 rows; the JSON report says so.
    let ten = picture_path(&scratch, &["sample", r, "--n", "10", "--seed", "7"]);
    assert_eq!(Picture::open(&ten).size(), grid_size(4, 3));
    let report = read_json(&run.join("analysis/samples-seed7.json"));
    assert_eq!(report["n"], 10);
    assert_eq!(
        (report["columns"].as_u64(), report["rows"].as_u64()),
        (Some(4), Some(3))
    );
    assert_eq!(
        (report["seed"].as_u64(), report["latent"].as_u64()),
        (Some(7), Some(20))
    );

    // interpolate between test images 0 and 1: picture A, 5 decoded points, picture B.
    let forward = picture_path(&scratch, &["interpolate", r, "0", "1", "--steps", "5"]);
    assert_eq!(forward, run.join("analysis/interpolate-0-1.png"));
    let forward = Picture::open(&forward);
    assert_eq!(forward.size(), grid_size(7, 1));
    assert_ne!(
        forward.tile(0, 0),
        forward.tile(6, 0),
        "the two test images"
    );
    // One epoch on 1,000 images decodes blurred averages: the line's ends differ, if little.
    assert_ne!(
        forward.tile(1, 0),
        forward.tile(5, 0),
        "the line's ends decode alike"
    );
    // From 1 to 0 the row is the same, reversed: the originals exactly, the decoded points up
    // to rounding.
    let backward = Picture::open(&picture_path(
        &scratch,
        &["interpolate", r, "1", "0", "--steps", "5"],
    ));
    for i in 0..7 {
        let d = max_difference(&forward.tile(i, 0), &backward.tile(6 - i, 0));
        assert!(d <= if i == 0 || i == 6 { 0 } else { 2 }, "tile {i}: {d}");
    }
    let report = read_json(&run.join("analysis/interpolate-0-1.json"));
    assert_eq!(report["t"], serde_json::json!([0.0, 0.25, 0.5, 0.75, 1.0]));
    assert_eq!(report["a"], serde_json::json!({ "test-image": 0 }));
    assert!(report["distance"].as_f64().unwrap() > 0.0);

    // interpolate from a picture file: the first tile is the picture as the model sees it, the
    // second its code μ decoded, i.e. its reconstruction (`ae reconstruct`, up to rounding).
    let stroke = scratch.path().join("stroke.png");
    let stroke_pixels = write_stroke_png(&stroke);
    let s = stroke.to_str().unwrap();
    let row = picture_path(&scratch, &["interpolate", r, s, "3"]);
    assert_eq!(row, run.join("analysis/interpolate-stroke-3.png"));
    let row = Picture::open(&row);
    assert_eq!(row.size(), grid_size(12, 1));
    assert_eq!(row.tile(0, 0), stroke_pixels);
    scratch.ae_ok(&["reconstruct", r, s, "--out", "rec"]);
    let rec = Picture::open(&scratch.path().join("rec/stroke-reconstruction.png"));
    assert_eq!(rec.tile(0, 0), stroke_pixels);
    let d = max_difference(&row.tile(1, 0), &rec.tile(1, 0));
    assert!(
        d <= 2,
        "decoded μ of the picture vs its reconstruction: {d}"
    );
    assert_ne!(row.tile(1, 0), row.tile(10, 0));

    // traverse: every dimension (20 rows) over -3..3 in 9 steps; or the dimensions asked for.
    let traverse = picture_path(&scratch, &["traverse", r]);
    assert_eq!(traverse, run.join("analysis/traverse.png"));
    let all = Picture::open(&traverse);
    assert_eq!(all.size(), grid_size(9, 20));
    // Rows change along their dimension (the active ones; others may have collapsed).
    let changes = (0..20)
        .map(|row| max_difference(&all.tile(0, row), &all.tile(8, row)))
        .max()
        .unwrap();
    assert!(changes > 0, "every traversal row is flat");
    let out = scratch.ae_ok(&[
        "traverse", r, "--dims", "0,3", "--steps", "4", "--index", "5", "--json",
    ]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["dims"], serde_json::json!([0, 3]));
    assert_eq!(report["values"], serde_json::json!([-3.0, -1.0, 1.0, 3.0]));
    assert_eq!(report["base"].as_array().map(Vec::len), Some(20));
    assert_eq!(Picture::open(&traverse).size(), grid_size(4, 2));

    // The run's report shows them.
    let html = std::fs::read_to_string(run.join("report.html")).unwrap();
    for needle in ["(ae sample)", "(ae interpolate)", "(ae traverse)"] {
        assert!(html.contains(needle), "{needle} not in report.html");
    }

    // Bad input: one line naming what was wrong.
    let cases: &[(&[&str], &[&str])] = &[
        (&["sample", r, "--n", "0"], &["--n 0", "at least 1"]),
        (&["sample", r, "--n", "100000"], &["--n 100000", "at most"]),
        (
            &["interpolate", r, "0", "5000"],
            &["test image 5000 out of range", "has 2000 images"],
        ),
        (
            &["interpolate", r, "0", "missing.png"],
            &["missing.png", "cannot read"],
        ),
        (
            &["interpolate", r, "0", "1", "--steps", "1"],
            &["--steps 1"],
        ),
        (
            &["traverse", r, "--dims", "0,20"],
            &["dimension 20 out of range", "0..=19"],
        ),
        (&["traverse", r, "--dims", "x"], &["--dims"]),
        (&["traverse", r, "--range", "-1"], &["--range -1", "> 0"]),
        (
            &["traverse", r, "--index", "2000"],
            &["test image 2000 out of range"],
        ),
        (
            &["manifold", r],
            &["needs a 2-d latent", "latent = 2", "20-d"],
        ),
    ];
    for (args, needles) in cases {
        assert_clean_failure(&scratch.ae(args), needles);
    }
    let notes = scratch.path().join("notes.png");
    std::fs::write(&notes, "not a picture").unwrap();
    let out = scratch.ae(&["interpolate", r, notes.to_str().unwrap(), "0"]);
    assert_clean_failure(&out, &["notes.png", "not a PNG or JPEG"]);
    let out = scratch.ae(&["sample", scratch.subdir("empty").to_str().unwrap()]);
    assert_clean_failure(&out, &["not a run folder"]);

    // A run that is no variational autoencoder.
    let stacked = scratch.train_quick("stacked-mnist", "200", "100", &["--quiet"]);
    let stacked = stacked.to_str().unwrap();
    for command in ["sample", "traverse", "manifold"] {
        let out = scratch.ae(&[command, stacked]);
        let line = assert_clean_failure(&out, &["needs a variational autoencoder"]);
        assert!(line.contains(&format!("ae {command}")), "{line}");
    }
    let out = scratch.ae(&["interpolate", stacked, "0", "1"]);
    assert_clean_failure(&out, &["ae interpolate needs a variational autoencoder"]);
}

#[test]
fn a_2d_latent_vae_decodes_its_manifold() {
    let scratch = Scratch::new();
    let recipe = std::fs::read_to_string(models_dir().join("vae-mnist.toml")).unwrap();
    assert!(recipe.contains("latent = 20"), "vae-mnist.toml changed");
    let recipe = recipe
        .replace("latent = 20", "latent = 2")
        .replace("name = \"vae-mnist\"", "name = \"vae2-mnist\"");
    let path = scratch.path().join("vae2-mnist.toml");
    std::fs::write(&path, recipe).unwrap();
    let run = scratch.train_quick(path.to_str().unwrap(), "1000", "200", &["--quiet"]);
    let r = run.to_str().unwrap();

    // The default grid: 20 × 20 pictures in one; z at Φ⁻¹(0.05..0.95).
    let manifold = picture_path(&scratch, &["manifold", r]);
    assert_eq!(manifold, run.join("analysis/manifold.png"));
    assert_eq!(Picture::open(&manifold).size(), grid_size(20, 20));
    let report = read_json(&run.join("analysis/manifold.json"));
    let z: Vec<f64> = report["z"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(z.len(), 20);
    assert!((z[0] + 1.644_853_6).abs() < 1e-6 && (z[19] - 1.644_853_6).abs() < 1e-6);
    assert!(z.windows(2).all(|w| w[0] < w[1]));

    // A small grid into another folder; the corners decode differently.
    let small = picture_path(&scratch, &["manifold", r, "--grid", "5", "--out", "m"]);
    assert_eq!(small, scratch.path().join("m/manifold.png"));
    let small = Picture::open(&small);
    assert_eq!(small.size(), grid_size(5, 5));
    assert!(max_difference(&small.tile(0, 0), &small.tile(4, 4)) > 10);

    // The other commands work on a 2-d latent too.
    let traverse = Picture::open(&picture_path(&scratch, &["traverse", r]));
    assert_eq!(traverse.size(), grid_size(9, 2));
    let samples = Picture::open(&picture_path(&scratch, &["sample", r, "--n", "16"]));
    assert_eq!(samples.size(), grid_size(4, 4));
    let html = std::fs::read_to_string(run.join("report.html")).unwrap();
    assert!(html.contains("(ae manifold)"));

    let out = scratch.ae(&["manifold", r, "--grid", "1"]);
    assert_clean_failure(&out, &["--grid 1", "at least 2"]);
    let out = scratch.ae(&["traverse", r, "--dims", "2"]);
    assert_clean_failure(&out, &["dimension 2 out of range", "0..=1"]);
}
