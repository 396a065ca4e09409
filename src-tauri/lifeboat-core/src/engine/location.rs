//! Where backups go: a local folder (the default, in the data folder) or a folder on
//! an SMB share. A share's password is sealed (AES-256-GCM) with a key kept in the
//! data folder's `secrets/`, outside the catalog, so the catalog copy that every
//! backup carries never holds it in the clear.

use std::path::{Path, PathBuf};
use std::time::Duration;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::Aes256Gcm;
use rand::Rng;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::Engine;
use crate::error::{Error, IoContext, Result};
use crate::target::{LocalFolder, SmbCredentials, SmbPath, SmbShare, Target};

const SETTING_LOCATION: &str = "location";
const SECRET_LOCATION_KEY: &str = "location.key";
const PASSWORD_AAD: &[u8] = b"lifeboat share password v1";
/// The longest any network call waits (shorter with a short stall timeout).
const NETWORK_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Location {
    Local {
        path: PathBuf,
    },
    Smb {
        share: SmbPath,
        user: String,
        /// nonce ‖ ciphertext ‖ tag, under `secrets/location.key`.
        #[serde(with = "crate::b64")]
        sealed_password: Vec<u8>,
    },
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize)]
pub struct LocationInfo {
    /// local | smb
    pub kind: String,
    /// The folder, or the share path `\\server\share\folder`.
    pub path: PathBuf,
    /// For a share: the user it signs in as.
    pub user: Option<String>,
    pub description: String,
    #[cfg_attr(feature = "specta", specta(type = Option<u32>))]
    pub free_bytes: Option<u64>,
    pub is_default: bool,
}

/// A user name as the share expects it: `DOMAIN\user` or `user`.
fn check_user(user: &str) -> Result<()> {
    let bad = user.trim().is_empty() || user.len() > 256 || user.chars().any(char::is_control) || user.matches('\\').count() > 1;
    if bad {
        return Err(Error::input("Give the user as DOMAIN\\user or user."));
    }
    Ok(())
}

impl Engine {
    pub fn set_local_location(&self, dir: &Path) -> Result<LocationInfo> {
        let path = std::path::absolute(dir).with_path("resolving", dir)?;
        let folder = LocalFolder::new(&path)?; // creates the folder
        folder.check_writable()?;
        self.catalog.set_setting(SETTING_LOCATION, &Location::Local { path })?;
        self.location()
    }

    /// Sets a share as the location after checking it works (see `test_location`);
    /// nothing is saved when it does not.
    pub fn set_smb_location(&self, share: &str, user: &str, password: &str) -> Result<LocationInfo> {
        let share = SmbPath::parse(share)?;
        check_user(user)?;
        if password.is_empty() {
            return Err(Error::input("Give the share user's password."));
        }
        let target = SmbShare::new(
            share.clone(),
            SmbCredentials { user: user.trim().into(), password: Zeroizing::new(password.into()) },
            self.network_timeout()?,
        )?;
        probe(&target)?;
        let sealed_password = self.seal_password(password)?;
        self.catalog.set_setting(SETTING_LOCATION, &Location::Smb { share, user: user.trim().into(), sealed_password })?;
        self.location()
    }

    /// Proves the configured location works: it answers, accepts the credentials,
    /// the folder exists, a file can be written, renamed and deleted; returns it with
    /// its free space.
    pub fn test_location(&self) -> Result<LocationInfo> {
        probe(self.target()?.as_ref())?;
        self.location()
    }

    fn current_location(&self) -> Result<(Location, bool)> {
        Ok(match self.catalog.setting::<Location>(SETTING_LOCATION)? {
            Some(l) => (l, false),
            None => (Location::Local { path: self.data_dir.join("backups") }, true),
        })
    }

    pub fn location(&self) -> Result<LocationInfo> {
        let (location, is_default) = self.current_location()?;
        let target = self.target()?;
        let (kind, path, user) = match location {
            Location::Local { path } => ("local", path, None),
            Location::Smb { share, user, .. } => ("smb", PathBuf::from(share.display()), Some(user)),
        };
        Ok(LocationInfo { kind: kind.into(), path, user, description: target.describe(), free_bytes: target.free_space()?, is_default })
    }

    pub fn target(&self) -> Result<Box<dyn Target>> {
        Ok(match self.current_location()?.0 {
            Location::Local { path } => Box::new(LocalFolder::new(path)?),
            Location::Smb { share, user, sealed_password } => {
                let password = self.open_password(&sealed_password)?;
                Box::new(SmbShare::new(share, SmbCredentials { user, password }, self.network_timeout()?)?)
            }
        })
    }

    /// Every network call gives up within half the stall timeout (at most 30 s), so
    /// a server that stops answering fails the operation with a clear cause before
    /// the watchdog has to abandon it.
    fn network_timeout(&self) -> Result<Duration> {
        Ok(Duration::from_secs((self.stall_timeout_secs()? / 2).max(1)).min(NETWORK_TIMEOUT))
    }

    fn location_key(&self) -> Result<Zeroizing<Vec<u8>>> {
        match self.read_secret(SECRET_LOCATION_KEY) {
            Ok(key) if key.len() == 32 => Ok(key),
            _ => {
                let mut key = Zeroizing::new(vec![0u8; 32]);
                rand::rng().fill_bytes(&mut key);
                self.write_secret(SECRET_LOCATION_KEY, &key)?;
                Ok(key)
            }
        }
    }

    fn seal_password(&self, password: &str) -> Result<Vec<u8>> {
        let key = self.location_key()?;
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let cipher = Aes256Gcm::new_from_slice(&key).expect("32-byte key");
        let sealed = cipher
            .encrypt(&nonce.into(), Payload { msg: password.as_bytes(), aad: PASSWORD_AAD })
            .map_err(|_| Error::operation("sealing the share password failed"))?;
        Ok([nonce.as_slice(), &sealed].concat())
    }

    fn open_password(&self, sealed: &[u8]) -> Result<Zeroizing<String>> {
        let unreadable = || {
            Error::input(
                "The stored share password cannot be opened here (the data folder's secrets/location.key is missing or \
                 different); set the share location again with its password.",
            )
        };
        let key = self.read_secret(SECRET_LOCATION_KEY).map_err(|_| unreadable())?;
        if sealed.len() < 12 + 16 || key.len() != 32 {
            return Err(unreadable());
        }
        let (nonce, ct) = sealed.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| unreadable())?;
        let cipher = Aes256Gcm::new_from_slice(&key).expect("32-byte key");
        let plain = Zeroizing::new(cipher.decrypt(&nonce.into(), Payload { msg: ct, aad: PASSWORD_AAD }).map_err(|_| unreadable())?);
        String::from_utf8(plain.to_vec()).map(Zeroizing::new).map_err(|_| unreadable())
    }
}

/// Lists the folder, writes, renames and deletes a small file, reads the free space.
fn probe(target: &dyn Target) -> Result<()> {
    target.list()?;
    target.check_writable()?;
    target.free_space()?;
    Ok(())
}
