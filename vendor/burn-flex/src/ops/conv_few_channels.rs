//! ae patch 9: 2-D convolutions with few output channels (the conv autoencoder's last layer,
//! 64 -> 1; LeNet-5's first, 1 -> 6), forward and both gradients, without im2col.
//!
//! With one output channel the im2col product is a matrix-vector product over a patch matrix
//! of `c_in * kh * kw` rows per output pixel (576 × 1024 floats per 32×32 sample): the three
//! passes of the conv autoencoder's last layer took about 3 s of its 6.5 s step at batch 2000.
//! Here every sample's input planes are copied once into zero-padded planes of width
//! `Wp = w + 2·pad`, and the output is held in that same width (columns `out_w..Wp` of each
//! row are scratch). A kernel tap (kh, kw) is then a shift by `kh·Wp + kw` of one contiguous
//! range, so each pass is a sum of long contiguous multiply-adds that vectorize:
//!
//! - forward: `out_p[i] += w[co, c, kh, kw] · x_p[c][i + kh·Wp + kw]`
//! - input gradient: `dx_p[c][i + kh·Wp + kw] += w[co, c, kh, kw] · g_p[co][i]`
//! - weight gradient: `dw[co, c, kh, kw] += Σ_i g_p[co][i] · x_p[c][i + kh·Wp + kw]`
//!
//! where `g_p` is the output gradient in the padded width with zeros in the scratch columns.
//! Stride 1, dilation 1, one group, symmetric padding, f32; see [`applies`].

use alloc::vec;
use alloc::vec::Vec;
use burn_backend::DType;
use burn_backend::ops::ConvOptions;
use burn_std::{Bytes, Shape};

use super::sample_ranges::{for_sample_ranges, sum_over_sample_ranges};
use crate::{FlexTensor, Layout};

/// At most this many output channels take this path (measured: PATCHES.md, patch 9).
const MAX_OUT_CHANNELS: usize = 8;

/// Whether the convolution of `weight_shape` ([c_out, c_in, kh, kw]) with `options` takes the
/// few-output-channel path.
pub fn applies(weight_shape: &[usize], options: &ConvOptions<2>) -> bool {
    options.groups == 1
        && options.stride == [1, 1]
        && options.dilation == [1, 1]
        && !options.is_asymmetric()
        && weight_shape[0] <= MAX_OUT_CHANNELS
        && crate::ops::conv::patched_conv_forward()
}

/// Sizes of one convolution in the padded-width layout.
#[derive(Clone, Copy)]
struct Planes {
    c_in: usize,
    c_out: usize,
    in_h: usize,
    in_w: usize,
    kernel_h: usize,
    kernel_w: usize,
    pad_h: usize,
    pad_w: usize,
    out_h: usize,
    out_w: usize,
    /// Padded width and height.
    wp: usize,
    hp: usize,
}

impl Planes {
    fn new(x_shape: &[usize], weight_shape: &[usize], options: &ConvOptions<2>) -> Self {
        let [pad_h, pad_w] = options.padding_begin();
        let (in_h, in_w) = (x_shape[2], x_shape[3]);
        let (kernel_h, kernel_w) = (weight_shape[2], weight_shape[3]);
        let (hp, wp) = (in_h + 2 * pad_h, in_w + 2 * pad_w);
        Planes {
            c_in: x_shape[1],
            c_out: weight_shape[0],
            in_h,
            in_w,
            kernel_h,
            kernel_w,
            pad_h,
            pad_w,
            out_h: (hp + 1).saturating_sub(kernel_h),
            out_w: (wp + 1).saturating_sub(kernel_w),
            wp,
            hp,
        }
    }

    /// Length of the range an output plane covers in the padded width.
    fn span(&self) -> usize {
        if self.out_h == 0 || self.out_w == 0 {
            0
        } else {
            (self.out_h - 1) * self.wp + self.out_w
        }
    }

