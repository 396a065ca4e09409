//! The engine's settings and views for automatic backups: schedule, retention,
//! expiry, stall timeout, operations history and the status summary.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{BackupListing, Engine, EncryptionInfo, LocationInfo, SETTING_EXPIRY_DAYS};
use crate::error::{check_range, Error, Result};
use crate::events::{DeletedBackup, Event};
use crate::operation::{OperationKind, OperationView, Trigger};
use crate::progress::{Cancel, Phase, Progress};
use crate::retention::{decide, Candidate, Decision, RetentionPolicy};
use crate::schedule::{Schedule, SchedulerState};

const SETTING_SCHEDULE: &str = "schedule";
const SETTING_ENABLED: &str = "schedule.enabled";
const SETTING_SCHEDULER_STATE: &str = "scheduler.state";
const SETTING_RETENTION: &str = "retention";
const SETTING_STALL_TIMEOUT: &str = "operations.stall_timeout_secs";

pub const EXPIRY_DAYS_RANGE: std::ops::RangeInclusive<u32> = 1..=3650;
pub const STALL_TIMEOUT_RANGE: std::ops::RangeInclusive<u64> = 1..=86_400;
pub const DEFAULT_STALL_TIMEOUT_SECS: u64 = 300;

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
pub struct ScheduleInfo {
    pub schedule: Schedule,
    pub description: String,
    pub enabled: bool,
    /// The next slot; while disabled, the slot that would run.
    pub next_due: DateTime<Utc>,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Default, Serialize)]
pub struct RetentionReport {
    pub deleted: Vec<DeletedBackup>,
    #[cfg_attr(feature = "specta", specta(type = u32))]
    pub kept: usize,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub schedule: ScheduleInfo,
    pub last_backup: Option<OperationView>,
    pub last_successful_backup_at: Option<DateTime<Utc>>,
    pub running: Option<OperationView>,
    pub location: Option<LocationInfo>,
    pub location_problem: Option<String>,
    pub encryption: EncryptionInfo,
    pub retention: RetentionPolicy,
    pub expiry_days: u32,
    #[cfg_attr(feature = "specta", specta(type = u32))]
    pub stall_timeout_secs: u64,
    #[cfg_attr(feature = "specta", specta(type = u32))]
    pub backups: usize,
    #[cfg_attr(feature = "specta", specta(type = u32))]
    pub expired_backups: usize,
    pub oldest_backup_at: Option<DateTime<Utc>>,
    pub newest_backup_at: Option<DateTime<Utc>>,
}

pub fn check_expiry_days(days: u32) -> Result<u32> {
    check_range(days, EXPIRY_DAYS_RANGE, " days", |d| format!("An expiry of {d} days"))
}

impl Engine {
    // ---- schedule ----

    pub fn schedule_info(&self) -> Result<ScheduleInfo> {
        let schedule = self.schedule()?;
        let state = self.scheduler_state()?;
        Ok(ScheduleInfo { description: schedule.describe(), schedule, enabled: self.automatic_enabled()?, next_due: state.next_due })
    }

    pub fn set_schedule(&self, schedule: Schedule) -> Result<ScheduleInfo> {
        self.catalog.set_setting(SETTING_SCHEDULE, &schedule)?;
        let mut state = self.scheduler_state()?;
        state.next_due = schedule.next_after(self.now());
        self.save_scheduler_state(&state)?;
        self.schedule_info()
    }

    /// Disabling keeps every setting; enabling resumes at the next slot, with no
    /// catch-up for slots that passed while disabled.
    pub fn set_automatic(&self, enabled: bool) -> Result<ScheduleInfo> {
        self.catalog.set_setting(SETTING_ENABLED, &enabled)?;
        if enabled {
            let now = self.now();
            let mut state = self.scheduler_state()?;
            state.next_due = self.schedule()?.next_after(now);
            state.last_check = Some(now);
            state.catch_up_pending = false;
            self.save_scheduler_state(&state)?;
        }
        self.schedule_info()
    }

    /// The stored schedule, checked again: the catalog is a file anyone can edit.
    pub fn schedule(&self) -> Result<Schedule> {
        let stored: Schedule = self.catalog.setting(SETTING_SCHEDULE)?.unwrap_or_default();
        stored.check().map_err(|e| Error::operation(format!("The stored schedule is invalid ({e}); set it again with `lifeboat schedule set`.")))
    }

