//! Weights as pictures' raw material: a layer's weights as equal-sized tiles (a dense unit as
//! an image, a conv kernel as a small tile), kept between stages in a small binary file so the
//! change of a layer over training can be drawn. Drawing them is `ae-report`'s job.

use std::path::Path;

use burn::tensor::Tensor;

use crate::error::TrainError;
use crate::files::write_atomic;
use crate::readback::read_f32;

/// A layer's weights as tiles, with how the notebooks lay them out.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerTiles {
    /// Names the layer in file names: `encoder` (a dense first layer), `decoder` (a dense
    /// output layer), `conv1` (a first convolution), `conv2-kernel1` (the input channels of
    /// LeNet's second convolution's first kernel).
    pub name: &'static str,
    /// What the tiles show, for captions: "conv1's 64 kernels".
    pub title: String,
    /// Tiles per grid row, as `make_grid(nrow=...)` in the notebooks; `None`: a near-square
    /// grid.
    pub per_row: Option<usize>,
    pub tiles: Tiles,
}

impl LayerTiles {
    /// `tiles` of layer `name`, in a near-square grid.
    pub fn new(name: &'static str, title: impl Into<String>, tiles: Tiles) -> LayerTiles {
        LayerTiles {
            name,
            title: title.into(),
            per_row: None,
            tiles,
        }
    }

    /// The same tiles drawn `per_row` to a row.
    pub fn per_row(mut self, per_row: usize) -> LayerTiles {
        self.per_row = Some(per_row);
        self
    }
}

/// Equal-sized images, each `channels × height × width` (CHW order).
#[derive(Debug, Clone, PartialEq)]
pub struct Tiles {
    pub channels: usize,
    pub height: usize,
    pub width: usize,
    pub tiles: Vec<Vec<f32>>,
}

impl Tiles {
    /// Tiles of `[channels, height, width]` each.
    pub fn new([channels, height, width]: [usize; 3], tiles: Vec<Vec<f32>>) -> Tiles {
        Tiles {
            channels,
            height,
            width,
            tiles,
        }
    }

    /// Whether every value is zero (a layer that a stage left unchanged has a zero update).
    pub fn is_zero(&self) -> bool {
        self.tiles.iter().flatten().all(|&v| v == 0.0)
    }

    /// The largest magnitude (0 for no values).
    pub fn max_abs(&self) -> f32 {
        self.tiles
            .iter()
            .flatten()
            .fold(0.0f32, |m, v| m.max(v.abs()))
    }

