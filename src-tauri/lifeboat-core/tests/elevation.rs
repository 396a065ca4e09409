//! Elevation: with an administrator password set, what restores, reveals or destroys is
//! refused until the session elevates, locks again after the timeout (injected clock),
//! costs a growing wait after wrong passwords (across engines on one data folder), and
//! keeps the administrator's secrets unreadable to whoever edits the files instead.

mod common;

use std::path::Path;

use chrono::Duration;
use common::{Configure, TestClock};
use lifeboat_core::audit::Outcome;
use lifeboat_core::catalog::AuditFilter;
use lifeboat_core::commands::backup::Backup;
use lifeboat_core::commands::delete::Delete;
use lifeboat_core::commands::restore::RestoreRequest;
use lifeboat_core::engine::Engine;
use lifeboat_core::operation::Trigger;
use lifeboat_core::progress::{Cancel, NoProgress};
use lifeboat_core::protector::PassphraseIdentity;
use lifeboat_core::retention::RetentionPolicy;
use lifeboat_core::settings::TypedLocation;
use lifeboat_core::vault::{Attributes, ObjectKind};
use lifeboat_core::{ErrorCode, Result};
use zeroize::Zeroizing;

const PASSWORD: &str = "the administrator's password";
const PASSPHRASE: &str = "an elevation test passphrase";
const SECRET: &str = "value-of-db-password-7f3a";

struct World {
    _tmp: tempfile::TempDir,
    root: std::path::PathBuf,
    clock: TestClock,
    engine: Engine,
}

/// An installation with a tree, a passphrase, a secret of the administrator's and one
/// backup, then the administrator password set (and the session locked).
fn world() -> World {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_owned();
    let clock = TestClock::new();
    let engine = common::engine(&root.join("data"), &clock);
    common::make_tree(&root.join("tree"));
    engine.add_item(&root.join("tree"), Some("tree"), None, vec![]).unwrap();
    engine.set_passphrase(PASSPHRASE).unwrap();
    engine.vault().unwrap().set_secret("db-password", SECRET.as_bytes(), Attributes::default()).unwrap();
    engine.backup_now(&NoProgress, &Cancel::default()).unwrap();
    let status = engine.set_admin_password(None, PASSWORD).unwrap();
    assert!(status.password_set && status.elevated_until.is_some(), "{status:?}");
    engine.lock_elevation().unwrap();
    World { _tmp: tmp, root, clock, engine }
}

fn refused<T: std::fmt::Debug>(result: Result<T>, what: &str) {
    let e = result.expect_err(what);
    assert_eq!(e.code(), ErrorCode::ElevationRequired, "{what}: {e}");
}

fn identity() -> PassphraseIdentity {
    PassphraseIdentity::new(Zeroizing::new(PASSPHRASE.into()))
}

fn restore_to(engine: &Engine, dir: &Path) -> Result<()> {
    let newest = engine.list_backups()?.into_iter().next().unwrap().id.unwrap();
    engine.restore(&newest, Some(&identity()), RestoreRequest { items: vec![], paths: vec![], to: Some(dir.to_owned()) }, &NoProgress, &Cancel::default()).map(drop)
}

