//! Updates: a feed says which Lifeboat is the newest; `check` compares it with this
//! version, and `InstallUpdate` downloads the package made for the way this Lifeboat
//! was installed, checks its signature against the key built into this Lifeboat, and
//! installs it. Installing is an operation under the same lock as backups and
//! restores, so none runs while an update is installed and no update starts while
//! one runs (seed 004).
//!
//! The feed and its signatures are those of Tauri's updater (`latest.json`; minisign
//! signatures whose trusted comment names the version, as `cargo tauri signer` and
//! the bundler's updater artifacts make them), so a release is made with the
//! standard tools. The check and the install live in the engine rather than in the
//! window's updater plugin so that the desktop app, the command line and the service
//! share one implementation and the lock.

mod feed;
mod package;

use feed::Feed;
pub use feed::UpdateKey;
pub use package::{installer, Installer, PackageKind};

use std::io::{Read, Write};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::context::Context;
use crate::error::{Error, IoContext, Result};
use crate::operation::OperationKind;
use crate::progress::{Cancel, Phase, Progress};
use crate::runner::Verb;
use crate::scratch::Scratch;

/// This Lifeboat's version.
pub const CURRENT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The feed a build checks when the user has not chosen one (`LIFEBOAT_UPDATE_FEED`
/// when the release was built; none otherwise).
pub const BUILT_IN_FEED: Option<&str> = option_env!("LIFEBOAT_UPDATE_FEED");

/// Packages larger than this are refused before they fill the disk.
const MAX_PACKAGE: u64 = 1 << 30;

const SETTING: &str = "updates";

/// How updates are looked for.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdateSettings {
    /// The window looks at start and once a day.
    pub check_automatically: bool,
    /// The feed (`latest.json`) to read; none: the one built in, if any.
    pub feed_url: Option<String>,
}

impl Default for UpdateSettings {
    fn default() -> Self {
        UpdateSettings { check_automatically: true, feed_url: None }
    }
}

impl UpdateSettings {
    /// The feed to read: the user's, else the built-in one.
    pub fn feed(&self) -> Option<&str> {
        self.feed_url.as_deref().or(BUILT_IN_FEED)
    }
}

/// A newer Lifeboat the feed offers.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AvailableUpdate {
    pub version: String,
    pub notes: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
}

/// What a check found.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdateCheck {
    pub current_version: String,
    pub feed_url: String,
    pub checked_at: DateTime<Utc>,
    /// None: this is the newest.
    pub available: Option<AvailableUpdate>,
    /// How this Lifeboat was installed ("deb", "rpm"), or None when it was built from
    /// source and cannot install packages.
    pub installed_as: Option<PackageKind>,
}

/// What an installed update left.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstalledUpdate {
    pub from_version: String,
    pub version: String,
    pub package: PackageKind,
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub bytes: u64,
}

pub fn settings(ctx: &Context) -> Result<UpdateSettings> {
    Ok(ctx.catalog().setting(SETTING)?.unwrap_or_default())
}

/// Checks and saves the update settings: a feed is an http(s) URL, and plain http
/// only on this machine (anyone on the way could withhold updates otherwise).
pub fn set_settings(ctx: &Context, settings: &UpdateSettings) -> Result<UpdateSettings> {
    let mut settings = settings.clone();
    settings.feed_url = settings.feed_url.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty());
    if let Some(url) = &settings.feed_url {
        feed::check_url(url)?;
    }
    ctx.catalog().set_setting(SETTING, &settings)?;
    Ok(settings)
}

/// Reads the feed and says whether it offers a version newer than this one.
pub fn check(ctx: &Context, installer: &dyn Installer) -> Result<UpdateCheck> {
    let url = feed_url(ctx)?;
    let feed = Feed::fetch(&url)?;
    let available = feed.newer_than(CURRENT_VERSION)?.then(|| AvailableUpdate { version: feed.version.clone(), notes: feed.notes.clone(), published_at: feed.pub_date });
    Ok(UpdateCheck { current_version: CURRENT_VERSION.into(), feed_url: url, checked_at: ctx.now(), available, installed_as: installer.kind() })
}

