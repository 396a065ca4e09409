//! Retention as a verb: what a policy decides for the backups at the location now
//! (a preview) and the sweep that deletes what it no longer keeps. The decisions
//! themselves are `crate::retention::decide`, a pure function.

use serde::{Deserialize, Serialize};

use super::list;
use crate::catalog::{retention_candidates, BackupStatus};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::events::{DeletedBackup, Event};
use crate::operation::OperationKind;
use crate::progress::{Cancel, Phase, Progress};
use crate::retention::{decide, Decision, RetentionPolicy};
use crate::runner::Verb;

/// Deletes what the retention policy says to delete.
pub struct Retention;

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RetentionReport {
    pub deleted: Vec<DeletedBackup>,
    pub kept: u32,
}

/// What `policy` decides for the backups at the location now (listed afresh).
pub fn preview(ctx: &Context, policy: RetentionPolicy) -> Result<Vec<Decision>> {
    let listings = list::refresh(ctx, ctx.target()?.as_ref())?;
    let installation = ctx.settings().installation()?.id.to_string();
    Ok(decide(&retention_candidates(&listings, &installation, &ctx.catalog().backup_statuses()?), policy, ctx.now()))
}

impl Verb for Retention {
    type Output = RetentionReport;
    const KIND: OperationKind = OperationKind::Retention;

    fn run(&mut self, ctx: &Context, progress: &dyn Progress, cancel: &Cancel) -> Result<RetentionReport> {
        progress.phase(Phase::Deleting);
        let decisions = preview(ctx, ctx.settings().retention()?)?;
        let doomed: Vec<&Decision> = decisions.iter().filter(|d| !d.keep).collect();
        progress.total(0, doomed.len() as u64);
        let target = ctx.target()?;
        let location = ctx.settings().location()?.description;
        let mut report = RetentionReport { deleted: Vec::new(), kept: (decisions.len() - doomed.len()) as u32 };
        let mut failure = None;
        for d in doomed {
            if cancel.check().is_err() {
                failure = Some(Error::Canceled);
                break;
            }
            match target.delete(&d.file_name) {
                Ok(()) => {
                    ctx.catalog().transaction(|catalog| {
                        catalog.set_backup_status(&d.id, BackupStatus::Deleted, ctx.now())?;
                        catalog.remove_listing(&location, &d.file_name)
                    })?;
                    report.deleted.push(DeletedBackup { id: d.id.clone(), file_name: d.file_name.clone(), created_at: d.created_at, reason: d.reason.clone() });
                }
                Err(e) => {
                    failure.get_or_insert(e);
                }
            }
            progress.advance(0, 1);
        }
        if !report.deleted.is_empty() {
            ctx.publish(Event::BackupsDeleted { backups: report.deleted.clone() });
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(report),
        }
    }
}
