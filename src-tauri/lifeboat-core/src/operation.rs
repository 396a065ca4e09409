//! Long-running operations: one data-moving operation at a time across processes,
//! recorded in the catalog with live progress, cancelable from any process, and
//! failed when nothing progresses for the stall timeout.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::catalog::Catalog;
use crate::engine::Clock;
use crate::error::{Error, IoContext, Result};
use crate::events::{Event, EventBus};
use crate::progress::{Cancel, Phase, Progress};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
}

impl OperationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OperationKind::Backup => "backup",
            OperationKind::Restore => "restore",
            OperationKind::Verify => "verify",
            OperationKind::Retention => "retention",
            OperationKind::Delete => "delete",
            OperationKind::Copy => "copy",
        }
    }
}

/// Who asked for an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Trigger {
    Scheduled,
    /// From the desktop app or the tray.
    OnDemand,
    Cli,
    /// The one backup that makes up for slots missed while nothing ran.
    CatchUp,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Scheduled => "scheduled",
            Trigger::OnDemand => "on-demand",
            Trigger::Cli => "cli",
            Trigger::CatchUp => "catch-up",
        }
    }
}

impl FromStr for Trigger {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "scheduled" => Trigger::Scheduled,
            "on-demand" => Trigger::OnDemand,
            "cli" => Trigger::Cli,
            "catch-up" => Trigger::CatchUp,
            other => return Err(Error::operation(format!("unknown operation trigger {other:?} in the catalog"))),
        })
    }
}

/// An operation as every front end shows it (read from the catalog, so it is the same
/// whichever process runs the operation).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct OperationView {
    pub id: String,
    pub kind: String,
    pub trigger: String,
    /// running | succeeded | failed | canceled | skipped
    pub status: String,
    pub phase: Option<String>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    #[cfg_attr(feature = "specta", specta(type = u32))]
    pub bytes_done: u64,
    #[cfg_attr(feature = "specta", specta(type = u32))]
    pub bytes_total: u64,
    #[cfg_attr(feature = "specta", specta(type = u32))]
    pub items_done: u64,
    #[cfg_attr(feature = "specta", specta(type = u32))]
    pub items_total: u64,
    /// Bytes per second since the start, while running.
    pub rate: Option<f64>,
    #[cfg_attr(feature = "specta", specta(type = Option<u32>))]
    pub eta_seconds: Option<u64>,
    pub error_code: Option<String>,
    pub message: Option<String>,
    pub hint: Option<String>,
    pub backup_id: Option<String>,
    pub pid: Option<u32>,
    pub cancel_requested: bool,
}

impl OperationView {
    /// Fills in rate and time left from the counters, as of `now`.
    pub fn with_rate(mut self, now: DateTime<Utc>) -> Self {
        if self.status == "running" {
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

/// Only one data-moving operation at a time, across processes. The OS releases the
/// lock when its process dies, so a crashed process never blocks later runs.
pub struct OperationLock {
    _file: File,
    info_path: PathBuf,
}

impl OperationLock {
    pub fn acquire(data_dir: &Path, kind: OperationKind, id: &str, now: DateTime<Utc>) -> Result<Self> {
        let path = data_dir.join("operation.lock");
        let info_path = data_dir.join("operation.json");
        let file = File::options().create(true).truncate(false).write(true).open(&path).with_path("opening", &path)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => return Err(Error::Busy(describe_running(&info_path))),
            Err(fs::TryLockError::Error(e)) => return Err(Error::Io { message: format!("locking {}", path.display()), source: e }),
        }
        let info = serde_json::json!({ "kind": kind.as_str(), "id": id, "started_at": now.to_rfc3339(), "pid": std::process::id() });
        fs::write(&info_path, info.to_string()).with_path("writing", &info_path)?;
        Ok(OperationLock { _file: file, info_path })
    }
}

fn describe_running(info_path: &Path) -> String {
    let running = fs::read_to_string(info_path).unwrap_or_default();
    let running: serde_json::Value = serde_json::from_str(&running).unwrap_or_default();
    format!(
        "{} {} started at {} (process {})",
        running["kind"].as_str().unwrap_or("operation"),
        running["id"].as_str().unwrap_or("?"),
        running["started_at"].as_str().unwrap_or("an unknown time"),
        running["pid"].as_u64().map(|p| p.to_string()).unwrap_or_else(|| "?".into())
    )
}

impl Drop for OperationLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.info_path);
    }
}

