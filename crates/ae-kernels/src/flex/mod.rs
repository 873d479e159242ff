//! The flex kernels: f32 slices, one pass each, split over rayon's threads when large.

mod pool;
mod upsample;

pub(crate) use pool::{relu_max_pool_2x2, relu_max_pool_2x2_backward};
pub(crate) use upsample::{bilinear_upsample_2x, bilinear_upsample_2x_backward};

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
        FusedActivation::Relu => {
            rows_in_place(values, width, |row| add_then(row, bias, |x| x.max(0.0)))
        }
        FusedActivation::LeakyRelu { negative_slope } => rows_in_place(values, width, |row| {
            add_then(row, bias, |x| if x > 0.0 { x } else { x * negative_slope })
        }),
        FusedActivation::Identity => rows_in_place(values, width, |row| add_then(row, bias, |x| x)),
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
    match activation {
        FusedActivation::Identity => grad,
        activation => {
            scale_grad_by_output(output, grad, |g, y| scale_by_derivative(g, y, activation))
        }
    }
}

/// `per_block(g, y)` over matching blocks of `grad` and `output` (the same shape), written over
/// `grad` when nothing else holds it (copy-on-write: a gradient shared with another node is
/// copied once here), split over rayon's threads when large.
fn scale_grad_by_output(
    output: FlexTensor,
    grad: FlexTensor,
    per_block: impl Fn(&mut [f32], &[f32]) + Sync,
) -> FlexTensor {
    let output = contiguous(output);
    let y: &[f32] = output.as_slice().expect("a contiguous f32 output");
    let mut grad = contiguous(grad);
    let g: &mut [f32] = &mut grad.storage_mut()[..y.len()];
    if g.len() >= PARALLEL_MIN {
        let chunk = chunk_len(g.len());
        g.par_chunks_mut(chunk)
            .zip(y.par_chunks(chunk))
            .for_each(|(g, y)| per_block(g, y));
    } else {
        per_block(g, y);
    }
    grad
}

/// `g *= f'(y)` elementwise, compiled for the CPU's widest vectors as [`add_then`] is.
#[macerator::with_simd]
fn scale_by_derivative<S: macerator::Simd>(g: &mut [f32], y: &[f32], activation: FusedActivation) {
    for (g, &y) in g.iter_mut().zip(y) {
        *g *= activation.derivative_from_output(y);
    }
}

/// Burn's leaky ReLU, `x * slope` where `x < 0` and `x` elsewhere, written over `input` when
/// nothing else holds it (a convolution's fresh output): one pass, where Burn's graph runs a
/// comparison, a product and a select, each over the whole tensor.
///
/// input: any shape (f32) -> the same shape
pub(crate) fn leaky_relu(input: FlexTensor, negative_slope: f32) -> FlexTensor {
    crate::count_fused_call();
    let mut values = contiguous(input);
    let count = values.layout().num_elements();
    let v: &mut [f32] = &mut values.storage_mut()[..count];
    in_blocks(v, |block| leaky_relu_block(block, negative_slope));
    values
}

/// The gradient of [`leaky_relu`] from its output `y`: `grad` where `y >= 0` and
/// `grad * slope` where `y < 0`, written over `grad` when nothing else holds it. With a
/// positive slope `y < 0` exactly where `x < 0`, so this is Burn's gradient bit for bit
/// (at `x = 0` too, which Burn counts on the identity side).
///
/// output, grad: the same shape -> that shape
pub(crate) fn leaky_relu_backward(
    output: FlexTensor,
    grad: FlexTensor,
    negative_slope: f32,
) -> FlexTensor {
    scale_grad_by_output(output, grad, |g, y| {
        leaky_relu_backward_block(g, y, negative_slope)
    })
}

#[macerator::with_simd]
fn leaky_relu_block<S: macerator::Simd>(values: &mut [f32], negative_slope: f32) {
    for x in values.iter_mut() {
        *x = if *x < 0.0 { *x * negative_slope } else { *x };
    }
}

#[macerator::with_simd]
fn leaky_relu_backward_block<S: macerator::Simd>(g: &mut [f32], y: &[f32], negative_slope: f32) {
    for (g, &y) in g.iter_mut().zip(y) {
        *g = if y < 0.0 { *g * negative_slope } else { *g };
    }
}

