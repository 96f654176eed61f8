//! Progress reporting and cancellation for long runs.
//!
//! A [`Control`] is shared between the thread doing the work and the thread
//! watching it: the worker bumps counters and checks the cancel flag in its
//! hot loops (a relaxed atomic load, effectively free); the watcher (the
//! Python binding) reads progress for a progress bar and sets the flag on
//! Ctrl-C.

use crate::error::{Error, Result};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Shared progress counters and cancel flag.
#[derive(Debug, Default)]
pub struct Control {
    cancelled: AtomicBool,
    done: AtomicU64,
    total: AtomicU64,
}

impl Control {
    /// A fresh control: not cancelled, no progress.
    pub fn new() -> Self {
        Self::default()
    }
    /// Ask the work to stop at its next check.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }
    /// True once [`Control::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }
    /// `Err(Cancelled)` if cancelled: call this in hot loops.
    pub fn check(&self) -> Result<()> {
        if self.is_cancelled() {
            Err(Error::cancelled())
        } else {
            Ok(())
        }
    }
    /// Add `units` of work to the expected total.
    pub fn add_total(&self, units: u64) {
        self.total.fetch_add(units, Ordering::Relaxed);
    }
    /// Record `units` of work done.
    pub fn advance(&self, units: u64) {
        self.done.fetch_add(units, Ordering::Relaxed);
    }
    /// (done, total) units of work so far.
    pub fn progress(&self) -> (u64, u64) {
        (self.done.load(Ordering::Relaxed), self.total.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancel_and_progress() {
        let c = Control::new();
        assert!(c.check().is_ok());
        c.add_total(10);
        c.advance(4);
        assert_eq!(c.progress(), (4, 10));
        c.cancel();
        assert_eq!(c.check().map_err(|e| e.kind()), Err(crate::ErrorKind::Cancelled));
    }
}
