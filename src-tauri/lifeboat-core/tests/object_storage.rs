//! Azure Blob Storage and S3 targets against real servers started by the test:
//! Azurite and moto. The target alone (publish whole, list, ranged reads, delete,
//! nothing half-written listed), then the engine end to end (backup, verify,
//! restore, retention) through each, and the failures an administrator meets
//! (wrong key, missing container or bucket) named as such.

mod common;

use std::io::{Read, Seek, SeekFrom, Write};
use std::time::Duration;

use common::object_servers::{Azurite, Moto, AZURITE_ACCOUNT, AZURITE_KEY, S3_KEY_ID, S3_SECRET};
use common::refusing_proxy::{RefusingProxy, AZURE_NO_WRITE, AZURE_NO_WRITE_BODY, S3_STORAGE_FULL, S3_STORAGE_FULL_BODY};
use common::Configure;
use lifeboat_core::engine::Engine;
use lifeboat_core::progress::{Cancel, NoProgress};
use lifeboat_core::settings::LocationDraft;
use lifeboat_core::target::{AzureBlob, S3Bucket, Target};
use rand::{RngExt, SeedableRng};
use zeroize::Zeroizing;

fn random(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    (0..len).map(|_| rng.random::<u8>()).collect()
}

fn azure(azurite: &Azurite, container: &str, key: &str) -> AzureBlob {
    AzureBlob { account: AZURITE_ACCOUNT.into(), container: container.into(), prefix: "fleet/backups".into(), endpoint: Some(azurite.endpoint()), key: Zeroizing::new(key.into()) }
}

fn s3(moto: &Moto, bucket: &str) -> S3Bucket {
    S3Bucket {
        endpoint: Some(moto.endpoint()),
        region: "us-east-1".into(),
        bucket: bucket.into(),
        prefix: "fleet".into(),
        access_key_id: S3_KEY_ID.into(),
        secret: Zeroizing::new(S3_SECRET.into()),
    }
}

const TIMEOUT: Duration = Duration::from_secs(10);

/// One test at a time: the fault tests' timings assume the machine is not also
/// serving other uploads flat out.
fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}

/// Sizes around the part size (8 MiB) and a small one; each published whole,
/// listed only once committed, read back in full and from the middle, deleted.
fn publishes_whole(target: &dyn Target) {
    assert!(target.list().unwrap().is_empty());
    let sizes = [0usize, 1, 300_000, 8 << 20, (8 << 20) + 1, (19 << 20) + 7];
    for (i, size) in sizes.iter().enumerate() {
        let name = format!("lifeboat-2026010{i}T000000Z-0000000{i}.lbk");
        let data = random(*size, i as u64);
        let mut upload = target.create(&name).unwrap();
        for piece in data.chunks(1_000_003) {
            upload.write_all(piece).unwrap();
        }
        assert!(target.list().unwrap().iter().all(|f| f.name != name), "nothing half-written is listed ({size} bytes)");
        upload.commit(&NoProgress).unwrap();
        let listed = target.list().unwrap();
        assert_eq!(listed.iter().find(|f| f.name == name).map(|f| f.size), Some(*size as u64), "listed with its size");

        let mut back = Vec::new();
        let mut reader = target.open(&name).unwrap();
        reader.read_to_end(&mut back).unwrap();
        assert!(back == data, "{size} bytes read back");
        if *size > 1_000_000 {
            reader.seek(SeekFrom::Start(999_990)).unwrap();
            let mut ten = [0u8; 10];
            reader.read_exact(&mut ten).unwrap();
            assert_eq!(&ten, &data[999_990..1_000_000]);
            reader.seek(SeekFrom::End(-3)).unwrap();
            let mut last = Vec::new();
            reader.read_to_end(&mut last).unwrap();
            assert_eq!(last, &data[data.len() - 3..]);
        }
        let head = target.heads(std::slice::from_ref(&name), 16 << 10).pop().unwrap().unwrap();
        assert_eq!(head, &data[..data.len().min(16 << 10)], "the header read is a ranged read of the start");
    }
    // An upload dropped before commit leaves nothing listed, and nothing to clean up.
    let mut abandoned = target.create("lifeboat-20260201T000000Z-00000099.lbk").unwrap();
    abandoned.write_all(&random(9 << 20, 99)).unwrap();
    drop(abandoned);
    assert_eq!(target.list().unwrap().len(), sizes.len(), "the abandoned upload is not listed");
    assert_eq!(target.remove_incomplete().unwrap(), Vec::<String>::new(), "the abandoned upload discarded itself");
    target.check_writable().unwrap();
    for f in target.list().unwrap() {
        target.delete(&f.name).unwrap();
    }
    assert!(target.list().unwrap().is_empty());
    assert_eq!(target.free_space().unwrap(), None, "object storage shows no free space");
}