#[test]
fn each_elevated_action_is_refused_until_the_session_elevates() {
    let w = world();
    let e = &w.engine;
    let vault = e.vault().unwrap();
    // Made while elevated, to be used while locked: a blob of the secret, a geography file.
    e.elevate(PASSWORD).unwrap();
    let blob = vault.backup_object(ObjectKind::Secret, "db-password").unwrap();
    vault.set_secret("old-token", b"to be deleted", Attributes::default()).unwrap();
    vault.delete(ObjectKind::Secret, "old-token").unwrap();
    e.lock_elevation().unwrap();
    let other = common::engine(&w.root.join("other"), &w.clock);
    let geography = other.vault().unwrap().export_geography("a geography passphrase").unwrap();
    let backup = e.list_backups().unwrap()[0].id.clone().unwrap();
    let expiry = e.settings().unwrap().expiry_days;

    // Locked: every one of them refused, and nothing changed.
    refused(vault.reveal_secret("db-password", None), "reveal");
    refused(vault.backup_object(ObjectKind::Secret, "db-password"), "download a blob");
    refused(vault.restore_object(&blob), "restore a blob");
    refused(vault.delete(ObjectKind::Secret, "db-password"), "delete a vault object");
    refused(vault.purge(ObjectKind::Secret, "old-token"), "purge a vault object");
    refused(vault.export_geography("a geography passphrase"), "export the geography");
    refused(vault.import_geography(&geography, "a geography passphrase"), "import a geography");
    refused(restore_to(e, &w.root.join("restored")), "restore");
    assert!(!w.root.join("restored").exists());
    refused(common::recover_from(e, e.inspect(&backup).unwrap(), Some(&identity()), true), "recover");
    refused(e.run(Delete { backup: backup.clone() }, &NoProgress, &Cancel::default()), "delete a backup");
    refused(e.set_retention(RetentionPolicy { days: 3, max_count: 2 }, true), "retention");
    refused(e.set_expiry_days(45), "expiry");
    refused(e.set_local_location(&w.root.join("elsewhere")), "location");
    refused(e.set_passphrase("another passphrase entirely"), "encryption");
    refused(e.set_automatic(false), "automatic backups off");
    refused(e.set_admin_password(None, "a new administrator password"), "the password");
    refused(e.set_elevation_minutes(30), "the elevation time");
    assert_eq!(e.list_backups().unwrap().len(), 1);
    assert_eq!(e.settings().unwrap().expiry_days, expiry);
    assert!(e.settings().unwrap().schedule.enabled);

    // What never needs it: backups, verify, listings, status, new secrets, the schedule.
    e.backup_now(&NoProgress, &Cancel::default()).unwrap();
    e.verify(&backup, None, &NoProgress, &Cancel::default()).unwrap();
    e.status().unwrap();
    vault.list(None, false).unwrap();
    vault.set_secret("api-key", b"a new secret", Attributes::default()).unwrap();
    e.set_stall_timeout_secs(900).unwrap();
    e.set_automatic(true).unwrap();

    let refusals = e.audit_entries(&AuditFilter { kind: Some("elevated-action".into()), ..AuditFilter::default() }).unwrap();
    assert_eq!(refusals.iter().filter(|r| r.outcome == Outcome::Failed).count(), 16, "{refusals:#?}");
    assert!(refusals.iter().any(|r| r.summary == "Refused (not elevated): Reveal the secret \"db-password\""), "{refusals:#?}");

    // Elevated: each goes ahead.
    e.elevate(PASSWORD).unwrap();
    assert_eq!(*vault.reveal_secret("db-password", None).unwrap(), SECRET);
    vault.backup_object(ObjectKind::Secret, "db-password").unwrap();
    vault.purge(ObjectKind::Secret, "old-token").unwrap();
    vault.export_geography("a geography passphrase").unwrap();
    vault.import_geography(&geography, "a geography passphrase").unwrap();
    restore_to(e, &w.root.join("restored")).unwrap();
    common::assert_same_tree(&w.root.join("tree"), &w.root.join("restored").join("tree"));
    e.set_expiry_days(45).unwrap();
    e.set_automatic(false).unwrap();
    e.set_elevation_minutes(30).unwrap();
    vault.delete(ObjectKind::Secret, "db-password").unwrap();
    vault.purge(ObjectKind::Secret, "db-password").unwrap();
    assert_eq!(vault.restore_object(&blob).unwrap().versions, 1);
    assert_eq!(*vault.reveal_secret("db-password", None).unwrap(), SECRET);
    e.run(Delete { backup }, &NoProgress, &Cancel::default()).unwrap();
    let done = e.audit_entries(&AuditFilter { kind: Some("elevated-action".into()), ..AuditFilter::default() }).unwrap();
    assert!(done.iter().any(|r| r.outcome == Outcome::Succeeded && r.summary.starts_with("Restore from the backup ")), "{done:#?}");
}

#[test]
fn elevation_ends_after_the_set_time_without_elevated_activity() {
    let w = world();
    let e = &w.engine;
    let status = e.elevate(PASSWORD).unwrap();
    assert_eq!(status.timeout_minutes, 5);
    assert_eq!(status.elevated_until, Some(e.now() + Duration::minutes(5)));
    // Activity keeps it: each elevated action moves the end.
    for _ in 0..3 {
        w.clock.advance(Duration::minutes(4));
        e.vault().unwrap().reveal_secret("db-password", None).unwrap();
    }
    w.clock.advance(Duration::minutes(5));
    assert_eq!(e.elevation_status().unwrap().elevated_until, None);
    refused(e.vault().unwrap().reveal_secret("db-password", None), "after five idle minutes");

    e.elevate(PASSWORD).unwrap();
    e.set_elevation_minutes(15).unwrap();
    w.clock.advance(Duration::minutes(14));
    e.vault().unwrap().reveal_secret("db-password", None).unwrap();
    // Lock now ends it at once.
    assert_eq!(e.lock_elevation().unwrap().elevated_until, None);
    refused(e.vault().unwrap().reveal_secret("db-password", None), "after lock now");
    // Another engine on the data folder (another process) has its own session.
    e.elevate(PASSWORD).unwrap();
    let other = common::engine(&w.root.join("data"), &w.clock);
    refused(other.vault().unwrap().reveal_secret("db-password", None), "another process");
}

