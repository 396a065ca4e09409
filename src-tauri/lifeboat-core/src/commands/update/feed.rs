//! The update feed (Tauri's `latest.json`) and the signatures of its packages.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::time::Duration;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use minisign_verify::{PublicKey, Signature};
use serde::Deserialize;

use super::PackageKind;
use crate::error::{Error, IoContext, Result};

/// A feed larger than this is not a feed.
const MAX_FEED: u64 = 1 << 20;
const TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Deserialize)]
pub struct Feed {
    pub version: String,
    pub notes: Option<String>,
    pub pub_date: Option<DateTime<Utc>>,
    platforms: BTreeMap<String, Release>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Release {
    pub signature: String,
    pub url: String,
}

pub(super) fn client() -> Result<reqwest::blocking::Client> {
    reqwest::blocking::Client::builder()
        .timeout(TIMEOUT)
        .user_agent(concat!("Lifeboat/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| Error::operation(format!("starting the HTTP client: {e}")))
}

/// A feed address Lifeboat will read: https, or plain http on this machine only.
pub(super) fn check_url(text: &str) -> Result<url::Url> {
    let bad = |why: &str| Error::input(format!("{text:?} is not an update feed address: {why}."));
    let url = url::Url::parse(text).map_err(|e| bad(&format!("{e}; give a URL such as https://example.org/lifeboat/latest.json")))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(bad("plain http is accepted only for this machine (localhost); use https")),
        _ => Err(bad("give an https:// address")),
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

impl Feed {
    pub fn fetch(url: &str) -> Result<Feed> {
        check_url(url)?;
        let unreachable = |e: &dyn std::fmt::Display| Error::operation(format!("The update feed {url} could not be read: {e}."));
        let response = client()?.get(url).send().map_err(|e| unreachable(&e))?;
        if !response.status().is_success() {
            return Err(unreachable(&format!("the server answered {}", response.status())));
        }
        let mut body = Vec::new();
        response.take(MAX_FEED + 1).read_to_end(&mut body).map_err(|e| unreachable(&e))?;
        if body.len() as u64 > MAX_FEED {
            return Err(unreachable(&"it is larger than any feed"));
        }
        Feed::parse(&body).map_err(|e| Error::operation(format!("The update feed {url} is not a Lifeboat feed: {e}.")))
    }

    pub fn parse(body: &[u8]) -> std::result::Result<Feed, String> {
        let feed: Feed = serde_json::from_slice(body).map_err(|e| e.to_string())?;
        version(&feed.version).map_err(|e| e.to_string())?;
        Ok(feed)
    }

    /// Whether the feed's version is newer than `current`.
    pub fn newer_than(&self, current: &str) -> Result<bool> {
        Ok(version(&self.version)? > version(current)?)
    }

    /// The package for this kind of installation.
    pub fn release_for(&self, kind: PackageKind) -> Result<&Release> {
        let platform = kind.platform();
        self.platforms.get(platform).ok_or_else(|| {
            Error::operation(format!(
                "The update feed offers Lifeboat {} but no package for this installation ({platform}); it offers {}.",
                self.version,
                self.platforms.keys().cloned().collect::<Vec<_>>().join(", ")
            ))
        })
    }
}

fn version(text: &str) -> Result<semver::Version> {
    semver::Version::parse(text.trim_start_matches('v')).map_err(|e| Error::operation(format!("{text:?} is not a version: {e}")))
}

/// The public key updates must be signed with: a minisign public key, base64-encoded
/// whole as `cargo tauri signer generate` prints it.
#[derive(Clone)]
pub struct UpdateKey(PublicKey);

impl std::fmt::Debug for UpdateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UpdateKey")
    }
}

impl UpdateKey {
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |e: &dyn std::fmt::Display| Error::input(format!("The update key is not a minisign public key: {e}."));
        let decoded = base64::engine::general_purpose::STANDARD.decode(text.trim()).map_err(|e| bad(&e))?;
        let decoded = String::from_utf8(decoded).map_err(|e| bad(&e))?;
        Ok(UpdateKey(PublicKey::decode(&decoded).map_err(|e| bad(&e))?))
    }

    /// The key this build trusts: `LIFEBOAT_UPDATE_PUBKEY` when it was built; a debug
    /// build (the test suite's) also reads it at run time, so tests use keys they make.
    pub fn built_in() -> Option<Result<Self>> {
        #[cfg(debug_assertions)]
        if let Ok(text) = std::env::var("LIFEBOAT_UPDATE_PUBKEY") {
            return Some(Self::parse(&text));
        }
        option_env!("LIFEBOAT_UPDATE_PUBKEY").map(Self::parse)
    }

    /// Checks that `file` is what the key's owner signed, and signed as `version`:
    /// a feed is not signed itself, so a signed package re-labelled with another
    /// version (an old release offered as new) is refused.
    pub fn verify(&self, file: &Path, signature: &str, announced: &str) -> Result<()> {
        let refused = |why: String| Error::integrity(format!("The downloaded update was refused and nothing was installed: {why}."));
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(signature.trim())
            .ok()
            .and_then(|d| String::from_utf8(d).ok())
            .ok_or_else(|| refused("its signature in the feed is not a minisign signature".into()))?;
        let signature = Signature::decode(&decoded).map_err(|e| refused(format!("its signature in the feed is unreadable ({e})")))?;
        let checked = match self.0.verify_stream(&signature) {
            Ok(mut verifier) => {
                let mut input = std::fs::File::open(file).with_path("opening", file)?;
                let mut buf = vec![0u8; 256 << 10];
                loop {
                    let n = input.read(&mut buf).with_path("reading", file)?;
                    if n == 0 {
                        break;
                    }
                    verifier.update(&buf[..n]);
                }
                verifier.finalize()
            }
            // Signatures of the whole content (minisign's legacy mode) need it all at once.
            Err(minisign_verify::Error::UnsupportedLegacyMode) => self.0.verify(&std::fs::read(file).with_path("reading", file)?, &signature, true),
            Err(e) => Err(e),
        };
        checked.map_err(|e| refused(signature_problem(&e)))?;
        // The trusted comment is covered by the signature just checked.
        let signed = signature.trusted_comment().split('\t').find_map(|f| f.strip_prefix("version:"));
        match signed {
            None => Err(refused("its signature does not say which version it was made for".into())),
            Some(signed) if version(signed).ok() != Some(version(announced)?) => {
                Err(refused(format!("the feed announces it as version {announced}, but it was signed as version {signed}")))
            }
            Some(_) => Ok(()),
        }
    }
}

fn signature_problem(e: &minisign_verify::Error) -> String {
    match e {
        minisign_verify::Error::UnexpectedKeyId => "it was signed with another key than the one this Lifeboat trusts".into(),
        minisign_verify::Error::InvalidSignature => "its signature does not match its content (damaged or altered)".into(),
        other => format!("its signature could not be checked ({other})"),
    }
}
