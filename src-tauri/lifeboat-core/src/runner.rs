//! Running long operations: one data-moving operation at a time across processes,
//! recorded in the catalog with live progress, cancelable from any process, and
//! failed when nothing progresses for the stall timeout. Every verb runs through
//! here the same way: `run` on the caller's thread, `start` on a thread of its own
//! (accepted, with an id, before it returns).

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Utc};
use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender};

use crate::audit::{self, Actor, Outcome, Record};
use crate::catalog::{Catalog, Counters};
use crate::clock::Clock;
use crate::context::Context;
use crate::error::{Error, IoContext, Result};
use crate::events::{Event, EventBus};
use crate::operation::{OperationKind, OperationStatus, Trigger};
use crate::progress::{Cancel, NoProgress, Phase, Progress};

/// A user verb that runs as an operation. A new verb is a module implementing this
/// and a line in the `Engine` facade.
pub trait Verb: Send + 'static {
    type Output: Send + 'static;
    const KIND: OperationKind;

    /// The work, with the lock held, progress recorded and cancel requests seen.
    fn run(&mut self, ctx: &Context, progress: &dyn Progress, cancel: &Cancel) -> Result<Self::Output>;

    /// What the operation does, when only an elevated session may start it (restores,
    /// recoveries, deletions): the words of the audit entry and of the refusal.
    fn elevated_action(&self) -> Option<String> {
        None
    }

    /// The backup the operation made, recorded with it.
    fn made_backup(_output: &Self::Output) -> Option<&str> {
        None
    }

    /// What follows once the operation has ended and released the lock (a backup's
    /// retention sweep, which is an operation of its own, for the same trigger).
    fn then(self, _ctx: &Context, _trigger: Trigger, output: Self::Output) -> Self::Output
    where
        Self: Sized,
    {
        output
    }
}

/// Runs `verb` as an operation on this thread, reporting progress to `display` too.
pub fn run<V: Verb>(ctx: &Context, verb: V, trigger: Trigger, display: &dyn Progress, cancel: &Cancel) -> Result<V::Output> {
    require_elevation(ctx, &verb)?;
    let op = RunningOperation::start(ctx, V::KIND, trigger, cancel)?;
    run_holding(ctx, op, verb, trigger, display)
}

/// The work of an operation that holds the lock, on this thread.
fn run_holding<V: Verb>(ctx: &Context, op: RunningOperation, mut verb: V, trigger: Trigger, display: &dyn Progress) -> Result<V::Output> {
    let result = op.run(display, |progress, cancel| verb.run(ctx, progress, cancel));
    let backup = result.as_ref().ok().and_then(|out| V::made_backup(out).map(str::to_owned));
    let output = op.finish(ctx.catalog(), result, backup.as_deref())?;
    Ok(verb.then(ctx, trigger, output))
}

/// Like `run`, but when another operation holds the lock it waits for it (telling
/// `waiting` why, once) instead of refusing; a cancel ends the wait.
pub fn run_when_free<V: Verb>(ctx: &Context, verb: V, trigger: Trigger, display: &dyn Progress, cancel: &Cancel, waiting: &dyn Fn(&Error)) -> Result<V::Output> {
    require_elevation(ctx, &verb)?;
    let mut told = false;
    let op = loop {
        match RunningOperation::start(ctx, V::KIND, trigger, cancel) {
            Err(e @ (Error::Busy(_) | Error::UpdateInProgress(_))) => {
                if !std::mem::replace(&mut told, true) {
                    waiting(&e);
                }
                cancel.check()?;
                std::thread::sleep(LOCK_POLL);
            }
            started => break started?,
        }
    };
    run_holding(ctx, op, verb, trigger, display)
}

/// An elevated verb starts only for an elevated session (which it extends).
fn require_elevation<V: Verb>(ctx: &Context, verb: &V) -> Result<()> {
    match verb.elevated_action() {
        Some(action) => ctx.require_elevation(&action),
        None => Ok(()),
    }
}

