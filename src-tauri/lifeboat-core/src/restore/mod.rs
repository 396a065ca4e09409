//! Restoring: everything, some items or some paths, to the original place or another
//! folder. Content is extracted and authenticated into a staging folder beside each
//! destination first; only then is what it replaces moved to a safety copy and the
//! restored content renamed into place.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::{Read, Seek};
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, IoContext, Result};
use crate::format::{EntryKind, Index, IndexEntry, ItemKind};
use crate::items::CONFIG_ITEM;
use crate::progress::{Cancel, Phase, Progress};
use crate::verify::OpenedBackup;

mod writers;
use writers::{FileMeta, FileWriters};

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

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, serde::Serialize)]
pub struct Replaced {
    pub path: PathBuf,
    pub safety_copy: PathBuf,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, serde::Serialize)]
pub struct RestoreReport {
    pub restored: Vec<PathBuf>,
    #[cfg_attr(feature = "specta", specta(type = u32))]
    pub entries: u64,
    #[cfg_attr(feature = "specta", specta(type = u32))]
    pub bytes: u64,
    pub replaced: Vec<Replaced>,
}

/// A subtree to put in place as a whole.
struct Unit {
    item: u32,
    item_name: String,
    kind: ItemKind,
    /// Path within the item ("" for the whole item).
    rel: String,
    target: PathBuf,
    staging_dir: PathBuf,
    staged: PathBuf,
}

/// Where a restore would put one selected subtree, and what is there now (replaced
/// after a safety copy is taken).
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PlannedTarget {
    pub item: String,
    /// Path within the item ("" for the whole item).
    pub path: String,
    pub target: PathBuf,
    pub replaces: Vec<PathBuf>,
}

/// What `restore` with these options would write and replace, without writing.
pub fn plan(index: &Index, options: &RestoreOptions) -> Result<Vec<PlannedTarget>> {
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

pub fn restore<R: Read + Seek>(
    opened: OpenedBackup<R>,
    options: &RestoreOptions,
    progress: &dyn Progress,
    cancel: &Cancel,
) -> Result<RestoreReport> {
    let (_, index, factory) = opened.into_parts();
    let units = plan_units(&index, options)?;
    let selected: Vec<(&IndexEntry, usize)> = index
        .entries
        .iter()
        .filter_map(|e| units.iter().position(|u| u.item == e.item && within(&e.path, &u.rel)).map(|u| (e, u)))
        .collect();
    progress.phase(Phase::Restoring);
    progress.total(selected.iter().map(|(e, _)| e.size).sum(), selected.len() as u64);

    let mut reader = factory.reader()?;
    let writers = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 4));
    let extracted = std::thread::scope(|scope| -> Result<u64> {
        let mut files = FileWriters::start(scope, writers);
        let mut dirs = Vec::new();
        let mut made_dirs = std::collections::HashSet::new();
        let mut bytes = 0;
        for unit in &units {
            if let Some(parent) = unit.staging_dir.parent() {
                fs::create_dir_all(parent).with_path("creating", parent)?;
            }
            fs::create_dir(&unit.staging_dir).with_path("creating staging folder", &unit.staging_dir)?;
        }
        for (entry, unit_no) in &selected {
            cancel.check()?;
            let unit = &units[*unit_no];
            reader.seek(&index, entry.position())?;
            let header = reader
                .next_entry()?
                .filter(|h| h.path == entry.path && h.item == entry.item && h.kind == entry.kind)
                .ok_or_else(|| Error::integrity("The backup index does not match the data it points at."))?;
            let dest = staged_path(unit, &header.path)?;
            match header.kind {
                EntryKind::Dir => {
                    fs::create_dir_all(&dest).with_path("creating", &dest)?;
                    made_dirs.insert(dest.clone());
                    reader.read_content(|_| Ok(()))?;
                    dirs.push((dest, header.mode, header.mtime, header.mtime_nanos));
                }
                EntryKind::File => {
                    if let Some(parent) = dest.parent() {
                        if made_dirs.insert(parent.to_owned()) {
                            fs::create_dir_all(parent).with_path("creating", parent)?;
                        }
                    }
                    let meta = FileMeta { mode: header.mode, mtime: header.mtime, mtime_nanos: header.mtime_nanos };
                    files.create(dest, meta)?;
                    bytes += reader.read_content(|piece| {
                        files.write(piece)?;
                        progress.advance(piece.len() as u64, 0);
                        cancel.check()
                    })?;
                    files.finish_file()?;
                }
                EntryKind::Symlink => {
                    let mut target = Vec::new();
                    reader.read_content(|piece| {
                        target.extend_from_slice(piece);
                        if target.len() > crate::format::MAX_PATH_BYTES {
                            return Err(Error::integrity("A link target in the backup is too long."));
                        }
                        Ok(())
                    })?;
                    let target = String::from_utf8(target).map_err(|_| Error::integrity("A link target is not UTF-8."))?;
                    if let Some(parent) = dest.parent() {
                        fs::create_dir_all(parent).with_path("creating", parent)?;
                    }
                    make_symlink(&target, &dest)?;
                }
            }
            progress.advance(0, 1);
        }
        files.join()?;
        // Deepest first, and after their content: writing into a folder changes its
        // time, and a read-only folder could not be filled.
        for (dir, mode, mtime, nanos) in dirs.iter().rev() {
            let handle = File::open(dir).with_path("opening", dir)?;
            set_times(&handle, *mtime, *nanos).with_path("setting the time of", dir)?;
            set_mode(dir, *mode)?;
        }
        Ok(bytes)
    });
    let bytes = match extracted {
        Ok(bytes) => bytes,
        Err(e) => {
            for unit in &units {
                let _ = remove_any(&unit.staging_dir);
            }
            return Err(e);
        }
    };

    progress.phase(Phase::Replacing);
    let mut replaced = Vec::new();
    let mut restored = Vec::new();
    for unit in &units {
        for existing in replaced_paths(unit) {
            if fs::symlink_metadata(&existing).is_err() {
                continue;
            }
            let safety_copy = safety_path(options, unit, &existing);
            if let Some(parent) = safety_copy.parent() {
                fs::create_dir_all(parent).with_path("creating", parent)?;
            }
            move_path(&existing, &safety_copy)?;
            replaced.push(Replaced { path: existing, safety_copy });
        }
        if fs::symlink_metadata(&unit.staged).is_ok() {
            fs::rename(&unit.staged, &unit.target).with_path("moving restored content to", &unit.target)?;
            restored.push(unit.target.clone());
        }
        remove_any(&unit.staging_dir)?;
    }
    if !replaced.is_empty() {
        let manifest = options.safety_dir.join(&options.restore_id).join("replaced.json");
        let text = serde_json::to_vec_pretty(&replaced).expect("paths serialize");
        fs::write(&manifest, text).with_path("writing", &manifest)?;
    }
    Ok(RestoreReport { restored, entries: selected.len() as u64, bytes, replaced })
}

