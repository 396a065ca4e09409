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

    #[error("catalog database error: {0}")]
    Catalog(#[from] rusqlite::Error),
}

impl Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Input(_) | Error::Expired { .. } | Error::WrongIdentity(_) => ErrorKind::Input,
            Error::Io { .. } | Error::Operation(_) | Error::Catalog(_) => ErrorKind::Operation,
            Error::Integrity(_) => ErrorKind::Integrity,
            Error::Busy(_) => ErrorKind::Busy,
            Error::Canceled => ErrorKind::Canceled,
        }
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
}

/// Attach "what we were doing, and on which path" to I/O errors.
pub trait IoContext<T> {
    fn context(self, message: impl FnOnce() -> String) -> Result<T>;
    fn with_path(self, what: &str, path: &std::path::Path) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn context(self, message: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| Error::Io { message: message(), source })
    }

    fn with_path(self, what: &str, path: &std::path::Path) -> Result<T> {
        self.context(|| format!("{what} {}", path.display()))
    }
}
