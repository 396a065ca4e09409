//! What the restore wizard does, step by step, through the engine: inspect a backup
//! before any key, unlock it, browse its contents, preview what a restore replaces,
//! verify and restore on their own threads; and the Backups blade's copy and delete.

mod common;

use std::fs;
use std::sync::Arc;

use common::*;
use lifeboat_core::commands::copy::Copy;
use lifeboat_core::commands::delete::Delete;
use lifeboat_core::commands::open::{BackupFile, SharedIdentity};
use lifeboat_core::commands::restore::{Restore, RestoreRequest};
use lifeboat_core::commands::verify::{Verify, VerifyMethod};
use lifeboat_core::format::{EncryptionKind, EntryKind, ItemKind};
use lifeboat_core::operation::{OperationKind, OperationStatus, Trigger};
use lifeboat_core::progress::Cancel;
use lifeboat_core::protector::{create_certificate, RsaIdentity};
use lifeboat_core::{ErrorCode, ErrorKind};

struct Setup {
    _tmp: tempfile::TempDir,
    root: std::path::PathBuf,
    clock: TestClock,
    engine: lifeboat_core::engine::Engine,
    identity: SharedIdentity,
    thumbprint: String,
    id: String,
}

fn setup() -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_owned();
    make_tree(&root.join("tree"));
    make_sqlite(&root.join("app.db"), 50);
    let clock = TestClock::new();
    let engine = engine(&root.join("data"), &clock);
    engine.add_item(&root.join("tree"), Some("tree"), None, vec![]).unwrap();
    engine.add_item(&root.join("app.db"), None, None, vec![]).unwrap();
    let now = *clock.0.lock().unwrap();
    let created = create_certificate("Wizard", 2, "pfx-password", now, &mut rand::rng()).unwrap();
    engine.set_certificate(&created.info.der, false).unwrap();
    let id = engine.backup_now(&lifeboat_core::progress::NoProgress, &Cancel::default()).unwrap().id;
    let identity: SharedIdentity = Arc::new(RsaIdentity::from_file(&created.pfx, "pfx-password").unwrap());
    Setup { _tmp: tmp, root, clock, engine, identity, thumbprint: created.info.thumbprint, id }
}

fn request(items: &[&str], paths: &[&str], to: Option<std::path::PathBuf>) -> RestoreRequest {
    RestoreRequest { items: items.iter().map(|s| s.to_string()).collect(), paths: paths.iter().map(|s| s.to_string()).collect(), to }
}

impl Setup {
    fn inspect(&self, selector: &str) -> Arc<BackupFile> {
        Arc::new(self.engine.inspect(selector).unwrap())
    }

    fn unlock(&self, selector: &str) -> Arc<lifeboat_core::commands::open::UnlockedBackup> {
        Arc::new(self.engine.unlock(&self.inspect(selector), Some(self.identity.as_ref())).unwrap())
    }
}

#[test]
fn inspect_reads_the_header_and_says_what_unlocks_it() {
    let s = setup();
    let seen = s.engine.inspect(&s.id).unwrap().inspection;
    assert_eq!(seen.id, s.id);
    assert_eq!(seen.encryption, EncryptionKind::Certificate);
    assert_eq!(seen.recipients, vec![s.thumbprint.clone()]);
    assert!(seen.needs.contains(&s.thumbprint), "{}", seen.needs);
    assert!(!seen.expired);
    assert!(seen.size > 1000 && seen.file_name.ends_with(".lbk"), "{seen:?}");

    fs::write(s.root.join("notes.txt"), "not a backup at all").unwrap();
    let err = s.engine.inspect(s.root.join("notes.txt").to_str().unwrap()).err().unwrap();
    assert!(err.to_string().contains("not a Lifeboat backup"), "{err}");
}

