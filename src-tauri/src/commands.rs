//! The commands the window calls for Essentials, Configuration and Activity. Each
//! is a thin wrapper: it locks the engine, calls one facade method and maps the
//! error. They run on Tauri's async runtime (`command(async)`), never on the main
//! thread, so a slow location cannot freeze the window.

use std::collections::HashMap;
use std::sync::Mutex;

use lifeboat_core::catalog::BackupListing;
use lifeboat_core::commands::backup::Backup;
use lifeboat_core::commands::fleet::FleetStatus;
use lifeboat_core::commands::status::Status;
use lifeboat_core::commands::Outcome;
use lifeboat_core::engine::Engine;
use lifeboat_core::operation::OperationView;
use lifeboat_core::progress::Cancel;
use lifeboat_core::retention::Decision;
use lifeboat_core::runner::{Started, Verb};
use lifeboat_core::settings::{certificate_file, CertificateSummary, Draft, FieldProblem, LocationDraft, LocationHealth, LocationInfo, ScheduleInfo};
use lifeboat_core::{Error, ErrorCode};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, State};
use tauri_plugin_autostart::ManagerExt;

/// The engine used by commands. Long operations run on their own threads with their
/// own engine, so this lock is only held for quick reads and settings.
pub struct AppState {
    pub engine: Mutex<Engine>,
}

/// Operations started from the window, until their outcome is collected.
#[derive(Default)]
pub struct Operations(Mutex<HashMap<String, Started<Outcome>>>);

impl Operations {
    /// Starts a verb for the user and keeps it until `wait_operation` collects it.
    pub fn start<V: Verb>(&self, engine: &Engine, verb: V) -> Reply<String>
    where
        V::Output: Into<Outcome>,
    {
        let started = engine.start(verb, &Cancel::default())?.map(Into::into);
        let id = started.id.clone();
        lock(&self.0).insert(id.clone(), started);
        Ok(id)
    }
}

/// An error as the window shows it: a stable code, the message and what to do.
#[derive(Debug, Serialize, specta::Type)]
pub struct UiError {
    pub code: ErrorCode,
    pub message: String,
    pub hint: Option<String>,
}

impl From<Error> for UiError {
    fn from(e: Error) -> Self {
        UiError { code: e.code(), message: e.to_string(), hint: hint(e.code()) }
    }
}

/// The engine's hint, with where in the window to act on it.
fn hint(code: ErrorCode) -> Option<String> {
    let place = match code {
        ErrorCode::EncryptionNotSet => Some("Choose one in Configuration → Encryption."),
        ErrorCode::Busy => Some("The Activity blade can cancel it."),
        ErrorCode::Stalled => Some("The stall timeout is in Configuration → Operations."),
        ErrorCode::FolderNotFound => Some("Test connection in Configuration offers to create it."),
        _ => None,
    };
    match (code.hint(), place) {
        (Some(general), Some(place)) => Some(format!("{general} {place}")),
        (general, place) => general.or(place).map(String::from),
    }
}

pub(crate) type Reply<T> = Result<T, UiError>;

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

pub(crate) fn engine<'a>(state: &'a State<'_, AppState>) -> std::sync::MutexGuard<'a, Engine> {
    lock(&state.engine)
}

/// What the catalog knows; nothing is sent to the location.
#[tauri::command(async)]
#[specta::specta]
pub fn get_status(state: State<'_, AppState>) -> Reply<Status> {
    Ok(engine(&state).status()?)
}

/// Starts a backup and returns its operation id at once; progress arrives as events.
#[tauri::command(async)]
#[specta::specta]
pub fn backup_now(state: State<'_, AppState>, operations: State<'_, Operations>) -> Reply<String> {
    operations.start(&engine(&state), Backup)
}

/// The outcome of an operation the window started, once it ends.
#[tauri::command]
#[specta::specta]
pub async fn wait_operation(operations: State<'_, Operations>, id: String) -> Reply<Outcome> {
    let started = lock(&operations.0).remove(&id).ok_or_else(|| UiError::from(Error::input(format!("No operation {id} is waiting here."))))?;
    tauri::async_runtime::spawn_blocking(move || started.wait())
        .await
        .map_err(|e| UiError::from(Error::operation(format!("the operation's thread crashed: {e}"))))?
        .map_err(UiError::from)
}

#[tauri::command(async)]
#[specta::specta]
pub fn set_automatic(state: State<'_, AppState>, enabled: bool) -> Reply<ScheduleInfo> {
    Ok(engine(&state).set_automatic(enabled)?)
}

/// The backups at the location: one listing, headers read only for new files.
#[tauri::command(async)]
#[specta::specta]
pub fn list_backups(state: State<'_, AppState>) -> Reply<Vec<BackupListing>> {
    Ok(engine(&state).list_backups()?)
}

