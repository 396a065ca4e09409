//! What an operation is, as every front end and the catalog see it: its kind, who
//! asked for it, its status and progress. Running one is `runner`'s job.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::ErrorCode;
use crate::progress::Phase;

/// The long-running operations, one data-moving operation at a time.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OperationKind {
    Backup,
    Restore,
    Verify,
    Retention,
    /// Deleting one backup on request.
    Delete,
    /// Saving a copy of a backup file elsewhere.
    Copy,
    /// Putting an installation back from a backup (configuration and vault).
    Recover,
    /// Restoring one vault object from its backup file.
    VaultRestore,
    /// Installing a newer Lifeboat: nothing else moves data meanwhile (seed 004).
    Update,
}

/// Who asked for an operation.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Trigger {
    Scheduled,
    /// From the desktop app or the tray.
    OnDemand,
    Cli,
    /// The one backup that makes up for slots missed while nothing ran.
    CatchUp,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OperationStatus {
    Running,
    Succeeded,
    Failed,
    Canceled,
    /// A scheduled slot that could not run (another operation held the lock).
    Skipped,
}

crate::names::display_by_name!(OperationKind, Trigger, OperationStatus);

/// An operation as every front end shows it (read from the catalog, so it is the same
/// whichever process runs the operation).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperationView {
    pub id: String,
    pub kind: OperationKind,
    pub trigger: Trigger,
    pub status: OperationStatus,
    pub phase: Option<Phase>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub bytes_done: u64,
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub bytes_total: u64,
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub items_done: u64,
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub items_total: u64,
    /// Bytes per second since the start, while running.
    pub rate: Option<f64>,
    /// Seconds left at that rate, while running.
    #[cfg_attr(feature = "specta", specta(type = Option<specta_typescript::Number>))]
    pub eta_seconds: Option<u64>,
    pub error_code: Option<ErrorCode>,
    pub message: Option<String>,
    pub hint: Option<String>,
    pub backup_id: Option<String>,
    pub pid: Option<u32>,
    pub cancel_requested: bool,
}

impl OperationView {
    /// Fills in rate and time left from the counters, as of `now`: none in the first
    /// half second (too little to go on) or before a byte moved.
    pub fn with_rate(mut self, now: DateTime<Utc>) -> Self {
        if self.status == OperationStatus::Running {
            let elapsed = (now - self.started_at).num_milliseconds() as f64 / 1000.0;
            if elapsed > 0.5 && self.bytes_done > 0 {
                let rate = self.bytes_done as f64 / elapsed;
                self.rate = Some(rate);
                self.eta_seconds = Some((self.bytes_total.saturating_sub(self.bytes_done) as f64 / rate).ceil() as u64);
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn running(bytes_done: u64, bytes_total: u64) -> OperationView {
        OperationView {
            id: "op".into(),
            kind: OperationKind::Backup,
            trigger: Trigger::Cli,
            status: OperationStatus::Running,
            phase: Some(Phase::Writing),
            started_at: "2026-03-01T01:00:00Z".parse().unwrap(),
            finished_at: None,
            bytes_done,
            bytes_total,
            items_done: 0,
            items_total: 0,
            rate: None,
            eta_seconds: None,
            error_code: None,
            message: None,
            hint: None,
            backup_id: None,
            pid: None,
            cancel_requested: false,
        }
    }

    #[test]
    fn rate_and_time_left_follow_the_counters() {
        let at = |secs: i64| "2026-03-01T01:00:00Z".parse::<DateTime<Utc>>().unwrap() + chrono::Duration::seconds(secs);
        // 40 MiB of 100 MiB in 4 s: 10 MiB/s, 6 s left.
        let view = running(40 << 20, 100 << 20).with_rate(at(4));
        assert_eq!(view.rate, Some(10.0 * 1024.0 * 1024.0));
        assert_eq!(view.eta_seconds, Some(6));
        // A partial second left rounds up: never "0 s left" while bytes remain.
        assert_eq!(running(3, 10).with_rate(at(1)).eta_seconds, Some(3));
        // Too early, nothing moved yet, or no longer running: no figures.
        assert_eq!(running(1 << 20, 2 << 20).with_rate(at(0)).rate, None);
        assert_eq!(running(0, 2 << 20).with_rate(at(10)).eta_seconds, None);
        let done = OperationView { status: OperationStatus::Succeeded, ..running(2, 2) }.with_rate(at(10));
        assert_eq!((done.rate, done.eta_seconds), (None, None));
    }

    #[test]
    fn names_are_the_serde_names() {
        assert_eq!(Trigger::CatchUp.to_string(), "catch-up");
        assert_eq!(crate::names::parse_name::<Trigger>("on-demand"), Some(Trigger::OnDemand));
        assert_eq!(crate::names::parse_name::<OperationStatus>("exploded"), None);
    }
}
