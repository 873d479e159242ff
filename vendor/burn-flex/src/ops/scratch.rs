//! ae patch 7: per-thread scratch buffers for the conv backward passes.
//!
//! The weight and input gradients of a convolution gather patches and gradient rows into
//! buffers of up to 2M floats (8 MB) per worker. Allocating them fresh each call zeroed and
//! faulted in about 40 MB per LeNet step (most of its `memset` time and page faults); these
//! buffers are kept per thread and reused, grown when a larger one is needed.

use alloc::vec;
use alloc::vec::Vec;

#[cfg(feature = "std")]
std::thread_local! {
    static SCRATCH: core::cell::RefCell<[Vec<f32>; 2]> =
        const { core::cell::RefCell::new([Vec::new(), Vec::new()]) };
}

/// Runs `f` with two f32 buffers of `len_a` and `len_b` elements. Their contents are
/// unspecified (whatever an earlier call left, or zeros): `f` must write every element it
/// reads. Re-entered on the same thread (or without `std`), fresh buffers are used.
pub(crate) fn with_scratch<R>(
    len_a: usize,
    len_b: usize,
    f: impl FnOnce(&mut [f32], &mut [f32]) -> R,
) -> R {
    #[cfg(feature = "std")]
    {
        let mut f = Some(f);
        let reused = SCRATCH.with(|cell| {
            let mut buffers = cell.try_borrow_mut().ok()?;
            let [a, b] = &mut *buffers;
            if a.len() < len_a {
                a.resize(len_a, 0.0);
            }
            if b.len() < len_b {
                b.resize(len_b, 0.0);
            }
            let f = f.take()?;
            Some(f(&mut a[..len_a], &mut b[..len_b]))
        });
        if let Some(result) = reused {
            return result;
        }
        let f = f.take().expect("the closure runs once");
        f(&mut vec![0.0; len_a], &mut vec![0.0; len_b])
    }
    #[cfg(not(feature = "std"))]
    f(&mut vec![0.0; len_a], &mut vec![0.0; len_b])
}
