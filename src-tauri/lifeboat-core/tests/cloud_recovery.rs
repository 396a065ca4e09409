//! Cloud recovery: a fresh installation put back from a backup — from the location
//! folder, from a downloaded file, and over a configured installation (confirmed,
//! with a safety copy) — finds the same settings, schedule, items, vault contents and
//! versions, the same installation and backups, and goes on making backups.

mod common;

use std::fs;
use std::path::Path;
use std::sync::Arc;

use chrono::Duration;
use common::*;
use lifeboat_core::commands::recover::Recover;
use lifeboat_core::commands::restore::RestoreRequest;
use lifeboat_core::engine::Engine;
use lifeboat_core::progress::{Cancel, NoProgress};
use lifeboat_core::protector::PassphraseIdentity;
use lifeboat_core::retention::RetentionPolicy;
use lifeboat_core::schedule::Schedule;
use lifeboat_core::settings::TypedLocation;
use lifeboat_core::vault::{AttributeChanges, Attributes, ObjectKind};
use lifeboat_core::{ErrorCode, ErrorKind};

const PASSPHRASE: &str = "the recovery passphrase";

fn passphrase() -> PassphraseIdentity {
    PassphraseIdentity::new(PASSPHRASE.to_owned().into())
}

/// An installation as an administrator leaves it: items, a passphrase, its own
/// location, schedule and retention, and a vault with versions and a deleted object.
fn configured(root: &Path, clock: &TestClock) -> Engine {
    let engine = engine(&root.join("data"), clock);
    make_tree(&root.join("docs"));
    engine.add_item(&root.join("docs"), Some("docs"), None, vec![]).unwrap();
    engine.set_passphrase(PASSPHRASE).unwrap();
    fs::create_dir_all(root.join("backups")).unwrap();
    engine.set_local_location(&root.join("backups")).unwrap();
    let now = *clock.0.lock().unwrap();
    engine.set_schedule(Schedule::EveryHours { hours: 6, anchor: now }).unwrap();
    engine.set_retention(RetentionPolicy { days: 5, max_count: 12 }, false).unwrap();
    let vault = engine.vault().unwrap();
    vault.set_secret("app-token", b"v1", Attributes::default()).unwrap();
    clock.advance(Duration::minutes(1));
    vault.set_secret("app-token", b"v2", Attributes { content_type: Some("text/plain".into()), ..Attributes::default() }).unwrap();
    vault.update(ObjectKind::Secret, "app-token", None, &AttributeChanges { tags: Some([("owner".into(), "ops".into())].into()), ..Default::default() }).unwrap();
    vault.create_key("signing", 2048, Attributes::default()).unwrap();
    vault.set_secret("old-thing", b"x", Attributes::default()).unwrap();
    vault.delete(ObjectKind::Secret, "old-thing").unwrap();
    vault.set_recovery_days(45).unwrap();
    engine
}

