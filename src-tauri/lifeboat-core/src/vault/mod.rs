//! The vault: secrets, RSA keys and certificates with versions, attributes, soft-delete
//! and purge protection, modelled on Azure Key Vault. It is its own SQLite file
//! (`vault.db`) beside the catalog; every value and private key in it is sealed under
//! the vault key (`key_home`), which never enters the file. Objects travel between
//! vaults of one geography as backup blobs (`blob`, `geography`).

pub mod admin;
mod blob;
mod carried;
pub use blob::MAX_BLOB;
mod geography;
pub mod key_home;
mod objects;
mod rows;
mod soft_delete;

pub use objects::{check_name, AttributeChanges, Attributes, Details, ObjectKind, ObjectSummary, VersionInfo, KEY_SIZES, MAX_SECRET_BYTES};

use std::cell::{OnceCell, RefCell};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rand::RngExt;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use rusqlite_migration::M;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::audit::{Actor, FrontEnd, Outcome, Record, VAULT_CHANGED};
use crate::catalog::Recorder;
use crate::clock::Clock;
use crate::elevation::Elevation;
use crate::error::{Error, Result};
use admin::SealedFor;
use key_home::{KeyHome, VaultKey};
use objects::Material;
use rows::{insert_version, json, meta, object_row, set_meta, stamp, version_row, ObjectRow, VERSION_COLUMNS};

const MIGRATIONS: &[M<'static>] = &[M::up(include_str!("../../migrations/vault/0001_vault.sql")), M::up(include_str!("../../migrations/vault/0002_admin.sql"))];

pub const RECOVERY_DAYS: std::ops::RangeInclusive<u32> = 7..=90;
pub const DEFAULT_RECOVERY_DAYS: u32 = 90;
pub const FILE_NAME: &str = "vault.db";
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The vault's own settings.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VaultSettings {
    pub vault_id: String,
    /// How long a deleted object can be recovered before it is purged for good.
    pub recovery_days: u32,
    /// Once on, deleted objects cannot be purged before their recovery period ends,
    /// and it cannot be turned off.
    pub purge_protection: bool,
    /// Where the vault key is kept.
    pub key_in_credential_store: bool,
    /// The geography new backup blobs are made for, and all those this vault accepts.
    pub geography: String,
    pub paired_geographies: Vec<String>,
}

/// What a vault holds, in numbers: objects of the administrator's (Lifeboat's own
/// managed secrets aside), deleted ones, and versions of everything.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultCounts {
    pub objects: u32,
    pub deleted: u32,
    pub versions: u32,
}

/// The vault of a data folder, opened on first use: most commands never need it.
pub struct LazyVault {
    data_dir: PathBuf,
    clock: Clock,
    elevation: Arc<Elevation>,
    vault: OnceCell<Vault>,
}

impl LazyVault {
    pub fn new(data_dir: &Path, clock: Clock, elevation: Arc<Elevation>) -> Self {
        LazyVault { data_dir: data_dir.to_owned(), clock, elevation, vault: OnceCell::new() }
    }

    pub fn get(&self) -> Result<&Vault> {
        if let Some(vault) = self.vault.get() {
            return Ok(vault);
        }
        let vault = Vault::open_with(&self.data_dir, self.clock.clone(), self.elevation.clone())?;
        Ok(self.vault.get_or_init(|| vault))
    }
}

pub struct Vault {
    conn: Connection,
    data_dir: PathBuf,
    clock: Clock,
    held: RefCell<Held>,
    elevation: Arc<Elevation>,
}

/// Which vault this is and its key once loaded; a recovery (here or in another
/// process) replaces both, which `held` notices by the vault id in the file.
struct Held {
    id: String,
    home: KeyHome,
    key: Option<VaultKey>,
}

impl Vault {
    /// Opens the vault of a data folder on its own (elevation and the audit trail go to
    /// the data folder's catalog), as `open_with` does.
    pub fn open(data_dir: &Path, clock: Clock) -> Result<Self> {
        let recorder = Arc::new(Recorder::new(data_dir.join(crate::catalog::FILE_NAME), clock.clone(), Actor::current(FrontEnd::Cli)));
        let elevation = Arc::new(Elevation::new(recorder, clock.clone()));
        Self::open_with(data_dir, clock, elevation)
    }