    fn padded_plane(&self) -> usize {
        self.hp * self.wp
    }

    /// Copies sample `b`'s input planes into `xp` ([c_in, hp, wp], zero borders).
    fn pad_input(&self, x: &[f32], b: usize, xp: &mut [f32]) {
        let plane = self.in_h * self.in_w;
        xp.fill(0.0);
        for c in 0..self.c_in {
            let src = &x[(b * self.c_in + c) * plane..][..plane];
            let dst = &mut xp[c * self.padded_plane()..][..self.padded_plane()];
            for h in 0..self.in_h {
                dst[(h + self.pad_h) * self.wp + self.pad_w..][..self.in_w]
                    .copy_from_slice(&src[h * self.in_w..][..self.in_w]);
            }
        }
    }

    /// Copies sample `b`'s output gradient into `gp` ([c_out, span] in the padded width, zeros
    /// in the scratch columns).
    fn pad_output_grad(&self, g: &[f32], b: usize, gp: &mut [f32]) {
        let (plane, span) = (self.out_h * self.out_w, self.span());
        gp.fill(0.0);
        for co in 0..self.c_out {
            let src = &g[(b * self.c_out + co) * plane..][..plane];
            let dst = &mut gp[co * span..][..span];
            for h in 0..self.out_h {
                dst[h * self.wp..][..self.out_w].copy_from_slice(&src[h * self.out_w..][..self.out_w]);
            }
        }
    }

    fn tap_offset(&self, kh: usize, kw: usize) -> usize {
        kh * self.wp + kw
    }

    /// Every tap's offset, in the weight's (kh, kw) order.
    fn tap_offsets(&self) -> Vec<usize> {
        (0..self.kernel_h)
            .flat_map(|kh| (0..self.kernel_w).map(move |kw| self.tap_offset(kh, kw)))
            .collect()
    }
}

/// `dst[i] += a · src[i]`
#[inline(always)]
fn axpy(dst: &mut [f32], a: f32, src: &[f32]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d += a * s;
    }
}

/// `acc[i] += Σ_t w[t] · src[offsets[t] + i]` for every tap t, the taps in order for each
/// `i`: blocks of [`BLOCK`] outputs held in registers across all taps (one load and one
/// multiply-add per vector and tap), the last `acc.len() % BLOCK` one [`axpy`] per tap.
///
/// Compiled for the widest vectors the CPU has (macerator's dispatch, as burn-flex's own
/// kernels are): the build targets baseline x86-64, whose SSE2 code has a quarter of AVX-512's
/// width. The same multiplies and adds in the same order, so the same results.
#[cfg_attr(feature = "simd", macerator::with_simd)]
fn accumulate_taps<#[cfg(feature = "simd")] S: macerator::Simd>(
    acc: &mut [f32],
    src: &[f32],
    offsets: &[usize],
    w: &[f32],
) {
    let n = acc.len();
    let full = n - n % BLOCK;
    for start in (0..full).step_by(BLOCK) {
        let out: &mut [f32; BLOCK] = (&mut acc[start..start + BLOCK]).try_into().unwrap();
        let mut block = *out;
        for (&offset, &wt) in offsets.iter().zip(w) {
            let s: &[f32; BLOCK] = src[offset + start..][..BLOCK].try_into().unwrap();
            for l in 0..BLOCK {
                block[l] += wt * s[l];
            }
        }
        *out = block;
    }
    for (&offset, &wt) in offsets.iter().zip(w) {
        axpy(&mut acc[full..], wt, &src[offset + full..offset + n]);
    }
}

/// Outputs [`accumulate_taps`] keeps in registers: four AVX-512 vectors.
const BLOCK: usize = 64;

