//! Where backups go: a local folder (the default, in the data folder) or a folder on
//! an SMB share, and what was last seen of it (its health). A share's password is a
//! managed vault secret; the catalog only names its version.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::secrets::SecretRef;
use super::{Settings, SettingsField, SETTING_LOCATION, SETTING_LOCATION_HEALTH};
use crate::error::{Error, ErrorCode, IoContext, LocationProblem, Result};
use crate::target::{LocalFolder, SmbCredentials, SmbPath, SmbShare, Target};

/// The longest any network call waits (shorter with a short stall timeout).
const NETWORK_TIMEOUT: Duration = Duration::from_secs(30);

/// The location as stored in the catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub(crate) enum Location {
    Local {
        path: PathBuf,
    },
    Smb {
        share: SmbPath,
        user: String,
        /// The password's version in the vault.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        password: Option<SecretRef>,
        /// Before the vault: nonce ‖ ciphertext ‖ tag under `secrets/location.key`
        /// (moved into the vault at the first start of a version with one).
        #[serde(default, skip_serializing_if = "Vec::is_empty", with = "crate::b64")]
        sealed_password: Vec<u8>,
    },
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LocationKind {
    Local,
    Smb,
}

crate::names::display_by_name!(LocationKind);

/// The configured location as saved (no network needed to read it).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocationView {
    pub kind: LocationKind,
    /// The folder, or the share path `\\server\share\folder`.
    pub path: PathBuf,
    /// For a share: the user it signs in as.
    pub user: Option<String>,
    /// "local folder /srv/backups", "SMB share \\nas01\backups".
    pub description: String,
    /// The folder in the data folder, used until another is chosen.
    pub is_default: bool,
}

/// A location that answered a test: what it is and its free space.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocationInfo {
    #[serde(flatten)]
    pub location: LocationView,
    #[cfg_attr(feature = "specta", specta(type = Option<specta_typescript::Number>))]
    pub free_bytes: Option<u64>,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthState {
    /// Not checked since it was set.
    Unknown,
    Reachable,
    Unreachable,
}

/// What was last seen of the location: checked when something changes (a backup, a
/// setting, a test) and every few minutes by the app, never per status request.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocationHealth {
    /// The location this is about (its description).
    pub location: String,
    pub state: HealthState,
    pub checked_at: Option<DateTime<Utc>>,
    #[cfg_attr(feature = "specta", specta(type = Option<specta_typescript::Number>))]
    pub free_bytes: Option<u64>,
    pub problem: Option<String>,
    pub problem_code: Option<ErrorCode>,
}

impl LocationHealth {
    pub fn unknown(location: &str) -> Self {
        LocationHealth { location: location.to_owned(), state: HealthState::Unknown, checked_at: None, free_bytes: None, problem: None, problem_code: None }
    }

    /// The outcome of a check at `now`.
    pub fn checked(location: &str, outcome: std::result::Result<Option<u64>, &Error>, now: DateTime<Utc>) -> Self {
        match outcome {
            Ok(free_bytes) => LocationHealth { state: HealthState::Reachable, checked_at: Some(now), free_bytes, ..Self::unknown(location) },
            Err(e) => LocationHealth {
                state: HealthState::Unreachable,
                checked_at: Some(now),
                problem: Some(e.to_string()),
                problem_code: Some(e.code()),
                ..Self::unknown(location)
            },
        }
    }
}

/// A location as typed in a form, before it is saved.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocationDraft {
    pub kind: LocationKind,
    /// The folder, or the share path `\\server\share\folder`.
    pub path: String,
    /// For a share: `DOMAIN\user` or `user`.
    pub user: String,
    /// For a share; empty keeps the saved password (same server, port and user).
    /// Never filled in when a draft is read back.
    pub password: String,
    pub confirm: String,
}

/// A user name as the share expects it: `DOMAIN\user` or `user`.
pub fn check_user(user: &str) -> Result<()> {
    let bad = user.trim().is_empty() || user.len() > 256 || user.chars().any(char::is_control) || user.matches('\\').count() > 1;
    if bad {
        return Err(Error::input("Give the user as DOMAIN\\user or user."));
    }
    Ok(())
}

