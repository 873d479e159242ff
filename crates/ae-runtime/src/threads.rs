//! Running the whole job on one of rayon's worker threads.
//!
//! flex parallelises each tensor operation with rayon. Called from a thread outside rayon's
//! pool, every parallel operation hands its work to the pool and puts the caller to sleep
//! until the pool is done: two thread wake-ups per operation, dozens per training step.
//! Called from a worker thread, the caller takes part in the work itself and only the other
//! workers are woken. With 2 cores, the difference is a thread switch per operation.

/// Stack of the worker threads: the job runs on one of them (the main thread has 8 MiB).
const WORKER_STACK_BYTES: usize = 64 << 20;

/// Runs `job` on a worker thread of rayon's global pool and returns its result. Configures
/// the global pool (worker stacks of 64 MiB) when nobody has yet; call it early in `main`.
pub fn on_compute_threads<R: Send>(job: impl FnOnce() -> R + Send) -> R {
    // Fails only when the global pool was already built; then it is used as it is.
    let _ = rayon::ThreadPoolBuilder::new()
        .stack_size(WORKER_STACK_BYTES)
        .build_global();
    rayon::scope(|_| job())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_job_runs_on_a_worker_and_returns_its_value() {
        let (on_worker, value) =
            super::on_compute_threads(|| (rayon::current_thread_index().is_some(), 42));
        assert!(on_worker);
        assert_eq!(value, 42);
    }
}