#[test]
fn a_fresh_installation_is_recovered_from_the_location_to_exactly_what_it_was() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let clock = TestClock::new();
    let original = configured(root, &clock);
    clock.advance(Duration::minutes(1));
    let backup = original.backup_now(&NoProgress, &Cancel::default()).unwrap();
    assert!(backup.warnings.is_empty(), "{:?}", backup.warnings);
    let before = (original.settings().unwrap(), original.settings_draft().unwrap(), vault_contents(&original));
    let installation = original.installation().unwrap();
    let vault_settings = original.vault().unwrap().settings().unwrap();
    let pubkey = original.vault().unwrap().public_file(ObjectKind::Key, "signing", None).unwrap();
    // A blob made after the backup, to restore into the recovered vault.
    original.vault().unwrap().set_secret("made-later", b"later", Attributes::default()).unwrap();
    let blob = original.vault().unwrap().backup_object(ObjectKind::Secret, "made-later").unwrap();
    drop(original);
    fs::remove_dir_all(root.join("data")).unwrap();

    // The disk died: a new installation, pointed at the folder.
    clock.advance(Duration::hours(2));
    let fresh = engine(&root.join("data"), &clock);
    let file = fresh.inspect_at(&TypedLocation::Local(root.join("backups")), None).unwrap();
    assert_eq!(file.inspection.id, backup.id, "the newest backup there");
    let unlocked = Arc::new(fresh.unlock(&Arc::new(file), Some(&passphrase())).unwrap());
    let plan = fresh.preview_recovery(&unlocked, &Cancel::default()).unwrap();
    assert_eq!(plan.replaces, None, "a new installation has nothing to replace");
    assert_eq!((plan.installation_id.as_str(), plan.installation_name.as_str()), (installation.id.to_string().as_str(), installation.name.as_str()));
    assert_eq!(plan.settings, before.0);
    let counts = plan.vault.unwrap();
    assert_eq!((counts.objects, counts.deleted), (2, 1));
    assert!(plan.notes.is_empty(), "{:?}", plan.notes);
    assert_eq!(fresh.settings().unwrap().items.len(), 0, "a preview changes nothing");

    let report = fresh.run(Recover { backup: unlocked, replace: false }, &NoProgress, &Cancel::default()).unwrap();
    assert_eq!(report.safety_copy, None);
    let after = (fresh.settings().unwrap(), fresh.settings_draft().unwrap(), vault_contents(&fresh));
    assert_eq!(after, before, "settings, schedule, items, retention, encryption and the vault with every version");
    assert_eq!(fresh.installation().unwrap(), installation, "the installation keeps its identity");
    let recovered = fresh.vault().unwrap().settings().unwrap();
    assert_eq!((recovered.vault_id, recovered.geography, recovered.recovery_days), (vault_settings.vault_id, vault_settings.geography, 45));
    assert_eq!(*fresh.vault().unwrap().reveal_secret("app-token", None).unwrap(), "v2");
    assert_eq!(fresh.vault().unwrap().public_file(ObjectKind::Key, "signing", None).unwrap(), pubkey, "the same key, not a new one");
    fresh.vault().unwrap().restore_object(&blob).expect("an old blob restores into the recovered vault (same geography)");
    let listed: Vec<_> = fresh.list_backups().unwrap().into_iter().map(|b| (b.id, b.status)).collect();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].0.as_deref(), Some(backup.id.as_str()), "the same backups listed, known as this installation's");
    // The backup it came from is this installation's last backup, with its checksum
    // recorded (its own catalog copy was taken while it was being written).
    let status = fresh.status().unwrap();
    assert_eq!(status.last_backup.and_then(|o| o.backup_id).as_deref(), Some(backup.id.as_str()));
    assert!(status.running.is_none());
    let checked = fresh.verify(&backup.id, None, &NoProgress, &Cancel::default()).unwrap();
    assert_eq!(checked.method, lifeboat_core::commands::verify::VerifyMethod::Checksum);
    let files: Vec<_> = fs::read_dir(root.join("data/secrets")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(files, ["vault.key"]);
    assert!(!root.join("data/tmp").read_dir().map(|mut d| d.next().is_some()).unwrap_or(false), "the scratch folder is gone");

    // It goes on: a backup with the recovered passphrase key (never typed again),
    // then the protected data restored from it.
    fs::remove_dir_all(root.join("docs")).unwrap();
    let next = fresh.backup_now(&NoProgress, &Cancel::default()).unwrap();
    assert!(next.warnings.iter().any(|w| w.starts_with("docs:")), "the data itself is still gone: {:?}", next.warnings);
    fresh.restore(&backup.id, Some(&passphrase()), RestoreRequest::default(), &NoProgress, &Cancel::default()).unwrap();
    assert!(root.join("docs").is_dir(), "the protected data restored in place after the recovery");
}

