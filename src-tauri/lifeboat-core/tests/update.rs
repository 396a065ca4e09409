//! Updates through the engine: the feed read over HTTP, the package downloaded and
//! its signature checked against the trusted key, and the update lock shared with
//! backups. The package manager is replaced by one that records what it was handed
//! (the real dpkg install is tested on the built package, scripts/package-test.sh).

mod common;
#[path = "common/update_feed.rs"]
mod update_feed;

use std::path::Path;
use std::sync::{Arc, Mutex};

use common::TestClock;
use lifeboat_core::commands::update::{InstallUpdate, Installer, PackageKind, UpdateKey, UpdateSettings, CURRENT_VERSION};
use lifeboat_core::engine::Engine;
use lifeboat_core::operation::{OperationKind, OperationStatus};
use lifeboat_core::progress::{Cancel, NoProgress, Progress};
use lifeboat_core::runner::OperationLock;
use lifeboat_core::{Error, ErrorCode};
use update_feed::{FeedServer, Signer};

/// Records the packages it is asked to install instead of installing them.
#[derive(Clone, Default)]
struct Recording(Arc<Mutex<Vec<Vec<u8>>>>);

impl Installer for Recording {
    fn kind(&self) -> Option<PackageKind> {
        Some(PackageKind::Deb)
    }
    fn install(&self, package: &Path, _: &dyn Progress) -> lifeboat_core::Result<()> {
        self.0.lock().unwrap().push(std::fs::read(package).unwrap());
        Ok(())
    }
}

impl Recording {
    fn installed(&self) -> Vec<Vec<u8>> {
        self.0.lock().unwrap().clone()
    }
}

struct Rig {
    _dir: tempfile::TempDir,
    engine: Engine,
    feed: FeedServer,
    signer: Signer,
    installer: Recording,
}

const PACKAGE: &[u8] = b"!<arch>\nnot really a .deb, but every byte of it is signed\n";

fn rig() -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let engine = common::engine(&dir.path().join("data"), &TestClock::new());
    let feed = FeedServer::start();
    engine.set_update_settings(&UpdateSettings { check_automatically: true, feed_url: Some(feed.url("latest.json")) }).unwrap();
    Rig { _dir: dir, engine, feed, signer: Signer::new(), installer: Recording::default() }
}

impl Rig {
    fn offer(&self, version: &str, package: &[u8], signature: &str) {
        self.feed.put("lifeboat.deb", package);
        self.feed.publish(version, "linux-x86_64-deb", "lifeboat.deb", signature);
    }

    fn install(&self) -> lifeboat_core::Result<lifeboat_core::commands::update::InstalledUpdate> {
        let key = UpdateKey::parse(&self.signer.public_key()).unwrap();
        self.engine.run(InstallUpdate { key: Some(key), installer: Box::new(self.installer.clone()) }, &NoProgress, &Cancel::default())
    }

    fn last_operation(&self) -> lifeboat_core::operation::OperationView {
        self.engine.operations(1).unwrap().remove(0)
    }
}

fn newer() -> String {
    let v = semver::Version::parse(CURRENT_VERSION).unwrap();
    format!("{}.{}.{}", v.major, v.minor, v.patch + 1)
}

#[test]
fn a_newer_version_is_found_with_its_notes_and_an_equal_or_older_one_is_not() {
    let r = rig();
    r.offer(&newer(), PACKAGE, &r.signer.sign_as(PACKAGE, &newer()));
    let check = r.engine.check_update(&r.installer).unwrap();
    let available = check.available.expect("a newer version is offered");
    assert_eq!(available.version, newer());
    assert_eq!(available.notes, Some(format!("Lifeboat {}: what changed.", newer())));
    assert_eq!(check.current_version, CURRENT_VERSION);
    assert_eq!(check.installed_as, Some(PackageKind::Deb));
    for same_or_older in [CURRENT_VERSION, "0.1.0"] {
        r.offer(same_or_older, PACKAGE, &r.signer.sign_as(PACKAGE, same_or_older));
        assert_eq!(r.engine.check_update(&r.installer).unwrap().available, None, "{same_or_older}");
    }
    let e = r.install().unwrap_err();
    assert!(e.to_string().contains("is the newest version the feed offers"), "{e}");
    assert!(r.installer.installed().is_empty());
}

