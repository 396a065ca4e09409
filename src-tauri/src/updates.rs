//! Updates in the window: the version, the feed checked at start and once a day
//! (unless turned off), "Lifeboat X.Y.Z is available" with its notes, and Install,
//! which runs the engine's update operation under the operation lock.

use std::sync::Mutex;
use std::time::Duration;

use lifeboat_core::commands::update::{installer, InstallUpdate, UpdateCheck, UpdateSettings, CURRENT_VERSION};
use lifeboat_core::engine::Engine;
use serde::Serialize;
use tauri::{AppHandle, Manager, State};
use tauri_plugin_notification::NotificationExt;
use tauri_specta::Event as _;

use crate::commands::{engine, lock, AppState, Operations, Reply};

const CHECK_EVERY: Duration = Duration::from_secs(24 * 60 * 60);

/// The last check's result, kept for a window that opens later.
#[derive(Default)]
pub struct Updates(Mutex<Option<UpdateCheck>>);

/// What the About and updates section shows.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct UpdateState {
    pub current_version: String,
    pub settings: UpdateSettings,
    /// Whether some feed is set (the user's or one built in).
    pub has_feed: bool,
    pub last_check: Option<UpdateCheck>,
}

/// A check (the daily one, or one asked for) found a newer version.
#[derive(Debug, Clone, Serialize, specta::Type, tauri_specta::Event)]
pub struct UpdateFound(pub UpdateCheck);

#[tauri::command(async)]
#[specta::specta]
pub fn update_state(state: State<'_, AppState>, updates: State<'_, Updates>) -> Reply<UpdateState> {
    let settings = engine(&state).update_settings()?;
    Ok(UpdateState { current_version: CURRENT_VERSION.into(), has_feed: settings.feed().is_some(), settings, last_check: lock(&updates.0).clone() })
}

#[tauri::command(async)]
#[specta::specta]
pub fn update_check(state: State<'_, AppState>, updates: State<'_, Updates>) -> Reply<UpdateCheck> {
    // The feed may take its time: the window's engine stays free for other commands.
    let engine = engine(&state).reopen()?;
    let check = engine.check_update(installer().as_ref())?;
    *lock(&updates.0) = Some(check.clone());
    Ok(check)
}

#[tauri::command(async)]
#[specta::specta]
pub fn update_set_settings(state: State<'_, AppState>, settings: UpdateSettings) -> Reply<UpdateSettings> {
    Ok(engine(&state).set_update_settings(&settings)?)
}

/// Starts installing the newest version; refused while another operation runs.
#[tauri::command(async)]
#[specta::specta]
pub fn update_install(state: State<'_, AppState>, operations: State<'_, Operations>) -> Reply<String> {
    operations.start(&engine(&state), InstallUpdate::for_this_build()?)
}

/// Starts the newly installed version in place of this one.
#[tauri::command]
#[specta::specta]
pub fn update_restart(app: AppHandle) {
    app.restart();
}

/// Checks at start and then daily while automatic checks are on, on a thread of its
/// own; a newer version reaches the window as an event and the desktop as a notification.
pub fn check_now_and_daily(app: AppHandle, engine: &Engine) {
    crate::on_own_thread(engine, "updates", move |engine| loop {
        let wanted = engine.update_settings().map(|s| s.check_automatically && s.feed().is_some()).unwrap_or(false);
        if wanted {
            match engine.check_update(installer().as_ref()) {
                Ok(check) => announce(&app, check),
                Err(e) => tracing::warn!("checking for updates: {e}"),
            }
        }
        std::thread::sleep(CHECK_EVERY);
    });
}

/// Keeps what a check found; a newer version goes to the window as an event, and to
/// the desktop as a notification the first time it is seen.
fn announce(app: &AppHandle, check: UpdateCheck) {
    let previous = lock(&app.state::<Updates>().0).replace(check.clone());
    let Some(update) = &check.available else { return };
    let seen = previous.and_then(|p| p.available).is_some_and(|p| p.version == update.version);
    if !seen {
        let _ = app.notification().builder().title(format!("Lifeboat {} is available", update.version)).body("Open Lifeboat to read what changed and install it.").show();
    }
    let _ = UpdateFound(check).emit(app);
}
