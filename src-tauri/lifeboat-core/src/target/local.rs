//! A folder on a local (or locally mounted) file system.

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, ErrorKind, Write};
use std::path::PathBuf;

use super::{check_backup_name, probe_name, ReadSeek, StoredFile, Target, Upload, BACKUP_EXTENSION};
use crate::error::{Error, IoContext, LocationProblem, Result};
use crate::fsutil::sync_dir;

const PARTIAL_SUFFIX: &str = ".partial";

pub struct LocalFolder {
    root: PathBuf,
}

impl LocalFolder {
    /// A folder target whose folder is created if it does not exist (Lifeboat's own
    /// default folder inside its data folder).
    pub fn new(root: impl Into<PathBuf>) -> Result<Self> {
        let folder = Self::at(root)?;
        folder.create_folder()?;
        Ok(folder)
    }

    /// A folder target for a folder that may not exist yet (nothing is created).
    pub fn at(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        if !root.is_absolute() {
            return Err(Error::input(format!("The backup folder must be an absolute path, not {}.", root.display())));
        }
        if root.exists() && !root.is_dir() {
            return Err(Error::location(LocationProblem::FolderNotFound, format!("{} exists and is not a folder.", root.display())));
        }
        Ok(LocalFolder { root })
    }

    /// Work in the folder itself. A folder that is gone is the location's problem (a
    /// disk not attached or mounted, a deleted folder) and is said so; it is not
    /// created again behind the user's back, where backups would land on the wrong disk.
    fn in_folder<T>(&self, doing: &str, result: std::io::Result<T>) -> Result<T> {
        match result {
            Err(e) if e.kind() == ErrorKind::NotFound && !self.root.is_dir() => Err(Error::location(
                LocationProblem::FolderNotFound,
                format!(
                    "The backup folder {} does not exist: if it is on a disk that is not attached or mounted, attach it; otherwise create the folder again.",
                    self.root.display()
                ),
            )),
            other => other.with_path(doing, &self.root),
        }
    }

    fn path_of(&self, name: &str) -> Result<PathBuf> {
        check_backup_name(name)?;
        Ok(self.root.join(name))
    }
}

impl Target for LocalFolder {
    fn describe(&self) -> String {
        format!("local folder {}", self.root.display())
    }

    fn list(&self) -> Result<Vec<StoredFile>> {
        let mut files = Vec::new();
        for entry in self.in_folder("listing", fs::read_dir(&self.root))? {
            let entry = entry.with_path("listing", &self.root)?;
            let Ok(name) = entry.file_name().into_string() else { continue };
            if check_backup_name(&name).is_err() {
                continue;
            }
            let meta = entry.metadata().with_path("reading", &entry.path())?;
            if meta.is_file() {
                files.push(StoredFile { name, size: meta.len() });
            }
        }
        files.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(files)
    }

    fn open(&self, name: &str) -> Result<Box<dyn ReadSeek>> {
        let path = self.path_of(name)?;
        Ok(Box::new(File::open(&path).with_path("opening", &path)?))
    }

    fn create(&self, name: &str) -> Result<Box<dyn Upload>> {
        let final_path = self.path_of(name)?;
        let temp_path = self.root.join(format!(".{name}{PARTIAL_SUFFIX}"));
        let file = self.in_folder("creating a file in", OpenOptions::new().write(true).create_new(true).open(&temp_path))?;
        Ok(Box::new(LocalUpload { out: Some(BufWriter::with_capacity(1 << 20, file)), temp_path, final_path }))
    }

    fn delete(&self, name: &str) -> Result<()> {
        let path = self.path_of(name)?;
        fs::remove_file(&path).with_path("deleting", &path)?;
        sync_dir(&self.root)
    }

    fn free_space(&self) -> Result<Option<u64>> {
        Ok(Some(self.in_folder("checking free space of", crate::fsutil::available_space(&self.root))?))
    }

    fn remove_incomplete(&self) -> Result<Vec<String>> {
        let mut removed = Vec::new();
        for entry in self.in_folder("listing", fs::read_dir(&self.root))? {
            let entry = entry.with_path("listing", &self.root)?;
            let Ok(name) = entry.file_name().into_string() else { continue };
            let is_partial = name.starts_with('.') && name.ends_with(&format!(".{BACKUP_EXTENSION}{PARTIAL_SUFFIX}"));
            if is_partial {
                fs::remove_file(entry.path()).with_path("removing incomplete backup", &entry.path())?;
                removed.push(name);
            }
        }
        Ok(removed)
    }

    fn create_folder(&self) -> Result<()> {
        fs::create_dir_all(&self.root).with_path("creating the backup folder", &self.root)
    }

    fn check_writable(&self) -> Result<()> {
        let probe = self.root.join(probe_name());
        let renamed = probe.with_extension("renamed");
        let cannot = |e: std::io::Error| Error::input(format!("Lifeboat cannot write to {}: {e}.", self.root.display()));
        fs::write(&probe, b"lifeboat").map_err(cannot)?;
        fs::rename(&probe, &renamed).map_err(cannot)?;
        fs::remove_file(&renamed).with_path("removing", &renamed)
    }
}

struct LocalUpload {
    out: Option<BufWriter<File>>,
    temp_path: PathBuf,
    final_path: PathBuf,
}

impl LocalUpload {
    /// A full disk is the location's problem, said of the backup folder (not of
    /// the hidden name being written) with its code.
    fn full(&self, e: std::io::Error) -> std::io::Error {
        if !matches!(e.kind(), ErrorKind::StorageFull | ErrorKind::QuotaExceeded) {
            return e;
        }
        let folder = self.temp_path.parent().unwrap_or(&self.temp_path);
        std::io::Error::other(Error::location(
            LocationProblem::DiskFull,
            format!("The backup folder {} is full: the backup did not fit ({e}); what it had written was removed.", folder.display()),
        ))
    }
}

impl Write for LocalUpload {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.out.as_mut().expect("upload is open until commit").write(buf).map_err(|e| self.full(e))
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.out.as_mut().expect("upload is open until commit").write_all(buf).map_err(|e| self.full(e))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.as_mut().expect("upload is open until commit").flush().map_err(|e| self.full(e))
    }
}

impl Upload for LocalUpload {
    fn commit(mut self: Box<Self>, _progress: &dyn crate::progress::Progress) -> Result<()> {
        let out = self.out.take().expect("commit happens once");
        let written = out.into_inner().map_err(|e| e.into_error()).and_then(|file| file.sync_all().map(|()| file));
        let file = match written {
            Ok(file) => file,
            Err(e) => {
                // Not published: nothing of it stays at the location.
                let _ = fs::remove_file(&self.temp_path);
                return Err(self.full(e)).with_path("writing", &self.temp_path);
            }
        };
        drop(file);
        crate::fsutil::rename(&self.temp_path, &self.final_path).with_path("publishing", &self.final_path)?;
        sync_dir(self.final_path.parent().expect("backup files live in a folder"))
    }
}

impl Drop for LocalUpload {
    fn drop(&mut self) {
        if self.out.take().is_some() {
            // Not committed: the backup failed or was canceled. The next run removes
            // the file if this fails too.
            let _ = fs::remove_file(&self.temp_path);
        }
    }
}
