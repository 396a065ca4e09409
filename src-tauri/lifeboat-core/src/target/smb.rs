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
//!   directory listings sometimes hang on a multi-threaded runtime.
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

use std::collections::VecDeque;
use std::io::{Read, Seek, SeekFrom, Write};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::error::Elapsed;

use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use smb::{
    Client, ClientConfig, ConnectionConfig, CreateDisposition, CreateOptions, Directory, File, FileAccessMask, FileAttributes,
    FileCreateArgs, FileDirectoryInformation, FileDispositionInformation, FileFsFullSizeInformation, FileRenameInformation,
    Resource, UncPath,
};
use zeroize::Zeroizing;

use super::{check_backup_name, probe_name, ReadSeek, StoredFile, Target, Upload, BACKUP_EXTENSION};
use crate::error::{Error, IoContext, LocationProblem, Result};

const PARTIAL_SUFFIX: &str = ".partial";
const BLOCK: usize = 64 * 1024;
/// Requests kept in flight by uploads and by reads in order.
const WINDOW: usize = 256;
/// Credits the client asks the server for (it may grant fewer).
const CREDITS: u16 = 2048;
/// Requests one connection carries before it is replaced, so that the credits the
/// crate loses (see above) never run out: this plus `WINDOW` stays below `CREDITS`.
const REQUESTS_PER_CONNECTION: u64 = 1536;

/// Where on a share: parsed from `\\server[:port]\share\path` or `smb://server[:port]/share/path`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SmbPath {
    pub server: String,
    pub port: Option<u16>,
    pub share: String,
    /// Folders inside the share, `\`-separated; empty for the share's top.
    pub folder: String,
}

