//! Extracting and putting in place: content is written and authenticated into a
//! staging folder beside each destination first; only then is what it replaces
//! moved to a safety copy and the restored content renamed into place.

use std::fs;
use std::io::{Read, Seek};
use std::path::Path;

use super::journal::{self, Journal};
use super::plan::{plan_units, replaced_paths, safety_path, staged_path, within, RestoreOptions, Unit};
use super::writers::{set_file_mode, set_times, FileMeta, FileWriters, StagedPath};
use super::{Replaced, RestoreReport};
use crate::error::{Error, IoContext, Result};
use crate::format::{EntryKind, EntryReader, Index, IndexEntry};
use crate::fsutil::sync_filesystems;
use crate::progress::{Cancel, Phase, Progress};

/// Restores the entries `options` select, reading them with `reader`.
pub fn extract<R: Read + Seek>(index: &Index, mut reader: EntryReader<R>, options: &RestoreOptions, progress: &dyn Progress, cancel: &Cancel) -> Result<RestoreReport> {
    let units = plan_units(index, options)?;
    let selected: Vec<(&IndexEntry, usize)> = index.entries.iter().filter_map(|e| units.iter().position(|u| u.item == e.item && within(&e.path, &u.rel)).map(|u| (e, u))).collect();
    check_room(&units, &selected)?;
    progress.phase(Phase::Restoring);
    progress.total(selected.iter().map(|(e, _)| e.size).sum(), selected.len() as u64);

    let writers = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 4));
    // Folders this restore creates to hold its staging areas (a new destination):
    // a failed restore takes them away again, leaving the disk as it found it.
    let mut made_above: Vec<std::path::PathBuf> = Vec::new();
    for unit in &units {
        for dir in unit.staging_dir.parent().map(missing_ancestors).unwrap_or_default() {
            if !made_above.contains(&dir) {
                made_above.push(dir);
            }
        }
    }
    made_above.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    let journal_at = journal::path(&options.safety_dir, &options.restore_id);
    let mut journal = Journal::extracting(&units, made_above.clone());
    journal::write(&journal_at, &journal)?;
    let mut warnings = Vec::new();
    let extracted = std::thread::scope(|scope| -> Result<u64> {
        let mut files = FileWriters::start(scope, writers);
        let mut dirs = Vec::new();
        let mut made_dirs = std::collections::HashSet::new();
        let mut placed = PlacedEntries::default();
        let mut bytes = 0;
        let mut roots = Vec::new();
        for unit in &units {
            if let Some(parent) = unit.staging_dir.parent() {
                fs::create_dir_all(parent).with_path("creating", parent)?;
            }
            fs::create_dir(&unit.staging_dir).with_path("creating staging folder", &unit.staging_dir)?;
            // Everything below is written through this handle: a link another program
            // puts in the way is never followed out of the staging folder.
            let root = cap_std::fs::Dir::open_ambient_dir(&unit.staging_dir, cap_std::ambient_authority());
            roots.push(std::sync::Arc::new(root.with_path("opening staging folder", &unit.staging_dir)?));
        }
        for (entry, unit_no) in &selected {
            cancel.check()?;
            let unit = &units[*unit_no];
            let place = || index.place_of(entry);
            reader.seek(&index.chunk_offsets, entry.position()).map_err(|e| e.found_in(place))?;
            let header = reader
                .next_entry()
                .map_err(|e| e.found_in(place))?
                .filter(|h| h.path == entry.path && h.item == entry.item && h.kind == entry.kind)
                .ok_or_else(|| Error::integrity("The backup index does not match the data it points at."))?;
            placed.check(header.item, &header.path, header.kind)?;
            let dest = staged(&roots[*unit_no], unit, &header.path)?;
            match header.kind {
                EntryKind::Dir => {
                    dest.root.create_dir_all(&dest.rel).with_path("creating", &dest.shown)?;
                    made_dirs.insert(dest.rel.clone());
                    reader.read_content(|_| Ok(())).map_err(|e| e.found_in(place))?;
                    dirs.push((dest, header.mode, header.mtime, header.mtime_nanos));
                }
                EntryKind::File => {
                    if let Some(parent) = dest.rel.parent() {
                        if made_dirs.insert(parent.to_owned()) {
                            dest.root.create_dir_all(parent).with_path("creating", dest.shown.parent().unwrap_or(&dest.shown))?;
                        }
                    }
                    let meta = FileMeta { mode: header.mode, mtime: header.mtime, mtime_nanos: header.mtime_nanos };
                    files.create(dest, meta)?;
                    bytes += reader
                        .read_content(|piece| {
                            files.write(piece)?;
                            progress.advance(piece.len() as u64, 0);
                            cancel.check()
                        })
                        .map_err(|e| e.found_in(place))?;
                    files.finish_file()?;
                }
                EntryKind::Symlink => {
                    let mut target = Vec::new();
                    reader
                        .read_content(|piece| {
                            target.extend_from_slice(piece);
                            if target.len() > crate::format::MAX_PATH_BYTES {
                                return Err(Error::integrity("A link target in the backup is too long."));
                            }
                            Ok(())
                        })
                        .map_err(|e| e.found_in(place))?;
                    let target = String::from_utf8(target).map_err(|_| Error::integrity("A link target is not UTF-8."))?;
                    if let Some(parent) = dest.rel.parent() {
                        dest.root.create_dir_all(parent).with_path("creating", dest.shown.parent().unwrap_or(&dest.shown))?;
                    }
                    if let Err(e) = make_staged_symlink(&target, &dest) {
                        let why = link_refusal(&e).ok_or(e)?;
                        warnings.push(format!("{}: the symbolic link to {target:?} was not restored: {why}.", place()));
                    }
                }
            }
            progress.advance(0, 1);
        }
        files.join()?;
        // Deepest first, and after their content: writing into a folder changes its
        // time, and a read-only folder could not be filled.
        for (dir, mode, mtime, nanos) in dirs.iter().rev() {
            let handle = dir.root.open_with(&dir.rel, &folder_attributes_options()).with_path("opening", &dir.shown)?.into_std();
            set_times(&handle, *mtime, *nanos).with_path("setting the time of", &dir.shown)?;
            set_file_mode(&handle, &dir.shown, *mode)?;
        }
        Ok(bytes)
    });
    let bytes = match extracted {
        Ok(bytes) => bytes,
        Err(e) => {
            for unit in &units {
                let _ = remove_any(&unit.staging_dir);
            }
            // Deepest first; a folder something else has written into meanwhile stays.
            for dir in made_above {
                let _ = fs::remove_dir(dir);
            }
            let _ = journal::close(&journal_at, &[]);
            return Err(say_where_full(e, &units));
        }
    };

    // Every restored byte reaches the disk before anything the user had is moved;
    // from here on the journal says to finish, not undo.
    progress.phase(Phase::Replacing);
    sync_filesystems(units.iter().map(|u| u.staging_dir.as_path()))?;
    for (moves, unit) in journal.units.iter_mut().zip(&units) {
        moves.staged_inode = journal::inode(&unit.staged);
        moves.replaces = replaced_paths(unit)
            .into_iter()
            .filter(|existing| fs::symlink_metadata(existing).is_ok())
            .map(|existing| Replaced { safety_copy: safety_path(options, unit, &existing), path: existing })
            .collect();
    }
    journal.phase = journal::Phase::Replacing;
    journal::write(&journal_at, &journal)?;
    let mut replaced = Vec::new();
    let mut restored = Vec::new();
    for moves in &journal.units {
        let staged = fs::symlink_metadata(&moves.staged).is_ok();
        replaced.extend(journal::put_in_place(moves)?);
        if staged {
            restored.push(moves.target.clone());
        }
    }
    sync_filesystems(units.iter().map(|u| u.target.as_path()))?;
    journal::close(&journal_at, &replaced)?;
    Ok(RestoreReport { restored, entries: (selected.len() - warnings.len()) as u64, bytes, replaced, warnings })
}

