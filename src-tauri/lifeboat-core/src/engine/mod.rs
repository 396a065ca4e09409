//! The engine as front ends see it: one data folder (catalog, secrets, scratch space),
//! the user's settings, and the operations (backup, list, verify, restore). The CLI
//! and the desktop app call only this.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::backup::{backup_file_name, write_backup, BackupMeta, Scratch, Source};
use crate::catalog::{BackupRecord, Catalog, ProtectedItem};
use crate::error::{Error, IoContext, Result};
use crate::format::{read_header, EncryptionKind, Header, Installation, ItemKind, Stanza};
use crate::fsutil::write_atomic;
use crate::items::{new_item, plan_item, sqlite_snapshot, PlannedEntry, CONFIG_ITEM};
use crate::events::EventBus;
use crate::operation::{OperationKind, RunningOperation, StartOptions, Trigger};
use crate::progress::{Cancel, NoProgress, Phase, Progress};
use crate::protector::{
    parse_legacy_key, CertificateInfo, KeyRecipient, LegacyKey, NoneRecipient, PassphraseRecipient, Recipient,
    RsaRecipient,
};

mod automation;
mod location;
mod recovery;
pub use automation::{check_expiry_days, RetentionReport, ScheduleInfo, Status};
pub use location::{check_user, Location, LocationInfo, LocationInput, LocationSetting};
pub use recovery::{BackupInspection, ContentEntry, ContentItem, RestoreRequest, SharedIdentity, UnlockedBackup, VerifyOutcome};

pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

pub const DEFAULT_EXPIRY_DAYS: u32 = 30;

const SETTING_INSTALLATION: &str = "installation";
const SETTING_ENCRYPTION: &str = "encryption";
const SETTING_KEY_RETIRED: &str = "encryption.key_retired_at";
const SETTING_EXPIRY_DAYS: &str = "backup.expiry_days";
const SECRET_PASSPHRASE_KEK: &str = "passphrase.kek";
const SECRET_LEGACY_KEY: &str = "legacy.key";

/// How new backups are encrypted. Secrets (the passphrase-derived key, the legacy key)
/// are kept in the data folder's `secrets/`, never in the catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "lowercase")]
pub enum EncryptionSetting {
    Certificate {
        certificates: Vec<CertificateInfo>,
    },
    Passphrase {
        #[serde(with = "crate::b64")]
        salt: Vec<u8>,
        m_kib: u32,
        t: u32,
        p: u32,
        set_at: DateTime<Utc>,
    },
    Key {
        key_id: String,
        set_at: DateTime<Utc>,
    },
    None {
        set_at: DateTime<Utc>,
    },
}