    pub fn automatic_enabled(&self) -> Result<bool> {
        Ok(self.catalog.setting(SETTING_ENABLED)?.unwrap_or(true))
    }

    /// The stored state, created (and stored) with the next slot on first use.
    pub(crate) fn scheduler_state(&self) -> Result<SchedulerState> {
        if let Some(state) = self.catalog.setting(SETTING_SCHEDULER_STATE)? {
            return Ok(state);
        }
        let state = SchedulerState::new(&self.schedule()?, self.now());
        self.save_scheduler_state(&state)?;
        Ok(state)
    }

    pub(crate) fn save_scheduler_state(&self, state: &SchedulerState) -> Result<()> {
        self.catalog.set_setting(SETTING_SCHEDULER_STATE, state)
    }

    // ---- retention and expiry ----

    pub fn retention(&self) -> Result<RetentionPolicy> {
        Ok(self.catalog.setting(SETTING_RETENTION)?.unwrap_or_default())
    }

    /// What `policy` would decide for the backups at the location now.
    pub fn preview_retention(&self, policy: RetentionPolicy) -> Result<Vec<Decision>> {
        self.decide_retention(&self.read_listings()?, policy)
    }

    pub(super) fn decide_retention(&self, listings: &[BackupListing], policy: RetentionPolicy) -> Result<Vec<Decision>> {
        let installation = self.installation()?.id.to_string();
        let candidates: Vec<Candidate> = listings
            .iter()
            .filter_map(|l| {
                // Files whose header cannot be read are never deleted by retention.
                Some(Candidate {
                    ours: l.installation_id.as_deref() == Some(installation.as_str()),
                    good: l.status.as_deref() != Some("damaged"),
                    id: l.id.clone()?,
                    file_name: l.file_name.clone(),
                    created_at: l.created_at?,
                })
            })
            .collect();
        Ok(decide(&candidates, policy, self.now()))
    }

    /// Saves a new policy. When it would delete backups, `confirmed` must be true;
    /// otherwise nothing is saved and the error lists what would go.
    pub fn set_retention(&self, policy: RetentionPolicy, confirmed: bool) -> Result<Vec<Decision>> {
        let deleted: Vec<Decision> = self.preview_retention(policy)?.into_iter().filter(|d| !d.keep).collect();
        if !deleted.is_empty() && !confirmed {
            let names: Vec<String> = deleted
                .iter()
                .map(|d| format!("{} ({}, {})", d.id, d.created_at.format("%Y-%m-%d %H:%M UTC"), d.reason))
                .collect();
            return Err(Error::input(format!(
                "This retention would delete {} backup(s): {}. Nothing was changed; confirm with --yes.",
                deleted.len(),
                names.join("; ")
            )));
        }
        self.catalog.set_setting(SETTING_RETENTION, &policy)?;
        Ok(deleted)
    }

    /// Deletes what the retention policy says to delete, as an operation.
    pub fn run_retention(&self, trigger: Trigger, progress: &dyn Progress, cancel: &Cancel) -> Result<RetentionReport> {
        let op = self.start_operation(OperationKind::Retention, trigger, cancel)?;
        let result = op.run(progress, |progress, cancel| self.sweep(progress, cancel));
        op.finish(&self.catalog, result, None)
    }

    /// `retention run` from the user.
    pub fn retention_now(&self, progress: &dyn Progress, cancel: &Cancel) -> Result<RetentionReport> {
        self.run_retention(self.interactive, progress, cancel)
    }

