//! The connection to a share: one current-thread runtime owned by the target, a
//! client connected on first use and replaced after `REQUESTS_PER_CONNECTION`
//! requests or any failure, a timeout around every call, and failures explained in
//! the administrator's words with a stable code.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use smb::{Client, ClientConfig, ConnectionConfig, File, UncPath};
use tokio::time::error::Elapsed;
use zeroize::Zeroizing;

use super::driver::Driver;
use super::{SmbPath, CREDITS, REQUESTS_PER_CONNECTION};
use crate::error::{Error, LocationProblem, Result};

/// The user's credentials: `DOMAIN\user` or `user`.
pub struct SmbCredentials {
    pub user: String,
    pub password: Zeroizing<String>,
}

struct Inner {
    driver: Driver,
    client: Option<Arc<Client>>,
    /// Requests sent on the current connection.
    requests: u64,
    /// Counts connections, so that a file knows whether it was opened on this one.
    generation: u64,
}

impl Inner {
    fn runtime(&self) -> &tokio::runtime::Runtime {
        self.driver.runtime()
    }

    /// Runs `work` on the target's runtime for at most `limit`. A thread of another
    /// tokio runtime may not block on this one (the desktop's commands run on
    /// Tauri's), so for such a caller a scoped thread of its own does the blocking.
    fn block_on<R: Send>(&self, limit: Duration, work: impl AsyncFnOnce() -> R + Send) -> std::result::Result<R, Elapsed> {
        let run = || self.driver.exclusively(|runtime| runtime.block_on(async { tokio::time::timeout(limit, work()).await }));
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
    }
}

/// Clones (held by readers and uploads) share the credentials, the connection and
/// the runtime.
#[derive(Clone)]
pub struct SmbShare {
    pub(super) path: SmbPath,
    pub(super) credentials: Arc<SmbCredentials>,
    timeout: Duration,
    inner: Arc<Mutex<Inner>>,
}

impl SmbShare {
    /// A share target; nothing is sent until it is used.
    pub fn new(path: SmbPath, credentials: SmbCredentials, timeout: Duration) -> Result<Self> {
        let driver = Driver::start().map_err(|e| Error::operation(format!("starting the SMB client: {e}")))?;
        Ok(SmbShare { path, credentials: Arc::new(credentials), timeout, inner: Arc::new(Mutex::new(Inner { driver, client: None, requests: 0, generation: 0 })) })
    }