impl SmbPath {
    pub fn parse(text: &str) -> Result<SmbPath> {
        let bad = |why: &str| {
            Error::input(format!(
                "{text:?} is not a share path ({why}): write it as \\\\server\\share\\folder or smb://server/share/folder."
            ))
        };
        let trimmed = text.trim();
        let rest = if let Some(rest) = trimmed.strip_prefix(r"\\") {
            rest.replace('/', r"\")
        } else if let Some(rest) = trimmed.strip_prefix("smb://") {
            rest.replace('/', r"\")
        } else {
            return Err(bad("it must start with \\\\ or smb://"));
        };
        let mut parts = rest.split('\\').filter(|p| !p.is_empty());
        let host = parts.next().ok_or_else(|| bad("no server"))?;
        let share = parts.next().ok_or_else(|| bad("no share name"))?;
        let (server, port) = match host.rsplit_once(':') {
            Some((server, port)) => (server, Some(port.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| bad("the port must be 1 to 65535"))?)),
            None => (host, None),
        };
        let folders: Vec<&str> = parts.collect();
        if server.is_empty() || folders.iter().chain([&share]).any(|p| *p == "." || *p == ".." || p.contains(['*', '?', '"', '<', '>', '|', ':'])) {
            return Err(bad("it holds a name that is not allowed"));
        }
        Ok(SmbPath { server: server.into(), port, share: share.into(), folder: folders.join(r"\") })
    }

    /// The canonical spelling, `\\server[:port]\share[\folder]`.
    pub fn display(&self) -> String {
        let host = match self.port {
            Some(p) => format!("{}:{p}", self.server),
            None => self.server.clone(),
        };
        let mut out = format!(r"\\{host}\{}", self.share);
        if !self.folder.is_empty() {
            out.push('\\');
            out.push_str(&self.folder);
        }
        out
    }

    fn share_unc(&self) -> Result<UncPath> {
        let host = match self.port {
            Some(p) => format!("{}:{p}", self.server),
            None => self.server.clone(),
        };
        UncPath::from_str(&format!(r"\\{host}\{}", self.share)).map_err(|e| Error::input(format!("{}: {e}", self.display())))
    }

    /// A path relative to the share's top, as SMB requests name files.
    fn in_share(&self, name: &str) -> String {
        if self.folder.is_empty() { name.to_owned() } else { format!(r"{}\{name}", self.folder) }
    }
}

/// The user's credentials: `DOMAIN\user` or `user`.
pub struct SmbCredentials {
    pub user: String,
    pub password: Zeroizing<String>,
}

struct Inner {
    /// Always there until dropped (see `Drop`).
    runtime: Option<tokio::runtime::Runtime>,
    client: Option<Arc<Client>>,
    /// Requests sent on the current connection.
    requests: u64,
    /// Counts connections, so that a file knows whether it was opened on this one.
    generation: u64,
}

impl Inner {
    fn runtime(&self) -> &tokio::runtime::Runtime {
        self.runtime.as_ref().expect("the runtime lives as long as the target")
    }

    /// Runs `work` on the target's runtime for at most `limit`. A thread of another
    /// tokio runtime may not block on this one (the desktop's commands run on
    /// Tauri's), so for such a caller a scoped thread of its own does the blocking.
    fn block_on<R: Send>(&self, limit: Duration, work: impl AsyncFnOnce() -> R + Send) -> std::result::Result<R, Elapsed> {
        let runtime = self.runtime();
        let run = || runtime.block_on(async { tokio::time::timeout(limit, work()).await });
        if tokio::runtime::Handle::try_current().is_err() {
            return run();
        }
        std::thread::scope(|scope| scope.spawn(run).join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
    }

    /// Drops a value inside the runtime: the crate's handles and connections close
    /// themselves on drop by spawning on it.
    fn release<T>(&self, value: T) {
        let _inside = self.runtime().enter();
        drop(value);
    }

    /// Drops the connection; the next call opens a fresh one.
    fn disconnect(&mut self) {
        let client = self.client.take();
        self.release(client);
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.disconnect();
        // Without waiting: a plain drop blocks, which the desktop's async commands
        // (the last holders, at times) may not.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Clones (held by readers and uploads) share the credentials, the connection and
/// the runtime.
#[derive(Clone)]
pub struct SmbShare {
    path: SmbPath,
    credentials: Arc<SmbCredentials>,
    timeout: Duration,
    inner: Arc<Mutex<Inner>>,
}

impl SmbShare {
    /// A share target; nothing is sent until it is used.
    pub fn new(path: SmbPath, credentials: SmbCredentials, timeout: Duration) -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::operation(format!("starting the SMB client: {e}")))?;
        Ok(SmbShare { path, credentials: Arc::new(credentials), timeout, inner: Arc::new(Mutex::new(Inner { runtime: Some(runtime), client: None, requests: 0, generation: 0 })) })
    }

    /// Runs one step against the share on the target's runtime, connecting first
    /// when needed, with the target's timeout. A failure drops the connection.
    fn call<T: Send>(
        &self,
        what: &str,
        step: impl AsyncFnOnce(&Client, &SmbPath) -> std::result::Result<T, smb::Error> + Send,
    ) -> Result<T> {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let client = match inner.client.clone() {
            Some(c) => c,
            None => {
                let client = Arc::new(self.connect(&inner)?);
                inner.client = Some(client.clone());
                inner.requests = 0;
                inner.generation += 1;
                client
            }
        };
        inner.requests += 1;
        let outcome = inner.block_on(self.timeout, async || step(&client, &self.path).await);
        drop(client);
        let error = match outcome {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(e)) => self.explain(what, e),
            Err(_) => self.timed_out(what),
        };
        inner.disconnect();
        Err(error)
    }

    /// Whether the last call left a working connection; after a failure there is
    /// none, and cleanup that needs the server is left to the next run.
    fn connected(&self) -> bool {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).client.is_some()
    }

    /// Drops a file handle inside the runtime (see `Inner::release`).
    fn release(&self, file: Arc<File>) {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).release(file);
    }

    /// Sends one request in the background; `wait` collects its answer.
    fn spawn<T: Send + 'static>(
        &self,
        request: impl std::future::Future<Output = std::result::Result<T, smb::Error>> + Send + 'static,
    ) -> Request<T> {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.requests += 1;
        inner.runtime().spawn(request)
    }

    /// The answer to a request sent with `spawn`, within the target's timeout. A
    /// failure drops the connection, as in `call`.
    fn wait<T: Send>(&self, what: &str, request: &mut Request<T>) -> Result<T> {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        // Yield first: requests spawned since the last wait go out before the
        // oldest's answer is looked at, so the pipe never runs dry.
        let outcome = inner.block_on(self.timeout, async || {
            tokio::task::yield_now().await;
            (&mut *request).await
        });
        let error = match outcome {
            Ok(Ok(Ok(value))) => return Ok(value),
            Ok(Ok(Err(e))) => self.explain(what, e),
            Ok(Err(join)) => Error::operation(format!("{} failed while {what}: {join}", self.path.display())),
            Err(_) => {
                request.abort();
                self.timed_out(what)
            }
        };
        inner.disconnect();
        Err(error)
    }

    /// Waits for every request still in flight, ignoring their answers: for
    /// read-ahead that is not needed, or before a file is closed after a failure.
    fn settle<T: Send>(&self, requests: impl IntoIterator<Item = Request<T>>) {
        for mut request in requests {
            if self.connected() {
                let _ = self.wait("finishing requests in flight", &mut request);
            } else {
                request.abort();
            }
        }
    }

    /// Whether the current connection has carried its share of requests.
    fn renewal_due(&self) -> bool {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).requests >= REQUESTS_PER_CONNECTION
    }

