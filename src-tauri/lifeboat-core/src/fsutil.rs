//! Small file-system helpers shared across the engine.

use std::fs::{self, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, IoContext, Result};
use crate::owner_only;
use crate::progress::{Cancel, Progress};

/// Writes a whole file atomically: temporary name, fsync, rename, fsync the folder.
/// With `private`, the file is readable by its owner only.
pub fn write_atomic(path: &Path, bytes: &[u8], private: bool) -> Result<()> {
    let (dir, temp) = temp_beside(path)?;
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    if private {
        owner_only::file_options(&mut options);
    }
    let result = (|| {
        let mut file = options.open(&temp).with_path("creating", &temp)?;
        if private {
            owner_only::after_create(&temp).with_path("protecting", &temp)?;
        }
        file.write_all(bytes).with_path("writing", &temp)?;
        file.sync_all().with_path("flushing", &temp)?;
        rename(&temp, path).with_path("writing", path)?;
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
        rename(&temp, path).with_path("writing", path)?;
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

/// Renames `from` to `to`, replacing a file there. On Windows the rename is written
/// through: the call returns once it is on disk, which is Windows' own way to make
/// a rename durable (not every file system there can flush a folder).
pub fn rename(from: &Path, to: &Path) -> std::io::Result<()> {
    #[cfg(windows)]
    {
        use windows_sys::Win32::Storage::FileSystem::{MoveFileExW, MOVEFILE_REPLACE_EXISTING, MOVEFILE_WRITE_THROUGH};
        // SAFETY: both are NUL-terminated wide strings that live across the call.
        if unsafe { MoveFileExW(crate::win_path::wide(from).as_ptr(), crate::win_path::wide(to).as_ptr(), MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH) } == 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }
    #[cfg(not(windows))]
    fs::rename(from, to)
}

/// Bytes this account may still write in the folder `dir`. On Windows asked of the
/// folder itself, which also answers for a share's UNC path (`\\server\share\folder`).
pub fn available_space(dir: &Path) -> std::io::Result<u64> {
    #[cfg(windows)]
    {
        use windows_sys::Win32::Storage::FileSystem::GetDiskFreeSpaceExW;
        // A UNC path must end in a separator; any folder may.
        let mut wide = crate::win_path::wide(dir);
        wide.pop();
        if wide.last() != Some(&u16::from(b'\\')) {
            wide.push(u16::from(b'\\'));
        }
        wide.push(0);
        let mut free = 0u64;
        // SAFETY: `wide` is NUL-terminated and `free` outlives the call; the two
        // totals are optional and not asked for.
        if unsafe { GetDiskFreeSpaceExW(wide.as_ptr(), &mut free, std::ptr::null_mut(), std::ptr::null_mut()) } == 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(free)
    }
    #[cfg(not(windows))]
    fs4::available_space(dir)
}

/// Makes a rename or delete in `dir` durable. On Windows the folder is flushed
/// where its file system allows it (NTFS does); where it refuses, the renames were
/// already written through.
pub fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    fs::File::open(dir).and_then(|d| d.sync_all()).with_path("flushing folder", dir)?;
    #[cfg(windows)]
    {
        use std::os::windows::fs::OpenOptionsExt;
        use windows_sys::Win32::Foundation::{ERROR_ACCESS_DENIED, ERROR_INVALID_FUNCTION, ERROR_INVALID_PARAMETER, ERROR_NOT_SUPPORTED};
        use windows_sys::Win32::Storage::FileSystem::FILE_FLAG_BACKUP_SEMANTICS;
        let flushed = OpenOptions::new().write(true).custom_flags(FILE_FLAG_BACKUP_SEMANTICS).open(dir).and_then(|d| d.sync_all());
        match flushed {
            Err(e) if [ERROR_ACCESS_DENIED, ERROR_INVALID_FUNCTION, ERROR_INVALID_PARAMETER, ERROR_NOT_SUPPORTED].map(|c| c as i32).contains(&e.raw_os_error().unwrap_or(0)) => {}
            other => other.with_path("flushing folder", dir)?,
        }
    }
    Ok(())
}

/// Makes everything written to the file systems holding `paths` durable, with one
/// `syncfs` each rather than an fsync per file (a restore writes many thousands).
/// A path that does not exist is looked up by its nearest existing ancestor.
/// Linux only: elsewhere a restore flushes each file as it finishes it
/// (`FLUSH_EACH_FILE`).
pub fn sync_filesystems<'a>(paths: impl IntoIterator<Item = &'a Path>) -> Result<()> {
    #[cfg(target_os = "linux")]
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
    #[cfg(not(target_os = "linux"))]
    drop(paths);
    Ok(())
}

/// Whether files must be flushed one by one, where `sync_filesystems` cannot.
pub const FLUSH_EACH_FILE: bool = cfg!(not(target_os = "linux"));

/// What tells one file or folder from every other while it exists: device and
/// inode on Unix, volume serial number and file index on Windows.
pub type FileId = (u64, u64);

/// The identity of what is at `path`, not following a last link.
pub fn file_id(path: &Path) -> Option<FileId> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        fs::symlink_metadata(path).ok().map(|m| (m.dev(), m.ino()))
    }
    #[cfg(windows)]
    {
        use std::os::windows::fs::OpenOptionsExt;
        use windows_sys::Win32::Storage::FileSystem::{FILE_FLAG_BACKUP_SEMANTICS, FILE_FLAG_OPEN_REPARSE_POINT};
        // No access asked: only the identity is read, and folders open too.
        let handle = OpenOptions::new().access_mode(0).share_mode(7).custom_flags(FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT).open(path).ok()?;
        open_file_id(&handle)
    }
}