#[test]
fn a_signed_package_is_downloaded_verified_and_installed_as_an_update_operation() {
    let r = rig();
    r.offer(&newer(), PACKAGE, &r.signer.sign_as(PACKAGE, &newer()));
    let installed = r.install().unwrap();
    assert_eq!((installed.version.as_str(), installed.from_version.as_str(), installed.package), (newer().as_str(), CURRENT_VERSION, PackageKind::Deb));
    assert_eq!(installed.bytes, PACKAGE.len() as u64);
    assert_eq!(r.installer.installed(), [PACKAGE.to_vec()]);
    let op = r.last_operation();
    assert_eq!((op.kind, op.status), (OperationKind::Update, OperationStatus::Succeeded));
}

/// Each way a package can be false is refused before the package manager sees it.
#[test]
fn a_tampered_package_another_key_a_relabelled_version_or_an_unsigned_version_installs_nothing() {
    let r = rig();
    let mut tampered = PACKAGE.to_vec();
    tampered[20] ^= 0x01;
    let other = Signer::new();
    let older = "0.2.0";
    let cases: [(&str, Vec<u8>, String); 4] = [
        ("its signature does not match its content (damaged or altered)", tampered, r.signer.sign_as(PACKAGE, &newer())),
        ("it was signed with another key than the one this Lifeboat trusts", PACKAGE.to_vec(), other.sign_as(PACKAGE, &newer())),
        (&format!("the feed announces it as version {}, but it was signed as version {older}", newer()), PACKAGE.to_vec(), r.signer.sign_as(PACKAGE, older)),
        ("its signature does not say which version it was made for", PACKAGE.to_vec(), r.signer.sign(PACKAGE, "timestamp:1765000000\tfile:lifeboat.deb")),
    ];
    for (why, package, signature) in cases {
        r.offer(&newer(), &package, &signature);
        let e = r.install().unwrap_err();
        assert_eq!(e.code(), ErrorCode::Integrity, "{e}");
        assert_eq!(e.to_string(), format!("The downloaded update was refused and nothing was installed: {why}."));
        assert!(r.installer.installed().is_empty(), "{why}");
        let op = r.last_operation();
        assert_eq!((op.kind, op.status), (OperationKind::Update, OperationStatus::Failed));
    }
    // The downloads were scratch: nothing of them stays in the data folder.
    let left: Vec<_> = std::fs::read_dir(r.engine.data_dir().join("tmp")).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn without_a_key_or_a_package_installation_nothing_is_downloaded() {
    let r = rig();
    r.offer(&newer(), PACKAGE, &r.signer.sign_as(PACKAGE, &newer()));
    let e = r.engine.run(InstallUpdate { key: None, installer: Box::new(r.installer.clone()) }, &NoProgress, &Cancel::default()).unwrap_err();
    assert!(e.to_string().starts_with("This build of Lifeboat has no update key"), "{e}");

    struct FromSource;
    impl Installer for FromSource {
        fn kind(&self) -> Option<PackageKind> {
            None
        }
        fn install(&self, _: &Path, _: &dyn Progress) -> lifeboat_core::Result<()> {
            unreachable!("never called")
        }
    }
    let key = UpdateKey::parse(&r.signer.public_key()).unwrap();
    let e = r.engine.run(InstallUpdate { key: Some(key), installer: Box::new(FromSource) }, &NoProgress, &Cancel::default()).unwrap_err();
    assert!(e.to_string().contains("was not installed from a package, so it cannot update itself"), "{e}");
    // The check still tells.
    assert_eq!(r.engine.check_update(&FromSource).unwrap().installed_as, None);
}

#[test]
fn an_update_is_refused_while_a_backup_runs_and_a_backup_while_an_update_is_installed() {
    let r = rig();
    r.offer(&newer(), PACKAGE, &r.signer.sign_as(PACKAGE, &newer()));
    let data = r.engine.data_dir().to_owned();

    let backup = OperationLock::acquire(&data, OperationKind::Backup, "the-backup", r.engine.now()).unwrap();
    let e = r.install().unwrap_err();
    assert_eq!(e.code(), ErrorCode::Busy);
    assert!(e.to_string().starts_with("Another operation is running: backup the-backup started at"), "{e}");
    assert!(r.installer.installed().is_empty());
    drop(backup);

    let update = OperationLock::acquire(&data, OperationKind::Update, "the-update", r.engine.now()).unwrap();
    let e = r.engine.backup_now(&NoProgress, &Cancel::default()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::UpdateInProgress);
    assert!(e.to_string().starts_with("An update is being installed (update the-update started at"), "{e}");
    drop(update);
}

#[test]
fn an_update_asked_to_wait_runs_once_the_backup_is_done() {
    let r = rig();
    r.offer(&newer(), PACKAGE, &r.signer.sign_as(PACKAGE, &newer()));
    let backup = OperationLock::acquire(r.engine.data_dir(), OperationKind::Backup, "the-backup", r.engine.now()).unwrap();
    let (told_tx, told) = std::sync::mpsc::channel::<String>();
    let waiter = {
        let engine = r.engine.reopen().unwrap();
        let key = UpdateKey::parse(&r.signer.public_key()).unwrap();
        let installer = r.installer.clone();
        std::thread::spawn(move || {
            let told_tx = Mutex::new(told_tx);
            let waiting = move |e: &Error| told_tx.lock().unwrap().send(e.to_string()).unwrap();
            engine.run_when_free(InstallUpdate { key: Some(key), installer: Box::new(installer) }, &NoProgress, &Cancel::default(), &waiting)
        })
    };
    let said = told.recv().unwrap();
    assert!(said.contains("backup the-backup"), "{said}");
    assert!(r.installer.installed().is_empty(), "nothing while the backup runs");
    drop(backup);
    waiter.join().unwrap().unwrap();
    assert_eq!(r.installer.installed(), [PACKAGE.to_vec()]);
}

#[test]
fn a_wait_for_the_lock_ends_with_a_cancel() {
    let r = rig();
    let _backup = OperationLock::acquire(r.engine.data_dir(), OperationKind::Backup, "the-backup", r.engine.now()).unwrap();
    let cancel = Cancel::default();
    let key = UpdateKey::parse(&r.signer.public_key()).unwrap();
    let canceler = cancel.clone();
    let waiting = move |_: &Error| canceler.cancel();
    let e = r.engine.run_when_free(InstallUpdate { key: Some(key), installer: Box::new(r.installer.clone()) }, &NoProgress, &cancel, &waiting).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Canceled);
}

