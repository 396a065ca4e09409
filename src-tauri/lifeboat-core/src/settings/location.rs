//! Where backups go: a local folder (the default, in the data folder), a folder on
//! an SMB share, an Azure Blob Storage container or an S3-compatible bucket, and what
//! was last seen of it (its health). A share's password and an object store's access
//! key are managed vault secrets; the catalog only names their versions.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::secrets::{SecretRef, AZURE_KEY, S3_SECRET, SHARE_PASSWORD};
use super::{Settings, SettingsField, SETTING_LOCATION, SETTING_LOCATION_HEALTH};
use crate::error::{Error, ErrorCode, IoContext, LocationProblem, Result};
use crate::target::{
    check_account, check_azure_key, check_bucket, check_container, check_endpoint, check_key_id, check_prefix, check_region, check_windows_sign_in, share,
    signs_in_as_windows_user, AzureBlob, LocalFolder, S3Bucket, SmbCredentials, SmbPath, Target,
};

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
        /// Empty: Windows' own SMB client signed in as the Windows user (no password).
        user: String,
        /// The password's version in the vault.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        password: Option<SecretRef>,
        /// Before the vault: nonce ‖ ciphertext ‖ tag under `secrets/location.key`
        /// (moved into the vault at the first start of a version with one).
        #[serde(default, skip_serializing_if = "Vec::is_empty", with = "crate::b64")]
        sealed_password: Vec<u8>,
    },
    Azure {
        account: String,
        container: String,
        prefix: String,
        endpoint: Option<String>,
        /// The access key's version in the vault.
        key: SecretRef,
    },
    S3 {
        endpoint: Option<String>,
        region: String,
        bucket: String,
        prefix: String,
        access_key_id: String,
        /// The secret access key's version in the vault.
        secret: SecretRef,
    },
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LocationKind {
    Local,
    Smb,
    Azure,
    S3,
}

crate::names::display_by_name!(LocationKind);

/// The configured location as saved (no network needed to read it).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocationView {
    pub kind: LocationKind,
    /// The folder, the share path `\\server\share\folder`, or `container/prefix`
    /// (`bucket/prefix`) in object storage.
    pub path: PathBuf,
    /// For a share: the user it signs in as; for Azure the storage account, for S3
    /// the access key id.
    pub user: Option<String>,
    /// For object storage: the service's endpoint when it is not the public cloud's.
    pub endpoint: Option<String>,
    /// For S3: the region.
    pub region: Option<String>,
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
            Err(e) => {
                LocationHealth { state: HealthState::Unreachable, checked_at: Some(now), problem: Some(e.to_string()), problem_code: Some(e.code()), ..Self::unknown(location) }
            }
        }
    }
}

/// A location as typed in a form, before it is saved.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocationDraft {
    pub kind: LocationKind,
    /// The folder, the share path `\\server\share\folder`, or `container/prefix`
    /// (Azure) or `bucket/prefix` (S3).
    pub path: String,
    /// For a share: `DOMAIN\user` or `user`; for Azure the storage account name; for
    /// S3 the access key id.
    pub user: String,
    /// The share's password, Azure's access key or S3's secret access key; empty keeps
    /// the saved one (same server and user, or same account or key id and endpoint).
    /// Never filled in when a draft is read back.
    pub password: String,
    pub confirm: String,
    /// Object storage: the endpoint (empty for the public cloud).
    #[serde(default)]
    pub endpoint: String,
    /// S3: the region (empty for us-east-1).
    #[serde(default)]
    pub region: String,
}

impl LocationDraft {
    pub fn local(path: impl Into<String>) -> Self {
        LocationDraft { kind: LocationKind::Local, path: path.into(), ..Self::empty() }
    }

    pub fn smb(path: impl Into<String>, user: impl Into<String>, password: &str) -> Self {
        LocationDraft { kind: LocationKind::Smb, path: path.into(), user: user.into(), password: password.into(), confirm: password.into(), ..Self::empty() }
    }