/// `Σ a[i] · b[i]`, in 16 independent partial sums so that it vectorizes.
#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 16];
    let (a_chunks, b_chunks) = (a.chunks_exact(16), b.chunks_exact(16));
    let tail: f32 = a_chunks
        .remainder()
        .iter()
        .zip(b_chunks.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in a_chunks.zip(b_chunks) {
        for l in 0..16 {
            lanes[l] += x[l] * y[l];
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// `dw[t] += Σ_i g[i] · src[offsets[t] + i]` for every tap t (`g.len()` values each), compiled
/// for the CPU's widest vectors as [`accumulate_taps`] is.
#[cfg_attr(feature = "simd", macerator::with_simd)]
fn add_tap_dots<#[cfg(feature = "simd")] S: macerator::Simd>(
    dw: &mut [f32],
    g: &[f32],
    src: &[f32],
    offsets: &[usize],
) {
    let n = g.len();
    for (d, &offset) in dw.iter_mut().zip(offsets) {
        *d += dot(g, &src[offset..offset + n]);
    }
}

/// Forward pass. x: [batch, c_in, h, w], weight: [c_out, c_in, kh, kw], bias: [c_out]
/// -> [batch, c_out, out_h, out_w]
pub fn forward(
    x: FlexTensor,
    weight: FlexTensor,
    bias: Option<FlexTensor>,
    options: &ConvOptions<2>,
) -> FlexTensor {
    let x = x.to_contiguous();
    let weight = weight.to_contiguous();
    let bias = bias.map(|b| b.to_contiguous());
    let batch = x.layout().shape()[0];
    let p = Planes::new(x.layout().shape(), weight.layout().shape(), options);
    let (x_data, w_data): (&[f32], &[f32]) = (x.storage(), weight.storage());
    let b_data: Option<&[f32]> = bias.as_ref().map(|b| b.storage());
    let (plane_out, span) = (p.out_h * p.out_w, p.span());
    let taps = p.kernel_h * p.kernel_w;

    let offsets = p.tap_offsets();
    let mut out = vec![0.0f32; batch * p.c_out * plane_out];
    for_sample_ranges(&mut out, batch, p.c_out * plane_out, |first, chunk| {
        let mut xp = vec![0.0f32; p.c_in * p.padded_plane()];
        let mut acc = vec![0.0f32; span];
        for (i, sample_out) in chunk.chunks_mut(p.c_out * plane_out).enumerate() {
            p.pad_input(x_data, first + i, &mut xp);
            for co in 0..p.c_out {
                acc.fill(b_data.map_or(0.0, |b| b[co]));
                for c in 0..p.c_in {
                    let src = &xp[c * p.padded_plane()..][..p.padded_plane()];
                    let w = &w_data[(co * p.c_in + c) * taps..][..taps];
                    accumulate_taps(&mut acc, src, &offsets, w);
                }
                let dst = &mut sample_out[co * plane_out..][..plane_out];
                for h in 0..p.out_h {
                    dst[h * p.out_w..][..p.out_w].copy_from_slice(&acc[h * p.wp..][..p.out_w]);
                }
            }
        }
    });
    FlexTensor::new(
        Bytes::from_elems(out),
        Layout::contiguous(Shape::from(vec![batch, p.c_out, p.out_h, p.out_w])),
        DType::F32,
    )
}

/// Input gradient. weight: [c_out, c_in, kh, kw], grad: [batch, c_out, out_h, out_w]
/// -> [batch, c_in, h, w] (`x_shape`)
pub fn x_backward(
    x_shape: &Shape,
    weight: FlexTensor,
    output_grad: FlexTensor,
    options: &ConvOptions<2>,
) -> FlexTensor {
    let weight = weight.to_contiguous();
    let grad = output_grad.to_contiguous();
    let batch = x_shape[0];
    let p = Planes::new(x_shape, weight.layout().shape(), options);
    let (w_data, g_data): (&[f32], &[f32]) = (weight.storage(), grad.storage());
    let (plane_in, span) = (p.in_h * p.in_w, p.span());
    let taps = p.kernel_h * p.kernel_w;

    // In gather form: dx_p[j] = Σ_co Σ_t w[co, c, t] · g_p[co][j - offset_t], reading each
    // output gradient from a copy with `max_offset` zeros before it and zeros after it
    // (`extended`), so that every tap reads `padded_plane` contiguous values.
    let offsets = p.tap_offsets();
    let max_offset = offsets.iter().copied().max().unwrap_or(0);
    let reversed: Vec<usize> = offsets.iter().map(|o| max_offset - o).collect();
    let extended_len = max_offset + p.padded_plane();
    let mut dx = vec![0.0f32; batch * p.c_in * plane_in];
    for_sample_ranges(&mut dx, batch, p.c_in * plane_in, |first, chunk| {
        let mut gp = vec![0.0f32; p.c_out * span];
        let mut extended = vec![0.0f32; p.c_out * extended_len];
        let mut dxp = vec![0.0f32; p.padded_plane()];
        for (i, sample_dx) in chunk.chunks_mut(p.c_in * plane_in).enumerate() {
            p.pad_output_grad(g_data, first + i, &mut gp);
            for co in 0..p.c_out {
                extended[co * extended_len + max_offset..][..span]
                    .copy_from_slice(&gp[co * span..][..span]);
            }
            for c in 0..p.c_in {
                dxp.fill(0.0);
                for co in 0..p.c_out {
                    let g = &extended[co * extended_len..][..extended_len];
                    let w = &w_data[(co * p.c_in + c) * taps..][..taps];
                    accumulate_taps(&mut dxp, g, &reversed, w);
                }
                let dst = &mut sample_dx[c * plane_in..][..plane_in];
                for h in 0..p.in_h {
                    dst[h * p.in_w..][..p.in_w]
                        .copy_from_slice(&dxp[(h + p.pad_h) * p.wp + p.pad_w..][..p.in_w]);
                }
            }
        }
    });
    FlexTensor::new(
        Bytes::from_elems(dx),
        Layout::contiguous(x_shape.clone()),
        DType::F32,
    )
}

/// Weight gradient. x: [batch, c_in, h, w], grad: [batch, c_out, out_h, out_w]
/// -> [c_out, c_in, kh, kw] (`weight_shape`)
pub fn weight_backward(
    x: FlexTensor,
    weight_shape: &Shape,
    output_grad: FlexTensor,
    options: &ConvOptions<2>,
) -> FlexTensor {
    let x = x.to_contiguous();
    let grad = output_grad.to_contiguous();
    let batch = x.layout().shape()[0];
    let p = Planes::new(x.layout().shape(), weight_shape, options);
    let (x_data, g_data): (&[f32], &[f32]) = (x.storage(), grad.storage());
    let span = p.span();
    let taps = p.kernel_h * p.kernel_w;
    let len = p.c_out * p.c_in * taps;
    let offsets = p.tap_offsets();

    let accumulate = |samples: core::ops::Range<usize>| -> Vec<f32> {
        let mut acc = vec![0.0f32; len];
        let mut xp = vec![0.0f32; p.c_in * p.padded_plane()];
        let mut gp = vec![0.0f32; p.c_out * span];
        for b in samples {
            p.pad_input(x_data, b, &mut xp);
            p.pad_output_grad(g_data, b, &mut gp);
            for co in 0..p.c_out {
                let g = &gp[co * span..][..span];
                for c in 0..p.c_in {
                    let src = &xp[c * p.padded_plane()..][..p.padded_plane()];
                    let dw = &mut acc[(co * p.c_in + c) * taps..][..taps];
                    add_tap_dots(dw, g, src, &offsets);
                }
            }
        }
        acc
    };

    let acc = sum_over_sample_ranges(batch, len, accumulate);

    FlexTensor::new(
        Bytes::from_elems(acc),
        Layout::contiguous(weight_shape.clone()),
        DType::F32,
    )
}
