//! Image grids: first-layer weights as tiles (dense units as images, conv kernels as small
//! tiles, RGB for 3-channel input), each tile normalised for display; and clean / noisy /
//! reconstructed test images side by side. Written as PNG with the `png` crate.

use std::path::Path;

use ae_models::{Encoder, EncoderClassifier};
use burn::tensor::Tensor;

use crate::error::TrainError;
use crate::eval::read_f32;
use crate::files::write_atomic;
use crate::net::Net;

/// Pixels between tiles and around the grid.
pub const GAP: usize = 2;
/// Background colour between tiles.
const BACKGROUND: [u8; 3] = [40, 40, 48];

/// Equal-sized images, each `channels × height × width` (CHW order).
#[derive(Debug, Clone, PartialEq)]
pub struct Tiles {
    pub channels: usize,
    pub height: usize,
    pub width: usize,
    pub tiles: Vec<Vec<f32>>,
}

impl Tiles {
    /// Tile-wise difference `self - other`; `None` when the shapes differ.
    pub fn difference(&self, other: &Tiles) -> Option<Tiles> {
        if (self.channels, self.height, self.width, self.tiles.len())
            != (other.channels, other.height, other.width, other.tiles.len())
        {
            return None;
        }
        Some(Tiles {
            channels: self.channels,
            height: self.height,
            width: self.width,
            tiles: self
                .tiles
                .iter()
                .zip(&other.tiles)
                .map(|(a, b)| a.iter().zip(b).map(|(x, y)| x - y).collect())
                .collect(),
        })
    }

    /// Saves the tiles: a one-line JSON header, then the values as little-endian f32.
    pub fn save(&self, path: &Path) -> Result<(), TrainError> {
        let header = format!(
            "{{\"channels\":{},\"height\":{},\"width\":{},\"count\":{}}}\n",
            self.channels,
            self.height,
            self.width,
            self.tiles.len()
        );
        let mut bytes = header.into_bytes();
        for v in self.tiles.iter().flatten() {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        write_atomic(path, &bytes)
    }

    /// Reads tiles written by [`Tiles::save`].
    pub fn load(path: &Path) -> Result<Tiles, TrainError> {
        let bytes = std::fs::read(path).map_err(|e| TrainError::io(path, "cannot read", e))?;
        let bad = |message: &str| TrainError::RunFolder {
            path: path.to_path_buf(),
            message: message.to_string(),
        };
        let newline = bytes
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| bad("tile file has no header line"))?;
        let header: serde_json::Value = serde_json::from_slice(&bytes[..newline])
            .map_err(|_| bad("tile file header is not JSON"))?;
        let field = |k: &str| {
            header[k]
                .as_u64()
                .map(|v| v as usize)
                .ok_or_else(|| bad("tile file header lacks a size"))
        };
        let (channels, height, width, count) = (
            field("channels")?,
            field("height")?,
            field("width")?,
            field("count")?,
        );
        let per = channels * height * width;
        let body = &bytes[newline + 1..];
        if body.len() != per * count * 4 {
            return Err(bad("tile file is truncated or too long for its header"));
        }
        let values: Vec<f32> = body
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        Ok(Tiles {
            channels,
            height,
            width,
            tiles: values.chunks(per.max(1)).map(<[f32]>::to_vec).collect(),
        })
    }
}

/// Dense weight `[d_input, units]` as one image per unit (column).
fn dense_columns(weight: Tensor<2>, image: [usize; 3]) -> Result<Tiles, TrainError> {
    let [d_input, units] = weight.dims();
    let values = read_f32(weight)?;
    let [c, h, w] = image;
    if c * h * w != d_input {
        return Err(TrainError::InvalidOption(format!(
            "first-layer weight has {d_input} inputs, images have {c}×{h}×{w}"
        )));
    }
    Ok(Tiles {
        channels: c,
        height: h,
        width: w,
        tiles: (0..units)
            .map(|j| (0..d_input).map(|i| values[i * units + j]).collect())
            .collect(),
    })
}

/// Dense weight `[units, d_output]` as one image per unit (row).
fn dense_rows(weight: Tensor<2>, image: [usize; 3]) -> Result<Tiles, TrainError> {
    let [units, d_output] = weight.dims();
    let values = read_f32(weight)?;
    let [c, h, w] = image;
    if c * h * w != d_output {
        return Err(TrainError::InvalidOption(format!(
            "output-layer weight has {d_output} outputs, images have {c}×{h}×{w}"
        )));
    }
    Ok(Tiles {
        channels: c,
        height: h,
        width: w,
        tiles: values
            .chunks(d_output)
            .take(units)
            .map(<[f32]>::to_vec)
            .collect(),
    })
}

