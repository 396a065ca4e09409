//! Commands of the restore wizard and the Backups blade's actions. The wizard's
//! unlocked backup (with the identity that opened it) is held here between steps and
//! dropped when the wizard closes; secrets come in from the window once and are never
//! sent back. Long work is started on the engine's threads; `wait_*` resolve when it
//! ends, while progress arrives as engine events.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use lifeboat_core::engine::{
    BackupInspection, ContentEntry, ContentItem, Engine, RestoreRequest, SharedIdentity, StartedOperation, UnlockedBackup,
    VerifyOutcome,
};
use lifeboat_core::progress::Cancel;
use lifeboat_core::protector::{parse_legacy_key, KeyIdentity, PassphraseIdentity, RsaIdentity};
use lifeboat_core::restore::{PlannedTarget, RestoreReport};
use lifeboat_core::Error;
use serde::{Deserialize, Serialize};
use tauri::State;
use zeroize::Zeroizing;

use crate::commands::{engine, AppState, Reply, UiError};

/// What unlocks a backup, as typed or picked in the wizard.
#[derive(Deserialize, specta::Type)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum IdentityInput {
    /// For backups that are not encrypted.
    None,
    /// A `.pfx`/`.p12` or PEM private key, and its password (empty for none).
    File { path: String, password: String },
    Passphrase { passphrase: String },
    Key { key: String },
}

impl IdentityInput {
    fn open(self) -> lifeboat_core::Result<Option<SharedIdentity>> {
        Ok(match self {
            IdentityInput::None => None,
            IdentityInput::File { path, password } => {
                let password = Zeroizing::new(password);
                let bytes = Zeroizing::new(lifeboat_core::fsutil::read_small_file(path.as_ref(), "private key")?);
                Some(Arc::new(RsaIdentity::from_file(&bytes, &password)?))
            }
            IdentityInput::Passphrase { passphrase } => Some(Arc::new(PassphraseIdentity::new(Zeroizing::new(passphrase)))),
            IdentityInput::Key { key } => Some(Arc::new(KeyIdentity(parse_legacy_key(&Zeroizing::new(key))?))),
        })
    }
}

/// An unlocked backup as the wizard shows it.
#[derive(Serialize, specta::Type)]
pub struct UnlockedView {
    pub inspection: BackupInspection,
    pub items: Vec<ContentItem>,
    pub warnings: Vec<String>,
}

/// Verify, restore and copy operations started from the window, until their outcome is collected.
#[derive(Default)]
pub struct Running {
    verify: Mutex<HashMap<String, StartedOperation<VerifyOutcome>>>,
    restore: Mutex<HashMap<String, StartedOperation<RestoreReport>>>,
    copy: Mutex<HashMap<String, StartedOperation<PathBuf>>>,
}

/// The wizard's unlocked backup; None when no wizard is open.
#[derive(Default)]
pub struct Wizard(Mutex<Option<UnlockedBackup>>);

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn keep<T>(map: &Mutex<HashMap<String, StartedOperation<T>>>, started: StartedOperation<T>) -> String {
    let id = started.id.clone();
    lock(map).insert(id.clone(), started);
    id
}

/// Waits off the UI thread for an operation started here.
async fn collect<T: Send + 'static>(map: &Mutex<HashMap<String, StartedOperation<T>>>, id: &str) -> Reply<T> {
    let started = lock(map).remove(id).ok_or_else(|| UiError::from(Error::input(format!("No operation {id} is waiting here."))))?;
    tauri::async_runtime::spawn_blocking(move || started.wait())
        .await
        .map_err(|e| UiError::from(Error::operation(format!("the operation's thread crashed: {e}"))))?
        .map_err(UiError::from)
}

fn with_unlocked<T>(wizard: &Wizard, f: impl FnOnce(&UnlockedBackup) -> lifeboat_core::Result<T>) -> Reply<T> {
    let guard = lock(&wizard.0);
    let unlocked = guard.as_ref().ok_or_else(|| Error::input("Unlock a backup first (step 2 of the wizard)."))?;
    Ok(f(unlocked)?)
}

/// Step 1: a backup at the location (by id) or a backup file picked from disk.
#[tauri::command(async)]
#[specta::specta]
pub fn restore_inspect(state: State<'_, AppState>, wizard: State<'_, Wizard>, source: String) -> Reply<BackupInspection> {
    lock(&wizard.0).take();
    Ok(engine(&state).inspect(source.trim())?)
}

