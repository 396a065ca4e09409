//! The scheduler that runs automatic backups: `lifeboat service` and the desktop app
//! run this same loop. Each wake-up re-reads the clock (so a suspend or a clock jump
//! is seen at once) and applies `schedule::plan`; the clock and the sleep are
//! injected, so tests drive days of schedule without waiting.

use std::fs::{self, File};
use std::path::PathBuf;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::commands::backup::{Backup, BackupSummary};
use crate::commands::location;
use crate::engine::Engine;
use crate::error::{Error, IoContext, Result};
use crate::events::Event;
use crate::operation::{OperationKind, Trigger};
use crate::progress::{Cancel, Progress};
use crate::schedule::plan;
use crate::settings::{EncryptionSetting, HealthState};

/// Longest time between two looks at the clock.
pub const CHECK_EVERY: Duration = Duration::seconds(30);

const LOCATION_CONDITION: &str = "location-unreachable";

/// What one wake-up did.
#[derive(Debug, Serialize)]
pub struct TickReport {
    pub at: DateTime<Utc>,
    pub ran: Option<Trigger>,
    /// The backup's id, or why it failed.
    pub outcome: Option<std::result::Result<String, String>>,
    pub skipped: Vec<DateTime<Utc>>,
    pub missed: u32,
    pub next_due: DateTime<Utc>,
}

/// Holds the data folder's scheduler lock: one scheduler per data folder, whichever
/// program runs it.
pub struct Scheduler {
    engine: Engine,
    _lock: File,
    info_path: PathBuf,
}

