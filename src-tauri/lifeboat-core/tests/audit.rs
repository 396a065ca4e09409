//! The audit trail as the engine keeps it: settings changes with their old and new
//! values, operations from start to end, appended by several processes into one chain,
//! and every kind of tampering found where it happened.

mod common;

use common::{Configure, TestClock};
use lifeboat_core::audit::{Actor, FrontEnd, Outcome, Record};
use lifeboat_core::catalog::{AuditFilter, Catalog};
use lifeboat_core::progress::{Cancel, NoProgress};
use lifeboat_core::retention::RetentionPolicy;

/// Each entry oldest first: its kind, the operation's kind if it is about one, its outcome.
fn kinds(engine: &lifeboat_core::engine::Engine) -> Vec<(String, String, Outcome)> {
    let mut entries = engine.audit_entries(&AuditFilter::default()).unwrap();
    entries.reverse();
    entries.into_iter().map(|e| (e.kind, e.details["kind"].as_str().unwrap_or_default().to_owned(), e.outcome)).collect()
}

#[test]
fn settings_changes_and_operations_are_recorded_with_who_and_how_they_ended() {
    let tmp = tempfile::tempdir().unwrap();
    let clock = TestClock::new();
    let mut engine = common::engine(&tmp.path().join("data"), &clock);
    common::make_tree(&tmp.path().join("tree"));
    engine.add_item(&tmp.path().join("tree"), Some("tree"), None, vec![]).unwrap();
    engine.set_passphrase("an audit test passphrase").unwrap();
    engine.set_retention(RetentionPolicy { days: 10, max_count: 5 }, false).unwrap();
    // Saving what is already saved changes nothing and records nothing.
    engine.set_retention(RetentionPolicy { days: 10, max_count: 5 }, false).unwrap();
    engine.set_front_end(FrontEnd::Window);
    engine.backup_now(&NoProgress, &Cancel::default()).unwrap();
    let canceled = Cancel::default();
    canceled.cancel();
    assert!(engine.backup_now(&NoProgress, &canceled).is_err());
    // The location's folder replaced by a file: the next backup fails.
    let location = tmp.path().join("location");
    engine.set_local_location(&location).unwrap();
    std::fs::remove_dir(&location).unwrap();
    std::fs::write(&location, "not a folder").unwrap();
    assert!(engine.backup_now(&NoProgress, &Cancel::default()).is_err());

    let changed = ("settings-changed".to_owned(), String::new(), Outcome::Succeeded);
    let started = |kind: &str| ("operation-started".to_owned(), kind.to_owned(), Outcome::Started);
    let finished = |kind: &str, outcome| ("operation-finished".to_owned(), kind.to_owned(), outcome);
    assert_eq!(
        kinds(&engine),
        [
            changed.clone(),
            changed.clone(),
            changed.clone(),
            started("backup"),
            finished("backup", Outcome::Succeeded),
            started("retention"),
            finished("retention", Outcome::Succeeded),
            started("backup"),
            finished("backup", Outcome::Canceled),
            changed,
            started("backup"),
            finished("backup", Outcome::Failed)
        ]
    );

    let entries = engine.audit_entries(&AuditFilter::default()).unwrap();
    let retention = entries.iter().find(|e| e.summary == "Settings changed: retention").expect("the retention change");
    assert_eq!(retention.details["retention"]["new"], serde_json::json!({ "days": 10, "max_count": 5 }));
    assert_ne!(retention.details["retention"]["old"], retention.details["retention"]["new"]);
    assert_eq!(retention.front_end, FrontEnd::Cli);
    assert!(!retention.os_user.is_empty());
    let failed = &entries[0];
    assert_eq!(failed.front_end, FrontEnd::Window);
    assert!(failed.summary.starts_with("backup failed: "), "{}", failed.summary);
    assert_eq!(failed.details["kind"], "backup");
    assert_eq!(entries.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=12).rev().collect::<Vec<_>>());

    // Automatic backups off, then off again (no change, no entry).
    engine.set_automatic(false).unwrap();
    engine.set_automatic(false).unwrap();
    let off = &engine.audit_entries(&AuditFilter::default()).unwrap()[0];
    assert_eq!((off.summary.as_str(), &off.details), ("Automatic backups turned off", &serde_json::json!({ "automatic": { "old": true, "new": false } })));

    let verdict = engine.verify_audit().unwrap();
    assert_eq!((verdict.entries, verdict.broken), (13, None));
    assert_eq!(verdict.head.unwrap().seq, 13);

    // Listings narrow by kind, time and count.
    let filter = |kind: Option<&str>, limit: Option<u32>| AuditFilter { since: None, kind: kind.map(Into::into), limit };
    assert_eq!(engine.audit_entries(&filter(Some("operation-finished"), None)).unwrap().len(), 4);
    assert_eq!(engine.audit_entries(&filter(None, Some(3))).unwrap().iter().map(|e| e.seq).collect::<Vec<_>>(), [13, 12, 11]);
    let later = AuditFilter { since: Some(clock.0.lock().unwrap().to_owned() + chrono::Duration::seconds(1)), ..AuditFilter::default() };
    assert!(engine.audit_entries(&later).unwrap().is_empty());
}

#[test]
fn appends_from_several_processes_make_one_unbroken_chain() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("catalog.db");
    drop(Catalog::open(&path).unwrap());
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let path = path.clone();
            std::thread::spawn(move || {
                // A connection of its own, as another process has.
                let catalog = Catalog::open(&path).unwrap();
                let actor = Actor { front_end: FrontEnd::Cli, os_user: format!("writer-{w}") };
                for i in 0..25 {
                    let record = Record::new("settings-changed", Outcome::Succeeded, format!("change {i}"), serde_json::json!({ "writer": w }));
                    catalog.append_audit(record, &actor, chrono::Utc::now()).unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }
    let catalog = Catalog::open(&path).unwrap();
    let verdict = lifeboat_core::audit::verify(catalog.audit_chain().unwrap());
    assert_eq!((verdict.entries, verdict.broken), (100, None));
}

#[test]
fn an_edited_or_removed_entry_in_the_catalog_is_found() {
    let tmp = tempfile::tempdir().unwrap();
    let clock = TestClock::new();
    let data = tmp.path().join("data");
    let engine = common::engine(&data, &clock);
    for max_count in 2..6 {
        engine.set_retention(RetentionPolicy { days: 10, max_count }, true).unwrap();
    }
    let db = rusqlite::Connection::open(data.join("catalog.db")).unwrap();
    db.execute("UPDATE audit SET body = replace(body, 'retention', 'schedule') WHERE seq = 2", []).unwrap();
    let broken = engine.verify_audit().unwrap().broken.expect("the edit is found");
    assert_eq!(broken.seq, 2);
    assert!(broken.problem.contains("entry 2 was changed"), "{}", broken.problem);

    db.execute("DELETE FROM audit WHERE seq IN (2, 3)", []).unwrap();
    let verdict = engine.verify_audit().unwrap();
    assert_eq!(verdict.broken.unwrap().problem, "entries 2 to 3 were removed");
    assert_eq!(verdict.head.unwrap().seq, 1, "the chain holds up to the entry before");
}
