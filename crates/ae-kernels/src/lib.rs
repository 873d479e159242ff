//! Fused operations for ae's models.
//!
//! Burn runs one pass over memory per tensor operation: a dense layer `tanh(x W + b)` is a matrix
//! product, a bias addition and a tanh forward, and in the backward pass Burn recomputes the
//! tanh from its input before four more passes build `grad * (1 - y²)`. On the flex backend
//! (Burn's CPU backend, with or without autodiff) the functions here do the same work in one pass
//! after the product, forward and backward, through Burn's backend-extension API
//! (`#[backend_extension]`) with a hand-written backward step. On every other backend (ndarray,
//! wgpu) they build the plain Burn graph, so a model calls them without knowing its backend.
//!
//! `AE_KERNELS=off` in the environment makes every function build the plain graph on flex too
//! (for measuring what the fusion gains, and as a way out should a kernel misbehave).
#![forbid(unsafe_code)]

mod activation;
mod dense;
mod extension;
mod flex;
mod leaky_relu;
mod optimizer;
mod pool;
mod upsample;

pub use activation::FusedActivation;
pub use dense::{dense, dense_unfused};
pub use leaky_relu::leaky_relu;
pub use optimizer::{AdamSettings, SgdSettings, adam_step, sgd_momentum_step, sgd_step};
pub use pool::{relu_max_pool_2x2, relu_max_pool_2x2_unfused};
pub use upsample::{bilinear_2x_weights, bilinear_upsample_2x};

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use burn::tensor::Device;

/// Whether the fused kernels are in use: `AE_KERNELS` is unset or anything but `off`.
pub fn enabled() -> bool {
    static ENABLED: OnceLock<bool> = OnceLock::new();
    *ENABLED.get_or_init(|| std::env::var("AE_KERNELS").map_or(true, |value| value != "off"))
}

/// Whether tensors on `device` take the fused path: flex (with or without autodiff) and
/// [`enabled`].
pub fn fused_on(device: &Device) -> bool {
    enabled() && device.clone().without_autodiff() == Device::flex()
}

/// How many fused kernels have run in this process (fused layers' forward passes and optimiser
/// updates), so that
/// tests and benchmarks can tell which path ran.
pub fn fused_calls() -> u64 {
    FUSED_CALLS.load(Ordering::Relaxed)
}

static FUSED_CALLS: AtomicU64 = AtomicU64::new(0);

pub(crate) fn count_fused_call() {
    FUSED_CALLS.fetch_add(1, Ordering::Relaxed);
}
