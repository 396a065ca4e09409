//! Scratch folders under `data/tmp/`: copies a piece of work needs for a moment (a
//! backup's database snapshots, a recovery's extracted configuration and vault).
//!
//! Each folder `NAME/` is paired with `NAME.lock`, locked for as long as the folder is
//! in use. The OS drops the lock when its process dies, so a sweep tells the leftovers
//! of killed work from folders another process is using right now (a recovery
//! preview runs without the operation lock) and removes only the leftovers.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use crate::error::{IoContext, Result};
use crate::fsutil;

const FOLDER: &str = "tmp";
const LOCK: &str = ".lock";

pub struct Scratch {
    dir: PathBuf,
    lock_path: PathBuf,
    _lock: File,
}

impl Scratch {
    /// A new, empty scratch folder named `<purpose>-<random>`, readable only by us
    /// (it may hold a vault and its key for a moment).
    pub fn new(data_dir: &Path, purpose: &str) -> Result<Self> {
        let root = data_dir.join(FOLDER);
        fs::create_dir_all(&root).with_path("creating", &root)?;
        let name = format!("{purpose}-{}", uuid::Uuid::new_v4().simple());
        let lock_path = root.join(format!("{name}{LOCK}"));
        let lock = File::options().write(true).create_new(true).open(&lock_path).with_path("creating", &lock_path)?;
        lock.lock().with_path("locking", &lock_path)?;
        // A sweep may have taken the lock between our creating and locking the file,
        // and removed it: then ours locks nothing anyone can see.
        if !same_file(&lock, &lock_path) {
            return Err(crate::Error::Io { message: format!("creating {}", lock_path.display()), source: std::io::Error::other("it was removed while being created") });
        }
        let dir = root.join(&name);
        crate::owner_only::create_dir(&dir).with_path("creating", &dir)?;
        Ok(Scratch { dir, lock_path, _lock: lock })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // The folder first: a lock file without its folder is swept harmlessly.
        let _ = fs::remove_dir_all(&self.dir);
        let _ = fs::remove_file(&self.lock_path);
    }
}

fn same_file(file: &File, path: &Path) -> bool {
    matches!((fsutil::open_file_id(file), fsutil::file_id(path)), (Some(open), Some(named)) if open == named)
}

/// Removes what killed work left in `data/tmp/`: every folder and lock file whose
/// lock no live process holds. Returns how many folders it removed.
pub fn sweep(data_dir: &Path) -> Result<usize> {
    let root = data_dir.join(FOLDER);
    let entries = match fs::read_dir(&root) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e).with_path("reading", &root),
    };
    let mut removed = 0;
    for entry in entries {
        let path = entry.with_path("reading", &root)?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
            continue;
        };
        if let Some(folder) = name.strip_suffix(LOCK) {
            // A lock file whose folder is gone (its work died between removing the
            // two); one with its folder goes with the folder below.
            if !root.join(folder).exists() && !matches!(claim(&path)?, Claim::InUse) {
                remove(&path)?;
            }
            continue;
        }
        let lock_path = root.join(format!("{name}{LOCK}"));
        // The claim holds the lock until both are gone.
        let Claim::Abandoned(_held) = claim(&lock_path)? else { continue };
        remove(&path)?;
        remove(&lock_path)?;
        removed += 1;
    }
    Ok(removed)
}

enum Claim {
    /// A live process holds the lock.
    InUse,
    /// No one does (or there is no lock file); held by us now when there is one.
    Abandoned(Option<File>),
}

fn claim(lock_path: &Path) -> Result<Claim> {
    let lock = match File::options().write(true).open(lock_path) {
        Ok(lock) => lock,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Claim::Abandoned(None)),
        Err(e) => return Err(e).with_path("opening", lock_path),
    };
    match lock.try_lock() {
        Ok(()) => Ok(Claim::Abandoned(Some(lock))),
        Err(fs::TryLockError::WouldBlock) => Ok(Claim::InUse),
        Err(fs::TryLockError::Error(e)) => Err(e).with_path("locking", lock_path),
    }
}

fn remove(path: &Path) -> Result<()> {
    let removed = if path.is_dir() { fs::remove_dir_all(path) } else { fs::remove_file(path) };
    match removed {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e).with_path("removing", path),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sweep_removes_what_killed_work_left_and_spares_folders_in_use() {
        let data = tempfile::tempdir().unwrap();
        let in_use = Scratch::new(data.path(), "backup").unwrap();
        fs::write(in_use.path("copy.sqlite"), b"in use").unwrap();
        let root = data.path().join(FOLDER);
        // Left by killed work: a folder whose lock file nobody holds, a folder
        // without its lock file, a lock file without its folder.
        fs::create_dir(root.join("recover-dead")).unwrap();
        fs::write(root.join("recover-dead/catalog.db"), b"left").unwrap();
        fs::write(root.join("recover-dead.lock"), b"").unwrap();
        fs::create_dir(root.join("backup-halfway")).unwrap();
        fs::write(root.join("backup-gone.lock"), b"").unwrap();

        assert_eq!(sweep(data.path()).unwrap(), 2);
        let mut left: Vec<_> = fs::read_dir(&root).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        left.sort();
        let name = in_use.dir().file_name().unwrap().to_str().unwrap().to_owned();
        assert_eq!(left, vec![name.clone(), format!("{name}.lock")]);
        assert_eq!(fs::read(in_use.path("copy.sqlite")).unwrap(), b"in use");

        drop(in_use);
        assert_eq!(fs::read_dir(&root).unwrap().count(), 0);
        assert_eq!(sweep(data.path()).unwrap(), 0);
    }
}
