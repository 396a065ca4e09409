//! `lifeboat location`: where backups are written, tested before it is saved.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use lifeboat_core::engine::Engine;
use lifeboat_core::settings::{HealthState, LocationDraft, LocationHealth, LocationInfo, LocationView, TypedLocation};
use lifeboat_core::target::SmbPath;
use lifeboat_core::Result;
use serde::Serialize;

use crate::output::{size, utc, Output};
use crate::secrets::read_stdin;

#[derive(Subcommand)]
pub enum LocationCommand {
    /// Write backups to a local (or mounted) folder; created if missing.
    SetLocal { dir: PathBuf },
    /// Write backups to a folder on an SMB share, written by Lifeboat itself (no
    /// mounting). Checked before it is saved (see `location test`). On Windows,
    /// without --user: through Windows' own SMB client, signed in as you.
    SetSmb {
        /// \\server\share\folder, \\server:port\share\folder or smb://server/share/folder.
        path: String,
        #[command(flatten)]
        login: ShareLogin,
    },
    /// Write backups to a container of an Azure storage account (which must exist),
    /// under PREFIX/INSTALLATION-ID/. The access key is read from stdin and kept in
    /// the vault. Checked before it is saved.
    SetAzure {
        #[arg(long)]
        account: String,
        #[arg(long)]
        container: String,
        /// Folders inside the container, like backups/workstations.
        #[arg(long, default_value = "")]
        prefix: String,
        /// For sovereign clouds and emulators, e.g. http://127.0.0.1:10000/devstoreaccount1.
        #[arg(long, default_value = "")]
        endpoint: String,
        /// Read the access key from stdin (prompted without echo on a terminal).
        #[arg(long, required = true)]
        key_stdin: bool,
    },
    /// Write backups to an S3-compatible bucket (which must exist), under
    /// PREFIX/INSTALLATION-ID/. The secret access key is read from stdin and kept in
    /// the vault. Checked before it is saved.
    SetS3 {
        /// The service's URL (omit for Amazon S3).
        #[arg(long, default_value = "")]
        endpoint: String,
        #[arg(long)]
        bucket: String,
        #[arg(long, default_value = "")]
        prefix: String,
        /// Default us-east-1.
        #[arg(long, default_value = "")]
        region: String,
        #[arg(long)]
        access_key_id: String,
        /// Read the secret access key from stdin (prompted without echo on a terminal).
        #[arg(long, required = true)]
        secret_stdin: bool,
    },
    /// Check a location: it answers, accepts the credentials, the folder exists, a
    /// file can be written, renamed and deleted; shows the free space. Without
    /// PATH, the configured location.
    Test(TypedArgs),
    /// Create a location's folder with its parents, then test it. Without PATH,
    /// the configured location's.
    CreateFolder(TypedArgs),
    /// The configured location and its health as last checked.
    Show,
}

#[derive(Args)]
pub struct ShareLogin {
    /// DOMAIN\user or user (on Windows, leave out to sign in as the Windows user).
    #[arg(long, requires = "password_stdin")]
    user: Option<String>,
    /// Read the password from stdin (prompted without echo on a terminal).
    #[arg(long, requires = "user")]
    password_stdin: bool,
}

impl ShareLogin {
    /// The share's draft, its password read from stdin when a user is given.
    fn draft(self, path: String) -> Result<LocationDraft> {
        let password = if self.password_stdin { read_stdin("Share password")? } else { Default::default() };
        Ok(LocationDraft::smb(path, self.user.unwrap_or_default(), &password))
    }
}

#[derive(Args)]
pub struct TypedArgs {
    /// A local folder or a share path (\\server\share\folder or smb://...).
    path: Option<String>,
    /// For a share: DOMAIN\user or user (on Windows, leave out to sign in as the
    /// Windows user).
    #[arg(long, requires = "path")]
    user: Option<String>,
    /// For a share: read the password from stdin (without it, the saved password,
    /// for the same server and user).
    #[arg(long, requires = "user")]
    password_stdin: bool,
}

