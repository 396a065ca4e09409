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

pub fn file_path(data_dir: &Path) -> PathBuf {
    data_dir.join("secrets").join("vault.key")
}

/// Keeps `key` for the vault `vault_id`: in the credential store if it answers and
/// reads the key back, else in the file. Returns where it went.
pub fn store_new(data_dir: &Path, vault_id: &str, key: &VaultKey) -> Result<KeyHome> {
    if credential_store_allowed() && store_in_credentials(vault_id, key).is_ok() {
        return Ok(KeyHome::CredentialStore);
    }
    store_in_file(data_dir, key)?;
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

pub fn store_in_file(data_dir: &Path, key: &VaultKey) -> Result<()> {
    let path = file_path(data_dir);
    let dir = path.parent().expect("a file in secrets/");
    std::fs::create_dir_all(dir).map_err(|e| Error::operation(format!("creating {}: {e}", dir.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    let text = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(key.as_ref()));
    write_atomic(&path, text.as_bytes(), true)
}

pub fn load(data_dir: &Path, vault_id: &str, home: KeyHome) -> Result<VaultKey> {
    match home {
        KeyHome::File => {
            let path = file_path(data_dir);
            let text = Zeroizing::new(read_small_file(&path, "the vault key")?);
            decode(text.trim_ascii()).ok_or_else(|| {
                Error::operation(format!("The vault key file {} is damaged; restore it from a backup (lifeboat recover).", path.display()))
            })
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
                .map_err(|e| Error::operation(format!("The vault key could not be read from the credential store ({e}); unlock the keyring, or recover the vault from a backup.")))?;
            decode(&answer).ok_or_else(|| Error::operation("The vault key in the credential store is damaged; recover the vault from a backup."))
        }
    }
}

/// Forgets the key of a vault that is being replaced (a recovery), wherever it is.
pub fn forget(data_dir: &Path, vault_id: &str, home: KeyHome) {
    match home {
        KeyHome::File => {
            let _ = std::fs::remove_file(file_path(data_dir));
        }
        KeyHome::CredentialStore => {
            let _ = ask(vault_id, |e| e.delete_credential());
        }
    }
}

/// Removes the key file if it holds `key` (left by a move that did not finish).
pub fn remove_file_copy(data_dir: &Path, key: &VaultKey) {
    let path = file_path(data_dir);
    let Ok(text) = read_small_file(&path, "the vault key").map(Zeroizing::new) else { return };
    if decode(text.trim_ascii()).is_some_and(|found| *found == **key) {
        let _ = std::fs::remove_file(path);
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