#[test]
fn azure_container_publishes_whole_lists_reads_and_deletes() {
    let _serial = one_at_a_time();
    let azurite = Azurite::start();
    publishes_whole(&azure(&azurite, &azurite.container, AZURITE_KEY).open("install-a", TIMEOUT).unwrap());
    assert_eq!(azurite.blobs_and_uncommitted("fleet/backups/"), Vec::<String>::new(), "the abandoned upload's blocks went with it");
}

#[test]
fn s3_bucket_publishes_whole_lists_reads_and_deletes() {
    let _serial = one_at_a_time();
    let moto = Moto::start();
    publishes_whole(&s3(&moto, &moto.bucket).open("install-a", TIMEOUT).unwrap());
    assert_eq!(moto.multipart_uploads(), Vec::<String>::new(), "the abandoned upload was aborted");
}

const CUT_OFF: &str = "lifeboat-20260301T000000Z-00000001.lbk";

/// An upload cut off as by a kill (forgotten: nothing of it is aborted or
/// deleted) once `parts_there` says its two parts reached the service: it is not
/// listed, and the next backup's clean-up discards it.
fn cut_off_and_discarded(target: &dyn Target, parts_there: &dyn Fn() -> usize) {
    let mut upload = target.create(CUT_OFF).unwrap();
    upload.write_all(&random(2 * (8 << 20), 5)).unwrap();
    std::mem::forget(upload);
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while parts_there() < 2 {
        assert!(std::time::Instant::now() < deadline, "both parts reach the service");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(target.list().unwrap().is_empty(), "an upload still marked is not listed");
    assert_eq!(target.remove_incomplete().unwrap(), vec![CUT_OFF.to_owned()]);
    assert_eq!(parts_there(), 0);
    assert!(target.list().unwrap().is_empty());
}

#[test]
fn an_azure_upload_cut_off_by_a_kill_is_never_listed_and_its_blocks_are_discarded_next_time() {
    let _serial = one_at_a_time();
    let azurite = Azurite::start();
    let target = azure(&azurite, &azurite.container, AZURITE_KEY).open("install-a", TIMEOUT).unwrap();
    let blob = format!("fleet/backups/install-a/{CUT_OFF}");
    cut_off_and_discarded(&target, &|| azurite.uncommitted_blocks(&blob));
    assert_eq!(azurite.blobs_and_uncommitted("fleet/"), Vec::<String>::new(), "no marker, no blob, no uncommitted blocks");
}

#[test]
fn an_s3_upload_cut_off_by_a_kill_is_never_listed_and_is_aborted_next_time() {
    let _serial = one_at_a_time();
    let moto = Moto::start();
    let target = s3(&moto, &moto.bucket).open("install-a", TIMEOUT).unwrap();
    cut_off_and_discarded(&target, &|| moto.parts(&format!("fleet/install-a/{CUT_OFF}")));
    assert_eq!((moto.multipart_uploads(), moto.objects("fleet/")), (Vec::new(), Vec::new()), "no upload in progress, no marker");

    // Cut off after completing, before its check: complete at the service, but
    // still marked, so never listed, and deleted as unconfirmed.
    let mut upload = target.create(CUT_OFF).unwrap();
    upload.write_all(b"complete but never confirmed").unwrap();
    upload.commit(&NoProgress).unwrap();
    moto.put_empty(&format!("fleet/install-a/.lifeboat-upload-{CUT_OFF}"));
    assert!(target.list().unwrap().is_empty(), "an upload still marked is not listed");
    assert_eq!(target.remove_incomplete().unwrap(), vec![CUT_OFF.to_owned()]);
    assert_eq!(moto.objects("fleet/"), Vec::<String>::new());

    // Cut off right after S3 created the upload, before its id was written down: the
    // marker, written first, names the key, and the upload is found by it. Uploads
    // of another key that starts the same, or of another installation, stay.
    let key = format!("fleet/install-a/{CUT_OFF}");
    let others = [format!("{key}.copy"), format!("fleet/install-b/{CUT_OFF}")];
    moto.put_empty(&format!("fleet/install-a/.lifeboat-upload-{CUT_OFF}"));
    for k in [&key, &key, &others[0], &others[1]] {
        moto.start_upload(k);
    }
    assert!(target.list().unwrap().is_empty());
    assert_eq!(target.remove_incomplete().unwrap(), vec![CUT_OFF.to_owned()]);
    let mut left = moto.multipart_uploads();
    left.sort();
    assert_eq!((left, moto.objects("fleet/")), (others.to_vec(), Vec::new()), "both uploads of the key aborted, the marker gone, the rest untouched");
}

fn engine_with_tree(root: &std::path::Path, clock: &common::TestClock) -> Engine {
    common::make_tree(&root.join("tree"));
    // 12 MiB of incompressible data: more than one part.
    std::fs::write(root.join("tree/big.bin"), random(12 << 20, 7)).unwrap();
    let engine = common::engine(&root.join("data"), clock);
    engine.add_item(&root.join("tree"), Some("tree"), None, vec![]).unwrap();
    engine.set_passphrase("a passphrase for object storage").unwrap();
    engine
}

/// Backup, list, verify, restore and retention through the configured location.
fn round_trip(engine: &Engine, root: &std::path::Path, clock: &common::TestClock) {
    let cancel = Cancel::default();
    let first = engine.backup_now(&NoProgress, &cancel).unwrap();
    let listed = engine.list_backups().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id.as_deref(), Some(first.id.as_str()));
    let identity = lifeboat_core::protector::PassphraseIdentity::new(Zeroizing::new("a passphrase for object storage".into()));
    engine.verify(&first.id, Some(&identity), &NoProgress, &cancel).unwrap();
    let request = lifeboat_core::commands::restore::RestoreRequest { items: vec![], paths: vec![], to: Some(root.join("restored")) };
    engine.restore(&first.id, Some(&identity), request, &NoProgress, &cancel).unwrap();
    common::assert_same_tree(&root.join("tree"), &root.join("restored/tree"));

    std::fs::remove_file(root.join("tree/big.bin")).unwrap();
    for _ in 0..3 {
        clock.advance(chrono::Duration::days(1));
        engine.backup_now(&NoProgress, &cancel).unwrap();
    }
    let deleted = engine.set_retention(lifeboat_core::retention::RetentionPolicy { days: 2, max_count: 30 }, true).unwrap();
    assert!(!deleted.is_empty());
    let report = engine.retention_now(&NoProgress, &cancel).unwrap();
    assert_eq!(report.deleted.len(), deleted.len());
    let left: Vec<String> = engine.list_backups().unwrap().into_iter().map(|b| b.file_name).collect();
    assert_eq!(left.len(), 4 - deleted.len());
    assert!(deleted.iter().all(|d| !left.contains(&d.file_name)), "deleted from the store");
}

