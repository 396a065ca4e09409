//! Getting data back: verify, restore, and what the restore wizard needs around them
//! (a backup's header before any key is used, an unlocked backup whose contents can
//! be browsed, a plain statement of what a restore would replace), plus deleting a
//! backup and saving a copy of one. Front ends that must not block start verify,
//! restore and copy on their own threads.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{recipient_labels, BackupListing, Engine, StartedOperation};
use crate::error::{Error, IoContext, Result};
use crate::events::{DeletedBackup, Event};
use crate::format::{read_header, EncryptionKind, EntryKind, Header, Index};
use crate::operation::{OperationKind, RunningOperation};
use crate::progress::{Cancel, NoProgress, Phase, Progress};
use crate::protector::{describe_needed, Identity};
use crate::restore::{plan, restore, Destination, PlannedTarget, RestoreOptions, RestoreReport};
use crate::target::ReadSeek;
use crate::verify::{verify_all, OpenedBackup, VerifyReport};

/// The identity a front end holds between steps (the wizard unlocks once, then
/// verifies, previews and restores with it).
pub type SharedIdentity = Arc<dyn Identity>;

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
pub struct VerifyOutcome {
    pub id: String,
    /// "authenticated" (every byte checked with a key) or "checksum" (SHA-256 only).
    pub method: String,
    #[cfg_attr(feature = "specta", specta(type = Option<u32>))]
    pub entries: Option<u64>,
    #[cfg_attr(feature = "specta", specta(type = Option<u32>))]
    pub bytes: Option<u64>,
}

/// What to restore and where.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct RestoreRequest {
    /// Item names; empty means every item except Lifeboat's configuration.
    pub items: Vec<String>,
    /// Files or folders relative to their item; empty means whole items.
    pub paths: Vec<String>,
    /// Another folder (`DIR/<item name>/…`); none means the original places.
    pub to: Option<PathBuf>,
}

/// A backup as read from its header, before any key is used.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
pub struct BackupInspection {
    /// What unlock, verify and restore take: the selector given (an id at the
    /// location or the path of a backup file).
    pub source: String,
    pub file_name: String,
    #[cfg_attr(feature = "specta", specta(type = u32))]
    pub size: u64,
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub expired: bool,
    pub installation: String,
    pub lifeboat_version: String,
    /// certificate | passphrase | key | none: which identity unlocks it.
    pub encryption: String,
    pub recipients: Vec<String>,
    /// In words, what unlocks it (e.g. the thumbprint of the certificate).
    pub needs: String,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
pub struct ContentItem {
    pub name: String,
    /// folder | file | sqlite | config
    pub kind: String,
    /// Where it was on the machine that made the backup.
    pub source: String,
    #[cfg_attr(feature = "specta", specta(type = u32))]
    pub files: u64,
    #[cfg_attr(feature = "specta", specta(type = u32))]
    pub bytes: u64,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
pub struct ContentEntry {
    /// Relative to its item, as restore's `paths` take it.
    pub path: String,
    pub name: String,
    /// folder | file | link
    pub kind: String,
    /// For a folder, everything below it.
    #[cfg_attr(feature = "specta", specta(type = u32))]
    pub bytes: u64,
}

/// A backup whose header and index were authenticated with its identity.
pub struct UnlockedBackup {
    pub inspection: BackupInspection,
    index: Index,
    identity: Option<SharedIdentity>,
}

impl UnlockedBackup {
    pub fn identity(&self) -> Option<SharedIdentity> {
        self.identity.clone()
    }

    pub fn items(&self) -> Vec<ContentItem> {
        self.index
            .items
            .iter()
            .map(|i| ContentItem {
                name: i.name.clone(),
                kind: i.kind.as_str().into(),
                source: i.source.clone(),
                files: i.files,
                bytes: i.bytes,
            })
            .collect()
    }

    /// Problems met while the backup was made (files that vanished or could not be read).
    pub fn warnings(&self) -> &[String] {
        &self.index.warnings
    }