    /// Closes the connection (politely, within the timeout); the next call opens a
    /// fresh one.
    fn renew(&self) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(client) = inner.client.clone() {
            let _ = inner.block_on(self.timeout, async || client.close().await);
        }
        inner.disconnect();
    }

    fn generation(&self) -> u64 {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).generation
    }

    /// Whether a handle opened on connection `generation` can still be used.
    fn is_current(&self, generation: u64) -> bool {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.client.is_some() && inner.generation == generation
    }

    fn connect(&self, inner: &Inner) -> Result<Client> {
        let config = ClientConfig {
            dfs: false,
            connection: ConnectionConfig {
                port: self.path.port,
                timeout: Some(self.timeout),
                smb2_only_negotiate: true,
                credits_backlog: Some(CREDITS),
                ..Default::default()
            },
            ..Default::default()
        };
        let client = Client::new(config);
        let unc = self.path.share_unc()?;
        let user = self.credentials.user.clone();
        let password = self.credentials.password.to_string();
        let connected = inner.block_on(self.timeout, async || client.share_connect(&unc, &user, password).await);
        let error = match connected {
            Ok(Ok(())) => return Ok(client),
            Ok(Err(e)) => self.explain("connecting", e),
            Err(_) => self.timed_out("connecting"),
        };
        inner.release(client);
        Err(error)
    }

    fn timed_out(&self, what: &str) -> Error {
        Error::location(
            LocationProblem::TimedOut,
            format!("{} did not answer within {} s while {what}.", self.path.display(), self.timeout.as_secs()),
        )
    }

    /// Names the cause in the administrator's words, with a stable code.
    fn explain(&self, what: &str, e: smb::Error) -> Error {
        use LocationProblem::*;
        let share = self.path.display();
        let status = match &e {
            smb::Error::ReceivedErrorMessage(status, _) | smb::Error::UnexpectedMessageStatus(status) => Some(*status),
            _ => None,
        };
        if is_timeout(&e) {
            return self.timed_out(what);
        }
        let (problem, message) = match status {
            Some(0xC000_006D | 0xC000_0064 | 0xC000_006A | 0xC000_0072 | 0xC000_0234 | 0xC000_0070 | 0xC000_0071) => {
                (WrongCredentials, format!("{share}: the server refused the user \"{}\" or its password.", self.credentials.user))
            }
            Some(0xC000_00CC) => (ShareNotFound, format!("{share}: the server has no share \"{}\" for this user.", self.path.share)),
            Some(0xC000_0034 | 0xC000_003A) => (FolderNotFound, format!("{share}: the folder \"{}\" does not exist on the share.", self.path.folder)),
            Some(0xC000_0022) => (AccessDenied, format!("{share}: access denied while {what}; the user \"{}\" lacks the right.", self.credentials.user)),
            Some(0xC000_007F | 0xC000_0044) => (DiskFull, format!("{share}: the share is full (while {what}).")),
            _ if what == "connecting" && matches!(e, smb::Error::IoError(_) | smb::Error::TransportError(_)) => {
                (ServerUnreachable, format!("{share}: the server cannot be reached ({e})."))
            }
            _ if matches!(e, smb::Error::SspiError(_)) => {
                (WrongCredentials, format!("{share}: signing in as \"{}\" failed ({e}).", self.credentials.user))
            }
            _ if matches!(e, smb::Error::IoError(_) | smb::Error::ConnectionStopped | smb::Error::TransportError(_)) => {
                (ConnectionLost, format!("{share}: the connection was lost while {what} ({e})."))
            }
            _ => return Error::operation(format!("{share} failed while {what}: {e}")),
        };
        Error::location(problem, message)
    }

    fn unc_of(path: &SmbPath, rel: &str) -> std::result::Result<UncPath, smb::Error> {
        let share = path.share_unc().map_err(|e| smb::Error::InvalidArgument(e.to_string()))?;
        Ok(if rel.is_empty() { share } else { share.with_path(rel) })
    }

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

    /// Deletes a file named relative to the share's top.
    fn delete_rel(&self, rel: &str) -> Result<()> {
        self.call("deleting a file", async |client, path| {
            let unc = Self::unc_of(path, rel)?;
            let access = FileAccessMask::new().with_delete(true).with_generic_read(true);
            let file: File = client.create_file(&unc, &FileCreateArgs::make_open_existing(access)).await?.try_into().map_err(|(e, _): (smb::Error, Resource)| e)?;
            file.set_info(FileDispositionInformation { delete_pending: true.into() }).await?;
            file.close().await?;
            Ok(())
        })
    }
}