#[test]
fn backups_round_trip_through_azure_and_retention_deletes_there() {
    let _serial = one_at_a_time();
    let azurite = Azurite::start();
    let tmp = tempfile::tempdir().unwrap();
    let clock = common::TestClock::new();
    let engine = engine_with_tree(tmp.path(), &clock);
    let draft = LocationDraft::azure(AZURITE_ACCOUNT, format!("{}/fleet", azurite.container), azurite.endpoint(), AZURITE_KEY);
    let applied = engine.change_settings(|d| d.location = draft, false).unwrap();
    assert_eq!(applied.settings.location.description, format!("Azure container {AZURITE_ACCOUNT}/{}/fleet at {}", azurite.container, azurite.endpoint()));
    round_trip(&engine, tmp.path(), &clock);
    // The key is in the vault, not in the catalog.
    let catalog = std::fs::read(tmp.path().join("data/catalog.db")).unwrap();
    assert!(!catalog.windows(AZURITE_KEY.len()).any(|w| w == AZURITE_KEY.as_bytes()), "no access key in the catalog");
    // Saving again without the key keeps it (same account and endpoint).
    let again = LocationDraft::azure(AZURITE_ACCOUNT, format!("{}/fleet", azurite.container), azurite.endpoint(), "");
    engine.change_settings(|d| d.location = again, false).unwrap();
    engine.test_location(None).unwrap();
}

#[test]
fn backups_round_trip_through_s3_and_retention_deletes_there() {
    let _serial = one_at_a_time();
    let moto = Moto::start();
    let tmp = tempfile::tempdir().unwrap();
    let clock = common::TestClock::new();
    let engine = engine_with_tree(tmp.path(), &clock);
    let draft = s3_location(&moto);
    let applied = engine.change_settings(|d| d.location = draft, false).unwrap();
    assert_eq!(applied.settings.location.region.as_deref(), Some("us-east-1"));
    round_trip(&engine, tmp.path(), &clock);
}

/// Upload bytes a refusing store takes before it refuses: the location check and
/// the backup's marker and first part (8 MiB) go through, its second part does not.
const ROOM: u64 = 9 << 20;

