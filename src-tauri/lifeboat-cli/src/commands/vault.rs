//! `lifeboat vault`: secrets, keys and certificates with their versions, soft-delete,
//! backup blobs and geography pairing. Values come from stdin and are shown only with
//! `--reveal`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, Subcommand};
use lifeboat_core::commands::vault_restore::VaultRestore;
use lifeboat_core::engine::Engine;
use lifeboat_core::fsutil::{read_small_file, write_new_file};
use lifeboat_core::progress::{Cancel, NoProgress};
use lifeboat_core::vault::key_home::KeyHome;
use lifeboat_core::vault::{AttributeChanges, Attributes, Details, ObjectKind, ObjectSummary, Vault, VaultSettings, VersionInfo};
use lifeboat_core::{Error, Result};

use crate::output::{utc, Output};
use crate::secrets::{confirm, read_stdin};

#[derive(Subcommand)]
pub enum VaultCommand {
    /// Objects in the vault (or the deleted ones, with when they are purged).
    List {
        #[arg(long)]
        deleted: bool,
        /// Only secret, key or certificate.
        #[arg(long)]
        kind: Option<String>,
    },
    /// Every version of an object with its attributes.
    Versions { kind: String, name: String },
    /// Secrets: text values up to 25 KiB.
    #[command(subcommand)]
    Secret(SecretCommand),
    /// RSA keys generated in the vault; only the public part leaves it.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Certificates with their private keys.
    #[command(subcommand)]
    Cert(CertCommand),
    /// Change a version's attributes (the newest unless --version); no new version is made.
    Update {
        kind: String,
        name: String,
        #[arg(long)]
        version: Option<String>,
        #[arg(long, conflicts_with = "disable")]
        enable: bool,
        #[arg(long)]
        disable: bool,
        /// RFC 3339 time or YYYY-MM-DD (UTC), or "none".
        #[arg(long, value_name = "TIME")]
        not_before: Option<String>,
        /// RFC 3339 time or YYYY-MM-DD (UTC), or "none".
        #[arg(long, value_name = "TIME")]
        expires: Option<String>,
        /// A content type, or "none".
        #[arg(long)]
        content_type: Option<String>,
        /// Replace the tags with these NAME=VALUE pairs (repeatable); --tag '' removes all.
        #[arg(long = "tag", value_name = "NAME=VALUE")]
        tags: Option<Vec<String>>,
    },
    /// Soft-delete an object: recoverable until its recovery period ends.
    Delete { kind: String, name: String },
    /// Bring a deleted object back with all its versions.
    Recover { kind: String, name: String },
    /// Remove a deleted object for good.
    Purge {
        kind: String,
        name: String,
        #[arg(long)]
        yes: bool,
    },
    /// Write a backup blob of one object with every version (encrypted; restores only into this geography).
    Backup {
        kind: String,
        name: String,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Restore an object from a backup blob (refused if its name exists here, even deleted).
    Restore { file: PathBuf },
    /// Pair vaults: export this vault's geography, or import another's.
    #[command(subcommand)]
    Geography(GeographyCommand),
    /// Purge protection: once on, deleted objects stay for their whole recovery period.
    #[command(subcommand)]
    PurgeProtection(PurgeProtectionCommand),
    /// The vault's id, geography, recovery period, purge protection and where its key is kept.
    Settings {
        /// Recovery period of objects deleted from now on, 7 to 90 days.
        #[arg(long)]
        recovery_days: Option<u32>,
        /// Move the vault key: to the OS credential store, or to a file readable only by this user.
        #[arg(long, value_name = "PLACE", value_parser = ["credential-store", "file"])]
        key_in: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum SecretCommand {
    /// Store a new version of a secret; the value is read from stdin.
    Set {
        name: String,
        /// Read the value from stdin (prompted without echo on a terminal).
        #[arg(long, required = true)]
        value_stdin: bool,
        #[command(flatten)]
        attributes: NewAttributes,
    },
    /// A secret's attributes, and its value with --reveal.
    Show {
        name: String,
        #[arg(long)]
        version: Option<String>,
        /// Print the value.
        #[arg(long)]
        reveal: bool,
    },
}

#[derive(Subcommand)]
pub enum KeyCommand {
    /// Generate a new RSA key (a new version when the name exists).
    Create {
        name: String,
        /// 2048, 3072 or 4096 bits.
        #[arg(long, default_value_t = 3072)]
        size: usize,
        #[command(flatten)]
        attributes: NewAttributes,
    },
    /// Write the public key as PEM.
    Export(ExportArgs),
}

/// Which version's public part goes where.
#[derive(Args)]
pub struct ExportArgs {
    name: String,
    /// The version (default: the newest).
    #[arg(long)]
    version: Option<String>,
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

#[derive(Subcommand)]
pub enum CertCommand {
    /// Import a certificate with its private key: a .pfx (password from stdin with --password-stdin) or PEM with both.
    Import {
        name: String,
        file: PathBuf,
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        attributes: NewAttributes,
    },
    /// Create a self-signed certificate and its key in the vault.
    Create {
        name: String,
        /// Common name (CN).
        #[arg(long)]
        subject: String,
        #[arg(long, default_value_t = 3072)]
        size: usize,
        #[arg(long, default_value_t = 1)]
        years: u32,
        #[command(flatten)]
        attributes: NewAttributes,
    },
    /// Write the public certificate (.cer, DER).
    Export(ExportArgs),
}

#[derive(Subcommand)]
pub enum GeographyCommand {
    /// Write this vault's geography to FILE, protected by a passphrase read from stdin.
    Export {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        #[arg(long, required = true)]
        passphrase_stdin: bool,
    },
    /// Pair with the geography in FILE (passphrase from stdin): its blobs restore here.
    Import {
        file: PathBuf,
        #[arg(long, required = true)]
        passphrase_stdin: bool,
    },
}

#[derive(Subcommand)]
pub enum PurgeProtectionCommand {
    /// Turn purge protection on. It cannot be turned off.
    Enable {
        #[arg(long)]
        yes: bool,
    },
}

/// Attributes of a new version.
#[derive(Args)]
pub struct NewAttributes {
    #[arg(long)]
    content_type: Option<String>,
    /// NAME=VALUE (repeatable).
    #[arg(long = "tag", value_name = "NAME=VALUE")]
    tags: Vec<String>,
    /// RFC 3339 time or YYYY-MM-DD (UTC).
    #[arg(long, value_name = "TIME")]
    not_before: Option<String>,
    /// RFC 3339 time or YYYY-MM-DD (UTC).
    #[arg(long, value_name = "TIME")]
    expires: Option<String>,
    /// Store the version disabled.
    #[arg(long)]
    disabled: bool,
}

impl NewAttributes {
    fn parse(&self) -> Result<Attributes> {
        Ok(Attributes {
            enabled: !self.disabled,
            not_before: self.not_before.as_deref().map(time).transpose()?,
            expires: self.expires.as_deref().map(time).transpose()?,
            content_type: self.content_type.clone(),
            tags: tags(&self.tags)?,
        })
    }
}

pub fn run(engine: &Engine, command: VaultCommand, out: &Output, cancel: &Cancel) -> Result<()> {
    let vault = engine.vault()?;
    match command {
        VaultCommand::List { deleted, kind } => {
            let kind = kind.as_deref().map(ObjectKind::parse).transpose()?;
            let objects = vault.list(kind, deleted)?;
            out.value(&objects, || list(&objects, deleted, engine.now()))
        }
        VaultCommand::Versions { kind, name } => {
            let versions = vault.versions(ObjectKind::parse(&kind)?, &name)?;
            out.value(&versions, || versions_table(&versions, engine.now()))
        }
        VaultCommand::Secret(SecretCommand::Set { name, value_stdin: _, attributes }) => {
            let attributes = attributes.parse()?;
            let value = read_stdin("Secret value")?;
            let made = vault.set_secret(&name, value.as_bytes(), attributes)?;
            out.value(&made, || format!("Stored version {} of secret {name:?}.", made.version))
        }
        VaultCommand::Secret(SecretCommand::Show { name, version, reveal }) => {
            let info = vault.version(ObjectKind::Secret, &name, version.as_deref())?;
            let value = if reveal { Some(vault.reveal_secret(&name, Some(&info.version))?) } else { None };
            let json = serde_json::json!({ "version": &info, "value": value.as_deref().map(|v| v.as_str()) });
            out.value(&json, || match &value {
                Some(v) => v.to_string(),
                None => format!("{}\nValue: hidden (add --reveal to print it)", describe(&info, engine.now())),
            })
        }
        VaultCommand::Key(KeyCommand::Create { name, size, attributes }) => {
            let made = vault.create_key(&name, size, attributes.parse()?)?;
            out.value(&made, || format!("Created version {} of key {name:?} ({}).", made.version, details(&made.details)))
        }
        VaultCommand::Key(KeyCommand::Export(args)) => export(vault, ObjectKind::Key, args, out, "public key (PEM)"),
        VaultCommand::Cert(CertCommand::Import { name, file, password_stdin, attributes }) => {
            let attributes = attributes.parse()?;
            let bytes = read_small_file(&file, "certificate")?;
            let password = if password_stdin { read_stdin("PFX password")? } else { Default::default() };
            let made = vault.import_certificate(&name, &bytes, &password, attributes)?;
            out.value(&made, || format!("Imported version {} of certificate {name:?}: {}.", made.version, details(&made.details)))
        }
        VaultCommand::Cert(CertCommand::Create { name, subject, size, years, attributes }) => {
            let made = vault.create_certificate(&name, &subject, size, years, attributes.parse()?)?;
            out.value(&made, || format!("Created version {} of certificate {name:?}: {}.", made.version, details(&made.details)))
        }
        VaultCommand::Cert(CertCommand::Export(args)) => export(vault, ObjectKind::Certificate, args, out, "certificate (.cer)"),
        VaultCommand::Update { kind, name, version, enable, disable, not_before, expires, content_type, tags: tag_args } => {
            let changes = AttributeChanges {
                enabled: if enable {
                    Some(true)
                } else if disable {
                    Some(false)
                } else {
                    None
                },
                not_before: not_before.as_deref().map(optional_time).transpose()?,
                expires: expires.as_deref().map(optional_time).transpose()?,
                content_type: content_type.map(|c| (c != "none").then_some(c)),
                tags: tag_args.map(|t| tags(&t)).transpose()?,
            };
            let info = vault.update(ObjectKind::parse(&kind)?, &name, version.as_deref(), &changes)?;
            out.value(&info, || format!("Updated version {} of {kind} {name:?}.\n{}", info.version, describe(&info, engine.now())))
        }
        VaultCommand::Delete { kind, name } => {
            let deleted = vault.delete(ObjectKind::parse(&kind)?, &name)?;
            out.value(&deleted, || {
                format!("Deleted {kind} {name:?}; it can be recovered until {} (`lifeboat vault recover {kind} {name}`).", deleted.purge_at.as_ref().map(utc).unwrap_or_default())
            })
        }
        VaultCommand::Recover { kind, name } => {
            let recovered = vault.recover(ObjectKind::parse(&kind)?, &name)?;
            out.value(&recovered, || format!("Recovered {kind} {name:?} with its {} version(s).", recovered.versions))
        }
        VaultCommand::Purge { kind, name, yes } => {
            let kind = ObjectKind::parse(&kind)?;
            confirm(&format!("Purge the deleted {kind} {name:?} for good? It cannot be recovered afterwards."), yes)?;
            vault.purge(kind, &name)?;
            out.value(&serde_json::json!({ "purged": { "kind": kind, "name": name } }), || format!("Purged {kind} {name:?}."))
        }
        VaultCommand::Backup { kind, name, out: file } => {
            let blob = vault.backup_object(ObjectKind::parse(&kind)?, &name)?;
            write_new_file(&file, &blob, true)?;
            written(out, &file, "vault backup")
        }
        VaultCommand::Restore { file } => {
            let restored = engine.run(VaultRestore { file }, &NoProgress, cancel)?;
            out.value(&restored, || format!("Restored {} {:?} with its {} version(s).", restored.kind, restored.name, restored.versions))
        }
        VaultCommand::Geography(GeographyCommand::Export { out: file, passphrase_stdin: _ }) => {
            if std::fs::symlink_metadata(&file).is_ok() {
                return Err(Error::input(format!("{} already exists; choose another path or move it away first.", file.display())));
            }
            let passphrase = read_stdin("Passphrase for the geography file")?;
            let exported = vault.export_geography(&passphrase)?;
            write_new_file(&file, &exported, true)?;
            written(out, &file, "geography file")
        }
        VaultCommand::Geography(GeographyCommand::Import { file, passphrase_stdin: _ }) => {
            let bytes = read_small_file(&file, "geography file")?;
            let passphrase = read_stdin("Passphrase of the geography file")?;
            let settings = vault.import_geography(&bytes, &passphrase)?;
            out.value(&settings, || format!("Paired: this vault now makes and accepts backups of geography {}.", settings.geography))
        }
        VaultCommand::PurgeProtection(PurgeProtectionCommand::Enable { yes }) => {
            confirm("Turn purge protection on? It cannot be turned off again.", yes)?;
            let settings = vault.enable_purge_protection()?;
            out.value(&settings, || settings_text(&settings))
        }
        VaultCommand::Settings { recovery_days, key_in } => {
            if let Some(days) = recovery_days {
                vault.set_recovery_days(days)?;
            }
            if let Some(place) = key_in {
                vault.move_key(if place == "file" { KeyHome::File } else { KeyHome::CredentialStore })?;
            }
            let settings = vault.settings()?;
            out.value(&settings, || settings_text(&settings))
        }
    }
}

fn export(vault: &Vault, kind: ObjectKind, args: ExportArgs, out: &Output, what: &str) -> Result<()> {
    let bytes = vault.public_file(kind, &args.name, args.version.as_deref())?;
    write_new_file(&args.out, &bytes, false)?;
    written(out, &args.out, what)
}

fn written(out: &Output, file: &Path, what: &str) -> Result<()> {
    out.value(&serde_json::json!({ "written": file }), || format!("Wrote the {what} to {}.", file.display()))
}

/// A time given as YYYY-MM-DD (midnight UTC) or RFC 3339.
pub(crate) fn time(text: &str) -> Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc())
        .map_err(|_| Error::input(format!("{text:?} is not a time: use YYYY-MM-DD (UTC) or RFC 3339, e.g. 2027-01-31T12:00:00Z.")))
}

fn optional_time(text: &str) -> Result<Option<DateTime<Utc>>> {
    if text == "none" {
        return Ok(None);
    }
    time(text).map(Some)
}

fn tags(pairs: &[String]) -> Result<BTreeMap<String, String>> {
    pairs
        .iter()
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())).ok_or_else(|| Error::input(format!("The tag {p:?} is not NAME=VALUE."))))
        .collect()
}

