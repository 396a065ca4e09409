//! The commands the window calls. Each one is a thin wrapper over the engine: it
//! locks the engine, calls one method and maps the error. They run on Tauri's async
//! runtime (`command(async)`), never on the main thread, so reading a slow location
//! cannot freeze the window.

use std::sync::Mutex;

use lifeboat_core::engine::{BackupListing, CertificateSummary, Engine, LocationInfo, ScheduleInfo, Status};
use lifeboat_core::operation::{OperationView, Trigger};
use lifeboat_core::progress::Cancel;
use lifeboat_core::retention::Decision;
use serde::Serialize;
use tauri::{AppHandle, State};
use tauri_plugin_autostart::ManagerExt;

use crate::settings::{self, FieldProblem, LocationDraft, SettingsDraft};

/// The engine used by commands. Long operations run on their own threads with their
/// own engine, so this lock is only held for quick reads and settings.
pub struct AppState {
    pub engine: Mutex<Engine>,
}

/// An error as the window shows it: a stable code, the message and what to do.
#[derive(Debug, Serialize, specta::Type)]
pub struct UiError {
    pub code: String,
    pub message: String,
    pub hint: Option<String>,
}

impl From<lifeboat_core::Error> for UiError {
    fn from(e: lifeboat_core::Error) -> Self {
        UiError { code: e.code().into(), message: e.to_string(), hint: e.hint().map(Into::into) }
    }
}

pub(crate) type Reply<T> = Result<T, UiError>;