/// Refuses before anything is written when a disk restored to has less room than
/// the bytes its part of the restore holds (a lower bound: blocks and folders
/// take more, so a disk can still fill; `say_where_full` covers that).
fn check_room(units: &[Unit], selected: &[(&IndexEntry, usize)]) -> Result<()> {
    let mut per_unit = vec![0u64; units.len()];
    for (entry, unit) in selected {
        per_unit[*unit] += entry.size;
    }
    struct Disk<'a> {
        device: u64,
        /// The nearest folder that exists on the way to the staging folder.
        existing: &'a Path,
        /// The first place restored there, to name in the message.
        target: &'a Path,
        needed: u64,
    }
    let mut disks: Vec<Disk> = Vec::new();
    for (unit, needed) in units.iter().zip(per_unit) {
        // The root always exists, so this finds a folder for any absolute path.
        let Some(existing) = unit.staging_dir.ancestors().skip(1).find(|a| fs::metadata(a).is_ok()) else { continue };
        let device = device_of(existing)?;
        match disks.iter_mut().find(|d| d.device == device) {
            Some(disk) => disk.needed += needed,
            None => disks.push(Disk { device, existing, target: &unit.target, needed }),
        }
    }
    for Disk { existing, target, needed, .. } in disks {
        let free = crate::fsutil::available_space(existing).with_path("checking free space of", existing)?;
        if needed > free {
            return Err(Error::Io {
                message: format!(
                    "There is not enough room to restore {}: it needs at least {} and the disk holding {} has {} free. Nothing was changed; free space there, or restore to another folder",
                    target.display(),
                    mib(needed),
                    existing.display(),
                    mib(free)
                ),
                source: std::io::Error::new(std::io::ErrorKind::StorageFull, "not enough free space"),
            });
        }
    }
    Ok(())
}