/// Runs `f` over `values` in one block per rayon thread when there are many, else at once.
fn in_blocks(values: &mut [f32], f: impl Fn(&mut [f32]) + Sync) {
    if values.len() >= PARALLEL_MIN {
        values.par_chunks_mut(chunk_len(values.len())).for_each(&f);
    } else {
        f(values);
    }
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

/// `x + bias` then `f` over one row (one loop, so that it vectorises), compiled for the CPU's
/// widest vectors: macerator's dispatch, as burn-flex's own kernels are, since the workspace
/// builds for baseline x86-64 (SSE2). The same operations in the same order, so the same values.
#[macerator::with_simd]
fn add_then<S: macerator::Simd, F: Fn(f32) -> f32>(row: &mut [f32], bias: &[f32], f: F) {
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

/// `param - lr (g + λ param)` in place.
pub(crate) fn sgd_step(
    param: FlexTensor,
    grad: FlexTensor,
    lr: f32,
    weight_decay: f32,
) -> FlexTensor {
    crate::count_fused_call();
    let grad = contiguous(grad);
    let grad: &[f32] = grad.as_slice().expect("a contiguous f32 gradient");
    let mut param = contiguous(param);
    let p: &mut [f32] = &mut param.storage_mut()[..grad.len()];
    let update = |p: &mut [f32], g: &[f32]| {
        for (p, &g) in p.iter_mut().zip(g) {
            *p -= lr * (g + weight_decay * *p);
        }
    };
    if grad.len() >= PARALLEL_MIN {
        let chunk = chunk_len(grad.len());
        p.par_chunks_mut(chunk)
            .zip(grad.par_chunks(chunk))
            .for_each(|(p, g)| update(p, g));
    } else {
        update(p, grad);
    }
    param
}

/// `v = μ v + (1 - d)(g + λ p)`, `p -= lr v` (Nesterov: `p -= lr (g + λ p + μ v)`) in place.
pub(crate) fn sgd_momentum_step(
    param: FlexTensor,
    grad: FlexTensor,
    velocity: FlexTensor,
    lr: f32,
    settings: &crate::SgdSettings,
) -> (FlexTensor, FlexTensor) {
    crate::count_fused_call();
    let crate::SgdSettings {
        momentum,
        dampening,
        weight_decay,
        nesterov,
    } = *settings;
    let grad = contiguous(grad);
    let grad: &[f32] = grad.as_slice().expect("a contiguous f32 gradient");
    let n = grad.len();
    let mut param = contiguous(param);
    let mut velocity = contiguous(velocity);
    let p: &mut [f32] = &mut param.storage_mut()[..n];
    let v: &mut [f32] = &mut velocity.storage_mut()[..n];
    let update = |p: &mut [f32], v: &mut [f32], g: &[f32]| {
        for ((p, v), &g) in p.iter_mut().zip(v.iter_mut()).zip(g) {
            let g = g + weight_decay * *p;
            *v = momentum * *v + (1.0 - dampening) * g;
            let step = if nesterov { g + momentum * *v } else { *v };
            *p -= lr * step;
        }
    };
    if n >= PARALLEL_MIN {
        let chunk = chunk_len(n);
        p.par_chunks_mut(chunk)
            .zip(v.par_chunks_mut(chunk))
            .zip(grad.par_chunks(chunk))
            .for_each(|((p, v), g)| update(p, v, g));
    } else {
        update(p, v, grad);
    }
    (param, velocity)
}

/// Adam at step `time` in place: the moments, then `p -= lr m₁ c / (sqrt(m₂) + ε e)` with
/// Burn's bias-correction factors `c`, `e`.
pub(crate) fn adam_step(
    param: FlexTensor,
    grad: FlexTensor,
    [moment_1, moment_2]: [FlexTensor; 2],
    time: usize,
    lr: f32,
    settings: &crate::AdamSettings,
) -> (FlexTensor, FlexTensor, FlexTensor) {
    crate::count_fused_call();
    let crate::AdamSettings {
        beta_1,
        beta_2,
        epsilon,
        weight_decay,
    } = *settings;
    let (step_factor, epsilon_factor) = crate::optimizer::adam_factors(settings, time);
    let epsilon = epsilon * epsilon_factor;
    let grad = contiguous(grad);
    let grad: &[f32] = grad.as_slice().expect("a contiguous f32 gradient");
    let n = grad.len();
    let mut param = contiguous(param);
    let mut moment_1 = contiguous(moment_1);
    let mut moment_2 = contiguous(moment_2);
    let p: &mut [f32] = &mut param.storage_mut()[..n];
    let m1: &mut [f32] = &mut moment_1.storage_mut()[..n];
    let m2: &mut [f32] = &mut moment_2.storage_mut()[..n];
    let update = |p: &mut [f32], m1: &mut [f32], m2: &mut [f32], g: &[f32]| {
        for (((p, m1), m2), &g) in p.iter_mut().zip(m1.iter_mut()).zip(m2.iter_mut()).zip(g) {
            let g = g + weight_decay * *p;
            *m1 = beta_1 * *m1 + (1.0 - beta_1) * g;
            *m2 = beta_2 * *m2 + (1.0 - beta_2) * (g * g);
            *p -= lr * (*m1 * step_factor / (m2.sqrt() + epsilon));
        }
    };
    if n >= PARALLEL_MIN {
        let chunk = chunk_len(n);
        p.par_chunks_mut(chunk)
            .zip(m1.par_chunks_mut(chunk))
            .zip(m2.par_chunks_mut(chunk))
            .zip(grad.par_chunks(chunk))
            .for_each(|(((p, m1), m2), g)| update(p, m1, m2, g));
    } else {
        update(p, m1, m2, grad);
    }
    (param, moment_1, moment_2)
}

/// One block per rayon thread.
fn chunk_len(n: usize) -> usize {
    n.div_ceil(rayon::current_num_threads().max(1)).max(1)
}

/// The four sizes of a `[batch, channels, h, w]` tensor.
fn dims(tensor: &FlexTensor) -> [usize; 4] {
    let shape = tensor.layout().shape();
    [shape[0], shape[1], shape[2], shape[3]]
}
