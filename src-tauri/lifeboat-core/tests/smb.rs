//! The SMB share target against a real Samba server started by the test.

mod common;

use common::Configure;
use lifeboat_core::settings::{LocationDraft, LocationKind};

use std::io::{Read, Seek, SeekFrom, Write};
use std::time::Duration;

use common::samba::{Samba, PASSWORD, USER};
use lifeboat_core::target::{SmbCredentials, SmbPath, SmbShare, Target};
use rand::{RngExt, SeedableRng};
use zeroize::Zeroizing;

/// One Samba at a time: the fault tests' timings assume the machine is not also
/// serving several other shares flat out.
fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}

fn share(samba: &Samba, folder: &str, password: &str) -> SmbShare {
    let credentials = SmbCredentials { user: USER.into(), password: Zeroizing::new(password.into()) };
    SmbShare::new(SmbPath::parse(&samba.unc(folder)).unwrap(), credentials, Duration::from_secs(10)).unwrap()
}

fn random(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    (0..len).map(|_| rng.random::<u8>()).collect()
}

#[test]
fn files_are_published_whole_listed_read_back_and_deleted() {
    let _serial = one_at_a_time();
    let samba = Samba::start();
    let target = share(&samba, "", PASSWORD);
    assert!(target.list().unwrap().is_empty());

    let sizes = [0usize, 1, 65_535, 65_536, 65_537, 3 * 1024 * 1024 + 17];
    for (i, size) in sizes.iter().enumerate() {
        let name = format!("lifeboat-2026010{i}T000000Z-0000000{i}.lbk");
        let data = random(*size, i as u64);
        let mut upload = target.create(&name).unwrap();
        for piece in data.chunks(100_000) {
            upload.write_all(piece).unwrap();
        }
        assert!(target.list().unwrap().iter().all(|f| f.name != name), "nothing half-written is listed");
        upload.commit(&lifeboat_core::progress::NoProgress).unwrap();
        assert_eq!(std::fs::read(samba.path_in_share(&name)).unwrap(), data, "{size} bytes landed as written");

        let mut back = Vec::new();
        let mut reader = target.open(&name).unwrap();
        reader.read_to_end(&mut back).unwrap();
        assert!(back == data, "{size} bytes read back");
        if *size > 70_000 {
            reader.seek(SeekFrom::Start(65_530)).unwrap();
            let mut ten = [0u8; 10];
            reader.read_exact(&mut ten).unwrap();
            assert_eq!(&ten, &data[65_530..65_540]);
        }
    }
    let listed = target.list().unwrap();
    assert_eq!(listed.len(), sizes.len());
    assert_eq!(listed.iter().map(|f| f.size as usize).collect::<Vec<_>>(), sizes);
    assert!(target.free_space().unwrap().unwrap() > 0);

    target.delete(&listed[0].name).unwrap();
    assert_eq!(target.list().unwrap().len(), sizes.len() - 1);

    // An upload dropped without commit leaves nothing; a leftover from a crash is cleaned up.
    let mut dropped = target.create("lifeboat-20260201T000000Z-aaaaaaaa.lbk").unwrap();
    dropped.write_all(&random(200_000, 9)).unwrap();
    drop(dropped);
    assert!(!samba.path_in_share(".lifeboat-20260201T000000Z-aaaaaaaa.lbk.partial").exists());
    std::fs::write(samba.path_in_share(".lifeboat-20260202T000000Z-bbbbbbbb.lbk.partial"), b"crashed").unwrap();
    assert_eq!(target.remove_incomplete().unwrap(), vec![".lifeboat-20260202T000000Z-bbbbbbbb.lbk.partial".to_string()]);

    // The desktop's commands call the engine from within Tauri's async runtime,
    // where neither blocking on another runtime nor dropping one is allowed.
    let tauri_like = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let listed = tauri_like.block_on(async { share(&samba, "", PASSWORD).list().map(|l| l.len()) });
    assert_eq!(listed.unwrap(), sizes.len() - 1);
}

fn engine_with_tree(root: &std::path::Path, clock: &common::TestClock) -> lifeboat_core::engine::Engine {
    common::make_tree(&root.join("tree"));
    let engine = common::engine(&root.join("data"), clock);
    engine.add_item(&root.join("tree"), Some("tree"), None, vec![]).unwrap();
    engine.set_passphrase("a passphrase for the share test").unwrap();
    engine
}

