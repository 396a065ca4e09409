//! Commands of elevation: the administrator password set or changed, the session
//! elevated by the window's modal, locked by "Lock now", and the state behind the
//! "Elevated" badge. Passwords arrive, are used and are zeroized; none is kept here.

use lifeboat_core::elevation::ElevationStatus;
use tauri::State;
use zeroize::Zeroizing;

use crate::commands::{engine, AppState, Reply};

#[tauri::command(async)]
#[specta::specta]
pub fn admin_status(state: State<'_, AppState>) -> Reply<ElevationStatus> {
    Ok(engine(&state).elevation_status()?)
}

/// Elevates the window's session with the administrator password.
#[tauri::command(async)]
#[specta::specta]
pub fn admin_elevate(state: State<'_, AppState>, password: String) -> Reply<ElevationStatus> {
    let password = Zeroizing::new(password);
    Ok(engine(&state).elevate(&password)?)
}

#[tauri::command(async)]
#[specta::specta]
pub fn admin_lock(state: State<'_, AppState>) -> Reply<ElevationStatus> {
    Ok(engine(&state).lock_elevation()?)
}

/// Sets the first administrator password (`current` none) or changes it.
#[tauri::command(async)]
#[specta::specta]
pub fn admin_set_password(state: State<'_, AppState>, current: Option<String>, replacement: String) -> Reply<ElevationStatus> {
    let (current, replacement) = (current.map(Zeroizing::new), Zeroizing::new(replacement));
    Ok(engine(&state).set_admin_password(current.as_deref().map(String::as_str), &replacement)?)
}

#[tauri::command(async)]
#[specta::specta]
pub fn admin_set_timeout(state: State<'_, AppState>, minutes: u32) -> Reply<ElevationStatus> {
    Ok(engine(&state).set_elevation_minutes(minutes)?)
}
