//! Lifeboat's engine: the backup format, protectors (encryption), storage targets, the
//! catalog, and the operations users run (backup, restore, verify). No GUI dependency.

mod b64;
pub mod error;
pub mod format;
pub mod protector;

pub use error::{Error, ErrorKind, Result};
