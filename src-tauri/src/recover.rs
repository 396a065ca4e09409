//! Commands of the first start's "Recover from a backup": find the backup (a file, or
//! the newest or a chosen one in a folder or on a share), unlock it and show what
//! comes back, then recover as an operation. Like the restore wizard, the flow holds
//! the inspected file and the unlocked backup between steps; the identity itself is
//! never kept.

use std::sync::{Arc, Mutex};

use lifeboat_core::catalog::BackupListing;
use lifeboat_core::commands::open::{BackupFile, BackupInspection, UnlockedBackup};
use lifeboat_core::commands::recover::{Recover, RecoveryPlan};
use lifeboat_core::progress::Cancel;
use lifeboat_core::protector::IdentityInput;
use lifeboat_core::settings::LocationDraft;
use lifeboat_core::Error;
use tauri::State;

use crate::commands::{engine, lock, AppState, Operations, Reply, UiError};

#[derive(Default)]
pub struct RecoveryFlow(Mutex<Held>);

#[derive(Default)]
struct Held {
    file: Option<Arc<BackupFile>>,
    unlocked: Option<Arc<UnlockedBackup>>,
}

/// Step 1, for a folder or share: the backups there to choose from, newest first.
#[tauri::command(async)]
#[specta::specta]
pub fn recover_list(state: State<'_, AppState>, location: LocationDraft) -> Reply<Vec<BackupListing>> {
    let engine = engine(&state);
    Ok(engine.list_backups_at(&engine.typed_location(&location)?)?)
}

/// Step 1: a backup file, or a folder or share and (optionally) which backup there;
/// the newest when none is named.
#[tauri::command(async)]
#[specta::specta]
pub fn recover_inspect(
    state: State<'_, AppState>,
    flow: State<'_, RecoveryFlow>,
    file: Option<String>,
    location: Option<LocationDraft>,
    backup: Option<String>,
) -> Reply<BackupInspection> {
    *lock(&flow.0) = Held::default();
    let engine = engine(&state);
    let found = match (file.as_deref().map(str::trim).filter(|f| !f.is_empty()), location) {
        (Some(path), _) if std::path::Path::new(path).is_file() => engine.inspect(path)?,
        (Some(path), _) => return Err(Error::input(format!("{path} is not a file; choose a Lifeboat backup file (.lbk).")).into()),
        (None, Some(location)) => engine.inspect_at(&engine.typed_location(&location)?, backup.as_deref().map(str::trim).filter(|b| !b.is_empty()))?,
        (None, None) => return Err(Error::input("Choose a backup file, or the folder or share that holds the backups.").into()),
    };
    let inspection = found.inspection.clone();
    lock(&flow.0).file = Some(Arc::new(found));
    Ok(inspection)
}

/// Step 2: unlocks the backup and reads what a recovery would put back and replace.
#[tauri::command]
#[specta::specta]
pub async fn recover_unlock(state: State<'_, AppState>, flow: State<'_, RecoveryFlow>, identity: IdentityInput) -> Reply<RecoveryPlan> {
    let file = lock(&flow.0).file.clone().ok_or_else(|| UiError::from(Error::input("Choose the backup first.")))?;
    let engine = engine(&state).reopen()?;
    let (unlocked, plan) = tauri::async_runtime::spawn_blocking(move || {
        let identity = identity.open()?;
        let unlocked = Arc::new(engine.unlock(&file, identity.as_deref())?);
        let plan = engine.preview_recovery(&unlocked, &Cancel::default())?;
        Ok::<_, Error>((unlocked, plan))
    })
    .await
    .map_err(|e| UiError::from(Error::operation(format!("unlocking crashed: {e}"))))??;
    lock(&flow.0).unlocked = Some(unlocked);
    Ok(plan)
}

/// Step 3: recovers (over a configured installation only when `replace` is confirmed).
#[tauri::command(async)]
#[specta::specta]
pub fn recover_start(state: State<'_, AppState>, flow: State<'_, RecoveryFlow>, operations: State<'_, Operations>, replace: bool) -> Reply<String> {
    let backup = lock(&flow.0).unlocked.clone().ok_or_else(|| UiError::from(Error::input("Unlock the backup first.")))?;
    operations.start(&engine(&state), Recover { backup, replace })
}

/// Leaving the flow lets go of the backup it opened.
#[tauri::command]
#[specta::specta]
pub fn recover_close(flow: State<'_, RecoveryFlow>) {
    *lock(&flow.0) = Held::default();
}
