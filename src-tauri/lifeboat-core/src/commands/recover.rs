//! Cloud recovery: an installation put back as a backup found it — configuration,
//! schedule, items, retention, encryption settings and the vault with its key — so
//! the administrator finds Lifeboat as it was (the share password working without
//! being typed again, the same backups listed, the same installation id, so
//! retention still knows its own backups and old vault blobs still restore).
//!
//! The backup's `lifeboat-config` (the catalog) and `lifeboat-vault` items are
//! extracted to a scratch folder and authenticated like any restore, read there for
//! the preview, then swapped in: the vault in one transaction, then the catalog in
//! one. Over a configured installation it needs confirming, and what it replaces is
//! kept as a safety copy.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::open::{refuse_expired, BackupInspection, UnlockedBackup};
use super::restore::{extract, safety_dir, Destination, RestoreOptions};
use crate::catalog::{BackupRecord, BackupStatus, Catalog};
use crate::context::Context;
use crate::error::{Error, IoContext, Result};
use crate::items::{CONFIG_ITEM, VAULT_ITEM};
use crate::operation::OperationKind;
use crate::progress::{Cancel, Phase, Progress};
use crate::runner::Verb;
use crate::scratch::Scratch;
use crate::settings::{Settings, SettingsView};
use crate::vault::{LazyVault, Vault, VaultCounts};

/// What a recovery would put back, read from the backup before anything changes.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecoveryPlan {
    pub backup: BackupInspection,
    /// The installation recovered: its id stays, so retention knows its backups.
    pub installation_id: String,
    pub installation_name: String,
    pub settings: SettingsView,
    /// None when the backup carries no vault (made without encryption, or by Lifeboat 0.2).
    pub vault: Option<VaultCounts>,
    /// What the administrator should know before or after (a secret to enter again).
    pub notes: Vec<String>,
    /// What this installation has now that the recovery replaces; None when it is new.
    pub replaces: Option<String>,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecoveryReport {
    pub plan: RecoveryPlan,
    /// Where the replaced configuration and vault were kept.
    pub safety_copy: Option<PathBuf>,
}

/// Recovers this installation from an unlocked backup. Over a configured
/// installation only when `replace` is confirmed.
pub struct Recover {
    pub backup: Arc<UnlockedBackup>,
    pub replace: bool,
}

impl Verb for Recover {
    type Output = RecoveryReport;
    const KIND: OperationKind = OperationKind::Recover;

    fn elevated_action(&self) -> Option<String> {
        Some(format!("Recover this installation from the backup {}", self.backup.inspection().id))
    }

    fn run(&mut self, ctx: &Context, progress: &dyn Progress, cancel: &Cancel) -> Result<RecoveryReport> {
        let extracted = Extracted::from(ctx, &self.backup, progress, cancel)?;
        let plan = extracted.plan(ctx, &self.backup)?;
        if let Some(current) = &plan.replaces {
            if !self.replace {
                return Err(Error::NeedsConfirmation(format!(
                    "This installation is already configured ({current}). Recovering replaces its configuration and vault with the backup's; \
                     a safety copy of them is kept. Nothing was changed; confirm to replace them."
                )));
            }
        }
        cancel.check()?;
        progress.phase(Phase::Writing);
        let safety_copy = plan.replaces.is_some().then(|| keep_safety_copy(ctx, cancel)).transpose()?;
        crate::installing::stage(ctx, &extracted.catalog, extracted.vault.as_deref())?;
        crate::installing::finish(ctx)?;
        record_source(ctx, &self.backup, &plan.installation_id, cancel)?;
        // Settings from before the vault name files in secrets/; nothing is there to move.
        let _ = ctx.settings().move_secrets_into_vault();
        // Windows and trays show the recovered settings without asking again.
        ctx.publish(crate::events::Event::SettingsChanged { settings: ctx.settings().view()? });
        Ok(RecoveryReport { plan, safety_copy })
    }
}

/// Records the backup a recovery came from as one this installation made, when it
/// is: the catalog it carries was copied while it was being written, so it does not
/// know it yet. Its checksum is taken here, for verifies without a key.
fn record_source(ctx: &Context, backup: &UnlockedBackup, installation_id: &str, cancel: &Cancel) -> Result<()> {
    let header = backup.file().header();
    let id = header.backup_id.to_string();
    if header.installation.id.to_string() != installation_id || ctx.catalog().backup_statuses()?.contains_key(&id) {
        return Ok(());
    }
    ctx.catalog().finish_carrying_backup(&id, header.created_at)?;
    let (sha256, size) = backup.file().sha256(&crate::progress::NoProgress, cancel)?;
    let warnings = backup.warnings().to_vec();
    ctx.catalog().record_backup(&BackupRecord {
        id,
        file_name: backup.inspection().file_name.clone(),
        location: ctx.settings().location()?.description,
        size,
        sha256,
        created_at: header.created_at,
        expires_at: header.expires_at,
        encryption: header.encryption,
        recipients: crate::protector::recipient_labels(header),
        status: if warnings.is_empty() { BackupStatus::Complete } else { BackupStatus::Warnings },
        warnings,
    })
}

/// What a recovery from `backup` would put back and replace; nothing changes.
pub fn preview(ctx: &Context, backup: &UnlockedBackup, cancel: &Cancel) -> Result<RecoveryPlan> {
    Extracted::from(ctx, backup, &crate::progress::NoProgress, cancel)?.plan(ctx, backup)
}