/// A store that refuses the upload part-way (`proxy` in front of the real server):
/// the backup fails naming the cause with its code, and nothing is listed. What was
/// sent is discarded at once when the store lets it (`at_once`); otherwise its
/// marker stays for the next backup. Once the store takes uploads again the next
/// backup succeeds, and the store holds that backup and nothing else
/// (`left_there` lists what the server holds).
fn refused_part_way(location: LocationDraft, proxy: &RefusingProxy, (code, says): (lifeboat_core::ErrorCode, &str), at_once: bool, left_there: impl Fn() -> Vec<String>) {
    let tmp = tempfile::tempdir().unwrap();
    let clock = common::TestClock::new();
    let engine = engine_with_tree(tmp.path(), &clock);
    engine.change_settings(|d| d.location = location, false).unwrap();
    let err = engine.backup_now(&NoProgress, &Cancel::default()).unwrap_err();
    assert!(proxy.refused() > 0, "the store refused an upload");
    assert_eq!(err.code(), code, "{err}");
    assert!(err.to_string().contains(says), "{err}");
    assert!(engine.list_backups().unwrap().is_empty(), "nothing half-written is listed");
    let after_failure = left_there();
    if at_once {
        assert_eq!(after_failure, Vec::<String>::new(), "what the failed backup sent is discarded at once");
    } else {
        assert!(after_failure.iter().any(|k| k.contains("/.lifeboat-upload-")), "the marker stays for the next backup: {after_failure:?}");
    }

    proxy.lift();
    let summary = engine.backup_now(&NoProgress, &Cancel::default()).unwrap();
    let listed: Vec<String> = engine.list_backups().unwrap().into_iter().map(|b| b.file_name).collect();
    assert_eq!(listed, std::slice::from_ref(&summary.file_name));
    let there = left_there();
    assert!(there.len() == 1 && there[0].ends_with(&format!("/{}", summary.file_name)), "the store holds only the new backup: {there:?}");
}

#[test]
fn an_s3_store_that_fills_up_fails_the_backup_as_full_and_keeps_nothing_of_it() {
    let _serial = one_at_a_time();
    let moto = Moto::start();
    let proxy = RefusingProxy::start(moto.server.port, ROOM, S3_STORAGE_FULL, S3_STORAGE_FULL_BODY);
    let location = LocationDraft::s3(format!("http://127.0.0.1:{}", proxy.port), "", moto.bucket.clone(), S3_KEY_ID, S3_SECRET);
    // Its parts are aborted and its marker deleted as soon as the backup fails.
    refused_part_way(location, &proxy, (lifeboat_core::ErrorCode::DiskFull, "full or over its quota"), true, || {
        moto.multipart_uploads().into_iter().chain(moto.objects("")).collect()
    });
}

#[test]
fn an_azure_key_that_may_not_write_fails_the_backup_as_denied_and_the_next_backup_discards_what_it_sent() {
    let _serial = one_at_a_time();
    let azurite = Azurite::start();
    let proxy = RefusingProxy::start(azurite.server.port, ROOM, AZURE_NO_WRITE, AZURE_NO_WRITE_BODY);
    let endpoint = format!("http://127.0.0.1:{}/{AZURITE_ACCOUNT}", proxy.port);
    let location = LocationDraft::azure(AZURITE_ACCOUNT, azurite.container.clone(), endpoint, AZURITE_KEY);
    // Azure drops uncommitted blocks only when the blob is written (or after a
    // week): a key that may not write cannot, so the next backup does.
    refused_part_way(location, &proxy, (lifeboat_core::ErrorCode::AccessDenied, "refused access"), false, || azurite.blobs_and_uncommitted(""));
}

#[test]
fn object_storage_failures_name_their_cause() {
    let _serial = one_at_a_time();
    let azurite = Azurite::start();
    let wrong_key = azure(&azurite, &azurite.container, "d3JvbmcgYnV0IHdlbGwtZm9ybWVkIGtleQ==").open("i", TIMEOUT).unwrap();
    let e = wrong_key.list().unwrap_err();
    assert_eq!(e.code().as_str(), "wrong-credentials", "{e}");
    let missing = azure(&azurite, "no-such-container", AZURITE_KEY).open("i", TIMEOUT).unwrap();
    let e = missing.check_writable().unwrap_err();
    assert_eq!(e.code().as_str(), "folder-not-found", "{e}");
    assert!(e.to_string().contains("Lifeboat does not create it"), "{e}");

    let moto = Moto::start();
    let e = s3(&moto, "no-such-bucket").open("i", TIMEOUT).unwrap().list().unwrap_err();
    assert_eq!(e.code().as_str(), "folder-not-found", "{e}");
    let endpoint = format!("http://127.0.0.1:{}/{AZURITE_ACCOUNT}", common::object_servers::unreachable_port());
    let unreachable = AzureBlob { endpoint: Some(endpoint), ..azure(&azurite, &azurite.container, AZURITE_KEY) }.open("i", Duration::from_secs(2)).unwrap();
    let e = unreachable.list().unwrap_err();
    assert_eq!(e.code().as_str(), "server-unreachable", "{e}");

    // Typed fields are checked before anything is contacted, each with its rule.
    let tmp = tempfile::tempdir().unwrap();
    let engine = common::engine(&tmp.path().join("data"), &common::TestClock::new());
    for (draft, says) in [
        (LocationDraft::azure("Bad_Account", "c1c", "", AZURITE_KEY), "storage account name"),
        (LocationDraft::azure("acct", "No--Good", "", AZURITE_KEY), "container name"),
        (LocationDraft::azure("acct", "good/../up", "", AZURITE_KEY), "prefix"),
        (LocationDraft::azure("acct", "good", "ftp://x", AZURITE_KEY), "endpoint"),
        (LocationDraft::azure("acct", "good", "", "not base64!"), "access key"),
        (LocationDraft::azure("acct", "good", "", ""), "Give the access key"),
        (LocationDraft::s3("", "", "B", "id", "s"), "bucket name"),
        (LocationDraft::s3("", "eu central", "bucket", "id", "s"), "region"),
        (LocationDraft::s3("", "", "bucket", "", "s"), "access key id"),
    ] {
        let e = engine.typed_location(&draft).err().unwrap_or_else(|| panic!("{draft:?} was accepted"));
        assert!(e.to_string().contains(says), "{draft:?}: {e}");
    }
}