/// Step 2: opens the backup with the identity; a wrong one is refused, naming the one needed.
/// Runs off the UI thread: a passphrase takes a deliberate moment to derive.
#[tauri::command]
#[specta::specta]
pub async fn restore_unlock(
    state: State<'_, AppState>,
    wizard: State<'_, Wizard>,
    source: String,
    identity: IdentityInput,
) -> Reply<UnlockedView> {
    let engine: Engine = engine(&state).reopen()?;
    let unlocked = tauri::async_runtime::spawn_blocking(move || engine.unlock(source.trim(), identity.open()?))
        .await
        .map_err(|e| UiError::from(Error::operation(format!("unlocking crashed: {e}"))))??;
    let view = UnlockedView { inspection: unlocked.inspection.clone(), items: unlocked.items(), warnings: unlocked.warnings().to_vec() };
    *lock(&wizard.0) = Some(unlocked);
    Ok(view)
}

/// Step 3 and 4: what is inside a folder of an item.
#[tauri::command(async)]
#[specta::specta]
pub fn restore_browse(wizard: State<'_, Wizard>, item: String, folder: String) -> Reply<Vec<ContentEntry>> {
    with_unlocked(&wizard, |u| u.children(&item, &folder))
}

/// Step 3: authenticates every byte of the unlocked backup.
#[tauri::command(async)]
#[specta::specta]
pub fn restore_verify(state: State<'_, AppState>, wizard: State<'_, Wizard>, running: State<'_, Running>) -> Reply<String> {
    let started = with_unlocked(&wizard, |u| engine(&state).start_verify(&u.inspection.source, u.identity(), &Cancel::default()))?;
    Ok(keep(&running.verify, started))
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
    let targets = with_unlocked(&wizard, |u| engine.preview_restore(u, &request))?;
    Ok(RestorePreview { targets, safety_dir: engine.safety_dir().display().to_string() })
}

/// Step 6: starts the restore.
#[tauri::command(async)]
#[specta::specta]
pub fn restore_start(
    state: State<'_, AppState>,
    wizard: State<'_, Wizard>,
    running: State<'_, Running>,
    request: RestoreRequest,
) -> Reply<String> {
    let started = with_unlocked(&wizard, |u| engine(&state).start_restore(&u.inspection.source, u.identity(), request, &Cancel::default()))?;
    Ok(keep(&running.restore, started))
}

/// Closing the wizard forgets the unlocked backup and its identity.
#[tauri::command]
#[specta::specta]
pub fn restore_close(wizard: State<'_, Wizard>) {
    lock(&wizard.0).take();
}

/// Checks a backup at the location against the checksum recorded when it was written.
#[tauri::command(async)]
#[specta::specta]
pub fn verify_backup(state: State<'_, AppState>, running: State<'_, Running>, id: String) -> Reply<String> {
    Ok(keep(&running.verify, engine(&state).start_verify(&id, None, &Cancel::default())?))
}

#[tauri::command]
#[specta::specta]
pub async fn wait_verify(running: State<'_, Running>, id: String) -> Reply<VerifyOutcome> {
    collect(&running.verify, &id).await
}

#[tauri::command]
#[specta::specta]
pub async fn wait_restore(running: State<'_, Running>, id: String) -> Reply<RestoreReport> {
    collect(&running.restore, &id).await
}

/// Saves a copy of a backup file where the user chose in the save dialog.
#[tauri::command(async)]
#[specta::specta]
pub fn copy_backup(state: State<'_, AppState>, running: State<'_, Running>, id: String, dest: String) -> Reply<String> {
    Ok(keep(&running.copy, engine(&state).start_copy(&id, dest.as_ref(), &Cancel::default())?))
}

#[tauri::command]
#[specta::specta]
pub async fn wait_copy(running: State<'_, Running>, id: String) -> Reply<String> {
    collect(&running.copy, &id).await.map(|p| p.display().to_string())
}

#[tauri::command(async)]
#[specta::specta]
pub fn delete_backup(state: State<'_, AppState>, id: String) -> Reply<()> {
    engine(&state).delete_backup(&id, &Cancel::default())?;
    Ok(())
}