/// The backup's configuration and vault, extracted (and authenticated) to scratch.
struct Extracted {
    scratch: Scratch,
    catalog: PathBuf,
    vault: Option<PathBuf>,
}

impl Extracted {
    fn from(ctx: &Context, backup: &UnlockedBackup, progress: &dyn Progress, cancel: &Cancel) -> Result<Self> {
        refuse_expired(backup.inspection().expires_at, ctx.now())?;
        let index = backup.index();
        if index.item_by_name(CONFIG_ITEM).is_none() {
            return Err(Error::input("This backup holds no Lifeboat configuration, so an installation cannot be recovered from it."));
        }
        let has_vault = index.item_by_name(VAULT_ITEM).is_some();
        let scratch = Scratch::new(ctx.data_dir(), "recover")?;
        let extracted =
            Extracted { catalog: scratch.path(CONFIG_ITEM).join("catalog.db"), vault: has_vault.then(|| scratch.path(VAULT_ITEM).join(crate::vault::FILE_NAME)), scratch };
        let mut items = vec![CONFIG_ITEM.to_owned()];
        if has_vault {
            items.push(VAULT_ITEM.to_owned());
        }
        let options = RestoreOptions {
            items,
            paths: vec![],
            destination: Destination::Folder(extracted.scratch.dir().to_owned()),
            safety_dir: extracted.scratch.path("safety"),
            restore_id: "recover".into(),
        };
        progress.phase(Phase::Reading);
        backup.with_entries(|index, reader| extract(index, reader, &options, progress, cancel))?;
        for path in std::iter::once(&extracted.catalog).chain(extracted.vault.as_ref()) {
            if !path.is_file() {
                return Err(Error::integrity(format!("This backup's {} does not hold the file Lifeboat expects.", path.display())));
            }
        }
        Ok(extracted)
    }

    fn plan(&self, ctx: &Context, backup: &UnlockedBackup) -> Result<RecoveryPlan> {
        let catalog = Catalog::open(&self.catalog)
            .map_err(|e| Error::integrity(format!("The configuration in this backup cannot be read by this Lifeboat ({e}); it may come from a newer version.")))?;
        let vault_dir = self.vault.as_deref().and_then(Path::parent).unwrap_or(self.scratch.dir()).to_owned();
        // The backup's vault on its own: what it would record goes to the extracted catalog.
        let recorder = std::sync::Arc::new(crate::catalog::Recorder::new(self.catalog.clone(), ctx.clock().clone(), ctx.actor().clone()));
        let lazy = LazyVault::new(&vault_dir, ctx.clock().clone(), std::sync::Arc::new(crate::elevation::Elevation::new(recorder, ctx.clock().clone())));
        let settings = Settings::new(&catalog, ctx.data_dir(), ctx.now(), None, &lazy);
        let installation = settings.installation()?;
        let view = settings.view()?;
        let vault = match &self.vault {
            Some(_) => Some(lazy.get()?.counts()?),
            None => None,
        };
        let mut notes = Vec::new();
        if vault.is_none() {
            notes.push(
                "This backup carries no vault (it was made without encryption, or by an older Lifeboat): the vault is left as it is, \
                 and a share password or passphrase it needs must be entered again."
                    .into(),
            );
        }
        if view.location.kind != crate::settings::LocationKind::Local && vault.is_none() {
            notes.push(format!("Enter the password or access key for {} again after recovering.", view.location.description));
        }
        Ok(RecoveryPlan {
            backup: backup.inspection().clone(),
            installation_id: installation.id.to_string(),
            installation_name: installation.name,
            settings: view,
            vault,
            notes,
            replaces: current_configuration(ctx)?,
        })
    }
}

/// What this installation has that a recovery would replace, in words; None for a
/// new installation (nothing configured, no backups made, an empty vault).
fn current_configuration(ctx: &Context) -> Result<Option<String>> {
    let settings = ctx.settings();
    let mut parts = Vec::new();
    let items = settings.items()?.len();
    if items > 0 {
        parts.push(format!("{items} protected item(s)"));
    }
    if let Some(mode) = settings.encryption()?.mode {
        parts.push(format!("{mode} encryption"));
    }
    let location = settings.location()?;
    if !location.is_default {
        parts.push(location.description);
    }
    let backups = ctx.catalog().backup_statuses()?.len();
    if backups > 0 {
        parts.push(format!("{backups} backup(s) made"));
    }
    if ctx.data_dir().join(crate::vault::FILE_NAME).exists() {
        let counts = ctx.vault()?.counts()?;
        if counts.objects + counts.deleted > 0 {
            parts.push(format!("{} vault object(s)", counts.objects + counts.deleted));
        }
    }
    Ok((!parts.is_empty()).then(|| parts.join(", ")))
}

/// Copies of the catalog and of the vault with its key, as they are before the
/// recovery, in the restores' safety-copy folder.
fn keep_safety_copy(ctx: &Context, cancel: &Cancel) -> Result<PathBuf> {
    let dir = safety_dir(ctx).join(format!("recovery-{}", ctx.now().format("%Y%m%dT%H%M%SZ")));
    std::fs::create_dir_all(&dir).with_path("creating", &dir)?;
    crate::owner_only::restrict(&dir).with_path("protecting", &dir)?;
    ctx.catalog().snapshot_to(&dir.join("catalog.db"), cancel)?;
    let vault: &Vault = ctx.vault()?;
    vault.snapshot_carrying_key(&dir.join(crate::vault::FILE_NAME), cancel)?;
    Ok(dir)
}
