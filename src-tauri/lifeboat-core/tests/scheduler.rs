//! The scheduler driven by an injected clock: days of schedule in milliseconds,
//! with real backups, a real catalog and real locks. Nothing sleeps.

mod common;

use std::fs;

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use common::{Configure, TestClock};
use lifeboat_core::commands::backup::Backup;
use lifeboat_core::engine::Engine;
use lifeboat_core::events::Event;
use lifeboat_core::operation::{OperationKind, OperationStatus, Trigger};
use lifeboat_core::progress::{Cancel, NoProgress, Phase, Progress};
use lifeboat_core::retention::RetentionPolicy;
use lifeboat_core::runner::OperationLock;
use lifeboat_core::schedule::Schedule;
use lifeboat_core::scheduler::{Scheduler, TickReport, CHECK_EVERY};

struct Rig {
    root: tempfile::TempDir,
    clock: TestClock,
    scheduler: Scheduler,
    events: crossbeam_channel::Receiver<Event>,
}

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn rig(start: &str, schedule: Option<Schedule>) -> Rig {
    let root = tempfile::tempdir().unwrap();
    let clock = TestClock::new();
    *clock.0.lock().unwrap() = at(start);
    let key = lifeboat_core::protector::LegacyKey::generate(&mut rand::rng());
    common::legacy_key_configuration(&root.path().join("data"), &key.to_base64());
    let engine = common::engine(&root.path().join("data"), &clock);
    fs::create_dir_all(root.path().join("docs")).unwrap();
    fs::write(root.path().join("docs/report.txt"), "quarterly numbers\n").unwrap();
    engine.add_item(&root.path().join("docs"), None, None, vec![]).unwrap();
    if let Some(s) = schedule {
        engine.set_schedule(s).unwrap();
    }
    let events = engine.events().subscribe();
    Rig { root, clock, scheduler: Scheduler::new(engine).unwrap(), events }
}

impl Rig {
    fn engine(&self) -> &Engine {
        self.scheduler.engine()
    }

    fn now(&self) -> DateTime<Utc> {
        self.engine().now()
    }

    fn set(&self, t: DateTime<Utc>) {
        *self.clock.0.lock().unwrap() = t;
    }

    fn tick(&self) -> TickReport {
        self.scheduler.tick(&NoProgress, &Cancel::default()).unwrap()
    }

    /// The service loop with a sleep that moves the test clock, until `until`.
    fn run_until(&self, until: DateTime<Utc>) {
        let stop = Cancel::default();
        let sleep = |d: Duration, stop: &Cancel| {
            if self.now() + d >= until {
                stop.cancel();
            }
            self.clock.advance(d);
        };
        self.scheduler.run(&NoProgress, &stop, &sleep, |tick| {
            tick.as_ref().unwrap();
        });
    }

    fn next_due(&self) -> DateTime<Utc> {
        self.engine().settings().unwrap().schedule.next_due
    }

    /// (kind, trigger, status, started_at) of every operation, oldest first.
    fn operations(&self) -> Vec<(String, String, String, DateTime<Utc>)> {
        let mut ops: Vec<_> =
            self.engine().operations(10_000).unwrap().into_iter().map(|o| (o.kind.to_string(), o.trigger.to_string(), o.status.to_string(), o.started_at)).collect();
        ops.reverse();
        ops
    }

    fn backup_runs(&self) -> Vec<(String, String, DateTime<Utc>)> {
        self.operations().into_iter().filter(|o| o.0 == "backup").map(|o| (o.1, o.2, o.3)).collect()
    }

    fn drain_events(&self) -> Vec<Event> {
        self.events.try_iter().filter(|e| !matches!(e, Event::OperationProgress { .. })).collect()
    }
}

