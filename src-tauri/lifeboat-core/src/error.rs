//! One error type for the engine. Every variant says what is wrong and, where there is
//! one, what to do; `kind()` lets front ends map errors to exit codes and styles.

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of failure this is, for exit codes and UI treatment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The user gave something unusable (a file, a name, a value); fix the input.
    Input,
    /// The operation could not be carried out (I/O, storage, environment).
    Operation,
    /// A backup failed authentication or its checksum: it is damaged or was tampered with.
    Integrity,
    /// Another data-moving operation is running.
    Busy,
    /// The user canceled the operation.
    Canceled,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Input(String),

    #[error("{message}: {source}")]
    Io {
        message: String,
        #[source]
        source: std::io::Error,
    },

    #[error("{0}")]
    Operation(String),

    #[error("{0}")]
    Integrity(String),

    #[error("Cannot restore: backup expired (it expired at {expired_at})")]
    Expired { expired_at: String },

    #[error("{0}")]
    WrongIdentity(String),

    #[error("Another operation is running: {0}. Wait for it to finish, then try again.")]
    Busy(String),

    #[error("The operation was canceled")]
    Canceled,

    #[error("The operation stalled: nothing progressed for {seconds} s while {during}")]
    Stalled { seconds: u64, during: String },

    #[error("catalog database error: {0}")]
    Catalog(#[from] rusqlite::Error),

    /// The backup location (a share, a server) refused or failed; `problem` says
    /// which way, as a stable code.
    #[error("{message}")]
    Location { problem: LocationProblem, message: String },
}

/// The ways a remote backup location fails, in the administrator's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocationProblem {
    ServerUnreachable,
    WrongCredentials,
    ShareNotFound,
    FolderNotFound,
    AccessDenied,
    DiskFull,
    ConnectionLost,
    TimedOut,
}

impl LocationProblem {
    pub fn code(self) -> &'static str {
        match self {
            LocationProblem::ServerUnreachable => "server-unreachable",
            LocationProblem::WrongCredentials => "wrong-credentials",
            LocationProblem::ShareNotFound => "share-not-found",
            LocationProblem::FolderNotFound => "folder-not-found",
            LocationProblem::AccessDenied => "access-denied",
            LocationProblem::DiskFull => "disk-full",
            LocationProblem::ConnectionLost => "connection-lost",
            LocationProblem::TimedOut => "timed-out",
        }
    }
}

impl Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Input(_) | Error::Expired { .. } | Error::WrongIdentity(_) => ErrorKind::Input,
            Error::Io { .. } | Error::Operation(_) | Error::Catalog(_) | Error::Stalled { .. } | Error::Location { .. } => {
                ErrorKind::Operation
            }
            Error::Integrity(_) => ErrorKind::Integrity,
            Error::Busy(_) => ErrorKind::Busy,
            Error::Canceled => ErrorKind::Canceled,
        }
    }

    /// A stable code for scripts, the catalog and the GUI.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Input(_) => "invalid-input",
            Error::Io { source, .. } if source.kind() == std::io::ErrorKind::StorageFull => "disk-full",
            Error::Io { source, .. } if source.kind() == std::io::ErrorKind::PermissionDenied => "access-denied",
            Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => "not-found",
            Error::Io { .. } => "io-error",
            Error::Operation(_) => "operation-failed",
            Error::Integrity(_) => "integrity",
            Error::Expired { .. } => "expired",
            Error::WrongIdentity(_) => "wrong-identity",
            Error::Busy(_) => "busy",
            Error::Canceled => "canceled",
            Error::Stalled { .. } => "stalled",
            Error::Catalog(_) => "catalog",
            Error::Location { problem, .. } => problem.code(),
        }
    }

    /// What the administrator can do about it, when the message alone does not say.
    pub fn hint(&self) -> Option<&'static str> {
        Self::hint_for(self.code())
    }

    /// The hint for an error code (as stored in the catalog).
    pub fn hint_for(code: &str) -> Option<&'static str> {
        Some(match code {
            "disk-full" => "Free space at the backup location, or lower retention so older backups are deleted.",
            "access-denied" => "Give the account Lifeboat runs as permission to that path.",
            "not-found" => "Check that the path exists and is reachable (a removed drive or an unmounted share).",
            "integrity" => "Use another backup; keep this file for investigation.",
            "stalled" => "Check the storage or source that stopped answering; the stall timeout is `lifeboat operations set-stall-timeout`.",
            "busy" => "Wait for it to finish, or cancel it with `lifeboat operations cancel ID`.",
            "catalog" => "Lifeboat's catalog could not be read or written; check the data folder's disk and permissions.",
            "server-unreachable" => "Check the server name and port, that the server is on, and that the network (VPN, firewall) lets this machine reach it.",
            "wrong-credentials" => "Check the user (DOMAIN\\user or user) and the password; the account may also be locked or expired.",
            "share-not-found" => "Check the share name after the server (\\\\server\\share); the server does not offer that share to this user.",
            "folder-not-found" => "Create the folder on the share, or let Test connection create it.",
            "connection-lost" => "The server went away during the operation; the next scheduled backup retries, and nothing half-written is listed.",
            "timed-out" => "The server stopped answering; check it and the network. The next scheduled backup retries.",
            _ => return None,
        })
    }

    pub fn input(msg: impl Into<String>) -> Self {
        Error::Input(msg.into())
    }

    pub fn integrity(msg: impl Into<String>) -> Self {
        Error::Integrity(msg.into())
    }

    pub fn operation(msg: impl Into<String>) -> Self {
        Error::Operation(msg.into())
    }

    pub fn location(problem: LocationProblem, msg: impl Into<String>) -> Self {
        Error::Location { problem, message: msg.into() }
    }
}

/// Checks a setting is within its range; the error says what was given and the range.
/// `unit` follows the range's end, e.g. " days".
pub fn check_range<T: PartialOrd + std::fmt::Display>(
    value: T,
    range: std::ops::RangeInclusive<T>,
    unit: &str,
    given: impl FnOnce(&T) -> String,
) -> Result<T> {
    if range.contains(&value) {
        return Ok(value);
    }
    Err(Error::input(format!("{} is out of range: choose {} to {}{unit}.", given(&value), range.start(), range.end())))
}

/// Attach "what we were doing, and on which path" to I/O errors.
pub trait IoContext<T> {
    fn context(self, message: impl FnOnce() -> String) -> Result<T>;
    fn with_path(self, what: &str, path: &std::path::Path) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn context(self, message: impl FnOnce() -> String) -> Result<T> {
        // Our own errors passed through `Read`/`Write` (a share that failed) come
        // back as they were, with their code.
        self.map_err(|source| source.downcast::<Error>().unwrap_or_else(|source| Error::Io { message: message(), source }))
    }

    fn with_path(self, what: &str, path: &std::path::Path) -> Result<T> {
        self.context(|| format!("{what} {}", path.display()))
    }
}
