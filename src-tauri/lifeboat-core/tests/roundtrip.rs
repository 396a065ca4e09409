//! Backup and restore round trips with every protector, OpenSSL-made keys, live
//! databases, and the operation rules (busy, expiry, crash leftovers).

mod common;

use std::fs;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use common::*;
use lifeboat_core::commands::restore::RestoreRequest;
use lifeboat_core::engine::Engine;
use lifeboat_core::progress::{Cancel, NoProgress, Phase, Progress};
use lifeboat_core::protector::{create_certificate, Identity, KeyIdentity, LegacyKey, PassphraseIdentity, RsaIdentity};
use lifeboat_core::ErrorKind;
use zeroize::Zeroizing;

struct Setup {
    _tmp: tempfile::TempDir,
    root: std::path::PathBuf,
    clock: TestClock,
    engine: Engine,
}

/// A data folder protecting a test tree and a SQLite database.
fn setup() -> Setup {
    setup_with(|_| {})
}

/// The same, with `prepare` run on the data folder before the engine opens it.
fn setup_with(prepare: impl FnOnce(&Path)) -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_owned();
    make_tree(&root.join("tree"));
    make_sqlite(&root.join("app.db"), 500);
    let clock = TestClock::new();
    prepare(&root.join("data"));
    let engine = engine(&root.join("data"), &clock);
    engine.add_item(&root.join("tree"), Some("tree"), None, vec![]).unwrap();
    engine.add_item(&root.join("app.db"), None, None, vec![]).unwrap();
    Setup { _tmp: tmp, root, clock, engine }
}

fn restore_to(s: &Setup, id: &str, identity: Option<&dyn Identity>, to: &str) {
    s.engine.restore(id, identity, RestoreRequest { items: vec![], paths: vec![], to: Some(s.root.join(to)) }, &NoProgress, &Cancel::default()).unwrap();
    assert_same_tree(&s.root.join("tree"), &s.root.join(to).join("tree"));
    assert_eq!(sqlite_ok(&s.root.join(to).join("app.db/app.db")), 500);
}

fn backup(s: &Setup) -> String {
    s.engine.backup_now(&NoProgress, &Cancel::default()).unwrap().id
}

#[test]
fn certificate_round_trip_and_wrong_identity() {
    let s = setup();
    let created = create_certificate("Round trip", 2, "pfx-password", s.clock.0.lock().unwrap().to_owned(), &mut rand::rng()).unwrap();
    let other = create_certificate("Other", 2, "pfx-password", s.clock.0.lock().unwrap().to_owned(), &mut rand::rng()).unwrap();
    s.engine.set_certificate(&created.info.der, false).unwrap();
    let id = backup(&s);

    let identity = RsaIdentity::from_file(&created.pfx, "pfx-password").unwrap();
    s.engine.verify(&id, Some(&identity), &NoProgress, &Cancel::default()).unwrap();
    restore_to(&s, &id, Some(&identity), "out");

    let wrong = RsaIdentity::from_file(&other.pfx, "pfx-password").unwrap();
    let err = s.engine.restore(&id, Some(&wrong), RestoreRequest { items: vec![], paths: vec![], to: Some(s.root.join("wrong")) }, &NoProgress, &Cancel::default()).unwrap_err();
    assert!(err.to_string().contains(&created.info.thumbprint), "{err}");
    assert!(!s.root.join("wrong").exists(), "nothing is written by a refused restore");

    // Listing needs no key and shows the thumbprint each backup needs.
    let list = s.engine.list_backups().unwrap();
    assert_eq!(list[0].recipients, vec![created.info.thumbprint.clone()]);
}

#[test]
fn two_certificates_each_restore_alone() {
    let s = setup();
    let now = *s.clock.0.lock().unwrap();
    let ops = create_certificate("Operations", 2, "pfx-password", now, &mut rand::rng()).unwrap();
    let escrow = create_certificate("Escrow", 2, "pfx-password", now, &mut rand::rng()).unwrap();
    s.engine.set_certificate(&ops.info.der, false).unwrap();
    s.engine.set_certificate(&escrow.info.der, true).unwrap();
    let id = backup(&s);
    for (n, pfx) in [&ops.pfx, &escrow.pfx].into_iter().enumerate() {
        let identity = RsaIdentity::from_file(pfx, "pfx-password").unwrap();
        restore_to(&s, &id, Some(&identity), &format!("out{n}"));
    }
}