/// What `encryption show` shows: public facts only.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
pub struct EncryptionInfo {
    pub mode: Option<String>,
    pub certificates: Vec<CertificateSummary>,
    pub key_id: Option<String>,
    pub warnings: Vec<String>,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
pub struct CertificateSummary {
    pub thumbprint: String,
    pub subject: String,
    pub not_after: DateTime<Utc>,
    #[cfg_attr(feature = "specta", specta(type = u32))]
    pub key_bits: usize,
}

impl From<&CertificateInfo> for CertificateSummary {
    fn from(c: &CertificateInfo) -> Self {
        CertificateSummary { thumbprint: c.thumbprint.clone(), subject: c.subject.clone(), not_after: c.not_after, key_bits: c.key_bits }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct BackupSummary {
    #[serde(flatten)]
    pub record: BackupRecord,
    pub entries: u64,
    pub bytes: u64,
    pub removed_incomplete: Vec<String>,
    /// The retention sweep that follows every successful backup.
    pub retention: Option<RetentionReport>,
    /// Why that sweep did not run or failed (the backup itself succeeded).
    pub retention_error: Option<String>,
}

/// A backup as listed from its header alone (no key needed).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
pub struct BackupListing {
    pub file_name: String,
    #[cfg_attr(feature = "specta", specta(type = u32))]
    pub size: u64,
    pub id: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub installation: Option<String>,
    pub installation_id: Option<String>,
    pub lifeboat_version: Option<String>,
    pub encryption: Option<String>,
    /// Thumbprints, key ids, "passphrase" or "none".
    pub recipients: Vec<String>,
    pub expired: bool,
    pub unencrypted: bool,
    /// From the catalog when this installation made it: complete | warnings.
    pub status: Option<String>,
    /// Why the header could not be read, for files that are not usable backups.
    pub problem: Option<String>,
    /// Who started the backup (scheduled, on-demand, cli, catch-up), when made here.
    pub trigger: Option<String>,
    /// Why retention keeps it, or that the next sweep deletes it.
    pub retention: Option<String>,
}

/// An operation accepted and running on its own thread.
pub struct StartedOperation<T> {
    pub id: String,
    pub handle: std::thread::JoinHandle<Result<T>>,
}

impl<T> StartedOperation<T> {
    /// Waits for the outcome.
    pub fn wait(self) -> Result<T> {
        self.handle.join().unwrap_or_else(|_| Err(Error::operation("the operation's thread crashed")))
    }
}

pub struct Engine {
    data_dir: PathBuf,
    pub(crate) catalog: Catalog,
    clock: Clock,
    events: Arc<EventBus>,
    /// Recorded as the trigger of operations the user starts: `cli` for the command
    /// line, `on-demand` for the desktop app.
    interactive: Trigger,
}

impl Engine {
    /// The data folder used when none is given: the user's data directory.
    pub fn default_data_dir() -> Result<PathBuf> {
        dirs::data_dir()
            .map(|d| d.join("lifeboat"))
            .ok_or_else(|| Error::input("No user data directory is known here; give --data-dir or LIFEBOAT_DATA_DIR."))
    }

    pub fn open(data_dir: &Path) -> Result<Self> {
        Self::open_with_clock(data_dir, Arc::new(Utc::now))
    }

    /// Like `open`, with the time source injected (tests use a fixed clock).
    pub fn open_with_clock(data_dir: &Path, clock: Clock) -> Result<Self> {
        let data_dir = std::path::absolute(data_dir).with_path("resolving", data_dir)?;
        let events = Arc::new(EventBus::with_log(data_dir.join("logs")));
        Self::open_shared(&data_dir, clock, events)
    }

    /// Another engine on the same data folder, clock and event bus (for a worker
    /// thread: an engine holds a database connection and stays on one thread).
    pub fn reopen(&self) -> Result<Self> {
        let mut engine = Self::open_shared(&self.data_dir, self.clock.clone(), self.events.clone())?;
        engine.interactive = self.interactive;
        Ok(engine)
    }

    fn open_shared(data_dir: &Path, clock: Clock, events: Arc<EventBus>) -> Result<Self> {
        fs::create_dir_all(data_dir).with_path("creating the data folder", data_dir)?;
        let catalog = Catalog::open(&data_dir.join("catalog.db"))?;
        let engine = Engine { data_dir: data_dir.to_owned(), catalog, clock, events, interactive: Trigger::Cli };
        if engine.catalog.setting::<Installation>(SETTING_INSTALLATION)?.is_none() {
            let name = gethostname::gethostname().to_string_lossy().into_owned();
            engine.catalog.set_setting(SETTING_INSTALLATION, &Installation { id: Uuid::new_v4(), name })?;
        }
        Ok(engine)
    }

    /// The trigger recorded for operations the user starts through this engine.
    pub fn set_interactive_trigger(&mut self, trigger: Trigger) {
        self.interactive = trigger;
    }

    pub fn events(&self) -> &Arc<EventBus> {
        &self.events
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    pub fn installation(&self) -> Result<Installation> {
        self.catalog
            .setting(SETTING_INSTALLATION)?
            .ok_or_else(|| Error::operation("the catalog has no installation id"))
    }

    // ---- protected items ----

    pub fn add_item(&self, path: &Path, name: Option<&str>, kind: Option<ItemKind>, excludes: Vec<String>) -> Result<ProtectedItem> {
        let item = self.check_item(path, name, kind, excludes)?;
        self.catalog.add_item(&item, self.now())?;
        Ok(item)
    }

    /// Validates an item as `add_item` would, without adding it.
    pub fn check_item(&self, path: &Path, name: Option<&str>, kind: Option<ItemKind>, excludes: Vec<String>) -> Result<ProtectedItem> {
        let item = new_item(path, name, kind, excludes)?;
        if item.path.starts_with(&self.data_dir) || self.data_dir.starts_with(&item.path) {
            return Err(Error::input(format!(
                "{} overlaps Lifeboat's data folder {}; its configuration is backed up as the built-in {CONFIG_ITEM} item.",
                item.path.display(),
                self.data_dir.display()
            )));
        }
        Ok(item)
    }

    /// Replaces every protected item at once (items checked with `check_item`).
    pub fn set_items(&self, items: &[ProtectedItem]) -> Result<()> {
        let mut names: Vec<&str> = items.iter().map(|i| i.name.as_str()).collect();
        names.sort_unstable();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(Error::input(format!("Two items are named {:?}; give each a different name.", w[0])));
        }
        self.catalog.replace_items(items, self.now())
    }

    pub fn items(&self) -> Result<Vec<ProtectedItem>> {
        self.catalog.items()
    }

    pub fn remove_item(&self, name: &str) -> Result<()> {
        if self.catalog.remove_item(name)? {
            Ok(())
        } else {
            Err(Error::input(format!("There is no item named {name:?} (see `lifeboat items list`).")))
        }
    }

    // ---- encryption ----

    pub(crate) fn encryption_setting(&self) -> Result<Option<EncryptionSetting>> {
        self.catalog.setting(SETTING_ENCRYPTION)
    }

    /// Sets the certificate new backups are encrypted to; with `add`, adds it beside
    /// the current ones (e.g. an escrow certificate).
    pub fn set_certificate(&self, bytes: &[u8], add: bool) -> Result<CertificateInfo> {
        let info = CertificateInfo::from_public_file(bytes)?;
        let now = self.now();
        let mut certificates = match (self.encryption_setting()?, add) {
            (Some(EncryptionSetting::Certificate { certificates }), true) => certificates,
            (_, true) => return Err(Error::input("There is no certificate to add to: use `encryption set-certificate` first.")),
            (Some(EncryptionSetting::Key { .. }), false) => {
                self.catalog.set_setting(SETTING_KEY_RETIRED, &now)?;
                Vec::new()
            }
            _ => Vec::new(),
        };
        if certificates.iter().any(|c| c.thumbprint == info.thumbprint) {
            return Err(Error::input(format!("The certificate {} is already a recipient.", info.thumbprint)));
        }
        certificates.push(info.clone());
        self.catalog.set_setting(SETTING_ENCRYPTION, &EncryptionSetting::Certificate { certificates })?;
        self.forget_secrets()?;
        Ok(info)
    }

    /// An empty passphrase turns encryption off (recorded in every backup and flagged).
    pub fn set_passphrase(&self, passphrase: &str) -> Result<EncryptionInfo> {
        let now = self.now();
        if passphrase.is_empty() {
            self.forget_secrets()?;
            self.catalog.set_setting(SETTING_ENCRYPTION, &EncryptionSetting::None { set_at: now })?;
            return self.encryption();
        }
        let recipient = PassphraseRecipient::derive(passphrase, &mut rand::rng())?;
        self.forget_secrets()?;
        self.write_secret(SECRET_PASSPHRASE_KEK, recipient.kek())?;
        self.catalog.set_setting(
            SETTING_ENCRYPTION,
            &EncryptionSetting::Passphrase { salt: recipient.salt.clone(), m_kib: recipient.m_kib, t: recipient.t, p: recipient.p, set_at: now },
        )?;
        self.encryption()
    }

    pub fn set_key(&self, key_base64: &str) -> Result<EncryptionInfo> {
        self.check_key_allowed()?;
        let key = parse_legacy_key(key_base64)?;
        let key_id = key.key_id();
        self.forget_secrets()?;
        self.write_secret(SECRET_LEGACY_KEY, key.as_bytes())?;
        self.catalog.set_setting(SETTING_ENCRYPTION, &EncryptionSetting::Key { key_id, set_at: self.now() })?;
        self.encryption()
    }

    /// Switching from the legacy key to a certificate is one way.
    pub fn check_key_allowed(&self) -> Result<()> {
        match self.catalog.setting::<DateTime<Utc>>(SETTING_KEY_RETIRED)? {
            Some(at) => Err(Error::input(format!(
                "This configuration switched from the legacy encryption key to a certificate on {}; \
                 switching back to a key is not allowed. Use a certificate (recommended) or a passphrase.",
                at.format("%Y-%m-%d")
            ))),
            None => Ok(()),
        }
    }

    pub fn encryption(&self) -> Result<EncryptionInfo> {
        let now = self.now();
        let mut info = EncryptionInfo { mode: None, certificates: Vec::new(), key_id: None, warnings: Vec::new() };
        match self.encryption_setting()? {
            None => info.warnings.push("No encryption is set: backups cannot run until you set a certificate (recommended), a passphrase or a key.".into()),
            Some(EncryptionSetting::Certificate { certificates }) => {
                info.mode = Some("certificate".into());
                for c in &certificates {
                    if c.is_expired(now) {
                        info.warnings.push(format!("The certificate {} expired on {}; set a new one.", c.thumbprint, c.not_after.format("%Y-%m-%d")));
                    } else if c.not_after < now + Duration::days(30) {
                        info.warnings.push(format!("The certificate {} expires on {}.", c.thumbprint, c.not_after.format("%Y-%m-%d")));
                    }
                }
                info.certificates = certificates.iter().map(CertificateSummary::from).collect();
            }
            Some(EncryptionSetting::Passphrase { .. }) => info.mode = Some("passphrase".into()),
            Some(EncryptionSetting::Key { key_id, .. }) => {
                info.mode = Some("key".into());
                info.key_id = Some(key_id);
                info.warnings.push("The legacy encryption key is kept for compatibility; switching to a certificate is recommended (and one-way).".into());
            }
            Some(EncryptionSetting::None { .. }) => {
                info.mode = Some("none".into());
                info.warnings.push("Encryption is OFF (empty passphrase): anyone who can read a backup file can read its content.".into());
            }
        }
        Ok(info)
    }

    fn recipients(&self) -> Result<Vec<Box<dyn Recipient>>> {
        let setting = self.encryption_setting()?.ok_or_else(|| {
            Error::input(
                "No encryption is set: run `lifeboat encryption set-certificate FILE.cer` (recommended; \
                 `lifeboat cert create` makes one), or set a passphrase or key.",
            )
        })?;
        Ok(match setting {
            EncryptionSetting::Certificate { certificates } => certificates
                .into_iter()
                .map(|c| RsaRecipient::new(c).map(|r| Box::new(r) as Box<dyn Recipient>))
                .collect::<Result<_>>()?,
            EncryptionSetting::Passphrase { salt, m_kib, t, p, .. } => {
                let kek = self.read_secret(SECRET_PASSPHRASE_KEK)?;
                let kek: [u8; 32] = kek.as_slice().try_into().map_err(|_| Error::operation("the stored passphrase key is damaged; set the passphrase again"))?;
                vec![Box::new(PassphraseRecipient::from_kek(kek, salt, m_kib, t, p))]
            }
            EncryptionSetting::Key { .. } => {
                let key = LegacyKey::from_bytes(&self.read_secret(SECRET_LEGACY_KEY)?)
                    .map_err(|_| Error::operation("the stored legacy key is damaged; set the key again"))?;
                vec![Box::new(KeyRecipient(key))]
            }
            EncryptionSetting::None { .. } => vec![Box::new(NoneRecipient)],
        })
    }

    fn secrets_dir(&self) -> PathBuf {
        self.data_dir.join("secrets")
    }

    pub(super) fn write_secret(&self, name: &str, bytes: &[u8]) -> Result<()> {
        let dir = self.secrets_dir();
        fs::create_dir_all(&dir).with_path("creating", &dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).with_path("protecting", &dir)?;
        }
        let text = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(bytes));
        write_atomic(&dir.join(name), text.as_bytes(), true)
    }

