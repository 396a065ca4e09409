//! Small file-system helpers shared across the engine.

use std::fs::{self, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, IoContext, Result};
use crate::progress::{Cancel, Progress};

/// Writes a whole file atomically: temporary name, fsync, rename, fsync the folder.
/// With `private`, the file is readable by its owner only (Unix).
pub fn write_atomic(path: &Path, bytes: &[u8], private: bool) -> Result<()> {
    let (dir, temp) = temp_beside(path)?;
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let result = (|| {
        let mut file = options.open(&temp).with_path("creating", &temp)?;
        file.write_all(bytes).with_path("writing", &temp)?;
        file.sync_all().with_path("flushing", &temp)?;
        fs::rename(&temp, path).with_path("writing", path)?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// Refuses to overwrite: for files that hold keys, a silent overwrite can lose the
/// only copy of a private key.
pub fn write_new_file(path: &Path, bytes: &[u8], private: bool) -> Result<()> {
    if fs::symlink_metadata(path).is_ok() {
        return Err(Error::input(format!("{} already exists; choose another path or move it away first.", path.display())));
    }
    write_atomic(path, bytes, private)
}

/// Copies a stream to `path` atomically (temporary name, fsync, rename), replacing
/// what is there only once the copy is complete.
pub fn copy_atomic(source: &mut dyn Read, path: &Path, progress: &dyn Progress, cancel: &Cancel) -> Result<u64> {
    let (dir, temp) = temp_beside(path)?;
    let result = (|| {
        let mut file = fs::File::create(&temp).with_path("creating", &temp)?;
        let mut buf = vec![0u8; 1 << 20];
        let mut copied = 0u64;
        loop {
            cancel.check()?;
            let n = source.read(&mut buf).context(|| "reading the backup".into())?;
            if n == 0 {
                break;
            }
            file.write_all(&buf[..n]).with_path("writing", &temp)?;
            copied += n as u64;
            progress.advance(n as u64, 0);
        }
        file.sync_all().with_path("flushing", &temp)?;
        fs::rename(&temp, path).with_path("writing", path)?;
        sync_dir(dir)?;
        Ok(copied)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// The folder of `path` and a temporary name in it, for write-then-rename.
fn temp_beside(path: &Path) -> Result<(&Path, PathBuf)> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().ok_or_else(|| Error::input(format!("{} is not a file path.", path.display())))?;
    Ok((dir, dir.join(format!(".{}.tmp-{}", name.to_string_lossy(), std::process::id()))))
}

/// Keys and certificates are small; anything larger is not one.
const MAX_SMALL_FILE: u64 = 1 << 20;

/// Reads a key or certificate file given by the user, with errors that name it.
pub fn read_small_file(path: &Path, what: &str) -> Result<Vec<u8>> {
    let unreadable = |e: std::io::Error| Error::input(format!("The {what} file {} cannot be read: {e}.", path.display()));
    let meta = fs::metadata(path).map_err(unreadable)?;
    if !meta.is_file() {
        return Err(Error::input(format!("The {what} file {} is not a file.", path.display())));
    }
    if meta.len() > MAX_SMALL_FILE {
        return Err(Error::input(format!("The {what} file {} is too large ({} bytes) to be a key or certificate.", path.display(), meta.len())));
    }
    fs::read(path).map_err(unreadable)
}

/// Makes a rename or delete in `dir` durable.
pub fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    fs::File::open(dir).and_then(|d| d.sync_all()).with_path("flushing folder", dir)?;
    Ok(())
}

/// Makes everything written to the file systems holding `paths` durable, with one
/// `syncfs` each rather than an fsync per file (a restore writes many thousands).
/// A path that does not exist is looked up by its nearest existing ancestor.
pub fn sync_filesystems<'a>(paths: impl IntoIterator<Item = &'a Path>) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        use std::os::unix::io::AsRawFd;
        let mut synced = std::collections::HashSet::new();
        for path in paths {
            let Some(existing) = path.ancestors().find(|a| fs::symlink_metadata(a).is_ok_and(|m| m.is_dir())) else { continue };
            let meta = fs::metadata(existing).with_path("reading", existing)?;
            if !synced.insert(meta.dev()) {
                continue;
            }
            let dir = fs::File::open(existing).with_path("opening", existing)?;
            // SAFETY: `dir` is an open descriptor for the duration of the call.
            if unsafe { libc::syncfs(dir.as_raw_fd()) } != 0 {
                return Err(Error::Io { message: format!("flushing the file system of {}", existing.display()), source: std::io::Error::last_os_error() });
            }
        }
    }
    #[cfg(not(unix))]
    drop(paths);
    Ok(())
}
