//! The files of TensorBoard's embedding projector: in a run folder (a folder with an event
//! file), `projector_config.pbtxt` names the embedding's `tensors.tsv` (one point a line, its
//! values tab-separated), its `metadata.tsv` (a header line, then one line a point) and an
//! optional sprite sheet (`sprite.png`: the points' images, `ceil(sqrt(n))` to a row, as the
//! projector cuts it). Paths in the config are relative to it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::error::TensorBoardError;
use crate::image::encode_png;
use crate::reader::event_files;
use crate::writer::EventWriter;

/// The projector's configuration, in every run folder it shows.
pub const CONFIG_FILE: &str = "projector_config.pbtxt";
pub const TENSORS_FILE: &str = "tensors.tsv";
pub const METADATA_FILE: &str = "metadata.tsv";
pub const SPRITE_FILE: &str = "sprite.png";
/// The largest sprite sheet side the projector takes (WebGL's texture limit it assumes).
pub const MAX_SPRITE_SIDE: usize = 8192;

/// The columns shown for each point (labels to colour and search by).
#[derive(Debug, Clone, PartialEq)]
pub struct Metadata {
    pub columns: Vec<String>,
    /// One row a point, as many cells as columns.
    pub rows: Vec<Vec<String>>,
}

impl Metadata {
    /// Columns `label` (the class index) and `class` (its name; the index again for a class
    /// without one).
    pub fn labels_and_classes(
        labels: impl IntoIterator<Item = usize>,
        class_names: &[impl AsRef<str>],
    ) -> Self {
        let rows = labels
            .into_iter()
            .map(|label| {
                let name = class_names
                    .get(label)
                    .map(|n| n.as_ref().to_string())
                    .unwrap_or_else(|| label.to_string());
                vec![label.to_string(), name]
            })
            .collect();
        Self {
            columns: vec!["label".into(), "class".into()],
            rows,
        }
    }
}

/// The points' images as one PNG of equal tiles.
#[derive(Debug, Clone, PartialEq)]
pub struct Sprite {
    pub png: Vec<u8>,
    pub tile_width: u32,
    pub tile_height: u32,
    /// Tiles in the sheet.
    pub count: usize,
}

impl Sprite {
    /// A sheet of the images in `pixels`, each `[channels, height, width]` (channel-major, 1
    /// grey or 3 RGB channels, values in [0, 1]), `ceil(sqrt(n))` to a row; empty cells black.
    pub fn from_images(pixels: &[f32], shape: [usize; 3]) -> Result<Sprite, TensorBoardError> {
        let [c, h, w] = shape;
        let here = Path::new(SPRITE_FILE);
        let per = c * h * w;
        if !(c == 1 || c == 3) || per == 0 || !pixels.len().is_multiple_of(per) {
            return Err(TensorBoardError::invalid(
                here,
                format!(
                    "{} values are not whole images of shape {shape:?} (1 or 3 channels)",
                    pixels.len()
                ),
            ));
        }
        let n = pixels.len() / per;
        let cols = (n as f64).sqrt().ceil().max(1.0) as usize;
        let rows = n.div_ceil(cols).max(1);
        let (width, height) = (cols * w, rows * h);
        if width.max(height) > MAX_SPRITE_SIDE {
            return Err(TensorBoardError::invalid(
                here,
                format!(
                    "{n} images of {w}×{h} make a {width}×{height} sheet; the projector takes at most {MAX_SPRITE_SIDE} px a side"
                ),
            ));
        }
        let mut sheet = vec![0u8; width * height * c];
        for (i, image) in pixels.chunks(per).enumerate() {
            let (x0, y0) = ((i % cols) * w, (i / cols) * h);
            for y in 0..h {
                for x in 0..w {
                    for ch in 0..c {
                        let v = image[ch * h * w + y * w + x];
                        let at = ((y0 + y) * width + x0 + x) * c + ch;
                        sheet[at] = (v.clamp(0.0, 1.0) * 255.0).round() as u8;
                    }
                }
            }
        }
        let png = encode_png(&sheet, width as u32, height as u32, c as u32, here)?;
        Ok(Sprite {
            png,
            tile_width: w as u32,
            tile_height: h as u32,
            count: n,
        })
    }
}

/// One embedding: `vectors` holds `n × dim` values, point after point.
#[derive(Debug, Clone, Copy)]
pub struct Embedding<'a> {
    /// The name the projector lists it by.
    pub name: &'a str,
    pub vectors: &'a [f32],
    pub dim: usize,
    pub metadata: Option<&'a Metadata>,
    pub sprite: Option<&'a Sprite>,
}

/// The files [`write_projector`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectorFiles {
    pub config: PathBuf,
    pub tensors: PathBuf,
    pub metadata: Option<PathBuf>,
    pub sprite: Option<PathBuf>,
    /// An event file written because `dir` had none (TensorBoard shows only folders that have
    /// one as runs, and the projector only runs).
    pub event_file: Option<PathBuf>,
}