/// A disk that filled while the restore wrote: said of the place restored to (not
/// of the staging folder, which is gone), and that nothing there changed.
fn say_where_full(e: Error, units: &[Unit]) -> Error {
    match e {
        Error::Io { source, .. } if source.kind() == std::io::ErrorKind::StorageFull => {
            let targets: Vec<String> = units.iter().map(|u| u.target.display().to_string()).collect();
            Error::Io {
                message: format!(
                    "The disk filled up while restoring {}. Nothing was changed there, and what the restore had written was removed; free space, or restore to another folder",
                    targets.join(", ")
                ),
                source,
            }
        }
        other => other,
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1u64 << 20) as f64)
}

/// How a restored folder is opened to set its time and mode. On Unix a readable
/// handle (`open_dir`'s is a bare path handle, which cannot carry a time or mode
/// change); Windows opens a folder only with backup semantics, and setting its time
/// needs write-attributes access.
fn folder_attributes_options() -> cap_std::fs::OpenOptions {
    let mut options = cap_std::fs::OpenOptions::new();
    #[cfg(not(windows))]
    options.read(true);
    #[cfg(windows)]
    {
        use cap_std::fs::OpenOptionsExt;
        use windows_sys::Win32::Storage::FileSystem::{FILE_FLAG_BACKUP_SEMANTICS, FILE_READ_ATTRIBUTES, FILE_WRITE_ATTRIBUTES};
        options.access_mode(FILE_READ_ATTRIBUTES | FILE_WRITE_ATTRIBUTES).custom_flags(FILE_FLAG_BACKUP_SEMANTICS);
    }
    options
}

#[cfg(unix)]
fn device_of(path: &Path) -> Result<u64> {
    use std::os::unix::fs::MetadataExt;
    Ok(fs::metadata(path).with_path("reading", path)?.dev())
}

/// Without device numbers, each place counts as its own disk.
#[cfg(not(unix))]
fn device_of(path: &Path) -> Result<u64> {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    path.hash(&mut hasher);
    Ok(hasher.finish())
}

/// Where an entry goes in its unit's staging folder, resolved beneath it only.
fn staged(root: &std::sync::Arc<cap_std::fs::Dir>, unit: &Unit, entry_rel: &str) -> Result<StagedPath> {
    let shown = staged_path(unit, entry_rel)?;
    let rel = shown.strip_prefix(&unit.staging_dir).map_err(|_| Error::integrity(format!("{entry_rel:?} does not stay in its folder.")))?.to_owned();
    Ok(StagedPath { root: root.clone(), rel, shown })
}

#[cfg(unix)]
fn make_staged_symlink(target: &str, at: &StagedPath) -> Result<()> {
    // The link's content is the backup's, as it was; only where it is made is confined.
    at.root.symlink_contents(target, &at.rel).with_path("creating link", &at.shown)
}

#[cfg(not(unix))]
fn make_staged_symlink(target: &str, at: &StagedPath) -> Result<()> {
    make_symlink(target, &at.shown)
}

/// The entries a restore has placed, so that a crafted backup cannot use one to
/// write through another: a path may come only once, and nothing may go beneath a
/// symbolic link the backup itself restores (it could point anywhere).
/// On Windows, whose file systems ignore case, paths that differ only in case are the
/// same place: the second would overwrite the first.
#[derive(Default)]
struct PlacedEntries {
    /// By the place a path names (its case folded on Windows): the path as the backup
    /// has it, where folding changed it.
    paths: std::collections::HashMap<(u32, String), Option<String>>,
    links: std::collections::HashSet<(u32, String)>,
}

fn place_of(path: &str) -> String {
    if cfg!(windows) {
        path.to_lowercase()
    } else {
        path.to_owned()
    }
}

impl PlacedEntries {
    fn check(&mut self, item: u32, path: &str, kind: EntryKind) -> Result<()> {
        use std::collections::hash_map::Entry;
        let place = place_of(path);
        let beneath_link = place.match_indices('/').map(|(i, _)| &place[..i]).find(|above| self.links.contains(&(item, (*above).to_owned())));
        if let Some(link) = beneath_link {
            return Err(Error::integrity(format!("The backup places {path:?} beneath the symbolic link {link:?} it also restores; refusing to write through a link.")));
        }
        let as_written = (place != path).then(|| path.to_owned());
        match self.paths.entry((item, place)) {
            Entry::Vacant(vacant) => {
                let placed = vacant.insert_entry(as_written);
                if kind == EntryKind::Symlink {
                    self.links.insert(placed.key().clone());
                }
                Ok(())
            }
            Entry::Occupied(earlier) => {
                let earlier = earlier.get().as_deref().unwrap_or(&earlier.key().1);
                if earlier == path {
                    return Err(Error::integrity(format!("The backup holds {path:?} twice; refusing to restore it.")));
                }
                Err(Error::input(format!(
                    "The backup holds {earlier:?} and {path:?}, which differ only in case: Windows keeps them in one place, so one would overwrite the other. \
                     Nothing was changed. Restore one of them with --path (to another folder with --to), or restore on Linux or macOS."
                )))
            }
        }
    }
}

