//! # ae-runtime
//!
//! What a process running `ae`'s training needs from the operating system, and nothing of
//! training itself: glibc's memory thresholds ([`keep_freed_memory`]), a global allocator that
//! keeps large freed blocks ([`LargeBlockCache`]), running the job on one of rayon's workers
//! with another kept awake beside it ([`on_compute_threads`]) and turning Ctrl-C / SIGTERM into a callback
//! ([`on_interrupt_signals`]; the binary passes one that requests `ae_train::Interrupt`).
//!
//! Depends on no crate of the workspace. With `ae-blas` (calls into the system BLAS) it is the
//! only crate allowed `unsafe` code; every other crate forbids it.

mod allocator;
mod block_cache;
mod signals;
mod threads;

pub use allocator::keep_freed_memory;
pub use block_cache::{LargeBlockCache, MAX_CACHED_BLOCKS, MAX_CACHED_BYTES, MIN_CACHED_BYTES};
pub use signals::on_interrupt_signals;
pub use threads::on_compute_threads;