    pub(super) fn read_secret(&self, name: &str) -> Result<Zeroizing<Vec<u8>>> {
        let path = self.secrets_dir().join(name);
        let text = Zeroizing::new(fs::read_to_string(&path).map_err(|e| {
            Error::operation(format!("The stored encryption secret {} cannot be read ({e}); set the encryption again.", path.display()))
        })?);
        base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map(Zeroizing::new)
            .map_err(|_| Error::operation(format!("The stored encryption secret {} is damaged; set the encryption again.", path.display())))
    }

    fn forget_secrets(&self) -> Result<()> {
        for name in [SECRET_PASSPHRASE_KEK, SECRET_LEGACY_KEY] {
            let path = self.secrets_dir().join(name);
            if path.exists() {
                fs::remove_file(&path).with_path("removing", &path)?;
            }
        }
        Ok(())
    }

    pub fn expiry_days(&self) -> Result<u32> {
        Ok(self.catalog.setting(SETTING_EXPIRY_DAYS)?.unwrap_or(DEFAULT_EXPIRY_DAYS))
    }

    // ---- operations ----

    /// Runs a backup of every protected item and Lifeboat's configuration for the
    /// user, and waits. Does not move the next scheduled backup.
    pub fn backup_now(&self, progress: &dyn Progress, cancel: &Cancel) -> Result<BackupSummary> {
        self.backup(self.interactive, progress, cancel)
    }