/// How often a waiting operation tries the lock again.
const LOCK_POLL: StdDuration = StdDuration::from_millis(250);

/// An operation accepted and running on its own thread.
pub struct Started<T> {
    pub id: String,
    outcome: Box<dyn FnOnce() -> Result<T> + Send>,
}

impl<T: 'static> Started<T> {
    /// Waits for the outcome.
    pub fn wait(self) -> Result<T> {
        (self.outcome)()
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U + Send + 'static) -> Started<U> {
        let outcome = self.outcome;
        Started { id: self.id, outcome: Box::new(move || outcome().map(f)) }
    }
}

/// Accepts `verb` and returns at once: the lock is taken (or Busy returned) and the
/// operation recorded here; the work runs on its own thread with its own context,
/// reporting through the catalog and the event bus.
pub fn start<V: Verb>(ctx: &Context, mut verb: V, trigger: Trigger, cancel: &Cancel) -> Result<Started<V::Output>> {
    require_elevation(ctx, &verb)?;
    let op = RunningOperation::start(ctx, V::KIND, trigger, cancel)?;
    let id = op.id.clone();
    let worker = ctx.reopen()?;
    let handle: JoinHandle<Result<V::Output>> = std::thread::Builder::new()
        .name(format!("lifeboat-{}", V::KIND))
        .spawn(move || {
            let result = op.run(&NoProgress, |progress, cancel| verb.run(&worker, progress, cancel));
            let backup = result.as_ref().ok().and_then(|out| V::made_backup(out).map(str::to_owned));
            let output = op.finish(worker.catalog(), result, backup.as_deref())?;
            Ok(verb.then(&worker, trigger, output))
        })
        .map_err(|e| Error::operation(format!("starting a worker thread: {e}")))?;
    let outcome = move || handle.join().unwrap_or_else(|_| Err(Error::operation("the operation's thread crashed")));
    Ok(Started { id, outcome: Box::new(outcome) })
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
            Err(fs::TryLockError::WouldBlock) => return Err(busy(&info_path)),
            Err(fs::TryLockError::Error(e)) => return Err(Error::Io { message: format!("locking {}", path.display()), source: e }),
        }
        let info = serde_json::json!({ "kind": kind, "id": id, "started_at": now.to_rfc3339(), "pid": std::process::id() });
        fs::write(&info_path, info.to_string()).with_path("writing", &info_path)?;
        Ok(OperationLock { _file: file, info_path })
    }
}