pub(crate) fn engine<'a>(state: &'a State<'_, AppState>) -> std::sync::MutexGuard<'a, Engine> {
    state.engine.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[tauri::command(async)]
#[specta::specta]
pub fn get_status(state: State<'_, AppState>) -> Reply<Status> {
    Ok(engine(&state).status()?)
}

/// Starts a backup and returns its operation id at once; progress arrives as events.
#[tauri::command(async)]
#[specta::specta]
pub fn backup_now(state: State<'_, AppState>) -> Reply<String> {
    Ok(engine(&state).start_backup(Trigger::OnDemand, &Cancel::default())?.id)
}

#[tauri::command(async)]
#[specta::specta]
pub fn set_automatic(state: State<'_, AppState>, enabled: bool) -> Reply<ScheduleInfo> {
    Ok(engine(&state).set_automatic(enabled)?)
}

#[tauri::command(async)]
#[specta::specta]
pub fn list_backups(state: State<'_, AppState>) -> Reply<Vec<BackupListing>> {
    Ok(engine(&state).list_backups()?)
}

#[tauri::command(async)]
#[specta::specta]
pub fn list_operations(state: State<'_, AppState>, limit: u32) -> Reply<Vec<OperationView>> {
    Ok(engine(&state).operations(limit)?)
}

#[tauri::command(async)]
#[specta::specta]
pub fn cancel_operation(state: State<'_, AppState>, id: String) -> Reply<OperationView> {
    Ok(engine(&state).cancel_operation(&id)?)
}

#[tauri::command(async)]
#[specta::specta]
pub fn get_settings(app: AppHandle, state: State<'_, AppState>) -> Reply<SettingsDraft> {
    let engine = engine(&state);
    let location = engine.location_setting()?;
    Ok(settings::draft_of(&engine.status()?, Some(&location), &engine.items()?, app.autolaunch().is_enabled().unwrap_or(false)))
}

/// "Test connection": proves the location typed in Configuration works (it
/// answers, takes the credentials, the folder exists and takes a file), saving
/// nothing; returns it with its free space.
#[tauri::command(async)]
#[specta::specta]
pub fn test_location(state: State<'_, AppState>, location: LocationDraft) -> Reply<LocationInfo> {
    let engine = engine(&state);
    let input = location.input(&engine).map_err(|(_, e)| UiError::from(e))?;
    Ok(engine.test_location_input(&input)?)
}

/// Creates the typed location's folder, as Test connection offers when it is
/// missing, then tests it.
#[tauri::command(async)]
#[specta::specta]
pub fn create_location_folder(state: State<'_, AppState>, location: LocationDraft) -> Reply<LocationInfo> {
    let engine = engine(&state);
    let input = location.input(&engine).map_err(|(_, e)| UiError::from(e))?;
    Ok(engine.create_location_folder(&input)?)
}

/// Every field's problem, as the user types; empty when the draft can be saved.
#[tauri::command(async)]
#[specta::specta]
pub fn validate_settings(state: State<'_, AppState>, draft: SettingsDraft) -> Reply<Vec<FieldProblem>> {
    Ok(settings::check(&engine(&state), &draft).err().unwrap_or_default())
}

/// The backups saving the draft would delete.
#[tauri::command(async)]
#[specta::specta]
pub fn preview_settings(state: State<'_, AppState>, draft: SettingsDraft) -> Reply<Vec<Decision>> {
    let engine = engine(&state);
    let checked = settings::check(&engine, &draft).map_err(invalid)?;
    Ok(settings::deletions(&engine, &checked)?)
}

#[tauri::command(async)]
#[specta::specta]
pub fn save_settings(app: AppHandle, state: State<'_, AppState>, draft: SettingsDraft, confirmed: bool) -> Reply<Status> {
    let engine = engine(&state);
    let checked = settings::check(&engine, &draft).map_err(invalid)?;
    let start_with_session = checked.start_with_session;
    let status = settings::save(&engine, checked, confirmed)?;
    let autolaunch = app.autolaunch();
    if autolaunch.is_enabled().unwrap_or(false) != start_with_session {
        let changed = if start_with_session { autolaunch.enable() } else { autolaunch.disable() };
        changed.map_err(|e| UiError {
            code: "autostart".into(),
            message: format!("The other settings were saved, but starting with the session could not be changed: {e}."),
            hint: None,
        })?;
    }
    Ok(status)
}

/// What a certificate file holds, shown before it is saved (thumbprint, subject, expiry).
#[tauri::command(async)]
#[specta::specta]
pub fn inspect_certificate(path: String) -> Reply<CertificateSummary> {
    Ok(CertificateSummary::from(&settings::certificate_file(&path)?))
}

/// Creates a backup certificate: the private key goes to the `.pfx` the user chose
/// (never overwriting a file), the public part to a `.cer` beside it, which the
/// window then proposes as the new encryption. Nothing is kept of the private key.
#[tauri::command]
#[specta::specta]
pub async fn create_certificate(subject: String, years: u32, password: String, pfx_path: String) -> Reply<CreatedCertificateView> {
    let password = zeroize::Zeroizing::new(password);
    tauri::async_runtime::spawn_blocking(move || {
        let pfx_path = std::path::PathBuf::from(pfx_path.trim());
        let cer_path = pfx_path.with_extension("cer");
        for path in [&pfx_path, &cer_path] {
            if path.exists() {
                return Err(lifeboat_core::Error::input(format!("{} already exists; choose another name so no key is overwritten.", path.display())));
            }
        }
        let created = lifeboat_core::protector::create_certificate(&subject, years, &password, chrono::Utc::now(), &mut rand::rng())?;
        lifeboat_core::fsutil::write_new_file(&pfx_path, &created.pfx, true)?;
        lifeboat_core::fsutil::write_new_file(&cer_path, &created.info.der, false)?;
        Ok(CreatedCertificateView {
            certificate: CertificateSummary::from(&created.info),
            pfx_path: pfx_path.display().to_string(),
            cer_path: cer_path.display().to_string(),
        })
    })
    .await
    .map_err(|e| UiError::from(lifeboat_core::Error::operation(format!("creating the certificate crashed: {e}"))))?
    .map_err(UiError::from)
}

#[derive(Serialize, specta::Type)]
pub struct CreatedCertificateView {
    pub certificate: CertificateSummary,
    pub pfx_path: String,
    pub cer_path: String,
}

fn invalid(problems: Vec<FieldProblem>) -> UiError {
    let message = problems.into_iter().map(|p| p.message).collect::<Vec<_>>().join(" ");
    UiError { code: "invalid-input".into(), message, hint: None }
}