/// Conv weight `[out, in, k, k]` as one tile per output channel (in = 1 grey, 3 RGB).
fn conv_kernels(weight: Tensor<4>) -> Result<Tiles, TrainError> {
    let [out, inp, kh, kw] = weight.dims();
    let values = read_f32(weight)?;
    Ok(Tiles {
        channels: inp,
        height: kh,
        width: kw,
        tiles: values
            .chunks(inp * kh * kw)
            .take(out)
            .map(<[f32]>::to_vec)
            .collect(),
    })
}

fn classifier_first_layer(c: &EncoderClassifier, image: [usize; 3]) -> Result<Tiles, TrainError> {
    match &c.encoder {
        Encoder::Dense(stack) => match stack.layers.first() {
            Some(layer) => dense_columns(layer.linear.weight.val(), image),
            None => Err(TrainError::InvalidOption("the encoder has no layer".into())),
        },
        Encoder::Conv(enc) => conv_kernels(enc.conv1.weight.val()),
    }
}

/// The model's first layer as tiles: one image per hidden unit of a dense encoder, one kernel
/// per output channel of a conv net.
pub fn first_layer_tiles(net: &Net, image: [usize; 3]) -> Result<Tiles, TrainError> {
    match net {
        Net::Stacked(ae) => match ae.encoder.layers.first() {
            Some(layer) => dense_columns(layer.linear.weight.val(), image),
            None => Err(TrainError::InvalidOption("the encoder has no layer".into())),
        },
        Net::Conv(ae) => conv_kernels(ae.encoder.conv1.weight.val()),
        Net::Lenet(m) => conv_kernels(m.conv1.weight.val()),
        Net::Classifier(c) => classifier_first_layer(c, image),
    }
}

/// The dense decoder's output layer as tiles (one image per unit of the outermost code);
/// `None` for other models.
pub fn output_layer_tiles(net: &Net, image: [usize; 3]) -> Option<Result<Tiles, TrainError>> {
    match net {
        Net::Stacked(ae) => ae
            .decoder
            .layers
            .last()
            .map(|layer| dense_rows(layer.linear.weight.val(), image)),
        _ => None,
    }
}

/// Columns and rows of a near-square grid of `n` tiles.
pub fn grid_shape(n: usize) -> (usize, usize) {
    let cols = (n as f64).sqrt().ceil().max(1.0) as usize;
    (cols, n.div_ceil(cols).max(1))
}

/// Integer magnification so small tiles (conv kernels) are visible: about 56 px per tile side.
pub fn tile_scale(height: usize, width: usize) -> usize {
    (56 / height.max(width).max(1)).max(1)
}

/// Pixel size of a weight grid of `n` tiles of `height × width`.
pub fn weight_grid_size(n: usize, height: usize, width: usize) -> (usize, usize) {
    let (cols, rows) = grid_shape(n);
    let s = tile_scale(height, width);
    (
        cols * (width * s + GAP) + GAP,
        rows * (height * s + GAP) + GAP,
    )
}

/// An RGB canvas.
struct Canvas {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

impl Canvas {
    fn new(width: usize, height: usize) -> Self {
        let mut pixels = Vec::with_capacity(width * height * 3);
        for _ in 0..width * height {
            pixels.extend_from_slice(&BACKGROUND);
        }
        Self {
            width,
            height,
            pixels,
        }
    }

    /// Draws a CHW tile whose values are already in [0, 1] at (x, y), magnified `scale` times.
    fn draw(&mut self, x: usize, y: usize, tile: &[f32], shape: [usize; 3], scale: usize) {
        let [c, h, w] = shape;
        for ty in 0..h {
            for tx in 0..w {
                let value = |ch: usize| {
                    let v = tile[ch * h * w + ty * w + tx];
                    (v.clamp(0.0, 1.0) * 255.0).round() as u8
                };
                let rgb = if c >= 3 {
                    [value(0), value(1), value(2)]
                } else {
                    let g = value(0);
                    [g, g, g]
                };
                for dy in 0..scale {
                    for dx in 0..scale {
                        let px = x + tx * scale + dx;
                        let py = y + ty * scale + dy;
                        let i = (py * self.width + px) * 3;
                        self.pixels[i..i + 3].copy_from_slice(&rgb);
                    }
                }
            }
        }
    }

    fn png(&self) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        {
            let mut encoder = png::Encoder::new(&mut out, self.width as u32, self.height as u32);
            encoder.set_color(png::ColorType::Rgb);
            encoder.set_depth(png::BitDepth::Eight);
            let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
            writer
                .write_image_data(&self.pixels)
                .map_err(|e| e.to_string())?;
        }
        Ok(out)
    }

    fn save(&self, path: &Path) -> Result<(), TrainError> {
        let bytes = self.png().map_err(|message| TrainError::Draw {
            path: path.to_path_buf(),
            message,
        })?;
        write_atomic(path, &bytes)
    }
}

/// Maps a tile to [0, 1] by its own minimum and maximum (over all channels of an RGB kernel).
fn normalise(tile: &[f32]) -> Vec<f32> {
    let (lo, hi) = tile
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    // Constant (or NaN) tiles are drawn mid grey.
    if hi.partial_cmp(&lo) != Some(std::cmp::Ordering::Greater) {
        return vec![0.5; tile.len()];
    }
    tile.iter().map(|v| (v - lo) / (hi - lo)).collect()
}

