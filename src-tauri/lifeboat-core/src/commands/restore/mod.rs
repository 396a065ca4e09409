//! Restoring: everything, some items or some paths of an unlocked backup, to the
//! original places or another folder, keeping a safety copy of what it replaces.
//! `plan` works out where everything goes, `extract` writes it (through the
//! `writers` pool) and puts it in place.

mod extract;
mod journal;
mod plan;
mod writers;

pub use extract::extract;
pub use plan::{Destination, PlannedTarget, RestoreOptions};

use std::path::PathBuf;
use std::sync::Arc;

use super::open::{refuse_expired, UnlockedBackup};
use crate::context::Context;
use crate::error::{Error, IoContext, Result};
use crate::items::VAULT_ITEM;
use crate::operation::OperationKind;
use crate::progress::{Cancel, Phase, Progress};
use crate::runner::Verb;

/// What to restore and where.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RestoreRequest {
    /// Item names; empty means every item except Lifeboat's configuration.
    pub items: Vec<String>,
    /// Files or folders relative to their item; empty means whole items.
    pub paths: Vec<String>,
    /// Another folder (`DIR/<item name>/…`); none means the original places.
    pub to: Option<PathBuf>,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Replaced {
    pub path: PathBuf,
    pub safety_copy: PathBuf,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RestoreReport {
    pub restored: Vec<PathBuf>,
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub entries: u64,
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub bytes: u64,
    pub replaced: Vec<Replaced>,
    /// What was not restored, and why (a link the user or the disk may not make).
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// Restores from an unlocked backup. Refuses an expired backup; authenticates
/// everything it restores before moving it into place.
pub struct Restore {
    pub backup: Arc<UnlockedBackup>,
    pub request: RestoreRequest,
}

/// Where copies of what restores replace are kept.
pub fn safety_dir(ctx: &Context) -> PathBuf {
    ctx.data_dir().join("safety-copies")
}

fn options(ctx: &Context, request: &RestoreRequest, restore_id: &str) -> Result<RestoreOptions> {
    if request.items.iter().any(|i| i == VAULT_ITEM) {
        return Err(Error::input(format!(
            "The {VAULT_ITEM} item is put back only by recovering the installation from this backup, which installs the vault with its key; it is never written to a folder."
        )));
    }
    let destination = match &request.to {
        Some(dir) => Destination::Folder(std::path::absolute(dir).with_path("resolving", dir)?),
        None => Destination::Original,
    };
    Ok(RestoreOptions { items: request.items.clone(), paths: request.paths.clone(), destination, safety_dir: safety_dir(ctx), restore_id: restore_id.into() })
}

/// What a restore would write and replace, checked against the backup's index
/// (items and paths exist, targets are valid) without writing anything.
pub fn preview(ctx: &Context, backup: &UnlockedBackup, request: &RestoreRequest) -> Result<Vec<PlannedTarget>> {
    refuse_expired(backup.inspection().expires_at, ctx.now())?;
    plan::plan(backup.index(), &options(ctx, request, "preview")?)
}

impl Verb for Restore {
    type Output = RestoreReport;
    const KIND: OperationKind = OperationKind::Restore;

    fn elevated_action(&self) -> Option<String> {
        let to = self.request.to.as_ref().map(|dir| format!(" to {}", dir.display())).unwrap_or_else(|| " over the original places".into());
        Some(format!("Restore from the backup {}{to}", self.backup.inspection().id))
    }

    fn run(&mut self, ctx: &Context, progress: &dyn Progress, cancel: &Cancel) -> Result<RestoreReport> {
        let now = ctx.now();
        refuse_expired(self.backup.inspection().expires_at, now)?;
        let restore_id = format!("{}-{}", now.format("%Y%m%dT%H%M%SZ"), &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let options = options(ctx, &self.request, &restore_id)?;
        for done in journal::finish_interrupted(&options.safety_dir)? {
            tracing::warn!("{done}");
        }
        progress.phase(Phase::Reading);
        self.backup.with_entries(|index, reader| extract(index, reader, &options, progress, cancel))
    }
}
