//! Commands of the restore wizard and the Backups blade's actions. The wizard holds
//! the inspected backup file (step 1) and the backup it unlocked (step 2) between
//! steps: verify, preview and restore take that value, so nothing is listed,
//! reopened or derived again. Both are dropped when the wizard closes; the identity
//! itself is never kept.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use lifeboat_core::commands::copy::Copy;
use lifeboat_core::commands::delete::Delete;
use lifeboat_core::commands::open::{BackupFile, BackupInspection, ContentEntry, ContentItem, UnlockedBackup};
use lifeboat_core::commands::restore::{PlannedTarget, Restore, RestoreRequest};
use lifeboat_core::commands::verify::Verify;
use lifeboat_core::protector::IdentityInput;
use lifeboat_core::Error;
use serde::Serialize;
use tauri::State;

use crate::commands::{engine, lock, AppState, Operations, Reply, UiError};

/// An unlocked backup as the wizard shows it.
#[derive(Serialize, specta::Type)]
pub struct UnlockedView {
    pub inspection: BackupInspection,
    pub items: Vec<ContentItem>,
    pub warnings: Vec<String>,
}

/// What the open wizard holds.
#[derive(Default)]
pub struct Wizard(Mutex<WizardState>);

#[derive(Default)]
struct WizardState {
    file: Option<Arc<BackupFile>>,
    unlocked: Option<Arc<UnlockedBackup>>,
}

impl Wizard {
    fn file(&self) -> Result<Arc<BackupFile>, Error> {
        lock(&self.0).file.clone().ok_or_else(|| Error::input("Choose a backup first (step 1 of the wizard)."))
    }

    fn unlocked(&self) -> Result<Arc<UnlockedBackup>, Error> {
        lock(&self.0).unlocked.clone().ok_or_else(|| Error::input("Unlock the backup first (step 2 of the wizard)."))
    }
}

/// Step 1: a backup at the location (by id) or a backup file picked from disk.
#[tauri::command(async)]
#[specta::specta]
pub fn restore_inspect(state: State<'_, AppState>, wizard: State<'_, Wizard>, source: String, installation: Option<String>) -> Reply<BackupInspection> {
    *lock(&wizard.0) = WizardState::default();
    let file = match installation {
        Some(installation) => engine(&state).inspect_from(&installation, &source)?,
        None => engine(&state).inspect(&source)?,
    };
    let inspection = file.inspection.clone();
    lock(&wizard.0).file = Some(Arc::new(file));
    Ok(inspection)
}

/// Step 2: opens the chosen backup with the identity; a wrong one is refused, naming
/// the one needed. Off the UI thread: a passphrase takes a deliberate moment.
#[tauri::command]
#[specta::specta]
pub async fn restore_unlock(state: State<'_, AppState>, wizard: State<'_, Wizard>, identity: IdentityInput) -> Reply<UnlockedView> {
    let file = wizard.file()?;
    let engine = engine(&state).reopen()?;
    let unlocked = tauri::async_runtime::spawn_blocking(move || {
        let identity = identity.open()?;
        engine.unlock(&file, identity.as_deref())
    })
    .await
    .map_err(|e| UiError::from(Error::operation(format!("unlocking crashed: {e}"))))??;
    let view = UnlockedView { inspection: unlocked.inspection().clone(), items: unlocked.items(), warnings: unlocked.warnings().to_vec() };
    lock(&wizard.0).unlocked = Some(Arc::new(unlocked));
    Ok(view)
}

/// Steps 3 and 4: what is inside a folder of an item.
#[tauri::command(async)]
#[specta::specta]
pub fn restore_browse(wizard: State<'_, Wizard>, item: String, folder: String) -> Reply<Vec<ContentEntry>> {
    Ok(wizard.unlocked()?.children(&item, &folder)?)
}

/// Step 3: authenticates every byte of the unlocked backup.
#[tauri::command(async)]
#[specta::specta]
pub fn restore_verify(state: State<'_, AppState>, wizard: State<'_, Wizard>, operations: State<'_, Operations>) -> Reply<String> {
    operations.start(&engine(&state), Verify::Authenticated(wizard.unlocked()?))
}

/// What a restore would do, for the confirmation step.
#[derive(Serialize, specta::Type)]
pub struct RestorePreview {
    pub targets: Vec<PlannedTarget>,
    /// Where copies of what is replaced are kept.
    pub safety_dir: String,
}

/// Step 5: what the restore would write and replace.
#[tauri::command(async)]
#[specta::specta]
pub fn restore_preview(state: State<'_, AppState>, wizard: State<'_, Wizard>, request: RestoreRequest) -> Reply<RestorePreview> {
    let engine = engine(&state);
    let targets = engine.preview_restore(wizard.unlocked()?.as_ref(), &request)?;
    Ok(RestorePreview { targets, safety_dir: engine.safety_dir().display().to_string() })
}

/// Step 6: starts the restore.
#[tauri::command(async)]
#[specta::specta]
pub fn restore_start(state: State<'_, AppState>, wizard: State<'_, Wizard>, operations: State<'_, Operations>, request: RestoreRequest) -> Reply<String> {
    operations.start(&engine(&state), Restore { backup: wizard.unlocked()?, request })
}

/// Closing the wizard lets go of the backup it opened.
#[tauri::command]
#[specta::specta]
pub fn restore_close(wizard: State<'_, Wizard>) {
    *lock(&wizard.0) = WizardState::default();
}

/// Checks a backup at the location against the checksum recorded when it was written.
#[tauri::command(async)]
#[specta::specta]
pub fn verify_backup(state: State<'_, AppState>, operations: State<'_, Operations>, id: String) -> Reply<String> {
    let engine = engine(&state);
    let file = Arc::new(engine.inspect(&id)?);
    operations.start(&engine, Verify::WithoutKey(file))
}

/// Saves a copy of a backup file where the user chose in the save dialog.
#[tauri::command(async)]
#[specta::specta]
pub fn copy_backup(state: State<'_, AppState>, operations: State<'_, Operations>, id: String, dest: String) -> Reply<String> {
    let engine = engine(&state);
    let file = Arc::new(engine.inspect(&id)?);
    operations.start(&engine, Copy { file, to: PathBuf::from(dest) })
}

/// Deletes a backup at the location (the window asked first).
#[tauri::command(async)]
#[specta::specta]
pub fn delete_backup(state: State<'_, AppState>, operations: State<'_, Operations>, id: String) -> Reply<String> {
    operations.start(&engine(&state), Delete { backup: id })
}