/// Counters the work thread updates and the monitor reads.
struct Tracker {
    started: Instant,
    phase: Mutex<Option<Phase>>,
    bytes_done: AtomicU64,
    bytes_total: AtomicU64,
    items_done: AtomicU64,
    items_total: AtomicU64,
    /// Milliseconds since `started` of the last sign of progress.
    last_activity: AtomicU64,
    cancel: Cancel,
    stalled: AtomicBool,
}

impl Tracker {
    fn touch(&self) {
        self.last_activity.store(self.started.elapsed().as_millis() as u64, Ordering::Relaxed);
    }
}

impl Progress for Tracker {
    fn phase(&self, phase: Phase) {
        *self.phase.lock().unwrap_or_else(|p| p.into_inner()) = Some(phase);
        self.bytes_done.store(0, Ordering::Relaxed);
        self.items_done.store(0, Ordering::Relaxed);
        self.touch();
    }

    fn total(&self, bytes: u64, entries: u64) {
        self.bytes_total.store(bytes, Ordering::Relaxed);
        self.items_total.store(entries, Ordering::Relaxed);
        self.touch();
    }

    fn advance(&self, bytes: u64, entries: u64) {
        self.bytes_done.fetch_add(bytes, Ordering::Relaxed);
        self.items_done.fetch_add(entries, Ordering::Relaxed);
        self.touch();
    }
}

/// Passes progress to the operation's tracker and to the caller's display.
struct Tee<'a>(&'a Tracker, &'a dyn Progress);

impl Progress for Tee<'_> {
    fn phase(&self, phase: Phase) {
        self.0.phase(phase);
        self.1.phase(phase);
    }
    fn total(&self, bytes: u64, entries: u64) {
        self.0.total(bytes, entries);
        self.1.total(bytes, entries);
    }
    fn advance(&self, bytes: u64, entries: u64) {
        self.0.advance(bytes, entries);
        self.1.advance(bytes, entries);
    }
}

/// How often the monitor saves progress, looks for a cancel request and checks for a stall.
const MONITOR_PERIOD: StdDuration = StdDuration::from_millis(250);

/// What the work thread and the monitor share.
struct Shared {
    id: String,
    tracker: Tracker,
    /// The lock while the outcome is not recorded yet. Whoever records the outcome
    /// takes it: `finish`, or the monitor when stalled work never returns.
    lock: Mutex<Option<OperationLock>>,
    stall_ms: u64,
    events: Arc<EventBus>,
    clock: Clock,
}

impl Shared {
    fn idle_ms(&self) -> u64 {
        (self.tracker.started.elapsed().as_millis() as u64).saturating_sub(self.tracker.last_activity.load(Ordering::Relaxed))
    }

    fn stall_error(&self) -> Error {
        let phase = self.tracker.phase.lock().unwrap_or_else(|p| p.into_inner()).map(Phase::as_str).unwrap_or("starting");
        Error::Stalled { seconds: self.stall_ms.div_ceil(1000), during: phase.to_owned() }
    }

    /// Records the outcome and releases the lock, once. False if it was already recorded.
    fn record_end(&self, catalog: &Catalog, outcome: std::result::Result<(), &Error>, backup_id: Option<&str>) -> Result<bool> {
        let mut lock = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        if lock.is_none() {
            return Ok(false);
        }
        let (status, error) = match outcome {
            Ok(()) => ("succeeded", None),
            Err(Error::Canceled) => ("canceled", None),
            Err(e) => ("failed", Some(e)),
        };
        let now = (self.clock)();
        catalog.save_progress(&self.id, &counters(&self.tracker), now)?;
        catalog.finish_operation(&self.id, status, backup_id, error.map(|e| (e.code(), e.to_string(), e.hint())), now)?;
        drop(lock.take());
        if let Some(view) = catalog.operation(&self.id)? {
            self.events.publish(Event::OperationFinished { operation: view }, now);
        }
        Ok(true)
    }
}

/// An operation that holds the lock and has a row in the catalog.
pub struct RunningOperation {
    pub id: String,
    pub kind: OperationKind,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    monitor: Option<JoinHandle<()>>,
}