/// Every installation keeping backups at the location, from the headers alone.
#[tauri::command(async)]
#[specta::specta]
pub fn fleet_status(state: State<'_, AppState>) -> Reply<FleetStatus> {
    Ok(engine(&state).fleet()?)
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

/// Checks the location answers and records its health (the window asks when it
/// opens and every few minutes; the health arrives as an event too).
#[tauri::command(async)]
#[specta::specta]
pub fn check_location(state: State<'_, AppState>) -> LocationHealth {
    engine(&state).check_location()
}

/// Configuration as the blade edits it: the engine's settings draft plus what only
/// the desktop has.
#[derive(Debug, Clone, Deserialize, Serialize, specta::Type)]
pub struct Configuration {
    pub settings: Draft,
    /// Start Lifeboat (in the tray) when the user logs in.
    pub start_with_session: bool,
}

#[tauri::command(async)]
#[specta::specta]
pub fn get_configuration(app: AppHandle, state: State<'_, AppState>) -> Reply<Configuration> {
    let settings = engine(&state).settings_draft()?;
    Ok(Configuration { settings, start_with_session: app.autolaunch().is_enabled().unwrap_or(false) })
}

/// Every field's problem, by the engine's own rules, as the user types.
#[tauri::command(async)]
#[specta::specta]
pub fn validate_settings(state: State<'_, AppState>, draft: Draft) -> Vec<FieldProblem> {
    engine(&state).check_settings(&draft)
}

/// The backups saving the draft would delete.
#[tauri::command(async)]
#[specta::specta]
pub fn preview_settings(state: State<'_, AppState>, draft: Draft) -> Reply<Vec<Decision>> {
    Ok(engine(&state).settings_deletions(&draft)?)
}

/// OK: the draft applied in one transaction; confirmed deletions are swept at once.
#[tauri::command(async)]
#[specta::specta]
pub fn save_configuration(app: AppHandle, state: State<'_, AppState>, operations: State<'_, Operations>, configuration: Configuration, confirmed: bool) -> Reply<()> {
    let engine = engine(&state);
    let applied = engine.apply_settings(&configuration.settings, confirmed)?;
    if !applied.deletions.is_empty() {
        operations.start(&engine, lifeboat_core::commands::retention::Retention)?;
    }
    let autolaunch = app.autolaunch();
    if autolaunch.is_enabled().unwrap_or(false) != configuration.start_with_session {
        let changed = if configuration.start_with_session { autolaunch.enable() } else { autolaunch.disable() };
        changed.map_err(|e| UiError {
            code: ErrorCode::OperationFailed,
            message: format!("The other settings were saved, but starting with the session could not be changed: {e}."),
            hint: None,
        })?;
    }
    Ok(())
}

/// "Test connection": proves the typed location works (it answers, takes the
/// credentials, the folder exists and takes a file), saving nothing.
#[tauri::command(async)]
#[specta::specta]
pub fn test_location(state: State<'_, AppState>, location: LocationDraft) -> Reply<LocationInfo> {
    let engine = engine(&state);
    let typed = engine.typed_location(&location)?;
    Ok(engine.test_location(Some(&typed))?)
}

/// Creates the typed location's folder, as Test connection offers when it is
/// missing, then tests it.
#[tauri::command(async)]
#[specta::specta]
pub fn create_location_folder(state: State<'_, AppState>, location: LocationDraft) -> Reply<LocationInfo> {
    let engine = engine(&state);
    let typed = engine.typed_location(&location)?;
    Ok(engine.create_location_folder(Some(&typed))?)
}

/// What a certificate file holds, shown before it is saved (thumbprint, subject, expiry).
#[tauri::command(async)]
#[specta::specta]
pub fn inspect_certificate(path: String) -> Reply<CertificateSummary> {
    Ok(CertificateSummary::from(&certificate_file(&path)?))
}

#[derive(Serialize, specta::Type)]
pub struct CreatedCertificate {
    pub certificate: CertificateSummary,
    pub pfx_path: String,
    pub cer_path: String,
}

/// Creates a backup certificate: the private key goes to the `.pfx` the user chose
/// (never overwriting a file), the public part to a `.cer` beside it, which the
/// window then proposes as the new encryption. Nothing is kept of the private key.
#[tauri::command]
#[specta::specta]
pub async fn create_certificate(subject: String, years: u32, password: String, pfx_path: String) -> Reply<CreatedCertificate> {
    let password = zeroize::Zeroizing::new(password);
    tauri::async_runtime::spawn_blocking(move || {
        let pfx_path = std::path::PathBuf::from(pfx_path.trim());
        let cer_path = pfx_path.with_extension("cer");
        let info = lifeboat_core::protector::create_certificate_files(&subject, years, &password, &pfx_path, &cer_path, chrono::Utc::now())?;
        Ok::<_, Error>(CreatedCertificate { certificate: CertificateSummary::from(&info), pfx_path: pfx_path.display().to_string(), cer_path: cer_path.display().to_string() })
    })
    .await
    .map_err(|e| UiError::from(Error::operation(format!("creating the certificate crashed: {e}"))))?
    .map_err(UiError::from)
}