#[test]
fn passphrase_key_and_none_round_trips() {
    let s = setup();
    s.engine.set_passphrase("correct horse battery").unwrap();
    let id = backup(&s);
    restore_to(&s, &id, Some(&PassphraseIdentity::new(Zeroizing::new("correct horse battery".into()))), "pass");
    let err = s.engine.verify(&id, Some(&PassphraseIdentity::new(Zeroizing::new("wrong horse".into()))), &NoProgress, &Cancel::default()).unwrap_err();
    assert!(err.to_string().contains("passphrase that was set when it was made"), "{err}");

    // A legacy key, in a configuration that used one before certificates.
    let key = LegacyKey::generate(&mut rand::rng());
    let legacy = setup_with(|data| legacy_key_configuration(data, &key.to_base64()));
    let id = backup(&legacy);
    restore_to(&legacy, &id, Some(&KeyIdentity(lifeboat_core::protector::parse_legacy_key(&key.to_base64()).unwrap())), "key");

    s.engine.set_passphrase("").unwrap();
    let id = backup(&s);
    let listing = s.engine.list_backups().unwrap();
    let entry = listing.iter().find(|l| l.id.as_deref() == Some(id.as_str())).unwrap();
    assert!(entry.unencrypted, "unencrypted backups are flagged in listings");
    restore_to(&s, &id, None, "none");
}

