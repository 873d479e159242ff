//! Asking a run to stop: a handle the caller keeps and the learner checks after every step.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A request to stop training after the current step, with a checkpoint (what Ctrl-C does in
/// the binary, which turns the signal into [`Interrupt::request`]). Clones share the request.
#[derive(Debug, Clone, Default)]
pub struct Interrupt(Arc<AtomicBool>);

impl Interrupt {
    /// A handle nobody has requested yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the run(s) given this handle to stop after the current step.
    pub fn request(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether a stop was requested.
    pub fn is_requested(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// Forgets the request (before another run with the same handle).
    pub fn clear(&self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_one_request() {
        let a = Interrupt::new();
        let b = a.clone();
        assert!(!b.is_requested());
        a.request();
        assert!(b.is_requested());
        b.clear();
        assert!(!a.is_requested());
    }
}
