//! The catalog: a SQLite database with settings, protected items, backups and
//! operations. Schema changes are SQL files under `migrations/`, applied in order.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use rusqlite_migration::{Migrations, M};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::format::ItemKind;
use crate::operation::{Counters, OperationView};

const MIGRATIONS: &[M<'static>] = &[
    M::up(include_str!("../../migrations/0001_init.sql")),
    M::up(include_str!("../../migrations/0002_operations.sql")),
];

pub struct Catalog {
    conn: Connection,
    path: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProtectedItem {
    pub name: String,
    pub kind: ItemKind,
    pub path: PathBuf,
    pub excludes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackupRecord {
    pub id: String,
    pub file_name: String,
    pub location: String,
    pub size: u64,
    pub sha256: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub encryption: String,
    pub recipients: Vec<String>,
    pub status: String,
    pub warnings: Vec<String>,
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
        Migrations::from_slice(MIGRATIONS)
            .to_latest(&mut conn)
            .map_err(|e| Error::operation(format!("upgrading the catalog {}: {e}", path.display())))?;
        Ok(Catalog { conn, path: path.to_owned() })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn setting<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        let text: Option<String> = self
            .conn
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0))
            .optional()?;
        text.map(|t| {
            serde_json::from_str(&t)
                .map_err(|e| Error::operation(format!("the catalog setting {key} is unreadable: {e}")))
        })
        .transpose()
    }

    pub fn set_setting<T: Serialize>(&self, key: &str, value: &T) -> Result<()> {
        let text = serde_json::to_string(value).map_err(|e| Error::operation(format!("encoding {key}: {e}")))?;
        self.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, text],
        )?;
        Ok(())
    }

    pub fn add_item(&self, item: &ProtectedItem, now: DateTime<Utc>) -> Result<()> {
        let excludes = serde_json::to_string(&item.excludes).expect("strings serialize");
        let path = item.path.to_str().ok_or_else(|| Error::input("The item path is not valid UTF-8."))?;
        self.conn
            .execute(
                "INSERT INTO items (name, kind, path, excludes, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![item.name, item.kind.as_str(), path, excludes, now.to_rfc3339()],
            )
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                    Error::input(format!("An item named {:?} already exists; choose another --name.", item.name))
                }
                other => other.into(),
            })?;
        Ok(())
    }

    pub fn items(&self) -> Result<Vec<ProtectedItem>> {
        let mut stmt = self.conn.prepare("SELECT name, kind, path, excludes FROM items ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
        })?;
        let mut items = Vec::new();
        for row in rows {
            let (name, kind, path, excludes) = row?;
            items.push(ProtectedItem {
                name,
                kind: kind.parse()?,
                path: PathBuf::from(path),
                excludes: serde_json::from_str(&excludes)
                    .map_err(|e| Error::operation(format!("the catalog's exclude list is unreadable: {e}")))?,
            });
        }
        Ok(items)
    }

    /// Replaces the whole set of items at once (the desktop's Configuration OK):
    /// either every change lands or none does.
    pub fn replace_items(&self, items: &[ProtectedItem], now: DateTime<Utc>) -> Result<()> {
        let tx = self.conn.unchecked_transaction()?;
        let kept: Vec<&str> = items.iter().map(|i| i.name.as_str()).collect();
        for current in self.items()? {
            if !kept.contains(&current.name.as_str()) || !items.contains(&current) {
                self.remove_item(&current.name)?;
            }
        }
        let remaining = self.items()?;
        for item in items.iter().filter(|i| !remaining.contains(i)) {
            self.add_item(item, now)?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn remove_item(&self, name: &str) -> Result<bool> {
        Ok(self.conn.execute("DELETE FROM items WHERE name = ?1", [name])? > 0)
    }

    pub fn record_backup(&self, b: &BackupRecord) -> Result<()> {
        self.conn.execute(
            "INSERT INTO backups (id, file_name, location, size, sha256, created_at, expires_at, encryption, recipients, status, warnings)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                b.id,
                b.file_name,
                b.location,
                b.size as i64,
                b.sha256,
                b.created_at.to_rfc3339(),
                b.expires_at.to_rfc3339(),
                b.encryption,
                serde_json::to_string(&b.recipients).expect("strings serialize"),
                b.status,
                serde_json::to_string(&b.warnings).expect("strings serialize"),
            ],
        )?;
        Ok(())
    }

    pub fn backup(&self, id: &str) -> Result<Option<BackupRecord>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, file_name, location, size, sha256, created_at, expires_at, encryption, recipients, status, warnings
             FROM backups WHERE id = ?1",
        )?;
        let record = stmt.query_row([id], |r| {
            let json = |i: usize| -> rusqlite::Result<Vec<String>> {
                let text: String = r.get(i)?;
                Ok(serde_json::from_str(&text).unwrap_or_default())
            };
            let time = |i: usize| time_at(r, i);
            Ok(BackupRecord {
                id: r.get(0)?,
                file_name: r.get(1)?,
                location: r.get(2)?,
                size: r.get::<_, i64>(3)? as u64,
                sha256: r.get(4)?,
                created_at: time(5)?,
                expires_at: time(6)?,
                encryption: r.get(7)?,
                recipients: json(8)?,
                status: r.get(9)?,
                warnings: json(10)?,
            })
        });
        Ok(record.optional()?)
    }

    /// complete | warnings | damaged (a verify failed) | deleted (by retention or by hand)
    pub fn set_backup_status(&self, id: &str, status: &str, now: DateTime<Utc>) -> Result<()> {
        let deleted_at = (status == "deleted").then(|| now.to_rfc3339());
        self.conn.execute(
            "UPDATE backups SET status = ?2, deleted_at = coalesce(?3, deleted_at) WHERE id = ?1",
            params![id, status, deleted_at],
        )?;
        Ok(())
    }

    pub fn set_verified(&self, id: &str, now: DateTime<Utc>) -> Result<()> {
        self.conn.execute("UPDATE backups SET verified_at = ?2 WHERE id = ?1", params![id, now.to_rfc3339()])?;
        Ok(())
    }

    pub fn start_operation(&self, id: &str, kind: &str, trigger: &str, pid: u32, now: DateTime<Utc>) -> Result<()> {
        self.conn.execute(
            "INSERT INTO operations (id, kind, trigger, pid, started_at, updated_at, status) VALUES (?1, ?2, ?3, ?4, ?5, ?5, 'running')",
            params![id, kind, trigger, pid, now.to_rfc3339()],
        )?;
        Ok(())
    }

    pub(crate) fn save_progress(&self, id: &str, c: &Counters, now: DateTime<Utc>) -> Result<()> {
        self.conn.execute(
            "UPDATE operations SET phase = ?2, bytes_done = ?3, bytes_total = ?4, items_done = ?5, items_total = ?6, updated_at = ?7
             WHERE id = ?1",
            params![id, c.phase, c.bytes_done as i64, c.bytes_total as i64, c.items_done as i64, c.items_total as i64, now.to_rfc3339()],
        )?;
        Ok(())
    }

    /// `error` is (code, message, hint).
    pub fn finish_operation(
        &self,
        id: &str,
        status: &str,
        backup_id: Option<&str>,
        error: Option<(&str, String, Option<&str>)>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let (code, message, hint) = match error {
            Some((code, message, hint)) => (Some(code), Some(message), hint),
            None => (None, None, None),
        };
        self.conn.execute(
            "UPDATE operations SET status = ?2, backup_id = ?3, error_code = ?4, message = ?5, hint = ?6, finished_at = ?7, updated_at = ?7
             WHERE id = ?1",
            params![id, status, backup_id, code, message, hint, now.to_rfc3339()],
        )?;
        Ok(())
    }

    /// A scheduled slot that did not run: recorded so the history shows it.
    pub fn record_skipped(&self, kind: &str, trigger: &str, reason: &str, now: DateTime<Utc>) -> Result<String> {
        let id = uuid::Uuid::new_v4().to_string();
        self.conn.execute(
            "INSERT INTO operations (id, kind, trigger, pid, started_at, finished_at, updated_at, status, error_code, message)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?5, 'skipped', 'busy', ?6)",
            params![id, kind, trigger, std::process::id(), now.to_rfc3339(), reason],
        )?;
        Ok(id)
    }

    /// Operations left 'running' by a process that died are marked failed.
    pub fn fail_interrupted_operations(&self, now: DateTime<Utc>) -> Result<usize> {
        Ok(self.conn.execute(
            "UPDATE operations SET status = 'failed', error_code = 'interrupted',
                 message = 'Interrupted: the Lifeboat process running it stopped (crashed, killed or shut down).',
                 hint = 'Run it again; nothing half-written is ever listed as a backup.', finished_at = ?1
             WHERE status = 'running'",
            [now.to_rfc3339()],
        )?)
    }

    pub fn request_cancel(&self, id: &str) -> Result<bool> {
        Ok(self.conn.execute("UPDATE operations SET cancel_requested = 1 WHERE id = ?1 AND status = 'running'", [id])? > 0)
    }

    pub fn operation(&self, id: &str) -> Result<Option<OperationView>> {
        let mut stmt = self.conn.prepare(&format!("SELECT {OPERATION_COLUMNS} FROM operations WHERE id = ?1"))?;
        Ok(stmt.query_row([id], operation_row).optional()?)
    }

    /// Operations whose id starts with `prefix` (the CLI accepts short ids).
    pub fn operations_by_prefix(&self, prefix: &str) -> Result<Vec<OperationView>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {OPERATION_COLUMNS} FROM operations WHERE substr(id, 1, length(?1)) = ?1 ORDER BY started_at DESC LIMIT 2"
        ))?;
        let rows = stmt.query_map([prefix], operation_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The most recent operations, newest first.
    pub fn operations(&self, limit: u32) -> Result<Vec<OperationView>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {OPERATION_COLUMNS} FROM operations ORDER BY started_at DESC, rowid DESC LIMIT ?1"
        ))?;
        let rows = stmt.query_map([limit], operation_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Who started each backup made here: backup id → trigger.
    pub fn backup_triggers(&self) -> Result<std::collections::HashMap<String, String>> {
        let mut stmt = self.conn.prepare("SELECT backup_id, trigger FROM operations WHERE backup_id IS NOT NULL")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The newest operation of `kind` (any kind when None) whose status matches:
    /// `finished` for any status but running, else exactly `status`.
    pub fn latest_operation(&self, kind: Option<&str>, status: &str) -> Result<Option<OperationView>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {OPERATION_COLUMNS} FROM operations
             WHERE (?1 IS NULL OR kind = ?1) AND (CASE ?2 WHEN 'finished' THEN status != 'running' ELSE status = ?2 END)
             ORDER BY started_at DESC, rowid DESC LIMIT 1"
        ))?;
        Ok(stmt.query_row(params![kind, status], operation_row).optional()?)
    }

    /// A consistent copy of the catalog, made with SQLite's online backup API.
    pub fn snapshot_to(&self, dest: &Path, cancel: &crate::progress::Cancel) -> Result<()> {
        crate::items::sqlite_snapshot_conn(&self.conn, dest, cancel)
    }
}

