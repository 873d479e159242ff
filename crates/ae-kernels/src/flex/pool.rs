//! ReLU then 2×2 max-pooling with stride 2, in one pass each way.

use burn::tensor::TensorData;
use burn_flex::FlexTensor;
use rayon::prelude::*;

use super::{contiguous, dims};

/// `max(0, max over each 2×2 window)` (ReLU and max commute); rows and columns past an even
/// size are dropped, as PyTorch's floor mode does.
///
/// input: `[batch, channels, h, w]` (f32) -> `[batch, channels, h / 2, w / 2]`
pub(crate) fn relu_max_pool_2x2(input: FlexTensor) -> FlexTensor {
    crate::count_fused_call();
    let input = contiguous(input);
    let [batch, channels, height, width] = dims(&input);
    let (out_h, out_w) = (height / 2, width / 2);
    let x: &[f32] = input.as_slice().expect("a contiguous f32 input");
    let mut output = vec![0.0f32; batch * channels * out_h * out_w];
    let plane_in = height * width;
    let plane_out = out_h * out_w;
    if plane_out > 0 {
        output
            .par_chunks_mut(plane_out)
            .zip(x.par_chunks(plane_in))
            .for_each(|(out, plane)| pool_plane(out, plane, out_w, width));
    }
    FlexTensor::from_data(TensorData::new(output, [batch, channels, out_h, out_w]))
}

/// The gradient with respect to the input: each output's gradient goes to the first position of
/// its window that holds the maximum, when that maximum is positive (ReLU passed it), as
/// PyTorch's max-pool backward does; every other position gets 0.
///
/// input: `[batch, channels, h, w]`, output and grad: `[batch, channels, h / 2, w / 2]` ->
/// `[batch, channels, h, w]`
pub(crate) fn relu_max_pool_2x2_backward(
    input: FlexTensor,
    output: FlexTensor,
    grad: FlexTensor,
) -> FlexTensor {
    let input = contiguous(input);
    let output = contiguous(output);
    let grad = contiguous(grad);
    let [batch, channels, height, width] = dims(&input);
    let (out_h, out_w) = (height / 2, width / 2);
    let x: &[f32] = input.as_slice().expect("a contiguous f32 input");
    let y: &[f32] = output.as_slice().expect("a contiguous f32 output");
    let g: &[f32] = grad.as_slice().expect("a contiguous f32 gradient");
    let mut dx = vec![0.0f32; batch * channels * height * width];
    let plane_in = height * width;
    let plane_out = out_h * out_w;
    if plane_out > 0 {
        dx.par_chunks_mut(plane_in)
            .zip(x.par_chunks(plane_in))
            .zip(y.par_chunks(plane_out).zip(g.par_chunks(plane_out)))
            .for_each(|((dx, x), (y, g))| {
                for oh in 0..out_h {
                    let top = &x[2 * oh * width..][..width];
                    let bottom = &x[(2 * oh + 1) * width..][..width];
                    let (d_top, d_bottom) = dx[2 * oh * width..][..2 * width].split_at_mut(width);
                    let maxima = &y[oh * out_w..][..out_w];
                    let grads = &g[oh * out_w..][..out_w];
                    for (ow, (&max, &grad)) in maxima.iter().zip(grads).enumerate() {
                        if max <= 0.0 {
                            continue;
                        }
                        let c = 2 * ow;
                        if top[c] == max {
                            d_top[c] = grad;
                        } else if top[c + 1] == max {
                            d_top[c + 1] = grad;
                        } else if bottom[c] == max {
                            d_bottom[c] = grad;
                        } else if bottom[c + 1] == max {
                            d_bottom[c + 1] = grad;
                        }
                    }
                }
            });
    }
    FlexTensor::from_data(TensorData::new(dx, [batch, channels, height, width]))
}

/// One plane of [`relu_max_pool_2x2`]: `out` (`[out_h, out_w]`) from `plane` (rows of
/// `width`). Compiled for the CPU's widest vectors (macerator's dispatch, as burn-flex's kernels
/// are; the workspace builds for baseline x86-64).
#[macerator::with_simd]
fn pool_plane<S: macerator::Simd>(out: &mut [f32], plane: &[f32], out_w: usize, width: usize) {
    for (oh, out_row) in out.chunks_exact_mut(out_w).enumerate() {
        let top = &plane[2 * oh * width..][..2 * out_w];
        let bottom = &plane[(2 * oh + 1) * width..][..2 * out_w];
        for ((value, t), b) in out_row
            .iter_mut()
            .zip(top.chunks_exact(2))
            .zip(bottom.chunks_exact(2))
        {
            *value = t[0].max(t[1]).max(b[0]).max(b[1]).max(0.0);
        }
    }
}