#[test]
fn wrong_passwords_wait_longer_each_time_across_engines_and_are_recorded() {
    let w = world();
    let first = &w.engine;
    let second = common::engine(&w.root.join("data"), &w.clock);
    let code = |r: Result<_>| r.map(drop).unwrap_err().code();

    assert_eq!(code(first.elevate("not the password")), ErrorCode::WrongAdminPassword);
    // The wait holds for the other engine too, even with the right password.
    let early = second.elevate(PASSWORD).unwrap_err();
    assert_eq!(early.code(), ErrorCode::ElevationDelayed);
    assert!(early.to_string().contains("try again in 1 s"), "{early}");
    assert_eq!(second.elevation_status().unwrap().retry_at, Some(w.clock.0.lock().unwrap().to_owned() + Duration::seconds(1)));
    w.clock.advance(Duration::seconds(1));
    assert_eq!(code(second.elevate("still not it")), ErrorCode::WrongAdminPassword);
    w.clock.advance(Duration::seconds(1));
    assert_eq!(code(first.elevate(PASSWORD)), ErrorCode::ElevationDelayed);
    w.clock.advance(Duration::seconds(1));
    assert_eq!(code(first.elevate("wrong a third time")), ErrorCode::WrongAdminPassword);
    let wait = |engine: &Engine| (engine.elevation_status().unwrap().retry_at.unwrap() - engine.now()).num_seconds();
    assert_eq!(wait(&second), 4);
    for (failures, expected) in [(4, 8), (5, 16), (6, 32), (7, 60), (8, 60)] {
        w.clock.advance(Duration::seconds(wait(first)));
        assert_eq!(code(first.elevate("wrong again")), ErrorCode::WrongAdminPassword, "failure {failures}");
        assert_eq!(wait(first), expected, "after {failures} wrong passwords");
    }
    w.clock.advance(Duration::seconds(60));
    second.elevate(PASSWORD).unwrap();
    // A right password starts the count again.
    assert_eq!(code(first.elevate("wrong once more")), ErrorCode::WrongAdminPassword);
    assert_eq!(wait(first), 1);

    let attempts = first.audit_entries(&AuditFilter { kind: Some("elevation".into()), ..AuditFilter::default() }).unwrap();
    let outcomes: Vec<Outcome> = attempts.iter().rev().map(|a| a.outcome).collect();
    let mut expected = vec![Outcome::Failed; 8];
    expected.extend([Outcome::Succeeded, Outcome::Failed]);
    assert_eq!(outcomes, expected);
    assert!(attempts.iter().all(|a| !a.body_mentions("not the password")));
}

/// An audit entry's text, to show that no password reached it.
trait Mentions {
    fn body_mentions(&self, text: &str) -> bool;
}

impl Mentions for lifeboat_core::audit::AuditEntry {
    fn body_mentions(&self, text: &str) -> bool {
        serde_json::to_string(self).unwrap().contains(text)
    }
}

#[test]
fn editing_the_vault_file_does_not_make_a_secret_readable() {
    let w = world();
    let data = w.root.join("data");
    let db = rusqlite::Connection::open(data.join("vault.db")).unwrap();
    let raw: Vec<u8> = db.query_row("SELECT sealed FROM versions WHERE name = 'db-password'", [], |r| r.get(0)).unwrap();
    assert!(!raw.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()));
    let fresh = || common::engine(&data, &w.clock);

    // The administrator password removed from the file: nothing asks for elevation any
    // more, but the value is sealed to the administrator key, which no one holds.
    let record: String = db.query_row("SELECT value FROM meta WHERE key = 'admin'", [], |r| r.get(0)).unwrap();
    db.execute("DELETE FROM meta WHERE key = 'admin'", []).unwrap();
    refused(fresh().vault().unwrap().reveal_secret("db-password", None), "without the password record");

    // Marked as sealed under the vault key, or as one of Lifeboat's own: it does not open.
    db.execute("UPDATE versions SET sealed_for = 'vault' WHERE name = 'db-password'", []).unwrap();
    let e = fresh().vault().unwrap().reveal_secret("db-password", None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Integrity, "{e}");
    db.execute("UPDATE objects SET managed = 1 WHERE name = 'db-password'", []).unwrap();
    let e = fresh().vault().unwrap().reveal_secret("db-password", None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Integrity, "{e}");
    db.execute("UPDATE objects SET managed = 0 WHERE name = 'db-password'", []).unwrap();
    db.execute("UPDATE versions SET sealed_for = 'admin' WHERE name = 'db-password'", []).unwrap();

    // Another administrator key put in its place (from a data folder whose password the
    // intruder knows): elevation works with that password, the secret still does not open.
    let intruder = common::engine(&w.root.join("intruder"), &w.clock);
    intruder.set_admin_password(None, "the intruder's own password").unwrap();
    let theirs: String =
        rusqlite::Connection::open(w.root.join("intruder").join("vault.db")).unwrap().query_row("SELECT value FROM meta WHERE key = 'admin'", [], |r| r.get(0)).unwrap();
    db.execute("INSERT INTO meta (key, value) VALUES ('admin', ?1)", [&theirs]).unwrap();
    let engine = fresh();
    engine.elevate("the intruder's own password").unwrap();
    let e = engine.vault().unwrap().reveal_secret("db-password", None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Integrity, "{e}");

    // Put back as it was, the administrator's password opens it again.
    db.execute("UPDATE meta SET value = ?1 WHERE key = 'admin'", [&record]).unwrap();
    let engine = fresh();
    engine.elevate(PASSWORD).unwrap();
    assert_eq!(*engine.vault().unwrap().reveal_secret("db-password", None).unwrap(), SECRET);
}