impl Scheduler {
    pub fn new(engine: Engine) -> Result<Self> {
        let path = engine.data_dir().join("scheduler.lock");
        let info_path = engine.data_dir().join("scheduler.json");
        let lock = File::options().create(true).truncate(false).write(true).open(&path).with_path("opening", &path)?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                let running = fs::read_to_string(&info_path).unwrap_or_default();
                return Err(Error::input(format!(
                    "The scheduler already runs for this data folder ({}); only one runs at a time \
                     (the desktop app or the Lifeboat service).",
                    running.trim()
                )));
            }
            Err(fs::TryLockError::Error(e)) => return Err(Error::Io { message: format!("locking {}", path.display()), source: e }),
        }
        let info = format!("process {}, since {}", std::process::id(), engine.now().format("%Y-%m-%d %H:%M:%S UTC"));
        fs::write(&info_path, info).with_path("writing", &info_path)?;
        Ok(Scheduler { engine, _lock: lock, info_path })
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// One wake-up: decides from the stored state and the clock, runs at most one
    /// backup, records skipped slots and publishes events.
    pub fn tick(&self, progress: &dyn Progress, cancel: &Cancel) -> Result<TickReport> {
        let engine = &self.engine;
        let ctx = engine.context();
        let now = engine.now();
        let settings = ctx.settings();
        let decided = plan(&settings.schedule()?, settings.automatic_enabled()?, &settings.scheduler_state()?, now);
        let mut state = decided.state;
        let decided_next = settings.scheduler_state()?.next_due; // before this wake-up
        for slot in &decided.skipped {
            let reason = format!("the slot at {} passed while a backup was running", slot.format("%Y-%m-%d %H:%M UTC"));
            self.record_skip(*slot, &reason)?;
        }
        if let Some((count, first, last)) = decided.missed {
            engine.events().publish(Event::BackupsMissed { count, first, last }, now);
            state.catch_up_pending = true;
        }
        self.announce_certificates(&mut state.announced, now)?;
        // Stored before running, so a crash during the backup does not run it twice.
        settings.save_scheduler_state(&state)?;
        if state.next_due != decided_next {
            engine.events().publish(Event::ScheduleChanged { schedule: settings.schedule_info()? }, now);
        }

        let missed = decided.missed.map_or(0, |m| m.0);
        let mut report = TickReport { at: now, ran: None, outcome: None, skipped: decided.skipped, missed, next_due: state.next_due };
        let Some(trigger) = decided.run else { return Ok(report) };
        let health = location::check(ctx);
        let reachable = match health.state {
            HealthState::Reachable => {
                if state.announced.remove(LOCATION_CONDITION) {
                    engine.events().publish(Event::LocationReachable { location: health.location.clone() }, now);
                }
                true
            }
            _ => {
                if state.announced.insert(LOCATION_CONDITION.to_owned()) {
                    let error = health.problem.clone().unwrap_or_default();
                    engine.events().publish(Event::LocationUnreachable { location: health.location.clone(), error }, now);
                }
                false
            }
        };
        // A catch-up waits for the location; a scheduled slot runs and fails visibly.
        if reachable || trigger == Trigger::Scheduled {
            report.ran = Some(trigger);
            let outcome = engine.run_for(Backup, trigger, progress, cancel);
            match &outcome {
                Err(Error::Busy(running)) => {
                    self.record_skip(now, &format!("another operation was running: {running}"))?;
                }
                // Seed 004: no backup during an update; it waits, and runs once the update is done.
                Err(Error::UpdateInProgress(update)) => {
                    state.catch_up_pending = true;
                    let reason = format!("an update was being installed ({update}); the backup runs once it is done");
                    engine.events().publish(Event::BackupDeferred { slot: now, reason }, now);
                }
                Ok(_) => state.catch_up_pending = false,
                Err(_) if reachable => state.catch_up_pending = false,
                Err(_) => state.catch_up_pending = true,
            }
            report.outcome = Some(outcome.map(|s: BackupSummary| s.id).map_err(|e| e.to_string()));
        }
        // Settings may have changed while the backup ran: keep them, update only ours.
        let settings = ctx.settings();
        let mut stored = settings.scheduler_state()?;
        stored.last_check = Some(engine.now());
        stored.catch_up_pending = state.catch_up_pending;
        stored.announced = state.announced;
        settings.save_scheduler_state(&stored)?;
        report.next_due = stored.next_due;
        Ok(report)
    }

    /// Runs until `stop` is set: a tick, then a sleep until the next slot or
    /// `CHECK_EVERY`, whichever is sooner. `sleep` must return early when `stop` is set.
    pub fn run(&self, progress: &dyn Progress, stop: &Cancel, sleep: &dyn Fn(Duration, &Cancel), mut on_tick: impl FnMut(&Result<TickReport>)) {
        while stop.check().is_ok() {
            let report = self.tick(progress, stop);
            on_tick(&report);
            let now = self.engine.now();
            let next = self.engine.context().settings().scheduler_state().map(|s| s.next_due).unwrap_or(now + CHECK_EVERY);
            let wait = (next - now).clamp(Duration::zero(), CHECK_EVERY);
            sleep(wait.max(Duration::milliseconds(10)), stop);
        }
    }

    fn record_skip(&self, slot: DateTime<Utc>, reason: &str) -> Result<()> {
        let engine = &self.engine;
        engine.context().catalog().record_skipped(OperationKind::Backup, Trigger::Scheduled, reason, engine.now())?;
        engine.events().publish(Event::SlotSkipped { slot, reason: reason.to_owned() }, engine.now());
        Ok(())
    }

    /// Announces each certificate entering its last 30 days once, not on every tick.
    fn announce_certificates(&self, announced: &mut std::collections::BTreeSet<String>, now: DateTime<Utc>) -> Result<()> {
        let expiring: Vec<_> = match self.engine.context().settings().encryption_setting()? {
            Some(EncryptionSetting::Certificate { certificates }) => certificates.into_iter().filter(|c| c.not_after < now + Duration::days(30)).collect(),
            _ => Vec::new(),
        };
        let keys: Vec<String> = expiring.iter().map(|c| format!("certificate-expiring:{}", c.thumbprint)).collect();
        announced.retain(|k| !k.starts_with("certificate-expiring:") || keys.contains(k));
        for (cert, key) in expiring.iter().zip(keys) {
            if announced.insert(key) {
                self.engine.events().publish(
                    Event::CertificateExpiring {
                        thumbprint: cert.thumbprint.clone(),
                        subject: cert.subject.clone(),
                        not_after: cert.not_after,
                        days_left: (cert.not_after - now).num_days(),
                    },
                    now,
                );
            }
        }
        Ok(())
    }
}

impl Drop for Scheduler {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.info_path);
    }
}

/// Sleeps in short steps so a stop request ends the wait promptly.
pub fn real_sleep(duration: Duration, stop: &Cancel) {
    let until = std::time::Instant::now() + duration.to_std().unwrap_or_default();
    while stop.check().is_ok() {
        let left = until.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            break;
        }
        std::thread::sleep(left.min(std::time::Duration::from_millis(200)));
    }
}
