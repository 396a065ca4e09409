//! A restore's journal, so that a restore stopped at any moment (a crash, a kill, a
//! power cut) is finished or undone by the next one, never left half-way: written
//! before the restore creates anything, and again once every restored byte is on
//! disk, before the first original is moved to its safety copy.
//!
//! - `Extracting`: staging folders may exist and hold part of the content; nothing
//!   the user had was touched. The next restore removes them (and the folders the
//!   restore created to hold them).
//! - `Replacing`: the content is complete on disk. The next restore finishes
//!   putting it in place (`put_in_place` is the same step a restore takes, and can
//!   be taken again from wherever it stopped); the replaced originals are listed in
//!   `replaced.json` as for a restore that ended normally.
//!
//! Where the file system can swap two names at once (Linux `renameat2` with
//! `RENAME_EXCHANGE`), a destination holds its old content or its new content at
//! every moment. Elsewhere (Windows, macOS) a file is replaced in one rename after
//! its safety copy was made beside it (a second link to it, or a copy on another
//! disk), so it too is never missing; a folder cannot be replaced in one step there
//! and is missing for the moment between its two renames, which the journal covers:
//! the next run puts the new content there.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::extract::{move_path, remove_any};
use super::plan::Unit;
use super::Replaced;
use crate::error::{Error, IoContext, Result};
use crate::fsutil;

const FILE_NAME: &str = "journal.json";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Phase {
    Extracting,
    Replacing,
}

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Journal {
    pub phase: Phase,
    pub units: Vec<UnitMoves>,
    /// Folders the restore created to hold staging folders (a new destination),
    /// deepest first: taken away again when it is undone, if still empty.
    pub made_above: Vec<PathBuf>,
}

impl Journal {
    /// The journal a restore writes before it creates anything.
    pub(super) fn extracting(units: &[Unit], made_above: Vec<PathBuf>) -> Self {
        let units = units
            .iter()
            .map(|u| UnitMoves { staging_dir: u.staging_dir.clone(), staged: u.staged.clone(), target: u.target.clone(), staged_inode: None, replaces: Vec::new() })
            .collect();
        Journal { phase: Phase::Extracting, units, made_above }
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct UnitMoves {
    pub staging_dir: PathBuf,
    pub staged: PathBuf,
    pub target: PathBuf,
    /// The staged content's inode: after a swap it is the destination's, which is
    /// how a restarted restore tells a swapped pair from one not swapped yet.
    pub staged_inode: Option<u64>,
    /// What is in place now, and where its safety copy goes.
    pub replaces: Vec<Replaced>,
}

/// Puts one unit's staged content in place, each thing it replaces kept as its
/// safety copy; returns those. Safe to run again after a stop at any point.
pub(super) fn put_in_place(unit: &UnitMoves) -> Result<Vec<Replaced>> {
    let staged_is_new = unit.staged_inode.is_some() && inode(&unit.staged) == unit.staged_inode || unit.staged_inode.is_none() && exists(&unit.staged);
    let target_is_new = unit.staged_inode.is_some() && inode(&unit.target) == unit.staged_inode;
    for r in unit.replaces.iter().filter(|r| r.path != unit.target) {
        if exists(&r.path) && !target_is_new {
            keep_safety_copy(&r.path, &r.safety_copy)?;
        }
    }
    let old_target = unit.replaces.iter().find(|r| r.path == unit.target);
    if staged_is_new {
        match old_target.filter(|_| exists(&unit.target)) {
            Some(r) if exchange(&unit.staged, &unit.target) => keep_safety_copy(&unit.staged, &r.safety_copy)?,
            Some(r) if replaceable_in_one_rename(&unit.target) && is_file(&unit.staged) => {
                keep_safety_copy_of_file(&unit.target, &r.safety_copy)?;
                fsutil::rename(&unit.staged, &unit.target).with_path("moving restored content to", &unit.target)?;
            }
            Some(r) => {
                keep_safety_copy(&unit.target, &r.safety_copy)?;
                fsutil::rename(&unit.staged, &unit.target).with_path("moving restored content to", &unit.target)?;
            }
            None => fsutil::rename(&unit.staged, &unit.target).with_path("moving restored content to", &unit.target)?,
        }
    } else if let Some(r) = old_target.filter(|_| target_is_new && exists(&unit.staged)) {
        // Swapped before the stop: the staging place holds the old content.
        keep_safety_copy(&unit.staged, &r.safety_copy)?;
    }
    remove_any(&unit.staging_dir)?;
    Ok(unit.replaces.iter().filter(|r| exists(&r.safety_copy)).cloned().collect())
}

/// Moves `from` to `safety_copy`. A safety copy already there while its original
/// still exists is a cross-device copy cut short: it is made again.
fn keep_safety_copy(from: &Path, safety_copy: &Path) -> Result<()> {
    remove_any(safety_copy)?;
    if let Some(parent) = safety_copy.parent() {
        fs::create_dir_all(parent).with_path("creating", parent)?;
    }
    move_path(from, safety_copy)
}

/// Keeps `file` as its safety copy while it stays in place: a second link to it, or
/// (on another disk) a copy on disk before the file is replaced.
fn keep_safety_copy_of_file(file: &Path, safety_copy: &Path) -> Result<()> {
    remove_any(safety_copy)?;
    if let Some(parent) = safety_copy.parent() {
        fs::create_dir_all(parent).with_path("creating", parent)?;
    }
    if fs::hard_link(file, safety_copy).is_err() {
        fs::copy(file, safety_copy).with_path("copying", file)?;
        fs::File::options().write(true).open(safety_copy).and_then(|f| f.sync_all()).with_path("flushing", safety_copy)?;
    }
    fsutil::sync_dir(safety_copy.parent().unwrap_or(safety_copy))
}

fn is_file(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.is_file())
}

/// A file a rename can replace: on Windows not a read-only one (moved away first).
fn replaceable_in_one_rename(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.is_file() && !(cfg!(windows) && m.permissions().readonly()))
}