    fn sweep(&self, progress: &dyn Progress, cancel: &Cancel) -> Result<RetentionReport> {
        progress.phase(Phase::Deleting);
        let decisions = self.preview_retention(self.retention()?)?;
        let doomed: Vec<&Decision> = decisions.iter().filter(|d| !d.keep).collect();
        progress.total(0, doomed.len() as u64);
        let target = self.target()?;
        let mut report = RetentionReport { deleted: Vec::new(), kept: decisions.len() - doomed.len() };
        let mut failure = None;
        for d in doomed {
            if cancel.check().is_err() {
                failure = Some(Error::Canceled);
                break;
            }
            match target.delete(&d.file_name) {
                Ok(()) => {
                    self.catalog.set_backup_status(&d.id, "deleted", self.now())?;
                    report.deleted.push(DeletedBackup {
                        id: d.id.clone(),
                        file_name: d.file_name.clone(),
                        created_at: d.created_at,
                        reason: d.reason.clone(),
                    });
                }
                Err(e) => {
                    failure.get_or_insert(e);
                }
            }
            progress.advance(0, 1);
        }
        if !report.deleted.is_empty() {
            self.events.publish(Event::BackupsDeleted { backups: report.deleted.clone() }, self.now());
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(report),
        }
    }

    /// New backups expire this many days after they are made; existing ones keep
    /// the expiry written (and authenticated) in their header.
    pub fn set_expiry_days(&self, days: u32) -> Result<u32> {
        let days = check_expiry_days(days)?;
        self.catalog.set_setting(SETTING_EXPIRY_DAYS, &days)?;
        Ok(days)
    }

    // ---- operations ----

    pub fn stall_timeout_secs(&self) -> Result<u64> {
        Ok(self.catalog.setting(SETTING_STALL_TIMEOUT)?.unwrap_or(DEFAULT_STALL_TIMEOUT_SECS))
    }

    pub fn set_stall_timeout_secs(&self, secs: u64) -> Result<u64> {
        let secs = check_range(secs, STALL_TIMEOUT_RANGE, " seconds", |s| format!("A stall timeout of {s} s"))?;
        self.catalog.set_setting(SETTING_STALL_TIMEOUT, &secs)?;
        Ok(secs)
    }

    pub fn operations(&self, limit: u32) -> Result<Vec<OperationView>> {
        let now = self.now();
        Ok(self.catalog.operations(limit)?.into_iter().map(|o| o.with_rate(now)).collect())
    }

    /// By id or a unique prefix of it.
    pub fn operation(&self, selector: &str) -> Result<OperationView> {
        let selector = selector.trim().to_ascii_lowercase();
        if selector.len() < 4 {
            return Err(Error::input("Give at least 4 characters of the operation id (see `lifeboat operations list`)."));
        }
        match self.catalog.operations_by_prefix(&selector)?.as_slice() {
            [one] => Ok(one.clone().with_rate(self.now())),
            [] => Err(Error::input(format!("No operation {selector:?}; see `lifeboat operations list`."))),
            _ => Err(Error::input(format!("{selector:?} matches several operations; give more of the id."))),
        }
    }

    /// Asks the running operation to stop; the process running it (this one or
    /// another) sees the request within a fraction of a second.
    pub fn cancel_operation(&self, selector: &str) -> Result<OperationView> {
        let op = self.operation(selector)?;
        if op.status != "running" || !self.catalog.request_cancel(&op.id)? {
            return Err(Error::input(format!("Operation {} is not running (it {}).", op.id, op.status)));
        }
        self.operation(&op.id)
    }

    // ---- status ----

    pub fn status(&self) -> Result<Status> {
        let (location, location_problem) = match self.location() {
            Ok(l) => (Some(l), None),
            Err(e) => (None, Some(e.to_string())),
        };
        let listing = if location.is_some() { self.read_listings()? } else { Vec::new() };
        let created: Vec<DateTime<Utc>> = listing.iter().filter_map(|l| l.created_at).collect();
        Ok(Status {
            schedule: self.schedule_info()?,
            last_backup: self.catalog.latest_operation(Some("backup"), "finished")?,
            last_successful_backup_at: self.catalog.latest_operation(Some("backup"), "succeeded")?.and_then(|o| o.finished_at),
            running: self.catalog.latest_operation(None, "running")?.map(|o| o.with_rate(self.now())),
            location,
            location_problem,
            encryption: self.encryption()?,
            retention: self.retention()?,
            expiry_days: self.expiry_days()?,
            stall_timeout_secs: self.stall_timeout_secs()?,
            backups: created.len(),
            expired_backups: listing.iter().filter(|l| l.expired).count(),
            oldest_backup_at: created.iter().min().copied(),
            newest_backup_at: created.iter().max().copied(),
        })
    }
}
