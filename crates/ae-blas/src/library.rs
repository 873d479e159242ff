//! Finding and loading the system BLAS with `dlopen`.

use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::sync::OnceLock;

use crate::layout::{CblasCall, ROW_MAJOR};

type CblasSgemm = unsafe extern "C" fn(
    c_int,
    c_int,
    c_int,
    c_int,
    c_int,
    c_int,
    f32,
    *const f32,
    c_int,
    *const f32,
    c_int,
    f32,
    *mut f32,
    c_int,
);

/// Sonames tried, in order, when `$AE_BLAS` is unset.
pub const DEFAULT_CANDIDATES: [&str; 2] = ["libopenblas.so.0", "libblis.so.4"];

/// A loaded BLAS. The handle is never closed: the library lives as long as the process.
#[derive(Debug)]
pub struct Library {
    name: String,
    description: String,
    /// OpenBLAS's kernel set (`openblas_get_corename`).
    core: Option<String>,
    sgemm: CblasSgemm,
}

#[cfg(target_arch = "x86_64")]
fn cpu_has_avx512() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512bw")
        && std::arch::is_x86_feature_detected!("avx512dq")
        && std::arch::is_x86_feature_detected!("avx512vl")
}

#[cfg(not(target_arch = "x86_64"))]
fn cpu_has_avx512() -> bool {
    false
}

/// The process's BLAS, loaded on first use; `None` when none was found, when `AE_BLAS=none`,
/// or when the one found would be slower than the fallback (see [`status`]).
pub fn library() -> Option<&'static Library> {
    loaded().0.as_ref()
}

/// One line saying which BLAS is used, or why none is.
pub fn status() -> &'static str {
    &loaded().1
}

/// The process's BLAS and its status line, set on first use.
static LIBRARY: OnceLock<(Option<Library>, String)> = OnceLock::new();

/// The kernel set [`prefer_avx512_kernels`] names.
const AVX512_CORETYPE: &str = "SkylakeX";

/// Makes an OpenBLAS that this process loads later choose its AVX-512 kernels on a CPU with
/// AVX-512, by setting `OPENBLAS_CORETYPE=SkylakeX` unless the variable is set already; returns
/// whether it set it.
///
/// OpenBLAS picks its kernels when it is loaded, from the CPU's model number. Debian 12's 0.3.21
/// does not know the models that came after it (seen 2026-12-08: Intel family 6 model 207, an
/// Emerald Rapids Xeon) and picks its Prescott (SSE3) kernels, slower than the fallback, so that
/// [`library`] leaves it alone: the dense steps then ran 10–25% slower than with SkylakeX's
/// (`ae bench stacked-mnist`, four runs interleaved; the 1024³ product 149–158 GFLOP/s on the
/// fallback, 279 through OpenBLAS). For f32 products OpenBLAS's Cooperlake and SapphireRapids
/// kernel sets are SkylakeX's with bfloat16 kernels added, so naming SkylakeX loses nothing on
/// the CPUs it knows.
///
/// Changing the environment is only sound while no other thread can read it, so this does
/// nothing unless the process has one thread (Linux's `/proc/self/status`) and no BLAS has been
/// loaded yet: call it first thing in `main`.
pub fn prefer_avx512_kernels() -> bool {
    if LIBRARY.get().is_some()
        || std::env::var_os("OPENBLAS_CORETYPE").is_some()
        || !cpu_has_avx512()
        || !only_thread()
    {
        return false;
    }
    // SAFETY: the process has one thread (checked just above), so nothing reads the
    // environment while it changes.
    #[allow(unsafe_code)]
    unsafe {
        std::env::set_var("OPENBLAS_CORETYPE", AVX512_CORETYPE)
    };
    true
}

/// Whether the calling thread is the process's only one (Linux; `false` where it cannot tell).
fn only_thread() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .any(|line| line.split_whitespace().eq(["Threads:", "1"]))
    })
}

fn loaded() -> &'static (Option<Library>, String) {
    LIBRARY.get_or_init(|| {
        let (library, tried) = match std::env::var("AE_BLAS") {
            Ok(value) if value.eq_ignore_ascii_case("none") => {
                return (None, "none (AE_BLAS=none)".to_string());
            }
            Ok(value) if !value.is_empty() => (Library::open(&value), value),
            _ => (
                DEFAULT_CANDIDATES
                    .iter()
                    .find_map(|name| Library::open(name)),
                DEFAULT_CANDIDATES.join(", "),
            ),
        };
        match library {
            None => (None, format!("none ({tried} not found)")),
            Some(library) => match library.weak_kernels() {
                Some(core) => (
                    None,
                    format!(
                        "none ({} chose its {core} kernels on a CPU with AVX-512, slower than \
                         the fallback; set OPENBLAS_CORETYPE=SkylakeX to use it)",
                        library.name
                    ),
                ),
                None => {
                    let line = library.description.clone();
                    (Some(library), line)
                }
            },
        }
    })
}