impl TypedArgs {
    fn typed(&self, engine: &Engine) -> Result<Option<TypedLocation>> {
        let Some(path) = &self.path else { return Ok(None) };
        let password = if self.password_stdin { std::mem::take(&mut *read_stdin("Share password")?) } else { String::new() };
        let draft = match &self.user {
            Some(user) => LocationDraft::smb(path.clone(), user.clone(), &password),
            None if SmbPath::parse(path).is_ok() => LocationDraft::smb(path.clone(), "", ""),
            None => LocationDraft::local(absolute(path)),
        };
        engine.typed_location(&draft).map(Some)
    }
}

fn absolute(path: &str) -> String {
    std::path::absolute(path).map(|p| p.display().to_string()).unwrap_or_else(|_| path.to_owned())
}

/// What `location show` prints: the location and what was last seen of it.
#[derive(Serialize)]
struct Shown {
    #[serde(flatten)]
    location: LocationView,
    health: LocationHealth,
}

pub fn run(engine: &Engine, command: LocationCommand, out: &Output) -> Result<()> {
    match command {
        LocationCommand::SetLocal { dir } => {
            let draft = LocationDraft::local(absolute(&dir.display().to_string()));
            let applied = engine.change_settings(|d| d.location = draft, false)?;
            let location = applied.settings.location;
            out.value(&location, || format!("Backups will be written to {}.", location.path.display()))
        }
        LocationCommand::SetSmb { path, login } => set(engine, login.draft(path)?, out),
        LocationCommand::SetAzure { account, container, prefix, endpoint, key_stdin: _ } => {
            let key = read_stdin("Access key")?;
            set(engine, LocationDraft::azure(account, joined(&container, &prefix), endpoint, &key), out)
        }
        LocationCommand::SetS3 { endpoint, bucket, prefix, region, access_key_id, secret_stdin: _ } => {
            let secret = read_stdin("Secret access key")?;
            set(engine, LocationDraft::s3(endpoint, region, joined(&bucket, &prefix), access_key_id, &secret), out)
        }
        LocationCommand::Test(args) => {
            let info = engine.test_location(args.typed(engine)?.as_ref())?;
            let room = if info.free_bytes.is_some() { ", and has room" } else { "" };
            out.value(&info, || format!("OK: {} answers and takes a file{room}.", describe(&info)))
        }
        LocationCommand::CreateFolder(args) => {
            let info = engine.create_location_folder(args.typed(engine)?.as_ref())?;
            out.value(&info, || format!("Created the folder: {} answers and takes a file.", describe(&info)))
        }
        LocationCommand::Show => {
            let shown = Shown { location: engine.settings()?.location, health: engine.status()?.health };
            out.value(&shown, || format!("{}\n{}", shown.location.description, health(&shown.health)))
        }
    }
}

/// Saves a location once it passed its test.
fn set(engine: &Engine, draft: LocationDraft, out: &Output) -> Result<()> {
    let applied = engine.change_settings(|d| d.location = draft, false)?;
    let info = LocationInfo { location: applied.settings.location, free_bytes: applied.tested_location.flatten() };
    out.value(&info, || format!("Backups will be written to {}.", describe(&info)))
}

fn joined(container: &str, prefix: &str) -> String {
    let prefix = prefix.trim().trim_matches('/');
    if prefix.is_empty() {
        container.trim().to_owned()
    } else {
        format!("{}/{prefix}", container.trim())
    }
}

pub fn describe(info: &LocationInfo) -> String {
    let free = info.free_bytes.map(|b| format!(", {} free", size(b))).unwrap_or_default();
    let default = if info.location.is_default { " (default)" } else { "" };
    format!("{}{default}{free}", info.location.description)
}

pub fn health(h: &LocationHealth) -> String {
    let when = h.checked_at.map(|t| format!(" (checked {})", utc(&t))).unwrap_or_default();
    match h.state {
        HealthState::Unknown => "Not checked yet (`lifeboat location test` checks it).".into(),
        HealthState::Reachable => {
            let free = h.free_bytes.map(|b| format!(", {} free", size(b))).unwrap_or_default();
            format!("Reachable{free}{when}")
        }
        HealthState::Unreachable => format!("UNREACHABLE: {}{when}", h.problem.as_deref().unwrap_or("")),
    }
}