/// A workstation of a fleet: its own data folder and tree, the shared container.
fn workstation(root: &std::path::Path, name: &str, azurite: &Azurite, clock: &common::TestClock) -> Engine {
    let dir = root.join(name);
    common::make_tree(&dir.join("tree"));
    std::fs::write(dir.join("tree/owner.txt"), name).unwrap();
    let engine = common::engine(&dir.join("data"), clock);
    engine.add_item(&dir.join("tree"), Some("tree"), None, vec![]).unwrap();
    engine.set_passphrase("the fleet's passphrase").unwrap();
    let draft = LocationDraft::azure(AZURITE_ACCOUNT, format!("{}/fleet", azurite.container), azurite.endpoint(), AZURITE_KEY);
    engine.change_settings(|d| d.location = draft, false).unwrap();
    engine
}

#[test]
fn a_fleet_shares_one_container_each_pruning_its_own_and_one_restores_anothers_backup() {
    let _serial = one_at_a_time();
    let azurite = Azurite::start();
    let tmp = tempfile::tempdir().unwrap();
    let clock = common::TestClock::new();
    let cancel = Cancel::default();
    let a = workstation(tmp.path(), "ws-a", &azurite, &clock);
    let b = workstation(tmp.path(), "ws-b", &azurite, &clock);
    for _ in 0..3 {
        a.backup_now(&NoProgress, &cancel).unwrap();
        clock.advance(chrono::Duration::days(1));
    }
    let from_b = b.backup_now(&NoProgress, &cancel).unwrap();
    assert_eq!(a.list_backups().unwrap().len(), 3, "A lists its own backups only");
    assert_eq!(b.list_backups().unwrap().len(), 1);

    // Retention on A prunes A's folder; B's backup stays.
    a.set_retention(lifeboat_core::retention::RetentionPolicy { days: 2, max_count: 30 }, true).unwrap();
    let report = a.retention_now(&NoProgress, &cancel).unwrap();
    assert!(!report.deleted.is_empty());
    assert_eq!(b.list_backups().unwrap().len(), 1, "A's retention left B's backup alone");

    // The fleet, from the headers alone: both, this one first, B fresh.
    let fleet = a.fleet().unwrap();
    assert_eq!(fleet.members.len(), 2, "{fleet:?}");
    let (me, other) = (&fleet.members[0], &fleet.members[1]);
    assert!(me.this_installation && !other.this_installation);
    assert_eq!(me.installation_id, a.installation().unwrap().id.to_string());
    assert_eq!((other.installation_id.as_str(), other.backups), (b.installation().unwrap().id.to_string().as_str(), 1));
    assert_eq!(other.last_backup_id.as_deref(), Some(from_b.id.as_str()));
    assert!(!other.stale, "B backed up just now");
    clock.advance(chrono::Duration::days(3));
    assert!(a.fleet().unwrap().members[1].stale, "three days without a backup is more than twice a day");

    // A fresh installation (a staging copy) restores B's backup from the container.
    let staging = common::engine(&tmp.path().join("staging/data"), &clock);
    let draft = LocationDraft::azure(AZURITE_ACCOUNT, format!("{}/fleet", azurite.container), azurite.endpoint(), AZURITE_KEY);
    staging.change_settings(|d| d.location = draft, false).unwrap();
    assert!(staging.list_backups().unwrap().is_empty(), "nothing of its own yet");
    let b_id = b.installation().unwrap().id.to_string();
    let file = std::sync::Arc::new(staging.inspect_from(&b_id, &from_b.id).unwrap());
    assert!(file.inspection.from_elsewhere && file.inspection.installation_id == b_id);
    let wrong = staging.inspect_from(&a.installation().unwrap().id.to_string(), &from_b.id).err().expect("B's backup is not in A's folder");
    assert!(wrong.to_string().contains("No backup"), "{wrong}");
    let identity = lifeboat_core::protector::PassphraseIdentity::new(Zeroizing::new("the fleet's passphrase".into()));
    let unlocked = std::sync::Arc::new(staging.unlock(&file, Some(&identity)).unwrap());
    let request = lifeboat_core::commands::restore::RestoreRequest { items: vec![], paths: vec![], to: Some(tmp.path().join("staging/restored")) };
    staging.run(lifeboat_core::commands::restore::Restore { backup: unlocked, request }, &NoProgress, &cancel).unwrap();
    common::assert_same_tree(&tmp.path().join("ws-b/tree"), &tmp.path().join("staging/restored/tree"));
    assert_eq!(staging.fleet().unwrap().members.len(), 2, "the staging copy has made no backup yet");
}