#[test]
fn openssl_made_certificates_and_keys() {
    let s = setup();
    let d = s.root.join("ossl");
    fs::create_dir(&d).unwrap();
    openssl(&d, &["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "cert.pem", "-subj", "/CN=OpenSSL made/O=Ops", "-days", "365"]);
    openssl(&d, &["x509", "-in", "cert.pem", "-outform", "DER", "-out", "cert.cer"]);
    openssl(&d, &["pkcs12", "-export", "-inkey", "key.pem", "-in", "cert.pem", "-out", "default.pfx", "-passout", "pass:pfx pass"]);
    openssl(&d, &["pkcs12", "-export", "-legacy", "-inkey", "key.pem", "-in", "cert.pem", "-out", "legacy.pfx", "-passout", "pass:pfx pass"]);
    openssl(&d, &["pkcs12", "-export", "-inkey", "key.pem", "-in", "cert.pem", "-out", "nopass.pfx", "-passout", "pass:"]);
    openssl(&d, &["rsa", "-in", "key.pem", "-traditional", "-out", "pkcs1.pem"]);
    openssl(&d, &["pkcs8", "-topk8", "-in", "key.pem", "-out", "enc.pem", "-passout", "pass:pem pass"]);

    // The DER and the PEM form are the same certificate with the thumbprint OpenSSL shows.
    let from_der = s.engine.set_certificate(&fs::read(d.join("cert.cer")).unwrap(), false).unwrap();
    let fingerprint = openssl_output(&d, &["x509", "-in", "cert.pem", "-noout", "-fingerprint", "-sha1"]);
    assert_eq!(fingerprint.trim().split('=').nth(1).unwrap().replace(':', ""), from_der.thumbprint);
    let from_pem = lifeboat_core::protector::CertificateInfo::from_public_file(&fs::read(d.join("cert.pem")).unwrap()).unwrap();
    assert_eq!(from_pem.thumbprint, from_der.thumbprint);
    assert_eq!(from_der.subject, "CN=OpenSSL made, O=Ops");
    let id = backup(&s);

    let identities: [(&str, &str); 6] = [("default.pfx", "pfx pass"), ("legacy.pfx", "pfx pass"), ("nopass.pfx", ""), ("key.pem", ""), ("pkcs1.pem", ""), ("enc.pem", "pem pass")];
    for (file, password) in identities {
        let identity = RsaIdentity::from_file(&fs::read(d.join(file)).unwrap(), password).unwrap_or_else(|e| panic!("{file}: {e}"));
        restore_to(&s, &id, Some(&identity), &format!("out-{file}"));
    }

    // OpenSSL reads the PFX Lifeboat writes.
    let ours = create_certificate("Ours", 1, "our password", *s.clock.0.lock().unwrap(), &mut rand::rng()).unwrap();
    fs::write(d.join("ours.pfx"), &ours.pfx).unwrap();
    let info = openssl_output(&d, &["pkcs12", "-in", "ours.pfx", "-passin", "pass:our password", "-nodes"]);
    assert!(info.contains("BEGIN PRIVATE KEY") && info.contains("BEGIN CERTIFICATE"));
}

#[test]
fn live_sqlite_database_is_captured_consistently() {
    let s = setup();
    let db = s.root.join("busy.db");
    make_sqlite(&db, 0);
    s.engine.add_item(&db, None, None, vec![]).unwrap();
    s.engine.set_passphrase("correct horse battery").unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (db, stop) = (db.clone(), stop.clone());
        std::thread::spawn(move || {
            let conn = rusqlite::Connection::open(&db).unwrap();
            conn.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
            let mut batches = 0;
            while !stop.load(Ordering::Relaxed) || batches < 20 {
                // Ten rows per transaction: a consistent copy holds a multiple of ten.
                let tx = conn.unchecked_transaction().unwrap();
                for _ in 0..10 {
                    tx.execute("INSERT INTO t (v) VALUES (randomblob(2000))", []).unwrap();
                }
                tx.commit().unwrap();
                batches += 1;
            }
        })
    };
    let ids: Vec<String> = (0..3).map(|_| backup(&s)).collect();
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    let identity = PassphraseIdentity::new(Zeroizing::new("correct horse battery".into()));
    for (n, id) in ids.iter().enumerate() {
        let to = s.root.join(format!("live{n}"));
        s.engine.restore(id, Some(&identity), RestoreRequest { items: vec!["busy.db".into()], paths: vec![], to: Some(to.clone()) }, &NoProgress, &Cancel::default()).unwrap();
        let rows = sqlite_ok(&to.join("busy.db/busy.db"));
        assert_eq!(rows % 10, 0, "a torn copy would hold part of a transaction");
    }
}

#[test]
fn restore_to_original_place_keeps_a_safety_copy() {
    let s = setup();
    s.engine.set_passphrase("correct horse battery").unwrap();
    let id = backup(&s);
    let identity = PassphraseIdentity::new(Zeroizing::new("correct horse battery".into()));
    fs::write(s.root.join("tree/hello.txt"), "changed after the backup").unwrap();
    fs::write(s.root.join("tree/new-file.txt"), "made after the backup").unwrap();

    // One file only.
    let report =
        s.engine.restore(&id, Some(&identity), RestoreRequest { items: vec!["tree".into()], paths: vec!["hello.txt".into()], to: None }, &NoProgress, &Cancel::default()).unwrap();
    assert_eq!(fs::read_to_string(s.root.join("tree/hello.txt")).unwrap(), "Hello, Lifeboat!\n");
    assert!(s.root.join("tree/new-file.txt").exists(), "a path restore touches only that path");
    assert_eq!(fs::read_to_string(&report.replaced[0].safety_copy).unwrap(), "changed after the backup");

    // The whole item: the folder is replaced; what it held is kept aside.
    let report = s.engine.restore(&id, Some(&identity), RestoreRequest { items: vec!["tree".into()], paths: vec![], to: None }, &NoProgress, &Cancel::default()).unwrap();
    let copy = &report.replaced[0].safety_copy;
    assert!(copy.join("new-file.txt").exists());
    assert!(!s.root.join("tree/new-file.txt").exists());
    s.engine.restore(&id, Some(&identity), RestoreRequest { items: vec!["tree".into()], paths: vec![], to: Some(s.root.join("fresh")) }, &NoProgress, &Cancel::default()).unwrap();
    assert_same_tree(&s.root.join("fresh/tree"), &s.root.join("tree"));
}

/// Holds an operation open until released, to observe what others see meanwhile.
struct Gate {
    entered: std::sync::mpsc::Sender<()>,
    release: std::sync::Mutex<std::sync::mpsc::Receiver<()>>,
}

impl Progress for Gate {
    fn phase(&self, phase: Phase) {
        if phase == Phase::Writing {
            self.entered.send(()).unwrap();
            self.release.lock().unwrap().recv().unwrap();
        }
    }
    fn total(&self, _: u64, _: u64) {}
    fn advance(&self, _: u64, _: u64) {}
}

#[test]
fn one_operation_at_a_time_and_cancel() {
    let s = setup();
    s.engine.set_passphrase("correct horse battery").unwrap();
    let (entered_tx, entered_rx) = std::sync::mpsc::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel();
    let gate = Gate { entered: entered_tx, release: std::sync::Mutex::new(release_rx) };
    let data = s.root.join("data");
    let cancel = Cancel::default();
    std::thread::scope(|scope| {
        let cancel2 = cancel.clone();
        let running = scope.spawn(move || {
            common::keep_vault_keys_in_files();
            let engine = Engine::open(&data).unwrap();
            engine.backup_now(&gate, &cancel2)
        });
        entered_rx.recv().unwrap();
        let err = s.engine.backup_now(&NoProgress, &Cancel::default()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Busy);
        assert!(err.to_string().contains("backup ") && err.to_string().contains(" started at "), "{err}");
        cancel.cancel();
        release_tx.send(()).unwrap();
        assert_eq!(running.join().unwrap().unwrap_err().kind(), ErrorKind::Canceled);
    });
    // A canceled backup leaves nothing behind, and the next one runs.
    assert!(s.engine.list_backups().unwrap().is_empty());
    backup(&s);
}

#[test]
fn expired_backups_are_refused() {
    let s = setup();
    s.engine.set_passphrase("correct horse battery").unwrap();
    let id = backup(&s);
    s.clock.advance(chrono::Duration::days(31));
    let identity = PassphraseIdentity::new(Zeroizing::new("correct horse battery".into()));
    let err = s.engine.restore(&id, Some(&identity), RestoreRequest { items: vec![], paths: vec![], to: Some(s.root.join("x")) }, &NoProgress, &Cancel::default()).unwrap_err();
    assert!(err.to_string().starts_with("Cannot restore: backup expired"), "{err}");
    assert!(err.to_string().contains("2026-03-31 01:00:00 UTC"), "{err}");
    assert!(s.engine.list_backups().unwrap()[0].expired);
}

#[test]
fn leftovers_of_a_crashed_backup_are_never_listed_and_are_cleaned_up() {
    let s = setup();
    s.engine.set_passphrase("correct horse battery").unwrap();
    let backups = s.root.join("data/backups");
    fs::create_dir_all(&backups).unwrap();
    fs::write(backups.join(".lifeboat-20260301T000000Z-deadbeef.lbk.partial"), b"LIFEBOAT half written").unwrap();
    let stale_scratch = s.root.join("data/tmp/backup-deadbeef");
    fs::create_dir_all(&stale_scratch).unwrap();
    fs::write(stale_scratch.join("item-0.sqlite"), b"copy of a database").unwrap();
    assert!(s.engine.list_backups().unwrap().is_empty());
    let summary = s.engine.backup_now(&NoProgress, &Cancel::default()).unwrap();
    assert_eq!(summary.removed_incomplete.len(), 1);
    assert_eq!(fs::read_dir(&backups).unwrap().count(), 1);
    assert!(!stale_scratch.exists(), "a crashed backup's scratch copies are removed by the next run");
}

#[test]
fn files_that_vanish_are_warnings_not_failures() {
    let s = setup();
    s.engine.set_passphrase("correct horse battery").unwrap();
    let entries = vec![
        lifeboat_core::items::PlannedEntry { kind: lifeboat_core::format::EntryKind::File, rel: "gone.txt".into(), path: s.root.join("tree/gone.txt"), size: 10, attrs_from: None },
        lifeboat_core::items::PlannedEntry {
            kind: lifeboat_core::format::EntryKind::File,
            rel: "hello.txt".into(),
            path: s.root.join("tree/hello.txt"),
            size: 17,
            attrs_from: None,
        },
    ];
    let written = write_simple_backup(&s.root, entries);
    assert_eq!(written.entries, 1);
    assert!(written.warnings[0].contains("gone.txt: vanished"), "{:?}", written.warnings);
}

fn write_simple_backup(root: &Path, entries: Vec<lifeboat_core::items::PlannedEntry>) -> lifeboat_core::commands::backup::WrittenBackup<Vec<u8>> {
    use lifeboat_core::commands::backup::{write_backup, Source};
    let meta = common::meta_now("test");
    let source = Source { name: "tree".into(), kind: lifeboat_core::format::ItemKind::Folder, origin: root.display().to_string(), entries };
    let recipient = lifeboat_core::protector::NoneRecipient;
    write_backup(Vec::new(), meta, &[&recipient], &[source], vec![], &mut rand::rng(), &NoProgress, &Cancel::default()).unwrap()
}

#[test]
fn excluded_files_and_folders_are_not_in_the_backup() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let app = root.join("app");
    fs::create_dir_all(app.join("cache/deep")).unwrap();
    fs::create_dir_all(app.join("conf")).unwrap();
    fs::write(app.join("conf/app.ini"), "kept").unwrap();
    fs::write(app.join("conf/session.tmp"), "excluded by *.tmp").unwrap();
    fs::write(app.join("cache/deep/blob"), "excluded with its folder").unwrap();
    fs::write(app.join("notes.tmp"), "excluded at the top too").unwrap();
    let clock = TestClock::new();
    let engine = engine(&root.join("data"), &clock);
    engine.add_item(&app, None, None, vec!["*.tmp".into(), "cache".into()]).unwrap();
    engine.set_passphrase("correct horse battery").unwrap();
    let id = engine.backup_now(&NoProgress, &Cancel::default()).unwrap().id;
    let identity = PassphraseIdentity::new(Zeroizing::new("correct horse battery".into()));
    engine.restore(&id, Some(&identity), RestoreRequest { items: vec![], paths: vec![], to: Some(root.join("out")) }, &NoProgress, &Cancel::default()).unwrap();
    let restored = root.join("out/app");
    assert_eq!(fs::read_to_string(restored.join("conf/app.ini")).unwrap(), "kept");
    for gone in ["conf/session.tmp", "notes.tmp", "cache"] {
        assert!(!restored.join(gone).exists(), "{gone} was excluded yet restored");
    }
}

