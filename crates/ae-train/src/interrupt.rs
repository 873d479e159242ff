//! Ctrl-C / SIGTERM: the first signal asks training to stop after the current step (a
//! checkpoint is saved); a second one exits at once.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);
static SIGNALS: AtomicUsize = AtomicUsize::new(0);
static INSTALLED: OnceLock<bool> = OnceLock::new();

/// Installs the handler once per process. Returns false when another handler was installed
/// first (the caller can still forward signals with [`request_interrupt`]).
pub fn install_handler() -> bool {
    *INSTALLED.get_or_init(|| {
        ctrlc::set_handler(|| {
            let n = SIGNALS.fetch_add(1, Ordering::SeqCst);
            if n == 0 {
                REQUESTED.store(true, Ordering::SeqCst);
                eprintln!(
                    "\ninterrupt: stopping after the current step and saving a checkpoint (interrupt again to quit at once)"
                );
            } else {
                eprintln!("\ninterrupt: quitting without saving");
                std::process::exit(130);
            }
        })
        .is_ok()
    })
}

/// Asks a running training to stop after its current step and save a checkpoint, as Ctrl-C does.
pub fn request_interrupt() {
    REQUESTED.store(true, Ordering::SeqCst);
}

/// Whether an interrupt was requested.
pub fn interrupt_requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// Forgets earlier interrupts (a new training starts).
pub fn clear_interrupt() {
    REQUESTED.store(false, Ordering::SeqCst);
    SIGNALS.store(0, Ordering::SeqCst);
}
