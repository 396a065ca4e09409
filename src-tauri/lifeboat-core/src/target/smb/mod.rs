//! A folder on an SMB share (`\\server\share\path`), written by Lifeboat's own SMB
//! client (the pure-Rust `smb` crate): nothing is mounted, it works the same on
//! every OS.
//!
//! Workarounds for `smb` 0.12.1 as measured against Samba 4.17 (see the SMB issue);
//! each can go when the crate is fixed:
//! - Credits leak on every request the server answers asynchronously. A server that
//!   cannot answer within a moment (Samba: 0.5 s, e.g. a busy disk) first sends an
//!   interim STATUS_PENDING answer granting the request's credits and then the
//!   result granting none, as the protocol says; the crate reads the credits of the
//!   final answer only. Each such request costs the client a credit for good, and
//!   once they are gone every further request waits for ever: that was the
//!   "unanswered writes" (128 asynchronous writes, then silence, on the test
//!   suite's slow share). So the client asks for `CREDITS` credits and a
//!   connection carries at most `REQUESTS_PER_CONNECTION` requests (plus the
//!   `WINDOW` in flight, fewer than it was granted): then its files are closed and
//!   reopened on a fresh connection, which starts with a full set.
//! - Every call runs on one current-thread tokio runtime owned by the target:
//!   directory listings sometimes hang on a multi-threaded runtime (and also when a
//!   second thread drives this one while the caller polls a call: tried for overlap).
//! - No TCP_NODELAY: each request is two writes, and Nagle with the server's delayed
//!   acknowledgement made every lone request cost ~40 ms; `nodelay` sets it.
//! - Writes go out as 64 KiB requests, `WINDOW` in flight and each checked: larger
//!   requests can hang after interim answers, and the crate's `block_copy` ignores
//!   failed writes. The window slides (a new request goes out as soon as the oldest
//!   is answered) rather than going in batches, each of which waited ~40 ms at its
//!   end for a delayed TCP acknowledgement (the crate does not set TCP_NODELAY).
//! - Reads likewise, with a read-ahead that starts at one request and doubles while
//!   reading goes on in order, so reading a header stays cheap.
//! - `smb2_only_negotiate`, and a timeout around every call: negotiation with a
//!   silent server has none of its own.
//! - Files are opened with exactly the access needed (read, write, delete); the
//!   crate's "overwrite" helpers ask for rights Samba refuses.
//! - A dropped connection makes the client unusable: any failure discards it and
//!   the next call connects anew.
//!
//! `path` parses share paths, `session` owns the runtime and the connection (with
//! the timeouts and the renewal above), `file` a handle that survives a renewal,
//! `reader` and `upload` move the bytes.

mod driver;
mod file;
mod nodelay;
mod path;
mod reader;
mod session;
mod upload;

pub use path::{signs_in_as_windows_user, SmbPath};
pub use session::{SmbCredentials, SmbShare};

use std::collections::VecDeque;
use std::sync::Arc;

use futures_util::StreamExt;
use smb::{
    CreateDisposition, CreateOptions, Directory, File, FileAccessMask, FileAttributes, FileCreateArgs, FileDirectoryInformation, FileDispositionInformation,
    FileFsFullSizeInformation, FileRenameInformation, Resource,
};

use super::{check_backup_name, probe_name, ReadSeek, StoredFile, Target, Upload, BACKUP_EXTENSION};
use crate::error::Result;
use file::ShareFile;
use reader::SmbReader;
use upload::SmbUpload;

const PARTIAL_SUFFIX: &str = ".partial";
const BLOCK: usize = 64 * 1024;
/// Requests kept in flight by uploads and by reads in order.
const WINDOW: usize = 256;
/// Credits the client asks the server for (it may grant fewer).
const CREDITS: u16 = 2048;
/// Files whose header is asked for at once.
const HEADS_IN_FLIGHT: usize = 32;
/// Requests one connection carries before it is replaced, so that the credits the
/// crate loses (see above) never run out: this plus `WINDOW` stays below `CREDITS`.
const REQUESTS_PER_CONNECTION: u64 = 1536;

