//! Naive f64 re-implementations of the layers (straight from their PyTorch definitions), used
//! as independent references for the Burn models.

use burn::nn::Linear;
use burn::nn::conv::Conv2d;

use crate::common::values;

/// A feature map `[channels, height, width]`, row-major.
#[derive(Clone, Debug)]
pub struct Map {
    pub channels: usize,
    pub height: usize,
    pub width: usize,
    pub data: Vec<f64>,
}

impl Map {
    pub fn new(channels: usize, height: usize, width: usize, data: Vec<f64>) -> Self {
        assert_eq!(data.len(), channels * height * width);
        Map {
            channels,
            height,
            width,
            data,
        }
    }

    fn at(&self, c: usize, y: usize, x: usize) -> f64 {
        self.data[(c * self.height + y) * self.width + x]
    }
}

fn f64s(v: Vec<f32>) -> Vec<f64> {
    v.into_iter().map(f64::from).collect()
}

/// PyTorch `Conv2d` with a square kernel, zero padding `padding`, stride `stride`.
pub fn conv2d(input: &Map, conv: &Conv2d, stride: usize, padding: usize) -> Map {
    let [out_c, in_c, k, k2] = conv.weight.val().dims();
    assert_eq!(k, k2);
    assert_eq!(in_c, input.channels);
    let weight = f64s(values(conv.weight.val()));
    let bias = f64s(values(conv.bias.as_ref().expect("bias").val()));
    let out_h = (input.height + 2 * padding - k) / stride + 1;
    let out_w = (input.width + 2 * padding - k) / stride + 1;
    let mut data = vec![0.0; out_c * out_h * out_w];
    for o in 0..out_c {
        for oy in 0..out_h {
            for ox in 0..out_w {
                let mut sum = bias[o];
                for i in 0..in_c {
                    for ky in 0..k {
                        for kx in 0..k {
                            let y = (oy * stride + ky) as isize - padding as isize;
                            let x = (ox * stride + kx) as isize - padding as isize;
                            if y < 0
                                || x < 0
                                || y >= input.height as isize
                                || x >= input.width as isize
                            {
                                continue;
                            }
                            let w = weight[((o * in_c + i) * k + ky) * k + kx];
                            sum += w * input.at(i, y as usize, x as usize);
                        }
                    }
                }
                data[(o * out_h + oy) * out_w + ox] = sum;
            }
        }
    }
    Map::new(out_c, out_h, out_w, data)
}

/// `x W + b` with Burn's weight layout `[d_input, d_output]`.
pub fn linear(input: &[f64], layer: &Linear) -> Vec<f64> {
    let [d_in, d_out] = layer.weight.val().dims();
    assert_eq!(input.len(), d_in);
    let weight = f64s(values(layer.weight.val()));
    let bias = f64s(values(layer.bias.as_ref().expect("bias").val()));
    (0..d_out)
        .map(|j| {
            bias[j]
                + (0..d_in)
                    .map(|i| input[i] * weight[i * d_out + j])
                    .sum::<f64>()
        })
        .collect()
}

pub fn leaky(values: &mut [f64], slope: f64) {
    for v in values {
        if *v < 0.0 {
            *v *= slope;
        }
    }
}

pub fn relu(values: &mut [f64]) {
    for v in values {
        *v = v.max(0.0);
    }
}

/// PyTorch `F.interpolate(scale_factor=2, mode='bilinear', align_corners=False)`, written from
/// its source-coordinate rule `src = max((dst + 0.5) / 2 - 0.5, 0)`.
pub fn upsample2x(input: &Map) -> Map {
    let (h, w) = (input.height, input.width);
    let coord = |dst: usize, n: usize| {
        let src = ((dst as f64 + 0.5) / 2.0 - 0.5).max(0.0);
        let i0 = src.floor() as usize;
        let i1 = if i0 + 1 < n { i0 + 1 } else { n - 1 };
        (i0, i1, src - i0 as f64)
    };
    let mut data = Vec::with_capacity(input.channels * 4 * h * w);
    for c in 0..input.channels {
        for oy in 0..2 * h {
            let (y0, y1, ly) = coord(oy, h);
            for ox in 0..2 * w {
                let (x0, x1, lx) = coord(ox, w);
                let top = (1.0 - lx) * input.at(c, y0, x0) + lx * input.at(c, y0, x1);
                let bottom = (1.0 - lx) * input.at(c, y1, x0) + lx * input.at(c, y1, x1);
                data.push((1.0 - ly) * top + ly * bottom);
            }
        }
    }
    Map::new(input.channels, 2 * h, 2 * w, data)
}

/// 2x2 max-pool, stride 2.
pub fn max_pool2(input: &Map) -> Map {
    let (h, w) = (input.height / 2, input.width / 2);
    let mut data = Vec::with_capacity(input.channels * h * w);
    for c in 0..input.channels {
        for y in 0..h {
            for x in 0..w {
                let m = [(0, 0), (0, 1), (1, 0), (1, 1)]
                    .iter()
                    .map(|(dy, dx)| input.at(c, 2 * y + dy, 2 * x + dx))
                    .fold(f64::NEG_INFINITY, f64::max);
                data.push(m);
            }
        }
    }
    Map::new(input.channels, h, w, data)
}

pub fn log_softmax(logits: &[f64]) -> Vec<f64> {
    let max = logits.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let log_sum = logits.iter().map(|l| (l - max).exp()).sum::<f64>().ln() + max;
    logits.iter().map(|l| l - log_sum).collect()
}