/// Writes `embedding` for the projector into `dir` (created when missing), replacing an
/// embedding written there before.
pub fn write_projector(
    dir: &Path,
    embedding: &Embedding<'_>,
) -> Result<ProjectorFiles, TensorBoardError> {
    let tensors = dir.join(TENSORS_FILE);
    let dim = embedding.dim;
    if dim == 0 || embedding.vectors.is_empty() || !embedding.vectors.len().is_multiple_of(dim) {
        return Err(TensorBoardError::invalid(
            &tensors,
            format!(
                "{} values are not a whole number of {dim}-d points (at least one)",
                embedding.vectors.len()
            ),
        ));
    }
    let n = embedding.vectors.len() / dim;
    if let Some(metadata) = embedding.metadata {
        let width = metadata.columns.len();
        if metadata.rows.len() != n || width == 0 || metadata.rows.iter().any(|r| r.len() != width)
        {
            return Err(TensorBoardError::invalid(
                dir.join(METADATA_FILE),
                format!(
                    "{} rows for {n} points ({width} columns); expected one row of {width} cells a point",
                    metadata.rows.len()
                ),
            ));
        }
    }
    if let Some(sprite) = embedding.sprite
        && sprite.count != n
    {
        return Err(TensorBoardError::invalid(
            dir.join(SPRITE_FILE),
            format!("{} images for {n} points", sprite.count),
        ));
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| TensorBoardError::io(dir, "cannot create folder", e))?;

    let mut text = String::with_capacity(embedding.vectors.len() * 10);
    for point in embedding.vectors.chunks(dim) {
        for (i, v) in point.iter().enumerate() {
            let _ = write!(text, "{}{v}", if i == 0 { "" } else { "\t" });
        }
        text.push('\n');
    }
    write(&tensors, text.as_bytes())?;

    let mut config = String::from("embeddings {\n");
    let _ = writeln!(config, "  tensor_name: {}", quoted(embedding.name));
    let _ = writeln!(config, "  tensor_path: {}", quoted(TENSORS_FILE));
    let _ = writeln!(config, "  tensor_shape: {n}\n  tensor_shape: {dim}");
    let metadata = match embedding.metadata {
        Some(metadata) => {
            let path = dir.join(METADATA_FILE);
            // A single column has no header line (the projector reads a first line with a
            // tab as the header).
            let mut text = String::new();
            if metadata.columns.len() > 1 {
                text.push_str(&tsv_line(&metadata.columns));
            }
            for row in &metadata.rows {
                text.push_str(&tsv_line(row));
            }
            write(&path, text.as_bytes())?;
            let _ = writeln!(config, "  metadata_path: {}", quoted(METADATA_FILE));
            Some(path)
        }
        None => None,
    };
    let sprite = match embedding.sprite {
        Some(sprite) => {
            let path = dir.join(SPRITE_FILE);
            write(&path, &sprite.png)?;
            let _ = writeln!(
                config,
                "  sprite {{\n    image_path: {}\n    single_image_dim: {}\n    single_image_dim: {}\n  }}",
                quoted(SPRITE_FILE),
                sprite.tile_width,
                sprite.tile_height
            );
            Some(path)
        }
        None => None,
    };
    config.push_str("}\n");
    let config_path = dir.join(CONFIG_FILE);
    write(&config_path, config.as_bytes())?;

    let event_file = if event_files(dir)?.is_empty() {
        let mut writer = EventWriter::create(dir)?;
        writer.add_text(
            "projector",
            &format!("embedding `{}`: {n} points of {dim} values", embedding.name),
            0,
        )?;
        writer.flush()?;
        Some(writer.path().to_path_buf())
    } else {
        None
    };
    Ok(ProjectorFiles {
        config: config_path,
        tensors,
        metadata,
        sprite,
        event_file,
    })
}

/// A protobuf text-format string literal.
fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Cells joined by tabs (tabs and line breaks inside a cell become spaces), with a newline.
fn tsv_line(cells: &[String]) -> String {
    let mut line = cells
        .iter()
        .map(|c| c.replace(['\t', '\n', '\r'], " "))
        .collect::<Vec<_>>()
        .join("\t");
    line.push('\n');
    line
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), TensorBoardError> {
    std::fs::write(path, bytes).map_err(|e| TensorBoardError::io(path, "cannot write", e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::png_info;

    #[test]
    fn writes_tsvs_a_sprite_and_a_config_that_name_them() {
        let dir = tempfile::tempdir().unwrap();
        let vectors = [0.5, -1.0, 2.0, 0.25, 3.0, 1e-3];
        let metadata = Metadata::labels_and_classes([1, 0, 1], &["zero", "one"]);
        let images: Vec<f32> = (0..3 * 2 * 2).map(|i| i as f32 / 11.0).collect();
        let sprite = Sprite::from_images(&images, [1, 2, 2]).unwrap();
        assert_eq!(png_info(&sprite.png), Some((4, 4, 1)));
        let files = write_projector(
            dir.path(),
            &Embedding {
                name: "codes \"best\"",
                vectors: &vectors,
                dim: 2,
                metadata: Some(&metadata),
                sprite: Some(&sprite),
            },
        )
        .unwrap();
        let read = |p: &Path| std::fs::read_to_string(p).unwrap();
        assert_eq!(read(&files.tensors), "0.5\t-1\n2\t0.25\n3\t0.001\n");
        assert_eq!(
            read(files.metadata.as_ref().unwrap()),
            "label\tclass\n1\tone\n0\tzero\n1\tone\n"
        );
        let config = read(&files.config);
        assert!(
            config.contains("tensor_name: \"codes \\\"best\\\"\""),
            "{config}"
        );
        assert!(config.contains("single_image_dim: 2"), "{config}");
        // The folder had no event file: one was written so that it is a run.
        assert!(files.event_file.is_some());
        assert_eq!(event_files(dir.path()).unwrap().len(), 1);

        let wrong = Metadata::labels_and_classes([1], &["zero", "one"]);
        let error = write_projector(
            dir.path(),
            &Embedding {
                name: "x",
                vectors: &vectors,
                dim: 2,
                metadata: Some(&wrong),
                sprite: None,
            },
        )
        .unwrap_err();
        assert!(error.to_string().contains("1 rows for 3 points"), "{error}");
    }
}