#[test]
fn a_single_file_item_round_trips_to_another_folder_and_in_place() {
    let s = setup();
    let file = s.root.join("settings.json");
    fs::write(&file, "{\"retries\": 3}\n").unwrap();
    let created = std::time::UNIX_EPOCH + std::time::Duration::new(1_650_000_000, 250);
    fs::File::options().write(true).open(&file).unwrap().set_modified(created).unwrap();
    s.engine.add_item(&file, Some("settings"), None, vec![]).unwrap();
    s.engine.set_passphrase("correct horse battery").unwrap();
    let id = backup(&s);
    let identity = PassphraseIdentity::new(Zeroizing::new("correct horse battery".into()));
    let request = |to: Option<std::path::PathBuf>| RestoreRequest { items: vec!["settings".into()], paths: vec![], to };

    s.engine.restore(&id, Some(&identity), request(Some(s.root.join("out"))), &NoProgress, &Cancel::default()).unwrap();
    let restored = s.root.join("out/settings/settings.json");
    assert_eq!(fs::read_to_string(&restored).unwrap(), "{\"retries\": 3}\n");
    assert_eq!(fs::metadata(&restored).unwrap().modified().unwrap(), created);

    fs::write(&file, "{\"retries\": 0}\n").unwrap();
    let report = s.engine.restore(&id, Some(&identity), request(None), &NoProgress, &Cancel::default()).unwrap();
    assert_eq!(fs::read_to_string(&file).unwrap(), "{\"retries\": 3}\n");
    assert_eq!(fs::read_to_string(&report.replaced[0].safety_copy).unwrap(), "{\"retries\": 0}\n");
}

