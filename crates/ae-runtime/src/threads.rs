//! Running the whole job on one of rayon's worker threads.
//!
//! flex parallelises each tensor operation with rayon. Called from a thread outside rayon's
//! pool, every parallel operation hands its work to the pool and puts the caller to sleep
//! until the pool is done: two thread wake-ups per operation, dozens per training step.
//! Called from a worker thread, the caller takes part in the work itself and only the other
//! workers are woken. With 2 cores, the difference is a thread switch per operation.
//!
//! Those wake-ups are a cost of their own: between two parallel operations rayon's idle worker
//! falls asleep, and waking it (a futex call, then the kernel scheduling it, on a virtual
//! machine a halted vCPU) took about 13% of a dense step's samples (`perf`, 2026-12-08, Intel
//! Xeon, 2 vCPUs). So while the job runs one other worker is kept awake, polling rayon's queues
//! as OpenMP's threads (PyTorch's) spin between parallel regions: the default job's training
//! 8.2–8.3 s → 6.3–6.7 s (two pairs interleaved, this version), its user + system CPU time
//! unchanged (14–15 s), the conv autoencoder's step unchanged within the host's noise. It yields the
//! core to any other thread between polls and naps after 2 ms without work. `AE_SPIN=0` turns
//! it off.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Stack of the worker threads: the job runs on one of them (the main thread has 8 MiB).
const WORKER_STACK_BYTES: usize = 64 << 20;

/// How long the kept-awake worker goes on polling without finding work before it naps.
const SPIN_BEFORE_NAPS: Duration = Duration::from_millis(2);

/// Its nap between polls after that.
const NAP: Duration = Duration::from_micros(100);

/// Runs `job` on a worker thread of rayon's global pool and returns its result. Configures
/// the global pool (worker stacks of 64 MiB) when nobody has yet; call it early in `main`.
pub fn on_compute_threads<R: Send>(job: impl FnOnce() -> R + Send) -> R {
    // Fails only when the global pool was already built; then it is used as it is.
    let _ = rayon::ThreadPoolBuilder::new()
        .stack_size(WORKER_STACK_BYTES)
        .build_global();
    // One kept-awake worker for the process, whichever job asks first; the others run plain.
    let keep_awake = rayon::current_num_threads() >= 2
        && std::env::var_os("AE_SPIN").is_none_or(|v| v != "0")
        && KEPT_AWAKE
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
    if !keep_awake {
        return rayon::scope(|_| job());
    }
    let _release = SetOnDrop(&KEPT_AWAKE, false);
    let done = AtomicBool::new(false);
    rayon::scope(|s| {
        let (job_worker, done) = (rayon::current_thread_index(), &done);
        s.spawn(move |_| {
            // Taken back by the job's own worker (while it waits, or at the end): nothing to
            // keep awake there, and spinning would stop the job beneath it.
            if rayon::current_thread_index() != job_worker {
                keep_a_worker_awake(done);
            }
        });
        // Ends the spinner even when the job panics, so that the panic reaches the caller.
        let _stop = SetOnDrop(done, true);
        job()
    })
}

/// Polls rayon's queues for work until `done`: runs what it finds, and between finds spins
/// briefly and yields the core to any other thread; after [`SPIN_BEFORE_NAPS`] without work it
/// naps [`NAP`] between polls, so that a long pause in the job costs little CPU.
fn keep_a_worker_awake(done: &AtomicBool) {
    let mut idle_since = Instant::now();
    while !done.load(Ordering::Acquire) {
        if matches!(rayon::yield_now(), Some(rayon::Yield::Executed)) {
            idle_since = Instant::now();
            continue;
        }
        if idle_since.elapsed() < SPIN_BEFORE_NAPS {
            for _ in 0..32 {
                std::hint::spin_loop();
            }
            std::thread::yield_now();
        } else {
            std::thread::sleep(NAP);
        }
    }
}

/// Whether a worker is being kept awake for a job (see [`on_compute_threads`]).
static KEPT_AWAKE: AtomicBool = AtomicBool::new(false);

/// Stores its value in its flag when dropped.
struct SetOnDrop<'a>(&'a AtomicBool, bool);

impl Drop for SetOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(self.1, Ordering::Release);
    }
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

    #[test]
    fn parallel_work_inside_the_job_is_correct() {
        let (sum, pairs) = super::on_compute_threads(|| {
            use rayon::prelude::*;
            let sum: u64 = (0..1_000_000u64).into_par_iter().sum();
            let pairs: Vec<(u64, u64)> = (0..1000u64)
                .into_par_iter()
                .map(|i| rayon::join(|| i * i, || i + 1))
                .collect();
            (sum, pairs)
        });
        assert_eq!(sum, 999_999 * 1_000_000 / 2);
        assert!(pairs.iter().enumerate().all(|(i, &(a, b))| {
            let i = i as u64;
            a == i * i && b == i + 1
        }));
    }

    #[test]
    fn jobs_from_several_threads_at_once_all_finish() {
        let values: Vec<u64> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4u64)
                .map(|i| {
                    s.spawn(move || {
                        super::on_compute_threads(|| {
                            let (a, b) = rayon::join(|| i * 10, || i + 1);
                            a + b
                        })
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(values, vec![1, 12, 23, 34]);
    }

    #[test]
    fn a_panic_in_the_job_reaches_the_caller() {
        let caught = std::panic::catch_unwind(|| {
            super::on_compute_threads(|| -> u32 { panic!("the job failed") })
        });
        assert!(caught.is_err());
        // The kept-awake worker was released: the next job runs and returns.
        assert_eq!(super::on_compute_threads(|| 7), 7);
    }
}
