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

    /// The data folder's catalog or vault has a schema this version does not know.
    #[error("The {what} was used by {used_by}, which keeps it in a form this Lifeboat ({}) cannot read. Install {used_by} or newer to use this data folder; nothing in it was changed.", env!("CARGO_PKG_VERSION"))]
    NewerDataFolder { what: String, used_by: String },

    /// The lock is held by an update being installed.
    #[error("An update is being installed ({0}). Backups, restores and other operations can start once it is done.")]
    UpdateInProgress(String),

    #[error("The operation was canceled")]
    Canceled,

    #[error("The operation stalled: nothing progressed for {seconds} s while {during}")]
    Stalled { seconds: u64, during: String },

    #[error("{}", describe_database_error(.0))]
    Catalog(#[from] rusqlite::Error),

    /// The backup location (a share, a server) refused or failed; `problem` says
    /// which way, as a stable code.
    #[error("{message}")]
    Location { problem: LocationProblem, message: String },

    #[error("No encryption is set: choose a certificate (recommended) or a passphrase before the first backup.")]
    EncryptionNotSet,

    /// The change deletes something; nothing was done until it is confirmed.
    #[error("{0}")]
    NeedsConfirmation(String),

    /// An elevated action without an elevated session; the message names the action.
    #[error("{0}")]
    ElevationRequired(String),

    #[error("{0}")]
    WrongAdminPassword(String),

    /// Wrong administrator passwords were given just before; the next try waits.
    #[error("Too many wrong administrator passwords: try again in {seconds} s.")]
    ElevationDelayed { seconds: u64 },
}

/// A stable code for every error: stored in the catalog with a failed operation,
/// printed by the CLI, compared by the window, and the key front ends use to add
/// their own wording (which button, which command).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorCode {
    InvalidInput,
    DiskFull,
    AccessDenied,
    NotFound,
    IoError,
    OperationFailed,
    Integrity,
    Expired,
    WrongIdentity,
    Busy,
    UpdateInProgress,
    /// A newer Lifeboat used the data folder; this version leaves it alone.
    NewerDataFolder,
    Canceled,
    Stalled,
    Catalog,
    /// The process running the operation stopped (recorded by the next operation).
    Interrupted,
    EncryptionNotSet,
    ConfirmationNeeded,
    ServerUnreachable,
    WrongCredentials,
    ShareNotFound,
    FolderNotFound,
    ConnectionLost,
    TimedOut,
    ElevationRequired,
    WrongAdminPassword,
    ElevationDelayed,
    /// A code written by a newer Lifeboat.
    #[serde(other)]
    Unknown,
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
    pub fn code(self) -> ErrorCode {
        match self {
            LocationProblem::ServerUnreachable => ErrorCode::ServerUnreachable,
            LocationProblem::WrongCredentials => ErrorCode::WrongCredentials,
            LocationProblem::ShareNotFound => ErrorCode::ShareNotFound,
            LocationProblem::FolderNotFound => ErrorCode::FolderNotFound,
            LocationProblem::AccessDenied => ErrorCode::AccessDenied,
            LocationProblem::DiskFull => ErrorCode::DiskFull,
            LocationProblem::ConnectionLost => ErrorCode::ConnectionLost,
            LocationProblem::TimedOut => ErrorCode::TimedOut,
        }
    }
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            InvalidInput => "invalid-input",
            DiskFull => "disk-full",
            AccessDenied => "access-denied",
            NotFound => "not-found",
            IoError => "io-error",
            OperationFailed => "operation-failed",
            Integrity => "integrity",
            Expired => "expired",
            WrongIdentity => "wrong-identity",
            Busy => "busy",
            UpdateInProgress => "update-in-progress",
            NewerDataFolder => "newer-data-folder",
            Canceled => "canceled",
            Stalled => "stalled",
            Catalog => "catalog",
            Interrupted => "interrupted",
            EncryptionNotSet => "encryption-not-set",
            ConfirmationNeeded => "confirmation-needed",
            ServerUnreachable => "server-unreachable",
            WrongCredentials => "wrong-credentials",
            ShareNotFound => "share-not-found",
            FolderNotFound => "folder-not-found",
            ConnectionLost => "connection-lost",
            TimedOut => "timed-out",
            ElevationRequired => "elevation-required",
            WrongAdminPassword => "wrong-admin-password",
            ElevationDelayed => "elevation-delayed",
            Unknown => "unknown",
        }
    }

    /// What the administrator can do about it, in words that fit every front end;
    /// each front end may add its own (a button, a command).
    pub fn hint(self) -> Option<&'static str> {
        use ErrorCode::*;
        Some(match self {
            DiskFull => "Free space on the disk or share named above; at the backup location, lowering retention lets older backups be deleted.",
            AccessDenied => "Give the account Lifeboat runs as permission to that path.",
            NotFound => "Check that the path exists and is reachable (a removed drive or an unmounted share).",
            Integrity => "Use another backup; keep this file for investigation.",
            Stalled => "Check the storage or source that stopped answering; if it is only slow, raise the stall timeout.",
            Busy => "Wait for it to finish, or cancel it.",
            UpdateInProgress => "It takes a minute or two; Lifeboat starts again on the new version, and a scheduled backup that fell in the update runs then.",
            Catalog => "Lifeboat's catalog could not be read or written; check the data folder's disk and permissions.",
            Interrupted => "Run it again; nothing half-written is ever listed as a backup.",
            EncryptionNotSet => "A certificate lets this machine write backups it cannot read; Lifeboat can create one.",
            ServerUnreachable => "Check the server name and port, that the server is on, and that the network (VPN, firewall) lets this machine reach it.",
            WrongCredentials => "Check the user (DOMAIN\\user or user) and the password; the account may also be locked or expired.",
            ShareNotFound => "Check the share name after the server (\\\\server\\share); the server does not offer that share to this user.",
            FolderNotFound => "Create the folder (with its parents), or choose one that exists.",
            ConnectionLost => "The server went away during the operation; the next scheduled backup retries, and nothing half-written is listed.",
            TimedOut => "The server stopped answering; check it and the network. The next scheduled backup retries.",
            ElevationRequired => "Only the administrator may do this: elevate with the administrator password first.",
            WrongAdminPassword => "A forgotten administrator password comes back only by recovering the configuration from a backup made while it was set.",
            _ => return None,
        })
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ErrorCode {
    type Err = std::convert::Infallible;
    /// Unknown codes (from a newer Lifeboat) read as `Unknown`.
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        use serde::de::IntoDeserializer;
        let de: serde::de::value::StrDeserializer<'_, serde::de::value::Error> = s.into_deserializer();
        Ok(serde::Deserialize::deserialize(de).unwrap_or(ErrorCode::Unknown))
    }
}

