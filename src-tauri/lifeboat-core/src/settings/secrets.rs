//! The secrets the settings use (the share password, the passphrase-derived key, the
//! legacy key) are managed secrets in the vault; the catalog names the version in use.
//! A changed secret becomes a new version before the catalog refers to it, and is
//! discarded again if the settings transaction fails, so the catalog never names a
//! version that is not there and a failed change leaves nothing behind.
//!
//! Data folders from before the vault kept them as files in `secrets/` (the share
//! password sealed under `secrets/location.key`); `move_secrets_into_vault` moves
//! them at the first start of this version and removes the files.

use std::fs;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::location::Location;
use super::{Settings, SETTING_ENCRYPTION, SETTING_LOCATION};
use crate::error::{Error, Result};
use crate::vault::ObjectKind;

pub(crate) const SHARE_PASSWORD: &str = "lifeboat-share-password";
pub(crate) const PASSPHRASE_KEY: &str = "lifeboat-passphrase-key";
pub(crate) const LEGACY_KEY: &str = "lifeboat-legacy-key";
pub(crate) const AZURE_KEY: &str = "lifeboat-azure-key";
pub(crate) const S3_SECRET: &str = "lifeboat-s3-secret";
const BASE64: &str = "application/octet-stream;base64";

/// Where a secret the settings use is kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub(crate) enum SecretRef {
    /// A version of a managed vault secret.
    Vault { vault_version: String },
    /// A file in `secrets/` (data folders from before the vault, until moved).
    File(String),
}

/// The key that sealed share passwords before the vault.
const OLD_LOCATION_KEY: &str = "location.key";
const OLD_PASSWORD_AAD: &[u8] = b"lifeboat share password v1";

impl Settings<'_> {
    /// Stores `bytes` as a new version of the managed secret `name`.
    pub(super) fn store_secret(&self, name: &str, bytes: &[u8]) -> Result<SecretRef> {
        let text = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(bytes));
        let version = self.vault()?.set_managed_secret(name, text.as_bytes(), BASE64)?;
        Ok(SecretRef::Vault { vault_version: version.version })
    }

    pub(super) fn store_password(&self, password: &str) -> Result<SecretRef> {
        self.store_text(SHARE_PASSWORD, password)
    }

    /// Stores `text` as a new version of the managed secret `name`.
    pub(super) fn store_text(&self, name: &str, text: &str) -> Result<SecretRef> {
        let version = self.vault()?.set_managed_secret(name, text.as_bytes(), "text/plain")?;
        Ok(SecretRef::Vault { vault_version: version.version })
    }

    pub(super) fn read_secret(&self, name: &str, secret: &SecretRef) -> Result<Zeroizing<Vec<u8>>> {
        let text = self.read_text(name, secret)?;
        base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map(Zeroizing::new)
            .map_err(|_| Error::operation(format!("The vault secret {name} is damaged; set the encryption again.")))
    }

    pub(super) fn read_password(&self, secret: &SecretRef) -> Result<Zeroizing<String>> {
        self.read_text(SHARE_PASSWORD, secret)
    }

    pub(super) fn read_text(&self, name: &str, secret: &SecretRef) -> Result<Zeroizing<String>> {
        match secret {
            SecretRef::Vault { vault_version } => self.vault()?.secret_value(name, Some(vault_version)),
            SecretRef::File(file) => Err(Error::operation(format!("The secret {file} was not moved into the vault; start Lifeboat again to move it, or set it again."))),
        }
    }

    /// Removes a version stored for a change that did not happen.
    pub(super) fn discard_secret(&self, name: &str, secret: &SecretRef) {
        if let (SecretRef::Vault { vault_version }, Ok(vault)) = (secret, self.vault()) {
            let _ = vault.discard_managed_version(ObjectKind::Secret, name, vault_version);
        }
    }

    /// Moves the secrets of a data folder from before the vault into it: each one is
    /// stored in the vault, then the catalog points at it, then its file goes. A crash
    /// in between leaves the file, and the next start moves it again.
    pub fn move_secrets_into_vault(&self) -> Result<()> {
        let dir = self.data_dir.join("secrets");
        if !dir.is_dir() {
            return Ok(());
        }
        if let Some(setting) = self.encryption_setting()? {
            if let Some((name, SecretRef::File(file))) = setting.secret() {
                let bytes = read_old_file(&dir.join(file))?;
                let moved = setting.with_secret(self.store_secret(name, &bytes)?);
                self.catalog.set_setting(SETTING_ENCRYPTION, &moved)?;
            }
        }
        // (A share signed in as the Windows user has no password, and nothing sealed.)
        if let Some(Location::Smb { share, user, password: None, sealed_password }) = self.catalog.setting::<Location>(SETTING_LOCATION).map(|l| l.filter(has_sealed_password))? {
            let key = read_old_file(&dir.join(OLD_LOCATION_KEY))?;
            let password = open_old_password(&key, &sealed_password)?;
            let moved = Location::Smb { share, user, password: Some(self.store_password(&password)?), sealed_password: Vec::new() };
            self.catalog.set_setting(SETTING_LOCATION, &moved)?;
        }
        // Every file but the vault key (where there is no credential store) goes: the
        // secrets of settings replaced earlier are not needed by anything.
        let vault_key = crate::vault::key_home::file_path(self.data_dir);
        for entry in fs::read_dir(&dir).map_err(|e| Error::operation(format!("reading {}: {e}", dir.display())))?.flatten() {
            if entry.path() != vault_key && entry.path().is_file() {
                fs::remove_file(entry.path()).map_err(|e| Error::operation(format!("removing {}: {e}", entry.path().display())))?;
            }
        }
        Ok(())
    }
}

fn read_old_file(path: &std::path::Path) -> Result<Zeroizing<Vec<u8>>> {
    let damaged = || Error::operation(format!("The secret file {} cannot be read; set that setting again.", path.display()));
    let text = Zeroizing::new(fs::read_to_string(path).map_err(|_| damaged())?);
    base64::engine::general_purpose::STANDARD.decode(text.trim()).map(Zeroizing::new).map_err(|_| damaged())
}

fn open_old_password(key: &[u8], sealed: &[u8]) -> Result<Zeroizing<String>> {
    let unreadable =
        || Error::operation("The saved share password cannot be opened (secrets/location.key is missing or different); set the share location again with its password.");
    let key: &[u8; 32] = key.try_into().map_err(|_| unreadable())?;
    let plain = crate::seal::open(key, OLD_PASSWORD_AAD, sealed).ok_or_else(unreadable)?;
    String::from_utf8(plain.to_vec()).map(Zeroizing::new).map_err(|_| unreadable())
}

fn has_sealed_password(location: &Location) -> bool {
    matches!(location, Location::Smb { sealed_password, .. } if !sealed_password.is_empty())
}