pub(crate) struct StartOptions {
    pub data_dir: PathBuf,
    pub catalog_path: PathBuf,
    pub kind: OperationKind,
    pub trigger: Trigger,
    pub stall_timeout: StdDuration,
    pub cancel: Cancel,
    pub events: Arc<EventBus>,
    pub clock: Clock,
}

impl RunningOperation {
    /// Takes the lock (Busy at once if another operation holds it), fails the rows of
    /// operations whose process died, records this one and starts its monitor.
    pub(crate) fn start(catalog: &Catalog, o: StartOptions) -> Result<Self> {
        let id = uuid::Uuid::new_v4().to_string();
        let now = (o.clock)();
        let lock = OperationLock::acquire(&o.data_dir, o.kind, &id, now)?;
        // We hold the lock, so any operation still marked running lost its process.
        catalog.fail_interrupted_operations(now)?;
        catalog.start_operation(&id, o.kind.as_str(), o.trigger.as_str(), std::process::id(), now)?;
        let shared = Arc::new(Shared {
            id: id.clone(),
            tracker: Tracker {
                started: Instant::now(),
                phase: Mutex::new(None),
                bytes_done: AtomicU64::new(0),
                bytes_total: AtomicU64::new(0),
                items_done: AtomicU64::new(0),
                items_total: AtomicU64::new(0),
                last_activity: AtomicU64::new(0),
                cancel: o.cancel,
                stalled: AtomicBool::new(false),
            },
            lock: Mutex::new(Some(lock)),
            stall_ms: o.stall_timeout.as_millis() as u64,
            events: o.events,
            clock: o.clock,
        });
        let stop = Arc::new(AtomicBool::new(false));
        let monitor = {
            let (shared, stop, path) = (shared.clone(), stop.clone(), o.catalog_path);
            std::thread::Builder::new()
                .name("lifeboat-monitor".into())
                .spawn(move || monitor(&path, &shared, &stop))
                .map_err(|e| Error::operation(format!("starting the operation monitor: {e}")))?
        };
        if let Some(view) = catalog.operation(&id)? {
            shared.events.publish(Event::OperationStarted { operation: view }, now);
        }
        Ok(RunningOperation { id, kind: o.kind, shared, stop, monitor: Some(monitor) })
    }

    /// Runs `work` with progress going to the catalog and to `display`.
    pub fn run<T>(&self, display: &dyn Progress, work: impl FnOnce(&dyn Progress, &Cancel) -> Result<T>) -> Result<T> {
        work(&Tee(&self.shared.tracker, display), &self.shared.tracker.cancel)
    }

    /// Records how it ended and releases the lock. A cancel caused by the stall
    /// watchdog becomes a Stalled error; so does work that returns after the
    /// monitor gave up on it.
    pub fn finish<T>(mut self, catalog: &Catalog, result: Result<T>, backup_id: Option<&str>) -> Result<T> {
        self.stop_monitor();
        let result = match result {
            Err(Error::Canceled) if self.shared.tracker.stalled.load(Ordering::Relaxed) => Err(self.shared.stall_error()),
            other => other,
        };
        let recorded = self.shared.record_end(catalog, result.as_ref().map(|_| ()), backup_id)?;
        if !recorded {
            return Err(self.shared.stall_error());
        }
        result
    }

    fn stop_monitor(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(monitor) = self.monitor.take() {
            let _ = monitor.join();
        }
    }
}

impl Drop for RunningOperation {
    fn drop(&mut self) {
        self.stop_monitor();
    }
}

pub(crate) struct Counters {
    pub phase: Option<&'static str>,
    pub bytes_done: u64,
    pub bytes_total: u64,
    pub items_done: u64,
    pub items_total: u64,
}

fn counters(t: &Tracker) -> Counters {
    Counters {
        phase: t.phase.lock().unwrap_or_else(|p| p.into_inner()).map(Phase::as_str),
        bytes_done: t.bytes_done.load(Ordering::Relaxed),
        bytes_total: t.bytes_total.load(Ordering::Relaxed),
        items_done: t.items_done.load(Ordering::Relaxed),
        items_total: t.items_total.load(Ordering::Relaxed),
    }
}

