//! `lifeboat items`: what every backup covers.

use std::path::PathBuf;

use clap::Subcommand;
use lifeboat_core::engine::Engine;
use lifeboat_core::items::ProtectedItem;
use lifeboat_core::settings::{ItemChoice, ItemDraft};
use lifeboat_core::{Error, Result};

use crate::output::Output;

#[derive(Subcommand)]
pub enum ItemsCommand {
    /// Add a folder, file or SQLite database.
    Add {
        path: PathBuf,
        /// Name shown in backups and used by `restore --item` (default: the last path component).
        #[arg(long)]
        name: Option<String>,
        /// folder, file or sqlite (default: detected).
        #[arg(long)]
        kind: Option<String>,
        /// Glob of paths to leave out, relative to the folder (repeatable), e.g. '*.tmp' or 'cache/**'.
        #[arg(long = "exclude", value_name = "GLOB")]
        excludes: Vec<String>,
    },
    List,
    /// Stop protecting an item; existing backups keep it.
    Remove {
        name: String,
    },
}

pub fn run(engine: &Engine, command: ItemsCommand, out: &Output) -> Result<()> {
    match command {
        ItemsCommand::Add { path, name, kind, excludes } => {
            let kind = match kind.as_deref() {
                None => ItemChoice::Auto,
                Some("folder") => ItemChoice::Folder,
                Some("file") => ItemChoice::File,
                Some("sqlite") => ItemChoice::Sqlite,
                Some(other) => return Err(Error::input(format!("Unknown item kind {other:?}: use folder, file or sqlite."))),
            };
            let draft = ItemDraft { name, path: path.display().to_string(), kind, excludes };
            let applied = engine.change_settings(|d| d.items.push(draft), false)?;
            let item = applied.settings.items.last().cloned().expect("the item was added");
            out.value(&item, || format!("Added {} {:?} ({}).", item.kind.as_str(), item.name, item.path.display()))
        }
        ItemsCommand::List => {
            let items = engine.settings()?.items;
            out.value(&items, || list(&items))
        }
        ItemsCommand::Remove { name } => {
            let mut draft = engine.settings_draft()?;
            draft.remove_item(&name)?;
            engine.apply_settings(&draft, false)?;
            out.value(&serde_json::json!({ "removed": name }), || format!("Removed {name:?}; existing backups keep it."))
        }
    }
}

fn list(items: &[ProtectedItem]) -> String {
    if items.is_empty() {
        return "No protected items yet: add one with `lifeboat items add PATH`. \
                (Lifeboat's own configuration is always backed up.)"
            .into();
    }
    let mut lines = vec![format!("{:<24} {:<7} {}", "NAME", "KIND", "PATH")];
    for item in items {
        let excludes = if item.excludes.is_empty() { String::new() } else { format!("  (excluding {})", item.excludes.join(", ")) };
        lines.push(format!("{:<24} {:<7} {}{excludes}", item.name, item.kind.as_str(), item.path.display()));
    }
    lines.join("\n")
}