fn state(info: &VersionInfo, now: DateTime<Utc>) -> String {
    let a = &info.attributes;
    if !a.enabled {
        "disabled".into()
    } else if a.not_before.is_some_and(|t| t > now) {
        "not yet valid".into()
    } else if a.expires.is_some_and(|t| t <= now) {
        "expired".into()
    } else {
        "enabled".into()
    }
}

fn details(details: &Details) -> String {
    match details {
        Details::Secret { bytes } => format!("{bytes} bytes"),
        Details::Key { algorithm, bits } => format!("{algorithm}-{bits}"),
        Details::Certificate { thumbprint, subject, not_after, bits, .. } => {
            format!("{subject}, thumbprint {thumbprint}, RSA-{bits}, valid to {}", not_after.format("%Y-%m-%d"))
        }
    }
}

fn list(objects: &[ObjectSummary], deleted: bool, now: DateTime<Utc>) -> String {
    if objects.is_empty() {
        return if deleted { "No deleted objects.".into() } else { "The vault is empty: `lifeboat vault secret set NAME --value-stdin` adds a secret.".into() };
    }
    let mut lines = vec![format!("{:<12} {:<32} {:>8}  {:<20} {}", "KIND", "NAME", "VERSIONS", "UPDATED", if deleted { "PURGED" } else { "STATE" })];
    for o in objects {
        let last = if deleted {
            o.purge_at.as_ref().map(utc).unwrap_or_default()
        } else {
            let managed = if o.managed { " (Lifeboat's own)" } else { "" };
            format!("{}{managed}", state(&o.current, now))
        };
        lines.push(format!("{:<12} {:<32} {:>8}  {:<20} {last}", o.kind.to_string(), o.name, o.versions, utc(&o.current.updated_at)));
    }
    lines.join("\n")
}

