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
use crate::error::{Error, IoContext, LocationProblem, Result};
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

/// A location as typed in a form, before it is saved.
pub enum LocationInput<'a> {
    Local { path: &'a Path },
    /// Without a password, the saved one if it applies.
    Smb { share: &'a str, user: &'a str, password: Option<&'a str> },
}

/// The configured location as saved (no network needed to read it).
#[derive(Debug, Clone, PartialEq)]
pub struct LocationSetting {
    /// local | smb
    pub kind: String,
    pub path: PathBuf,
    pub user: Option<String>,
    pub is_default: bool,
}

/// A user name as the share expects it: `DOMAIN\user` or `user`.
pub fn check_user(user: &str) -> Result<()> {
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
    /// nothing is saved when it does not. Without a password, the saved one is used
    /// if it applies (see `saved_password_applies`).
    pub fn set_smb_location(&self, share: &str, user: &str, password: Option<&str>) -> Result<LocationInfo> {
        let (share, user, password) = self.smb_fields(share, user, password)?;
        let target = SmbShare::new(share.clone(), SmbCredentials { user: user.clone(), password: password.clone() }, self.network_timeout()?)?;
        probe(&target)?;
        let sealed_password = self.seal_password(&password)?;
        self.catalog.set_setting(SETTING_LOCATION, &Location::Smb { share, user, sealed_password })?;
        self.location()
    }

    /// Proves the configured location works: it answers, accepts the credentials,
    /// the folder exists, a file can be written, renamed and deleted; returns it with
    /// its free space.
    pub fn test_location(&self) -> Result<LocationInfo> {
        probe(self.target()?.as_ref())?;
        self.location()
    }

    /// "Test connection" for a location typed in a form: the same proof as
    /// `test_location`, nothing saved. A missing folder fails as folder-not-found,
    /// which `create_location_folder` offers to fix.
    pub fn test_location_input(&self, input: &LocationInput) -> Result<LocationInfo> {
        if let LocationInput::Local { path } = input {
            // Checked first: the local target creates its folder.
            if !path.is_dir() {
                return Err(Error::location(LocationProblem::FolderNotFound, format!("The folder {} does not exist.", path.display())));
            }
        }
        let (target, setting) = self.input_target(input)?;
        probe(target.as_ref())?;
        described(setting, target.as_ref())
    }

    /// Creates the typed location's folder (with its parents), then tests it.
    pub fn create_location_folder(&self, input: &LocationInput) -> Result<LocationInfo> {
        let (target, setting) = self.input_target(input)?;
        target.create_folder()?;
        probe(target.as_ref())?;
        described(setting, target.as_ref())
    }

    /// A typed location's target, and what it is.
    fn input_target(&self, input: &LocationInput) -> Result<(Box<dyn Target>, LocationSetting)> {
        Ok(match input {
            LocationInput::Local { path } => {
                let setting = LocationSetting { kind: "local".into(), path: path.to_path_buf(), user: None, is_default: false };
                (Box::new(LocalFolder::new(path)?), setting)
            }
            LocationInput::Smb { share, user, password } => {
                let (share, user, password) = self.smb_fields(share, user, *password)?;
                let setting = LocationSetting { kind: "smb".into(), path: PathBuf::from(share.display()), user: Some(user.clone()), is_default: false };
                (Box::new(SmbShare::new(share, SmbCredentials { user, password }, self.network_timeout()?)?), setting)
            }
        })
    }

    /// The configured location as saved, without contacting it.
    pub fn location_setting(&self) -> Result<LocationSetting> {
        let (location, is_default) = self.current_location()?;
        Ok(match location {
            Location::Local { path } => LocationSetting { kind: "local".into(), path, user: None, is_default },
            Location::Smb { share, user, .. } => LocationSetting { kind: "smb".into(), path: PathBuf::from(share.display()), user: Some(user), is_default },
        })
    }

    /// Whether the saved share password may stand in for an empty password field:
    /// only for the same server, port and user, so it is never sent to another server.
    pub fn saved_password_applies(&self, share: &str, user: &str) -> bool {
        SmbPath::parse(share).is_ok_and(|typed| matches!(self.saved_password_for(&typed, user), Ok(Some(_))))
    }

    /// The saved share password (sealed), if it applies to this server and user.
    fn saved_password_for(&self, typed: &SmbPath, user: &str) -> Result<Option<Vec<u8>>> {
        Ok(match self.current_location()?.0 {
            Location::Smb { share, user: saved_user, sealed_password }
                if share.server.eq_ignore_ascii_case(&typed.server) && share.port == typed.port && saved_user == user.trim() =>
            {
                Some(sealed_password)
            }
            _ => None,
        })
    }

    /// A share, user and password checked, the password taken from the saved
    /// location when none is given and it applies.
    fn smb_fields(&self, share: &str, user: &str, password: Option<&str>) -> Result<(SmbPath, String, Zeroizing<String>)> {
        let path = SmbPath::parse(share)?;
        check_user(user)?;
        let password = match password.filter(|p| !p.is_empty()) {
            Some(p) => Zeroizing::new(p.to_owned()),
            None => match self.saved_password_for(&path, user)? {
                Some(sealed) => self.open_password(&sealed)?,
                None => return Err(Error::input("Give the share user's password.")),
            },
        };
        Ok((path, user.trim().to_owned(), password))
    }

    fn current_location(&self) -> Result<(Location, bool)> {
        Ok(match self.catalog.setting::<Location>(SETTING_LOCATION)? {
            Some(l) => (l, false),
            None => (Location::Local { path: self.data_dir.join("backups") }, true),
        })
    }

    pub fn location(&self) -> Result<LocationInfo> {
        described(self.location_setting()?, self.target()?.as_ref())
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

/// A location with what its target says of itself, free space included.
fn described(setting: LocationSetting, target: &dyn Target) -> Result<LocationInfo> {
    let LocationSetting { kind, path, user, is_default } = setting;
    Ok(LocationInfo { kind, path, user, description: target.describe(), free_bytes: target.free_space()?, is_default })
}

/// Lists the folder, writes, renames and deletes a small file, reads the free space.
fn probe(target: &dyn Target) -> Result<()> {
    target.list()?;
    target.check_writable()?;
    target.free_space()?;
    Ok(())
}
