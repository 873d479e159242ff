//! A global allocator that keeps large freed blocks for the next allocation of the same size.
//!
//! Blocks above glibc's largest mmap threshold (32 MiB) always come straight from the kernel
//! and go back to it when freed, so every such tensor (the conv autoencoder's activations at
//! batch 2000 are 130–520 MB each) is faulted in page by page on first touch, every training
//! step again: `bench/compare.sh` measured 32.5 s of system time for 94.8 s of user time, most
//! of it in the conv autoencoder. A training step allocates the same sizes every time, so this
//! allocator keeps up to [`MAX_CACHED_BLOCKS`] freed blocks of at least [`MIN_CACHED_BYTES`]
//! (at most [`MAX_CACHED_BYTES`] in all) and hands one back for an allocation of exactly its
//! size and alignment. New large blocks are also marked for transparent huge pages
//! (`MADV_HUGEPAGE`), which cuts the faults of their first touch by up to 512×. Everything
//! else goes to the system allocator unchanged.
//!
//! Install it in a binary with
//! `#[global_allocator] static ALLOCATOR: ae_runtime::LargeBlockCache = ae_runtime::LargeBlockCache;`

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, Ordering};

/// Smallest block kept: glibc's largest mmap threshold. Smaller blocks come from its heap,
/// which reuses them already (with `keep_freed_memory`); advising huge pages there made
/// LeNet's step 2× slower (page faults with synchronous compaction on the heap).
pub const MIN_CACHED_BYTES: usize = 32 << 20;
/// Most blocks kept at once.
pub const MAX_CACHED_BLOCKS: usize = 64;
/// Most bytes kept at once (freed blocks beyond it go back to the system).
pub const MAX_CACHED_BYTES: usize = 6 << 30;

/// The allocator (a unit struct: its state is static).
#[derive(Debug, Clone, Copy, Default)]
pub struct LargeBlockCache;

#[derive(Clone, Copy)]
struct Slot {
    ptr: *mut u8,
    size: usize,
    align: usize,
}

struct Cache {
    slots: [Slot; MAX_CACHED_BLOCKS],
    bytes: usize,
}

static LOCK: AtomicBool = AtomicBool::new(false);
static mut CACHE: Cache = Cache {
    slots: [Slot {
        ptr: std::ptr::null_mut(),
        size: 0,
        align: 0,
    }; MAX_CACHED_BLOCKS],
    bytes: 0,
};

/// Runs `f` on the cache under a spin lock (held for a scan of 64 slots; it never allocates).
#[allow(unsafe_code)]
fn with_cache<R>(f: impl FnOnce(&mut Cache) -> R) -> R {
    while LOCK
        .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
        .is_err()
    {
        std::hint::spin_loop();
    }
    // SAFETY: the lock above gives this thread the only access to CACHE until it is released.
    let result = f(unsafe { &mut *std::ptr::addr_of_mut!(CACHE) });
    LOCK.store(false, Ordering::Release);
    result
}

/// A cached block of exactly this layout, taken out of the cache.
fn take_cached(layout: Layout) -> Option<*mut u8> {
    with_cache(|cache| {
        let slot = cache
            .slots
            .iter_mut()
            .find(|s| !s.ptr.is_null() && s.size == layout.size() && s.align == layout.align())?;
        let ptr = std::mem::replace(&mut slot.ptr, std::ptr::null_mut());
        cache.bytes -= slot.size;
        Some(ptr)
    })
}

/// Asks the kernel for huge pages on the 2 MiB-aligned part of a fresh block.
#[allow(unsafe_code)]
#[cfg_attr(
    not(all(target_os = "linux", target_env = "gnu")),
    allow(unused_variables)
)]
fn advise_huge_pages(ptr: *mut u8, size: usize) {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const HUGE: usize = 2 << 20;
        let start = (ptr as usize).next_multiple_of(HUGE);
        let end = (ptr as usize + size) / HUGE * HUGE;
        if end > start {
            // SAFETY: the range lies inside a block this process owns; madvise only changes
            // how the kernel backs it, never its contents.
            unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE) };
        }
    }
}

// SAFETY: every block handed out comes from `System` with the same layout it is later given
// back with (`System.dealloc`/`realloc` receive exactly the layout of the original
// allocation, since a cached block is only reused for an identical size and alignment).
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for LargeBlockCache {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() >= MIN_CACHED_BYTES {
            if let Some(ptr) = take_cached(layout) {
                return ptr;
            }
            let ptr = unsafe { System.alloc(layout) };
            if !ptr.is_null() {
                advise_huge_pages(ptr, layout.size());
            }
            return ptr;
        }
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.size() >= MIN_CACHED_BYTES {
            let reused = take_cached(layout);
            if let Some(ptr) = reused {
                // SAFETY: a block of layout.size() bytes that this call owns.
                unsafe { std::ptr::write_bytes(ptr, 0, layout.size()) };
                return ptr;
            }
            // Fresh mapped memory is zero already: no need to touch it.
            let ptr = unsafe { System.alloc_zeroed(layout) };
            if !ptr.is_null() {
                advise_huge_pages(ptr, layout.size());
            }
            return ptr;
        }
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if layout.size() >= MIN_CACHED_BYTES {
            let kept = with_cache(|cache| {
                if cache.bytes + layout.size() > MAX_CACHED_BYTES {
                    return false;
                }
                let Some(slot) = cache.slots.iter_mut().find(|s| s.ptr.is_null()) else {
                    return false;
                };
                *slot = Slot {
                    ptr,
                    size: layout.size(),
                    align: layout.align(),
                };
                cache.bytes += layout.size();
                true
            });
            if kept {
                return;
            }
        }
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // The block came from System with this layout (cached or not), so System can resize it.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tests call the allocator directly (it is not this test binary's global allocator).
    #[test]
    #[allow(unsafe_code)]
    fn a_freed_large_block_is_reused_for_the_same_layout_only() {
        let alloc = LargeBlockCache;
        // An odd size no other test allocates, so the shared static cache holds no other.
        let layout = Layout::from_size_align(MIN_CACHED_BYTES + 4096 * 7 + 24, 64).unwrap();
        unsafe {
            let first = alloc.alloc(layout);
            assert!(!first.is_null());
            first.write(7);
            alloc.dealloc(first, layout);
            // Same layout: the same block comes back.
            let second = alloc.alloc(layout);
            assert_eq!(second, first);
            // A zeroed allocation of that size is zero even though the block is reused.
            alloc.dealloc(second, layout);
            let zeroed = alloc.alloc_zeroed(layout);
            assert_eq!(zeroed, first);
            assert!(
                std::slice::from_raw_parts(zeroed, layout.size())
                    .iter()
                    .all(|&b| b == 0)
            );
            // Another size does not take it.
            let other = Layout::from_size_align(layout.size() + 8, 64).unwrap();
            alloc.dealloc(zeroed, layout);
            let third = alloc.alloc(other);
            assert_ne!(third, first);
            alloc.dealloc(third, other);
            // Small blocks are the system's business.
            let small = Layout::from_size_align(100, 8).unwrap();
            let p = alloc.alloc(small);
            assert!(!p.is_null());
            alloc.dealloc(p, small);
        }
    }
}
