//! Commands of the Vault blade: each calls the engine's vault in a line and maps the
//! error. A secret's value crosses to the window only through `vault_reveal`, the
//! blade's explicit Reveal action.

use lifeboat_core::commands::vault_restore::VaultRestore;
use lifeboat_core::fsutil::write_new_file;
use lifeboat_core::vault::key_home::KeyHome;
use lifeboat_core::vault::{AttributeChanges, Attributes, ObjectKind, ObjectSummary, VaultSettings, VersionInfo};
use tauri::State;

use crate::commands::{engine, AppState, Operations, Reply};

#[tauri::command(async)]
#[specta::specta]
pub fn vault_list(state: State<'_, AppState>, deleted: bool) -> Reply<Vec<ObjectSummary>> {
    Ok(engine(&state).vault()?.list(None, deleted)?)
}

#[tauri::command(async)]
#[specta::specta]
pub fn vault_versions(state: State<'_, AppState>, kind: ObjectKind, name: String) -> Reply<Vec<VersionInfo>> {
    Ok(engine(&state).vault()?.versions(kind, &name)?)
}

/// A new secret, or a new version of one.
#[tauri::command(async)]
#[specta::specta]
pub fn vault_set_secret(state: State<'_, AppState>, name: String, value: String, attributes: Attributes) -> Reply<VersionInfo> {
    let value = zeroize::Zeroizing::new(value);
    Ok(engine(&state).vault()?.set_secret(&name, value.as_bytes(), attributes)?)
}

/// A new RSA key generated in the vault (a new version when the name exists).
#[tauri::command(async)]
#[specta::specta]
pub fn vault_create_key(state: State<'_, AppState>, name: String, bits: u32, attributes: Attributes) -> Reply<VersionInfo> {
    Ok(engine(&state).vault()?.create_key(&name, bits as usize, attributes)?)
}

/// A certificate with its private key from a .pfx (with its password) or a PEM file.
#[tauri::command(async)]
#[specta::specta]
pub fn vault_import_certificate(state: State<'_, AppState>, name: String, path: String, password: String, attributes: Attributes) -> Reply<VersionInfo> {
    let password = zeroize::Zeroizing::new(password);
    let file = lifeboat_core::fsutil::read_small_file(std::path::Path::new(&path), "certificate")?;
    Ok(engine(&state).vault()?.import_certificate(&name, &file, &password, attributes)?)
}

/// A self-signed certificate created in the vault.
#[tauri::command(async)]
#[specta::specta]
pub fn vault_create_certificate(state: State<'_, AppState>, name: String, subject: String, bits: u32, years: u32, attributes: Attributes) -> Reply<VersionInfo> {
    Ok(engine(&state).vault()?.create_certificate(&name, &subject, bits as usize, years, attributes)?)
}

/// Reveals a secret's value: the one way a value reaches the window.
#[tauri::command(async)]
#[specta::specta]
pub fn vault_reveal(state: State<'_, AppState>, name: String, version: Option<String>) -> Reply<String> {
    Ok(engine(&state).vault()?.reveal_secret(&name, version.as_deref())?.to_string())
}

/// Changes a version's attributes (enable, disable, dates, content type, tags).
#[tauri::command(async)]
#[specta::specta]
pub fn vault_update(state: State<'_, AppState>, kind: ObjectKind, name: String, version: Option<String>, changes: AttributeChanges) -> Reply<VersionInfo> {
    Ok(engine(&state).vault()?.update(kind, &name, version.as_deref(), &changes)?)
}

#[tauri::command(async)]
#[specta::specta]
pub fn vault_delete(state: State<'_, AppState>, kind: ObjectKind, name: String) -> Reply<ObjectSummary> {
    Ok(engine(&state).vault()?.delete(kind, &name)?)
}

#[tauri::command(async)]
#[specta::specta]
pub fn vault_recover(state: State<'_, AppState>, kind: ObjectKind, name: String) -> Reply<ObjectSummary> {
    Ok(engine(&state).vault()?.recover(kind, &name)?)
}

/// Purges a deleted object for good (the window asked first).
#[tauri::command(async)]
#[specta::specta]
pub fn vault_purge(state: State<'_, AppState>, kind: ObjectKind, name: String) -> Reply<()> {
    Ok(engine(&state).vault()?.purge(kind, &name)?)
}

/// "Download backup": the object with every version, to the file chosen in the save dialog.
#[tauri::command(async)]
#[specta::specta]
pub fn vault_backup(state: State<'_, AppState>, kind: ObjectKind, name: String, dest: String) -> Reply<String> {
    let blob = engine(&state).vault()?.backup_object(kind, &name)?;
    write_new_file(std::path::Path::new(&dest), &blob, true)?;
    Ok(dest)
}

/// "Restore backup": an object from a blob file picked or typed.
#[tauri::command(async)]
#[specta::specta]
pub fn vault_restore(state: State<'_, AppState>, operations: State<'_, Operations>, path: String) -> Reply<String> {
    operations.start(&engine(&state), VaultRestore { file: path.trim().into() })
}

/// A key's public key (PEM) or a certificate (.cer) to the file chosen.
#[tauri::command(async)]
#[specta::specta]
pub fn vault_export_public(state: State<'_, AppState>, kind: ObjectKind, name: String, version: Option<String>, dest: String) -> Reply<String> {
    let bytes = engine(&state).vault()?.public_file(kind, &name, version.as_deref())?;
    write_new_file(std::path::Path::new(&dest), &bytes, false)?;
    Ok(dest)
}

#[tauri::command(async)]
#[specta::specta]
pub fn vault_settings(state: State<'_, AppState>) -> Reply<VaultSettings> {
    Ok(engine(&state).vault()?.settings()?)
}

#[tauri::command(async)]
#[specta::specta]
pub fn vault_set_recovery_days(state: State<'_, AppState>, days: u32) -> Reply<VaultSettings> {
    Ok(engine(&state).vault()?.set_recovery_days(days)?)
}

/// Moves the vault key to the OS credential store or to the user-only key file.
#[tauri::command(async)]
#[specta::specta]
pub fn vault_move_key(state: State<'_, AppState>, to: KeyHome) -> Reply<VaultSettings> {
    Ok(engine(&state).vault()?.move_key(to)?)
}

/// Turns purge protection on for good (the window asked first).
#[tauri::command(async)]
#[specta::specta]
pub fn vault_enable_purge_protection(state: State<'_, AppState>) -> Reply<VaultSettings> {
    Ok(engine(&state).vault()?.enable_purge_protection()?)
}

/// Writes this vault's geography, protected by `passphrase`, to `dest` for pairing.
#[tauri::command(async)]
#[specta::specta]
pub fn vault_export_geography(state: State<'_, AppState>, dest: String, passphrase: String) -> Reply<String> {
    let passphrase = zeroize::Zeroizing::new(passphrase);
    let file = engine(&state).vault()?.export_geography(&passphrase)?;
    write_new_file(std::path::Path::new(dest.trim()), &file, true)?;
    Ok(dest)
}

/// Pairs this vault with the geography in the file at `path`.
#[tauri::command(async)]
#[specta::specta]
pub fn vault_import_geography(state: State<'_, AppState>, path: String, passphrase: String) -> Reply<VaultSettings> {
    let passphrase = zeroize::Zeroizing::new(passphrase);
    let file = lifeboat_core::fsutil::read_small_file(std::path::Path::new(path.trim()), "geography file")?;
    Ok(engine(&state).vault()?.import_geography(&file, &passphrase)?)
}