#[test]
fn a_fleet_in_one_folder_is_told_apart_by_the_headers() {
    let _serial = one_at_a_time();
    let tmp = tempfile::tempdir().unwrap();
    let clock = common::TestClock::new();
    let cancel = Cancel::default();
    let shared = tmp.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    let engines: Vec<Engine> = ["one", "two"]
        .iter()
        .map(|name| {
            let dir = tmp.path().join(name);
            common::make_tree(&dir.join("tree"));
            let engine = common::engine(&dir.join("data"), &clock);
            engine.add_item(&dir.join("tree"), Some("tree"), None, vec![]).unwrap();
            engine.set_passphrase("a passphrase").unwrap();
            engine.set_local_location(&shared).unwrap();
            engine.backup_now(&NoProgress, &cancel).unwrap();
            engine
        })
        .collect();
    let fleet = engines[0].fleet().unwrap();
    assert_eq!(fleet.members.iter().map(|m| m.backups).collect::<Vec<_>>(), [1, 1]);
    assert!(fleet.members[0].this_installation);
    let other = engines[1].installation().unwrap().id.to_string();
    let theirs = fleet.members[1].last_backup_id.clone().unwrap();
    assert!(engines[0].inspect_from(&other, &theirs).unwrap().inspection.from_elsewhere);
}

/// An engine backing up 256 MiB of incompressible data to Azurite with a short stall
/// timeout (network calls time out after 2 s), started, and well into its upload.
#[cfg(unix)] // for the server-fault tests
fn big_backup_started(location: LocationDraft, root: &std::path::Path) -> (Engine, lifeboat_core::runner::Started<lifeboat_core::commands::backup::BackupSummary>) {
    let clock = common::TestClock::new();
    let engine = engine_with_tree(root, &clock);
    let block = random(4 << 20, 5);
    let mut big = std::fs::File::create(root.join("tree/big.bin")).unwrap();
    for _ in 0..64 {
        big.write_all(&block).unwrap();
    }
    engine.set_stall_timeout_secs(4).unwrap();
    engine.change_settings(|d| d.location = location, false).unwrap();
    let started = engine.start_backup().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while engine.operations(1).unwrap()[0].bytes_done < 40 << 20 {
        assert!(std::time::Instant::now() < deadline, "the upload never got going");
        std::thread::sleep(Duration::from_millis(5));
    }
    (engine, started)
}

#[cfg(unix)] // for the server-fault tests
fn azure_location(azurite: &Azurite) -> LocationDraft {
    LocationDraft::azure(AZURITE_ACCOUNT, azurite.container.clone(), azurite.endpoint(), AZURITE_KEY)
}

fn s3_location(moto: &Moto) -> LocationDraft {
    LocationDraft::s3(moto.endpoint(), "", moto.bucket.clone(), S3_KEY_ID, S3_SECRET)
}

/// A big backup to `location` hit by `fault` once its upload is going: the engine,
/// the backup's error, and how long after the fault it came.
#[cfg(unix)] // for the server-fault tests
fn backup_hit_by(location: LocationDraft, root: &std::path::Path, fault: impl FnOnce()) -> (Engine, lifeboat_core::error::Error, Duration) {
    let (engine, started) = big_backup_started(location, root);
    let hit_at = std::time::Instant::now();
    fault();
    let err = started.wait().unwrap_err();
    (engine, err, hit_at.elapsed())
}

/// Nothing half-written is listed, and the next backup, with the default stall
/// timeout, succeeds and is the only one; returns its file name. (The short timeout
/// made the fault fail fast; a server just thawed or restarted may take longer than
/// it to complete a 256 MiB upload on a busy machine.)
#[cfg(unix)] // for the server-fault tests
fn assert_recovers(engine: &Engine) -> String {
    assert!(engine.list_backups().unwrap().is_empty(), "nothing half-written is listed");
    engine.set_stall_timeout_secs(lifeboat_core::settings::DEFAULT_STALL_TIMEOUT_SECS).unwrap();
    let summary = engine.backup_now(&NoProgress, &Cancel::default()).unwrap();
    let listed: Vec<String> = engine.list_backups().unwrap().into_iter().map(|b| b.file_name).collect();
    assert_eq!(listed, std::slice::from_ref(&summary.file_name));
    summary.file_name
}

