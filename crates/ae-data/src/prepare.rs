//! Turning a raw image set into the float tensor data models train on: u8 / 255 in [0, 1]
//! (like torchvision's `ToTensor`), after an optional resize to 32×32.

use serde::{Deserialize, Serialize};

use crate::images::{ImageSet, Prepared};

/// How images are brought to the size a model expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Resize {
    /// Keep the stored size.
    #[default]
    Keep,
    /// Zero-pad 28×28 to 32×32 (2 pixels each side).
    Pad32,
    /// Bilinear resize to 32×32, exactly as torchvision's `Resize(32)` on a PIL image
    /// (PIL's fixed-point bilinear filter, horizontal pass then vertical, rounded to u8).
    Bilinear32,
}

impl Prepared {
    /// Converts every image once; batches are then cut from this buffer.
    pub fn new(set: &ImageSet, resize: Resize) -> Self {
        let bytes = resize_u8(set, resize);
        let [c, _, _] = set.image_shape();
        let shape = match resize {
            Resize::Keep => set.image_shape(),
            Resize::Pad32 | Resize::Bilinear32 => [c, 32, 32],
        };
        let pixels = bytes.iter().map(|&b| b as f32 / 255.0).collect();
        Self::from_parts_unchecked(pixels, set.labels().to_vec(), shape, set.classes())
    }
}

/// The set's pixels after `resize`, still as u8: [n, c, H, W].
pub fn resize_u8(set: &ImageSet, resize: Resize) -> Vec<u8> {
    let [c, h, w] = set.image_shape();
    match resize {
        Resize::Keep => set.pixels().to_vec(),
        Resize::Pad32 => {
            let (oh, ow) = (32.max(h), 32.max(w));
            let (top, left) = ((oh - h) / 2, (ow - w) / 2);
            let mut out = vec![0u8; set.len() * c * oh * ow];
            for (plane_in, plane_out) in set
                .pixels()
                .chunks_exact(h * w)
                .zip(out.chunks_exact_mut(oh * ow))
            {
                for y in 0..h {
                    let dst = (y + top) * ow + left;
                    plane_out[dst..dst + w].copy_from_slice(&plane_in[y * w..(y + 1) * w]);
                }
            }
            out
        }
        Resize::Bilinear32 => {
            let horizontal = PilCoefficients::new(w, 32);
            let vertical = PilCoefficients::new(h, 32);
            let mut out = vec![0u8; set.len() * c * 32 * 32];
            let mut tmp = vec![0u8; h * 32];
            for (plane_in, plane_out) in set
                .pixels()
                .chunks_exact(h * w)
                .zip(out.chunks_exact_mut(32 * 32))
            {
                for y in 0..h {
                    horizontal.apply(|x| plane_in[y * w + x], |xo, v| tmp[y * 32 + xo] = v);
                }
                for x in 0..32 {
                    vertical.apply(|y| tmp[y * 32 + x], |yo, v| plane_out[yo * 32 + x] = v);
                }
            }
            out
        }
    }
}

/// PIL's bilinear resampling coefficients for one axis, in its 8-bit fixed point.
struct PilCoefficients {
    /// For each output index: first input index and the fixed-point weights.
    taps: Vec<(usize, Vec<i32>)>,
}

const PRECISION_BITS: u32 = 32 - 8 - 2;

impl PilCoefficients {
    fn new(in_size: usize, out_size: usize) -> Self {
        let scale = in_size as f64 / out_size as f64;
        let filterscale = scale.max(1.0);
        let support = filterscale; // bilinear support is 1.0
        let taps = (0..out_size)
            .map(|xx| {
                let center = (xx as f64 + 0.5) * scale;
                let xmin = ((center - support + 0.5) as i64).max(0) as usize;
                let xmax = ((center + support + 0.5) as i64).min(in_size as i64) as usize;
                let weights: Vec<f64> = (xmin..xmax)
                    .map(|x| {
                        let t = ((x as f64 - center + 0.5) / filterscale).abs();
                        if t < 1.0 { 1.0 - t } else { 0.0 }
                    })
                    .collect();
                let sum: f64 = weights.iter().sum();
                let fixed = weights
                    .iter()
                    .map(|&k| {
                        let k = if sum != 0.0 { k / sum } else { k };
                        let scaled = k * (1u64 << PRECISION_BITS) as f64;
                        if k < 0.0 {
                            (scaled - 0.5) as i32
                        } else {
                            (scaled + 0.5) as i32
                        }
                    })
                    .collect();
                (xmin, fixed)
            })
            .collect();
        Self { taps }
    }

    fn apply(&self, input: impl Fn(usize) -> u8, mut output: impl FnMut(usize, u8)) {
        for (xo, (xmin, weights)) in self.taps.iter().enumerate() {
            let mut acc: i64 = 1 << (PRECISION_BITS - 1);
            for (i, &k) in weights.iter().enumerate() {
                acc += input(xmin + i) as i64 * k as i64;
            }
            output(xo, (acc >> PRECISION_BITS).clamp(0, 255) as u8);
        }
    }
}