impl SmbShare {
    fn list_folder(&self) -> Result<Vec<(String, u64)>> {
        self.call("listing the backup folder", async |client, path| {
            let unc = Self::unc_of(path, &path.folder)?;
            let access = FileAccessMask::new().with_generic_read(true);
            let mut args = FileCreateArgs::make_open_existing(access);
            args.options = CreateOptions::new().with_directory_file(true);
            let dir: Directory = client.create_file(&unc, &args).await?.try_into().map_err(|(e, _): (smb::Error, Resource)| e)?;
            let dir = Arc::new(dir);
            let mut found = Vec::new();
            {
                let mut stream = Directory::query::<FileDirectoryInformation>(&dir, "*").await?;
                while let Some(entry) = stream.next().await {
                    let entry = entry?;
                    if entry.file_attributes.directory() {
                        continue;
                    }
                    if let Ok(name) = String::try_from(entry.file_name.clone()) {
                        found.push((name, entry.end_of_file));
                    }
                }
            }
            dir.close().await?;
            Ok(found)
        })
    }

    fn delete_in_folder(&self, name: &str) -> Result<()> {
        self.delete_rel(&self.path.in_share(name))
    }

    /// Deletes a leftover in the folder unless a connection the server has not let go
    /// of yet still holds it open (a client killed or cut off mid-backup): then it is
    /// already being deleted (delete pending) or left for a later backup (in use).
    /// Whether it was deleted.
    fn delete_unless_held(&self, name: &str) -> Result<bool> {
        self.delete_at(&self.path.in_share(name), true)
    }

    /// Deletes a file named relative to the share's top.
    fn delete_rel(&self, rel: &str) -> Result<()> {
        self.delete_at(rel, false).map(drop)
    }

    /// Deletes `rel`; with `unless_held`, a file another connection holds open is
    /// left (false) instead of failing.
    fn delete_at(&self, rel: &str, unless_held: bool) -> Result<bool> {
        self.call("deleting a file", async |client, path| {
            let unc = Self::unc_of(path, rel)?;
            let access = FileAccessMask::new().with_delete(true).with_generic_read(true);
            // STATUS_DELETE_PENDING, STATUS_SHARING_VIOLATION
            let file: File = match client.create_file(&unc, &FileCreateArgs::make_open_existing(access)).await {
                Err(e) if unless_held && matches!(session::status_of(&e), Some(0xC000_0056 | 0xC000_0043)) => return Ok(false),
                opened => opened?.try_into().map_err(|(e, _): (smb::Error, Resource)| e)?,
            };
            file.set_info(FileDispositionInformation { delete_pending: true.into() }).await?;
            file.close().await?;
            Ok(true)
        })
    }
}

impl Target for SmbShare {
    fn describe(&self) -> String {
        self.path.describe(&self.credentials.user)
    }

    fn list(&self) -> Result<Vec<StoredFile>> {
        let mut files: Vec<StoredFile> =
            self.list_folder()?.into_iter().filter(|(name, _)| check_backup_name(name).is_ok()).map(|(name, size)| StoredFile { name, size }).collect();
        files.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(files)
    }

    fn open(&self, name: &str) -> Result<Box<dyn ReadSeek>> {
        check_backup_name(name)?;
        let mut file = ShareFile::open(self, self.path.in_share(name), FileAccessMask::new().with_generic_read(true), CreateDisposition::Open)?;
        let len = file.len()?;
        Ok(Box::new(SmbReader::new(file, len)))
    }

    fn create(&self, name: &str) -> Result<Box<dyn Upload>> {
        check_backup_name(name)?;
        let temp = self.path.in_share(&format!(".{name}{PARTIAL_SUFFIX}"));
        let file = ShareFile::open(self, temp, read_write_delete(), CreateDisposition::Create)?;
        Ok(Box::new(SmbUpload::new(file, self.path.in_share(name))))
    }

    fn delete(&self, name: &str) -> Result<()> {
        check_backup_name(name)?;
        self.delete_in_folder(name)
    }

    fn free_space(&self) -> Result<Option<u64>> {
        let info = self.call("reading the share's free space", async |client, path| {
            let unc = Self::unc_of(path, &path.folder)?;
            let mut args = FileCreateArgs::make_open_existing(FileAccessMask::new().with_generic_read(true));
            args.options = CreateOptions::new().with_directory_file(true);
            let dir: Directory = client.create_file(&unc, &args).await?.try_into().map_err(|(e, _): (smb::Error, Resource)| e)?;
            let info = dir.query_fs_info::<FileFsFullSizeInformation>().await?;
            dir.close().await?;
            Ok(info)
        })?;
        let unit = info.sectors_per_allocation_unit as u64 * info.bytes_per_sector as u64;
        Ok(Some(info.caller_available_allocation_units.saturating_mul(unit)))
    }