#[test]
fn a_downloaded_backup_file_recovers_and_a_configured_installation_needs_confirming() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let clock = TestClock::new();
    let original = configured(root, &clock);
    let backup = original.backup_now(&NoProgress, &Cancel::default()).unwrap();
    let file = root.join("downloaded.lbk");
    fs::copy(root.join("backups").join(&backup.file_name), &file).unwrap();
    let before = vault_contents(&original);
    drop(original);

    // Another installation, already in use.
    let other_root = root.join("other");
    fs::create_dir_all(&other_root).unwrap();
    let other = engine(&other_root.join("data"), &clock);
    make_tree(&other_root.join("photos"));
    other.add_item(&other_root.join("photos"), Some("photos"), None, vec![]).unwrap();
    other.set_passphrase("another passphrase").unwrap();
    other.vault().unwrap().set_secret("mine", b"keep me", Attributes::default()).unwrap();
    let own_settings = other.settings().unwrap();

    let inspected = other.inspect(file.to_str().unwrap()).unwrap();
    let e = recover_from(&other, inspected, Some(&passphrase()), false).unwrap_err();
    assert_eq!(e.code(), ErrorCode::ConfirmationNeeded, "{e}");
    assert!(e.to_string().contains("1 protected item(s)") && e.to_string().contains("1 vault object(s)"), "{e}");
    assert_eq!(other.settings().unwrap(), own_settings, "nothing changed without confirming");

    let report = recover_from(&other, other.inspect(file.to_str().unwrap()).unwrap(), Some(&passphrase()), true).unwrap();
    assert_eq!(vault_contents(&other), before);
    assert_eq!(other.settings().unwrap().items[0].name, "docs");
    // The safety copy holds what was replaced, its vault with its key.
    let safety = report.safety_copy.expect("a safety copy");
    let kept = tempfile::tempdir().unwrap();
    fs::copy(safety.join("catalog.db"), kept.path().join("catalog.db")).unwrap();
    let catalog = rusqlite::Connection::open(kept.path().join("catalog.db")).unwrap();
    let items: String = catalog.query_row("SELECT name FROM items", [], |r| r.get(0)).unwrap();
    assert_eq!(items, "photos");
    let vault = rusqlite::Connection::open(safety.join("vault.db")).unwrap();
    let carried: i64 = vault.query_row("SELECT COUNT(*) FROM meta WHERE key = 'carried_key'", [], |r| r.get(0)).unwrap();
    let names: String = vault.query_row("SELECT name FROM objects WHERE NOT managed", [], |r| r.get(0)).unwrap();
    assert_eq!((carried, names.as_str()), (1, "mine"));
}

#[test]
fn a_backup_without_encryption_carries_no_vault_and_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let clock = TestClock::new();
    let engine = engine(&root.join("data"), &clock);
    engine.set_passphrase("").unwrap();
    engine.vault().unwrap().set_secret("s", b"not in an unencrypted backup", Attributes::default()).unwrap();
    let backup = engine.backup_now(&NoProgress, &Cancel::default()).unwrap();
    assert!(backup.warnings.iter().any(|w| w.starts_with("lifeboat-vault: not in this backup") && w.contains("without encryption")), "{:?}", backup.warnings);
    let bytes = fs::read(root.join("data/backups").join(&backup.file_name)).unwrap();
    assert!(!bytes.windows(28).any(|w| w == b"not in an unencrypted backup"));

    let fresh = engine_at(&root.join("fresh"), &clock);
    let file = fresh.inspect(root.join("data/backups").join(&backup.file_name).to_str().unwrap()).unwrap();
    let unlocked = Arc::new(fresh.unlock(&Arc::new(file), None).unwrap());
    let plan = fresh.preview_recovery(&unlocked, &Cancel::default()).unwrap();
    assert_eq!(plan.vault, None);
    assert!(plan.notes[0].contains("carries no vault"), "{:?}", plan.notes);
}

#[test]
fn the_vault_item_is_never_restored_to_a_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let clock = TestClock::new();
    let engine = configured(root, &clock);
    let backup = engine.backup_now(&NoProgress, &Cancel::default()).unwrap();
    let request = RestoreRequest { items: vec!["lifeboat-vault".into()], paths: vec![], to: Some(root.join("out")) };
    let e = engine.restore(&backup.id, Some(&passphrase()), request, &NoProgress, &Cancel::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Input);
    assert!(e.to_string().contains("recovering the installation"), "{e}");
    assert!(!root.join("out").exists());
}

fn engine_at(data: &Path, clock: &TestClock) -> Engine {
    engine(data, clock)
}