#[test]
fn a_feed_address_must_be_https_or_this_machine() {
    let r = rig();
    for url in ["https://updates.example.org/lifeboat/latest.json", "http://127.0.0.1:8080/latest.json", "http://localhost/latest.json", "http://[::1]/x.json"] {
        let saved = r.engine.set_update_settings(&UpdateSettings { check_automatically: false, feed_url: Some(format!("  {url} ")) }).unwrap();
        assert_eq!(saved.feed_url.as_deref(), Some(url));
    }
    for (url, why) in [
        ("http://updates.example.org/latest.json", "plain http is accepted only for this machine (localhost); use https"),
        ("ftp://127.0.0.1/latest.json", "give an https:// address"),
        ("latest.json", "relative URL without a base"),
    ] {
        let e = r.engine.set_update_settings(&UpdateSettings { check_automatically: true, feed_url: Some(url.into()) }).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidInput);
        assert!(e.to_string().starts_with(&format!("{url:?} is not an update feed address")) && e.to_string().contains(why), "{e}");
    }
    // Nothing saved by a refusal; an empty address means the built-in feed.
    assert_eq!(r.engine.update_settings().unwrap().feed_url.as_deref(), Some("http://[::1]/x.json"));
    let saved = r.engine.set_update_settings(&UpdateSettings { check_automatically: true, feed_url: Some("  ".into()) }).unwrap();
    assert_eq!(saved.feed_url, None);
}

#[test]
fn a_feed_that_is_not_a_feed_or_not_there_is_a_clear_error() {
    let r = rig();
    r.feed.put("latest.json", b"<html>maintenance</html>");
    let e = r.engine.check_update(&r.installer).unwrap_err();
    assert!(e.to_string().starts_with(&format!("The update feed {} is not a Lifeboat feed:", r.feed.url("latest.json"))), "{e}");
    std::fs::remove_file(r.feed.path("latest.json")).unwrap();
    let e = r.engine.check_update(&r.installer).unwrap_err();
    assert!(e.to_string().contains("could not be read: the server answered 404"), "{e}");
    // No package for this kind of installation.
    r.feed.put("lifeboat.rpm", PACKAGE);
    r.feed.publish(&newer(), "linux-x86_64-rpm", "lifeboat.rpm", &r.signer.sign_as(PACKAGE, &newer()));
    let e = r.install().unwrap_err();
    assert!(e.to_string().contains("but no package for this installation (linux-x86_64-deb); it offers linux-x86_64-rpm"), "{e}");
}
