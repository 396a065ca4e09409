//! What a restore would write where, and what it replaces: worked out from the
//! backup's index and the options before anything is written.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};
use crate::format::{Index, ItemKind};
use crate::items::CONFIG_ITEM;

#[derive(Debug, Clone)]
pub enum Destination {
    /// Where each item was when it was backed up.
    Original,
    /// `DIR/<item name>/…`
    Folder(PathBuf),
}

#[derive(Debug, Clone)]
pub struct RestoreOptions {
    /// Item names; empty means every item except Lifeboat's configuration.
    pub items: Vec<String>,
    /// Paths within the items (files or folders); empty means whole items.
    pub paths: Vec<String>,
    pub destination: Destination,
    /// Where copies of what is replaced are kept.
    pub safety_dir: PathBuf,
    /// Unique per restore; names staging folders.
    pub restore_id: String,
}

/// A subtree to put in place as a whole.
pub(super) struct Unit {
    pub(super) item: u32,
    pub(super) item_name: String,
    pub(super) kind: ItemKind,
    /// Path within the item ("" for the whole item).
    pub(super) rel: String,
    pub(super) target: PathBuf,
    pub(super) staging_dir: PathBuf,
    pub(super) staged: PathBuf,
}

/// Where a restore would put one selected subtree, and what is there now (replaced
/// after a safety copy is taken).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PlannedTarget {
    pub item: String,
    /// Path within the item ("" for the whole item).
    pub path: String,
    pub target: PathBuf,
    pub replaces: Vec<PathBuf>,
}

/// What `restore` with these options would write and replace, without writing.
pub(super) fn plan(index: &Index, options: &RestoreOptions) -> Result<Vec<PlannedTarget>> {
    Ok(plan_units(index, options)?
        .into_iter()
        .map(|unit| PlannedTarget {
            replaces: replaced_paths(&unit).into_iter().filter(|p| fs::symlink_metadata(p).is_ok()).collect(),
            item: unit.item_name,
            path: unit.rel,
            target: unit.target,
        })
        .collect())
}

pub(super) fn plan_units(index: &Index, options: &RestoreOptions) -> Result<Vec<Unit>> {
    let item_names: Vec<&str> = index.items.iter().map(|i| i.name.as_str()).collect();
    let chosen: Vec<u32> = if options.items.is_empty() {
        (0..index.items.len() as u32).filter(|&i| index.items[i as usize].kind != ItemKind::Config).collect()
    } else {
        let mut chosen = Vec::new();
        for name in &options.items {
            let (no, _) = index.item_by_name(name).ok_or_else(|| Error::input(format!("This backup has no item named {name:?}; it holds: {}.", item_names.join(", "))))?;
            chosen.push(no);
        }
        chosen
    };
    let paths: Vec<String> = options.paths.iter().map(|p| normalize_rel(p)).collect::<Result<_>>()?;
    let mut units = Vec::new();
    for &item_no in &chosen {
        let item = &index.items[item_no as usize];
        let root = match &options.destination {
            Destination::Original if item.kind == ItemKind::Config => {
                return Err(Error::input(format!("The {CONFIG_ITEM} item cannot be restored over the running configuration; restore it to another folder.")))
            }
            Destination::Original => {
                let source = PathBuf::from(&item.source);
                if !source.is_absolute() {
                    return Err(Error::input(format!("The item {:?} came from {:?}, which is not a path on this system; restore it to another folder.", item.name, item.source)));
                }
                source
            }
            Destination::Folder(dir) => {
                let base = dir.join(&item.name);
                match item.kind {
                    ItemKind::Folder => base,
                    _ => base.join(Path::new(&item.source).file_name().unwrap_or(item.name.as_ref())),
                }
            }
        };
        let rels: Vec<String> = if paths.is_empty() { vec![String::new()] } else { paths.iter().filter(|p| index.item_entries(item_no).any(|e| e.path == **p)).cloned().collect() };
        for rel in rels {
            let target = if rel.is_empty() { root.clone() } else { safe_join(&root, &rel)? };
            let parent = target.parent().ok_or_else(|| Error::input(format!("Cannot restore to {}.", target.display())))?;
            let staging_dir = parent.join(format!(".lifeboat-restore-{}-{}", options.restore_id, units.len()));
            let staged = staging_dir.join(target.file_name().unwrap_or_default());
            units.push(Unit { item: item_no, item_name: item.name.clone(), kind: item.kind, rel, target, staging_dir, staged });
        }
    }
    for path in &paths {
        if !units.iter().any(|u| u.rel == *path) {
            return Err(Error::input(format!("No file or folder {path:?} in the selected items of this backup.")));
        }
    }
    let distinct: BTreeSet<&PathBuf> = units.iter().map(|u| &u.target).collect();
    if distinct.len() != units.len() {
        return Err(Error::input("Two selected items would be restored to the same place; restore them to another folder."));
    }
    Ok(units)
}

/// Checks a path from the user or the backup is relative and stays inside its root.
fn normalize_rel(path: &str) -> Result<String> {
    let trimmed = path.trim_matches('/');
    let bad = trimmed.split('/').any(|c| c.is_empty() || c == "." || c == "..");
    if trimmed.is_empty() || bad || trimmed.contains('\0') {
        return Err(Error::input(format!("{path:?} is not a path inside an item: give it relative to the item, like docs/report.txt.")));
    }
    Ok(trimmed.to_owned())
}

