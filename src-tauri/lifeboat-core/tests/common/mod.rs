//! Helpers shared by the engine's integration tests.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use chrono::{DateTime, TimeZone, Utc};
use lifeboat_core::commands::backup::{Backup, BackupSummary};
use lifeboat_core::commands::restore::{Restore, RestoreReport, RestoreRequest};
use lifeboat_core::commands::retention::{Retention, RetentionReport};
use lifeboat_core::commands::verify::{Verify, VerifyOutcome};
use lifeboat_core::engine::Engine;
use lifeboat_core::format::ItemKind;
use lifeboat_core::progress::{Cancel, Progress};
use lifeboat_core::protector::Identity;
use lifeboat_core::retention::{Decision, RetentionPolicy};
use lifeboat_core::runner::Started;
use lifeboat_core::schedule::Schedule;
use lifeboat_core::settings::{CertificateSummary, EncryptionChange, ItemChoice, ItemDraft, LocationDraft, LocationInfo, ScheduleMode};
use lifeboat_core::Result;
use rand::{RngExt, SeedableRng};

/// A clock the test moves by hand.
#[derive(Clone)]
pub struct TestClock(pub Arc<Mutex<DateTime<Utc>>>);

impl TestClock {
    pub fn new() -> Self {
        TestClock(Arc::new(Mutex::new(Utc.with_ymd_and_hms(2026, 3, 1, 1, 0, 0).unwrap())))
    }

    pub fn advance(&self, by: chrono::Duration) {
        *self.0.lock().unwrap() += by;
    }
}

pub fn engine(data_dir: &Path, clock: &TestClock) -> Engine {
    keep_vault_keys_in_files();
    let clock = clock.0.clone();
    Engine::open_with_clock(data_dir, Arc::new(move || *clock.lock().unwrap())).unwrap()
}

/// Tests keep vault keys in the data folder's file, never in a developer's keyring
/// (the keyring itself is tested on its own under a private keyring daemon).
pub fn keep_vault_keys_in_files() {
    std::env::set_var(lifeboat_core::vault::key_home::STORE_SWITCH, "off");
}

/// The one-call changes tests make, each applied as a settings draft (one
/// transaction), as the CLI and the desktop do.
pub trait Configure {
    fn add_item(&self, path: &Path, name: Option<&str>, kind: Option<ItemKind>, excludes: Vec<String>) -> Result<()>;
    /// The certificate as now shown.
    fn set_certificate(&self, der: &[u8], add: bool) -> Result<CertificateSummary>;
    fn set_passphrase(&self, passphrase: &str) -> Result<()>;
    /// A new legacy key (only a configuration that uses one may).
    fn set_key(&self, key: &str) -> Result<()>;
    fn remove_item(&self, name: &str) -> Result<()>;
    fn set_retention(&self, policy: RetentionPolicy, confirmed: bool) -> Result<Vec<Decision>>;
    fn set_schedule(&self, schedule: Schedule) -> Result<()>;
    fn set_expiry_days(&self, days: u32) -> Result<()>;
    fn set_stall_timeout_secs(&self, secs: u32) -> Result<()>;
    fn set_local_location(&self, dir: &Path) -> Result<()>;
    fn set_smb_location(&self, share: &str, user: &str, password: Option<&str>) -> Result<LocationInfo>;
    fn schedule(&self) -> Result<Schedule>;
    /// Inspect, unlock with `identity`, restore.
    fn restore(&self, selector: &str, identity: Option<&dyn Identity>, request: RestoreRequest, progress: &dyn Progress, cancel: &Cancel) -> Result<RestoreReport>;
    /// Inspect, then verify: every byte with an identity, else the checksum.
    fn verify(&self, selector: &str, identity: Option<&dyn Identity>, progress: &dyn Progress, cancel: &Cancel) -> Result<VerifyOutcome>;
    fn retention_now(&self, progress: &dyn Progress, cancel: &Cancel) -> Result<RetentionReport>;
    fn start_backup(&self) -> Result<Started<BackupSummary>>;
}

impl Configure for Engine {
    fn add_item(&self, path: &Path, name: Option<&str>, kind: Option<ItemKind>, excludes: Vec<String>) -> Result<()> {
        let kind = match kind {
            None => ItemChoice::Auto,
            Some(ItemKind::Folder) => ItemChoice::Folder,
            Some(ItemKind::Sqlite) => ItemChoice::Sqlite,
            Some(_) => ItemChoice::File,
        };
        let item = ItemDraft { name: name.map(String::from), path: path.display().to_string(), kind, excludes };
        self.change_settings(|d| d.items.push(item), false).map(drop)
    }