impl Target for SmbShare {
    fn describe(&self) -> String {
        format!("SMB share {}", self.path.display())
    }

    fn list(&self) -> Result<Vec<StoredFile>> {
        let mut files: Vec<StoredFile> = self
            .list_folder()?
            .into_iter()
            .filter(|(name, _)| check_backup_name(name).is_ok())
            .map(|(name, size)| StoredFile { name, size })
            .collect();
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
        Ok(Box::new(SmbUpload {
            file: ShareFile::open(self, temp, read_write_delete(), CreateDisposition::Create)?,
            final_rel: self.path.in_share(name),
            pending: Vec::with_capacity(BLOCK),
            in_flight: VecDeque::new(),
            sent: 0,
            hash: Sha256::new(),
            committed: false,
        }))
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
            if name.starts_with('.') && name.ends_with(&format!(".{BACKUP_EXTENSION}{PARTIAL_SUFFIX}")) {
                self.delete_in_folder(&name)?;
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
            file.set_info(FileRenameInformation { replace_if_exists: true.into(), root_directory: 0, file_name: renamed.as_str().into() })
                .await?;
            file.set_info(FileDispositionInformation { delete_pending: true.into() }).await?;
            file.close().await
        })
    }
}

/// A request sent in the background on the target's runtime.
type Request<T> = tokio::task::JoinHandle<std::result::Result<T, smb::Error>>;

/// A file on the share, opened on the current connection and reopened by its path
/// when that connection has been replaced.
struct ShareFile {
    share: SmbShare,
    /// The path relative to the share's top.
    rel: String,
    access: FileAccessMask,
    /// The handle and the connection (generation) it belongs to.
    open: Option<(u64, Arc<File>)>,
}

impl ShareFile {
    fn open(share: &SmbShare, rel: String, access: FileAccessMask, disposition: CreateDisposition) -> Result<Self> {
        let mut file = ShareFile { share: share.clone(), rel, access, open: None };
        file.open_as(disposition)?;
        Ok(file)
    }

