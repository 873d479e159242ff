//! ae patch 12: the forward pass and the weight gradient of a 2-D convolution with many input
//! channels, through a channels-last patch matrix.
//!
//! Patches 2 and 8 gather Caffe's im2col matrix `patches[(c, kh, kw), (b, oh, ow)]` from the
//! NCHW input: one row per input channel and kernel tap, filled by copies of `out_w` floats
//! (4–16 on the conv autoencoder's planes), element by element at stride 2. That gather was
//! 15–25% of those passes. Here each sample is first transposed into a zero-padded
//! channels-last copy `hwc[ih, iw, c]`, and the patch matrix is built the other way round,
//!
//! - `cols[(b, oh, ow), (kh, kw, c)]`: per output pixel and kernel row, one contiguous copy of
//!   `kernel_w · c_in` floats (dilation 1; one of `c_in` floats per tap otherwise),
//!
//! as patch 10 lays out its column matrix; with the weight permuted once per call to
//! `W'[co, (kh, kw, c)]` the passes are the products
//!
//! - forward: `out[co, (b, oh, ow)] = W' · colsᵀ` (+ bias), copied into NCHW order;
//! - weight gradient: `dW'[co, (kh, kw, c)] += grad[co, (b, oh, ow)] · cols`, permuted back.
//!
//! One group, f32, symmetric padding, any stride and dilation, and contiguous runs of at least
//! [`MIN_RUN_FLOATS`] (`kernel_w · c_in` floats, or `c_in` when dilated: LeNet-5's second layer,
//! 6 channels 5 wide, copies 30; a 3-channel 3×3 layer's 9 are too short); see [`applies`]. The
//! sums run over
//! the patch in another order than patches 2 and 8, so results differ from theirs in the last
//! bits of f32.

use alloc::vec;
use alloc::vec::Vec;
use burn_backend::DType;
use burn_backend::ops::ConvOptions;
use burn_backend::ops::conv::calculate_conv_output_size;
use burn_std::{Bytes, Shape};

use super::sample_ranges::{for_sample_ranges, sum_over_sample_ranges};
use crate::{FlexTensor, Layout};

/// Floats per chunk of samples in the forward pass: the patch matrix and the product (1 MB,
/// patch 8's size).
const FORWARD_CHUNK_FLOATS: usize = 1 << 18;
/// Floats of patch matrix per chunk of samples in the weight gradient (1 MB; patch 2's 8 MB
/// made the decoder's weight gradients 30–40% slower here, 64K–256K floats measured alike).
const WEIGHT_CHUNK_FLOATS: usize = 1 << 18;

/// Shortest contiguous copy, in floats, that makes this path pay. Measured with
/// `op_timing conv` against patches 2 and 8 (AMD EPYC Zen 4, 2 vCPUs, 2026-12-04, two
/// interleaved rounds, ms): LeNet-5's conv2 (runs of 30) forward 0.79 · 0.90 → 0.63 · 0.67,
/// weight gradient 0.92 · 0.79 → 0.47 · 0.58; the CIFAR conv AE's first layer (3 → 64, 3×3,
/// runs of 9) forward 25.8 · 28.7 → 27.1 · 31.9, weight gradient 44.4 · 46.3 → 38.4 · 37.3.
pub const MIN_RUN_FLOATS: usize = 16;

/// Floats of one contiguous copy into the patch matrix: a kernel row of all input channels
/// (`kernel_w · c_in`), or one tap's `c_in` when the kernel is dilated.
fn contiguous_run(weight_shape: &[usize], options: &ConvOptions<2>) -> usize {
    if options.dilation[1] == 1 {
        weight_shape[3] * weight_shape[1]
    } else {
        weight_shape[1]
    }
}

/// Whether the forward pass and the weight gradient of a convolution of `weight_shape`
/// ([c_out, c_in, kh, kw]) with `options` take this path. `AE_FLEX_CONV=nchw` turns it off
/// (patches 2 and 8 then run), for A/B measurements.
pub fn applies(weight_shape: &[usize], options: &ConvOptions<2>) -> bool {
    options.groups == 1
        && !options.is_asymmetric()
        && contiguous_run(weight_shape, options) >= MIN_RUN_FLOATS
        && crate::ops::conv::patched_conv_forward()
        && enabled()
}

#[cfg(feature = "std")]
fn enabled() -> bool {
    static ENABLED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ENABLED.get_or_init(|| std::env::var("AE_FLEX_CONV").map_or(true, |v| v != "nchw"))
}
#[cfg(not(feature = "std"))]
fn enabled() -> bool {
    true
}