    fn set_certificate(&self, der: &[u8], add: bool) -> Result<CertificateSummary> {
        let file = tempfile::Builder::new().suffix(".cer").tempfile().unwrap();
        fs::write(file.path(), der).unwrap();
        let path = file.path().display().to_string();
        let applied = self.change_settings(|d| d.encryption = EncryptionChange::Certificate { path, add }, false)?;
        Ok(applied.settings.encryption.certificates.last().cloned().expect("a certificate was set"))
    }

    fn set_passphrase(&self, passphrase: &str) -> Result<()> {
        let change = EncryptionChange::Passphrase { passphrase: passphrase.into(), confirm: passphrase.into() };
        self.change_settings(|d| d.encryption = change, false).map(drop)
    }

    fn set_key(&self, key: &str) -> Result<()> {
        let change = EncryptionChange::Key { key: key.into() };
        self.change_settings(|d| d.encryption = change, false).map(drop)
    }

    fn remove_item(&self, name: &str) -> Result<()> {
        let mut draft = self.settings_draft()?;
        draft.remove_item(name)?;
        self.apply_settings(&draft, false).map(drop)
    }

    fn set_retention(&self, policy: RetentionPolicy, confirmed: bool) -> Result<Vec<Decision>> {
        self.change_settings(
            |d| {
                d.retention_days = policy.days;
                d.max_count = policy.max_count;
            },
            confirmed,
        )
        .map(|applied| applied.deletions)
    }

    fn set_schedule(&self, schedule: Schedule) -> Result<()> {
        self.change_settings(
            |d| match schedule {
                Schedule::EveryHours { hours, .. } => {
                    d.schedule_mode = ScheduleMode::EveryHours;
                    d.every_hours = hours;
                }
                Schedule::DailyAt { hour, minute } => {
                    d.schedule_mode = ScheduleMode::DailyAt;
                    d.daily_at = format!("{hour:02}:{minute:02}");
                }
            },
            false,
        )
        .map(drop)
    }

    fn set_expiry_days(&self, days: u32) -> Result<()> {
        self.change_settings(|d| d.expiry_days = days, false).map(drop)
    }

    fn set_stall_timeout_secs(&self, secs: u32) -> Result<()> {
        self.change_settings(|d| d.stall_timeout_secs = secs, false).map(drop)
    }

    fn set_local_location(&self, dir: &Path) -> Result<()> {
        let location = LocationDraft::local(dir.display().to_string());
        self.change_settings(|d| d.location = location, false).map(drop)
    }

    fn set_smb_location(&self, share: &str, user: &str, password: Option<&str>) -> Result<LocationInfo> {
        let location = LocationDraft::smb(share, user, password.unwrap_or_default());
        self.change_settings(|d| d.location = location, false)?;
        self.test_location(None)
    }

    fn schedule(&self) -> Result<Schedule> {
        Ok(self.settings()?.schedule.schedule)
    }

    fn restore(&self, selector: &str, identity: Option<&dyn Identity>, request: RestoreRequest, progress: &dyn Progress, cancel: &Cancel) -> Result<RestoreReport> {
        let file = std::sync::Arc::new(self.inspect(selector)?);
        let backup = std::sync::Arc::new(self.unlock(&file, identity)?);
        self.run(Restore { backup, request }, progress, cancel)
    }

    fn verify(&self, selector: &str, identity: Option<&dyn Identity>, progress: &dyn Progress, cancel: &Cancel) -> Result<VerifyOutcome> {
        let file = std::sync::Arc::new(self.inspect(selector)?);
        let verb = match identity {
            Some(identity) => Verify::Authenticated(std::sync::Arc::new(self.unlock(&file, Some(identity))?)),
            None => Verify::WithoutKey(file),
        };
        self.run(verb, progress, cancel)
    }

    fn retention_now(&self, progress: &dyn Progress, cancel: &Cancel) -> Result<RetentionReport> {
        self.run(Retention, progress, cancel)
    }

    fn start_backup(&self) -> Result<Started<BackupSummary>> {
        self.start(Backup, &Cancel::default())
    }
}