impl Library {
    /// Loads `name` (a path or a soname) if it exports `cblas_sgemm`, in single-threaded mode.
    #[allow(unsafe_code)]
    pub fn open(name: &str) -> Option<Self> {
        let c_name = CString::new(name).ok()?;
        // SAFETY: dlopen takes a NUL-terminated string; a null handle means failure. Running
        // the library's initialisers is what loading it is for.
        let handle = unsafe { libc::dlopen(c_name.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
        if handle.is_null() {
            return None;
        }
        let symbol = |name: &CStr| -> *mut c_void {
            // SAFETY: a valid handle and a NUL-terminated name; null means absent.
            unsafe { libc::dlsym(handle, name.as_ptr()) }
        };
        let sgemm = symbol(c"cblas_sgemm");
        if sgemm.is_null() {
            return None;
        }
        // SAFETY (all transmutes below): the symbols are the documented C functions of
        // OpenBLAS and BLIS, with these signatures.
        let sgemm: CblasSgemm = unsafe { std::mem::transmute(sgemm) };
        let openblas_threads = symbol(c"openblas_set_num_threads");
        let blis_threads = symbol(c"bli_thread_set_num_threads");
        let mut description = name.to_string();
        let mut core_name = None;
        if !openblas_threads.is_null() {
            let set: unsafe extern "C" fn(c_int) = unsafe { std::mem::transmute(openblas_threads) };
            unsafe { set(1) };
            let config = symbol(c"openblas_get_config");
            let core = symbol(c"openblas_get_corename");
            if !config.is_null() && !core.is_null() {
                let config: unsafe extern "C" fn() -> *const c_char =
                    unsafe { std::mem::transmute(config) };
                let core: unsafe extern "C" fn() -> *const c_char =
                    unsafe { std::mem::transmute(core) };
                // SAFETY: both return static NUL-terminated strings.
                let text = |p: *const c_char| unsafe { CStr::from_ptr(p) }.to_string_lossy();
                let config = text(unsafe { config() }).into_owned();
                let core = text(unsafe { core() }).into_owned();
                description = format!("{config} (kernels {core})");
                core_name = Some(core);
            }
        } else if !blis_threads.is_null() {
            let set: unsafe extern "C" fn(i64) = unsafe { std::mem::transmute(blis_threads) };
            unsafe { set(1) };
            description = format!("BLIS ({name})");
        }
        Some(Self {
            name: name.to_string(),
            description,
            core: core_name,
            sgemm,
        })
    }

    /// OpenBLAS 0.3.21 (Debian 12) does not recognise some newer CPUs and falls back to
    /// kernels without AVX-512 (2–3× slower than `gemm`'s): the name of such a kernel set.
    fn weak_kernels(&self) -> Option<&str> {
        let core = self.core.as_deref()?;
        let avx512_kernels = ["skylakex", "cooperlake", "sapphirerapids"];
        let weak = !avx512_kernels.contains(&core.to_ascii_lowercase().as_str());
        (weak && cpu_has_avx512()).then_some(core)
    }

    /// The name it was loaded by.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What it says about itself (OpenBLAS: build configuration and the kernels chosen).
    pub fn description(&self) -> &str {
        &self.description
    }

    /// One single-threaded `cblas_sgemm`: `C = c_beta·C + ab_alpha·A·B`.
    ///
    /// # Safety
    /// `call` must describe matrices the caller may read (A, B) and write (C).
    #[allow(unsafe_code)]
    pub(crate) unsafe fn call(&self, call: &CblasCall, c_beta: f32, ab_alpha: f32) {
        // SAFETY: forwarded from the caller.
        unsafe {
            (self.sgemm)(
                ROW_MAJOR,
                call.trans_a,
                call.trans_b,
                call.m,
                call.n,
                call.k,
                ab_alpha,
                call.a,
                call.lda,
                call.b,
                call.ldb,
                c_beta,
                call.c,
                call.ldc,
            )
        }
    }
}
