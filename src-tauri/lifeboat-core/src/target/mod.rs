//! Where backups are stored. Every target publishes atomically: a backup is written
//! under a temporary name and appears under its final name only when complete.

mod local;
mod object;
mod smb;
#[cfg(windows)]
mod windows_share;

pub use self::smb::{signs_in_as_windows_user, SmbCredentials, SmbPath, SmbShare};
pub use local::LocalFolder;
pub use object::{check_account, check_azure_key, check_bucket, check_container, check_endpoint, check_key_id, check_region};
pub use object::{check_prefix, AzureBlob, ObjectStorage, S3Bucket};

use std::io::{Read, Seek, SeekFrom, Write};
use std::sync::Arc;
use std::time::Duration;

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
    /// Other installations keeping backups here in folders of their own (object
    /// storage, where each writes under its installation id), by id. Empty where
    /// every installation's backups share one folder.
    fn installations(&self) -> Result<Vec<String>> {
        Ok(Vec::new())
    }
    /// This place as installation `id`'s folder, for reading its backups.
    fn of_installation(&self, id: &str) -> Result<Box<dyn Target>> {
        Err(Error::input(format!("{} keeps every installation's backups in one folder; installation {id} has no folder of its own.", self.describe())))
    }
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

/// A share: with no user, Windows' own SMB client signed in as the Windows user;
/// with one, Lifeboat's own client with that user's password (on every OS).
pub fn share(path: SmbPath, credentials: SmbCredentials, timeout: Duration) -> Result<Box<dyn Target>> {
    if signs_in_as_windows_user(&credentials.user) {
        check_windows_sign_in(&path)?;
        #[cfg(windows)]
        return Ok(Box::new(windows_share::WindowsShare::new(path)?));
    }
    Ok(Box::new(SmbShare::new(path, credentials, timeout)?))
}

/// Whether a share can be reached as the signed-in Windows user: on Windows, and on
/// the port Windows' client uses.
pub fn check_windows_sign_in(path: &SmbPath) -> Result<()> {
    if !cfg!(windows) {
        return Err(Error::input(
            "Give the user as DOMAIN\\user or user, with the password: signing in to a share as yourself, without a password, works on Windows only (through Windows' own SMB client).",
        ));
    }
    if let Some(port) = path.port {
        return Err(Error::input(format!(
            "Windows' own SMB client always uses port 445, so it cannot reach {} on port {port}: give a user and password, and Lifeboat's own client connects to that port.",
            path.server
        )));
    }
    Ok(())
}

/// Where a reader over ranged reads is: its position in a file of `len` bytes and the
/// block of it fetched last. The SMB and object-storage readers keep one each and
/// differ only in how they fetch blocks.
pub(crate) struct Cursor<B> {
    pub pos: u64,
    pub len: u64,
    pub block: B,
    pub block_at: u64,
}

impl<B: AsRef<[u8]>> Cursor<B> {
    pub fn new(len: u64, empty: B) -> Self {
        Cursor { pos: 0, len, block: empty, block_at: 0 }
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.len
    }

    /// Whether the block holds the byte at the position.
    pub fn in_block(&self) -> bool {
        self.pos >= self.block_at && self.pos < self.block_at + self.block.as_ref().len() as u64
    }

    /// Whether the position is where the block ends (reading straight on).
    pub fn just_after_block(&self) -> bool {
        !self.block.as_ref().is_empty() && self.pos == self.block_at + self.block.as_ref().len() as u64
    }

    /// Copies from the block (which holds the position) and moves on.
    pub fn copy_to(&mut self, out: &mut [u8]) -> usize {
        let block = self.block.as_ref();
        let from = (self.pos - self.block_at) as usize;
        let n = out.len().min(block.len() - from);
        out[..n].copy_from_slice(&block[from..from + n]);
        self.pos += n as u64;
        n
    }

    pub fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let pos = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = pos.ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek before the start of the backup"))?;
        Ok(self.pos)
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
    let ok = !name.is_empty() && !name.starts_with('.') && !name.contains(['/', '\\', '\0']) && name.ends_with(&format!(".{BACKUP_EXTENSION}"));
    if ok {
        Ok(())
    } else {
        Err(Error::input(format!("{name:?} is not a Lifeboat backup file name")))
    }
}