/// Why the lock is not ours: an update being installed, or which operation runs.
fn busy(info_path: &Path) -> Error {
    let running = fs::read_to_string(info_path).unwrap_or_default();
    let running: serde_json::Value = serde_json::from_str(&running).unwrap_or_default();
    let kind = running["kind"].as_str().unwrap_or("operation");
    let description = format!(
        "{kind} {} started at {} (process {})",
        running["id"].as_str().unwrap_or("?"),
        running["started_at"].as_str().unwrap_or("an unknown time"),
        running["pid"].as_u64().map(|p| p.to_string()).unwrap_or_else(|| "?".into())
    );
    if crate::names::parse_name::<OperationKind>(kind) == Some(OperationKind::Update) {
        Error::UpdateInProgress(description)
    } else {
        Error::Busy(description)
    }
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

    fn counters(&self) -> Counters {
        Counters {
            phase: *self.phase.lock().unwrap_or_else(|p| p.into_inner()),
            bytes_done: self.bytes_done.load(Ordering::Relaxed),
            bytes_total: self.bytes_total.load(Ordering::Relaxed),
            items_done: self.items_done.load(Ordering::Relaxed),
            items_total: self.items_total.load(Ordering::Relaxed),
        }
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
    kind: OperationKind,
    /// Whose operation it is, for the audit entry of its end.
    actor: Actor,
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
        let phase = self.tracker.phase.lock().unwrap_or_else(|p| p.into_inner()).map(|p| p.to_string()).unwrap_or_else(|| "starting".into());
        Error::Stalled { seconds: self.stall_ms.div_ceil(1000), during: phase }
    }

    /// Records the outcome and releases the lock, once. False if it was already recorded.
    fn record_end(&self, catalog: &Catalog, outcome: std::result::Result<(), &Error>, backup_id: Option<&str>) -> Result<bool> {
        let mut lock = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        if lock.is_none() {
            return Ok(false);
        }
        let (status, error) = match outcome {
            Ok(()) => (OperationStatus::Succeeded, None),
            Err(Error::Canceled) => (OperationStatus::Canceled, None),
            Err(e) => (OperationStatus::Failed, Some(e)),
        };
        let now = (self.clock)();
        catalog.save_progress(&self.id, &self.tracker.counters(), now)?;
        catalog.finish_operation(&self.id, status, backup_id, error.map(|e| (e.code(), e.to_string(), e.hint())), now)?;
        let (outcome, summary) = match error {
            None if status == OperationStatus::Canceled => (Outcome::Canceled, format!("{} canceled", self.kind)),
            None => (Outcome::Succeeded, format!("{} succeeded", self.kind)),
            Some(e) => (Outcome::Failed, format!("{} failed: {e}", self.kind)),
        };
        let details = serde_json::json!({ "operation": self.id, "kind": self.kind, "backup_id": backup_id, "error_code": error.map(|e| e.code()) });
        catalog.append_audit(Record::new(audit::OPERATION_FINISHED, outcome, summary, details), &self.actor, now)?;
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
    /// Dropped to stop the monitor at once (it waits on it between its rounds).
    stop: Option<Sender<()>>,
    monitor: Option<JoinHandle<()>>,
}

impl RunningOperation {
    /// Takes the lock (Busy at once if another operation holds it), fails the rows of
    /// operations whose process died, records this one and starts its monitor.
    pub fn start(ctx: &Context, kind: OperationKind, trigger: Trigger, cancel: &Cancel) -> Result<Self> {
        let stall_timeout = StdDuration::from_secs(ctx.settings().stall_timeout_secs()?.into());
        let catalog = ctx.catalog();
        let id = uuid::Uuid::new_v4().to_string();
        let now = ctx.now();
        let lock = OperationLock::acquire(ctx.data_dir(), kind, &id, now)?;
        // We hold the lock, so any operation still marked running lost its process.
        catalog.fail_interrupted_operations(now)?;
        // And a recovery it was installing is finished before anything else runs.
        if crate::installing::finish(ctx)? {
            tracing::warn!("A recovery stopped while installing the recovered configuration; it was finished.");
        }
        let swept = crate::scratch::sweep(ctx.data_dir())?;
        if swept > 0 {
            tracing::info!("Removed {swept} scratch folder(s) left by work that was stopped.");
        }
        let details = serde_json::json!({ "operation": id, "kind": kind, "trigger": trigger });
        ctx.audit(Record::new(audit::OPERATION_STARTED, Outcome::Started, format!("{kind} started ({trigger})"), details))?;
        catalog.start_operation(&id, kind, trigger, std::process::id(), now)?;
        let shared = Arc::new(Shared {
            id: id.clone(),
            kind,
            actor: ctx.actor().clone(),
            tracker: Tracker {
                started: Instant::now(),
                phase: Mutex::new(None),
                bytes_done: AtomicU64::new(0),
                bytes_total: AtomicU64::new(0),
                items_done: AtomicU64::new(0),
                items_total: AtomicU64::new(0),
                last_activity: AtomicU64::new(0),
                cancel: cancel.clone(),
                stalled: AtomicBool::new(false),
            },
            lock: Mutex::new(Some(lock)),
            stall_ms: stall_timeout.as_millis() as u64,
            events: ctx.events().clone(),
            clock: ctx.clock().clone(),
        });
        let (stop, stopped) = bounded::<()>(0);
        let monitor = {
            let (shared, path) = (shared.clone(), catalog.path().to_owned());
            std::thread::Builder::new()
                .name("lifeboat-monitor".into())
                .spawn(move || monitor(&path, &shared, &stopped))
                .map_err(|e| Error::operation(format!("starting the operation monitor: {e}")))?
        };
        if let Some(view) = catalog.operation(&id)? {
            shared.events.publish(Event::OperationStarted { operation: view }, now);
        }
        Ok(RunningOperation { id, kind, shared, stop: Some(stop), monitor: Some(monitor) })
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
        drop(self.stop.take());
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

/// Saves progress, honours cancel requests from other processes, and cancels the
/// work when nothing has progressed for the stall timeout. Work stuck where it
/// cannot see the cancel (a read or write that never returns) is given up on after
/// a further grace period: the operation is recorded as stalled and the lock
/// released, so a hung share never blocks every later operation.
fn monitor(path: &Path, shared: &Shared, stopped: &Receiver<()>) {
    let catalog = match Catalog::open(path) {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!("operation monitor cannot open the catalog: {e}");
            return;
        }
    };
    let grace_ms = shared.stall_ms.clamp(1000, 10_000);
    let tracker = &shared.tracker;
    // Nothing is ever sent: the wait ends at the period, or at once when the
    // operation drops its end of the channel.
    while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(MONITOR_PERIOD) {
        let idle = shared.idle_ms();
        if idle > shared.stall_ms {
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
        if catalog.save_progress(&shared.id, &tracker.counters(), now).is_err() {
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
    use crate::error::ErrorCode;

    fn context(dir: &Path, stall_secs: u32) -> Context {
        let ctx = Context::open(dir, crate::clock::system(), Arc::new(EventBus::with_log(dir.join("logs")))).unwrap();
        let mut draft = ctx.settings().draft().unwrap();
        draft.stall_timeout_secs = stall_secs;
        let checked = ctx.settings().check(&draft).unwrap();
        ctx.settings().apply(checked, false, ctx.actor()).unwrap();
        ctx
    }

    #[test]
    fn work_that_never_returns_is_recorded_as_stalled_and_releases_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = context(dir.path(), 1);
        let finished = ctx.events().subscribe();
        let op = RunningOperation::start(&ctx, OperationKind::Backup, Trigger::Cli, &Cancel::default()).unwrap();
        let id = op.id.clone();
        let (unblock, blocked) = std::sync::mpsc::channel::<()>();
        let catalog = Catalog::open(&dir.path().join("catalog.db")).unwrap();
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
        assert_eq!((view.id.as_str(), view.status, view.error_code), (id.as_str(), OperationStatus::Failed, Some(ErrorCode::Stalled)));
        assert!(view.message.unwrap().contains("nothing progressed for 1 s while starting"));
        // The lock is free for the next operation while the stuck work is still stuck.
        drop(OperationLock::acquire(dir.path(), OperationKind::Backup, "next", Utc::now()).unwrap());
        unblock.send(()).unwrap();
        assert_eq!(worker.join().unwrap().unwrap_err().code(), ErrorCode::Stalled);
        assert_eq!(ctx.catalog().operation(&id).unwrap().unwrap().error_code, Some(ErrorCode::Stalled), "not overwritten");
    }

    #[test]
    fn work_that_sees_the_cancel_fails_as_stalled() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = context(dir.path(), 1);
        let op = RunningOperation::start(&ctx, OperationKind::Backup, Trigger::Cli, &Cancel::default()).unwrap();
        let result = op.run(&NoProgress, |progress, cancel| {
            progress.phase(Phase::Scanning);
            loop {
                cancel.check()?;
                std::thread::sleep(StdDuration::from_millis(20));
            }
        });
        let e: Error = op.finish::<()>(ctx.catalog(), result, None).unwrap_err();
        assert_eq!(e.to_string(), "The operation stalled: nothing progressed for 1 s while scanning");
    }
}