/// A folder path typed or picked: absolute, and not a file. It need not exist yet.
fn check_folder(text: &str) -> Result<PathBuf> {
    let path = PathBuf::from(text.trim());
    if text.trim().is_empty() || !path.is_absolute() {
        return Err(Error::input("Give the full path of a folder, like /srv/backups."));
    }
    if path.exists() && !path.is_dir() {
        return Err(Error::input(format!("{} is a file, not a folder.", path.display())));
    }
    Ok(path)
}

impl Location {
    pub(crate) fn describe(&self) -> String {
        match self {
            Location::Local { path } => format!("local folder {}", path.display()),
            Location::Smb { share, .. } => format!("SMB share {}", share.display()),
        }
    }
}

impl Settings<'_> {
    pub(crate) fn stored_location(&self) -> Result<(Location, bool)> {
        Ok(match self.catalog.setting::<Location>(SETTING_LOCATION)? {
            Some(l) => (l, false),
            None => (Location::Local { path: self.data_dir.join("backups") }, true),
        })
    }

    /// The configured location as saved, without contacting it.
    pub fn location(&self) -> Result<LocationView> {
        let (location, is_default) = self.stored_location()?;
        let description = location.describe();
        Ok(match location {
            Location::Local { path } => LocationView { kind: LocationKind::Local, path, user: None, description, is_default },
            Location::Smb { share, user, .. } => {
                LocationView { kind: LocationKind::Smb, path: PathBuf::from(share.display()), user: Some(user), description, is_default }
            }
        })
    }

    /// The configured location's target (nothing is sent until it is used).
    pub fn target(&self) -> Result<Box<dyn Target>> {
        let target: Box<dyn Target> = match self.stored_location()? {
            // The default folder is Lifeboat's own; a folder the user chose was created
            // when saved, and if it is gone now that is for the user to see.
            (Location::Local { path }, true) => Box::new(LocalFolder::new(path)?),
            (Location::Local { path }, false) => Box::new(LocalFolder::at(path)?),
            (Location::Smb { share, user, password, .. }, _) => {
                let password = self.saved_password(password.as_ref())?;
                Box::new(SmbShare::new(share, SmbCredentials { user, password }, self.network_timeout()?)?)
            }
        };
        Ok(self.layered(target))
    }

    fn layered(&self, target: Box<dyn Target>) -> Box<dyn Target> {
        match self.target_layer {
            Some(layer) => layer(target),
            None => target,
        }
    }

    /// The last health recorded for the configured location (unknown when none was,
    /// or when it was about another location).
    pub fn health(&self) -> Result<LocationHealth> {
        let description = self.location()?.description;
        Ok(match self.catalog.setting::<LocationHealth>(SETTING_LOCATION_HEALTH)? {
            Some(h) if h.location == description => h,
            _ => LocationHealth::unknown(&description),
        })
    }

    pub fn record_health(&self, health: &LocationHealth) -> Result<()> {
        self.catalog.set_setting(SETTING_LOCATION_HEALTH, health)
    }

    /// The draft's location, checked field by field without contacting it.
    pub(super) fn check_location_draft(&self, draft: &LocationDraft) -> std::result::Result<TypedLocation, (SettingsField, Error)> {
        match draft.kind {
            LocationKind::Local => check_folder(&draft.path).map(TypedLocation::Local).map_err(|e| (SettingsField::Location, e)),
            LocationKind::Smb => {
                let share = SmbPath::parse(&draft.path).map_err(|e| (SettingsField::Location, e))?;
                check_user(&draft.user).map_err(|e| (SettingsField::LocationUser, e))?;
                if draft.password != draft.confirm {
                    return Err((SettingsField::LocationConfirm, Error::input("The two passwords differ; type the same password twice.")));
                }
                let user = draft.user.trim().to_owned();
                let password = match draft.password.as_str() {
                    "" => match self.saved_password_for(&share, &user).map_err(|e| (SettingsField::LocationPassword, e))? {
                        Some(saved) => self.read_password(&saved).map_err(|e| (SettingsField::LocationPassword, e))?,
                        None => return Err((SettingsField::LocationPassword, Error::input("Give the share user's password."))),
                    },
                    typed => Zeroizing::new(typed.to_owned()),
                };
                Ok(TypedLocation::Smb { share, user, password })
            }
        }
    }

    /// A typed location's target (a local folder is not created).
    pub fn typed_target(&self, typed: &TypedLocation) -> Result<Box<dyn Target>> {
        let target: Box<dyn Target> = match typed {
            TypedLocation::Local(path) => Box::new(LocalFolder::at(path)?),
            TypedLocation::Smb { share, user, password } => Box::new(SmbShare::new(
                share.clone(),
                SmbCredentials { user: user.clone(), password: password.clone() },
                self.network_timeout()?,
            )?),
        };
        Ok(self.layered(target))
    }

    /// The location to store for a typed one that passed its test (a share's password
    /// is stored in the vault first).
    pub(super) fn location_to_store(&self, typed: &TypedLocation) -> Result<Location> {
        Ok(match typed {
            TypedLocation::Local(path) => Location::Local { path: std::path::absolute(path).with_path("resolving", path)? },
            TypedLocation::Smb { share, user, password } => Location::Smb {
                share: share.clone(),
                user: user.clone(),
                password: Some(self.store_password(password)?),
                sealed_password: Vec::new(),
            },
        })
    }

    /// The saved share password, if it may stand in for an empty password field: only
    /// for the same server, port and user, so it is never sent elsewhere.
    fn saved_password_for(&self, typed: &SmbPath, user: &str) -> Result<Option<SecretRef>> {
        Ok(match self.stored_location()?.0 {
            Location::Smb { share, user: saved_user, password, .. }
                if share.server.eq_ignore_ascii_case(&typed.server) && share.port == typed.port && saved_user == user.trim() =>
            {
                Some(password.ok_or_else(not_moved)?)
            }
            _ => None,
        })
    }

    fn saved_password(&self, password: Option<&SecretRef>) -> Result<Zeroizing<String>> {
        self.read_password(password.ok_or_else(not_moved)?)
    }

    /// Every network call gives up within half the stall timeout (at most 30 s), so
    /// a server that stops answering fails the operation with a clear cause before
    /// the watchdog has to abandon it.
    fn network_timeout(&self) -> Result<Duration> {
        Ok(Duration::from_secs(u64::from(self.stall_timeout_secs()? / 2).max(1)).min(NETWORK_TIMEOUT))
    }
}