fn safe_join(root: &Path, rel: &str) -> Result<PathBuf> {
    let mut out = root.to_path_buf();
    for part in rel.split('/') {
        let component = Path::new(part);
        let normal = matches!(component.components().collect::<Vec<_>>().as_slice(), [Component::Normal(_)]);
        if !normal || part.contains('\\') || part.contains('\0') {
            return Err(Error::integrity(format!("The backup holds an unsafe path {rel:?}; refusing to restore it.")));
        }
        // Checked only where it matters: this runs for every component of every entry.
        if let Some(problem) = cfg!(windows).then(|| windows_name_problem(part)).flatten() {
            return Err(Error::input(format!(
                "The backup holds {rel:?}, which Windows cannot restore as it is: {problem}. Nothing was changed. \
                 Restore the other paths with --path, or restore this one on Linux or macOS."
            )));
        }
        out.push(part);
    }
    Ok(out)
}

/// Why Windows cannot hold a file or folder named `name` as it is, if it cannot: its
/// device names (CON, NUL, COM1 … with any extension) open the device instead, a
/// trailing dot or space is dropped (another name, maybe another file's), and `:` would
/// write a hidden stream of another file.
pub(super) fn windows_name_problem(name: &str) -> Option<&'static str> {
    const DEVICES: &[&str] = &["con", "prn", "aux", "nul", "conin$", "conout$"];
    let stem = name.split('.').next().unwrap_or(name).trim_end_matches(' ').to_ascii_lowercase();
    let numbered =
        |prefix: &str| stem.strip_prefix(prefix).is_some_and(|n| n.len() == 1 && n.chars().all(|c| c.is_ascii_digit() || "¹²³".contains(c)) || ["¹", "²", "³"].contains(&n));
    if DEVICES.contains(&stem.as_str()) || numbered("com") || numbered("lpt") {
        return Some("it is the name of a device there");
    }
    if name.ends_with('.') || name.ends_with(' ') {
        return Some("Windows drops a trailing dot or space from a name");
    }
    if name.contains(':') {
        return Some("a ':' names a hidden stream of another file there");
    }
    if name.chars().any(|c| "<>\"|?*".contains(c) || c < ' ') {
        return Some("it holds a character Windows does not allow in names (< > \" | ? * or a control character)");
    }
    None
}

pub(super) fn within(path: &str, unit_rel: &str) -> bool {
    unit_rel.is_empty() || path == unit_rel || path.strip_prefix(unit_rel).is_some_and(|rest| rest.starts_with('/'))
}

pub(super) fn staged_path(unit: &Unit, entry_rel: &str) -> Result<PathBuf> {
    let below = if unit.rel.is_empty() { entry_rel } else { entry_rel[unit.rel.len()..].trim_start_matches('/') };
    if below.is_empty() {
        Ok(unit.staged.clone())
    } else {
        safe_join(&unit.staged, below)
    }
}

/// What a unit replaces: the target, and for databases their journal files, which
/// must not be paired with the restored database.
pub(super) fn replaced_paths(unit: &Unit) -> Vec<PathBuf> {
    let mut paths = vec![unit.target.clone()];
    if matches!(unit.kind, ItemKind::Sqlite | ItemKind::Config) {
        for suffix in ["-wal", "-shm", "-journal"] {
            let mut p = unit.target.clone().into_os_string();
            p.push(suffix);
            paths.push(p.into());
        }
    }
    paths
}

pub(super) fn safety_path(options: &RestoreOptions, unit: &Unit, existing: &Path) -> PathBuf {
    let base = options.safety_dir.join(&options.restore_id).join(&unit.item_name);
    match existing.file_name() {
        Some(name) if unit.rel.is_empty() => base.join(name),
        _ => base.join(&unit.rel),
    }
}

#[cfg(test)]
mod tests {
    use super::windows_name_problem;

    #[test]
    fn names_windows_cannot_hold_are_named_with_the_reason() {
        for name in ["CON", "con", "nul.txt", "Aux.tar.gz", "COM1", "lpt9.log", "COM¹", "prn ", "conin$"] {
            assert_eq!(windows_name_problem(name), Some("it is the name of a device there"), "{name}");
        }
        for name in ["file.", "file ", "..."] {
            assert!(windows_name_problem(name).is_some_and(|p| p.contains("trailing")), "{name}");
        }
        assert!(windows_name_problem("report.txt:hidden").is_some_and(|p| p.contains("stream")));
        for name in ["a<b", "a>b", "a\"b", "a|b", "what?", "*.txt", "tab\there"] {
            assert!(windows_name_problem(name).is_some_and(|p| p.contains("character")), "{name}");
        }
        for name in ["console.log", "com10", "computer", "lpt", "nullable.rs", "aux-files", "Résumé 2026 (final).docx", ".gitignore", "a.b.c", "日本語"] {
            assert_eq!(windows_name_problem(name), None, "{name}");
        }
    }
}
