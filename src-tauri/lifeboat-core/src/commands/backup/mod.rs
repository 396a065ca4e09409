//! Backing up: every protected item and Lifeboat's own configuration into one new
//! backup file at the location, then the retention sweep that follows every
//! successful backup.

mod write;

pub use write::{backup_file_name, write_backup, BackupMeta, Source, WrittenBackup};

use std::fs;
use std::path::{Path, PathBuf};

use chrono::Duration;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::retention::{Retention, RetentionReport};
use super::{list, location};
use crate::catalog::{BackupRecord, BackupStatus, CachedListing, HeaderSummary};
use crate::context::Context;
use crate::error::{Error, IoContext, Result};
use crate::events::Event;
use crate::format::{EntryKind, ItemKind};
use crate::items::{plan_item, PlannedEntry, CONFIG_ITEM, VAULT_ITEM};
use crate::operation::{OperationKind, Trigger};
use crate::progress::{Cancel, NoProgress, Phase, Progress};
use crate::protector::{recipient_labels, Recipient};
use crate::runner::{self, Verb};
use crate::scratch::Scratch;

/// A backup of everything configured.
pub struct Backup;

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackupSummary {
    pub id: String,
    pub file_name: String,
    pub location: String,
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub size: u64,
    /// Of the whole file, recorded for a verify without a key.
    pub sha256: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub expires_at: chrono::DateTime<chrono::Utc>,
    pub encryption: crate::format::EncryptionKind,
    pub recipients: Vec<String>,
    pub status: BackupStatus,
    pub warnings: Vec<String>,
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub entries: u64,
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub bytes: u64,
    pub removed_incomplete: Vec<String>,
    /// The retention sweep that followed.
    pub retention: Option<RetentionReport>,
    /// Why that sweep did not run or failed (the backup itself succeeded).
    pub retention_error: Option<String>,
}

impl Verb for Backup {
    type Output = BackupSummary;
    const KIND: OperationKind = OperationKind::Backup;

    fn run(&mut self, ctx: &Context, progress: &dyn Progress, cancel: &Cancel) -> Result<BackupSummary> {
        back_up(ctx, progress, cancel).inspect_err(|e| location::note_failure(ctx, e))
    }

    fn made_backup(summary: &BackupSummary) -> Option<&str> {
        Some(&summary.id)
    }

    fn then(self, ctx: &Context, trigger: Trigger, mut summary: BackupSummary) -> BackupSummary {
        match runner::run(ctx, Retention, trigger, &NoProgress, &Cancel::default()) {
            Ok(report) => summary.retention = Some(report),
            Err(e) => summary.retention_error = Some(e.to_string()),
        }
        summary
    }
}