const OPERATION_COLUMNS: &str = "id, kind, trigger, status, phase, started_at, finished_at, bytes_done, bytes_total, \
     items_done, items_total, error_code, message, hint, backup_id, pid, cancel_requested";

fn time_at(r: &rusqlite::Row, i: usize) -> rusqlite::Result<DateTime<Utc>> {
    let text: String = r.get(i)?;
    DateTime::parse_from_rfc3339(&text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e)))
}

fn operation_row(r: &rusqlite::Row) -> rusqlite::Result<OperationView> {
    let finished: Option<String> = r.get(6)?;
    Ok(OperationView {
        id: r.get(0)?,
        kind: r.get(1)?,
        trigger: r.get(2)?,
        status: r.get(3)?,
        phase: r.get(4)?,
        started_at: time_at(r, 5)?,
        finished_at: match finished {
            Some(_) => Some(time_at(r, 6)?),
            None => None,
        },
        bytes_done: r.get::<_, i64>(7)? as u64,
        bytes_total: r.get::<_, i64>(8)? as u64,
        items_done: r.get::<_, i64>(9)? as u64,
        items_total: r.get::<_, i64>(10)? as u64,
        rate: None,
        eta_seconds: None,
        error_code: r.get(11)?,
        message: r.get(12)?,
        hint: r.get(13)?,
        backup_id: r.get(14)?,
        pid: r.get::<_, Option<i64>>(15)?.map(|p| p as u32),
        cancel_requested: r.get::<_, i64>(16)? != 0,
    })
}