    /// A backup, then the retention sweep that follows every successful one.
    pub fn backup(&self, trigger: Trigger, progress: &dyn Progress, cancel: &Cancel) -> Result<BackupSummary> {
        let op = self.start_operation(OperationKind::Backup, trigger, cancel)?;
        self.complete_backup(op, trigger, progress)
    }

    /// Accepts a backup and returns at once: the lock is taken (or Busy returned)
    /// and the operation recorded here; the work runs on its own thread, reporting
    /// through the catalog and the event bus. For front ends that must not block.
    pub fn start_backup(&self, trigger: Trigger, cancel: &Cancel) -> Result<StartedOperation<BackupSummary>> {
        let op = self.start_operation(OperationKind::Backup, trigger, cancel)?;
        self.spawn("lifeboat-backup", op, move |engine, op| engine.complete_backup(op, trigger, &NoProgress))
    }

    fn complete_backup(&self, op: RunningOperation, trigger: Trigger, progress: &dyn Progress) -> Result<BackupSummary> {
        let result = op.run(progress, |progress, cancel| self.run_backup(progress, cancel));
        let backup_id = result.as_ref().ok().map(|s| s.record.id.clone());
        let mut summary = op.finish(&self.catalog, result, backup_id.as_deref())?;
        match self.run_retention(trigger, &NoProgress, &Cancel::default()) {
            Ok(report) => summary.retention = Some(report),
            Err(e) => summary.retention_error = Some(e.to_string()),
        }
        Ok(summary)
    }