    /// `path` is `container` or `container/prefix`.
    pub fn azure(account: impl Into<String>, path: impl Into<String>, endpoint: impl Into<String>, key: &str) -> Self {
        LocationDraft {
            kind: LocationKind::Azure,
            path: path.into(),
            user: account.into(),
            password: key.into(),
            confirm: key.into(),
            endpoint: endpoint.into(),
            region: String::new(),
        }
    }

    /// `path` is `bucket` or `bucket/prefix`.
    pub fn s3(endpoint: impl Into<String>, region: impl Into<String>, path: impl Into<String>, access_key_id: impl Into<String>, secret: &str) -> Self {
        LocationDraft {
            kind: LocationKind::S3,
            path: path.into(),
            user: access_key_id.into(),
            password: secret.into(),
            confirm: secret.into(),
            endpoint: endpoint.into(),
            region: region.into(),
        }
    }

    fn empty() -> Self {
        LocationDraft {
            kind: LocationKind::Local,
            path: String::new(),
            user: String::new(),
            password: String::new(),
            confirm: String::new(),
            endpoint: String::new(),
            region: String::new(),
        }
    }
}

/// `container/prefix` or `bucket/prefix` split at the first slash.
fn split_path(path: &str) -> (&str, &str) {
    let path = path.trim().trim_start_matches('/');
    path.split_once('/').unwrap_or((path, ""))
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
            Location::Smb { share, user, .. } => share.describe(user),
            Location::Azure { account, container, prefix, endpoint, .. } => {
                AzureBlob { account: account.clone(), container: container.clone(), prefix: prefix.clone(), endpoint: endpoint.clone(), key: Default::default() }.describe()
            }
            Location::S3 { endpoint, region, bucket, prefix, access_key_id, .. } => S3Bucket {
                endpoint: endpoint.clone(),
                region: region.clone(),
                bucket: bucket.clone(),
                prefix: prefix.clone(),
                access_key_id: access_key_id.clone(),
                secret: Default::default(),
            }
            .describe(),
        }
    }

    /// The vault secret it uses, by name.
    pub(super) fn secret(&self) -> Option<(&'static str, &SecretRef)> {
        match self {
            Location::Local { .. } => None,
            Location::Smb { password, .. } => password.as_ref().map(|p| (SHARE_PASSWORD, p)),
            Location::Azure { key, .. } => Some((AZURE_KEY, key)),
            Location::S3 { secret, .. } => Some((S3_SECRET, secret)),
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
        let view = |kind, path: PathBuf, user: Option<String>, endpoint: Option<String>, region: Option<String>| LocationView {
            kind,
            path,
            user,
            endpoint,
            region,
            description: description.clone(),
            is_default,
        };
        Ok(match location {
            Location::Local { path } => view(LocationKind::Local, path, None, None, None),
            Location::Smb { share, user, .. } => view(LocationKind::Smb, PathBuf::from(share.display()), named(user), None, None),
            Location::Azure { account, container, prefix, endpoint, .. } => view(LocationKind::Azure, PathBuf::from(joined(&container, &prefix)), Some(account), endpoint, None),
            Location::S3 { endpoint, region, bucket, prefix, access_key_id, .. } => {
                view(LocationKind::S3, PathBuf::from(joined(&bucket, &prefix)), Some(access_key_id), endpoint, Some(region))
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
            (Location::Smb { share: path, user, password, .. }, _) => {
                let password = if signs_in_as_windows_user(&user) { Zeroizing::default() } else { self.saved_password(password.as_ref())? };
                share(path, SmbCredentials { user, password }, self.network_timeout()?)?
            }
            // Object storage: the typed location with its secret read from the vault.
            (Location::Azure { account, container, prefix, endpoint, key }, _) => {
                let key = self.read_text(AZURE_KEY, &key)?;
                return self.typed_target(&TypedLocation::Azure(AzureBlob { account, container, prefix, endpoint, key }));
            }
            (Location::S3 { endpoint, region, bucket, prefix, access_key_id, secret }, _) => {
                let secret = self.read_text(S3_SECRET, &secret)?;
                return self.typed_target(&TypedLocation::S3(S3Bucket { endpoint, region, bucket, prefix, access_key_id, secret }));
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
                let user = draft.user.trim().to_owned();
                if signs_in_as_windows_user(&user) {
                    if !draft.password.is_empty() {
                        return Err((SettingsField::LocationUser, Error::input("Give the user as DOMAIN\\user or user, whose password this is.")));
                    }
                    check_windows_sign_in(&share).map_err(|e| (SettingsField::LocationUser, e))?;
                    return Ok(TypedLocation::Smb { share, user, password: Zeroizing::default() });
                }
                check_user(&draft.user).map_err(|e| (SettingsField::LocationUser, e))?;
                if draft.password != draft.confirm {
                    return Err((SettingsField::LocationConfirm, Error::input("The two passwords differ; type the same password twice.")));
                }
                let password = match draft.password.as_str() {
                    "" => match self.saved_password_for(&share, &user).map_err(|e| (SettingsField::LocationPassword, e))? {
                        Some(saved) => self.read_password(&saved).map_err(|e| (SettingsField::LocationPassword, e))?,
                        None => return Err((SettingsField::LocationPassword, Error::input("Give the share user's password."))),
                    },
                    typed => Zeroizing::new(typed.to_owned()),
                };
                Ok(TypedLocation::Smb { share, user, password })
            }
            LocationKind::Azure => {
                let (container, prefix) = split_path(&draft.path);
                let at = |field: SettingsField| move |e: Error| (field, e);
                let account = check_account(&draft.user).map_err(at(SettingsField::LocationUser))?;
                let container = check_container(container).map_err(at(SettingsField::Location))?;
                let prefix = check_prefix(prefix).map_err(at(SettingsField::Location))?;
                let endpoint = check_endpoint(&draft.endpoint).map_err(at(SettingsField::LocationEndpoint))?;
                let key = self.object_secret(draft, |saved| match saved {
                    Location::Azure { account: a, endpoint: e, key, .. } if *a == account && *e == endpoint => Some((AZURE_KEY, key.clone())),
                    _ => None,
                })?;
                check_azure_key(&key).map_err(at(SettingsField::LocationPassword))?;
                Ok(TypedLocation::Azure(AzureBlob { account, container, prefix, endpoint, key }))
            }
            LocationKind::S3 => {
                let (bucket, prefix) = split_path(&draft.path);
                let at = |field: SettingsField| move |e: Error| (field, e);
                let bucket = check_bucket(bucket).map_err(at(SettingsField::Location))?;
                let prefix = check_prefix(prefix).map_err(at(SettingsField::Location))?;
                let endpoint = check_endpoint(&draft.endpoint).map_err(at(SettingsField::LocationEndpoint))?;
                let region = check_region(&draft.region).map_err(at(SettingsField::LocationRegion))?;
                let access_key_id = check_key_id(&draft.user).map_err(at(SettingsField::LocationUser))?;
                let secret = self.object_secret(draft, |saved| match saved {
                    Location::S3 { access_key_id: id, endpoint: e, secret, .. } if *id == access_key_id && *e == endpoint => Some((S3_SECRET, secret.clone())),
                    _ => None,
                })?;
                Ok(TypedLocation::S3(S3Bucket { endpoint, region, bucket, prefix, access_key_id, secret }))
            }
        }
    }

    /// The typed access key or secret, or the saved one where `same` says the saved
    /// location is the same account (or key id) at the same endpoint.
    fn object_secret(
        &self,
        draft: &LocationDraft,
        same: impl Fn(&Location) -> Option<(&'static str, SecretRef)>,
    ) -> std::result::Result<Zeroizing<String>, (SettingsField, Error)> {
        if draft.password != draft.confirm {
            return Err((SettingsField::LocationConfirm, Error::input("The two keys differ; paste the same key twice.")));
        }
        if !draft.password.trim().is_empty() {
            return Ok(Zeroizing::new(draft.password.trim().to_owned()));
        }
        let saved = self.stored_location().map_err(|e| (SettingsField::LocationPassword, e))?.0;
        match same(&saved) {
            Some((name, secret)) => self.read_text(name, &secret).map_err(|e| (SettingsField::LocationPassword, e)),
            None => Err((SettingsField::LocationPassword, Error::input("Give the access key (it is kept in the vault)."))),
        }
    }

    /// A typed location's target (a local folder is not created).
    pub fn typed_target(&self, typed: &TypedLocation) -> Result<Box<dyn Target>> {
        let target: Box<dyn Target> = match typed {
            TypedLocation::Local(path) => Box::new(LocalFolder::at(path)?),
            TypedLocation::Smb { share: path, user, password } => share(path.clone(), SmbCredentials { user: user.clone(), password: password.clone() }, self.network_timeout()?)?,
            TypedLocation::Azure(azure) => Box::new(azure.open(&self.installation()?.id.to_string(), self.network_timeout()?)?),
            TypedLocation::S3(s3) => Box::new(s3.open(&self.installation()?.id.to_string(), self.network_timeout()?)?),
        };
        Ok(self.layered(target))
    }

    /// The location to store for a typed one that passed its test (a share's password
    /// is stored in the vault first).
    pub(super) fn location_to_store(&self, typed: &TypedLocation) -> Result<Location> {
        Ok(match typed {
            TypedLocation::Local(path) => Location::Local { path: std::path::absolute(path).with_path("resolving", path)? },
            TypedLocation::Smb { share, user, password } => {
                let password = if signs_in_as_windows_user(user) { None } else { Some(self.store_password(password)?) };
                Location::Smb { share: share.clone(), user: user.clone(), password, sealed_password: Vec::new() }
            }
            TypedLocation::Azure(a) => Location::Azure {
                account: a.account.clone(),
                container: a.container.clone(),
                prefix: a.prefix.clone(),
                endpoint: a.endpoint.clone(),
                key: self.store_text(AZURE_KEY, &a.key)?,
            },
            TypedLocation::S3(b) => Location::S3 {
                endpoint: b.endpoint.clone(),
                region: b.region.clone(),
                bucket: b.bucket.clone(),
                prefix: b.prefix.clone(),
                access_key_id: b.access_key_id.clone(),
                secret: self.store_text(S3_SECRET, &b.secret)?,
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
    Azure(AzureBlob),
    S3(S3Bucket),
}

impl TypedLocation {
    pub fn view(&self, is_default: bool) -> LocationView {
        match self {
            TypedLocation::Local(path) => LocationView {
                kind: LocationKind::Local,
                path: path.clone(),
                user: None,
                endpoint: None,
                region: None,
                description: format!("local folder {}", path.display()),
                is_default,
            },
            TypedLocation::Smb { share, user, .. } => LocationView {
                kind: LocationKind::Smb,
                path: PathBuf::from(share.display()),
                user: named(user.clone()),
                endpoint: None,
                region: None,
                description: share.describe(user),
                is_default,
            },
            TypedLocation::Azure(a) => LocationView {
                kind: LocationKind::Azure,
                path: PathBuf::from(joined(&a.container, &a.prefix)),
                user: Some(a.account.clone()),
                endpoint: a.endpoint.clone(),
                region: None,
                description: a.describe(),
                is_default,
            },
            TypedLocation::S3(b) => LocationView {
                kind: LocationKind::S3,
                path: PathBuf::from(joined(&b.bucket, &b.prefix)),
                user: Some(b.access_key_id.clone()),
                endpoint: b.endpoint.clone(),
                region: Some(b.region.clone()),
                description: b.describe(),
                is_default,
            },
        }
    }
}

/// A share's user for views: none when signing in as the Windows user.
fn named(user: String) -> Option<String> {
    Some(user).filter(|u| !signs_in_as_windows_user(u))
}

fn joined(container: &str, prefix: &str) -> String {
    if prefix.is_empty() {
        container.to_owned()
    } else {
        format!("{container}/{prefix}")
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
        TypedLocation::Local(path) if !path.is_dir() => Err(Error::location(LocationProblem::FolderNotFound, format!("The folder {} does not exist.", path.display()))),
        _ => Ok(()),
    }
}

impl Settings<'_> {
    /// A typed location, checked (without contacting it), with its password.
    pub fn typed(&self, draft: &LocationDraft) -> Result<TypedLocation> {
        self.check_location_draft(draft).map_err(|(_, e)| e)
    }
}
