//! Ctrl-C / SIGTERM: the first signal calls the given function (the binary's asks training to
//! stop after the current step and save a checkpoint); a second one exits at once.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

static SIGNALS: AtomicUsize = AtomicUsize::new(0);
static INSTALLED: OnceLock<bool> = OnceLock::new();

/// Installs the process's signal handler once: the first Ctrl-C or SIGTERM prints a note and
/// calls `on_first`, the second quits with exit code 130. Returns false when another handler
/// was installed first (or on a later call: the first call's function stays).
pub fn on_interrupt_signals(on_first: impl Fn() + Send + 'static) -> bool {
    let mut installed_now = false;
    let ok = *INSTALLED.get_or_init(|| {
        installed_now = true;
        ctrlc::set_handler(move || {
            let n = SIGNALS.fetch_add(1, Ordering::SeqCst);
            if n == 0 {
                eprintln!(
                    "\ninterrupt: stopping after the current step and saving a checkpoint (interrupt again to quit at once)"
                );
                on_first();
            } else {
                eprintln!("\ninterrupt: quitting without saving");
                std::process::exit(130);
            }
        })
        .is_ok()
    });
    ok && installed_now
}
