//! Progress reporting and cancellation for long operations.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::error::{Error, Result};

/// What a running operation is doing now.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Scanning,
    Writing,
    Publishing,
    Reading,
    Verifying,
    Restoring,
    Replacing,
    Deleting,
    Downloading,
    Installing,
}

crate::names::display_by_name!(Phase);

/// Receives progress from an operation; called from the thread doing the work.
pub trait Progress: Send + Sync {
    fn phase(&self, phase: Phase);
    /// What the current phase will process in all.
    fn total(&self, bytes: u64, entries: u64);
    fn advance(&self, bytes: u64, entries: u64);
}

pub struct NoProgress;

impl Progress for NoProgress {
    fn phase(&self, _: Phase) {}
    fn total(&self, _: u64, _: u64) {}
    fn advance(&self, _: u64, _: u64) {}
}

/// Shared flag that asks an operation to stop at the next safe point.
#[derive(Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn check(&self) -> Result<()> {
        if self.0.load(Ordering::Relaxed) {
            Err(Error::Canceled)
        } else {
            Ok(())
        }
    }
}
