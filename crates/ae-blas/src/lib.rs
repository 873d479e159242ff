//! # ae-blas
//!
//! `C = alpha·C + beta·A·B` in f32 through a system BLAS found at run time, with a plain
//! "not available" answer when there is none, so that the caller keeps its own kernel as the
//! fallback. This is how the project's patched `burn-flex` (`vendor/burn-flex`, patch 6) reaches
//! BLAS speed on a CPU without making any package a requirement.
//!
//! * **Which library**: `$AE_BLAS` (a path or a soname; `none` turns the BLAS off), otherwise
//!   `libopenblas.so.0` (Debian: `libopenblas0-pthread`, `-openmp` or `-serial`), then
//!   `libblis.so.4` (`libblis4`). The first that loads and exports `cblas_sgemm` is used,
//!   unless it is an OpenBLAS that chose kernels without AVX-512 on a CPU with AVX-512
//!   (Debian 12's OpenBLAS 0.3.21 does on CPUs newer than it): those are slower than the
//!   fallback, so it is left alone and [`status`] says so (`OPENBLAS_CORETYPE=SkylakeX` in the
//!   environment makes it choose right; [`prefer_avx512_kernels`], called first in `main`, sets
//!   that on CPUs with AVX-512).
//! * **Threads**: the library is put in single-threaded mode (`openblas_set_num_threads(1)`,
//!   `bli_thread_set_num_threads(1)`) and [`sgemm`] splits large products into row or column
//!   blocks over rayon's threads itself. The BLAS's own thread pools would otherwise spin
//!   between calls and compete with the element-wise work that rayon runs between products.
//! * **Layouts**: any operand whose rows or columns are contiguous (row-major, column-major,
//!   transposed views); other strides return `false`.
//!
//! Loading uses `dlopen`, so the crate builds and runs on machines without any BLAS.

mod layout;
mod library;

pub use layout::{Operand, Output};
pub use library::{DEFAULT_CANDIDATES, Library, library, prefer_avx512_kernels, status};

/// Products smaller than this many multiply-adds run on one thread.
pub const PARALLEL_MIN_MADDS: usize = 96 * 96 * 96;

/// `dst = alpha·dst + beta·lhs·rhs` for an `m × k` left operand and a `k × n` right operand;
/// with `read_dst == false`, `dst = beta·lhs·rhs` and `dst`'s old contents are ignored (they may
/// be uninitialised). Returns `false`, leaving `dst` untouched, when no BLAS is loaded, a
/// dimension is 0 or larger than `i32`, or an operand's strides have no BLAS layout; the caller
/// then computes the product itself.
///
/// Products of at least [`PARALLEL_MIN_MADDS`] multiply-adds are split over `threads` blocks
/// (rows of the output when `m >= n`, else columns) run with rayon.
///
/// # Safety
/// The pointers must address the full strided extents of the three matrices, `dst` must be
/// writable and must not overlap `lhs` or `rhs`, and no other thread may write them meanwhile.
#[allow(unsafe_code, clippy::too_many_arguments)]
pub unsafe fn sgemm(
    m: usize,
    n: usize,
    k: usize,
    dst: Output,
    read_dst: bool,
    alpha: f32,
    beta: f32,
    lhs: Operand,
    rhs: Operand,
    threads: usize,
) -> bool {
    let Some(lib) = library() else { return false };
    if m == 0 || n == 0 || k == 0 || m.max(n).max(k) > i32::MAX as usize {
        return false;
    }
    if layout::cblas_call(m, n, k, dst, lhs, rhs).is_none() {
        return false;
    }
    let c_beta = if read_dst { alpha } else { 0.0 };
    let blocks = if m.saturating_mul(n).saturating_mul(k) >= PARALLEL_MIN_MADDS {
        threads.max(1)
    } else {
        1
    };
    // Split the longer side of the output, in multiples of 16 so that blocks stay aligned
    // with the kernels' register tiles.
    let split_rows = m >= n;
    let side = if split_rows { m } else { n };
    let step = side.div_ceil(blocks).next_multiple_of(16).min(side);
    let run = |start: usize| {
        let len = step.min(side - start);
        let (bm, bn) = if split_rows { (len, n) } else { (m, len) };
        let (d, l, r) = if split_rows {
            (dst.offset_rows(start), lhs.offset_rows(start), rhs)
        } else {
            (dst.offset_cols(start), lhs, rhs.offset_cols(start))
        };
        // A block of a matrix with a BLAS layout has one too (fewer rows or columns never
        // break a layout), so this always finds the call.
        let call = layout::cblas_call(bm, bn, k, d, l, r);
        debug_assert!(
            call.is_some(),
            "a block of a BLAS-layout product lost its layout"
        );
        if let Some(call) = call {
            // SAFETY: the block lies inside the matrices the caller vouched for; blocks write
            // disjoint rows (or columns) of `dst`.
            unsafe { lib.call(&call, c_beta, beta) };
        }
    };
    if step >= side {
        run(0);
    } else {
        let starts: Vec<usize> = (0..side).step_by(step).collect();
        rayon::scope(|scope| {
            for &start in &starts[1..] {
                scope.spawn(move |_| run(start));
            }
            run(0);
        });
    }
    true
}