/// Writes the tiles as a near-square grid PNG, each tile normalised on its own.
pub fn save_weight_grid(tiles: &Tiles, path: &Path) -> Result<(), TrainError> {
    let (cols, _) = grid_shape(tiles.tiles.len());
    let s = tile_scale(tiles.height, tiles.width);
    let (w, h) = weight_grid_size(tiles.tiles.len(), tiles.height, tiles.width);
    let mut canvas = Canvas::new(w, h);
    for (i, tile) in tiles.tiles.iter().enumerate() {
        let (col, row) = (i % cols, i / cols);
        canvas.draw(
            GAP + col * (tiles.width * s + GAP),
            GAP + row * (tiles.height * s + GAP),
            &normalise(tile),
            [tiles.channels, tiles.height, tiles.width],
            s,
        );
    }
    canvas.save(path)
}

/// Magnification of whole images in a reconstruction grid: about 64 px per side.
fn image_scale(height: usize, width: usize) -> usize {
    (64 / height.max(width).max(1)).clamp(1, 4)
}

/// Pixel size of a reconstruction grid: `rows` rows of `count` images of `height × width`.
pub fn image_grid_size(rows: usize, count: usize, height: usize, width: usize) -> (usize, usize) {
    let s = image_scale(height, width);
    (
        count * (width * s + GAP) + GAP,
        rows * (height * s + GAP) + GAP,
    )
}

/// Writes rows of images (values in [0, 1], clamped), e.g. clean / noisy / reconstructed.
/// Each row holds `[c, h, w]` images in CHW order.
pub fn save_image_rows(
    rows: &[Vec<Vec<f32>>],
    shape: [usize; 3],
    path: &Path,
) -> Result<(), TrainError> {
    let [_, h, w] = shape;
    let count = rows.iter().map(Vec::len).max().unwrap_or(0);
    let s = image_scale(h, w);
    let (width, height) = image_grid_size(rows.len(), count, h, w);
    let mut canvas = Canvas::new(width, height);
    for (r, row) in rows.iter().enumerate() {
        for (i, image) in row.iter().enumerate() {
            canvas.draw(
                GAP + i * (w * s + GAP),
                GAP + r * (h * s + GAP),
                image,
                shape,
                s,
            );
        }
    }
    canvas.save(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_shapes_are_near_square() {
        assert_eq!(grid_shape(400), (20, 20));
        assert_eq!(grid_shape(64), (8, 8));
        assert_eq!(grid_shape(6), (3, 2));
        assert_eq!(grid_shape(1), (1, 1));
        assert_eq!(weight_grid_size(400, 28, 28), (20 * 58 + 2, 20 * 58 + 2));
        // 3×3 kernels are magnified 18 times.
        assert_eq!(weight_grid_size(64, 3, 3), (8 * 56 + 2, 8 * 56 + 2));
        // Whole images are doubled: 28 -> 56 px, 32 -> 64 px.
        assert_eq!(image_grid_size(2, 10, 28, 28), (10 * 58 + 2, 2 * 58 + 2));
        assert_eq!(image_grid_size(3, 10, 32, 32), (10 * 66 + 2, 3 * 66 + 2));
    }

    #[test]
    fn weight_grid_png_has_the_computed_size_and_normalised_tiles() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.png");
        let tiles = Tiles {
            channels: 1,
            height: 2,
            width: 2,
            tiles: vec![vec![0.0, 1.0, 2.0, 3.0], vec![5.0; 4]],
        };
        save_weight_grid(&tiles, &path).unwrap();
        let decoder =
            png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&path).unwrap()));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        let (w, h) = weight_grid_size(2, 2, 2);
        assert_eq!((info.width as usize, info.height as usize), (w, h));
        // Tile 0's top-left pixel is its minimum (black), its bottom-right the maximum (white).
        let at = |x: usize, y: usize| buf[(y * w + x) * 3];
        let s = tile_scale(2, 2);
        assert_eq!(at(GAP, GAP), 0);
        assert_eq!(at(GAP + 2 * s - 1, GAP + 2 * s - 1), 255);
        // A constant tile is mid grey.
        assert_eq!(at(GAP + 2 * s + GAP, GAP), 128);
    }

    #[test]
    fn tiles_round_trip_through_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.tiles");
        let tiles = Tiles {
            channels: 3,
            height: 1,
            width: 2,
            tiles: vec![vec![0.5, -1.0, 2.0, 3.0, 4.0, 5.0]; 3],
        };
        tiles.save(&path).unwrap();
        assert_eq!(Tiles::load(&path).unwrap(), tiles);
        let diff = tiles.difference(&tiles).unwrap();
        assert!(diff.tiles.iter().flatten().all(|&v| v == 0.0));
    }
}
