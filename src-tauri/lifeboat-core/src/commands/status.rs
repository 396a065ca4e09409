//! Status: what the catalog knows, with no I/O to the location: the settings, the
//! last and running operations, the backups as last listed, and the location's
//! health as last checked.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::catalog::{BackupListing, Ended};
use crate::context::Context;
use crate::error::Result;
use crate::operation::{OperationKind, OperationStatus, OperationView};
use crate::settings::{LocationHealth, SettingsView};

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    #[serde(flatten)]
    pub settings: SettingsView,
    pub last_backup: Option<OperationView>,
    pub last_successful_backup_at: Option<DateTime<Utc>>,
    pub running: Option<OperationView>,
    pub health: LocationHealth,
    /// Backups at the location as last listed.
    pub backups: u32,
    pub expired_backups: u32,
    pub oldest_backup_at: Option<DateTime<Utc>>,
    pub newest_backup_at: Option<DateTime<Utc>>,
}

pub fn status(ctx: &Context) -> Result<Status> {
    let settings = ctx.settings();
    let view = settings.view()?;
    let catalog = ctx.catalog();
    let now = ctx.now();
    let listed: Vec<BackupListing> = catalog.listings(&view.location.description)?.iter().map(|l| BackupListing::of(l, now)).collect();
    let created: Vec<DateTime<Utc>> = listed.iter().filter_map(|l| l.created_at).collect();
    Ok(Status {
        last_backup: catalog.latest_operation(OperationKind::Backup, Ended::Any)?,
        last_successful_backup_at: catalog.latest_operation(OperationKind::Backup, Ended::As(OperationStatus::Succeeded))?.and_then(|o| o.finished_at),
        running: catalog.running_operation()?.map(|o| o.with_rate(now)),
        health: settings.health()?,
        backups: created.len() as u32,
        expired_backups: listed.iter().filter(|l| l.expired).count() as u32,
        oldest_backup_at: created.iter().min().copied(),
        newest_backup_at: created.iter().max().copied(),
        settings: view,
    })
}