    fn start_operation(&self, kind: OperationKind, trigger: Trigger, cancel: &Cancel) -> Result<RunningOperation> {
        RunningOperation::start(
            &self.catalog,
            StartOptions {
                data_dir: self.data_dir.clone(),
                catalog_path: self.catalog.path().to_owned(),
                kind,
                trigger,
                stall_timeout: std::time::Duration::from_secs(self.stall_timeout_secs()?),
                cancel: cancel.clone(),
                events: self.events.clone(),
                clock: self.clock.clone(),
            },
        )
    }

    fn run_backup(&self, progress: &dyn Progress, cancel: &Cancel) -> Result<BackupSummary> {
        let recipients = self.recipients()?;
        let target = self.target()?;
        let removed_incomplete = target.remove_incomplete()?;
        progress.phase(Phase::Scanning);
        let id = Uuid::new_v4();
        let now = self.now();
        // Database copies left by a backup that crashed; we hold the operation lock,
        // so no other backup is using them.
        let scratch_root = self.data_dir.join("tmp");
        if scratch_root.exists() {
            fs::remove_dir_all(&scratch_root).with_path("removing leftovers in", &scratch_root)?;
        }
        let scratch = Scratch::new(&scratch_root, id)?;
        let mut warnings = Vec::new();
        let mut sources = Vec::new();
        for item in self.items()? {
            cancel.check()?;
            let entries = match item.kind {
                ItemKind::Sqlite => {
                    let copy = scratch.path(&format!("item-{}.sqlite", sources.len()));
                    sqlite_snapshot(&item.path, &copy, cancel).and_then(|()| snapshot_entry(&item.path, copy))
                }
                _ => plan_item(&item, &mut warnings),
            };
            match entries {
                Ok(entries) => sources.push(Source {
                    name: item.name.clone(),
                    kind: item.kind,
                    origin: item.path.to_string_lossy().into_owned(),
                    entries,
                }),
                Err(Error::Canceled) => return Err(Error::Canceled),
                Err(e) => warnings.push(format!("{}: not in this backup: {e}", item.name)),
            }
        }
        let config_copy = scratch.path("catalog.db");
        self.catalog.snapshot_to(&config_copy, cancel)?;
        sources.push(Source {
            name: CONFIG_ITEM.into(),
            kind: ItemKind::Config,
            origin: self.catalog.path().to_string_lossy().into_owned(),
            entries: snapshot_entry(self.catalog.path(), config_copy)?,
        });

        let meta = BackupMeta {
            backup_id: id,
            created_at: now,
            expires_at: now + Duration::days(self.expiry_days()? as i64),
            installation: self.installation()?,
            lifeboat_version: env!("CARGO_PKG_VERSION").to_owned(),
        };
        let file_name = backup_file_name(now, id);
        let upload = target.create(&file_name)?;
        let recipient_refs: Vec<&dyn Recipient> = recipients.iter().map(|r| r.as_ref()).collect();
        let written = write_backup(upload, meta, &recipient_refs, &sources, warnings, &mut rand::rng(), progress, cancel)?;
        written.out.commit(progress)?;

        let record = BackupRecord {
            id: id.to_string(),
            file_name,
            location: target.describe(),
            size: written.size,
            sha256: hex::encode(written.sha256),
            created_at: now,
            expires_at: written.header.expires_at,
            encryption: written.header.encryption.as_str().into(),
            recipients: recipient_labels(&written.header),
            status: if written.warnings.is_empty() { "complete" } else { "warnings" }.into(),
            warnings: written.warnings,
        };
        self.catalog.record_backup(&record)?;
        Ok(BackupSummary { record, entries: written.entries, bytes: written.bytes, removed_incomplete, retention: None, retention_error: None })
    }

