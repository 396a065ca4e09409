//! Getting at one backup: find it (at the location, by id, id prefix or file name,
//! or a file anywhere), read its header before any key is used, and unlock it once
//! with an identity. The unlocked backup is a value holding the open file and what
//! its key opened (header, index, payload cipher): verify, restore and browsing take
//! it, so no step lists the location, reopens the file or derives a key again.

use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::list;
use crate::catalog::{BackupStatus, CachedListing};
use crate::context::Context;
use crate::error::{Error, ErrorKind, IoContext, Result};
use crate::format::{read_header, EncryptionKind, EntryKind, EntryReader, HeaderBytes, Index, ItemKind, OpenedBackup};
use crate::protector::{describe_needed, recipient_labels, unwrap_file_key, Identity};
use crate::target::{ReadSeek, Target};

/// An identity a front end holds while it is needed.
pub type SharedIdentity = Arc<dyn Identity>;

/// A backup as read from its header, before any key is used.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackupInspection {
    /// What it was found by: an id at the location, or the path of a backup file.
    pub source: String,
    pub file_name: String,
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub size: u64,
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub expired: bool,
    /// The name and id of the installation that made it.
    pub installation: String,
    pub installation_id: String,
    /// Made by another installation than this one (disaster recovery, a staging copy).
    pub from_elsewhere: bool,
    pub lifeboat_version: String,
    /// Which kind of identity unlocks it.
    pub encryption: EncryptionKind,
    pub recipients: Vec<String>,
    /// In words, what unlocks it (e.g. the thumbprint of the certificate).
    pub needs: String,
}

/// One open backup file and its header.
pub struct BackupFile {
    pub inspection: BackupInspection,
    header: HeaderBytes,
    source: Mutex<Box<dyn ReadSeek>>,
}

impl BackupFile {
    /// SHA-256 of the whole file (hex) and its length, read from the start.
    pub(crate) fn sha256(&self, progress: &dyn crate::progress::Progress, cancel: &crate::progress::Cancel) -> Result<(String, u64)> {
        use sha2::{Digest, Sha256};
        use std::io::Read;
        let mut source = self.source();
        source.rewind().context(|| "reading the backup".into())?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        let mut len = 0u64;
        loop {
            cancel.check()?;
            let n = source.read(&mut buf).context(|| "reading the backup".into())?;
            if n == 0 {
                return Ok((hex::encode(hasher.finalize()), len));
            }
            hasher.update(&buf[..n]);
            len += n as u64;
            progress.advance(n as u64, 0);
        }
    }