impl Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Input(_)
            | Error::Expired { .. }
            | Error::WrongIdentity(_)
            | Error::EncryptionNotSet
            | Error::NeedsConfirmation(_)
            | Error::ElevationRequired(_)
            | Error::WrongAdminPassword(_)
            | Error::ElevationDelayed { .. } => ErrorKind::Input,
            Error::Io { .. } | Error::Operation(_) | Error::Catalog(_) | Error::Stalled { .. } | Error::Location { .. } | Error::NewerDataFolder { .. } => ErrorKind::Operation,
            Error::Integrity(_) => ErrorKind::Integrity,
            Error::Busy(_) | Error::UpdateInProgress(_) => ErrorKind::Busy,
            Error::Canceled => ErrorKind::Canceled,
        }
    }

    /// A stable code for scripts, the catalog and the GUI.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Input(_) => ErrorCode::InvalidInput,
            Error::Io { source, .. } if source.kind() == std::io::ErrorKind::StorageFull => ErrorCode::DiskFull,
            Error::Io { source, .. } if source.kind() == std::io::ErrorKind::PermissionDenied => ErrorCode::AccessDenied,
            Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => ErrorCode::NotFound,
            Error::Io { .. } => ErrorCode::IoError,
            Error::Operation(_) => ErrorCode::OperationFailed,
            Error::Integrity(_) => ErrorCode::Integrity,
            Error::Expired { .. } => ErrorCode::Expired,
            Error::WrongIdentity(_) => ErrorCode::WrongIdentity,
            Error::Busy(_) => ErrorCode::Busy,
            Error::UpdateInProgress(_) => ErrorCode::UpdateInProgress,
            Error::Canceled => ErrorCode::Canceled,
            Error::Stalled { .. } => ErrorCode::Stalled,
            Error::Catalog(_) => ErrorCode::Catalog,
            Error::Location { problem, .. } => problem.code(),
            Error::EncryptionNotSet => ErrorCode::EncryptionNotSet,
            Error::NeedsConfirmation(_) => ErrorCode::ConfirmationNeeded,
            Error::NewerDataFolder { .. } => ErrorCode::NewerDataFolder,
            Error::ElevationRequired(_) => ErrorCode::ElevationRequired,
            Error::WrongAdminPassword(_) => ErrorCode::WrongAdminPassword,
            Error::ElevationDelayed { .. } => ErrorCode::ElevationDelayed,
        }
    }

    /// What the administrator can do about it, when the message alone does not say.
    pub fn hint(&self) -> Option<&'static str> {
        self.code().hint()
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

    /// Damage found while reading a known place (an item's file): says where.
    pub fn found_in(self, place: impl FnOnce() -> String) -> Self {
        match self {
            Error::Integrity(message) => Error::Integrity(format!("{message} Found while reading {}.", place())),
            other => other,
        }
    }

    pub fn location(problem: LocationProblem, msg: impl Into<String>) -> Self {
        Error::Location { problem, message: msg.into() }
    }
}

/// Checks a setting is within its range; the error says what was given and the range.
/// `unit` follows the range's end, e.g. " days".
pub fn check_range<T: PartialOrd + std::fmt::Display>(value: T, range: std::ops::RangeInclusive<T>, unit: &str, given: impl FnOnce(&T) -> String) -> Result<T> {
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

/// A catalog or vault failure in the administrator's words where SQLite says why.
fn describe_database_error(e: &rusqlite::Error) -> String {
    use rusqlite::ErrorCode::*;
    let code = match e {
        rusqlite::Error::SqliteFailure(failure, _) => Some(failure.code),
        _ => None,
    };
    match code {
        Some(DatabaseBusy | DatabaseLocked) => "Lifeboat's catalog or vault is locked by another program (Lifeboat waited 10 s): close whatever holds \
             catalog.db or vault.db in the data folder open (a database browser, a sync or backup agent), then try again."
            .into(),
        Some(ReadOnly) => "Lifeboat's data folder is read-only here, so its catalog and vault cannot be written: make it writable, or point \
             Lifeboat at another data folder (--data-dir or LIFEBOAT_DATA_DIR)."
            .into(),
        Some(CannotOpen) => "Lifeboat's catalog or vault cannot be opened: check that the data folder exists and that this account may write it.".into(),
        Some(DiskFull) => "The disk holding Lifeboat's data folder is full: free space there, then try again.".into(),
        _ => format!("catalog database error: {e}"),
    }
}