#[test]
fn daily_at_a_utc_time_runs_once_a_day_across_daylight_saving_changes() {
    // The US changes clocks on 8 March 2026 and Europe on 29 March; UTC does not.
    let r = rig("2026-03-07T00:00:00Z", Some(Schedule::daily_at("01:30").unwrap()));
    assert_eq!(r.next_due(), at("2026-03-07T01:30:00Z"));
    r.run_until(at("2026-03-09T12:00:00Z"));
    // Skip the weeks between without a catch-up: off, then on again.
    r.engine().set_automatic(false).unwrap();
    r.set(at("2026-03-28T00:00:00Z"));
    r.engine().set_automatic(true).unwrap();
    r.run_until(at("2026-03-30T12:00:00Z"));
    let runs = r.backup_runs();
    let days = [7, 8, 9, 28, 29, 30];
    assert_eq!(runs.len(), days.len(), "{runs:?}");
    for ((trigger, status, started), day) in runs.iter().zip(days) {
        assert_eq!((trigger.as_str(), status.as_str()), ("scheduled", "succeeded"));
        let slot = Utc.with_ymd_and_hms(2026, 3, day, 1, 30, 0).unwrap();
        assert!(*started >= slot && *started < slot + CHECK_EVERY, "run at {started}, slot {slot}");
    }
    assert_eq!(r.next_due(), at("2026-03-31T01:30:00Z"));
    // Retention (7 days by default) ran after each backup.
    let created: Vec<_> = r.engine().list_backups().unwrap().into_iter().filter_map(|l| l.created_at).map(|t| t.day()).collect();
    assert_eq!(created, [28, 29, 30]);
}

#[test]
fn every_n_hours_counts_from_when_it_was_set_and_refuses_out_of_range_values() {
    for bad in [0, 3, 13, 24] {
        let e = Schedule::every_hours(bad, Utc::now()).unwrap_err().to_string();
        assert!(e.contains("choose 4 to 12 hours"), "{e}");
    }
    for bad in ["24:00", "1:5", "12:60", "noon", "", "-1:00", "01:00:00"] {
        let e = Schedule::daily_at(bad).unwrap_err().to_string();
        assert!(e.contains("HH:MM in UTC, from 00:00 to 23:59"), "{bad}: {e}");
    }
    assert_eq!(Schedule::daily_at("00:00").unwrap(), Schedule::DailyAt { hour: 0, minute: 0 });
    assert_eq!(Schedule::daily_at("23:59").unwrap(), Schedule::DailyAt { hour: 23, minute: 59 });

    let r = rig("2026-03-01T10:17:00Z", None);
    assert_eq!(r.engine().schedule().unwrap(), Schedule::DailyAt { hour: 1, minute: 0 }, "the default");
    r.engine().set_schedule(Schedule::every_hours(5, r.now()).unwrap()).unwrap();
    r.engine().set_retention(RetentionPolicy::new(7, 3).unwrap(), false).unwrap();
    assert_eq!(r.next_due(), at("2026-03-01T15:17:00Z"));
    r.run_until(at("2026-03-02T11:17:00Z") + Duration::minutes(1));
    let runs: Vec<_> = r.backup_runs().into_iter().map(|(_, _, t)| t).collect();
    let slots: Vec<_> = (1..=5).map(|k| at("2026-03-01T10:17:00Z") + Duration::hours(5 * k)).collect();
    assert_eq!(runs.len(), slots.len(), "{runs:?}");
    for (run, slot) in runs.iter().zip(&slots) {
        assert!(*run >= *slot && *run < *slot + CHECK_EVERY, "{run} for {slot}");
    }
    assert_eq!(r.engine().list_backups().unwrap().len(), 3, "max count 3 applied after each backup");
    let deleted: usize = r
        .drain_events()
        .iter()
        .map(|e| match e {
            Event::BackupsDeleted { backups } => {
                assert!(backups.iter().all(|b| b.reason == "beyond 3 backups"), "{backups:?}");
                backups.len()
            }
            _ => 0,
        })
        .sum();
    assert_eq!(deleted, 2);
}

#[test]
fn backup_now_does_not_move_the_next_scheduled_backup() {
    let r = rig("2026-03-01T09:00:00Z", Some(Schedule::every_hours(6, at("2026-03-01T09:00:00Z")).unwrap()));
    let before = r.next_due();
    r.clock.advance(Duration::hours(2));
    r.engine().backup_now(&NoProgress, &Cancel::default()).unwrap();
    assert_eq!(r.next_due(), before);
    r.set(before + Duration::seconds(5));
    assert_eq!(r.tick().ran, Some(Trigger::Scheduled));
    let triggers: Vec<String> = r.backup_runs().into_iter().map(|o| o.0).collect();
    assert_eq!(triggers, ["cli", "scheduled"]);
}