    /// Opens the vault of a data folder, creating it (with a new vault key and
    /// geography) the first time, and purges deleted objects whose recovery period ended.
    pub fn open_with(data_dir: &Path, clock: Clock, elevation: Arc<Elevation>) -> Result<Self> {
        std::fs::create_dir_all(data_dir).map_err(|e| Error::operation(format!("creating the data folder {}: {e}", data_dir.display())))?;
        let path = data_dir.join(FILE_NAME);
        let mut conn = Connection::open(&path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // Vault changes are rare and each one matters: every commit reaches the disk.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        crate::sqlite::migrate(&mut conn, MIGRATIONS, "vault", &path)?;
        let (id, home, key) = Self::identity(&mut conn, data_dir, &clock)?;
        let vault = Vault { conn, data_dir: data_dir.to_owned(), clock, held: RefCell::new(Held { id, home, key }), elevation };
        vault.purge_expired()?;
        Ok(vault)
    }

    /// Records a change of the vault in the audit trail (after it is committed: the
    /// vault is a database of its own). `details` never holds a value.
    fn record(&self, summary: String, details: serde_json::Value) -> Result<()> {
        self.elevation.recorder().record(Record::new(VAULT_CHANGED, Outcome::Succeeded, summary, details))
    }

    /// Lets `action` go ahead if the session is elevated or elevates now (the front
    /// end's prompt); refuses it otherwise. Nothing is asked without an administrator
    /// password.
    pub(crate) fn require_elevation(&self, action: &str) -> Result<()> {
        self.elevation.require(self.admin_fingerprint()?.as_deref(), action, |password| self.unlock_admin(password))
    }

    /// The vault's id and key home, creating both (and the first geography) in one
    /// transaction when the vault is new.
    fn identity(conn: &mut Connection, data_dir: &Path, clock: &Clock) -> Result<(String, KeyHome, Option<VaultKey>)> {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if let Some(id) = meta(&tx, "vault_id")? {
            let home = meta(&tx, "key_home")?.and_then(|h| crate::names::parse_name(&h)).ok_or_else(damaged)?;
            return Ok((id, home, None));
        }
        let id = uuid::Uuid::new_v4().simple().to_string();
        let key = key_home::generate();
        let home = key_home::store_new(data_dir, &id, &key)?;
        set_meta(&tx, "vault_id", &id)?;
        set_meta(&tx, "key_home", &crate::names::name_of(&home))?;
        set_meta(&tx, "recovery_days", &DEFAULT_RECOVERY_DAYS.to_string())?;
        geography::create(&tx, &key, clock())?;
        tx.commit()?;
        Ok((id, home, Some(key)))
    }

    pub fn id(&self) -> Result<String> {
        Ok(self.held()?.id.clone())
    }

    /// The vault id and key home as the file says now (another process may have
    /// recovered the vault or moved its key).
    fn held(&self) -> Result<std::cell::Ref<'_, Held>> {
        let id = meta(&self.conn, "vault_id")?.ok_or_else(damaged)?;
        let home = meta(&self.conn, "key_home")?.and_then(|h| crate::names::parse_name(&h)).ok_or_else(damaged)?;
        let mut held = self.held.borrow_mut();
        if held.id != id {
            *held = Held { id, home, key: None };
        } else {
            held.home = home;
        }
        drop(held);
        Ok(self.held.borrow())
    }

    /// Moves the vault key to `to`: written and read back there, recorded, then
    /// removed from where it was, so a crash at any point leaves a key the vault finds.
    pub fn move_key(&self, to: KeyHome) -> Result<VaultSettings> {
        let key = self.key()?;
        let (id, from) = {
            let held = self.held()?;
            (held.id.clone(), held.home)
        };
        if from == to {
            return self.settings();
        }
        match to {
            KeyHome::CredentialStore => key_home::store_in_credential_store(&id, &key)?,
            KeyHome::File => key_home::store_in_file(&self.data_dir, &id, &key)?,
        }
        if *key_home::load(&self.data_dir, &id, to)? != *key {
            return Err(Error::operation("The vault key read back from its new place differs; it stays where it was."));
        }
        set_meta(&self.conn, "key_home", &crate::names::name_of(&to))?;
        key_home::forget(&self.data_dir, &id, from);
        self.held.borrow_mut().home = to;
        self.record(format!("The vault key moved to the {}", crate::names::name_of(&to)), serde_json::json!({ "change": "key-moved", "from": from, "to": to }))?;
        self.settings()
    }