    fn remove_incomplete(&self) -> Result<Vec<String>> {
        let mut removed = Vec::new();
        for (name, _) in self.list_folder()? {
            if name.starts_with('.') && name.ends_with(&format!(".{BACKUP_EXTENSION}{PARTIAL_SUFFIX}")) && self.delete_unless_held(&name)? {
                removed.push(name);
            }
        }
        Ok(removed)
    }

    fn create_folder(&self) -> Result<()> {
        let parts: Vec<&str> = self.path.folder.split('\\').filter(|p| !p.is_empty()).collect();
        for depth in 1..=parts.len() {
            let rel = parts[..depth].join("\\");
            self.call("creating the folder", async move |client, path| {
                let unc = Self::unc_of(path, &rel)?;
                let args = FileCreateArgs {
                    disposition: CreateDisposition::OpenIf,
                    attributes: FileAttributes::new(),
                    options: CreateOptions::new().with_directory_file(true),
                    desired_access: FileAccessMask::new().with_generic_read(true),
                };
                let dir: Directory = client.create_file(&unc, &args).await?.try_into().map_err(|(e, _): (smb::Error, Resource)| e)?;
                dir.close().await
            })?;
        }
        Ok(())
    }

    /// Every head asked for at once, `HEADS_IN_FLIGHT` files at a time: each is an
    /// open, one read and a close, and waiting for them one by one would cost
    /// their round trips in a row.
    fn heads(&self, names: &[String], max: usize) -> Vec<Result<Vec<u8>>> {
        let mut heads = Vec::with_capacity(names.len());
        let mut in_flight = VecDeque::new();
        for name in names {
            if in_flight.len() >= HEADS_IN_FLIGHT || (self.renewal_due() && !in_flight.is_empty()) {
                let mut request = in_flight.pop_front().expect("requests are in flight");
                heads.push(self.wait("reading a backup's header", &mut request));
            } else if self.renewal_due() {
                self.renew();
            }
            let request = check_backup_name(name).and_then(|()| {
                let client = self.client()?;
                let unc = Self::unc_of(&self.path, &self.path.in_share(name)).map_err(|e| self.explain("reading a header", e))?;
                Ok(self.spawn_many(3, async move {
                    let args = FileCreateArgs::make_open_existing(FileAccessMask::new().with_generic_read(true));
                    let file: File = client.create_file(&unc, &args).await?.try_into().map_err(|(e, _): (smb::Error, Resource)| e)?;
                    let mut head = vec![0u8; max];
                    let read = file.read_block(&mut head, 0, None, false).await;
                    let closed = file.close().await;
                    head.truncate(read?);
                    closed?;
                    Ok(head)
                }))
            });
            match request {
                Ok(request) => in_flight.push_back(request),
                Err(e) => {
                    // Answers already asked for come first, to keep the order.
                    for mut request in in_flight.drain(..) {
                        heads.push(self.wait("reading a backup's header", &mut request));
                    }
                    heads.push(Err(e));
                }
            }
        }
        for mut request in in_flight {
            heads.push(self.wait("reading a backup's header", &mut request));
        }
        heads
    }

    fn check_writable(&self) -> Result<()> {
        let rel = self.path.in_share(&probe_name());
        let renamed = self.path.in_share(&format!("{}.renamed", probe_name()));
        self.call("writing, renaming and deleting a test file", async |client, path| {
            let unc = Self::unc_of(path, &rel)?;
            let args = FileCreateArgs {
                disposition: CreateDisposition::OverwriteIf,
                attributes: FileAttributes::new(),
                options: CreateOptions::new(),
                desired_access: read_write_delete(),
            };
            let file: File = client.create_file(&unc, &args).await?.try_into().map_err(|(e, _): (smb::Error, Resource)| e)?;
            file.write_block(b"lifeboat", 0, None).await?;
            file.set_info(FileRenameInformation { replace_if_exists: true.into(), root_directory: 0, file_name: renamed.as_str().into() }).await?;
            file.set_info(FileDispositionInformation { delete_pending: true.into() }).await?;
            file.close().await
        })
    }
}

/// Exactly the rights to write, rename and delete a file.
pub(super) fn read_write_delete() -> FileAccessMask {
    FileAccessMask::new().with_generic_read(true).with_generic_write(true).with_delete(true)
}