    fn open_as(&mut self, disposition: CreateDisposition) -> Result<()> {
        let rel = self.rel.clone();
        let args = FileCreateArgs { disposition, attributes: FileAttributes::new(), options: CreateOptions::new(), desired_access: self.access };
        let file = self.share.call("opening a file", async move |client, path| {
            let unc = SmbShare::unc_of(path, &rel)?;
            let file: File = client.create_file(&unc, &args).await?.try_into().map_err(|(e, _): (smb::Error, Resource)| e)?;
            Ok(file)
        })?;
        self.open = Some((self.share.generation(), Arc::new(file)));
        Ok(())
    }

    /// The handle to send a request with. When the connection is due for renewal
    /// (callers have nothing in flight on this file then), the file is closed, the
    /// connection replaced and the file reopened on the new one.
    fn handle(&mut self) -> Result<Arc<File>> {
        if self.share.renewal_due() {
            self.close()?;
            self.share.renew();
        }
        if let Some((generation, file)) = &self.open {
            if self.share.is_current(*generation) {
                return Ok(file.clone());
            }
        }
        self.forget();
        self.open_as(CreateDisposition::Open)?;
        Ok(self.open.as_ref().expect("just opened").1.clone())
    }

    fn len(&mut self) -> Result<u64> {
        let file = self.handle()?;
        self.share.call("reading a file's size", async move |_, _| {
            use smb::resource::GetLen;
            file.get_len().await
        })
    }

    /// Closes the handle on the server while its connection works.
    fn close(&mut self) -> Result<()> {
        let Some((generation, file)) = self.open.take() else { return Ok(()) };
        let result = if self.share.is_current(generation) {
            let closing = file.clone();
            self.share.call("closing a file", async move |_, _| closing.close().await)
        } else {
            Ok(())
        };
        self.share.release(file);
        result
    }

    /// Lets go of the handle without a word to the server (its connection is gone).
    fn forget(&mut self) {
        if let Some((_, file)) = self.open.take() {
            self.share.release(file);
        }
    }
}

impl Drop for ShareFile {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

/// Reads a backup on the share, asking ahead for the blocks that follow while
/// reading goes on in order.
struct SmbReader {
    file: ShareFile,
    len: u64,
    pos: u64,
    /// The block last read and its offset.
    block: Vec<u8>,
    block_at: u64,
    /// Blocks asked for after it, in order, with their offsets.
    ahead: VecDeque<(u64, Request<Vec<u8>>)>,
    /// How many blocks to keep asked for: one after a seek, doubling up to `WINDOW`.
    window: usize,
}

impl SmbReader {
    fn new(file: ShareFile, len: u64) -> Self {
        SmbReader { file, len, pos: 0, block: Vec::new(), block_at: 0, ahead: VecDeque::new(), window: 1 }
    }

    fn ask(&mut self, offset: u64) -> std::io::Result<()> {
        let file = self.file.handle().map_err(std::io::Error::other)?;
        let want = (self.len - offset).min(BLOCK as u64) as usize;
        let request = self.file.share.spawn(async move {
            let mut buf = vec![0u8; want];
            let mut got = 0;
            while got < want {
                let n = file.read_block(&mut buf[got..], offset + got as u64, None, false).await?;
                if n == 0 {
                    return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the backup file ended early").into());
                }
                got += n;
            }
            Ok(buf)
        });
        self.ahead.push_back((offset, request));
        Ok(())
    }