    pub fn path(&self) -> PathBuf {
        self.data_dir.join(FILE_NAME)
    }

    fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    fn key(&self) -> Result<VaultKey> {
        let (id, home) = {
            let held = self.held()?;
            if let Some(key) = &held.key {
                return Ok(key.clone());
            }
            (held.id.clone(), held.home)
        };
        let key = key_home::load(&self.data_dir, &id, home)?;
        if home == KeyHome::CredentialStore {
            // A move to the file that did not finish leaves the same key in the file.
            key_home::remove_file_copy(&self.data_dir, &key);
        }
        self.held.borrow_mut().key = Some(key.clone());
        Ok(key)
    }

    /// How many objects (active and deleted) and versions the vault holds.
    pub fn counts(&self) -> Result<VaultCounts> {
        Ok(self.conn.query_row(
            "SELECT (SELECT COUNT(*) FROM objects WHERE deleted_at IS NULL AND NOT managed),
                    (SELECT COUNT(*) FROM objects WHERE deleted_at IS NOT NULL),
                    (SELECT COUNT(*) FROM versions)",
            [],
            |r| Ok(VaultCounts { objects: r.get(0)?, deleted: r.get(1)?, versions: r.get(2)? }),
        )?)
    }

    pub fn settings(&self) -> Result<VaultSettings> {
        let (geography, paired_geographies) = geography::ids(&self.conn)?;
        let held = self.held()?;
        Ok(VaultSettings {
            vault_id: held.id.clone(),
            recovery_days: self.recovery_days()?,
            purge_protection: meta(&self.conn, "purge_protection")?.as_deref() == Some("on"),
            key_in_credential_store: held.home == KeyHome::CredentialStore,
            geography,
            paired_geographies,
        })
    }

    /// The current geography as a passphrase-protected file, for pairing another vault.
    pub fn export_geography(&self, passphrase: &str) -> Result<Vec<u8>> {
        self.require_elevation("Export the vault's geography")?;
        geography::export(&self.conn, &self.key()?, passphrase)
    }

    /// Pairs this vault with the geography in `file`: blobs made for it restore here,
    /// and this vault's new blobs are made for it.
    pub fn import_geography(&self, file: &[u8], passphrase: &str) -> Result<VaultSettings> {
        self.require_elevation("Import a geography into the vault")?;
        let id = geography::import(&self.conn, &self.key()?, file, passphrase, self.now())?;
        self.record(
            format!("Geography {id} imported: its blobs restore here, and new blobs are made for it"),
            serde_json::json!({ "change": "geography-imported", "geography": id }),
        )?;
        self.settings()
    }

    // ---- objects -------------------------------------------------------------------

    /// Stores a new version of secret `name` (creating the secret if new).
    pub fn set_secret(&self, name: &str, value: &[u8], attributes: Attributes) -> Result<VersionInfo> {
        self.add_version(ObjectKind::Secret, name, Material::secret(value)?, attributes, false)
    }

    /// Generates a new RSA key of `bits` as a new version of key `name`.
    pub fn create_key(&self, name: &str, bits: usize, attributes: Attributes) -> Result<VersionInfo> {
        self.check_writable(ObjectKind::Key, name)?;
        self.add_version(ObjectKind::Key, name, Material::generated_key(bits, &mut rand::rng())?, attributes, false)
    }

    /// Imports a certificate with its private key (PFX/PKCS#12 with `password`, or PEM
    /// with both blocks) as a new version of certificate `name`.
    pub fn import_certificate(&self, name: &str, file: &[u8], password: &str, attributes: Attributes) -> Result<VersionInfo> {
        self.check_writable(ObjectKind::Certificate, name)?;
        let material = Material::imported_certificate(file, password)?;
        let attributes = with_validity(attributes, &material.details);
        self.add_version(ObjectKind::Certificate, name, material, attributes, false)
    }

    /// Creates a self-signed certificate (`CN=subject`, RSA of `bits`, valid `years`)
    /// as a new version of certificate `name`.
    pub fn create_certificate(&self, name: &str, subject: &str, bits: usize, years: u32, attributes: Attributes) -> Result<VersionInfo> {
        self.check_writable(ObjectKind::Certificate, name)?;
        if !KEY_SIZES.contains(&bits) {
            return Err(Error::input(format!("Certificates in the vault use RSA keys of 2048, 3072 or 4096 bits, not {bits}.")));
        }
        let (key, info) = crate::protector::self_signed(subject, bits, years, self.now(), &mut rand::rng())?;
        let material = Material::certificate(&key, &info)?;
        let attributes = with_validity(attributes, &material.details);
        self.add_version(ObjectKind::Certificate, name, material, attributes, false)
    }

