//! The catalog: a SQLite database with settings, protected items, backups, the
//! listing cache and operations, one file per table group. Schema changes are SQL
//! files under `migrations/`, applied in order.

mod audit;
mod backups;
mod items;
mod listings;
mod operations;
mod recorder;

pub use audit::AuditFilter;
pub use backups::{BackupRecord, BackupStatus};
pub use listings::{retention_candidates, BackupListing, CachedListing, HeaderSummary, RetentionFate};
pub(crate) use operations::Counters;
pub use operations::Ended;
pub use recorder::Recorder;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use rusqlite_migration::{Migrations, M};
use serde::{de::DeserializeOwned, Serialize};

use crate::audit::Actor;
use crate::error::{Error, Result};

const MIGRATIONS: &[M<'static>] = &[
    M::up(include_str!("../../migrations/0001_init.sql")),
    M::up(include_str!("../../migrations/0002_operations.sql")),
    M::up(include_str!("../../migrations/0003_listings.sql")),
    M::up(include_str!("../../migrations/0004_meta.sql")),
    M::up(include_str!("../../migrations/0005_audit.sql")),
];

/// The catalog's file in the data folder.
pub const FILE_NAME: &str = "catalog.db";

pub struct Catalog {
    conn: Connection,
    path: PathBuf,
}

impl Catalog {
    pub fn open(path: &Path) -> Result<Self> {
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // In WAL mode NORMAL stays consistent through crashes and power loss (a power
        // cut may only roll back the last commits); the scheduler commits on every
        // wake-up, and FULL would fsync each time.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        crate::sqlite::migrate(&mut conn, MIGRATIONS, "catalog", path)?;
        Ok(Catalog { conn, path: path.to_owned() })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `work` in one transaction: everything it writes lands, or (on an error)
    /// nothing does.
    pub fn transaction<T>(&self, work: impl FnOnce(&Catalog) -> Result<T>) -> Result<T> {
        let tx = self.conn.unchecked_transaction()?;
        let out = work(self)?;
        tx.commit()?;
        Ok(out)
    }

    pub fn setting<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        let text: Option<String> = self.conn.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0)).optional()?;
        text.map(|t| serde_json::from_str(&t).map_err(|e| Error::operation(format!("the catalog setting {key} is unreadable: {e}")))).transpose()
    }

    pub fn set_setting<T: Serialize>(&self, key: &str, value: &T) -> Result<()> {
        let text = serde_json::to_string(value).map_err(|e| Error::operation(format!("encoding {key}: {e}")))?;
        self.conn.execute("INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value", params![key, text])?;
        Ok(())
    }

    /// Replaces the configuration with a catalog copy a backup carried: settings, items,
    /// backups and listings become the copy's; the operations of both are kept, and
    /// the audit trail gets the copy's entries appended after a `recovered` entry
    /// (`carry_audit`). The copy is brought to this version's schema first. One
    /// transaction.
    pub fn replace_with(&self, copy: &Path, recovery_id: &str, actor: &Actor, now: DateTime<Utc>) -> Result<()> {
        let mut carried = Connection::open(copy)?;
        Migrations::from_slice(MIGRATIONS)
            .to_latest(&mut carried)
            .map_err(|e| Error::integrity(format!("The configuration in this backup cannot be used: {e} (made by a newer Lifeboat?).")))?;
        drop(carried);
        self.conn.execute("ATTACH DATABASE ?1 AS carried", [copy.to_string_lossy()])?;
        let replaced = self.transaction(|catalog| {
            catalog.conn.execute_batch(
                "DELETE FROM main.settings; DELETE FROM main.items; DELETE FROM main.backups; DELETE FROM main.listings;
                 INSERT INTO main.settings SELECT * FROM carried.settings;
                 INSERT INTO main.items SELECT * FROM carried.items;
                 INSERT INTO main.backups SELECT * FROM carried.backups;
                 INSERT INTO main.listings SELECT * FROM carried.listings;
                 INSERT OR IGNORE INTO main.operations SELECT * FROM carried.operations;",
            )?;
            catalog.carry_audit(recovery_id, actor, now)
        });
        self.conn.execute("DETACH DATABASE carried", [])?;
        replaced
    }

    /// A consistent copy of the catalog, made with SQLite's online backup API.
    pub fn snapshot_to(&self, dest: &Path, cancel: &crate::progress::Cancel) -> Result<()> {
        crate::sqlite::snapshot(&self.conn, dest, cancel)
    }
}

use crate::sqlite::{named, time_at};