fn feed_url(ctx: &Context) -> Result<String> {
    settings(ctx)?
        .feed()
        .map(str::to_owned)
        .ok_or_else(|| Error::input("No update feed is set: this build has none built in. Set the feed's address (`lifeboat update set-feed URL`, or Updates in Essentials)."))
}

/// Downloads, verifies and installs the newest version, as an operation.
pub struct InstallUpdate {
    pub key: Option<UpdateKey>,
    pub installer: Box<dyn Installer>,
}

impl InstallUpdate {
    /// What the front ends install with: the key this build trusts and this
    /// installation's package manager.
    pub fn for_this_build() -> Result<Self> {
        Ok(InstallUpdate { key: UpdateKey::built_in().transpose()?, installer: installer() })
    }
}

impl Verb for InstallUpdate {
    type Output = InstalledUpdate;
    const KIND: OperationKind = OperationKind::Update;

    fn run(&mut self, ctx: &Context, progress: &dyn Progress, cancel: &Cancel) -> Result<InstalledUpdate> {
        let key = self
            .key
            .as_ref()
            .ok_or_else(|| Error::input("This build of Lifeboat has no update key, so it cannot verify an update: install the newer package yourself, or use a release build."))?;
        let package = self.installer.kind().ok_or_else(|| {
            Error::input(format!(
                "This Lifeboat ({}) was not installed from a package, so it cannot update itself: build the newer version, or install Lifeboat's .deb or .rpm.",
                std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_default()
            ))
        })?;
        let feed = Feed::fetch(&feed_url(ctx)?)?;
        if !feed.newer_than(CURRENT_VERSION)? {
            return Err(Error::input(format!("Lifeboat {CURRENT_VERSION} is the newest version the feed offers ({}); there is nothing to install.", feed.version)));
        }
        let release = feed.release_for(package)?;
        let scratch = Scratch::new(ctx.data_dir(), "update")?;
        let file = scratch.path(&format!("lifeboat-{}.{}", feed.version, package.extension()));
        progress.phase(Phase::Downloading);
        let bytes = download(&release.url, &file, progress, cancel)?;
        progress.phase(Phase::Verifying);
        key.verify(&file, &release.signature, &feed.version)?;
        cancel.check()?;
        progress.phase(Phase::Installing);
        self.installer.install(&file, progress)?;
        Ok(InstalledUpdate { from_version: CURRENT_VERSION.into(), version: feed.version, package, bytes })
    }
}

/// Streams `url` into `dest`, with progress and cancel between chunks.
fn download(url: &str, dest: &std::path::Path, progress: &dyn Progress, cancel: &Cancel) -> Result<u64> {
    let unreachable = |e: reqwest::Error| Error::operation(format!("Downloading the update from {url} failed: {e}."));
    let mut response = feed::client()?.get(url).send().map_err(unreachable)?;
    if !response.status().is_success() {
        return Err(Error::operation(format!("Downloading the update from {url} failed: the server answered {}.", response.status())));
    }
    let total = response.content_length().unwrap_or(0);
    if total > MAX_PACKAGE {
        return Err(Error::integrity(format!("The update at {url} is {total} bytes, more than any Lifeboat package; it was not downloaded.")));
    }
    progress.total(total, 1);
    let mut out = std::fs::File::create(dest).with_path("creating", dest)?;
    let mut buf = vec![0u8; 256 << 10];
    let mut done = 0u64;
    loop {
        cancel.check()?;
        let n = response.read(&mut buf).map_err(|e| Error::operation(format!("Downloading the update from {url} failed: {e}.")))?;
        if n == 0 {
            break;
        }
        done += n as u64;
        if done > MAX_PACKAGE {
            return Err(Error::integrity(format!("The update at {url} is larger than any Lifeboat package; the download was stopped.")));
        }
        out.write_all(&buf[..n]).with_path("writing", dest)?;
        progress.advance(n as u64, 0);
    }
    out.sync_all().with_path("writing", dest)?;
    progress.advance(0, 1);
    Ok(done)
}