fn versions_table(versions: &[VersionInfo], now: DateTime<Utc>) -> String {
    let mut lines = vec![format!("{:<32}  {:<20} {:<20} {:<14} {}", "VERSION", "CREATED", "UPDATED", "STATE", "DETAILS")];
    for v in versions.iter().rev() {
        lines.push(format!("{:<32}  {:<20} {:<20} {:<14} {}", v.version, utc(&v.created_at), utc(&v.updated_at), state(v, now), details(&v.details)));
    }
    lines.join("\n")
}

fn describe(info: &VersionInfo, now: DateTime<Utc>) -> String {
    let a = &info.attributes;
    let time = |t: &Option<DateTime<Utc>>| t.as_ref().map(utc).unwrap_or_else(|| "-".into());
    let tags: Vec<String> = a.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!(
        "{} {:?}, version {}\nState:        {}\nDetails:      {}\nContent type: {}\nNot before:   {}\nExpires:      {}\nTags:         {}\nCreated:      {}\nUpdated:      {}",
        info.kind,
        info.name,
        info.version,
        state(info, now),
        details(&info.details),
        a.content_type.as_deref().unwrap_or("-"),
        time(&a.not_before),
        time(&a.expires),
        if tags.is_empty() { "-".into() } else { tags.join(", ") },
        utc(&info.created_at),
        utc(&info.updated_at)
    )
}

fn settings_text(s: &VaultSettings) -> String {
    format!(
        "Vault:            {}\nGeography:        {}{}\nRecovery period:  {} days\nPurge protection: {}\nVault key:        {}",
        s.vault_id,
        s.geography,
        if s.paired_geographies.is_empty() { String::new() } else { format!(" (also accepts {})", s.paired_geographies.join(", ")) },
        s.recovery_days,
        if s.purge_protection { "on (cannot be turned off)" } else { "off" },
        if s.key_in_credential_store { "in the OS credential store" } else { "in a file readable only by this user (secrets/vault.key)" }
    )
}