/// The identity of an open file.
pub fn open_file_id(file: &fs::File) -> Option<FileId> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        file.metadata().ok().map(|m| (m.dev(), m.ino()))
    }
    #[cfg(windows)]
    {
        use std::os::windows::io::AsRawHandle;
        use windows_sys::Win32::Storage::FileSystem::{GetFileInformationByHandle, BY_HANDLE_FILE_INFORMATION};
        let mut info: BY_HANDLE_FILE_INFORMATION = unsafe { std::mem::zeroed() };
        // SAFETY: the handle is open for the call and `info` is a plain struct.
        if unsafe { GetFileInformationByHandle(file.as_raw_handle(), &mut info) } == 0 {
            return None;
        }
        Some((u64::from(info.dwVolumeSerialNumber), (u64::from(info.nFileIndexHigh) << 32) | u64::from(info.nFileIndexLow)))
    }
}

#[cfg(all(test, windows))]
mod windows_tests {
    use super::*;
    use crate::win_path::wide;

    fn text(wide: &[u16]) -> String {
        String::from_utf16(&wide[..wide.len() - 1]).unwrap()
    }

    #[test]
    fn paths_past_260_characters_get_the_verbatim_prefix_for_windows_own_calls() {
        let deep = "folder/".repeat(40);
        assert_eq!(text(&wide(Path::new(r"C:\data\short.txt"))), r"C:\data\short.txt", "short paths as they are");
        assert_eq!(text(&wide(&Path::new(r"C:\data").join(&deep))), format!(r"\\?\C:\data\{}", deep.replace('/', r"\")));
        assert_eq!(text(&wide(&Path::new(r"\\nas01\backups").join(&deep))), format!(r"\\?\UNC\nas01\backups\{}", deep.replace('/', r"\")));
        let verbatim = format!(r"\\?\C:\{}", deep.replace('/', r"\"));
        assert_eq!(text(&wide(Path::new(&verbatim))), verbatim, "verbatim already");
        assert_eq!(text(&wide(Path::new(&deep))), deep, "a relative path cannot be made verbatim");
    }

    /// Renames, free space and access lists (Windows' own calls, not std's) work on
    /// a path past 260 characters.
    #[test]
    fn windows_own_calls_reach_past_260_characters() {
        let tmp = tempfile::tempdir().unwrap();
        let deep = (0..12).fold(tmp.path().to_owned(), |path, i| path.join(format!("a folder with a long name {i}")));
        fs::create_dir_all(&deep).unwrap();
        assert!(deep.as_os_str().len() > 300, "{}", deep.display());
        let (from, to) = (deep.join("written.tmp"), deep.join("published.lbk"));
        fs::write(&from, b"content").unwrap();
        fs::write(&to, b"older").unwrap();
        rename(&from, &to).unwrap();
        assert_eq!(fs::read(&to).unwrap(), b"content");
        assert!(available_space(&deep).unwrap() > 0);
        owner_only::restrict(&to).unwrap();
        let access = owner_only::read_access(&to).unwrap();
        let user = owner_only::current_user_sid().unwrap();
        assert!(access.allowed.iter().any(|(sid, _)| *sid == user), "{:?}", access.allowed);
        sync_dir(&deep).unwrap();
    }
}