/// Saves progress, honours cancel requests from other processes, and cancels the
/// work when nothing has progressed for the stall timeout. Work stuck where it
/// cannot see the cancel (a read or write that never returns) is given up on after
/// a further grace period: the operation is recorded as stalled and the lock
/// released, so a hung share never blocks every later operation.
fn monitor(path: &Path, shared: &Shared, stop: &AtomicBool) {
    let catalog = match Catalog::open(path) {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!("operation monitor cannot open the catalog: {e}");
            return;
        }
    };
    let grace_ms = shared.stall_ms.clamp(1000, 10_000);
    let tracker = &shared.tracker;
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(MONITOR_PERIOD);
        let idle = shared.idle_ms();
        if idle > shared.stall_ms && !stop.load(Ordering::Relaxed) {
            tracker.stalled.store(true, Ordering::Relaxed);
            tracker.cancel.cancel();
            if idle > shared.stall_ms + grace_ms {
                match shared.record_end(&catalog, Err(&shared.stall_error()), None) {
                    Ok(_) => return,
                    Err(e) => tracing::warn!("could not record the stalled operation: {e}"),
                }
            }
        }
        let now = (shared.clock)();
        if catalog.save_progress(&shared.id, &counters(tracker), now).is_err() {
            continue; // the catalog is busy; try again next period
        }
        if let Ok(Some(view)) = catalog.operation(&shared.id) {
            if view.cancel_requested {
                tracker.cancel.cancel();
            }
            shared.events.publish(Event::OperationProgress { operation: view.with_rate(now) }, now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::NoProgress;

    fn start(dir: &Path, stall: StdDuration, events: &Arc<EventBus>) -> (Catalog, RunningOperation) {
        let catalog = Catalog::open(&dir.join("catalog.db")).unwrap();
        let op = RunningOperation::start(
            &catalog,
            StartOptions {
                data_dir: dir.to_owned(),
                catalog_path: dir.join("catalog.db"),
                kind: OperationKind::Backup,
                trigger: Trigger::Cli,
                stall_timeout: stall,
                cancel: Cancel::default(),
                events: events.clone(),
                clock: Arc::new(Utc::now),
            },
        )
        .unwrap();
        (catalog, op)
    }

    #[test]
    fn work_that_never_returns_is_recorded_as_stalled_and_releases_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let events = Arc::new(EventBus::with_log(dir.path().join("logs")));
        let finished = events.subscribe();
        let (catalog, op) = start(dir.path(), StdDuration::from_millis(300), &events);
        let id = op.id.clone();
        let (unblock, blocked) = std::sync::mpsc::channel::<()>();
        let worker = std::thread::spawn(move || {
            // Stands in for a read from a share that stopped answering: it ignores the cancel.
            let result = op.run(&NoProgress, |_, _| {
                blocked.recv().unwrap();
                Ok(())
            });
            op.finish(&catalog, result, None)
        });
        let started = Instant::now();
        let view = loop {
            match finished.recv_timeout(StdDuration::from_secs(10)).expect("the stall is reported without the work returning") {
                Event::OperationFinished { operation } => break operation,
                _ => continue,
            }
        };
        assert!(started.elapsed() < StdDuration::from_secs(3), "{:?}", started.elapsed());
        assert_eq!((view.id.as_str(), view.status.as_str(), view.error_code.as_deref()), (id.as_str(), "failed", Some("stalled")));
        assert!(view.message.unwrap().contains("nothing progressed for 1 s while starting"));
        // The lock is free for the next operation while the stuck work is still stuck.
        drop(OperationLock::acquire(dir.path(), OperationKind::Backup, "next", Utc::now()).unwrap());
        unblock.send(()).unwrap();
        assert_eq!(worker.join().unwrap().unwrap_err().code(), "stalled");
        let catalog = Catalog::open(&dir.path().join("catalog.db")).unwrap();
        assert_eq!(catalog.operation(&id).unwrap().unwrap().error_code.as_deref(), Some("stalled"), "not overwritten");
    }

    #[test]
    fn work_that_sees_the_cancel_fails_as_stalled() {
        let dir = tempfile::tempdir().unwrap();
        let events = Arc::new(EventBus::with_log(dir.path().join("logs")));
        let (catalog, op) = start(dir.path(), StdDuration::from_millis(500), &events);
        let result = op.run(&NoProgress, |progress, cancel| {
            progress.phase(Phase::Scanning);
            loop {
                cancel.check()?;
                std::thread::sleep(StdDuration::from_millis(20));
            }
        });
        let e: Error = op.finish::<()>(&catalog, result, None).unwrap_err();
        assert_eq!(e.to_string(), "The operation stalled: nothing progressed for 1 s while scanning");
    }
}