fn exists(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

pub(super) fn inode(path: &Path) -> Option<u64> {
    fsutil::file_id(path).map(|(_, inode)| inode)
}

/// Swaps the names `a` and `b` in one step; false where the system or the file
/// system cannot.
fn exchange(a: &Path, b: &Path) -> bool {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::ffi::OsStrExt;
        let (Ok(a), Ok(b)) = (std::ffi::CString::new(a.as_os_str().as_bytes()), std::ffi::CString::new(b.as_os_str().as_bytes())) else {
            return false;
        };
        // SAFETY: both are NUL-terminated paths that live across the call.
        unsafe { libc::renameat2(libc::AT_FDCWD, a.as_ptr(), libc::AT_FDCWD, b.as_ptr(), libc::RENAME_EXCHANGE) == 0 }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (a, b);
        false
    }
}

/// Where the journal of restore `restore_id` lives: its safety-copy folder.
pub(super) fn path(safety_dir: &Path, restore_id: &str) -> PathBuf {
    safety_dir.join(restore_id).join(FILE_NAME)
}

/// Writes the journal atomically (temporary name, fsync, rename, fsync the folder).
pub(super) fn write(at: &Path, journal: &Journal) -> Result<()> {
    if let Some(dir) = at.parent() {
        fs::create_dir_all(dir).with_path("creating", dir)?;
    }
    fsutil::write_atomic(at, &to_json(journal)?, true)
}

/// JSON of paths; a path that is not UTF-8 cannot be recorded, and says so.
fn to_json(value: &impl Serialize) -> Result<Vec<u8>> {
    serde_json::to_vec_pretty(value).map_err(|e| Error::input(format!("A restore journal cannot record this path ({e}); restore to a folder whose path is valid UTF-8.")))
}

/// Ends the restore's journal: what it replaced is listed beside the safety copies
/// (or, when nothing was replaced, its folder goes).
pub(super) fn close(at: &Path, replaced: &[Replaced]) -> Result<()> {
    let Some(dir) = at.parent() else { return Ok(()) };
    if replaced.is_empty() {
        return remove_any(dir);
    }
    fsutil::write_atomic(&dir.join("replaced.json"), &to_json(&replaced)?, false)?;
    fs::remove_file(at).with_path("removing", at)?;
    fsutil::sync_dir(dir)
}

/// Finishes or undoes every restore that stopped before its end; returns what was
/// done, for the record. Runs with the operation lock held, so none of them is
/// still running.
pub(super) fn finish_interrupted(safety_dir: &Path) -> Result<Vec<String>> {
    let Ok(restores) = fs::read_dir(safety_dir) else { return Ok(Vec::new()) };
    let mut done = Vec::new();
    for restore in restores {
        let at = restore.with_path("listing", safety_dir)?.path().join(FILE_NAME);
        let Ok(text) = fs::read(&at) else { continue };
        let Ok(journal) = serde_json::from_slice::<Journal>(&text) else {
            // Written atomically, so never half a journal; one we cannot read is not ours to act on.
            tracing::warn!("{} is not a restore journal Lifeboat can read; left as it is", at.display());
            continue;
        };
        done.push(match journal.phase {
            Phase::Extracting => undo(&at, &journal)?,
            Phase::Replacing => finish(&at, &journal)?,
        });
    }
    Ok(done)
}

fn undo(at: &Path, journal: &Journal) -> Result<String> {
    for unit in &journal.units {
        remove_any(&unit.staging_dir)?;
    }
    for dir in &journal.made_above {
        let _ = fs::remove_dir(dir);
    }
    close(at, &[])?;
    Ok(format!("A restore stopped while writing its content; its staging folders were removed and nothing else had changed ({}).", at.display()))
}