    /// Stores a value Lifeboat itself keeps (the share password, the passphrase key):
    /// a managed secret, which the vault's own delete and purge refuse.
    pub fn set_managed_secret(&self, name: &str, value: &[u8], content_type: &str) -> Result<VersionInfo> {
        let attributes = Attributes { content_type: Some(content_type.into()), ..Attributes::default() };
        self.add_version(ObjectKind::Secret, name, Material::secret(value)?, attributes, true)
    }

    /// Removes a managed version stored for a settings change that did not happen (and
    /// the object, when that was its only version).
    pub(crate) fn discard_managed_version(&self, kind: ObjectKind, name: &str, version: &str) -> Result<()> {
        let tx = self.conn.unchecked_transaction()?;
        tx.execute(
            "DELETE FROM versions WHERE kind = ?1 AND name = ?2 AND version = ?3
               AND EXISTS (SELECT 1 FROM objects o WHERE o.kind = ?1 AND o.name = ?2 AND o.managed)",
            params![kind.to_string(), name, version],
        )?;
        tx.execute(
            "DELETE FROM objects WHERE kind = ?1 AND name = ?2 AND managed
               AND NOT EXISTS (SELECT 1 FROM versions v WHERE v.kind = ?1 AND v.name = ?2)",
            params![kind.to_string(), name],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Refuses early (before slow key generation) what `add_version` would refuse.
    fn check_writable(&self, kind: ObjectKind, name: &str) -> Result<()> {
        check_name(name)?;
        match self.object_row(kind, name)? {
            Some(row) if row.deleted_at.is_some() => Err(deleted_conflict(kind, name)),
            _ => Ok(()),
        }
    }

    fn add_version(&self, kind: ObjectKind, name: &str, material: Material, attributes: Attributes, managed: bool) -> Result<VersionInfo> {
        check_name(name)?;
        attributes.check()?;
        let now = self.now();
        let version = new_version_id();
        let sealed = self.seal_value(&aad(kind, name, &version), &material.plain, managed)?;
        let tx = self.conn.unchecked_transaction()?;
        match self.object_row(kind, name)? {
            Some(row) if row.deleted_at.is_some() => return Err(deleted_conflict(kind, name)),
            Some(row) if row.managed != managed => {
                return Err(Error::input(if row.managed {
                    format!("The {kind} {name:?} is kept by Lifeboat's settings; change it there.")
                } else {
                    format!("A {kind} named {name:?} already exists and is not Lifeboat's own; rename or delete it first.")
                }))
            }
            Some(_) => {}
            None => {
                tx.execute("INSERT INTO objects (kind, name, created_at, managed) VALUES (?1, ?2, ?3, ?4)", params![kind.to_string(), name, stamp(now), managed])?;
            }
        }
        let seq: i64 = tx.query_row("SELECT COALESCE(MAX(seq), 0) + 1 FROM versions WHERE kind = ?1 AND name = ?2", params![kind.to_string(), name], |r| r.get(0))?;
        let info = VersionInfo { kind, name: name.into(), version, created_at: now, updated_at: now, attributes, details: material.details };
        insert_version(&tx, &info, seq, material.public.as_deref(), (&sealed.0, sealed.1))?;
        tx.commit()?;
        let whose = if managed { " (Lifeboat's own)" } else { "" };
        self.record(
            format!("The {kind} {name:?}{whose}: version {} added", info.version),
            serde_json::json!({ "object": kind, "name": name, "version": info.version, "change": "version-added", "managed": managed }),
        )?;
        Ok(info)
    }

    /// Active objects of `kind` (all kinds when `None`), or the deleted ones.
    pub fn list(&self, kind: Option<ObjectKind>, deleted: bool) -> Result<Vec<ObjectSummary>> {
        self.purge_expired()?;
        let mut statement = self.conn.prepare(
            "SELECT o.kind, o.name, o.created_at, o.managed, o.deleted_at, o.purge_at,
                    (SELECT COUNT(*) FROM versions v WHERE v.kind = o.kind AND v.name = o.name)
             FROM objects o
             WHERE (?1 IS NULL OR o.kind = ?1) AND (o.deleted_at IS NOT NULL) = ?2
             ORDER BY CASE o.kind WHEN 'secret' THEN 0 WHEN 'key' THEN 1 ELSE 2 END, o.name COLLATE NOCASE",
        )?;
        let rows = statement.query_map(params![kind.map(|k| k.to_string()), deleted], |r| Ok((object_row(r)?, r.get::<_, u32>(6)?)))?.collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(row, versions)| {
                let current = self.versions(row.kind, &row.name)?.pop().ok_or_else(damaged)?;
                Ok(ObjectSummary {
                    kind: row.kind,
                    name: row.name,
                    created_at: row.created_at,
                    versions,
                    current,
                    managed: row.managed,
                    deleted_at: row.deleted_at,
                    purge_at: row.purge_at,
                })
            })
            .collect()
    }

    /// Every version of an object, oldest first (deleted objects included).
    pub fn versions(&self, kind: ObjectKind, name: &str) -> Result<Vec<VersionInfo>> {
        let mut statement = self.conn.prepare(&format!("{VERSION_COLUMNS} WHERE kind = ?1 AND name = ?2 ORDER BY seq"))?;
        let versions = statement.query_map(params![kind.to_string(), name], version_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        if versions.is_empty() {
            return Err(not_found(kind, name));
        }
        Ok(versions)
    }

    /// One version (the newest when `version` is `None`) of an active object.
    pub fn version(&self, kind: ObjectKind, name: &str, version: Option<&str>) -> Result<VersionInfo> {
        self.active(kind, name)?;
        let versions = self.versions(kind, name)?;
        match version {
            None => Ok(versions.into_iter().next_back().expect("at least one version")),
            Some(v) => versions.into_iter().find(|i| i.version == v).ok_or_else(|| Error::input(format!("The {kind} {name:?} has no version {v:?}; `vault versions` lists them."))),
        }
    }

    /// A secret's value, shown to the administrator: an elevated action, refused for a
    /// disabled or not-yet-valid version.
    pub fn reveal_secret(&self, name: &str, version: Option<&str>) -> Result<Zeroizing<String>> {
        self.require_elevation(&format!("Reveal the secret {name:?}"))?;
        self.secret_value(name, version)
    }

    /// A secret's value for Lifeboat's own use (a managed secret the settings need).
    pub(crate) fn secret_value(&self, name: &str, version: Option<&str>) -> Result<Zeroizing<String>> {
        let plain = self.open_value(ObjectKind::Secret, name, version)?;
        String::from_utf8(plain.to_vec()).map(Zeroizing::new).map_err(|_| damaged())
    }

    /// The private part of a key or certificate version (PKCS#8 DER), for Lifeboat's own
    /// use; it is never shown.
    pub(crate) fn open_value(&self, kind: ObjectKind, name: &str, version: Option<&str>) -> Result<Zeroizing<Vec<u8>>> {
        let info = self.version(kind, name, version)?;
        if let Some(why) = info.attributes.unreadable_because(self.now()) {
            return Err(Error::input(format!("Version {} of the {kind} {name:?} {why}.", info.version)));
        }
        self.unseal(&info)
    }

    fn unseal(&self, info: &VersionInfo) -> Result<Zeroizing<Vec<u8>>> {
        let (sealed, sealed_for): (Vec<u8>, String) = self.conn.query_row(
            "SELECT sealed, sealed_for FROM versions WHERE kind = ?1 AND name = ?2 AND version = ?3",
            params![info.kind.to_string(), info.name, info.version],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let sealed_for: SealedFor = crate::names::parse_name(&sealed_for).ok_or_else(damaged)?;
        self.open_sealed(&aad(info.kind, &info.name, &info.version), &sealed, sealed_for)?.ok_or_else(|| {
            Error::integrity(format!(
                "Version {} of the {} {:?} does not open with this vault's key: the vault file was changed or its key replaced.",
                info.version, info.kind, info.name
            ))
        })
    }

    /// A key's public key (PEM) or a certificate (.cer, DER).
    pub fn public_file(&self, kind: ObjectKind, name: &str, version: Option<&str>) -> Result<Vec<u8>> {
        let info = self.version(kind, name, version)?;
        let public: Option<Vec<u8>> =
            self.conn.query_row("SELECT public FROM versions WHERE kind = ?1 AND name = ?2 AND version = ?3", params![kind.to_string(), name, info.version], |r| r.get(0))?;
        objects::public_file(kind, &public.unwrap_or_default())
    }

    /// Changes one version's attributes (the newest when `version` is `None`).
    pub fn update(&self, kind: ObjectKind, name: &str, version: Option<&str>, changes: &AttributeChanges) -> Result<VersionInfo> {
        let mut info = self.version(kind, name, version)?;
        let before = info.attributes.clone();
        info.attributes = changes.apply_to(&info.attributes);
        info.attributes.check()?;
        info.updated_at = self.now();
        let a = &info.attributes;
        self.conn.execute(
            "UPDATE versions SET enabled = ?4, not_before = ?5, expires = ?6, content_type = ?7, tags = ?8, updated_at = ?9
             WHERE kind = ?1 AND name = ?2 AND version = ?3",
            params![kind.to_string(), name, info.version, a.enabled, a.not_before.map(stamp), a.expires.map(stamp), a.content_type, json(&a.tags), stamp(info.updated_at)],
        )?;
        if info.attributes != before {
            self.record(
                format!("The {kind} {name:?}: attributes of version {} changed", info.version),
                serde_json::json!({ "object": kind, "name": name, "version": info.version, "change": "attributes", "old": before, "new": info.attributes }),
            )?;
        }
        Ok(info)
    }

    fn summary(&self, kind: ObjectKind, name: &str) -> Result<ObjectSummary> {
        let deleted = self.object_row(kind, name)?.ok_or_else(|| not_found(kind, name))?.deleted_at.is_some();
        self.list(Some(kind), deleted)?.into_iter().find(|o| o.name == name).ok_or_else(|| not_found(kind, name))
    }

    /// The object's row, after purging what is due (a long-running app keeps its vault
    /// open for days, so purging only at open would not be enough).
    fn object_row(&self, kind: ObjectKind, name: &str) -> Result<Option<ObjectRow>> {
        self.purge_expired()?;
        Ok(self
            .conn
            .query_row("SELECT kind, name, created_at, managed, deleted_at, purge_at FROM objects WHERE kind = ?1 AND name = ?2", params![kind.to_string(), name], object_row)
            .optional()?)
    }

    fn active(&self, kind: ObjectKind, name: &str) -> Result<ObjectRow> {
        match self.object_row(kind, name)? {
            None => Err(not_found(kind, name)),
            Some(row) if row.deleted_at.is_some() => Err(Error::input(format!(
                "The {kind} {name:?} is deleted (recoverable until {}); recover it first.",
                row.purge_at.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default()
            ))),
            Some(row) => Ok(row),
        }
    }

    fn deleted(&self, kind: ObjectKind, name: &str) -> Result<ObjectRow> {
        match self.object_row(kind, name)? {
            Some(row) if row.deleted_at.is_some() => Ok(row),
            Some(_) => Err(Error::input(format!("The {kind} {name:?} is not deleted; delete it first."))),
            None => Err(Error::input(format!("There is no deleted {kind} named {name:?}; `vault list --deleted` lists them."))),
        }
    }
}

/// A certificate version's validity becomes its not-before and expiry, unless given.
fn with_validity(mut attributes: Attributes, details: &Details) -> Attributes {
    if let Details::Certificate { not_before, not_after, .. } = details {
        attributes.not_before = attributes.not_before.or(Some(*not_before));
        attributes.expires = attributes.expires.or(Some(*not_after));
    }
    attributes
}

/// Binds a sealed value to its object and version, so rows cannot be swapped.
fn aad(kind: ObjectKind, name: &str, version: &str) -> Vec<u8> {
    format!("lifeboat-vault/v1\0{kind}\0{name}\0{version}").into_bytes()
}

fn new_version_id() -> String {
    hex::encode(rand::rng().random::<[u8; 16]>())
}

fn not_found(kind: ObjectKind, name: &str) -> Error {
    Error::input(format!("There is no {kind} named {name:?} in the vault; `vault list` lists them."))
}

fn deleted_conflict(kind: ObjectKind, name: &str) -> Error {
    Error::input(format!("A {kind} named {name:?} is deleted but still recoverable; recover it, or purge it first, to use the name again."))
}

fn damaged() -> Error {
    Error::integrity("The vault file is damaged; recover it from a backup (lifeboat recover).")
}