/// `W'[co, (kh, kw, c)] = W[co, c, kh, kw]` for a contiguous weight of `c_out × c_in × taps`.
pub(crate) fn weight_taps_last(w: &[f32], c_out: usize, c_in: usize, taps: usize) -> Vec<f32> {
    let mut w_taps = vec![0.0f32; c_out * c_in * taps];
    for co in 0..c_out {
        for c in 0..c_in {
            for t in 0..taps {
                w_taps[(co * taps + t) * c_in + c] = w[(co * c_in + c) * taps + t];
            }
        }
    }
    w_taps
}

/// `dst[j · dst_stride + i] = src[i · src_stride + j]` for `i < rows`, `j < cols`: a transposition
/// between planes and pixels (NCHW rows of `cols` pixels and channels-last pixels of `rows`
/// channels, or back), in 4 × 4 blocks through SSE registers on x86-64 (scalar elsewhere and at
/// the edges). Element for element a copy, so the result is the same on every path.
pub(crate) fn transpose(
    src: &[f32],
    src_stride: usize,
    dst: &mut [f32],
    dst_stride: usize,
    rows: usize,
    cols: usize,
) {
    if rows == 0 || cols == 0 {
        return;
    }
    // Every index below is within these bounds (checked once, here).
    assert!(src.len() >= (rows - 1) * src_stride + cols);
    assert!(dst.len() >= (cols - 1) * dst_stride + rows);
    // The blocks of 4 × 4 that go through registers (none off x86-64).
    let (full_rows, full_cols) = if cfg!(target_arch = "x86_64") {
        (rows - rows % 4, cols - cols % 4)
    } else {
        (0, 0)
    };
    #[cfg(target_arch = "x86_64")]
    for i in (0..full_rows).step_by(4) {
        for j in (0..full_cols).step_by(4) {
            // SAFETY: SSE2 is part of x86-64; the four loads read src[(i + r) · src_stride + j..][..4]
            // and the four stores write dst[(j + c) · dst_stride + i..][..4], all within the
            // bounds asserted above since i + 3 < rows and j + 3 < cols.
            unsafe {
                use core::arch::x86_64::*;
                let s = src.as_ptr().add(i * src_stride + j);
                let r0 = _mm_loadu_ps(s);
                let r1 = _mm_loadu_ps(s.add(src_stride));
                let r2 = _mm_loadu_ps(s.add(2 * src_stride));
                let r3 = _mm_loadu_ps(s.add(3 * src_stride));
                let t0 = _mm_unpacklo_ps(r0, r1);
                let t1 = _mm_unpacklo_ps(r2, r3);
                let t2 = _mm_unpackhi_ps(r0, r1);
                let t3 = _mm_unpackhi_ps(r2, r3);
                let d = dst.as_mut_ptr().add(j * dst_stride + i);
                _mm_storeu_ps(d, _mm_movelh_ps(t0, t1));
                _mm_storeu_ps(d.add(dst_stride), _mm_movehl_ps(t1, t0));
                _mm_storeu_ps(d.add(2 * dst_stride), _mm_movelh_ps(t2, t3));
                _mm_storeu_ps(d.add(3 * dst_stride), _mm_movehl_ps(t3, t2));
            }
        }
    }
    for i in 0..rows {
        let j0 = if i < full_rows { full_cols } else { 0 };
        for j in j0..cols {
            dst[j * dst_stride + i] = src[i * src_stride + j];
        }
    }
}

/// `chunk[co, (b - first, p)] = grad[b, co, p]` for the samples `first..last` of an NCHW output
/// gradient with `c_out` planes of `spatial` values: the chunk's gradient as one matrix with a
/// row per output channel (patches 10 and 12).
pub(crate) fn group_output_grad(
    grad: &[f32],
    c_out: usize,
    spatial: usize,
    samples: core::ops::Range<usize>,
    chunk: &mut [f32],
) {
    let rows = samples.len() * spatial;
    for co in 0..c_out {
        for b in samples.clone() {
            chunk[co * rows + (b - samples.start) * spatial..][..spatial]
                .copy_from_slice(&grad[(b * c_out + co) * spatial..][..spatial]);
        }
    }
}

/// The sizes of one convolution and its channels-last patch matrix.
#[derive(Clone, Copy)]
struct Geometry {
    c_in: usize,
    in_h: usize,
    in_w: usize,
    kernel_h: usize,
    kernel_w: usize,
    stride: [usize; 2],
    pad: [usize; 2],
    dilation: [usize; 2],
    out_h: usize,
    out_w: usize,
}

impl Geometry {
    fn new(
        x_shape: &[usize],
        weight_shape: &[usize],
        out_h: usize,
        out_w: usize,
        options: &ConvOptions<2>,
    ) -> Self {
        Geometry {
            c_in: x_shape[1],
            in_h: x_shape[2],
            in_w: x_shape[3],
            kernel_h: weight_shape[2],
            kernel_w: weight_shape[3],
            stride: options.stride,
            pad: options.padding_begin(),
            dilation: options.dilation,
            out_h,
            out_w,
        }
    }