#[test]
fn disabled_skips_slots_quietly_and_enable_resumes_at_the_next_slot_without_catch_up() {
    let r = rig("2026-03-01T00:00:00Z", Some(Schedule::every_hours(4, at("2026-03-01T00:00:00Z")).unwrap()));
    r.engine().set_retention(RetentionPolicy::new(7, 100).unwrap(), false).unwrap();
    let info = r.engine().set_automatic(false).unwrap();
    assert!(!info.enabled);
    r.run_until(at("2026-03-03T00:00:00Z"));
    assert!(r.operations().is_empty(), "nothing runs or is recorded while disabled: {:?}", r.operations());
    assert_eq!(r.engine().schedule().unwrap(), Schedule::every_hours(4, at("2026-03-01T00:00:00Z")).unwrap(), "schedule kept");

    r.set(at("2026-03-03T02:10:00Z"));
    let info = r.engine().set_automatic(true).unwrap();
    assert!(info.enabled);
    assert_eq!(info.next_due, at("2026-03-03T04:00:00Z"));
    assert_eq!(r.tick().ran, None, "no catch-up for slots that passed while disabled");
    r.run_until(at("2026-03-03T09:00:00Z"));
    let runs: Vec<_> = r.backup_runs().into_iter().map(|o| (o.0, o.2.format("%H:%M").to_string())).collect();
    assert_eq!(runs, [("scheduled".to_owned(), "04:00".to_owned()), ("scheduled".to_owned(), "08:00".to_owned())]);
}

#[test]
fn a_long_gap_gets_exactly_one_catch_up() {
    let r = rig("2026-03-01T00:00:00Z", Some(Schedule::every_hours(4, at("2026-03-01T00:00:00Z")).unwrap()));
    r.run_until(at("2026-03-01T04:01:00Z"));
    assert_eq!(r.backup_runs().len(), 1);
    r.drain_events();
    // Asleep (or the app closed) for three days: nothing ticks.
    r.set(at("2026-03-04T06:00:00Z"));
    let report = r.tick();
    assert_eq!(report.ran, Some(Trigger::CatchUp));
    assert_eq!(report.missed, 18, "08:00 on the 1st to 04:00 on the 4th");
    assert!(report.skipped.is_empty());
    assert_eq!(report.next_due, at("2026-03-04T08:00:00Z"));
    let missed: Vec<_> = r.drain_events().into_iter().filter(|e| matches!(e, Event::BackupsMissed { .. })).collect();
    assert_eq!(missed, [Event::BackupsMissed { count: 18, first: at("2026-03-01T08:00:00Z"), last: at("2026-03-04T04:00:00Z") }]);
    assert_eq!(r.tick().ran, None);
    r.run_until(at("2026-03-04T08:01:00Z"));
    let triggers: Vec<String> = r.backup_runs().into_iter().map(|o| o.0).collect();
    assert_eq!(triggers, ["scheduled", "catch-up", "scheduled"]);
}

#[test]
fn the_catch_up_waits_until_the_location_is_reachable_again() {
    let r = rig("2026-03-01T00:00:00Z", Some(Schedule::daily_at("01:00").unwrap()));
    let mount = r.root.path().join("mnt");
    r.engine().set_local_location(&mount.join("backups")).unwrap();
    // The share or drive goes away while the machine sleeps through two slots.
    fs::remove_dir_all(&mount).unwrap();
    fs::write(&mount, "not a folder any more").unwrap();
    r.set(at("2026-03-03T12:00:00Z"));
    let report = r.tick();
    assert_eq!((report.ran, report.missed), (None, 3));
    for _ in 0..3 {
        r.clock.advance(CHECK_EVERY);
        assert_eq!(r.tick().ran, None);
    }
    let events = r.drain_events();
    let unreachable = events.iter().filter(|e| matches!(e, Event::LocationUnreachable { .. })).count();
    assert_eq!(unreachable, 1, "announced once while it persists: {events:?}");
    assert!(r.backup_runs().is_empty());

    // The drive is back, with the folder Lifeboat created on it when it was saved.
    fs::remove_file(&mount).unwrap();
    fs::create_dir_all(mount.join("backups")).unwrap();
    r.clock.advance(CHECK_EVERY);
    assert_eq!(r.tick().ran, Some(Trigger::CatchUp));
    assert!(r.drain_events().iter().any(|e| matches!(e, Event::LocationReachable { .. })));
    r.clock.advance(CHECK_EVERY);
    assert_eq!(r.tick().ran, None, "one catch-up, not one per missed slot");
    assert_eq!(r.backup_runs().len(), 1);
    assert_eq!(r.engine().list_backups().unwrap().len(), 1);
}

