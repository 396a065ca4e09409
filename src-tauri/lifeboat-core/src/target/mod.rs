//! Where backups are stored. Every target publishes atomically: a backup is written
//! under a temporary name and appears under its final name only when complete.

mod local;
mod smb;

pub use local::LocalFolder;
pub use self::smb::{SmbCredentials, SmbPath, SmbShare};

use std::io::{Read, Seek, Write};
use std::sync::Arc;

use crate::error::{Error, IoContext, Result};
use crate::progress::Progress;

/// Extension of published backup files.
pub const BACKUP_EXTENSION: &str = "lbk";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub name: String,
    pub size: u64,
}

pub trait ReadSeek: Read + Seek + Send {}
impl<T: Read + Seek + Send> ReadSeek for T {}

/// A backup being written. Dropping it without `commit` discards it.
pub trait Upload: Write + Send {
    /// Makes the file durable and publishes it under its final name, reporting any
    /// long check of what landed to `progress`.
    fn commit(self: Box<Self>, progress: &dyn Progress) -> Result<()>;
}

pub trait Target: Send + Sync {
    /// Where this is, for people ("local folder /var/backups").
    fn describe(&self) -> String;
    /// Published backup files, sorted by name (which is chronological).
    fn list(&self) -> Result<Vec<StoredFile>>;
    fn open(&self, name: &str) -> Result<Box<dyn ReadSeek>>;
    fn create(&self, name: &str) -> Result<Box<dyn Upload>>;
    fn delete(&self, name: &str) -> Result<()>;
    /// Bytes available to us, when the target can tell.
    fn free_space(&self) -> Result<Option<u64>>;
    /// Removes leftovers of backups that never completed; returns their names.
    fn remove_incomplete(&self) -> Result<Vec<String>>;
    /// Writes, renames and deletes a small file, as a backup's publication does.
    fn check_writable(&self) -> Result<()>;
    /// Creates the folder backups go to, with its parents.
    fn create_folder(&self) -> Result<()>;
    /// The first `max` bytes (or fewer) of each named backup file, for reading
    /// headers. A remote target asks for them all at once rather than one by one.
    fn heads(&self, names: &[String], max: usize) -> Vec<Result<Vec<u8>>> {
        names
            .iter()
            .map(|name| {
                let mut head = Vec::new();
                self.open(name)?.take(max as u64).read_to_end(&mut head).context(|| format!("reading {name}"))?;
                Ok(head)
            })
            .collect()
    }
}

/// Wraps every target the engine opens: for tests that count or fail calls, and
/// for diagnostics.
pub type TargetLayer = Arc<dyn Fn(Box<dyn Target>) -> Box<dyn Target> + Send + Sync>;

/// The name of the small file `check_writable` writes (a dot-file: never listed).
fn probe_name() -> String {
    format!(".lifeboat-probe-{}", std::process::id())
}

/// Backup file names are plain names: no separators, no dot-files, our extension.
pub fn check_backup_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && !name.starts_with('.')
        && !name.contains(['/', '\\', '\0'])
        && name.ends_with(&format!(".{BACKUP_EXTENSION}"));
    if ok {
        Ok(())
    } else {
        Err(Error::input(format!("{name:?} is not a Lifeboat backup file name")))
    }
}
