//! Image grids: a layer's weights as tiles (dense units as images, conv kernels as small
//! tiles, RGB for 3-channel input; the tiles come from the model kind, `ae_train::Tiles`),
//! scaled for display as the notebooks' `torchvision.utils.make_grid(w, normalize=True)` does
//! (one min–max scale for the whole grid) or each tile on its own (`scale_each=True`); and
//! clean / noisy / reconstructed test images side by side. Written as PNG with the `png` crate.

use std::path::Path;

use ae_train::{Tiles, TrainError, write_atomic};

/// Pixels between tiles and around the grid.
pub const GAP: usize = 2;
/// Background colour between tiles.
const BACKGROUND: [u8; 3] = [40, 40, 48];

/// How a weight grid maps values to grey levels (or colours).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GridScale {
    /// One min–max scale for the whole grid, as the notebooks draw (`make_grid(normalize=True)`,
    /// `scale_each=False`): a kernel that barely changed looks flat beside one that changed a
    /// lot.
    #[default]
    Grid,
    /// Each tile scaled to its own minimum and maximum (`scale_each=True`): every tile's
    /// pattern visible, their sizes not comparable.
    Tile,
}

/// Columns and rows of a grid of `n` tiles, `per_row` to a row (at most `n`), or near-square
/// when `per_row` is `None`.
pub fn grid_shape(n: usize, per_row: Option<usize>) -> (usize, usize) {
    let cols = match per_row {
        Some(per_row) => per_row.clamp(1, n.max(1)),
        None => (n as f64).sqrt().ceil().max(1.0) as usize,
    };
    (cols, n.div_ceil(cols).max(1))
}

/// Integer magnification so small tiles (conv kernels) are visible: about 56 px per tile side.
pub fn tile_scale(height: usize, width: usize) -> usize {
    (56 / height.max(width).max(1)).max(1)
}

/// Pixel size of a weight grid of `n` tiles of `height × width`, `per_row` to a row.
pub fn weight_grid_size(
    n: usize,
    per_row: Option<usize>,
    height: usize,
    width: usize,
) -> (usize, usize) {
    let (cols, rows) = grid_shape(n, per_row);
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

/// The smallest and largest value (NaN ignored; `(inf, -inf)` when there is none).
fn range<'a>(values: impl IntoIterator<Item = &'a f32>) -> (f32, f32) {
    values
        .into_iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        })
}

/// Maps `values` to [0, 1] by the range `(lo, hi)`; a constant (or empty) range draws mid grey.
fn normalise(values: &[f32], (lo, hi): (f32, f32)) -> Vec<f32> {
    if hi.partial_cmp(&lo) != Some(std::cmp::Ordering::Greater) {
        return vec![0.5; values.len()];
    }
    values.iter().map(|v| (v - lo) / (hi - lo)).collect()
}

/// Writes the tiles as a grid PNG, `per_row` to a row (near-square when `None`), scaled as
/// `scale` says.
pub fn save_weight_grid(
    tiles: &Tiles,
    per_row: Option<usize>,
    scale: GridScale,
    path: &Path,
) -> Result<(), TrainError> {
    let n = tiles.tiles.len();
    let (cols, _) = grid_shape(n, per_row);
    let s = tile_scale(tiles.height, tiles.width);
    let (w, h) = weight_grid_size(n, per_row, tiles.height, tiles.width);
    let whole = range(tiles.tiles.iter().flatten());
    let mut canvas = Canvas::new(w, h);
    for (i, tile) in tiles.tiles.iter().enumerate() {
        let (col, row) = (i % cols, i / cols);
        let tile_range = match scale {
            GridScale::Grid => whole,
            GridScale::Tile => range(tile),
        };
        canvas.draw(
            GAP + col * (tiles.width * s + GAP),
            GAP + row * (tiles.height * s + GAP),
            &normalise(tile, tile_range),
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
    fn grid_shapes_are_near_square_or_as_many_per_row_as_asked() {
        assert_eq!(grid_shape(400, None), (20, 20));
        assert_eq!(grid_shape(64, None), (8, 8));
        assert_eq!(grid_shape(6, None), (3, 2));
        assert_eq!(grid_shape(1, None), (1, 1));
        // make_grid(nrow=8) of 64 kernels; LeNet's six kernels in one row; nrow beyond n.
        assert_eq!(grid_shape(64, Some(8)), (8, 8));
        assert_eq!(grid_shape(6, Some(6)), (6, 1));
        assert_eq!(grid_shape(10, Some(8)), (8, 2));
        assert_eq!(grid_shape(3, Some(8)), (3, 1));
        assert_eq!(
            weight_grid_size(400, None, 28, 28),
            (20 * 58 + 2, 20 * 58 + 2)
        );
        // 3×3 kernels are magnified 18 times; 5×5 ones 11 times.
        assert_eq!(weight_grid_size(64, None, 3, 3), (8 * 56 + 2, 8 * 56 + 2));
        assert_eq!(weight_grid_size(6, Some(6), 5, 5), (6 * 57 + 2, 57 + 2));
        // Whole images are doubled: 28 -> 56 px, 32 -> 64 px.
        assert_eq!(image_grid_size(2, 10, 28, 28), (10 * 58 + 2, 2 * 58 + 2));
        assert_eq!(image_grid_size(3, 10, 32, 32), (10 * 66 + 2, 3 * 66 + 2));
    }

    /// Draws two 2×2 tiles side by side and returns the grey level of a pixel reader.
    fn draw(tiles: &Tiles, scale: GridScale) -> impl Fn(usize, usize) -> u8 + use<> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.png");
        save_weight_grid(tiles, Some(2), scale, &path).unwrap();
        let decoder =
            png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&path).unwrap()));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        let (w, h) = weight_grid_size(2, Some(2), 2, 2);
        assert_eq!((info.width as usize, info.height as usize), (w, h));
        let s = tile_scale(2, 2);
        // Pixel (x, y) of tile `t`.
        move |t: usize, p: usize| {
            let (x, y) = (GAP + t * (2 * s + GAP) + (p % 2) * s, GAP + (p / 2) * s);
            buf[(y * w + x) * 3]
        }
    }

    #[test]
    fn one_scale_for_the_grid_keeps_the_tiles_contrast() {
        // Tile 0 spans 0..3, tile 1 barely differs from 1: on one scale (0 -> black, 3 ->
        // white) tile 1 is a flat grey near 1/3 (85); on its own scale it spans black to white.
        let tiles = Tiles::new(
            [1, 2, 2],
            vec![vec![0.0, 1.0, 2.0, 3.0], vec![1.0, 1.0, 1.0, 1.01]],
        );
        let grid = draw(&tiles, GridScale::Grid);
        assert_eq!((grid(0, 0), grid(0, 1), grid(0, 3)), (0, 85, 255));
        assert_eq!((grid(1, 0), grid(1, 3)), (85, 86));
        let each = draw(&tiles, GridScale::Tile);
        assert_eq!((each(0, 0), each(0, 3)), (0, 255));
        assert_eq!((each(1, 0), each(1, 3)), (0, 255));
        // A constant grid (an unchanged layer's update) is mid grey.
        let flat = draw(
            &Tiles::new([1, 2, 2], vec![vec![0.0; 4]; 2]),
            GridScale::Grid,
        );
        assert_eq!((flat(0, 0), flat(1, 3)), (128, 128));
    }
}