    /// Makes `block` the one holding `pos`.
    fn fill(&mut self) -> std::io::Result<()> {
        let at = self.pos - self.pos % BLOCK as u64;
        let in_order = !self.block.is_empty() && at == self.block_at + self.block.len() as u64;
        if self.ahead.front().is_none_or(|(offset, _)| *offset != at) {
            self.file.share.settle(self.ahead.drain(..).map(|(_, request)| request));
            self.ask(at)?;
        }
        self.window = if in_order { (self.window * 2).min(WINDOW) } else { 1 };
        let (_, mut request) = self.ahead.pop_front().expect("asked for above");
        self.block = self.file.share.wait("reading a backup", &mut request).map_err(std::io::Error::other)?;
        self.block_at = at;
        // When the connection is due for renewal, the blocks asked for are read
        // first; asking for the next one then moves to a fresh connection.
        let mut next = self.ahead.back().map_or(at + BLOCK as u64, |(offset, _)| offset + BLOCK as u64);
        while self.ahead.len() < self.window && next < self.len && (self.ahead.is_empty() || !self.file.share.renewal_due()) {
            self.ask(next)?;
            next += BLOCK as u64;
        }
        Ok(())
    }
}

impl Read for SmbReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.pos >= self.len || out.is_empty() {
            return Ok(0);
        }
        let in_block = self.pos >= self.block_at && self.pos < self.block_at + self.block.len() as u64;
        if !in_block {
            self.fill()?;
        }
        let from = (self.pos - self.block_at) as usize;
        let n = out.len().min(self.block.len() - from);
        out[..n].copy_from_slice(&self.block[from..from + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for SmbReader {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let target = match to {
            SeekFrom::Start(p) => p as i128,
            SeekFrom::End(d) => self.len as i128 + d as i128,
            SeekFrom::Current(d) => self.pos as i128 + d as i128,
        };
        if target < 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek before the start of the backup"));
        }
        self.pos = target as u64;
        Ok(self.pos)
    }
}

impl Drop for SmbReader {
    fn drop(&mut self) {
        self.file.share.settle(self.ahead.drain(..).map(|(_, request)| request));
    }
}

/// The crate's own timeout, directly or carried through `std::io::Error` (its
/// `Read`/`Write`-style calls wrap it).
fn is_timeout(e: &smb::Error) -> bool {
    match e {
        smb::Error::OperationTimeout(..) => true,
        smb::Error::IoError(io) => {
            io.kind() == std::io::ErrorKind::TimedOut
                || io.get_ref().and_then(|inner| inner.downcast_ref::<smb::Error>()).is_some_and(is_timeout)
                // Some paths carry it only as text.
                || io.to_string().contains("Operation timed out")
        }
        _ => false,
    }
}
/// Exactly the rights to write, rename and delete a file.
fn read_write_delete() -> FileAccessMask {
    FileAccessMask::new().with_generic_read(true).with_generic_write(true).with_delete(true)
}

/// A backup being written to the share under a temporary name.
struct SmbUpload {
    file: ShareFile,
    final_rel: String,
    /// Bytes for the next request, up to `BLOCK`.
    pending: Vec<u8>,
    /// Writes sent and not yet answered, oldest first.
    in_flight: VecDeque<Request<()>>,
    /// Bytes handed to writes so far.
    sent: u64,
    hash: Sha256,
    committed: bool,
}

impl SmbUpload {
    /// Sends what is pending as one write, once the window has room for it.
    fn send_pending(&mut self) -> std::io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        if self.in_flight.len() >= WINDOW {
            self.finish_oldest()?;
        }
        if self.file.share.renewal_due() {
            self.finish_all()?;
        }
        let file = self.file.handle().map_err(std::io::Error::other)?;
        let data = std::mem::replace(&mut self.pending, Vec::with_capacity(BLOCK));
        let offset = self.sent;
        self.sent += data.len() as u64;
        let request = self.file.share.spawn(async move {
            let n = file.write_block(&data, offset, None).await?;
            if n != data.len() {
                return Err(std::io::Error::other(format!("the share took {n} of {} bytes", data.len())).into());
            }
            Ok(())
        });
        self.in_flight.push_back(request);
        Ok(())
    }

    fn finish_oldest(&mut self) -> std::io::Result<()> {
        if let Some(mut request) = self.in_flight.pop_front() {
            self.file.share.wait("writing a backup", &mut request).map_err(std::io::Error::other)?;
        }
        Ok(())
    }