    /// Lists the backups at the configured location, reading only their headers, with
    /// who made each and what retention decides for it.
    pub fn list_backups(&self) -> Result<Vec<BackupListing>> {
        let mut listings = self.read_listings()?;
        let decisions = self.decide_retention(&listings, self.retention()?)?;
        let triggers = self.catalog.backup_triggers()?;
        for listing in &mut listings {
            let Some(id) = listing.id.as_deref() else { continue };
            listing.trigger = triggers.get(id).cloned();
            listing.retention = decisions.iter().find(|d| d.id == id).map(|d| {
                if d.keep { format!("kept: {}", d.reason) } else { format!("deleted at the next sweep: {}", d.reason) }
            });
        }
        Ok(listings)
    }

    /// The backups at the location as their headers describe them (what status and
    /// selecting a backup need; listing for people adds trigger and retention).
    pub(super) fn read_listings(&self) -> Result<Vec<BackupListing>> {
        let target = self.target()?;
        let now = self.now();
        let mut out = Vec::new();
        for file in target.list()? {
            let mut listing = BackupListing {
                file_name: file.name.clone(),
                size: file.size,
                id: None,
                created_at: None,
                expires_at: None,
                installation: None,
                installation_id: None,
                lifeboat_version: None,
                encryption: None,
                recipients: Vec::new(),
                expired: false,
                unencrypted: false,
                status: None,
                problem: None,
                trigger: None,
                retention: None,
            };
            match target.open(&file.name).and_then(|mut r| read_header(&mut r)) {
                Ok(h) => {
                    let h = h.header;
                    listing.status = self.catalog.backup(&h.backup_id.to_string())?.map(|r| r.status);
                    listing.id = Some(h.backup_id.to_string());
                    listing.created_at = Some(h.created_at);
                    listing.expires_at = Some(h.expires_at);
                    listing.expired = h.expires_at <= now;
                    listing.unencrypted = h.encryption == EncryptionKind::None;
                    listing.installation = Some(h.installation.name.clone());
                    listing.installation_id = Some(h.installation.id.to_string());
                    listing.lifeboat_version = Some(h.lifeboat_version.clone());
                    listing.encryption = Some(h.encryption.as_str().into());
                    listing.recipients = recipient_labels(&h);
                }
                Err(e) => listing.problem = Some(e.to_string()),
            }
            out.push(listing);
        }
        Ok(out)
    }
}

/// The single entry of a file-like item whose content was copied first (databases).
fn snapshot_entry(original: &Path, copy: PathBuf) -> Result<Vec<PlannedEntry>> {
    let size = fs::metadata(&copy).with_path("reading", &copy)?.len();
    Ok(vec![PlannedEntry {
        kind: crate::format::EntryKind::File,
        rel: String::new(),
        path: copy,
        size,
        attrs_from: Some(original.to_owned()),
    }])
}

fn recipient_labels(h: &Header) -> Vec<String> {
    h.recipients
        .iter()
        .map(|s| match s {
            Stanza::Rsa { thumbprint, .. } => thumbprint.clone(),
            Stanza::Argon2id { .. } => "passphrase".into(),
            Stanza::Key { key_id, .. } => format!("key {key_id}"),
            Stanza::None { .. } => "none".into(),
        })
        .collect()
}

