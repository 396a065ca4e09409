//! Lifeboat's engine: no GUI dependency, everything testable headless.
//!
//! In dependency order (a module uses only those above it; see docs/architecture.md):
//! - foundations: `error`, `clock`, `progress`, `names`, `fsutil`, `sqlite`, `seal`,
//!   `scratch` (folders for a moment's copies, swept after a crash)
//! - `format` (the backup file), `protector` (who can open it), `target` (where it goes)
//! - `vault` (secrets, keys and certificates; Lifeboat's own secrets too)
//! - the domain: `items`, `operation`, `schedule`, `retention`, `audit` (the chained trail)
//! - `catalog` (SQLite), `settings` (read as a view, changed as one transaction)
//! - `events`, `context`, `installing` (a recovered configuration, put in whole),
//!   `runner` (how long work runs)
//! - `commands` (one module per user verb), `engine` (the facade), `scheduler`

pub mod audit;
mod b64;
pub mod catalog;
pub mod clock;
pub mod commands;
pub mod context;
pub mod elevation;
pub mod engine;
pub mod error;
pub mod events;
pub mod format;
pub mod fsutil;
pub mod hardening;
pub mod installing;
pub mod items;
mod names;
pub mod operation;
pub mod owner_only;
pub mod progress;
pub mod protector;
pub mod retention;
pub mod runner;
pub mod schedule;
pub mod scheduler;
pub mod scratch;
mod seal;
pub mod settings;
pub mod sqlite;
pub mod target;
pub mod vault;
#[cfg(windows)]
mod win_path;

pub use error::{Error, ErrorCode, ErrorKind, LocationProblem, Result};
