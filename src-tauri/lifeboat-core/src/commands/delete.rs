//! Deleting one backup at the location on request, as an operation (so it never
//! races a restore or verify reading it). It may delete the newest good backup: the
//! administrator asked for it.

use super::open;
use crate::catalog::BackupStatus;
use crate::context::Context;
use crate::error::Result;
use crate::events::{DeletedBackup, Event};
use crate::operation::OperationKind;
use crate::progress::{Cancel, Phase, Progress};
use crate::runner::Verb;

pub struct Delete {
    /// An id (or unique prefix) or file name at the location.
    pub backup: String,
}

impl Verb for Delete {
    type Output = DeletedBackup;
    const KIND: OperationKind = OperationKind::Delete;

    fn elevated_action(&self) -> Option<String> {
        Some(format!("Delete the backup {}", self.backup))
    }

    fn run(&mut self, ctx: &Context, progress: &dyn Progress, _cancel: &Cancel) -> Result<DeletedBackup> {
        progress.phase(Phase::Deleting);
        let found = open::find(ctx, &self.backup)?;
        ctx.target()?.delete(&found.file_name)?;
        let location = ctx.settings().location()?.description;
        let id = found.header.as_ref().map(|h| h.backup_id.clone()).unwrap_or_default();
        ctx.catalog().transaction(|catalog| {
            if !id.is_empty() {
                catalog.set_backup_status(&id, BackupStatus::Deleted, ctx.now())?;
            }
            catalog.remove_listing(&location, &found.file_name)
        })?;
        let deleted =
            DeletedBackup { id, file_name: found.file_name, created_at: found.header.map(|h| h.created_at).unwrap_or_else(|| ctx.now()), reason: "deleted by the user".into() };
        ctx.publish(Event::BackupsDeleted { backups: vec![deleted.clone()] });
        Ok(deleted)
    }
}
