//! Lifeboat's engine: the backup format, protectors (encryption), storage targets, the
//! catalog, and the operations users run (backup, restore, verify). No GUI dependency.

mod b64;
pub mod backup;
pub mod catalog;
pub mod error;
pub mod engine;
pub mod events;
pub mod format;
pub mod fsutil;
pub mod items;
pub mod operation;
pub mod progress;
pub mod restore;
pub mod retention;
pub mod schedule;
pub mod scheduler;
pub mod protector;
pub mod target;
pub mod verify;

pub use error::{Error, ErrorKind, LocationProblem, Result};