fn finish(at: &Path, journal: &Journal) -> Result<String> {
    let mut replaced = Vec::new();
    for unit in &journal.units {
        replaced.extend(put_in_place(unit)?);
    }
    fsutil::sync_filesystems(journal.units.iter().map(|u| u.target.as_path()))?;
    close(at, &replaced)?;
    Ok(format!("A restore stopped while putting its content in place; it was finished ({} original(s) kept as safety copies, {}).", replaced.len(), at.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A unit restoring `site` (old content "old") from its staging folder (new
    /// content "new"), in the state a restore stopped in: `stop` takes it there.
    fn stopped_at(stop: impl FnOnce(&UnitMoves)) -> (tempfile::TempDir, UnitMoves) {
        unit_stopped_at(
            "site",
            |place, content| {
                fs::create_dir_all(place).unwrap();
                fs::write(place.join("file"), content).unwrap();
            },
            stop,
        )
    }

    /// The same for a file item (`dest/file.db`).
    fn file_stopped_at(stop: impl FnOnce(&UnitMoves)) -> (tempfile::TempDir, UnitMoves) {
        unit_stopped_at("file.db", |place, content| fs::write(place, content).unwrap(), stop)
    }

    /// A unit putting `name` in `dest`, its old and new content made by `make`.
    fn unit_stopped_at(name: &str, make: impl Fn(&Path, &str), stop: impl FnOnce(&UnitMoves)) -> (tempfile::TempDir, UnitMoves) {
        let tmp = tempfile::tempdir().unwrap();
        let (dest, staging) = (tmp.path().join("dest"), tmp.path().join("dest/.lifeboat-restore-x-0"));
        fs::create_dir_all(&staging).unwrap();
        make(&dest.join(name), "old");
        make(&staging.join(name), "new");
        let staged = staging.join(name);
        let unit = UnitMoves {
            staged_inode: inode(&staged),
            staged,
            staging_dir: staging,
            target: dest.join(name),
            replaces: vec![Replaced { path: dest.join(name), safety_copy: tmp.path().join("safety/x").join(name).join(name) }],
        };
        stop(&unit);
        (tmp, unit)
    }

    fn finished(unit: &UnitMoves) {
        let replaced = put_in_place(unit).unwrap();
        assert_eq!(fs::read_to_string(unit.target.join("file")).unwrap(), "new");
        assert_eq!(fs::read_to_string(unit.replaces[0].safety_copy.join("file")).unwrap(), "old");
        assert_eq!(replaced, unit.replaces);
        assert!(!unit.staging_dir.exists());
    }

    #[test]
    fn a_stopped_restore_is_finished_from_every_point_of_putting_in_place() {
        let (_tmp, unit) = stopped_at(|_| {});
        finished(&unit);
        // Where names can be swapped (Linux):
        if cfg!(target_os = "linux") {
            // The pair swapped, the old content still in the staging folder.
            let (_tmp, unit) = stopped_at(|u| assert!(exchange(&u.staged, &u.target)));
            finished(&unit);
            // Swapped and the old content moved to its safety copy; the staging folder left.
            let (_tmp, unit) = stopped_at(|u| {
                assert!(exchange(&u.staged, &u.target));
                keep_safety_copy(&u.staged, &u.replaces[0].safety_copy).unwrap();
            });
            finished(&unit);
        }
        // Without a swap: the original moved away, the new content not yet in place.
        let (_tmp, unit) = stopped_at(|u| keep_safety_copy(&u.target, &u.replaces[0].safety_copy).unwrap());
        finished(&unit);
        // A cross-device safety copy cut short while the original is still in place.
        let (_tmp, unit) = stopped_at(|u| {
            fs::create_dir_all(&u.replaces[0].safety_copy).unwrap();
            fs::write(u.replaces[0].safety_copy.join("file"), "ol").unwrap();
        });
        finished(&unit);
        // A file: its safety copy made while it stays in place, then replaced in one
        // rename; stopped before, between and after.
        for stop in 0..3 {
            let (_tmp, unit) = file_stopped_at(|u| {
                if stop >= 1 {
                    keep_safety_copy_of_file(&u.target, &u.replaces[0].safety_copy).unwrap();
                }
                if stop >= 2 {
                    fsutil::rename(&u.staged, &u.target).unwrap();
                }
            });
            let replaced = put_in_place(&unit).unwrap();
            assert_eq!(fs::read_to_string(&unit.target).unwrap(), "new", "stopped at {stop}");
            assert_eq!(fs::read_to_string(&unit.replaces[0].safety_copy).unwrap(), "old", "stopped at {stop}");
            assert_eq!(replaced, unit.replaces);
            assert!(!unit.staging_dir.exists());
        }
        // Finished already: running it again changes nothing.
        let (_tmp, unit) = stopped_at(|_| {});
        finished(&unit);
        finished(&unit);
    }
}