/// A data folder as Lifeboat 0.1 left it with a legacy key: the encryption setting
/// in the catalog and the key in `secrets/legacy.key`. Only such a configuration may
/// use (and rotate) a legacy key.
pub fn legacy_key_configuration(data_dir: &Path, key_base64: &str) {
    let key = lifeboat_core::protector::parse_legacy_key(key_base64).unwrap();
    keep_vault_keys_in_files();
    drop(Engine::open(data_dir).unwrap());
    let catalog = rusqlite::Connection::open(data_dir.join("catalog.db")).unwrap();
    let setting = serde_json::json!({ "mode": "key", "key_id": key.key_id(), "set_at": "2026-01-01T00:00:00Z" });
    catalog.execute("INSERT INTO settings (key, value) VALUES ('encryption', ?1) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [setting.to_string()]).unwrap();
    fs::create_dir_all(data_dir.join("secrets")).unwrap();
    fs::write(data_dir.join("secrets/legacy.key"), key_base64.trim()).unwrap();
}

fn set_mtime(path: &Path, secs: u64) {
    set_modified(path, UNIX_EPOCH + Duration::new(secs, 123_456_789));
}

/// Sets a file's or folder's modification time. Windows opens a folder only with
/// backup semantics, and writing its time needs write-attributes access.
pub fn set_modified(path: &Path, time: std::time::SystemTime) {
    let mut options = fs::File::options();
    #[cfg(unix)]
    options.write(!path.is_dir()).read(path.is_dir());
    #[cfg(windows)]
    {
        use std::os::windows::fs::OpenOptionsExt;
        const FILE_WRITE_ATTRIBUTES: u32 = 0x100;
        const FILE_FLAG_BACKUP_SEMANTICS: u32 = 0x0200_0000;
        options.access_mode(FILE_WRITE_ATTRIBUTES).custom_flags(FILE_FLAG_BACKUP_SEMANTICS);
    }
    options.open(path).unwrap().set_modified(time).unwrap();
}

/// Gives a file or folder a Unix mode. Windows has none to give: a backup made there
/// records 0644, or 0444 for a read-only file.
pub fn set_mode(path: &Path, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
    }
    let _ = (path, mode);
}

/// The mode a backup records for what `meta` describes (see `set_mode`).
pub fn mode_of(meta: &fs::Metadata) -> u32 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.permissions().mode() & 0o7777
    }
    #[cfg(not(unix))]
    if meta.permissions().readonly() {
        0o444
    } else {
        0o644
    }
}

/// What a backup written now says about itself, in whole seconds: the header prints
/// fractions with 0, 3, 6 or 9 digits, and tests that swap or edit headers need two
/// backups' headers to have the same length.
pub fn meta_now(lifeboat_version: &str) -> lifeboat_core::commands::backup::BackupMeta {
    let now = chrono::SubsecRound::trunc_subsecs(Utc::now(), 0);
    lifeboat_core::commands::backup::BackupMeta {
        backup_id: uuid::Uuid::new_v4(),
        created_at: now,
        expires_at: now + chrono::Duration::days(30),
        installation: lifeboat_core::format::Installation { id: uuid::Uuid::new_v4(), name: "host".into() },
        lifeboat_version: lifeboat_version.into(),
        audit_head: None,
    }
}

/// A small tree with what trips backup tools up: empty files and folders, non-ASCII
/// names, modes, a link, data that crosses block boundaries, incompressible data.
pub fn make_tree(root: &Path) {
    fs::create_dir_all(root.join("nested/deeper")).unwrap();
    fs::create_dir_all(root.join("empty-dir")).unwrap();
    fs::write(root.join("hello.txt"), "Hello, Lifeboat!\n").unwrap();
    fs::write(root.join("empty.txt"), "").unwrap();
    fs::write(root.join("nested/ünïcødé €.conf"), "key = välue\n").unwrap();
    fs::write(root.join("nested/deeper/日本語.json"), "{\"a\": 1}\n").unwrap();
    let compressible: String = (0..200_000).map(|i| format!("line {i} of a log file\n")).collect();
    fs::write(root.join("nested/big.log"), compressible).unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let random: Vec<u8> = (0..2_500_000).map(|_| rng.random::<u8>()).collect();
    fs::write(root.join("nested/random.bin"), random).unwrap();
    fs::write(root.join("script.sh"), "#!/bin/sh\necho hi\n").unwrap();
    set_mode(&root.join("script.sh"), 0o750);
    fs::write(root.join("secret.key"), "s3cr3t").unwrap();
    set_mode(&root.join("secret.key"), 0o600);
    #[cfg(unix)]
    std::os::unix::fs::symlink("hello.txt", root.join("link-to-hello")).unwrap();
    // Windows lets only an administrator, or developer mode, make a link (Wine lets
    // anyone): without the right the tree has none.
    #[cfg(windows)]
    if let Err(e) = std::os::windows::fs::symlink_file("hello.txt", root.join("link-to-hello")) {
        assert_eq!(e.raw_os_error(), Some(1314), "making a link: {e}");
    }
    for (i, p) in ["hello.txt", "empty.txt", "nested/big.log", "script.sh", "nested/deeper/日本語.json"].iter().enumerate() {
        set_mtime(&root.join(p), 1_600_000_000 + i as u64 * 1000);
    }
    for (i, p) in ["nested/deeper", "nested", "empty-dir"].iter().enumerate() {
        set_mtime(&root.join(p), 1_500_000_000 + i as u64);
    }
    set_mode(&root.join("empty-dir"), 0o700);
}