#[test]
fn unlock_checks_the_identity_and_browses_contents() {
    let s = setup();
    let other = create_certificate("Other", 2, "pfx-password", *s.clock.0.lock().unwrap(), &mut rand::rng()).unwrap();
    let wrong: SharedIdentity = Arc::new(RsaIdentity::from_file(&other.pfx, "pfx-password").unwrap());
    let file = s.inspect(&s.id);
    let err = s.engine.unlock(&file, Some(wrong.as_ref())).err().unwrap();
    assert_eq!(err.code(), ErrorCode::WrongIdentity);
    assert!(err.to_string().contains(&s.thumbprint), "{err}");
    assert_eq!(s.engine.unlock(&file, None).err().unwrap().code(), ErrorCode::WrongIdentity);

    // The same inspected file, unlocked with the right identity after the wrong ones.
    let unlocked = s.engine.unlock(&file, Some(s.identity.as_ref())).unwrap();
    let items: Vec<(String, ItemKind)> = unlocked.items().into_iter().map(|i| (i.name, i.kind)).collect();
    assert_eq!(items[0], ("tree".into(), ItemKind::Folder));
    assert_eq!(items[1].1, ItemKind::Sqlite);
    assert_eq!(items[2].1, ItemKind::Config);

    let top: Vec<(String, EntryKind)> = unlocked.children("tree", "").unwrap().into_iter().map(|e| (e.name, e.kind)).collect();
    assert_eq!(&top[..2], &[("empty-dir".into(), EntryKind::Dir), ("nested".into(), EntryKind::Dir)]);
    assert!(top.contains(&("hello.txt".into(), EntryKind::File)));
    // The tree has a link only where the tests may make one (`make_tree`).
    let has_link = fs::symlink_metadata(s.root.join("tree/link-to-hello")).is_ok();
    assert_eq!(top.contains(&("link-to-hello".into(), EntryKind::Symlink)), has_link);
    let nested = unlocked.children("tree", "nested").unwrap();
    let deeper = nested.iter().find(|e| e.name == "deeper").unwrap();
    assert_eq!(deeper.path, "nested/deeper");
    assert_eq!(deeper.bytes, "{\"a\": 1}\n".len() as u64, "a folder's size is what is below it");
    assert!(unlocked.children("nope", "").is_err());
}

#[test]
fn preview_says_what_a_restore_replaces_without_writing() {
    let s = setup();
    let unlocked = s.unlock(&s.id);

    let in_place = s.engine.preview_restore(&unlocked, &request(&["tree"], &["nested/big.log"], None)).unwrap();
    assert_eq!(in_place.len(), 1);
    assert_eq!(in_place[0].target, s.root.join("tree/nested/big.log"));
    assert_eq!(in_place[0].replaces, vec![s.root.join("tree/nested/big.log")]);

    let elsewhere = s.engine.preview_restore(&unlocked, &request(&[], &[], Some(s.root.join("out")))).unwrap();
    assert_eq!(elsewhere.len(), 2, "every item but the configuration");
    assert!(elsewhere.iter().all(|t| t.replaces.is_empty()));
    assert!(!s.root.join("out").exists(), "a preview writes nothing");

    let err = s.engine.preview_restore(&unlocked, &request(&["tree"], &["no/such.file"], None)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Input);

    s.clock.advance(chrono::Duration::days(31));
    let err = s.engine.preview_restore(&unlocked, &request(&[], &[], Some(s.root.join("out")))).unwrap_err();
    assert!(err.to_string().contains("Cannot restore: backup expired"), "{err}");
}

#[test]
fn verify_and_restore_run_on_their_own_threads() {
    let s = setup();
    let backup = s.unlock(&s.id);
    let verified = s.engine.start(Verify::Authenticated(backup.clone()), &Cancel::default()).unwrap();
    let outcome = verified.wait().unwrap();
    assert_eq!(outcome.method, VerifyMethod::Authenticated);

    let request = request(&["tree"], &["nested"], Some(s.root.join("out")));
    let started = s.engine.start(Restore { backup, request }, &Cancel::default()).unwrap();
    let op_id = started.id.clone();
    let report = started.wait().unwrap();
    assert_eq!(report.restored, vec![s.root.join("out/tree/nested")]);
    assert_eq!(fs::read(s.root.join("out/tree/nested/big.log")).unwrap(), fs::read(s.root.join("tree/nested/big.log")).unwrap());
    assert_eq!(s.engine.operation(&op_id).unwrap().status, OperationStatus::Succeeded);
}