#[test]
fn a_slot_that_arrives_while_another_operation_runs_is_skipped_not_queued() {
    let r = rig("2026-03-01T00:00:00Z", Some(Schedule::daily_at("01:00").unwrap()));
    r.set(at("2026-03-01T01:00:10Z"));
    let held = OperationLock::acquire(&r.root.path().join("data"), OperationKind::Restore, "other-op", r.now()).unwrap();
    assert_eq!(r.tick().ran, Some(Trigger::Scheduled));
    drop(held);
    let ops = r.operations();
    assert_eq!(ops.len(), 1, "{ops:?}");
    assert_eq!((ops[0].1.as_str(), ops[0].2.as_str()), ("scheduled", "skipped"));
    let skipped = r.engine().operations(1).unwrap().remove(0);
    assert!(skipped.message.unwrap().contains("another operation was running: restore other-op"));
    r.clock.advance(CHECK_EVERY);
    assert_eq!(r.tick().ran, None, "not queued");
    assert_eq!(r.next_due(), at("2026-03-02T01:00:00Z"));
}

/// A backup so slow that the next slots pass while it runs.
struct SlowBackup<'a>(&'a TestClock);

impl Progress for SlowBackup<'_> {
    fn phase(&self, phase: Phase) {
        if phase == Phase::Writing {
            self.0.advance(Duration::hours(9));
        }
    }
    fn total(&self, _: u64, _: u64) {}
    fn advance(&self, _: u64, _: u64) {}
}

#[test]
fn slots_passing_during_the_schedulers_own_backup_are_skipped_not_caught_up() {
    let r = rig("2026-03-01T00:00:00Z", Some(Schedule::every_hours(4, at("2026-03-01T00:00:00Z")).unwrap()));
    r.set(at("2026-03-01T04:00:05Z"));
    let report = r.scheduler.tick(&SlowBackup(&r.clock), &Cancel::default()).unwrap();
    assert_eq!(report.ran, Some(Trigger::Scheduled));
    assert_eq!(r.now(), at("2026-03-01T13:00:05Z"));
    let report = r.tick();
    assert_eq!(report.ran, None);
    assert_eq!(report.missed, 0);
    assert_eq!(report.skipped, [at("2026-03-01T08:00:00Z"), at("2026-03-01T12:00:00Z")]);
    assert_eq!(report.next_due, at("2026-03-01T16:00:00Z"));
    let statuses: Vec<String> = r.operations().into_iter().filter(|o| o.0 == "backup").map(|o| o.2).collect();
    assert_eq!(statuses, ["succeeded", "skipped", "skipped"]);
}

#[test]
fn a_clock_that_jumps_backwards_does_not_stall_the_schedule_or_cause_a_burst() {
    let r = rig("2026-03-10T00:00:00Z", Some(Schedule::every_hours(4, at("2026-03-10T00:00:00Z")).unwrap()));
    r.run_until(at("2026-03-10T08:01:00Z"));
    assert_eq!(r.backup_runs().len(), 2);
    // The clock is set back two days (a bad RTC, a VM restored from a snapshot).
    r.set(at("2026-03-08T09:00:00Z"));
    let report = r.tick();
    assert_eq!(report.ran, None);
    assert_eq!(report.next_due, at("2026-03-08T12:00:00Z"), "within one period of the new time, not two days away");
    r.run_until(at("2026-03-08T16:01:00Z"));
    let times: Vec<String> = r.backup_runs().into_iter().map(|o| o.2.format("%d %H:%M").to_string()).collect();
    // Listed by start time.
    assert_eq!(times, ["08 12:00", "08 16:00", "10 04:00", "10 08:00"]);
    // And forwards again: one catch-up.
    r.set(at("2026-03-10T09:00:00Z"));
    assert_eq!(r.tick().ran, Some(Trigger::CatchUp));
}

#[test]
fn an_expiring_certificate_is_announced_once() {
    let r = rig("2026-03-01T00:00:00Z", None);
    let created = lifeboat_core::protector::create_certificate("expiring", 1, "pfx password", Utc.with_ymd_and_hms(2025, 3, 20, 0, 0, 0).unwrap(), &mut rand::rng()).unwrap();
    r.engine().set_certificate(&created.info.der, false).unwrap();
    for _ in 0..5 {
        r.tick();
        r.clock.advance(CHECK_EVERY);
    }
    let expiring: Vec<Event> = r.drain_events().into_iter().filter(|e| matches!(e, Event::CertificateExpiring { .. })).collect();
    assert_eq!(expiring.len(), 1, "{expiring:?}");
    let log = fs::read_to_string(r.root.path().join("data/logs/events.jsonl")).unwrap();
    assert_eq!(log.matches("\"event\":\"certificate-expiring\"").count(), 1, "{log}");
}