    /// The entries directly inside `folder` ("" for the item's top) of an item,
    /// folders first, then by name.
    pub fn children(&self, item: &str, folder: &str) -> Result<Vec<ContentEntry>> {
        let (item_no, _) = self
            .index
            .item_by_name(item)
            .ok_or_else(|| Error::input(format!("This backup has no item named {item:?}.")))?;
        let folder = folder.trim_matches('/');
        let prefix = if folder.is_empty() { String::new() } else { format!("{folder}/") };
        let mut out: Vec<ContentEntry> = Vec::new();
        for entry in self.index.item_entries(item_no) {
            let Some(rest) = entry.path.strip_prefix(&prefix) else { continue };
            if rest.is_empty() || rest.contains('/') {
                continue;
            }
            let kind = match entry.kind {
                EntryKind::Dir => "folder",
                EntryKind::File => "file",
                EntryKind::Symlink => "link",
            };
            out.push(ContentEntry { path: entry.path.clone(), name: rest.into(), kind: kind.into(), bytes: entry.size });
        }
        for child in out.iter_mut().filter(|c| c.kind == "folder") {
            let below = format!("{}/", child.path);
            child.bytes = self.index.item_entries(item_no).filter(|e| e.path.starts_with(&below)).map(|e| e.size).sum();
        }
        out.sort_by(|a, b| (a.kind != "folder", &a.name).cmp(&(b.kind != "folder", &b.name)));
        Ok(out)
    }
}

impl Engine {
    /// Finds a backup by id (or a unique prefix of at least 8 characters), file name,
    /// or path to a backup file anywhere; returns its file name and content.
    fn open_selected(&self, selector: &str) -> Result<(String, Box<dyn ReadSeek>)> {
        let path = Path::new(selector);
        if path.is_file() {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            return Ok((name, Box::new(File::open(path).with_path("opening", path)?)));
        }
        let target = self.target()?;
        let listing = self.find_backup(selector)?;
        Ok((listing.file_name.clone(), target.open(&listing.file_name)?))
    }

    /// A backup at the configured location, by id, unique id prefix or file name.
    fn find_backup(&self, selector: &str) -> Result<BackupListing> {
        let listing = self.read_listings()?;
        let wanted = selector.to_ascii_lowercase();
        let mut matches: Vec<BackupListing> = listing
            .into_iter()
            .filter(|l| {
                l.file_name == selector
                    || l.id.as_deref() == Some(wanted.as_str())
                    || (wanted.len() >= 8 && l.id.as_deref().is_some_and(|id| id.starts_with(&wanted)))
            })
            .collect();
        match matches.len() {
            1 => Ok(matches.remove(0)),
            0 => Err(Error::input(format!(
                "No backup {selector:?} at {}: give a backup id (see `lifeboat backups list`) or the path of a backup file.",
                self.target()?.describe()
            ))),
            n => Err(Error::input(format!("{selector:?} matches {n} backups; give more of the id."))),
        }
    }

    /// Reads a backup's header only: when and where it was made, its expiry, and
    /// what unlocks it. Refuses files that are not backups or are of a newer format.
    pub fn inspect(&self, selector: &str) -> Result<BackupInspection> {
        let (file_name, mut file) = self.open_selected(selector)?;
        let header = read_header(&mut file)?.header;
        let size = file.seek(SeekFrom::End(0)).context(|| "reading the backup".into())?;
        Ok(self.inspection(selector, file_name, size, &header))
    }

    fn inspection(&self, selector: &str, file_name: String, size: u64, h: &Header) -> BackupInspection {
        BackupInspection {
            source: selector.into(),
            file_name,
            size,
            id: h.backup_id.to_string(),
            created_at: h.created_at,
            expires_at: h.expires_at,
            expired: h.expires_at <= self.now(),
            installation: h.installation.name.clone(),
            lifeboat_version: h.lifeboat_version.clone(),
            encryption: h.encryption.as_str().into(),
            recipients: recipient_labels(h),
            needs: describe_needed(h),
        }
    }

    /// Opens a backup with an identity: authenticates its header and index, so a
    /// wrong identity or a tampered file is found before anything else happens.
    pub fn unlock(&self, selector: &str, identity: Option<SharedIdentity>) -> Result<UnlockedBackup> {
        let (file_name, mut file) = self.open_selected(selector)?;
        let size = file.seek(SeekFrom::End(0)).context(|| "reading the backup".into())?;
        file.rewind().context(|| "reading the backup".into())?;
        let opened = OpenedBackup::open(file, identity.as_deref(), |_| Ok(()))?;
        let inspection = self.inspection(selector, file_name, size, &opened.header);
        let (_, index, _) = opened.into_parts();
        Ok(UnlockedBackup { inspection, index, identity })
    }

    /// With an identity (or for an unencrypted backup): authenticates every byte.
    /// Without one: checks the file against the SHA-256 recorded when it was written.
    pub fn verify(&self, selector: &str, identity: Option<&dyn Identity>, progress: &dyn Progress, cancel: &Cancel) -> Result<VerifyOutcome> {
        let op = self.start_operation(OperationKind::Verify, self.interactive, cancel)?;
        self.complete_verify(op, selector, identity, progress)
    }

