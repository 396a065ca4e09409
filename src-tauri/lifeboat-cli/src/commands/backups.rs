//! `lifeboat backups`: the backups at the location, and what can be done to one
//! of them without restoring it.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Subcommand;
use lifeboat_core::catalog::{BackupListing, BackupStatus};
use lifeboat_core::commands::copy::Copy;
use lifeboat_core::commands::delete::Delete;
use lifeboat_core::commands::open::{ContentEntry, ContentItem};
use lifeboat_core::engine::Engine;
use lifeboat_core::format::{EncryptionKind, EntryKind};
use lifeboat_core::progress::Cancel;
use lifeboat_core::Result;
use serde::Serialize;

use crate::identity::IdentityArgs;
use crate::output::{size, utc, Output};
use crate::progress::CliProgress;
use crate::secrets::confirm;

#[derive(Subcommand)]
pub enum BackupsCommand {
    /// List backups from their headers (no key needed).
    List,
    /// Delete one backup at the location (asks first; --yes for scripts).
    Delete {
        /// Backup id (or unique prefix) or file name at the location.
        backup: String,
        /// Delete without asking.
        #[arg(long)]
        yes: bool,
    },
    /// Save a copy of a backup file elsewhere (it restores anywhere on its own).
    Copy {
        /// Backup id (or unique prefix), file name at the location, or path to a backup file.
        backup: String,
        /// The file to write (it must not exist; written whole or not at all).
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
    },
    /// What a backup holds: its items, or the files and folders in one of them.
    Contents {
        /// Backup id (or unique prefix), file name at the location, or path to a backup file.
        backup: String,
        /// List inside this item.
        #[arg(long, value_name = "NAME")]
        item: Option<String>,
        /// A folder inside the item ("" or none for its top).
        #[arg(long, value_name = "FOLDER", requires = "item")]
        path: Option<String>,
        #[command(flatten)]
        identity: IdentityArgs,
    },
}

#[derive(Serialize)]
#[serde(untagged)]
enum Contents {
    Items { items: Vec<ContentItem>, warnings: Vec<String> },
    Entries { item: String, folder: String, entries: Vec<ContentEntry> },
}

pub fn run(engine: &Engine, command: BackupsCommand, out: &Output, cancel: &Cancel) -> Result<()> {
    match command {
        BackupsCommand::List => {
            let list = engine.list_backups()?;
            out.value(&list, || describe_list(&list, false))
        }
        BackupsCommand::Delete { backup, yes } => {
            let found = engine.find_backup(&backup)?;
            let when = found.created_at.map(|t| utc(&t)).unwrap_or_else(|| "an unknown time".into());
            confirm(&format!("Delete the backup {} made {when}? This cannot be undone.", found.file_name), yes)?;
            let deleted = engine.run(Delete { backup }, &lifeboat_core::progress::NoProgress, cancel)?;
            out.value(&deleted, || format!("Deleted the backup {} ({}).", deleted.file_name, deleted.id))
        }
        BackupsCommand::Copy { backup, to } => {
            if std::fs::symlink_metadata(&to).is_ok() {
                return Err(lifeboat_core::Error::input(format!("{} already exists; choose another file.", to.display())));
            }
            let file = Arc::new(engine.inspect(&backup)?);
            let copied = CliProgress::around(out, |progress| engine.run(Copy { file, to }, progress, cancel))?;
            out.value(&copied, || format!("Saved a copy of backup {} to {} ({}).", copied.id, copied.path.display(), size(copied.size)))
        }
        BackupsCommand::Contents { backup, item, path, identity } => {
            let file = Arc::new(engine.inspect(&backup)?);
            let unlocked = engine.unlock(&file, identity.load()?.as_deref())?;
            let contents = match item {
                None => Contents::Items { items: unlocked.items(), warnings: unlocked.warnings().to_vec() },
                Some(item) => {
                    let folder = path.unwrap_or_default();
                    Contents::Entries { entries: unlocked.children(&item, &folder)?, item, folder }
                }
            };
            out.value(&contents, || describe_contents(&contents))
        }
    }
}

fn describe_contents(contents: &Contents) -> String {
    match contents {
        Contents::Items { items, warnings } => {
            let mut lines = vec![format!("{:<24} {:<7} {:>8} {:>10}  {}", "ITEM", "KIND", "FILES", "SIZE", "WAS AT")];
            for i in items {
                lines.push(format!("{:<24} {:<7} {:>8} {:>10}  {}", i.name, i.kind.as_str(), i.files, size(i.bytes), i.source));
            }
            lines.extend(warnings.iter().map(|w| format!("WARNING: {w}")));
            lines.join("\n")
        }
        Contents::Entries { item, folder, entries } => {
            if entries.is_empty() {
                return format!("{item}/{folder}: empty");
            }
            entries
                .iter()
                .map(|e| {
                    let suffix = match e.kind {
                        EntryKind::Dir => "/",
                        EntryKind::Symlink => " (link)",
                        EntryKind::File => "",
                    };
                    format!("{:>10}  {}{suffix}", size(e.bytes), e.path)
                })
                .collect::<Vec<_>>()
                .join("\n")
        }
    }
}

/// The backups as a table; `elsewhere` for a location that is not this
/// installation's (a recovery's source), where each says which installation made it.
pub(crate) fn describe_list(list: &[BackupListing], elsewhere: bool) -> String {
    if list.is_empty() {
        return if elsewhere { "There is no backup there." } else { "No backups at this location yet: run `lifeboat backup now`." }.into();
    }
    let mut lines = vec![format!("{:<20} {:<36} {:>10}  {:<11} {:<17} {}", "CREATED (UTC)", "ID", "SIZE", "ENCRYPTION", "EXPIRES", "NOTES")];
    for b in list {
        if let Some(problem) = &b.problem {
            lines.push(format!("{:<20} {:<36} {:>10}  UNREADABLE: {problem}", "?", b.file_name, size(b.size)));
            continue;
        }
        let mut notes = Vec::new();
        if let Some(installation) = b.installation.as_ref().filter(|_| elsewhere) {
            notes.push(format!("made on {installation}"));
        }
        if b.unencrypted {
            notes.push("UNENCRYPTED".to_owned());
        }
        if b.expired {
            notes.push("EXPIRED".to_owned());
        }
        match b.status {
            Some(BackupStatus::Warnings) => notes.push("completed with warnings".to_owned()),
            Some(BackupStatus::Damaged) => notes.push("DAMAGED (a verify failed)".to_owned()),
            _ => {}
        }
        if b.encryption == Some(EncryptionKind::Certificate) {
            notes.push(format!("needs {}", b.recipients.join(" or ")));
        }
        if let Some(fate) = b.retention.as_ref().filter(|r| !r.keep) {
            notes.push(format!("deleted at the next sweep ({})", fate.reason));
        }
        lines.push(format!(
            "{:<20} {:<36} {:>10}  {:<11} {:<17} {}",
            b.created_at.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_default(),
            b.id.as_deref().unwrap_or("?"),
            size(b.size),
            b.encryption.map(|e| e.to_string()).unwrap_or_else(|| "?".into()),
            b.expires_at.map(|t| t.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default(),
            notes.join("; ")
        ));
    }
    lines.join("\n")
}