// Stops, freezes or restarts the server, which the Windows tests share (common/object_servers.rs).
#[cfg(unix)]
#[test]
fn a_server_killed_mid_upload_fails_the_backup_and_the_next_one_succeeds_after_a_restart() {
    let _serial = one_at_a_time();
    let mut azurite = Azurite::start();
    let tmp = tempfile::tempdir().unwrap();
    let (engine, err, took) = backup_hit_by(azure_location(&azurite), tmp.path(), || azurite.server.kill());
    assert!(took < Duration::from_secs(4), "failed within the stall timeout ({took:?})");
    assert!(["connection-lost", "server-unreachable", "timed-out"].contains(&err.code().as_str()), "{}: {err}", err.code());
    azurite.server.restart("Azurite");
    // Azurite saves its container list now and then; a killed one may have lost it.
    azurite.create_container(&azurite.container);
    let kept = assert_recovers(&engine);
    let held = azurite.blobs_and_uncommitted("");
    assert!(held.len() == 1 && held[0].ends_with(&kept), "only the new backup is left, no marker or uncommitted blocks: {held:?}");
}

// Stops, freezes or restarts the server, which the Windows tests share (common/object_servers.rs).
#[cfg(unix)]
#[test]
fn a_frozen_server_fails_the_backup_within_the_stall_timeout_and_the_next_one_succeeds() {
    let _serial = one_at_a_time();
    let azurite = Azurite::start();
    let tmp = tempfile::tempdir().unwrap();
    let (engine, err, took) = backup_hit_by(azure_location(&azurite), tmp.path(), || azurite.server.signal("STOP"));
    azurite.server.signal("CONT");
    assert!(took < Duration::from_secs(4), "failed within the stall timeout ({took:?})");
    assert!(["timed-out", "stalled"].contains(&err.code().as_str()), "{}: {err}", err.code());
    let kept = assert_recovers(&engine);
    // Blocks the thawed server stores from requests given up on can land after the
    // clean-up; Azure drops uncommitted blocks after 7 days (README, Object storage).
    let held = azurite.blobs();
    assert!(held.len() == 1 && held[0].ends_with(&kept), "only the new backup is left, no marker: {held:?}");
}

// Stops, freezes or restarts the server, which the Windows tests share (common/object_servers.rs).
#[cfg(unix)]
#[test]
fn a_frozen_s3_server_fails_the_backup_within_the_stall_timeout_and_the_next_one_leaves_no_upload_behind() {
    let _serial = one_at_a_time();
    let moto = Moto::start();
    let tmp = tempfile::tempdir().unwrap();
    let (engine, err, took) = backup_hit_by(s3_location(&moto), tmp.path(), || moto.server.signal("STOP"));
    moto.server.signal("CONT");
    assert!(took < Duration::from_secs(4), "failed within the stall timeout ({took:?})");
    assert!(["timed-out", "stalled"].contains(&err.code().as_str()), "{}: {err}", err.code());
    let kept = assert_recovers(&engine);
    assert_eq!(moto.multipart_uploads(), Vec::<String>::new(), "the cut-off upload was aborted");
    let held = moto.objects("");
    assert!(held.len() == 1 && held[0].ends_with(&kept), "only the new backup is left, no marker: {held:?}");
}

// Stops, freezes or restarts the server, which the Windows tests share (common/object_servers.rs).
#[cfg(unix)]
#[test]
fn a_killed_s3_server_fails_the_backup_within_the_stall_timeout_and_the_next_one_succeeds_after_a_restart() {
    let _serial = one_at_a_time();
    let mut moto = Moto::start();
    let tmp = tempfile::tempdir().unwrap();
    let (engine, err, took) = backup_hit_by(s3_location(&moto), tmp.path(), || moto.server.kill());
    assert!(took < Duration::from_secs(4), "failed within the stall timeout ({took:?})");
    assert!(["connection-lost", "server-unreachable", "timed-out"].contains(&err.code().as_str()), "{}: {err}", err.code());
    moto.server.restart("moto");
    // moto keeps everything in memory: the restarted one starts empty.
    moto.create_bucket(&moto.bucket);
    assert_recovers(&engine);
}

