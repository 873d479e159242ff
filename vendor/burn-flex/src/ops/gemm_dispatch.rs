//! ae patch 6: every f32 matrix product of flex goes through the system BLAS when one is
//! loaded (`ae_blas`), with the `gemm` crate as the fallback for other element types, other
//! layouts, and machines without a BLAS. See `PATCHES.md`.

use core::any::TypeId;

/// Drop-in for `gemm::gemm` (same arguments, same meaning: `dst = alpha·dst + beta·lhs·rhs`,
/// strides given column stride first).
///
/// # Safety
/// As `gemm::gemm`.
#[allow(clippy::too_many_arguments)]
#[inline]
pub(crate) unsafe fn gemm<T: 'static>(
    m: usize,
    n: usize,
    k: usize,
    dst: *mut T,
    dst_cs: isize,
    dst_rs: isize,
    read_dst: bool,
    lhs: *const T,
    lhs_cs: isize,
    lhs_rs: isize,
    rhs: *const T,
    rhs_cs: isize,
    rhs_rs: isize,
    alpha: T,
    beta: T,
    conj_dst: bool,
    conj_lhs: bool,
    conj_rhs: bool,
    parallelism: gemm::Parallelism,
) {
    #[cfg(feature = "std")]
    if TypeId::of::<T>() == TypeId::of::<f32>() {
        let threads = match parallelism {
            gemm::Parallelism::None => 1,
            #[cfg(feature = "rayon")]
            gemm::Parallelism::Rayon(0) => rayon::current_num_threads(),
            #[cfg(feature = "rayon")]
            gemm::Parallelism::Rayon(n) => n,
        };
        // SAFETY: T is f32 (checked above), so the casts and reads are identities.
        let (alpha_f32, beta_f32) =
            unsafe { (*(&alpha as *const T as *const f32), *(&beta as *const T as *const f32)) };
        let done = unsafe {
            ae_blas::sgemm(
                m,
                n,
                k,
                ae_blas::Output::new(dst as *mut f32, dst_rs, dst_cs),
                read_dst,
                alpha_f32,
                beta_f32,
                ae_blas::Operand::new(lhs as *const f32, lhs_rs, lhs_cs),
                ae_blas::Operand::new(rhs as *const f32, rhs_rs, rhs_cs),
                threads,
            )
        };
        if done {
            return;
        }
    }
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst,
            dst_cs,
            dst_rs,
            read_dst,
            lhs,
            lhs_cs,
            lhs_rs,
            rhs,
            rhs_cs,
            rhs_rs,
            alpha,
            beta,
            conj_dst,
            conj_lhs,
            conj_rhs,
            parallelism,
        )
    }
}