#[test]
fn only_one_scheduler_per_data_folder() {
    let r = rig("2026-03-01T00:00:00Z", None);
    let second = common::engine(&r.root.path().join("data"), &r.clock);
    let e = Scheduler::new(second).err().expect("a second scheduler is refused").to_string();
    assert!(e.contains("already runs for this data folder"), "{e}");
}

#[test]
fn a_backup_is_accepted_at_once_with_an_id_and_runs_on_its_own_thread() {
    let r = rig("2026-03-01T00:00:00Z", None);
    let started = r.engine().start_for(Backup, Trigger::OnDemand, &Cancel::default()).unwrap();
    let id = started.id.clone();
    let view = r.engine().operation(&id).unwrap();
    assert_eq!((view.kind, view.trigger), (OperationKind::Backup, Trigger::OnDemand));
    if view.status == OperationStatus::Running {
        let busy = r.engine().backup_now(&NoProgress, &Cancel::default()).unwrap_err();
        assert_eq!(busy.code(), lifeboat_core::ErrorCode::Busy);
    }
    let summary = started.wait().unwrap();
    let done = r.engine().operation(&id).unwrap();
    assert_eq!((done.status, done.backup_id.as_deref()), (OperationStatus::Succeeded, Some(summary.id.as_str())));
}

#[test]
fn an_impossible_schedule_in_an_edited_catalog_is_an_error_not_a_panic() {
    let r = rig("2026-03-01T00:00:00Z", Some(Schedule::daily_at("01:00").unwrap()));
    let catalog = rusqlite::Connection::open(r.root.path().join("data/catalog.db")).unwrap();
    for stored in [r#"{"mode":"every-hours","hours":0,"anchor":"2026-03-01T00:00:00Z"}"#, r#"{"mode":"daily-at","hour":99,"minute":0}"#] {
        catalog.execute("UPDATE settings SET value = ?1 WHERE key = 'schedule'", [stored]).unwrap();
        let e = r.scheduler.tick(&NoProgress, &Cancel::default()).unwrap_err().to_string();
        assert!(e.starts_with("The stored schedule is invalid") && e.contains("set the schedule again"), "{e}");
        assert!(r.engine().status().is_err());
    }
}

#[test]
fn a_slot_that_falls_in_an_update_waits_and_is_caught_up_once_the_update_is_done() {
    let r = rig("2026-03-01T00:00:00Z", Some(Schedule::daily_at("01:00").unwrap()));
    r.drain_events();
    r.set(at("2026-03-01T01:00:10Z"));
    let update = OperationLock::acquire(&r.root.path().join("data"), OperationKind::Update, "the-update", r.now()).unwrap();
    let report = r.tick();
    assert_eq!(report.ran, Some(Trigger::Scheduled));
    let refused = report.outcome.unwrap().unwrap_err();
    assert!(refused.starts_with("An update is being installed (update the-update started at"), "{refused}");
    assert!(r.backup_runs().is_empty(), "not recorded as skipped: {:?}", r.operations());
    let deferred: Vec<_> = r.drain_events().into_iter().filter(|e| matches!(e, Event::BackupDeferred { .. })).collect();
    assert_eq!(deferred.len(), 1, "{deferred:?}");
    // Still updating at the next wake-up: it keeps waiting.
    r.clock.advance(CHECK_EVERY);
    assert_eq!(r.tick().ran, Some(Trigger::CatchUp));
    assert!(r.backup_runs().is_empty());
    // The update is done: the backup runs once, as a catch-up, and only once.
    drop(update);
    r.clock.advance(CHECK_EVERY);
    let report = r.tick();
    assert_eq!(report.ran, Some(Trigger::CatchUp));
    assert!(report.outcome.unwrap().is_ok());
    r.clock.advance(CHECK_EVERY);
    assert_eq!(r.tick().ran, None);
    let runs: Vec<_> = r.backup_runs().into_iter().map(|(trigger, status, _)| (trigger, status)).collect();
    assert_eq!(runs, [("catch-up".to_owned(), "succeeded".to_owned())]);
    assert_eq!(r.next_due(), at("2026-03-02T01:00:00Z"));
}