fn not_moved() -> Error {
    Error::operation("The saved share password was not moved into the vault; start Lifeboat again to move it, or set the share location again with its password.")
}

/// A location as typed, checked and with its password (typed or the saved one).
pub enum TypedLocation {
    Local(PathBuf),
    Smb { share: SmbPath, user: String, password: Zeroizing<String> },
}

impl TypedLocation {
    pub fn view(&self, is_default: bool) -> LocationView {
        match self {
            TypedLocation::Local(path) => LocationView {
                kind: LocationKind::Local,
                path: path.clone(),
                user: None,
                description: format!("local folder {}", path.display()),
                is_default,
            },
            TypedLocation::Smb { share, user, .. } => LocationView {
                kind: LocationKind::Smb,
                path: PathBuf::from(share.display()),
                user: Some(user.clone()),
                description: format!("SMB share {}", share.display()),
                is_default,
            },
        }
    }
}

/// Lists the folder, writes, renames and deletes a small file, reads the free space.
pub fn probe(target: &dyn Target) -> Result<Option<u64>> {
    target.list()?;
    target.check_writable()?;
    target.free_space()
}

/// A missing local folder fails a test as a missing share folder does.
pub fn require_folder(typed: &TypedLocation) -> Result<()> {
    match typed {
        TypedLocation::Local(path) if !path.is_dir() => {
            Err(Error::location(LocationProblem::FolderNotFound, format!("The folder {} does not exist.", path.display())))
        }
        _ => Ok(()),
    }
}


impl Settings<'_> {
    /// A typed location, checked (without contacting it), with its password.
    pub fn typed(&self, draft: &LocationDraft) -> Result<TypedLocation> {
        self.check_location_draft(draft).map_err(|(_, e)| e)
    }
}