/// Every path below `root`, relative, sorted.
fn listing(root: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir(root).into_iter().map(|p| p.strip_prefix(root).unwrap().to_owned()).collect();
    out.sort();
    out
}

fn walkdir(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        out.push(path.clone());
        if fs::symlink_metadata(&path).unwrap().is_dir() {
            out.extend(walkdir(&path));
        }
    }
    out
}

/// Same paths, kinds, contents, modes and modification times (links: same target).
pub fn assert_same_tree(expected: &Path, actual: &Path) {
    assert_eq!(listing(expected), listing(actual), "different paths in {} and {}", expected.display(), actual.display());
    for rel in listing(expected).into_iter().chain([PathBuf::new()]) {
        let (a, b) = (expected.join(&rel), actual.join(&rel));
        let (ma, mb) = (fs::symlink_metadata(&a).unwrap(), fs::symlink_metadata(&b).unwrap());
        assert_eq!(ma.file_type(), mb.file_type(), "{}", rel.display());
        if ma.file_type().is_symlink() {
            assert_eq!(fs::read_link(&a).unwrap(), fs::read_link(&b).unwrap());
            continue;
        }
        assert_eq!(mode_of(&ma), mode_of(&mb), "mode of {}", rel.display());
        assert_eq!(ma.modified().unwrap(), mb.modified().unwrap(), "mtime of {}", rel.display());
        if ma.is_file() {
            assert!(fs::read(&a).unwrap() == fs::read(&b).unwrap(), "content of {}", rel.display());
        }
    }
}

pub fn make_sqlite(path: &Path, rows: usize) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch("PRAGMA journal_mode=WAL; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);").unwrap();
    let tx = conn.unchecked_transaction().unwrap();
    for i in 0..rows {
        tx.execute("INSERT INTO t (v) VALUES (?1)", [format!("row {i} {}", "x".repeat(100))]).unwrap();
    }
    tx.commit().unwrap();
}

pub fn sqlite_ok(path: &Path) -> i64 {
    let conn = rusqlite::Connection::open(path).unwrap();
    let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok", "integrity_check of {}", path.display());
    conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap()
}

pub fn openssl(dir: &Path, args: &[&str]) {
    host_programs::run("openssl", args, Some(dir));
}

pub fn openssl_output(dir: &Path, args: &[&str]) -> String {
    host_programs::run("openssl", args, Some(dir))
}

pub mod counting;
pub mod host_programs;
pub mod object_servers;
pub mod refusing_proxy;
pub mod samba;

/// Unlocks `file` and recovers the installation from it, as `lifeboat recover` does.
pub fn recover_from(
    engine: &Engine,
    file: lifeboat_core::commands::open::BackupFile,
    identity: Option<&dyn Identity>,
    replace: bool,
) -> Result<lifeboat_core::commands::recover::RecoveryReport> {
    let unlocked = Arc::new(engine.unlock(&Arc::new(file), identity)?);
    engine.run(lifeboat_core::commands::recover::Recover { backup: unlocked, replace }, &lifeboat_core::progress::NoProgress, &Cancel::default())
}

/// Everything an administrator sees of a vault: each object (active and deleted)
/// with every version and its attributes.
pub fn vault_contents(engine: &Engine) -> Vec<(lifeboat_core::vault::ObjectSummary, Vec<lifeboat_core::vault::VersionInfo>)> {
    let vault = engine.vault().unwrap();
    [false, true]
        .into_iter()
        .flat_map(|deleted| vault.list(None, deleted).unwrap())
        .map(|o| {
            let versions = vault.versions(o.kind, &o.name).unwrap();
            (o, versions)
        })
        .collect()
}

/// The access list of `path` allows its owner and SYSTEM and no one else (Windows).
#[cfg(windows)]
pub fn assert_owner_only_acl(path: &Path) {
    use lifeboat_core::owner_only::{current_user_sid, read_access, SYSTEM_SID};
    let access = read_access(path).unwrap();
    let mut sids: Vec<String> = access.allowed.iter().map(|(sid, _)| sid.clone()).collect();
    sids.sort();
    let mut expected = vec![current_user_sid().unwrap(), SYSTEM_SID.to_string()];
    expected.sort();
    assert_eq!(sids, expected, "{} is not its owner's alone: {access:?}", path.display());
    assert_eq!(access.other_entries, 0, "{access:?}");
}
