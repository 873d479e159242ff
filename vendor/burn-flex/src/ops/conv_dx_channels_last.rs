//! ae patch 10: the input gradient of a 2-D convolution with many input channels, through a
//! channels-last column matrix.
//!
//! Patch 3 computes `cols[(c, kh, kw), (b, oh, ow)] = Wᵀ · grad` and adds each row of `cols`
//! back onto the NCHW input rows it came from. On the conv autoencoder's small planes (4×4 to
//! 16×16 outputs, stride 2 in the encoder) those rows are 4–16 floats long, strided at stride
//! 2, and the scatter, not the product, was most of the time (the encoder's second layer: about
//! 550 ms for a product that takes 100 ms at batch 2000).
//!
//! Here the same product is taken the other way round, per cache-sized chunk of samples:
//!
//! - `cols[(b, oh, ow), (kh, kw, c)] = grad_chunkᵀ · W'`, with `W'[co, (kh, kw, c)]` the weight
//!   permuted once per call, so each row holds, per kernel tap, one contiguous vector of all
//!   `c_in` input channels;
//! - each such vector is added onto the channels-last input gradient `dx_hwc[b, ih, iw, :]` of
//!   the pixel the tap read (a contiguous add of `c_in` floats that vectorizes);
//! - the chunk's `dx_hwc` is transposed into the NCHW output (in 4 × 4 blocks, patch 12's
//!   `transpose`).
//!
//! One group, f32, symmetric padding, any stride and dilation, at least
//! [`MIN_IN_CHANNELS`] input channels (with fewer the vectors are too short; patch 3 keeps
//! those). See [`applies`].

use alloc::vec;
use alloc::vec::Vec;
use burn_backend::DType;
use burn_backend::ops::ConvOptions;
use burn_std::{Bytes, Shape};

use super::sample_ranges::for_sample_ranges;
use crate::{FlexTensor, Layout};

/// Fewer input channels keep patch 3 (LeNet-5's second layer has 6).
pub const MIN_IN_CHANNELS: usize = 16;

/// Floats per chunk of samples: the column matrix, the chunk's channels-last gradient and its
/// output gradient together (4 MB; 1 MB and 16 MB measured the same within the machine's noise).
const CHUNK_FLOATS: usize = 1 << 20;

/// Whether the input gradient of a convolution of `weight_shape` ([c_out, c_in, kh, kw]) with
/// `options` takes this path.
pub fn applies(weight_shape: &[usize], options: &ConvOptions<2>) -> bool {
    options.groups == 1
        && !options.is_asymmetric()
        && weight_shape[1] >= MIN_IN_CHANNELS
        && crate::ops::conv::patched_conv_forward()
}

