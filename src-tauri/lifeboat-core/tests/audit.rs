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
    // The passphrase's key, a managed vault secret, is stored just before the setting.
    let passphrase_key = ("vault-changed".to_owned(), String::new(), Outcome::Succeeded);
    let started = |kind: &str| ("operation-started".to_owned(), kind.to_owned(), Outcome::Started);
    let finished = |kind: &str, outcome| ("operation-finished".to_owned(), kind.to_owned(), outcome);
    assert_eq!(
        kinds(&engine),
        [
            changed.clone(),
            passphrase_key,
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
    assert_eq!(entries.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=13).rev().collect::<Vec<_>>());

    // Automatic backups off, then off again (no change, no entry).
    engine.set_automatic(false).unwrap();
    engine.set_automatic(false).unwrap();
    let off = &engine.audit_entries(&AuditFilter::default()).unwrap()[0];
    assert_eq!((off.summary.as_str(), &off.details), ("Automatic backups turned off", &serde_json::json!({ "automatic": { "old": true, "new": false } })));

    let verdict = engine.verify_audit().unwrap().chain;
    assert_eq!((verdict.entries, verdict.broken), (14, None));
    assert_eq!(verdict.head.unwrap().seq, 14);

    // Listings narrow by kind, time and count.
    let filter = |kind: Option<&str>, limit: Option<u32>| AuditFilter { kind: kind.map(Into::into), limit, ..AuditFilter::default() };
    assert_eq!(engine.audit_entries(&filter(Some("operation-finished"), None)).unwrap().len(), 4);
    assert_eq!(engine.audit_entries(&filter(None, Some(3))).unwrap().iter().map(|e| e.seq).collect::<Vec<_>>(), [14, 13, 12]);
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
    let broken = engine.verify_audit().unwrap().chain.broken.expect("the edit is found");
    assert_eq!(broken.seq, 2);
    assert!(broken.problem.contains("entry 2 was changed"), "{}", broken.problem);

    db.execute("DELETE FROM audit WHERE seq IN (2, 3)", []).unwrap();
    let verdict = engine.verify_audit().unwrap().chain;
    assert_eq!(verdict.broken.unwrap().problem, "entries 2 to 3 were removed");
    assert_eq!(verdict.head.unwrap().seq, 1, "the chain holds up to the entry before");
}

/// Rewrites the trail from entry 1 on with `edit` applied to each body, recomputing
/// every hash as a program that knows the rule would: in itself the chain holds.
fn rewrite_trail(db: &rusqlite::Connection, edit: impl Fn(u64, String) -> String) {
    let rows: Vec<(u64, String)> =
        db.prepare("SELECT seq, body FROM audit ORDER BY seq").unwrap().query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect();
    let mut previous = lifeboat_core::audit::GENESIS.to_owned();
    for (seq, body) in rows {
        let body = edit(seq, body);
        let hash = lifeboat_core::audit::link(&previous, &body);
        db.execute("UPDATE audit SET body = ?2, hash = ?3 WHERE seq = ?1", rusqlite::params![seq, body, hash]).unwrap();
        previous = hash;
    }
}

#[test]
fn a_trail_rewritten_or_cut_after_a_backup_disagrees_with_the_head_the_backup_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let clock = TestClock::new();
    let data = tmp.path().join("data");
    let engine = common::engine(&data, &clock);
    common::make_tree(&tmp.path().join("tree"));
    engine.add_item(&tmp.path().join("tree"), Some("tree"), None, vec![]).unwrap();
    engine.set_passphrase("a witness test passphrase").unwrap();
    engine.backup_now(&NoProgress, &Cancel::default()).unwrap();
    engine.set_retention(RetentionPolicy { days: 10, max_count: 5 }, false).unwrap();
    // A minute on: the second backup's name (its time) sorts after the first's.
    clock.advance(chrono::Duration::minutes(1));
    engine.backup_now(&NoProgress, &Cancel::default()).unwrap();
    let report = engine.verify_audit().unwrap();
    assert!(report.holds(), "{report:?}");
    assert_eq!((report.witnesses, report.location_problem.as_deref()), (2, None));
    let backups = engine.list_backups().unwrap();
    let location = engine.settings().unwrap().location.path;
    let mut heads: Vec<u64> = backups
        .iter()
        .map(|b| {
            let header = lifeboat_core::format::read_header(&mut std::fs::File::open(location.join(&b.file_name)).unwrap()).unwrap().header;
            lifeboat_core::audit::witness::recorded(&header).unwrap().seq
        })
        .collect();
    heads.sort();
    // Each recorded the trail as its backup started: the entries before it and its own start.
    assert_eq!(heads, [4, 9], "{backups:?}");

    // The whole trail rewritten (what the retention was set to), every hash recomputed:
    // the chain holds in itself, both backups contradict it.
    let db = rusqlite::Connection::open(data.join("catalog.db")).unwrap();
    let original: Vec<(u64, String, String)> =
        db.prepare("SELECT seq, body, hash FROM audit").unwrap().query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect();
    rewrite_trail(&db, |seq, body| if seq == 2 { format!("{body} ") } else { body });
    let report = engine.verify_audit().unwrap();
    assert_eq!(report.chain.broken, None, "rewritten consistently");
    let mut contradicted: Vec<(u64, &str)> = report.contradictions.iter().map(|c| (c.seq, c.problem.as_str())).collect();
    contradicted.sort();
    assert_eq!(contradicted.iter().map(|c| c.0).collect::<Vec<_>>(), [4, 9], "{report:?}");
    assert!(contradicted[0].1.contains("recorded entry 4 differently"), "{}", contradicted[0].1);
    assert!(!report.holds());

    // Put back, then the end cut off after the first backup: the second one says so.
    for (seq, body, hash) in &original {
        db.execute("UPDATE audit SET body = ?2, hash = ?3 WHERE seq = ?1", rusqlite::params![seq, body, hash]).unwrap();
    }
    assert!(engine.verify_audit().unwrap().holds());
    db.execute("DELETE FROM audit WHERE seq > 5", []).unwrap();
    let report = engine.verify_audit().unwrap();
    assert_eq!(report.chain.broken, None, "a cut trail holds in itself");
    assert_eq!(report.contradictions.len(), 1);
    assert!(report.contradictions[0].problem.contains("recorded entry 9 as the last one, but the trail ends at entry 5"), "{}", report.contradictions[0].problem);
}

