//! Image grids: a layer's weights as tiles (dense units as images, conv kernels as small
//! tiles, RGB for 3-channel input; the tiles come from the model kind, `ae_train::Tiles`), each
//! tile normalised for display; and clean / noisy / reconstructed test images side by side.
//! Written as PNG with the `png` crate.

use std::path::Path;

use ae_train::{Tiles, TrainError, write_atomic};

/// Pixels between tiles and around the grid.
pub const GAP: usize = 2;
/// Background colour between tiles.
const BACKGROUND: [u8; 3] = [40, 40, 48];

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
        let tiles = Tiles::new([1, 2, 2], vec![vec![0.0, 1.0, 2.0, 3.0], vec![5.0; 4]]);
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
}