    /// `verify` on its own thread; returns once the operation is accepted.
    pub fn start_verify(&self, selector: &str, identity: Option<SharedIdentity>, cancel: &Cancel) -> Result<StartedOperation<VerifyOutcome>> {
        let op = self.start_operation(OperationKind::Verify, self.interactive, cancel)?;
        let selector = selector.to_owned();
        self.spawn("lifeboat-verify", op, move |engine, op| {
            engine.complete_verify(op, &selector, identity.as_deref(), &NoProgress)
        })
    }

    fn complete_verify(&self, op: RunningOperation, selector: &str, identity: Option<&dyn Identity>, progress: &dyn Progress) -> Result<VerifyOutcome> {
        let result = op.run(progress, |progress, cancel| self.run_verify(selector, identity, progress, cancel));
        let outcome = op.finish(&self.catalog, result, None);
        if let Ok(v) = &outcome {
            self.catalog.set_verified(&v.id, self.now())?;
        }
        outcome
    }

    fn run_verify(&self, selector: &str, identity: Option<&dyn Identity>, progress: &dyn Progress, cancel: &Cancel) -> Result<VerifyOutcome> {
        let (_, mut file) = self.open_selected(selector)?;
        let header = read_header(&mut file)?.header;
        let id = header.backup_id.to_string();
        if identity.is_none() && header.encryption != EncryptionKind::None {
            return self.verify_checksum(file, &header, progress, cancel);
        }
        file.rewind().context(|| "reading the backup".into())?;
        progress.phase(Phase::Reading);
        let opened = OpenedBackup::open(file, identity, |_| Ok(())).map_err(|e| self.note_damaged(&id, e))?;
        let VerifyReport { entries, bytes } = verify_all(opened, progress, cancel).map_err(|e| self.note_damaged(&id, e))?;
        Ok(VerifyOutcome { id, method: "authenticated".into(), entries: Some(entries), bytes: Some(bytes) })
    }

    /// A backup that failed authentication or its checksum is marked damaged, so
    /// retention never counts it as the newest good backup.
    fn note_damaged(&self, id: &str, e: Error) -> Error {
        if e.kind() == crate::ErrorKind::Integrity {
            if let Err(mark) = self.catalog.set_backup_status(id, "damaged", self.now()) {
                tracing::warn!("could not mark backup {id} damaged: {mark}");
            }
        }
        e
    }

    fn verify_checksum(&self, mut file: Box<dyn ReadSeek>, header: &Header, progress: &dyn Progress, cancel: &Cancel) -> Result<VerifyOutcome> {
        use sha2::{Digest, Sha256};
        let id = header.backup_id.to_string();
        let record = self.catalog.backup(&id)?.ok_or_else(|| {
            Error::input(format!(
                "No checksum of backup {id} is recorded here (it was made elsewhere); give an identity to verify it."
            ))
        })?;
        let len = file.seek(SeekFrom::End(0)).context(|| "reading the backup".into())?;
        file.rewind().context(|| "reading the backup".into())?;
        progress.phase(Phase::Verifying);
        progress.total(len, 1);
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            cancel.check()?;
            let n = file.read(&mut buf).context(|| "reading the backup".into())?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            progress.advance(n as u64, 0);
        }
        if hex::encode(hasher.finalize()) != record.sha256 || len != record.size {
            return Err(self.note_damaged(
                &id,
                Error::integrity(format!("Backup {id} does not match the checksum recorded when it was written: it was changed or damaged.")),
            ));
        }
        Ok(VerifyOutcome { id, method: "checksum".into(), entries: None, bytes: Some(len) })
    }

    /// What a restore would write and replace, checked against the backup's index
    /// (items and paths exist, targets are valid) without writing anything.
    pub fn preview_restore(&self, unlocked: &UnlockedBackup, request: &RestoreRequest) -> Result<Vec<PlannedTarget>> {
        refuse_expired(unlocked.inspection.expires_at, self.now())?;
        plan(&unlocked.index, &self.restore_options(request, "preview")?)
    }

    fn restore_options(&self, request: &RestoreRequest, restore_id: &str) -> Result<RestoreOptions> {
        let destination = match &request.to {
            Some(dir) => Destination::Folder(std::path::absolute(dir).with_path("resolving", dir)?),
            None => Destination::Original,
        };
        Ok(RestoreOptions {
            items: request.items.clone(),
            paths: request.paths.clone(),
            destination,
            safety_dir: self.safety_dir(),
            restore_id: restore_id.into(),
        })
    }

    /// Where copies of what restores replace are kept.
    pub fn safety_dir(&self) -> PathBuf {
        self.data_dir.join("safety-copies")
    }

    /// Restores from a backup. Refuses expired backups and backups of a newer format
    /// before any key is used; authenticates everything it restores before moving it
    /// into place; keeps a safety copy of what it replaces.
    pub fn restore(
        &self,
        selector: &str,
        identity: Option<&dyn Identity>,
        request: RestoreRequest,
        progress: &dyn Progress,
        cancel: &Cancel,
    ) -> Result<RestoreReport> {
        let op = self.start_operation(OperationKind::Restore, self.interactive, cancel)?;
        self.complete_restore(op, selector, identity, &request, progress)
    }