#[test]
fn after_a_certificate_rotation_an_old_backup_needs_the_old_pfx() {
    let s = setup();
    let now = *s.clock.0.lock().unwrap();
    let old = create_certificate("Before rotation", 2, "pfx-password", now, &mut rand::rng()).unwrap();
    let new = create_certificate("After rotation", 2, "pfx-password", now, &mut rand::rng()).unwrap();
    s.engine.set_certificate(&old.info.der, false).unwrap();
    let before = backup(&s);
    s.engine.set_certificate(&new.info.der, false).unwrap();
    let after = backup(&s);
    let old_key = RsaIdentity::from_file(&old.pfx, "pfx-password").unwrap();
    let new_key = RsaIdentity::from_file(&new.pfx, "pfx-password").unwrap();

    restore_to(&s, &before, Some(&old_key), "old-with-old");
    let err = s.engine.verify(&before, Some(&new_key), &NoProgress, &Cancel::default()).unwrap_err();
    assert!(err.to_string().contains(&old.info.thumbprint), "the old backup names the old certificate: {err}");
    restore_to(&s, &after, Some(&new_key), "new-with-new");
    assert!(s.engine.verify(&after, Some(&old_key), &NoProgress, &Cancel::default()).is_err(), "new backups are not for the old certificate");
    let listed = s.engine.list_backups().unwrap();
    let needs = |id: &str| listed.iter().find(|l| l.id.as_deref() == Some(id)).unwrap().recipients.clone();
    assert_eq!((needs(&before), needs(&after)), (vec![old.info.thumbprint.clone()], vec![new.info.thumbprint.clone()]));
}

#[test]
fn after_a_passphrase_change_an_old_backup_needs_the_old_passphrase() {
    let s = setup();
    s.engine.set_passphrase("the passphrase of march").unwrap();
    let before = backup(&s);
    s.engine.set_passphrase("the passphrase of april").unwrap();
    let after = backup(&s);
    let march = PassphraseIdentity::new(Zeroizing::new("the passphrase of march".into()));
    let april = PassphraseIdentity::new(Zeroizing::new("the passphrase of april".into()));

    restore_to(&s, &before, Some(&march), "march");
    let err = s.engine.verify(&before, Some(&april), &NoProgress, &Cancel::default()).unwrap_err();
    assert!(err.to_string().contains("passphrase that was set when it was made"), "{err}");
    restore_to(&s, &after, Some(&april), "april");
    assert!(s.engine.verify(&after, Some(&march), &NoProgress, &Cancel::default()).is_err());
}