#[test]
fn a_share_is_checked_before_it_is_saved_and_each_failure_names_its_cause() {
    let _serial = one_at_a_time();
    let samba = Samba::start();
    std::fs::create_dir(samba.path_in_share("lifeboat")).unwrap();
    std::process::Command::new("chown").arg(format!("{USER}:")).arg(samba.path_in_share("lifeboat")).status().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let clock = common::TestClock::new();
    let engine = engine_with_tree(tmp.path(), &clock);

    let code = |result: lifeboat_core::Result<lifeboat_core::settings::LocationInfo>| result.unwrap_err().code().as_str();
    assert_eq!(code(engine.set_smb_location(&samba.unc("lifeboat"), USER, Some("wrong password"))), "wrong-credentials");
    assert_eq!(code(engine.set_smb_location(&samba.unc("lifeboat").replace(r"\backups\", r"\nosuchshare\"), USER, Some(PASSWORD))), "share-not-found");
    assert_eq!(code(engine.set_smb_location(&samba.unc("no-such-folder"), USER, Some(PASSWORD))), "folder-not-found");
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    assert_eq!(code(engine.set_smb_location(&format!(r"\\127.0.0.1:{silent}\backups"), USER, Some(PASSWORD))), "server-unreachable");
    assert!(engine.settings().unwrap().location.is_default, "nothing was saved");

    let info = engine.set_smb_location(&samba.unc("lifeboat"), r"WORKGROUP\lifeboat-smbtest", Some(PASSWORD)).unwrap();
    assert_eq!((info.location.kind, info.location.user.as_deref()), (LocationKind::Smb, Some(r"WORKGROUP\lifeboat-smbtest")));
    assert!(info.free_bytes.unwrap() > 0);
    let catalog = std::fs::read(tmp.path().join("data/catalog.db")).unwrap();
    assert!(!catalog.windows(PASSWORD.len()).any(|w| w == PASSWORD.as_bytes()), "the password is not in the catalog in clear");
    engine.test_location(None).unwrap();
    assert_eq!(std::fs::read_dir(samba.path_in_share("lifeboat")).unwrap().count(), 0, "the test file is gone");

    // Test connection on typed fields, before anything is saved; a missing folder
    // is offered for creation, with its parents.
    let deeper = samba.unc(r"new\deeper");
    let draft = |share: &str, user: &str, password: &str| LocationDraft::smb(share, user, password);
    let typed = engine.typed_location(&draft(&deeper, USER, PASSWORD)).unwrap();
    assert_eq!(engine.test_location(Some(&typed)).unwrap_err().code().as_str(), "folder-not-found");
    let created = engine.create_location_folder(Some(&typed)).unwrap();
    assert!(samba.path_in_share("new/deeper").is_dir());
    assert!(created.free_bytes.unwrap() > 0);
    assert_eq!(engine.settings().unwrap().location.path, std::path::PathBuf::from(samba.unc("lifeboat")), "testing saved nothing");

    // An empty password keeps the saved one, but only for the same server and user.
    let saved_user = r"WORKGROUP\lifeboat-smbtest";
    engine.set_smb_location(&deeper, saved_user, None).unwrap();
    assert!(engine.set_smb_location(&deeper, USER, None).unwrap_err().to_string().contains("Give the share user's password"));
    let other_server = deeper.replace("127.0.0.1", "localhost");
    let refused = engine.typed_location(&draft(&other_server, saved_user, "")).err().expect("the saved password is not sent to another server");
    assert!(refused.to_string().contains("Give the share user's password"), "{refused}");
}

#[test]
fn backups_round_trip_through_the_share_and_retention_deletes_there() {
    let _serial = one_at_a_time();
    let samba = Samba::start();
    let tmp = tempfile::tempdir().unwrap();
    let clock = common::TestClock::new();
    let engine = engine_with_tree(tmp.path(), &clock);
    engine.set_smb_location(&samba.unc(""), USER, Some(PASSWORD)).unwrap();
    // Files from 0 bytes (in the tree) to 100 MiB: a 4 MiB random block repeated,
    // farther apart than zstd's window, so it stays incompressible.
    let block = random(4 << 20, 42);
    let mut big = std::fs::File::create(tmp.path().join("tree/big.bin")).unwrap();
    for _ in 0..25 {
        big.write_all(&block).unwrap();
    }
    big.write_all(b"end").unwrap();
    drop(big);

    let cancel = lifeboat_core::progress::Cancel::default();
    let first = engine.backup_now(&lifeboat_core::progress::NoProgress, &cancel).unwrap();
    assert!(samba.path_in_share(&first.file_name).exists(), "the backup is on the share");
    let listed = engine.list_backups().unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].problem.is_none());

    let identity = lifeboat_core::protector::PassphraseIdentity::new(Zeroizing::new("a passphrase for the share test".into()));
    engine.verify(&first.id, Some(&identity), &lifeboat_core::progress::NoProgress, &cancel).unwrap();
    let request = lifeboat_core::commands::restore::RestoreRequest { items: vec![], paths: vec![], to: Some(tmp.path().join("restored")) };
    engine.restore(&first.id, Some(&identity), request, &lifeboat_core::progress::NoProgress, &cancel).unwrap();
    common::assert_same_tree(&tmp.path().join("tree"), &tmp.path().join("restored/tree"));

    // Three more days of (smaller) backups; retention of 2 days deletes on the share.
    std::fs::remove_file(tmp.path().join("tree/big.bin")).unwrap();
    for _ in 0..3 {
        clock.advance(chrono::Duration::days(1));
        engine.backup_now(&lifeboat_core::progress::NoProgress, &cancel).unwrap();
    }
    let policy = lifeboat_core::retention::RetentionPolicy { days: 2, max_count: 30 };
    let deleted = engine.set_retention(policy, true).unwrap();
    assert!(!deleted.is_empty());
    let report = engine.retention_now(&lifeboat_core::progress::NoProgress, &cancel).unwrap();
    assert_eq!(report.deleted.len(), deleted.len());
    for d in &deleted {
        assert!(!samba.path_in_share(&d.file_name).exists(), "{} deleted from the share", d.file_name);
    }
    assert_eq!(engine.list_backups().unwrap().len(), 4 - deleted.len());
}

/// An engine backing up 256 MiB of incompressible data to the share, with a short
/// stall timeout (so network calls time out after 2 s).
fn big_backup_setup(samba: &Samba, root: &std::path::Path, clock: &common::TestClock) -> lifeboat_core::engine::Engine {
    let engine = engine_with_tree(root, clock);
    // Repeating a 4 MiB random block: farther apart than zstd's window, so it stays incompressible.
    let block = random(4 << 20, 5);
    let mut big = std::fs::File::create(root.join("tree/big.bin")).unwrap();
    for _ in 0..64 {
        big.write_all(&block).unwrap();
    }
    engine.set_stall_timeout_secs(4).unwrap();
    engine.set_smb_location(&samba.unc(""), USER, Some(PASSWORD)).unwrap();
    engine
}

/// A big backup under way: returns once its upload to the share has begun.
fn start_big_backup(samba: &Samba) -> (tempfile::TempDir, lifeboat_core::engine::Engine, lifeboat_core::runner::Started<lifeboat_core::commands::backup::BackupSummary>) {
    let tmp = tempfile::tempdir().unwrap();
    let engine = big_backup_setup(samba, tmp.path(), &common::TestClock::new());
    let started = engine.start_backup().unwrap();
    wait_for_upload(samba);
    (tmp, engine, started)
}

/// Waits until the backup's temporary file on the share has some data in it.
fn wait_for_upload(samba: &Samba) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let uploading = std::fs::read_dir(&samba.share_dir)
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().ends_with(".lbk.partial") && e.metadata().is_ok_and(|m| m.len() > 8 << 20));
        if uploading {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "the upload never started");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Nothing half-written is listed; the next backup, with the default stall timeout
/// (the short one only made the fault fail fast), removes the leftover and succeeds.
fn assert_recovers(samba: &Samba, engine: &lifeboat_core::engine::Engine) {
    assert!(engine.list_backups().unwrap().is_empty(), "nothing half-written is listed");
    engine.set_stall_timeout_secs(lifeboat_core::settings::DEFAULT_STALL_TIMEOUT_SECS).unwrap();
    let summary = engine.backup_now(&lifeboat_core::progress::NoProgress, &lifeboat_core::progress::Cancel::default()).unwrap();
    assert_eq!(summary.removed_incomplete.len(), 1, "the next backup removes the leftover");
    let on_share: Vec<String> = std::fs::read_dir(&samba.share_dir).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(on_share, vec![summary.file_name.clone()]);
}

#[test]
fn a_backup_while_the_server_is_down_or_refuses_the_password_fails_with_the_cause_and_the_next_succeeds() {
    let _serial = one_at_a_time();
    let mut samba = Samba::start();
    let tmp = tempfile::tempdir().unwrap();
    let engine = engine_with_tree(tmp.path(), &common::TestClock::new());
    engine.set_stall_timeout_secs(4).unwrap();
    engine.set_smb_location(&samba.unc(""), USER, Some(PASSWORD)).unwrap();
    let cancel = lifeboat_core::progress::Cancel::default();
    let backup = || engine.backup_now(&lifeboat_core::progress::NoProgress, &cancel);

    samba.kill();
    let started = std::time::Instant::now();
    assert_eq!(backup().unwrap_err().code().as_str(), "server-unreachable");
    assert!(started.elapsed() < Duration::from_secs(4), "failed within the stall timeout ({:?})", started.elapsed());
    samba.restart();
    // The password changed on the server since the location was saved.
    samba.set_password("Changed-on-the-server-2");
    assert_eq!(backup().unwrap_err().code().as_str(), "wrong-credentials");
    samba.set_password(PASSWORD);
    assert!(engine.list_backups().unwrap().is_empty(), "nothing half-written is listed");
    backup().unwrap();
    assert_eq!(engine.list_backups().unwrap().len(), 1);
}

#[test]
fn a_server_killed_mid_backup_fails_it_as_connection_lost_and_the_next_backup_succeeds() {
    let _serial = one_at_a_time();
    let mut samba = Samba::start();
    let (_tmp, engine, started) = start_big_backup(&samba);
    let killed_at = std::time::Instant::now();
    samba.kill();
    let err = started.wait().unwrap_err();
    assert!(killed_at.elapsed() < Duration::from_secs(4), "failed within the stall timeout ({:?})", killed_at.elapsed());
    assert!(["connection-lost", "timed-out"].contains(&err.code().as_str()), "{}: {err}", err.code());
    samba.restart();
    assert_recovers(&samba, &engine);
}

#[test]
fn a_frozen_server_times_out_within_the_stall_timeout_and_the_next_backup_succeeds() {
    let _serial = one_at_a_time();
    let samba = Samba::start();
    let (_tmp, engine, started) = start_big_backup(&samba);
    let frozen_at = std::time::Instant::now();
    samba.signal("STOP");
    let err = started.wait().unwrap_err();
    assert!(frozen_at.elapsed() < Duration::from_secs(4), "failed within the stall timeout ({:?})", frozen_at.elapsed());
    assert_eq!(err.code().as_str(), "timed-out", "{err}");
    samba.signal("CONT");
    assert_recovers(&samba, &engine);
}

#[test]
fn a_hundred_listings_and_a_gigabyte_backup_complete_without_a_hang() {
    let _serial = one_at_a_time();
    let samba = Samba::start();
    let tmp = tempfile::tempdir().unwrap();
    let clock = common::TestClock::new();
    let engine = engine_with_tree(tmp.path(), &clock);
    let block = random(4 << 20, 11);
    let mut big = std::fs::File::create(tmp.path().join("tree/gigabyte.bin")).unwrap();
    for _ in 0..256 {
        big.write_all(&block).unwrap();
    }
    drop(big);
    engine.set_smb_location(&samba.unc(""), USER, Some(PASSWORD)).unwrap();
    let cancel = lifeboat_core::progress::Cancel::default();
    let summary = engine.backup_now(&lifeboat_core::progress::NoProgress, &cancel).unwrap();
    // Publishing read the whole file back from the share and compared its SHA-256.
    assert!(summary.size > 1 << 30, "{} bytes", summary.size);

    let target = share(&samba, "", PASSWORD);
    for _ in 0..100 {
        assert_eq!(target.list().unwrap().len(), 1);
    }
}

/// Counts the SMB client's interim "pending" answers (it logs each at debug level).
struct InterimCounter(std::sync::atomic::AtomicUsize);

impl log::Log for InterimCounter {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        metadata.level() <= log::Level::Debug && metadata.target().starts_with("smb::connection")
    }
    fn log(&self, record: &log::Record) {
        if self.enabled(record.metadata()) && record.args().to_string().contains("async pending") {
            self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }
    fn flush(&self) {}
}

static INTERIMS: InterimCounter = InterimCounter(std::sync::atomic::AtomicUsize::new(0));

/// A server that answers most writes asynchronously (the slow share syncs every
/// write): with smb 0.12.1 each such answer cost the client a credit for good, and
/// an upload stopped dead after 128 of them. Connections are now replaced before
/// their credits can run out.
#[test]
fn a_server_answering_asynchronously_does_not_starve_the_upload() {
    let _serial = one_at_a_time();
    let _ = log::set_logger(&INTERIMS);
    log::set_max_level(log::LevelFilter::Debug);
    let samba = Samba::start();
    let credentials = SmbCredentials { user: USER.into(), password: Zeroizing::new(PASSWORD.into()) };
    let path = SmbPath::parse(&samba.unc_of(common::samba::SLOW_SHARE, "")).unwrap();
    let target = SmbShare::new(path, credentials, Duration::from_secs(30)).unwrap();
    let block = random(4 << 20, 3);
    let name = "lifeboat-20260101T000000Z-00000001.lbk";
    let before = INTERIMS.0.load(std::sync::atomic::Ordering::Relaxed);
    // 512 MiB: how many writes Samba answers asynchronously depends on the disk
    // (about half of them on the CI machine), and they must outnumber the credits.
    let blocks = 128;
    let mut upload = target.create(name).unwrap();
    for _ in 0..blocks {
        upload.write_all(&block).unwrap();
    }
    upload.commit(&lifeboat_core::progress::NoProgress).unwrap();
    let interims = INTERIMS.0.load(std::sync::atomic::Ordering::Relaxed) - before;
    // More than one connection's credits: the case that hung.
    assert!(interims > 2048, "the slow share answered only {interims} requests asynchronously");

    let mut reader = target.open(name).unwrap();
    let mut chunk = vec![0u8; block.len()];
    for i in 0..blocks {
        reader.read_exact(&mut chunk).unwrap();
        assert!(chunk == block, "block {i} differs");
    }
    assert_eq!(reader.read(&mut chunk).unwrap(), 0);
}

/// A listing reads the header of each file it has not seen (all asked for at
/// once), and only those: the next listing reads none, a new file is read alone,
/// and a file gone from the share is forgotten.
#[test]
fn a_listing_of_the_share_reads_only_the_headers_it_has_not_seen() {
    use common::counting::{counting, Counts};
    use std::sync::atomic::Ordering;
    let _serial = one_at_a_time();
    let samba = Samba::start();
    let tmp = tempfile::tempdir().unwrap();
    let clock = common::TestClock::new();
    let mut engine = engine_with_tree(tmp.path(), &clock);
    std::fs::remove_file(tmp.path().join("tree/nested/random.bin")).unwrap();
    // Forty backups made locally (all kept), then found on the share.
    engine.set_retention(lifeboat_core::retention::RetentionPolicy { days: 14, max_count: 1000 }, true).unwrap();
    let cancel = lifeboat_core::progress::Cancel::default();
    let ids: Vec<String> = (0..40).map(|_| engine.backup_now(&lifeboat_core::progress::NoProgress, &cancel).unwrap().id).collect();
    let local = tmp.path().join("data/backups");
    std::fs::create_dir(samba.path_in_share("found")).unwrap();
    for file in std::fs::read_dir(&local).unwrap() {
        let file = file.unwrap();
        std::fs::copy(file.path(), samba.path_in_share("found").join(file.file_name())).unwrap();
    }
    std::process::Command::new("chown").arg("-R").arg(format!("{USER}:")).arg(samba.path_in_share("found")).status().unwrap();
    let counts = std::sync::Arc::new(Counts::default());
    engine.layer_targets(counting(&counts));
    engine.set_smb_location(&samba.unc("found"), USER, Some(PASSWORD)).unwrap();

    let listed: Vec<String> = engine.list_backups().unwrap().into_iter().filter_map(|l| l.id).collect();
    let mut expected = ids.clone();
    expected.sort();
    let mut got = listed.clone();
    got.sort();
    assert_eq!(got, expected);
    assert_eq!(counts.heads.load(Ordering::SeqCst), 40, "each header read once");
    assert_eq!(counts.opened.load(Ordering::SeqCst), 0, "through the share's header reads, not file by file");

    assert_eq!(engine.list_backups().unwrap().len(), 40);
    assert_eq!(counts.heads.load(Ordering::SeqCst), 40, "the second listing reads no header");

    let newest = std::fs::read_dir(&local).unwrap().map(|f| f.unwrap().file_name()).max().unwrap();
    std::fs::remove_file(samba.path_in_share("found").join(&newest)).unwrap();
    engine.backup_now(&lifeboat_core::progress::NoProgress, &cancel).unwrap();
    let after = engine.list_backups().unwrap();
    assert_eq!(after.len(), 40, "one gone, one new");
    assert!(after.iter().all(|l| l.file_name != newest.to_string_lossy()));
    assert_eq!(counts.heads.load(Ordering::SeqCst), 40, "the new backup was recorded when it was made");
}
