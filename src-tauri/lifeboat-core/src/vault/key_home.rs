//! Where the vault key lives: the operating system's credential store when there is one
//! (Secret Service on Linux, Keychain, Credential Manager), otherwise a file in
//! `secrets/` readable only by the user. The store is asked with a timeout because a
//! locked keyring can wait forever on a prompt no one sees; unattended runs must fail
//! clearly instead of hanging.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use base64::Engine as _;
use rand::RngExt;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::fsutil::{read_small_file, write_atomic};

const SERVICE: &str = "Lifeboat";
const TIMEOUT: Duration = Duration::from_secs(5);
/// `LIFEBOAT_CREDENTIAL_STORE=off` keeps new vault keys in the file (servers without a
/// desktop session, tests).
pub const STORE_SWITCH: &str = "LIFEBOAT_CREDENTIAL_STORE";

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyHome {
    CredentialStore,
    File,
}

pub type VaultKey = Zeroizing<[u8; 32]>;

/// The key file: one line per vault, `<vault id> <base64 key>`. Two lines only while
/// a recovery swaps one vault for another (the new key is added before the vault
/// changes, the old one removed after), so a crash in between leaves a key for
/// whichever vault the file names. A line of only a key (Lifeboat 0.2) belongs to the
/// vault that reads it.
pub fn file_path(data_dir: &Path) -> PathBuf {
    data_dir.join("secrets").join("vault.key")
}

/// Keeps `key` for the vault `vault_id`: in the credential store if it answers and
/// reads the key back, else in the file. Returns where it went.
pub fn store_new(data_dir: &Path, vault_id: &str, key: &VaultKey) -> Result<KeyHome> {
    if credential_store_allowed() && store_in_credentials(vault_id, key).is_ok() {
        return Ok(KeyHome::CredentialStore);
    }
    store_in_file(data_dir, vault_id, key)?;
    Ok(KeyHome::File)
}

/// Keeps `key` in the credential store because the administrator asked for it:
/// says why when the store cannot take it or does not give it back.
pub fn store_in_credential_store(vault_id: &str, key: &VaultKey) -> Result<()> {
    store_in_credentials(vault_id, key).map_err(|()| {
        Error::operation(format!(
            "The credential store did not keep the vault key (no Secret Service on this session, a locked keyring, or no answer within {} s); the key stays where it was.",
            TIMEOUT.as_secs()
        ))
    })
}

/// Adds (or replaces) the key of vault `vault_id` in the key file, keeping the others.
pub fn store_in_file(data_dir: &Path, vault_id: &str, key: &VaultKey) -> Result<()> {
    let mut lines = file_lines(data_dir);
    lines.retain(|(id, _)| id.as_deref() != Some(vault_id));
    lines.push((Some(vault_id.to_owned()), Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(key.as_ref()))));
    write_lines(data_dir, &lines)
}

/// Leaves only vault `vault_id`'s key in the key file (a recovery committed).
pub fn keep_only(data_dir: &Path, vault_id: &str) -> Result<()> {
    let mut lines = file_lines(data_dir);
    let before = lines.len();
    lines.retain(|(id, _)| id.as_deref() == Some(vault_id));
    if lines.len() == before {
        return Ok(());
    }
    write_lines(data_dir, &lines)
}

type KeyLine = (Option<String>, Zeroizing<String>);

/// The key file's lines as (vault id, base64 key); none when there is no file.
fn file_lines(data_dir: &Path) -> Vec<KeyLine> {
    let Ok(bytes) = read_small_file(&file_path(data_dir), "the vault key").map(Zeroizing::new) else { return Vec::new() };
    let Ok(text) = std::str::from_utf8(&bytes) else { return Vec::new() };
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| match line.trim().split_once(' ') {
            Some((id, key)) => (Some(id.to_owned()), Zeroizing::new(key.trim().to_owned())),
            None => (None, Zeroizing::new(line.trim().to_owned())),
        })
        .collect()
}

/// Writes the key file (atomically, readable by this user only), or removes it when
/// no line is left.
fn write_lines(data_dir: &Path, lines: &[KeyLine]) -> Result<()> {
    let path = file_path(data_dir);
    if lines.is_empty() {
        return match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::operation(format!("removing {}: {e}", path.display()))),
            _ => Ok(()),
        };
    }
    let dir = path.parent().expect("a file in secrets/");
    std::fs::create_dir_all(dir).map_err(|e| Error::operation(format!("creating {}: {e}", dir.display())))?;
    let _ = crate::owner_only::restrict(dir);
    let mut text = Zeroizing::new(String::new());
    for (id, key) in lines {
        if let Some(id) = id {
            text.push_str(id);
            text.push(' ');
        }
        text.push_str(key);
        text.push('\n');
    }
    write_atomic(&path, text.as_bytes(), true)
}