/// Each entry oldest first as (kind, what it is about, outcome), carried ones marked.
fn trail(engine: &lifeboat_core::engine::Engine) -> Vec<(String, String, Outcome, bool)> {
    let mut entries = engine.audit_entries(&AuditFilter::default()).unwrap();
    entries.reverse();
    entries
        .into_iter()
        .map(|e| {
            let about = e.details["kind"].as_str().or(e.details["change"].as_str()).unwrap_or_default().to_owned();
            (e.kind, about, e.outcome, e.carried.is_some())
        })
        .collect()
}

#[test]
fn a_session_from_configuration_to_recovery_leaves_each_entry_and_the_trail_survives_the_machine() {
    let tmp = tempfile::tempdir().unwrap();
    let clock = TestClock::new();
    let first = common::engine(&tmp.path().join("first"), &clock);
    common::make_tree(&tmp.path().join("tree"));
    first.add_item(&tmp.path().join("tree"), Some("tree"), None, vec![]).unwrap();
    first.set_passphrase("an audit session passphrase").unwrap();
    // A folder both machines reach (the default one is inside each data folder).
    first.set_local_location(&tmp.path().join("backups")).unwrap();
    first.vault().unwrap().set_secret("db-password", b"session-secret-value", Default::default()).unwrap();
    let backup = first.backup_now(&NoProgress, &Cancel::default()).unwrap().id;
    let identity = lifeboat_core::protector::PassphraseIdentity::new(zeroize::Zeroizing::new("an audit session passphrase".into()));
    let request = lifeboat_core::commands::restore::RestoreRequest { items: vec![], paths: vec![], to: Some(tmp.path().join("restored")) };
    first.restore(&backup, Some(&identity), request, &NoProgress, &Cancel::default()).unwrap();
    first.vault().unwrap().delete(lifeboat_core::vault::ObjectKind::Secret, "db-password").unwrap();

    let s = |kind: &str, about: &str, outcome| (kind.to_owned(), about.to_owned(), outcome, false);
    let ok = Outcome::Succeeded;
    // The passphrase's key is a managed vault secret, stored just before the setting.
    let before_backup = [
        s("settings-changed", "", ok),
        s("vault-changed", "version-added", ok),
        s("settings-changed", "", ok),
        s("settings-changed", "", ok),
        s("vault-changed", "version-added", ok),
        s("operation-started", "backup", Outcome::Started),
    ];
    let mut expected: Vec<_> = before_backup.to_vec();
    expected.extend([
        s("operation-finished", "backup", ok),
        s("operation-started", "retention", Outcome::Started),
        s("operation-finished", "retention", ok),
        s("operation-started", "restore", Outcome::Started),
        s("operation-finished", "restore", ok),
        s("vault-changed", "deleted", ok),
    ]);
    assert_eq!(trail(&first), expected);

    // A new machine recovers from that backup: its own entries stay, then the recovery,
    // then the first machine's trail as the backup carried it (up to its start).
    let second = common::engine(&tmp.path().join("second"), &clock);
    let location = first.settings().unwrap().location.path;
    let file = second.inspect_at(&lifeboat_core::settings::TypedLocation::Local(location), Some(&backup)).unwrap();
    common::recover_from(&second, file, Some(&identity), false).unwrap();
    let mut expected = vec![s("operation-started", "recover", Outcome::Started), s("recovered", "", ok)];
    expected.extend(before_backup.iter().map(|(k, a, o, _)| (k.clone(), a.clone(), *o, true)));
    expected.push(s("operation-finished", "recover", ok));
    assert_eq!(trail(&second), expected);
    let recovered = &second.audit_entries(&AuditFilter { kind: Some("recovered".into()), ..AuditFilter::default() }).unwrap()[0];
    assert_eq!((recovered.details["carried"].as_u64(), &recovered.details["entries"]), (Some(6), &serde_json::json!([1, 6])));
    // The carried entries are the first machine's, unchanged: the backup's head holds.
    let report = second.verify_audit().unwrap();
    assert!(report.holds(), "{report:?}");
    assert_eq!(report.witnesses, 1);

    // Recovering from the same backup again carries nothing twice.
    let file = second.inspect(&backup).unwrap();
    common::recover_from(&second, file, Some(&identity), true).unwrap();
    let again = second.audit_entries(&AuditFilter { kind: Some("recovered".into()), ..AuditFilter::default() }).unwrap();
    assert_eq!(again[0].details["carried"], 0);
    assert!(second.verify_audit().unwrap().holds());
    // No secret value reached either trail.
    for engine in [&first, &second] {
        let all = serde_json::to_string(&engine.audit_entries(&AuditFilter::default()).unwrap()).unwrap();
        assert!(!all.contains("session-secret-value") && !all.contains("an audit session passphrase"));
    }
}