fn plan_units(index: &Index, options: &RestoreOptions) -> Result<Vec<Unit>> {
    let item_names: Vec<&str> = index.items.iter().map(|i| i.name.as_str()).collect();
    let chosen: Vec<u32> = if options.items.is_empty() {
        (0..index.items.len() as u32).filter(|&i| index.items[i as usize].kind != ItemKind::Config).collect()
    } else {
        let mut chosen = Vec::new();
        for name in &options.items {
            let (no, _) = index.item_by_name(name).ok_or_else(|| {
                Error::input(format!("This backup has no item named {name:?}; it holds: {}.", item_names.join(", ")))
            })?;
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
                return Err(Error::input(format!(
                    "The {CONFIG_ITEM} item cannot be restored over the running configuration; restore it to another folder (--to DIR)."
                )))
            }
            Destination::Original => {
                let source = PathBuf::from(&item.source);
                if !source.is_absolute() {
                    return Err(Error::input(format!(
                        "The item {:?} came from {:?}, which is not a path on this system; restore it to another folder (--to DIR).",
                        item.name, item.source
                    )));
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
        let rels: Vec<String> = if paths.is_empty() {
            vec![String::new()]
        } else {
            paths.iter().filter(|p| index.item_entries(item_no).any(|e| e.path == **p)).cloned().collect()
        };
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
        return Err(Error::input("Two selected items would be restored to the same place; restore them to another folder (--to DIR)."));
    }
    Ok(units)
}

/// Checks a path from the user or the backup is relative and stays inside its root.
fn normalize_rel(path: &str) -> Result<String> {
    let trimmed = path.trim_matches('/');
    let bad = trimmed.split('/').any(|c| c.is_empty() || c == "." || c == "..");
    if trimmed.is_empty() || bad || trimmed.contains('\0') {
        return Err(Error::input(format!(
            "{path:?} is not a path inside an item: give it relative to the item, like docs/report.txt."
        )));
    }
    Ok(trimmed.to_owned())
}

fn safe_join(root: &Path, rel: &str) -> Result<PathBuf> {
    let mut out = root.to_path_buf();
    for part in rel.split('/') {
        let component = Path::new(part);
        let normal = matches!(component.components().collect::<Vec<_>>().as_slice(), [Component::Normal(_)]);
        if !normal || part.contains('\\') {
            return Err(Error::integrity(format!("The backup holds an unsafe path {rel:?}; refusing to restore it.")));
        }
        out.push(part);
    }
    Ok(out)
}

fn within(path: &str, unit_rel: &str) -> bool {
    unit_rel.is_empty() || path == unit_rel || path.strip_prefix(unit_rel).is_some_and(|rest| rest.starts_with('/'))
}

fn staged_path(unit: &Unit, entry_rel: &str) -> Result<PathBuf> {
    let below = if unit.rel.is_empty() { entry_rel } else { entry_rel[unit.rel.len()..].trim_start_matches('/') };
    if below.is_empty() {
        Ok(unit.staged.clone())
    } else {
        safe_join(&unit.staged, below)
    }
}

/// What a unit replaces: the target, and for databases their journal files, which
/// must not be paired with the restored database.
fn replaced_paths(unit: &Unit) -> Vec<PathBuf> {
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

fn safety_path(options: &RestoreOptions, unit: &Unit, existing: &Path) -> PathBuf {
    let base = options.safety_dir.join(&options.restore_id).join(&unit.item_name);
    match existing.file_name() {
        Some(name) if unit.rel.is_empty() => base.join(name),
        _ => base.join(&unit.rel),
    }
}

/// Rename, or copy and delete when the two places are on different file systems.
fn move_path(from: &Path, to: &Path) -> Result<()> {
    match fs::rename(from, to) {
        Ok(()) => Ok(()),
        Err(e) if e.raw_os_error() == Some(18) => {
            copy_tree(from, to)?;
            remove_any(from)
        }
        Err(e) => Err(Error::Io { message: format!("moving {} to {}", from.display(), to.display()), source: e }),
    }
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    let meta = fs::symlink_metadata(from).with_path("reading", from)?;
    if meta.is_dir() {
        fs::create_dir_all(to).with_path("creating", to)?;
        for entry in fs::read_dir(from).with_path("listing", from)? {
            let entry = entry.with_path("listing", from)?;
            copy_tree(&entry.path(), &to.join(entry.file_name()))?;
        }
    } else if meta.file_type().is_symlink() {
        let target = fs::read_link(from).with_path("reading", from)?;
        make_symlink(&target.to_string_lossy(), to)?;
    } else {
        fs::copy(from, to).with_path("copying", from)?;
    }
    Ok(())
}

fn remove_any(path: &Path) -> Result<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => fs::remove_dir_all(path).with_path("removing", path),
        Ok(_) => fs::remove_file(path).with_path("removing", path),
        Err(_) => Ok(()),
    }
}

fn set_times(file: &File, secs: i64, nanos: u32) -> std::io::Result<()> {
    let time = if secs >= 0 {
        std::time::UNIX_EPOCH + std::time::Duration::new(secs as u64, nanos)
    } else {
        std::time::UNIX_EPOCH - std::time::Duration::from_secs(secs.unsigned_abs()) + std::time::Duration::new(0, nanos)
    };
    file.set_times(fs::FileTimes::new().set_modified(time).set_accessed(time))
}

#[cfg(unix)]
fn set_file_mode(file: &File, path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(mode & 0o7777)).with_path("setting permissions of", path)
}

#[cfg(not(unix))]
fn set_file_mode(_file: &File, _path: &Path, _mode: u32) -> Result<()> {
    Ok(())
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode & 0o7777)).with_path("setting permissions of", path)
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> Result<()> {
    Ok(())
}

#[cfg(unix)]
fn make_symlink(target: &str, at: &Path) -> Result<()> {
    std::os::unix::fs::symlink(target, at).with_path("creating link", at)
}

#[cfg(not(unix))]
fn make_symlink(_target: &str, at: &Path) -> Result<()> {
    Err(Error::operation(format!("{}: symbolic links are not restored on this system", at.display())))
}