    pub(crate) fn header(&self) -> &crate::format::Header {
        &self.header.header
    }
    /// The open file, for one reader at a time.
    pub(crate) fn source(&self) -> MutexGuard<'_, Box<dyn ReadSeek>> {
        self.source.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A backup whose header and index were authenticated with its key.
pub struct UnlockedBackup {
    file: Arc<BackupFile>,
    opened: OpenedBackup,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContentItem {
    pub name: String,
    pub kind: ItemKind,
    /// Where it was on the machine that made the backup.
    pub source: String,
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub files: u64,
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub bytes: u64,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContentEntry {
    /// Relative to its item, as a restore's `paths` take it.
    pub path: String,
    pub name: String,
    pub kind: EntryKind,
    /// For a folder, everything below it.
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub bytes: u64,
}

impl UnlockedBackup {
    pub fn inspection(&self) -> &BackupInspection {
        &self.file.inspection
    }

    pub fn file(&self) -> &Arc<BackupFile> {
        &self.file
    }

    pub(crate) fn index(&self) -> &Index {
        &self.opened.index
    }

    /// Reads entries from the start of the data, with the open file locked meanwhile.
    pub(crate) fn with_entries<T>(&self, work: impl FnOnce(&Index, EntryReader<&mut Box<dyn ReadSeek>>) -> Result<T>) -> Result<T> {
        let mut source = self.file.source();
        let reader = self.opened.entries(&mut *source)?;
        work(&self.opened.index, reader)
    }

    pub fn items(&self) -> Vec<ContentItem> {
        self.opened.index.items.iter().map(|i| ContentItem { name: i.name.clone(), kind: i.kind, source: i.source.clone(), files: i.files, bytes: i.bytes }).collect()
    }

    /// Problems met while the backup was made (files that vanished or could not be read).
    pub fn warnings(&self) -> &[String] {
        &self.opened.index.warnings
    }

    /// The entries directly inside `folder` ("" for the item's top) of an item,
    /// folders first, then by name.
    pub fn children(&self, item: &str, folder: &str) -> Result<Vec<ContentEntry>> {
        let index = &self.opened.index;
        let (item_no, _) = index.item_by_name(item).ok_or_else(|| {
            let names: Vec<&str> = index.items.iter().map(|i| i.name.as_str()).collect();
            Error::input(format!("This backup has no item named {item:?}; it holds: {}.", names.join(", ")))
        })?;
        let folder = folder.trim_matches('/');
        let prefix = if folder.is_empty() { String::new() } else { format!("{folder}/") };
        if !folder.is_empty() && !index.item_entries(item_no).any(|e| e.path == folder && e.kind == EntryKind::Dir) {
            return Err(Error::input(format!("The item {item:?} has no folder {folder:?} in this backup.")));
        }
        let mut out: Vec<ContentEntry> = Vec::new();
        for entry in index.item_entries(item_no) {
            let Some(rest) = entry.path.strip_prefix(&prefix) else { continue };
            if rest.is_empty() || rest.contains('/') {
                continue;
            }
            out.push(ContentEntry { path: entry.path.clone(), name: rest.into(), kind: entry.kind, bytes: entry.size });
        }
        for child in out.iter_mut().filter(|c| c.kind == EntryKind::Dir) {
            let below = format!("{}/", child.path);
            child.bytes = index.item_entries(item_no).filter(|e| e.path.starts_with(&below)).map(|e| e.size).sum();
        }
        out.sort_by(|a, b| (a.kind != EntryKind::Dir, &a.name).cmp(&(b.kind != EntryKind::Dir, &b.name)));
        Ok(out)
    }
}

/// Finds a backup and reads its header: refuses files that are not backups or are
/// of a newer format, and says what unlocks it.
pub fn inspect(ctx: &Context, selector: &str) -> Result<BackupFile> {
    let selector = selector.trim();
    let (file_name, source) = open_selected(ctx, selector)?;
    inspect_source(ctx, selector, file_name, source)
}

/// `inspect` of a backup at a location other than the configured one (a recovery's):
/// by id, id prefix or file name, or the newest backup there.
pub fn inspect_at(ctx: &Context, target: &dyn Target, selector: Option<&str>) -> Result<BackupFile> {
    let everywhere = list::everywhere(ctx, target)?;
    let found = pick(everywhere.iter().map(|(_, l)| l.clone()).collect(), selector, &target.describe())?;
    let (installation, found) = everywhere.into_iter().find(|(_, l)| l.file_name == found.file_name && l.header == found.header).expect("picked among them");
    let source = match installation {
        Some(id) => target.of_installation(&id)?.open(&found.file_name)?,
        None => target.open(&found.file_name)?,
    };
    inspect_source(ctx, &found.file_name, found.file_name.clone(), source)
}

/// A backup another installation made, kept at the location: in its own folder
/// (object storage) or among everyone's backups (a folder or a share).
pub fn inspect_from(ctx: &Context, installation: &str, selector: &str) -> Result<BackupFile> {
    let target = ctx.target()?;
    let file = match target.installations()?.is_empty() {
        true => inspect(ctx, selector)?,
        false => {
            let folder = target.of_installation(installation)?;
            let found = pick(list::refresh_as(ctx, folder.as_ref(), &folder.describe())?, Some(selector), &folder.describe())?;
            inspect_source(ctx, &found.file_name, found.file_name.clone(), folder.open(&found.file_name)?)?
        }
    };
    if !file.inspection.installation_id.eq_ignore_ascii_case(installation.trim()) {
        return Err(Error::input(format!(
            "Backup {} was made by installation {} ({}), not {installation}.",
            file.inspection.id, file.inspection.installation, file.inspection.installation_id
        )));
    }
    Ok(file)
}

/// The listing `selector` names, or the newest backup when there is none.
fn pick(listings: Vec<CachedListing>, selector: Option<&str>, location: &str) -> Result<CachedListing> {
    match selector.map(str::trim) {
        Some(selector) => {
            matching(listings, selector)?.ok_or_else(|| Error::input(format!("No backup {selector:?} at {location}: give a backup id as listed, or none for the newest.")))
        }
        None => listings
            .into_iter()
            .filter(|l| l.header.is_some())
            .max_by_key(|l| l.header.as_ref().map(|h| h.created_at))
            .ok_or_else(|| Error::input(format!("There is no backup at {location}."))),
    }
}

fn inspect_source(ctx: &Context, selector: &str, file_name: String, mut source: Box<dyn ReadSeek>) -> Result<BackupFile> {
    let header = read_header(&mut source)?;
    crate::protector::check_recipients(&header.header)?;
    let size = source.seek(SeekFrom::End(0)).context(|| "reading the backup".into())?;
    let h = &header.header;
    let inspection = BackupInspection {
        source: selector.into(),
        file_name,
        size,
        id: h.backup_id.to_string(),
        created_at: h.created_at,
        expires_at: h.expires_at,
        expired: h.expires_at <= ctx.now(),
        installation: h.installation.name.clone(),
        installation_id: h.installation.id.to_string(),
        from_elsewhere: h.installation.id != ctx.settings().installation()?.id,
        lifeboat_version: h.lifeboat_version.clone(),
        encryption: h.encryption,
        recipients: recipient_labels(h),
        needs: describe_needed(h)?,
    };
    Ok(BackupFile { inspection, header, source: Mutex::new(source) })
}

/// Opens a backup with an identity (none for an unencrypted one): authenticates
/// its header and index, so a wrong identity or a changed file is found before
/// anything else happens. The identity is not kept. A backup of this installation
/// that fails authentication is marked damaged.
pub fn unlock(ctx: &Context, file: &Arc<BackupFile>, identity: Option<&dyn Identity>) -> Result<UnlockedBackup> {
    let file_key = unwrap_file_key(&file.header.header, identity)?;
    let opened = OpenedBackup::open(&mut *file.source(), file.header.clone(), &file_key).inspect_err(|e| {
        if e.kind() == ErrorKind::Integrity {
            mark_damaged(ctx, &file.inspection.id);
        }
    })?;
    Ok(UnlockedBackup { file: file.clone(), opened })
}

/// Retention never counts a damaged backup as the newest good one.
pub(crate) fn mark_damaged(ctx: &Context, id: &str) {
    if let Err(e) = ctx.catalog().set_backup_status(id, BackupStatus::Damaged, ctx.now()) {
        tracing::warn!("could not mark backup {id} damaged: {e}");
    }
}

/// A backup file's name and content, from a path to a file anywhere or a backup at
/// the configured location.
fn open_selected(ctx: &Context, selector: &str) -> Result<(String, Box<dyn ReadSeek>)> {
    let path = Path::new(selector);
    if path.is_file() {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        return Ok((name, Box::new(File::open(path).with_path("opening", path)?)));
    }
    let target = ctx.target()?;
    let found = find(ctx, selector)?;
    Ok((found.file_name.clone(), target.open(&found.file_name)?))
}

/// A backup at the configured location, by id, unique id prefix (8 characters or
/// more) or file name: from what the location held when last listed, listed again
/// only when the backup is not among them.
pub fn find(ctx: &Context, selector: &str) -> Result<CachedListing> {
    let location = ctx.settings().location()?.description;
    if let Some(found) = matching(ctx.catalog().listings(&location)?, selector)? {
        return Ok(found);
    }
    matching(list::refresh(ctx, ctx.target()?.as_ref())?, selector)?
        .ok_or_else(|| Error::input(format!("No backup {selector:?} at {location}: give a backup id (as listed) or the path of a backup file.")))
}

/// The listing `selector` names, if one does; more than one is an error.
fn matching(listings: Vec<CachedListing>, selector: &str) -> Result<Option<CachedListing>> {
    let wanted = selector.to_ascii_lowercase();
    let mut matches: Vec<CachedListing> = listings
        .into_iter()
        .filter(|l| {
            let id = l.header.as_ref().map(|h| h.backup_id.as_str());
            l.file_name == selector || id == Some(wanted.as_str()) || (wanted.len() >= 8 && id.is_some_and(|id| id.starts_with(&wanted)))
        })
        .collect();
    match matches.len() {
        0 | 1 => Ok(matches.pop()),
        n => Err(Error::input(format!("{selector:?} matches {n} backups; give more of the id."))),
    }
}

/// Restoring an expired backup is refused.
pub(crate) fn refuse_expired(expires_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<()> {
    if expires_at <= now {
        return Err(Error::Expired { expired_at: expires_at.format("%Y-%m-%d %H:%M:%S UTC").to_string() });
    }
    Ok(())
}
