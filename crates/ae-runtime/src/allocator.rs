//! Keeping freed memory in the process between training steps.
//!
//! Every Burn tensor operation allocates its output. glibc's malloc serves blocks above its
//! mmap threshold (128 KiB to start) straight from the kernel and gives freed heap memory back
//! beyond its trim threshold, so a loop of tensor ops maps fresh pages again and again and
//! takes a page fault per 4 KiB on first touch. glibc raises both thresholds by itself once the
//! process frees a large block (as `ae` does after reading a dataset), so the cost depends on
//! the process's history: a bare 784-400-784 step (flex, batch 100, `examples/op_timing.rs`)
//! took 6.6–9.4 ms with the defaults and 3.7–5.6 ms with these settings; `ae bench` runs saw
//! no difference beyond noise. Setting the thresholds up front makes the fast case the only
//! one. The cost: the process keeps its peak heap until it exits, as a training run would.

/// Raises glibc's mmap and trim thresholds (see the module docs). Call once, early in `main`;
/// does nothing on other platforms. Returns whether both settings were accepted.
pub fn keep_freed_memory() -> bool {
    imp::keep_freed_memory()
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod imp {
    /// Blocks up to this size come from the heap (glibc's maximum for this setting).
    const MMAP_THRESHOLD: libc::c_int = 32 << 20;
    /// Free memory at the top of the heap is returned to the kernel only beyond this.
    const TRIM_THRESHOLD: libc::c_int = 1 << 30;

    #[allow(unsafe_code)]
    pub fn keep_freed_memory() -> bool {
        // SAFETY: mallopt only changes malloc's tuning parameters; it takes no pointers and
        // glibc serialises it against concurrent allocation with the arena lock.
        let mmap = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD) };
        let trim = unsafe { libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD) };
        mmap == 1 && trim == 1
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
mod imp {
    pub fn keep_freed_memory() -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn glibc_accepts_the_thresholds() {
        assert!(super::keep_freed_memory());
    }
}
