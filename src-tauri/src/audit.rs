//! Commands of the Activity blade's audit trail: entries as the filters narrow them,
//! the chain checked, and an export to the file chosen in the save dialog.

use lifeboat_core::audit::{self, AuditEntry, ExportFormat};
use lifeboat_core::catalog::AuditFilter;
use lifeboat_core::commands::audit::AuditReport;
use tauri::State;

use crate::commands::{engine, AppState, Reply};

#[tauri::command(async)]
#[specta::specta]
pub fn audit_list(state: State<'_, AppState>, filter: AuditFilter) -> Reply<Vec<AuditEntry>> {
    Ok(engine(&state).audit_entries(&filter)?)
}

#[tauri::command(async)]
#[specta::specta]
pub fn audit_verify(state: State<'_, AppState>) -> Reply<AuditReport> {
    Ok(engine(&state).verify_audit()?)
}

/// Writes the entries the filter admits (no limit) to `dest`, which the save dialog
/// already confirmed replacing; returns how many.
#[tauri::command(async)]
#[specta::specta]
pub fn audit_export(state: State<'_, AppState>, filter: AuditFilter, format: ExportFormat, dest: String) -> Reply<u32> {
    let entries = engine(&state).audit_entries(&AuditFilter { limit: None, ..filter })?;
    lifeboat_core::fsutil::write_atomic(std::path::Path::new(&dest), audit::export(&entries, format).as_bytes(), false)?;
    Ok(entries.len() as u32)
}