    /// `restore` on its own thread; returns once the operation is accepted.
    pub fn start_restore(
        &self,
        selector: &str,
        identity: Option<SharedIdentity>,
        request: RestoreRequest,
        cancel: &Cancel,
    ) -> Result<StartedOperation<RestoreReport>> {
        let op = self.start_operation(OperationKind::Restore, self.interactive, cancel)?;
        let selector = selector.to_owned();
        self.spawn("lifeboat-restore", op, move |engine, op| {
            engine.complete_restore(op, &selector, identity.as_deref(), &request, &NoProgress)
        })
    }

    fn complete_restore(
        &self,
        op: RunningOperation,
        selector: &str,
        identity: Option<&dyn Identity>,
        request: &RestoreRequest,
        progress: &dyn Progress,
    ) -> Result<RestoreReport> {
        let now = self.now();
        let restore_id = format!("{}-{}", now.format("%Y%m%dT%H%M%SZ"), &op.id[..8]);
        let result = op.run(progress, |progress, cancel| {
            let (_, file) = self.open_selected(selector)?;
            progress.phase(Phase::Reading);
            let opened = OpenedBackup::open(file, identity, |h| refuse_expired(h.expires_at, now))?;
            restore(opened, &self.restore_options(request, &restore_id)?, progress, cancel)
        });
        op.finish(&self.catalog, result, None)
    }

    /// Deletes one backup at the location, as an operation (so it never races a
    /// restore or verify reading it).
    pub fn delete_backup(&self, selector: &str, cancel: &Cancel) -> Result<DeletedBackup> {
        let op = self.start_operation(OperationKind::Delete, self.interactive, cancel)?;
        let result = op.run(&NoProgress, |progress, _| {
            progress.phase(Phase::Deleting);
            let listing = self.find_backup(selector)?;
            self.target()?.delete(&listing.file_name)?;
            let id = listing.id.clone().unwrap_or_default();
            if !id.is_empty() {
                self.catalog.set_backup_status(&id, "deleted", self.now())?;
            }
            Ok(DeletedBackup {
                id,
                file_name: listing.file_name,
                created_at: listing.created_at.unwrap_or_else(|| self.now()),
                reason: "deleted by the user".into(),
            })
        });
        let deleted = op.finish(&self.catalog, result, None)?;
        self.events.publish(Event::BackupsDeleted { backups: vec![deleted.clone()] }, self.now());
        Ok(deleted)
    }

    /// Saves a copy of a backup file elsewhere (to archive it, or to restore it on
    /// another machine), on its own thread. The copy appears under `dest` only once
    /// it is complete.
    pub fn start_copy(&self, selector: &str, dest: &Path, cancel: &Cancel) -> Result<StartedOperation<PathBuf>> {
        let op = self.start_operation(OperationKind::Copy, self.interactive, cancel)?;
        let selector = selector.to_owned();
        let dest = std::path::absolute(dest).with_path("resolving", dest)?;
        self.spawn("lifeboat-copy", op, move |engine, op| {
            let result = op.run(&NoProgress, |progress, cancel| {
                let (_, mut file) = engine.open_selected(&selector)?;
                let len = file.seek(SeekFrom::End(0)).context(|| "reading the backup".into())?;
                file.rewind().context(|| "reading the backup".into())?;
                progress.phase(Phase::Writing);
                progress.total(len, 1);
                crate::fsutil::copy_atomic(&mut file, &dest, progress, cancel)?;
                Ok(dest.clone())
            });
            op.finish(&engine.catalog, result, None)
        })
    }

    /// Runs the rest of an accepted operation on its own thread with its own engine.
    pub(super) fn spawn<T: Send + 'static>(
        &self,
        thread_name: &str,
        op: RunningOperation,
        work: impl FnOnce(&Engine, RunningOperation) -> Result<T> + Send + 'static,
    ) -> Result<StartedOperation<T>> {
        let id = op.id.clone();
        let engine = self.reopen()?;
        let handle = std::thread::Builder::new()
            .name(thread_name.into())
            .spawn(move || work(&engine, op))
            .map_err(|e| Error::operation(format!("starting a worker thread: {e}")))?;
        Ok(StartedOperation { id, handle })
    }
}

fn refuse_expired(expires_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<()> {
    if expires_at <= now {
        return Err(Error::Expired { expired_at: expires_at.format("%Y-%m-%d %H:%M:%S UTC").to_string() });
    }
    Ok(())
}