    /// Runs one step against the share on the target's runtime, connecting first
    /// when needed, with the target's timeout. A failure drops the connection, unless the server answered it (see `still_connected`).
    pub(super) fn call<T: Send>(&self, what: &str, step: impl AsyncFnOnce(&Client, &SmbPath) -> std::result::Result<T, smb::Error> + Send) -> Result<T> {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let client = self.client_of(&mut inner)?;
        inner.requests += 1;
        let outcome = inner.block_on(self.timeout, async || step(&client, &self.path).await);
        drop(client);
        let error = match outcome {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(e)) if still_connected(&e) => return Err(self.explain(what, e)),
            Ok(Err(e)) => self.explain(what, e),
            Err(_) => self.timed_out(what),
        };
        inner.disconnect();
        Err(error)
    }

    /// The current connection, connecting first when there is none.
    fn client_of(&self, inner: &mut Inner) -> Result<Arc<Client>> {
        if let Some(client) = inner.client.clone() {
            return Ok(client);
        }
        let client = Arc::new(self.connect(inner)?);
        inner.client = Some(client.clone());
        inner.requests = 0;
        inner.generation += 1;
        Ok(client)
    }

    /// The current connection (connecting first when needed), for requests sent
    /// with `spawn` that do not go through a file (`ShareFile` holds its own).
    pub(super) fn client(&self) -> Result<Arc<Client>> {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        self.client_of(&mut inner)
    }

    /// Whether the last call left a working connection; after a failure the server
    /// did not answer there is none, and cleanup that needs the server is left to
    /// the next run.
    pub(super) fn connected(&self) -> bool {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).client.is_some()
    }

    /// Drops a file handle inside the runtime (see `Inner::release`).
    pub(super) fn release(&self, file: Arc<File>) {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).release(file);
    }

    /// Sends one request in the background; `wait` collects its answer.
    pub(super) fn spawn<T: Send + 'static>(&self, request: impl std::future::Future<Output = std::result::Result<T, smb::Error>> + Send + 'static) -> Request<T> {
        self.spawn_many(1, request)
    }

    /// `spawn` for work that sends `requests` requests in a row.
    pub(super) fn spawn_many<T: Send + 'static>(&self, requests: u64, work: impl std::future::Future<Output = std::result::Result<T, smb::Error>> + Send + 'static) -> Request<T> {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.requests += requests;
        inner.runtime().spawn(work)
    }

    /// The answer to a request sent with `spawn`, within the target's timeout. A
    /// failure drops the connection, as in `call`.
    pub(super) fn wait<T: Send>(&self, what: &str, request: &mut Request<T>) -> Result<T> {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        // Answered already (the driver kept it going): no need to take the runtime.
        // Otherwise yield first: requests spawned since the last wait go out before
        // the oldest's answer is looked at, so the pipe never runs dry.
        let answered = if request.is_finished() { futures_util::FutureExt::now_or_never(&mut *request) } else { None };
        let outcome = match answered {
            Some(answer) => Ok(answer),
            None => inner.block_on(self.timeout, async || {
                tokio::task::yield_now().await;
                (&mut *request).await
            }),
        };
        let error = match outcome {
            Ok(Ok(Ok(value))) => return Ok(value),
            Ok(Ok(Err(e))) if still_connected(&e) => return Err(self.explain(what, e)),
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
    pub(super) fn settle<T: Send>(&self, requests: impl IntoIterator<Item = Request<T>>) {
        for mut request in requests {
            if self.connected() {
                let _ = self.wait("finishing requests in flight", &mut request);
            } else {
                request.abort();
            }
        }
    }

    /// Whether the current connection has carried its share of requests.
    pub(super) fn renewal_due(&self) -> bool {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).requests >= REQUESTS_PER_CONNECTION
    }

    /// Closes the connection (politely, within the timeout); the next call opens a
    /// fresh one.
    pub(super) fn renew(&self) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(client) = inner.client.clone() {
            let _ = inner.block_on(self.timeout, async || client.close().await);
        }
        inner.disconnect();
    }

    pub(super) fn generation(&self) -> u64 {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).generation
    }

    /// Whether a handle opened on connection `generation` can still be used.
    pub(super) fn is_current(&self, generation: u64) -> bool {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.client.is_some() && inner.generation == generation
    }

    fn connect(&self, inner: &Inner) -> Result<Client> {
        let config = ClientConfig {
            dfs: false,
            connection: ConnectionConfig { port: self.path.port, timeout: Some(self.timeout), smb2_only_negotiate: true, credits_backlog: Some(CREDITS), ..Default::default() },
            ..Default::default()
        };
        let client = Client::new(config);
        let unc = self.path.share_unc()?;
        let user = self.credentials.user.clone();
        let password = self.credentials.password.to_string();
        let connected = inner.block_on(self.timeout, async || client.share_connect(&unc, &user, password).await);
        let error = match connected {
            Ok(Ok(())) => {
                super::nodelay::on_connections_to(&self.path.server, self.path.port.unwrap_or(445));
                return Ok(client);
            }
            Ok(Err(e)) => self.explain("connecting", e),
            Err(_) => self.timed_out("connecting"),
        };
        inner.release(client);
        Err(error)
    }

    fn timed_out(&self, what: &str) -> Error {
        Error::location(LocationProblem::TimedOut, format!("{} did not answer within {} s while {what}.", self.path.display(), self.timeout.as_secs()))
    }

    /// Names the cause in the administrator's words, with a stable code.
    pub(super) fn explain(&self, what: &str, e: smb::Error) -> Error {
        use LocationProblem::*;
        let share = self.path.display();
        let status = status_of(&e);
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
            _ if matches!(e, smb::Error::SspiError(_)) => (WrongCredentials, format!("{share}: signing in as \"{}\" failed ({e}).", self.credentials.user)),
            _ if matches!(e, smb::Error::IoError(_) | smb::Error::ConnectionStopped | smb::Error::TransportError(_)) => {
                (ConnectionLost, format!("{share}: the connection was lost while {what} ({e})."))
            }
            _ => return Error::operation(format!("{share} failed while {what}: {e}")),
        };
        Error::location(problem, message)
    }

    pub(super) fn unc_of(path: &SmbPath, rel: &str) -> std::result::Result<UncPath, smb::Error> {
        let share = path.share_unc().map_err(|e| smb::Error::InvalidArgument(e.to_string()))?;
        Ok(if rel.is_empty() { share } else { share.with_path(rel) })
    }
}

/// A request sent in the background on the target's runtime.
pub(super) type Request<T> = tokio::task::JoinHandle<std::result::Result<T, smb::Error>>;

/// Whether the connection still works after this failure: the server answered
/// with a status about the request (a full disk, a denied access), not about the
/// session. Then cleanup (deleting a temporary file) can go on over it.
fn still_connected(e: &smb::Error) -> bool {
    const SESSION_GONE: [u32; 2] = [0xC000_0203, 0xC000_035C];
    status_of(e).is_some_and(|status| !SESSION_GONE.contains(&status))
}

/// The NT status the server answered with, directly or carried through
/// `std::io::Error` (a write refused for a full disk comes back that way).
pub(super) fn status_of(e: &smb::Error) -> Option<u32> {
    match e {
        smb::Error::ReceivedErrorMessage(status, _) | smb::Error::UnexpectedMessageStatus(status) => Some(*status),
        smb::Error::IoError(io) => io.get_ref().and_then(|inner| inner.downcast_ref::<smb::Error>()).and_then(status_of).or_else(|| {
            // Some paths carry it only as text: "... with status: 0xc000007f."
            let text = io.to_string();
            let digits: String = text.split("status: 0x").nth(1)?.chars().take_while(char::is_ascii_hexdigit).collect();
            u32::from_str_radix(&digits, 16).ok()
        }),
        _ => None,
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