    fn padded_w(&self) -> usize {
        self.in_w + 2 * self.pad[1]
    }

    /// Floats of one sample's zero-padded channels-last copy.
    fn hwc_len(&self) -> usize {
        (self.in_h + 2 * self.pad[0]) * self.padded_w() * self.c_in
    }

    /// Length of a patch matrix row: `(kh, kw, c)`.
    fn row_len(&self) -> usize {
        self.kernel_h * self.kernel_w * self.c_in
    }

    fn spatial_out(&self) -> usize {
        self.out_h * self.out_w
    }

    /// Writes sample `b`'s rows of the patch matrix (`spatial_out × row_len` floats) into
    /// `cols`, through the channels-last copy `hwc` (`hwc_len` floats of scratch).
    fn gather(&self, x: &[f32], b: usize, hwc: &mut [f32], cols: &mut [f32]) {
        let Geometry {
            c_in,
            in_h,
            in_w,
            kernel_h,
            kernel_w,
            stride,
            pad,
            dilation,
            out_h,
            out_w,
        } = *self;
        let (plane, wp) = (in_h * in_w, self.padded_w());
        // hwc[(ih + pad_h), (iw + pad_w), c] = x[b, c, ih, iw], zeros around.
        hwc.fill(0.0);
        let sample = &x[b * c_in * plane..][..c_in * plane];
        for ih in 0..in_h {
            let dst_row = &mut hwc[((ih + pad[0]) * wp + pad[1]) * c_in..][..in_w * c_in];
            transpose(&sample[ih * in_w..], plane, dst_row, c_in, c_in, in_w);
        }
        // cols[(oh, ow), (kh, kw, :)] = hwc[oh·s + kh·d, ow·s + kw·d, :]
        let row_len = self.row_len();
        let run = kernel_w * c_in;
        for oh in 0..out_h {
            for ow in 0..out_w {
                let row = &mut cols[(oh * out_w + ow) * row_len..][..row_len];
                for kh in 0..kernel_h {
                    let y = oh * stride[0] + kh * dilation[0];
                    let x0 = ow * stride[1];
                    let dst = &mut row[kh * run..][..run];
                    if dilation[1] == 1 {
                        dst.copy_from_slice(&hwc[(y * wp + x0) * c_in..][..run]);
                    } else {
                        for kw in 0..kernel_w {
                            let xk = x0 + kw * dilation[1];
                            dst[kw * c_in..][..c_in]
                                .copy_from_slice(&hwc[(y * wp + xk) * c_in..][..c_in]);
                        }
                    }
                }
            }
        }
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
    let xs = x.layout().shape();
    let batch = xs[0];
    let ws = weight.layout().shape().clone();
    let [pad_h, pad_w] = options.padding_begin();
    let out_h =
        calculate_conv_output_size(ws[2], options.stride[0], pad_h, options.dilation[0], xs[2]);
    let out_w =
        calculate_conv_output_size(ws[3], options.stride[1], pad_w, options.dilation[1], xs[3]);
    let geometry = Geometry::new(x.layout().shape(), &ws, out_h, out_w, options);
    let channels_out = ws[0];
    let (spatial_out, row_len) = (geometry.spatial_out(), geometry.row_len());
    let out_sample_len = channels_out * spatial_out;
    let x_data: &[f32] = x.storage();
    let w_taps = weight_taps_last(weight.storage(), channels_out, geometry.c_in, ws[2] * ws[3]);
    let b_data: Option<&[f32]> = bias.as_ref().map(|b| b.storage());
    let per_sample = spatial_out * (row_len + channels_out);
    let chunk_samples = (FORWARD_CHUNK_FLOATS / per_sample.max(1)).clamp(1, batch.max(1));

    let compute = |out: &mut [f32], samples: core::ops::Range<usize>| {
        let chunk = chunk_samples.min(samples.len()).max(1);
        let hwc_len = geometry.hwc_len();
        let (cols_len, result_len) = (
            chunk * spatial_out * row_len,
            channels_out * chunk * spatial_out,
        );
        // Every element read is written first (gather, product).
        super::scratch::with_scratch(hwc_len + cols_len, result_len, |a, result| {
            let (hwc, cols) = a.split_at_mut(hwc_len);
            let mut first = samples.start;
            while first < samples.end {
                let last = (first + chunk).min(samples.end);
                let rows = (last - first) * spatial_out;
                for b in first..last {
                    let dst =
                        &mut cols[(b - first) * spatial_out * row_len..][..spatial_out * row_len];
                    geometry.gather(x_data, b, hwc, dst);
                }
                let one_sample = last - first == 1;
                let dst: &mut [f32] = if one_sample {
                    // Written straight into out[first], over its bias.
                    let dst =
                        &mut out[(first - samples.start) * out_sample_len..][..out_sample_len];
                    for (co, row) in dst.chunks_mut(spatial_out).enumerate() {
                        row.fill(b_data.map_or(0.0, |b| b[co]));
                    }
                    dst
                } else {
                    &mut result[..channels_out * rows]
                };
                // dst[c_out, rows] (+)= W'[c_out, row_len] @ colsᵀ[row_len, rows]
                unsafe {
                    crate::ops::gemm_dispatch::gemm(
                        channels_out,
                        rows,
                        row_len,
                        dst.as_mut_ptr(),
                        1,
                        rows as isize,
                        one_sample && b_data.is_some(),
                        w_taps.as_ptr(),
                        1,
                        row_len as isize,
                        cols.as_ptr(),
                        row_len as isize,
                        1,
                        1.0f32,
                        1.0f32,
                        false,
                        false,
                        false,
                        gemm::Parallelism::None,
                    );
                }
                if !one_sample {
                    // out[b, co, p] = result[co, (b, p)] + bias
                    for co in 0..channels_out {
                        let shift = b_data.map_or(0.0, |b| b[co]);
                        for b in first..last {
                            let src =
                                &result[co * rows + (b - first) * spatial_out..][..spatial_out];
                            let dst = &mut out
                                [(b - samples.start) * out_sample_len + co * spatial_out..]
                                [..spatial_out];
                            for (d, s) in dst.iter_mut().zip(src) {
                                *d = s + shift;
                            }
                        }
                    }
                }
                first = last;
            }
        });
    };

    let mut out = vec![0.0f32; batch * out_sample_len];
    for_sample_ranges(&mut out, batch, out_sample_len, |first, chunk| {
        compute(chunk, first..first + chunk.len() / out_sample_len)
    });
    FlexTensor::new(
        Bytes::from_elems(out),
        Layout::contiguous(Shape::from(vec![batch, channels_out, out_h, out_w])),
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
    let gs = grad.layout().shape().clone();
    let (channels_out, out_h, out_w) = (gs[1], gs[2], gs[3]);
    let geometry = Geometry::new(x.layout().shape(), weight_shape, out_h, out_w, options);
    let (spatial_out, row_len) = (geometry.spatial_out(), geometry.row_len());
    let (x_data, g_data): (&[f32], &[f32]) = (x.storage(), grad.storage());
    let per_sample = spatial_out * row_len;
    let chunk_samples = (WEIGHT_CHUNK_FLOATS / per_sample.max(1)).clamp(1, batch.max(1));
    let len = channels_out * row_len;

    // dW'[c_out, row_len] over a contiguous range of samples.
    let accumulate = |samples: core::ops::Range<usize>| -> Vec<f32> {
        let mut acc = vec![0.0f32; len];
        let chunk = chunk_samples.min(samples.len()).max(1);
        let hwc_len = geometry.hwc_len();
        let (cols_len, grad_len) = (chunk * per_sample, channels_out * chunk * spatial_out);
        // Every element read is written first (gather, copies).
        super::scratch::with_scratch(hwc_len + cols_len, grad_len, |a, grad_chunk| {
            let (hwc, cols) = a.split_at_mut(hwc_len);
            let mut first = samples.start;
            while first < samples.end {
                let last = (first + chunk).min(samples.end);
                let rows = (last - first) * spatial_out;
                for b in first..last {
                    geometry.gather(
                        x_data,
                        b,
                        hwc,
                        &mut cols[(b - first) * per_sample..][..per_sample],
                    );
                }
                group_output_grad(g_data, channels_out, spatial_out, first..last, grad_chunk);
                // acc[c_out, row_len] += grad_chunk[c_out, rows] @ cols[rows, row_len]
                unsafe {
                    crate::ops::gemm_dispatch::gemm(
                        channels_out,
                        row_len,
                        rows,
                        acc.as_mut_ptr(),
                        1,
                        row_len as isize,
                        true,
                        grad_chunk.as_ptr(),
                        1,
                        rows as isize,
                        cols.as_ptr(),
                        1,
                        row_len as isize,
                        1.0f32,
                        1.0f32,
                        false,
                        false,
                        false,
                        gemm::Parallelism::None,
                    );
                }
                first = last;
            }
        });
        acc
    };

    let acc = sum_over_sample_ranges(batch, len, accumulate);

    // dW[co, c, t] = dW'[co, (t, c)]
    let (c_in, taps) = (geometry.c_in, geometry.kernel_h * geometry.kernel_w);
    let mut dw = vec![0.0f32; len];
    for co in 0..channels_out {
        for t in 0..taps {
            for c in 0..c_in {
                dw[(co * c_in + c) * taps + t] = acc[(co * taps + t) * c_in + c];
            }
        }
    }
    FlexTensor::new(
        Bytes::from_elems(dw),
        Layout::contiguous(weight_shape.clone()),
        DType::F32,
    )
}