pub fn load(data_dir: &Path, vault_id: &str, home: KeyHome) -> Result<VaultKey> {
    match home {
        KeyHome::File => {
            let path = file_path(data_dir);
            read_small_file(&path, "the vault key")?;
            let damaged = || Error::operation(format!("The vault key file {} is damaged; restore it from a backup (lifeboat recover).", path.display()));
            let lines = file_lines(data_dir);
            let (_, text) = lines.iter().find(|(id, _)| id.as_deref() == Some(vault_id)).or_else(|| lines.iter().find(|(id, _)| id.is_none())).ok_or_else(damaged)?;
            decode(text.as_bytes()).ok_or_else(damaged)
        }
        KeyHome::CredentialStore => {
            let answer = ask(vault_id, |e| e.get_secret())
                .ok_or_else(|| {
                    Error::operation(format!(
                        "The credential store did not answer within {} s when Lifeboat asked for the vault key; unlock the keyring (log in to the desktop) and try again.",
                        TIMEOUT.as_secs()
                    ))
                })?
                .map(Zeroizing::new)
                .map_err(|e| {
                    Error::operation(format!("The vault key could not be read from the credential store ({e}); unlock the keyring, or recover the vault from a backup."))
                })?;
            decode(&answer).ok_or_else(|| Error::operation("The vault key in the credential store is damaged; recover the vault from a backup."))
        }
    }
}

/// Forgets the key of a vault that is being replaced (a recovery), wherever it is.
pub fn forget(data_dir: &Path, vault_id: &str, home: KeyHome) {
    match home {
        KeyHome::File => {
            let mut lines = file_lines(data_dir);
            lines.retain(|(id, _)| id.as_deref().is_some_and(|id| id != vault_id));
            let _ = write_lines(data_dir, &lines);
        }
        KeyHome::CredentialStore => {
            let _ = ask(vault_id, |e| e.delete_credential());
        }
    }
}

/// Removes `key` from the key file (left by a move that did not finish).
pub fn remove_file_copy(data_dir: &Path, key: &VaultKey) {
    let mut lines = file_lines(data_dir);
    let before = lines.len();
    lines.retain(|(_, text)| decode(text.as_bytes()).is_none_or(|found| *found != **key));
    if lines.len() != before {
        let _ = write_lines(data_dir, &lines);
    }
}

fn credential_store_allowed() -> bool {
    !matches!(std::env::var(STORE_SWITCH).as_deref(), Ok("off" | "0" | "false"))
}

fn store_in_credentials(vault_id: &str, key: &VaultKey) -> Result<(), ()> {
    let text = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(key.as_ref()));
    let stored = ask(vault_id, move |entry| {
        entry.set_secret(text.as_bytes())?;
        // Some stores accept a write they do not keep (a mock, a session-only keyring).
        Ok(entry.get_secret().map(|back| back == text.as_bytes()).unwrap_or(false))
    });
    match stored {
        Some(Ok(true)) => Ok(()),
        _ => Err(()),
    }
}

/// Asks the credential store about this vault's entry, giving up after the timeout
/// (`None`); the asking thread is left to finish or hang on its own.
fn ask<U: Send + 'static>(vault_id: &str, work: impl FnOnce(&keyring::Entry) -> keyring::Result<U> + Send + 'static) -> Option<keyring::Result<U>> {
    let user = format!("vault-key-{vault_id}");
    with_timeout(move || keyring::Entry::new(SERVICE, &user).and_then(|entry| work(&entry)))
}

fn with_timeout<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("credential-store".into())
        .spawn(move || {
            let _ = tx.send(work());
        })
        .ok()?;
    rx.recv_timeout(TIMEOUT).ok()
}

pub(crate) fn decode(text: &[u8]) -> Option<VaultKey> {
    let bytes = Zeroizing::new(base64::engine::general_purpose::STANDARD.decode(text).ok()?);
    let mut key = Zeroizing::new([0u8; 32]);
    if bytes.len() != 32 {
        return None;
    }
    key.copy_from_slice(&bytes);
    Some(key)
}

pub fn generate() -> VaultKey {
    Zeroizing::new(rand::rng().random())
}