    /// The fraction of values whose magnitude is at most `relative` times the largest
    /// magnitude (what looks zero in a grid drawn on one scale); 0 for no values.
    pub fn near_zero_fraction(&self, relative: f32) -> f64 {
        let values = || self.tiles.iter().flatten();
        let count = values().count();
        if count == 0 {
            return 0.0;
        }
        let largest = self.max_abs();
        let near = values().filter(|v| v.abs() <= relative * largest).count();
        near as f64 / count as f64
    }

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

/// Dense weight `[d_input, units]` as one image per unit (column): a first layer's units.
pub fn dense_columns(weight: Tensor<2>, image: [usize; 3]) -> Result<Tiles, TrainError> {
    let [d_input, units] = weight.dims();
    dense_tiles(
        weight,
        image,
        units,
        d_input,
        "first-layer weight has {} inputs",
        |v, unit, i| v[i * units + unit],
    )
}

/// Dense weight `[units, d_output]` as one image per unit (row): an output layer's units.
pub fn dense_rows(weight: Tensor<2>, image: [usize; 3]) -> Result<Tiles, TrainError> {
    let [units, d_output] = weight.dims();
    dense_tiles(
        weight,
        image,
        units,
        d_output,
        "output-layer weight has {} outputs",
        |v, unit, i| v[unit * d_output + i],
    )
}

/// `units` images of `image`'s shape, pixel `i` of unit `u` being `at(values, u, i)`; the
/// image size must be `per_unit` (`what` says what that is, `{}` standing for the number).
fn dense_tiles(
    weight: Tensor<2>,
    image: [usize; 3],
    units: usize,
    per_unit: usize,
    what: &str,
    at: impl Fn(&[f32], usize, usize) -> f32,
) -> Result<Tiles, TrainError> {
    let values = read_f32(weight)?;
    let [c, h, w] = image;
    if c * h * w != per_unit {
        return Err(TrainError::InvalidOption(format!(
            "{}, images have {c}×{h}×{w}",
            what.replacen("{}", &per_unit.to_string(), 1)
        )));
    }
    Ok(Tiles {
        channels: c,
        height: h,
        width: w,
        tiles: (0..units)
            .map(|u| (0..per_unit).map(|i| at(&values, u, i)).collect())
            .collect(),
    })
}

/// Conv weight `[out, in, k, k]`'s first kernel as one grey tile per input channel: what the
/// LeNet lecture shows of the second convolution.
pub fn first_kernel_channels(weight: Tensor<4>) -> Result<Tiles, TrainError> {
    let [_, inp, kh, kw] = weight.dims();
    let values = read_f32(weight)?;
    Ok(Tiles {
        channels: 1,
        height: kh,
        width: kw,
        tiles: values[..inp * kh * kw]
            .chunks(kh * kw)
            .map(<[f32]>::to_vec)
            .collect(),
    })
}

/// Conv weight `[out, in, k, k]` as one tile per output channel (in = 1 grey, 3 RGB).
pub fn conv_kernels(weight: Tensor<4>) -> Result<Tiles, TrainError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_round_trip_through_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.tiles");
        let tiles = Tiles::new([3, 1, 2], vec![vec![0.5, -1.0, 2.0, 3.0, 4.0, 5.0]; 3]);
        tiles.save(&path).unwrap();
        assert_eq!(Tiles::load(&path).unwrap(), tiles);
        let diff = tiles.difference(&tiles).unwrap();
        assert!(diff.is_zero() && !tiles.is_zero());
        assert!(
            tiles
                .difference(&Tiles::new([1, 1, 2], vec![vec![0.0; 2]]))
                .is_none()
        );
    }

    #[test]
    fn near_zero_counts_values_within_a_fraction_of_the_largest() {
        // Largest |v| is 10: 0.05 and -0.09 are within 1% of it, 0.2 and 10 are not.
        let tiles = Tiles::new([1, 1, 2], vec![vec![0.05, -0.09], vec![0.2, -10.0]]);
        assert_eq!(tiles.near_zero_fraction(0.01), 0.5);
        assert_eq!(tiles.near_zero_fraction(0.1), 0.75);
        assert_eq!(Tiles::new([1, 1, 1], vec![]).near_zero_fraction(0.01), 0.0);
    }

    #[test]
    fn the_first_kernel_gives_one_tile_per_input_channel() {
        use burn::tensor::{Device, TensorData};
        // [out 2, in 3, 1, 2]: the first kernel's channels are [0, 1], [2, 3], [4, 5].
        let values: Vec<f32> = (0..12).map(|v| v as f32).collect();
        let weight = Tensor::<4>::from_data(TensorData::new(values, [2, 3, 1, 2]), &Device::flex());
        let tiles = first_kernel_channels(weight.clone()).unwrap();
        assert_eq!((tiles.channels, tiles.height, tiles.width), (1, 1, 2));
        assert_eq!(
            tiles.tiles,
            vec![vec![0.0, 1.0], vec![2.0, 3.0], vec![4.0, 5.0]]
        );
        let kernels = conv_kernels(weight).unwrap();
        assert_eq!((kernels.channels, kernels.tiles.len()), (3, 2));
        assert_eq!(
            kernels.tiles[1],
            (6..12).map(|v| v as f32).collect::<Vec<_>>()
        );
    }
}