#[test]
fn scheduled_backups_carry_the_sealed_vault_and_a_recovery_brings_back_its_password() {
    let w = world();
    // Locked, unattended: the scheduled backup needs no password.
    let summary = w.engine.run_for(Backup, Trigger::Scheduled, &NoProgress, &Cancel::default()).unwrap();
    w.engine.elevate(PASSWORD).unwrap();
    w.engine.set_admin_password(Some(PASSWORD), "a password set after that backup").unwrap();

    // A new machine recovers the installation from it: the administrator password is
    // the one the backup was made with, and it opens the administrator's secrets.
    let fresh = common::engine(&w.root.join("new-machine"), &w.clock);
    let file = fresh.inspect_at(&TypedLocation::Local(w.engine.settings().unwrap().location.path), Some(&summary.id)).unwrap();
    common::recover_from(&fresh, file, Some(&identity()), false).unwrap();
    assert!(fresh.elevation_status().unwrap().password_set);
    refused(fresh.vault().unwrap().reveal_secret("db-password", None), "recovered, not elevated");
    assert_eq!(fresh.elevate("a password set after that backup").unwrap_err().code(), ErrorCode::WrongAdminPassword);
    w.clock.advance(Duration::seconds(1));
    fresh.elevate(PASSWORD).unwrap();
    assert_eq!(*fresh.vault().unwrap().reveal_secret("db-password", None).unwrap(), SECRET);
}

#[test]
fn changing_the_password_needs_the_current_one_and_keeps_every_secret() {
    let w = world();
    let e = &w.engine;
    assert_eq!(e.set_admin_password(Some("not the password"), "a brand new password").unwrap_err().code(), ErrorCode::WrongAdminPassword);
    w.clock.advance(Duration::seconds(1));
    let short = e.set_admin_password(Some(PASSWORD), "short").unwrap_err();
    assert!(short.to_string().contains("too short"), "{short}");
    e.set_admin_password(Some(PASSWORD), "a brand new password").unwrap();
    e.lock_elevation().unwrap();
    assert_eq!(e.elevate(PASSWORD).unwrap_err().code(), ErrorCode::WrongAdminPassword);
    w.clock.advance(Duration::seconds(1));
    e.elevate("a brand new password").unwrap();
    assert_eq!(*e.vault().unwrap().reveal_secret("db-password", None).unwrap(), SECRET);
    let changes = e.audit_entries(&AuditFilter { kind: Some("admin-password".into()), ..AuditFilter::default() }).unwrap();
    assert_eq!(changes.iter().map(|c| c.summary.as_str()).collect::<Vec<_>>(), ["Administrator password changed", "Administrator password set"]);
    assert!(changes.iter().all(|c| !c.body_mentions(PASSWORD) && !c.body_mentions("a brand new password")));
}

#[test]
fn without_an_administrator_password_nothing_is_asked() {
    let tmp = tempfile::tempdir().unwrap();
    let clock = TestClock::new();
    let e = common::engine(&tmp.path().join("data"), &clock);
    let vault = e.vault().unwrap();
    vault.set_secret("plain", b"readable", Attributes::default()).unwrap();
    assert_eq!(*vault.reveal_secret("plain", None).unwrap(), "readable");
    vault.delete(ObjectKind::Secret, "plain").unwrap();
    e.set_expiry_days(45).unwrap();
    let status = e.elevation_status().unwrap();
    assert!(!status.password_set && status.elevated_until.is_none());
    let e2 = e.elevate("anything at all").unwrap_err();
    assert_eq!(e2.code(), ErrorCode::InvalidInput);
}
