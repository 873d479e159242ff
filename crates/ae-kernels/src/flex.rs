//! The flex kernels: f32 slices, one pass each, split over rayon's threads when large.

use burn::backend::Flex;
use burn::backend::ops::FloatTensorOps;
use burn::tensor::TensorData;
use burn_flex::FlexTensor;
use rayon::prelude::*;

use crate::FusedActivation;

/// Below this many elements a pass runs on the calling thread (handing work to the other
/// thread costs more than it saves).
const PARALLEL_MIN: usize = 32 * 1024;

/// `activation(input · weight + bias)` with the bias and activation applied in place on the
/// product's fresh output.
///
/// input: `[batch, d_input]`, weight: `[d_input, d_output]`, bias: `[d_output]` (f32) ->
/// `[batch, d_output]`
pub(crate) fn dense_forward(
    input: FlexTensor,
    weight: FlexTensor,
    bias: FlexTensor,
    activation: FusedActivation,
) -> FlexTensor {
    crate::count_fused_call();
    let mut output = contiguous(Flex::float_matmul(input, weight));
    let bias = contiguous(bias);
    let bias: &[f32] = bias.as_slice().expect("a contiguous f32 bias");
    let width = bias.len();
    let count = output.layout().num_elements();
    let values: &mut [f32] = &mut output.storage_mut()[..count];
    match activation {
        FusedActivation::Tanh => rows_in_place(values, width, |row| {
            add_then(row, bias, crate::activation::tanh_f32)
        }),
        FusedActivation::Sigmoid => rows_in_place(values, width, |row| {
            add_then(row, bias, crate::activation::sigmoid_f32)
        }),
        FusedActivation::Relu => rows_in_place(values, width, |row| {
            add_then(row, bias, |x| x.max(0.0))
        }),
        FusedActivation::LeakyRelu { negative_slope } => rows_in_place(values, width, |row| {
            add_then(row, bias, |x| if x > 0.0 { x } else { x * negative_slope })
        }),
        FusedActivation::Identity => rows_in_place(values, width, |row| {
            add_then(row, bias, |x| x)
        }),
    }
    output
}

/// `grad * f'(output)`, written over `grad` when nothing else holds it.
///
/// output, grad: `[batch, d_output]` -> `[batch, d_output]`
pub(crate) fn activation_backward(
    output: FlexTensor,
    grad: FlexTensor,
    activation: FusedActivation,
) -> FlexTensor {
    let output = contiguous(output);
    let output: &[f32] = output.as_slice().expect("a contiguous f32 output");
    let mut grad = contiguous(grad);
    // Copy-on-write: a gradient shared with another node is copied once here.
    let grad_values: &mut [f32] = &mut grad.storage_mut()[..output.len()];
    let pairs = |g: &mut [f32], y: &[f32]| match activation {
        FusedActivation::Identity => {}
        activation => {
            for (g, &y) in g.iter_mut().zip(y) {
                *g *= activation.derivative_from_output(y);
            }
        }
    };
    if grad_values.len() >= PARALLEL_MIN {
        let chunk = grad_values.len().div_ceil(rayon::current_num_threads().max(1));
        grad_values
            .par_chunks_mut(chunk)
            .zip(output.par_chunks(chunk))
            .for_each(|(g, y)| pairs(g, y));
    } else {
        pairs(grad_values, output);
    }
    grad
}

/// The sum over rows: `[batch, width]` -> `[width]`.
pub(crate) fn sum_rows(values: &FlexTensor) -> FlexTensor {
    let values = contiguous(values.clone());
    let shape = values.layout().shape();
    let width = shape[1];
    let data: &[f32] = values.as_slice().expect("a contiguous f32 tensor");
    let mut sums = vec![0.0f32; width];
    for row in data.chunks_exact(width) {
        for (sum, &value) in sums.iter_mut().zip(row) {
            *sum += value;
        }
    }
    FlexTensor::from_data(TensorData::new(sums, [width]))
}

/// `x + bias` then `f` over one row (one loop, so that it vectorises).
#[inline(always)]
fn add_then(row: &mut [f32], bias: &[f32], f: impl Fn(f32) -> f32) {
    for (value, &b) in row.iter_mut().zip(bias) {
        *value = f(*value + b);
    }
}

/// Runs `per_row` over every row of `values` (rows of `width`), split over rayon's threads in
/// blocks of whole rows when there are many values.
fn rows_in_place(values: &mut [f32], width: usize, per_row: impl Fn(&mut [f32]) + Sync) {
    if width == 0 {
        return;
    }
    if values.len() >= PARALLEL_MIN {
        let rows = values.len() / width;
        let rows_per_block = rows.div_ceil(rayon::current_num_threads().max(1)).max(1);
        values
            .par_chunks_mut(rows_per_block * width)
            .for_each(|block| block.chunks_exact_mut(width).for_each(&per_row));
    } else {
        values.chunks_exact_mut(width).for_each(per_row);
    }
}

/// The tensor itself when it is contiguous from offset 0, else a contiguous copy.
fn contiguous(tensor: FlexTensor) -> FlexTensor {
    if tensor.is_contiguous() && tensor.layout().start_offset() == 0 {
        tensor
    } else {
        tensor.to_contiguous()
    }
}