#[test]
fn a_copy_saved_elsewhere_restores_and_delete_removes_a_backup() {
    let s = setup();
    let copy = s.root.join("archive/copy.lifeboat");
    fs::create_dir_all(copy.parent().unwrap()).unwrap();
    let saved = s.engine.start(Copy { file: s.inspect(&s.id), to: copy.clone() }, &Cancel::default()).unwrap().wait().unwrap();
    assert_eq!(saved.path, copy);
    let original = s.engine.list_backups().unwrap().remove(0);
    assert_eq!(original.trigger, Some(Trigger::Cli));
    let fate = original.retention.clone().unwrap();
    assert!(fate.keep && fate.reason == "newest good backup", "{fate:?}");
    assert_eq!(fs::metadata(&copy).unwrap().len(), original.size);
    assert_eq!(fs::read_dir(copy.parent().unwrap()).unwrap().count(), 1, "no temporary file left");

    let deleted = s.engine.run(Delete { backup: s.id.clone() }, &lifeboat_core::progress::NoProgress, &Cancel::default()).unwrap();
    assert_eq!(deleted.id, s.id);
    assert!(s.engine.list_backups().unwrap().is_empty());
    assert_eq!(s.engine.operations(1).unwrap()[0].kind, OperationKind::Delete);

    // The copy is a whole backup on its own.
    let source = copy.to_str().unwrap();
    assert_eq!(s.engine.inspect(source).unwrap().inspection.id, s.id);
    let unlocked = s.unlock(source);
    s.engine.preview_restore(&unlocked, &request(&[], &[], Some(s.root.join("from-copy")))).unwrap();
    let request = request(&["tree"], &[], Some(s.root.join("from-copy")));
    s.engine.start(Restore { backup: unlocked, request }, &Cancel::default()).unwrap().wait().unwrap();
    assert_same_tree(&s.root.join("tree"), &s.root.join("from-copy/tree"));
}

/// Counts how often an identity is asked to open a backup (for a passphrase, each
/// time is a deliberate Argon2id derivation).
struct CountingIdentity {
    inner: lifeboat_core::protector::PassphraseIdentity,
    unwraps: std::sync::atomic::AtomicUsize,
}

impl lifeboat_core::protector::Identity for CountingIdentity {
    fn unwrap(&self, stanzas: &[lifeboat_core::format::Stanza]) -> lifeboat_core::Result<Option<lifeboat_core::format::FileKey>> {
        self.unwraps.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.unwrap(stanzas)
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
}

/// The wizard's path through the engine: once the backup is chosen (one open; no
/// listing, since the catalog knows the backups this installation made) and
/// unlocked (one key derivation), browsing, verifying, previewing and restoring
/// list nothing, open nothing and derive nothing again.
#[test]
fn the_unlocked_backup_serves_every_later_step_without_listing_opening_or_deriving_again() {
    use common::counting::{counting, Counts};
    use lifeboat_core::protector::PassphraseIdentity;
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    make_tree(&root.join("tree"));
    let counts = Arc::new(Counts::default());
    let mut engine = engine(&root.join("data"), &TestClock::new());
    engine.layer_targets(counting(&counts));
    engine.add_item(&root.join("tree"), Some("tree"), None, vec![]).unwrap();
    engine.set_passphrase("a passphrase for the wizard").unwrap();
    let id = engine.backup_now(&lifeboat_core::progress::NoProgress, &Cancel::default()).unwrap().id;

    let before = counts.now();
    let file = Arc::new(engine.inspect(&id).unwrap());
    let after_choosing = counts.now();
    assert_eq!((after_choosing.0 - before.0, after_choosing.1 - before.1), (1, 0), "step 1: one open, no listing");

    let identity = CountingIdentity { inner: PassphraseIdentity::new(zeroize::Zeroizing::new("a passphrase for the wizard".into())), unwraps: Default::default() };
    let unlocked = Arc::new(engine.unlock(&file, Some(&identity)).unwrap());
    unlocked.children("tree", "nested").unwrap();
    engine.start(Verify::Authenticated(unlocked.clone()), &Cancel::default()).unwrap().wait().unwrap();
    let request = request(&["tree"], &[], Some(root.join("out")));
    engine.preview_restore(&unlocked, &request).unwrap();
    engine.start(Restore { backup: unlocked, request }, &Cancel::default()).unwrap().wait().unwrap();
    assert_same_tree(&root.join("tree"), &root.join("out/tree"));

    assert_eq!(counts.now(), after_choosing, "nothing listed, opened, written or deleted after step 1");
    assert_eq!(identity.unwraps.load(std::sync::atomic::Ordering::SeqCst), 1, "the key derived once");
}