/// Gradient of a 2-D convolution's input. weight: [c_out, c_in, kh, kw], output_grad:
/// [batch, c_out, out_h, out_w] -> [batch, c_in, h, w] (the shape of `x_shape`).
pub fn x_backward(
    x_shape: &Shape,
    weight: FlexTensor,
    output_grad: FlexTensor,
    options: &ConvOptions<2>,
) -> FlexTensor {
    let weight = weight.to_contiguous();
    let grad = output_grad.to_contiguous();
    let (batch, channels_in, in_h, in_w) = (x_shape[0], x_shape[1], x_shape[2], x_shape[3]);
    let gs = grad.layout().shape();
    let (channels_out, out_h, out_w) = (gs[1], gs[2], gs[3]);
    let ws = weight.layout().shape();
    let (kernel_h, kernel_w) = (ws[2], ws[3]);
    let [stride_h, stride_w] = options.stride;
    let [pad_h, pad_w] = options.padding_begin();
    let [dilation_h, dilation_w] = options.dilation;
    let spatial_out = out_h * out_w;
    let plane = in_h * in_w;
    let sample_len = channels_in * plane;
    let taps = kernel_h * kernel_w;
    let row_len = taps * channels_in;

    // W'[co, (kh, kw, c)] = W[co, c, kh, kw].
    let w_taps =
        super::conv_channels_last::weight_taps_last(weight.storage(), channels_out, channels_in, taps);
    let g_data: &[f32] = grad.storage();

    // The input rows (ih) each output row's taps land on, None where the tap reads padding;
    // the same for columns.
    let input_index =
        |o: usize, k: usize, stride: usize, dilation: usize, pad: usize, len: usize| {
            let i = (o * stride + k * dilation) as isize - pad as isize;
            (i >= 0 && (i as usize) < len).then_some(i as usize)
        };
    let rows_of: Vec<Option<usize>> = (0..out_h)
        .flat_map(|oh| (0..kernel_h).map(move |kh| (oh, kh)))
        .map(|(oh, kh)| input_index(oh, kh, stride_h, dilation_h, pad_h, in_h))
        .collect();
    let cols_of: Vec<Option<usize>> = (0..out_w)
        .flat_map(|ow| (0..kernel_w).map(move |kw| (ow, kw)))
        .map(|(ow, kw)| input_index(ow, kw, stride_w, dilation_w, pad_w, in_w))
        .collect();

    let per_sample = spatial_out * row_len + sample_len + channels_out * spatial_out;
    let chunk_samples = (CHUNK_FLOATS / per_sample.max(1)).clamp(1, batch.max(1));

    // Fills dx (samples samples.start..) for a contiguous range of samples.
    let compute = |dx: &mut [f32], samples: core::ops::Range<usize>| {
        let chunk = chunk_samples.min(samples.len()).max(1);
        let (cols_len, hwc_len) = (chunk * spatial_out * row_len, chunk * sample_len);
        let grad_len = channels_out * chunk * spatial_out;
        super::scratch::with_scratch(cols_len + hwc_len, grad_len, |a, grad_chunk| {
            let (cols, dx_hwc) = a.split_at_mut(cols_len);
            let mut first = samples.start;
            while first < samples.end {
                let last = (first + chunk).min(samples.end);
                let n = last - first;
                let rows = n * spatial_out;
                // grad_chunk[co, (b, oh, ow)]
                super::conv_channels_last::group_output_grad(
                    g_data,
                    channels_out,
                    spatial_out,
                    first..last,
                    grad_chunk,
                );
                // cols[rows, row_len] = grad_chunkᵀ[rows, c_out] @ W'[c_out, row_len]
                unsafe {
                    crate::ops::gemm_dispatch::gemm(
                        rows,
                        row_len,
                        channels_out,
                        cols.as_mut_ptr(),
                        1,
                        row_len as isize,
                        false,
                        grad_chunk.as_ptr(),
                        rows as isize,
                        1,
                        w_taps.as_ptr(),
                        1,
                        row_len as isize,
                        0.0f32,
                        1.0f32,
                        false,
                        false,
                        false,
                        gemm::Parallelism::None,
                    );
                }
                // dx_hwc[b, ih, iw, :] += cols[(b, oh, ow), (kh, kw, :)]
                let dx_hwc = &mut dx_hwc[..n * sample_len];
                dx_hwc.fill(0.0);
                for b in 0..n {
                    let sample = &mut dx_hwc[b * sample_len..][..sample_len];
                    for oh in 0..out_h {
                        for ow in 0..out_w {
                            let row = &cols[((b * out_h + oh) * out_w + ow) * row_len..][..row_len];
                            for kh in 0..kernel_h {
                                let Some(ih) = rows_of[oh * kernel_h + kh] else {
                                    continue;
                                };
                                for kw in 0..kernel_w {
                                    let Some(iw) = cols_of[ow * kernel_w + kw] else {
                                        continue;
                                    };
                                    let src =
                                        &row[(kh * kernel_w + kw) * channels_in..][..channels_in];
                                    let dst = &mut sample[(ih * in_w + iw) * channels_in..]
                                        [..channels_in];
                                    for (d, s) in dst.iter_mut().zip(src) {
                                        *d += s;
                                    }
                                }
                            }
                        }
                    }
                }
                // dx[b, c, p] = dx_hwc[b, p, c]
                let offset = (first - samples.start) * sample_len;
                for b in 0..n {
                    let src = &dx_hwc[b * sample_len..][..sample_len];
                    let dst = &mut dx[offset + b * sample_len..][..sample_len];
                    super::conv_channels_last::transpose(src, channels_in, dst, plane, plane, channels_in);
                }
                first = last;
            }
        });
    };

    let mut dx = vec![0.0f32; batch * sample_len];
    for_sample_ranges(&mut dx, batch, sample_len, |first, chunk| {
        compute(chunk, first..first + chunk.len() / sample_len)
    });

    FlexTensor::new(
        Bytes::from_elems(dx),
        Layout::contiguous(x_shape.clone()),
        DType::F32,
    )
}