/// `dir` and those of its ancestors that do not exist yet.
fn missing_ancestors(dir: &Path) -> Vec<std::path::PathBuf> {
    dir.ancestors().take_while(|a| !a.as_os_str().is_empty() && fs::symlink_metadata(a).is_err()).map(Path::to_owned).collect()
}

/// Rename, or copy and delete when the two places are on different file systems.
pub(super) fn move_path(from: &Path, to: &Path) -> Result<()> {
    match crate::fsutil::rename(from, to) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::CrossesDevices => {
            copy_tree(from, to)?;
            remove_any(from)
        }
        Err(e) => Err(Error::Io { message: format!("moving {} to {}", from.display(), to.display()), source: e }),
    }
}

pub(super) fn copy_tree(from: &Path, to: &Path) -> Result<()> {
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

pub(super) fn remove_any(path: &Path) -> Result<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => fs::remove_dir_all(path).with_path("removing", path),
        Ok(_) => fs::remove_file(path).with_path("removing", path),
        Err(_) => Ok(()),
    }
}

#[cfg(unix)]
pub(super) fn make_symlink(target: &str, at: &Path) -> Result<()> {
    std::os::unix::fs::symlink(target, at).with_path("creating link", at)
}

/// Windows makes a link to a folder and a link to a file differently: which it is
/// follows what the target is now, seen from the link's folder (a target that does
/// not exist becomes a file link). A target written with `/` (a backup made on Unix)
/// gets Windows' separators.
#[cfg(windows)]
pub(super) fn make_symlink(target: &str, at: &Path) -> Result<()> {
    let native = target.replace('/', "\\");
    let is_dir = at.parent().is_some_and(|folder| folder.join(&native).is_dir());
    let made = if is_dir { std::os::windows::fs::symlink_dir(&native, at) } else { std::os::windows::fs::symlink_file(&native, at) };
    made.with_path("creating link", at)
}

/// Why a link cannot be made where a restore puts it, when the user or the file
/// system may not make links at all: the restore goes on without it and says so (an
/// administrator would rather have every file back than none).
fn link_refusal(e: &Error) -> Option<&'static str> {
    let Error::Io { source, .. } = e else { return None };
    let no_links_here = "this file system cannot hold symbolic links (FAT and exFAT cannot); restore it to another disk to have the link";
    #[cfg(windows)]
    return match source.raw_os_error() {
        // ERROR_PRIVILEGE_NOT_HELD
        Some(1314) => Some(
            "Windows lets only an administrator, or anyone with developer mode on, make symbolic links: turn developer mode on (Settings, For developers) or restore as an administrator to have it",
        ),
        // ERROR_INVALID_FUNCTION, ERROR_NOT_SUPPORTED: no reparse points on this volume
        Some(1 | 50) => Some(no_links_here),
        _ => None,
    };
    #[cfg(not(windows))]
    // EPERM (not EACCES, a folder the user may not write)
    return (source.raw_os_error() == Some(1)).then_some(no_links_here);
}

#[cfg(not(any(unix, windows)))]
pub(super) fn make_symlink(_target: &str, at: &Path) -> Result<()> {
    Err(Error::operation(format!("{}: symbolic links are not restored on this system", at.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(code: i32) -> Error {
        Error::Io { message: "creating link x".into(), source: std::io::Error::from_raw_os_error(code) }
    }

    #[test]
    fn links_that_may_not_be_made_here_are_skipped_with_the_reason_and_other_failures_stop_the_restore() {
        #[cfg(windows)]
        {
            assert!(link_refusal(&failed(1314)).is_some_and(|why| why.contains("developer mode")), "no privilege");
            assert!(link_refusal(&failed(50)).is_some_and(|why| why.contains("FAT")), "a volume without reparse points");
            for other in [5, 3, 112] {
                assert_eq!(link_refusal(&failed(other)), None, "os error {other} stops the restore");
            }
        }
        #[cfg(unix)]
        {
            assert!(link_refusal(&failed(1)).is_some_and(|why| why.contains("FAT")), "EPERM: a file system without links");
            for other in [13, 28, 30] {
                assert_eq!(link_refusal(&failed(other)), None, "errno {other} stops the restore");
            }
        }
        assert_eq!(link_refusal(&Error::integrity("a damaged link")), None);
    }
}