#[test]
fn a_thousand_backups_are_listed_by_their_headers_then_from_the_cache_in_one_list_call() {
    let _serial = one_at_a_time();
    use common::counting::{counting, Counts};
    use std::sync::atomic::Ordering;
    let azurite = Azurite::start();
    let tmp = tempfile::tempdir().unwrap();
    let clock = common::TestClock::new();
    let mut engine = engine_with_tree(tmp.path(), &clock);
    std::fs::remove_file(tmp.path().join("tree/big.bin")).unwrap();
    engine.set_retention(lifeboat_core::retention::RetentionPolicy { days: 14, max_count: 1000 }, true).unwrap();
    let made = engine.backup_now(&NoProgress, &Cancel::default()).unwrap();
    let bytes = std::fs::read(tmp.path().join("data/backups").join(&made.file_name)).unwrap();
    // The same backup under a thousand names, straight into this installation's folder.
    let installation = engine.installation().unwrap().id.to_string();
    let folder = azure(&azurite, &azurite.container, AZURITE_KEY);
    let folder = AzureBlob { prefix: String::new(), ..folder }.open(&installation, TIMEOUT).unwrap();
    for i in 0..1000 {
        let mut upload = folder.create(&format!("lifeboat-20261101T{:06}Z-{i:08x}.lbk", i)).unwrap();
        upload.write_all(&bytes).unwrap();
        upload.commit(&NoProgress).unwrap();
    }
    let counts = std::sync::Arc::new(Counts::default());
    engine.layer_targets(counting(&counts));
    let draft = LocationDraft::azure(AZURITE_ACCOUNT, azurite.container.clone(), azurite.endpoint(), AZURITE_KEY);
    engine.change_settings(|d| d.location = draft, false).unwrap();
    let before = (counts.listed.load(Ordering::SeqCst), counts.heads.load(Ordering::SeqCst));

    let first = std::time::Instant::now();
    assert_eq!(engine.list_backups().unwrap().len(), 1000);
    let first = first.elapsed();
    let after_first = (counts.listed.load(Ordering::SeqCst) - before.0, counts.heads.load(Ordering::SeqCst) - before.1);
    assert_eq!(after_first, (1, 1000), "one list call, each header read once (ranged GETs)");
    assert_eq!(counts.opened.load(Ordering::SeqCst), 0, "no backup opened whole");
    let second = std::time::Instant::now();
    assert_eq!(engine.list_backups().unwrap().len(), 1000);
    let second = second.elapsed();
    let after_second = (counts.listed.load(Ordering::SeqCst) - before.0, counts.heads.load(Ordering::SeqCst) - before.1);
    assert_eq!(after_second, (2, 1000), "the unchanged container cost one list call and no header read");
    println!("1,000 backups in Azurite: first listing {first:?} (1 list call + 1,000 header reads), second {second:?} (1 list call)");
}

#[test]
fn a_lost_workstation_is_recovered_from_the_container_with_its_key_and_backups() {
    let _serial = one_at_a_time();
    let azurite = Azurite::start();
    let tmp = tempfile::tempdir().unwrap();
    let clock = common::TestClock::new();
    let cancel = Cancel::default();
    let lost = workstation(tmp.path(), "ws-lost", &azurite, &clock);
    let other = workstation(tmp.path(), "ws-other", &azurite, &clock);
    other.backup_now(&NoProgress, &cancel).unwrap();
    clock.advance(chrono::Duration::hours(1));
    let last = lost.backup_now(&NoProgress, &cancel).unwrap();

    // A new machine: nothing configured. It finds every installation's backups in the
    // container, newest first, and recovers from the lost one's.
    let fresh = common::engine(&tmp.path().join("new-machine/data"), &clock);
    let draft = LocationDraft::azure(AZURITE_ACCOUNT, format!("{}/fleet", azurite.container), azurite.endpoint(), AZURITE_KEY);
    let there = fresh.typed_location(&draft).unwrap();
    let listed = fresh.list_backups_at(&there).unwrap();
    assert_eq!(listed.len(), 2, "both installations' backups");
    assert_eq!(listed[0].id.as_deref(), Some(last.id.as_str()), "newest first");
    let file = std::sync::Arc::new(fresh.inspect_at(&there, Some(&last.id)).unwrap());
    let identity = lifeboat_core::protector::PassphraseIdentity::new(Zeroizing::new("the fleet's passphrase".into()));
    let unlocked = std::sync::Arc::new(fresh.unlock(&file, Some(&identity)).unwrap());
    fresh.run(lifeboat_core::commands::recover::Recover { backup: unlocked, replace: false }, &NoProgress, &cancel).unwrap();

    // It is the lost workstation again: same installation, its location with the key
    // from the vault (no key typed), its own backups listed, and the next one lands there.
    assert_eq!(fresh.installation().unwrap().id, lost.installation().unwrap().id);
    assert_eq!(fresh.settings().unwrap().location.kind, lifeboat_core::settings::LocationKind::Azure);
    assert_eq!(fresh.list_backups().unwrap().len(), 1);
    fresh.backup_now(&NoProgress, &cancel).unwrap();
    assert_eq!(lost.list_backups().unwrap().len(), 2, "the old machine's folder got the new backup");
}