fn back_up(ctx: &Context, progress: &dyn Progress, cancel: &Cancel) -> Result<BackupSummary> {
    let settings = ctx.settings();
    let recipients = settings.recipients()?;
    let target = settings.target()?;
    let location = settings.location()?.description;
    let removed_incomplete = target.remove_incomplete()?;
    progress.phase(Phase::Scanning);
    let id = Uuid::new_v4();
    let now = ctx.now();
    let scratch = Scratch::new(ctx.data_dir(), "backup")?;
    let mut warnings = Vec::new();
    let mut sources = Vec::new();
    for item in settings.items()? {
        cancel.check()?;
        let entries = match item.kind {
            ItemKind::Sqlite => {
                let copy = scratch.path(&format!("item-{}.sqlite", sources.len()));
                crate::sqlite::snapshot_file(&item.path, &copy, cancel).and_then(|()| snapshot_entry(&item.path, copy))
            }
            _ => plan_item(&item, &mut warnings),
        };
        match entries {
            Ok(entries) => sources.push(Source { name: item.name.clone(), kind: item.kind, origin: item.path.to_string_lossy().into_owned(), entries }),
            Err(Error::Canceled) => return Err(Error::Canceled),
            Err(e) => warnings.push(format!("{}: not in this backup: {e}", item.name)),
        }
    }
    let catalog = ctx.catalog();
    // Before the copy: the head the header records is in the trail the backup carries.
    let audit_head = catalog.audit_head()?;
    let config_copy = scratch.path("catalog.db");
    catalog.snapshot_to(&config_copy, cancel)?;
    sources.push(Source {
        name: CONFIG_ITEM.into(),
        kind: ItemKind::Config,
        origin: catalog.path().to_string_lossy().into_owned(),
        entries: snapshot_entry(catalog.path(), config_copy)?,
    });
    // After the catalog: every vault version the catalog names is in the vault by then.
    let encrypted = recipients.iter().all(|r| r.encryption() != crate::format::EncryptionKind::None);
    match vault_source(ctx, &scratch, encrypted, cancel) {
        Ok(source) => sources.push(source),
        Err(Error::Canceled) => return Err(Error::Canceled),
        Err(e) => warnings.push(format!("{VAULT_ITEM}: not in this backup: {e}")),
    }

    let meta = BackupMeta {
        backup_id: id,
        created_at: now,
        expires_at: now + Duration::days(settings.expiry_days()? as i64),
        installation: settings.installation()?,
        lifeboat_version: env!("CARGO_PKG_VERSION").to_owned(),
        audit_head,
    };
    let file_name = backup_file_name(now, id);
    let upload = target.create(&file_name)?;
    let recipient_refs: Vec<&dyn Recipient> = recipients.iter().map(|r| r.as_ref()).collect();
    let written = write_backup(upload, meta, &recipient_refs, &sources, warnings, &mut rand::rng(), progress, cancel)?;
    written.out.commit(progress)?;

    let record = BackupRecord {
        id: id.to_string(),
        file_name: file_name.clone(),
        location: location.clone(),
        size: written.size,
        sha256: hex::encode(written.sha256),
        created_at: now,
        expires_at: written.header.expires_at,
        encryption: written.header.encryption,
        recipients: recipient_labels(&written.header),
        status: if written.warnings.is_empty() { BackupStatus::Complete } else { BackupStatus::Warnings },
        warnings: written.warnings,
    };
    let listing = CachedListing { file_name, size: written.size, header: Some(HeaderSummary::of(&written.header)), problem: None };
    catalog.transaction(|catalog| {
        catalog.record_backup(&record)?;
        catalog.put_listing(&location, &listing)
    })?;
    location::note_reachable(ctx, target.as_ref());
    if let Some(added) = list::annotate(ctx, &catalog.listings(&location)?)?.into_iter().find(|l| l.id.as_deref() == Some(record.id.as_str())) {
        ctx.publish(Event::BackupAdded { backup: added });
    }
    let BackupRecord { id, file_name, location, size, sha256, created_at, expires_at, encryption, recipients, status, warnings } = record;
    Ok(BackupSummary {
        id,
        file_name,
        location,
        size,
        sha256,
        created_at,
        expires_at,
        encryption,
        recipients,
        status,
        warnings,
        entries: written.entries,
        bytes: written.bytes,
        removed_incomplete,
        retention: None,
        retention_error: None,
    })
}

/// The vault with its key, for a recovery: only into a backup that is encrypted.
fn vault_source(ctx: &Context, scratch: &Scratch, encrypted: bool, cancel: &Cancel) -> Result<Source> {
    if !encrypted {
        return Err(Error::input("a backup without encryption never carries the vault; set a certificate or a passphrase"));
    }
    let vault = ctx.vault()?;
    let copy = scratch.path("vault.db");
    vault.snapshot_carrying_key(&copy, cancel)?;
    Ok(Source { name: VAULT_ITEM.into(), kind: ItemKind::Config, origin: vault.path().to_string_lossy().into_owned(), entries: snapshot_entry(&vault.path(), copy)? })
}

/// The single entry of a file-like item whose content was copied first (databases).
fn snapshot_entry(original: &Path, copy: PathBuf) -> Result<Vec<PlannedEntry>> {
    let size = fs::metadata(&copy).with_path("reading", &copy)?.len();
    Ok(vec![PlannedEntry { kind: EntryKind::File, rel: String::new(), path: copy, size, attrs_from: Some(original.to_owned()) }])
}
