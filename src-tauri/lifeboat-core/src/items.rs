//! Protected items: what a backup covers, how each kind is validated when added, and
//! how it is read at backup time (folder walks, consistent SQLite copies).

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};

use crate::error::{Error, IoContext, Result};
use crate::format::{EntryKind, ItemKind};

/// Something every backup covers: a folder (with exclude patterns), a file or a
/// SQLite database.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProtectedItem {
    pub name: String,
    pub kind: ItemKind,
    pub path: PathBuf,
    pub excludes: Vec<String>,
}

/// The built-in item holding Lifeboat's own configuration.
pub const CONFIG_ITEM: &str = "lifeboat-config";
/// The built-in item holding the vault with its key (only in encrypted backups);
/// `recover` puts it back, it is never restored to a folder.
pub const VAULT_ITEM: &str = "lifeboat-vault";
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Validates a new item and fills in what was left out (name, kind).
pub fn new_item(path: &Path, name: Option<&str>, kind: Option<ItemKind>, excludes: Vec<String>) -> Result<ProtectedItem> {
    let shown = path.display();
    let path = std::path::absolute(path).with_path("resolving", path)?;
    let meta = std::fs::metadata(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::input(format!("{shown} does not exist.")),
        std::io::ErrorKind::PermissionDenied => Error::input(format!("{shown} cannot be read: permission denied.")),
        _ => Error::input(format!("{shown} cannot be read: {e}.")),
    })?;
    if path.to_str().is_none() {
        return Err(Error::input(format!("{shown}: Lifeboat needs paths that are valid UTF-8.")));
    }
    let detected = if meta.is_dir() {
        ItemKind::Folder
    } else if is_sqlite_file(&path) {
        ItemKind::Sqlite
    } else {
        ItemKind::File
    };
    let kind = match (kind, detected) {
        (None, d) => d,
        (Some(ItemKind::Config), _) => return Err(Error::input("The configuration item is built in; it cannot be added.")),
        (Some(ItemKind::Folder), ItemKind::Folder) => ItemKind::Folder,
        (Some(ItemKind::Folder), _) => return Err(Error::input(format!("{shown} is a file, not a folder."))),
        (Some(_), ItemKind::Folder) => return Err(Error::input(format!("{shown} is a folder; add it as a folder."))),
        (Some(ItemKind::Sqlite), ItemKind::File) => return Err(Error::input(format!("{shown} is not a SQLite database (no SQLite header)."))),
        (Some(k), _) => k,
    };
    if !excludes.is_empty() && kind != ItemKind::Folder {
        return Err(Error::input("Exclude patterns apply to folders only."));
    }
    build_excludes(&excludes)?;
    let name = match name {
        Some(n) => n.to_owned(),
        None => path.file_name().and_then(|n| n.to_str()).unwrap_or("root").to_owned(),
    };
    check_item_name(&name)?;
    Ok(ProtectedItem { name, kind, path, excludes })
}

pub fn check_item_name(name: &str) -> Result<()> {
    let valid_chars = name.chars().all(|c| c.is_alphanumeric() || " -_.()".contains(c));
    if name.is_empty() || name.chars().count() > 64 || !valid_chars || name.trim() != name || name.starts_with('.') {
        return Err(Error::input(format!(
            "{name:?} is not a valid item name: use 1 to 64 letters, digits, spaces, and - _ . ( ), \
             not starting with a dot or a space."
        )));
    }
    if name == CONFIG_ITEM || name == VAULT_ITEM {
        return Err(Error::input(format!("{name:?} is reserved for Lifeboat's own configuration and vault.")));
    }
    Ok(())
}

fn is_sqlite_file(path: &Path) -> bool {
    use std::io::Read;
    let mut magic = [0u8; 16];
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok() && &magic == SQLITE_MAGIC
}

fn build_excludes(patterns: &[String]) -> Result<GlobSet> {
    let mut set = GlobSetBuilder::new();
    for pattern in patterns {
        let glob = Glob::new(pattern).map_err(|e| Error::input(format!("The exclude pattern {pattern:?} is not a valid glob: {e}.")))?;
        set.add(glob);
    }
    set.build().map_err(|e| Error::input(format!("The exclude patterns cannot be used: {e}.")))
}

/// One thing to store, found by walking an item.
#[derive(Debug, Clone)]
pub struct PlannedEntry {
    pub kind: EntryKind,
    /// Relative to the item root, '/'-separated; empty for the root.
    pub rel: String,
    pub path: PathBuf,
    pub size: u64,
    /// Where to take mode and time from when `path` is a copy (database snapshots).
    pub attrs_from: Option<PathBuf>,
}

/// Walks a folder (excludes match paths relative to it, and a matching folder is
/// skipped whole), or returns the single entry of a file item. Unreadable parts
/// become warnings.
pub fn plan_item(item: &ProtectedItem, warnings: &mut Vec<String>) -> Result<Vec<PlannedEntry>> {
    let meta = std::fs::symlink_metadata(&item.path).map_err(|e| Error::operation(format!("The item {:?} ({}) cannot be read: {e}.", item.name, item.path.display())))?;
    if item.kind != ItemKind::Folder {
        if !meta.is_file() {
            return Err(Error::operation(format!("The item {:?} ({}) is no longer a file.", item.name, item.path.display())));
        }
        return Ok(vec![PlannedEntry { kind: EntryKind::File, rel: String::new(), path: item.path.clone(), size: meta.len(), attrs_from: None }]);
    }
    if !meta.is_dir() {
        return Err(Error::operation(format!("The item {:?} ({}) is no longer a folder.", item.name, item.path.display())));
    }
    let excludes = build_excludes(&item.excludes)?;
    let mut entries = Vec::new();
    let mut walk = walkdir::WalkDir::new(&item.path).follow_links(false).sort_by_file_name().into_iter();
    while let Some(next) = walk.next() {
        let entry = match next {
            Ok(e) => e,
            Err(e) => {
                // Walking fails only on folders (their listing), never on files.
                let rel = e.path().and_then(|p| p.strip_prefix(&item.path).ok()).filter(|rel| !rel.as_os_str().is_empty());
                let place = rel.map_or(item.name.clone(), |rel| format!("{}/{}", item.name, rel.display()));
                let cause = e.io_error().map_or_else(|| e.to_string(), ToString::to_string);
                warnings.push(format!("{place}: the folder could not be read ({cause}); what it holds is not in this backup"));
                continue;
            }
        };
        let rel_path = entry.path().strip_prefix(&item.path).expect("walk stays below its root");
        let Some(rel) = rel_path.to_str().map(|s| s.replace(std::path::MAIN_SEPARATOR, "/")) else {
            warnings.push(format!("{}: skipped {}: the name is not valid UTF-8", item.name, entry.path().display()));
            continue;
        };
        if !rel.is_empty() && excludes.is_match(rel_path) {
            if entry.file_type().is_dir() {
                walk.skip_current_dir();
            }
            continue;
        }
        let file_type = entry.file_type();
        let kind = if file_type.is_dir() {
            EntryKind::Dir
        } else if file_type.is_file() {
            EntryKind::File
        } else if file_type.is_symlink() {
            EntryKind::Symlink
        } else {
            warnings.push(format!("{}/{rel}: skipped: not a regular file, folder or link", item.name));
            continue;
        };
        let size = if kind == EntryKind::File { entry.metadata().map(|m| m.len()).unwrap_or(0) } else { 0 };
        entries.push(PlannedEntry { kind, rel, path: entry.into_path(), size, attrs_from: None });
    }
    Ok(entries)
}