    fn finish_all(&mut self) -> std::io::Result<()> {
        while !self.in_flight.is_empty() {
            self.finish_oldest()?;
        }
        Ok(())
    }
}

impl Write for SmbUpload {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = buf.len().min(BLOCK - self.pending.len());
        self.pending.extend_from_slice(&buf[..n]);
        self.hash.update(&buf[..n]);
        if self.pending.len() == BLOCK {
            self.send_pending()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Upload for SmbUpload {
    /// Sends the rest, checks that what landed has the size and SHA-256 written,
    /// then renames it to its final name, replacing any file of that name.
    fn commit(mut self: Box<Self>, progress: &dyn crate::progress::Progress) -> Result<()> {
        self.send_pending().context(|| "writing the backup to the share".into())?;
        self.finish_all().context(|| "writing the backup to the share".into())?;
        // On any failure below, dropping `self` deletes the temporary file.
        let size = self.sent;
        let file = self.file.handle()?;
        self.file.share.call("flushing the backup", async move |_, _| file.flush().await.map_err(smb::Error::from))?;
        // Read back through a handle of its own (a handle knows only the size the
        // file had when it was opened); the reads may move to a fresh connection.
        self.file.close()?;
        let mut landed = ShareFile::open(&self.file.share, self.file.rel.clone(), FileAccessMask::new().with_generic_read(true), CreateDisposition::Open)?;
        let landed_len = landed.len()?;
        progress.total(landed_len, 0);
        let mut reader = SmbReader::new(landed, landed_len);
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; BLOCK * 16];
        let mut read_back = 0u64;
        loop {
            let n = reader.read(&mut buf).context(|| "reading back the backup from the share".into())?;
            if n == 0 {
                break;
            }
            read_back += n as u64;
            hasher.update(&buf[..n]);
            progress.advance(n as u64, 0);
        }
        drop(reader);
        if landed_len != size || read_back != size || hasher.finalize() != self.hash.clone().finalize() {
            return Err(Error::operation(format!(
                "What landed on the share ({landed_len} bytes) is not what was written ({size} bytes); the backup was not published."
            )));
        }
        let renaming = self.file.handle()?;
        let final_rel = self.final_rel.clone();
        self.file.share.call("publishing the backup", async move |_, _| {
            renaming.set_info(FileRenameInformation { replace_if_exists: true.into(), root_directory: 0, file_name: final_rel.as_str().into() }).await
        })?;
        self.committed = true;
        self.file.close()
    }
}

impl Drop for SmbUpload {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        // Not committed: the backup failed or was canceled. Delete the temporary
        // file while the connection works; otherwise (or if that fails too) the
        // next backup's cleanup removes it.
        self.file.share.settle(self.in_flight.drain(..));
        if !self.file.share.connected() {
            self.file.forget();
            return;
        }
        if self.file.close().is_ok() {
            let _ = self.file.share.delete_rel(&self.file.rel);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn share_paths_in_both_spellings() {
        let p = SmbPath::parse(r"\\nas01\backups\lifeboat\ws-07").unwrap();
        assert_eq!((p.server.as_str(), p.port, p.share.as_str(), p.folder.as_str()), ("nas01", None, "backups", r"lifeboat\ws-07"));
        assert_eq!(p.display(), r"\\nas01\backups\lifeboat\ws-07");
        let q = SmbPath::parse("smb://nas01:4455/backups/lifeboat/").unwrap();
        assert_eq!((q.port, q.folder.as_str()), (Some(4455), "lifeboat"));
        assert_eq!(q.display(), r"\\nas01:4455\backups\lifeboat");
        assert_eq!(SmbPath::parse(r"\\nas01\backups").unwrap().folder, "");
        for bad in [r"\\nas01", "nas01/backups", r"\\nas01:0\b", r"\\nas01:99999\b", r"\\nas01\b\..\x", r"\\nas01\b\a*"] {
            let e = SmbPath::parse(bad).unwrap_err().to_string();
            assert!(e.contains("not a share path"), "{bad}: {e}");
        }
    }
}
