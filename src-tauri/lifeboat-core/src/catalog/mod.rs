//! The catalog: a SQLite database with settings, protected items, backups and
//! operations. Schema changes are SQL files under `migrations/`, applied in order.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use rusqlite_migration::{Migrations, M};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::format::ItemKind;

const MIGRATIONS: &[M<'static>] = &[M::up(include_str!("../../migrations/0001_init.sql"))];

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
            let time = |i: usize| -> rusqlite::Result<DateTime<Utc>> {
                let text: String = r.get(i)?;
                DateTime::parse_from_rfc3339(&text)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e)))
            };
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

    pub fn start_operation(&self, id: &str, kind: &str, now: DateTime<Utc>) -> Result<()> {
        self.conn.execute(
            "INSERT INTO operations (id, kind, started_at, status) VALUES (?1, ?2, ?3, 'running')",
            params![id, kind, now.to_rfc3339()],
        )?;
        Ok(())
    }

    pub fn finish_operation(
        &self,
        id: &str,
        status: &str,
        backup_id: Option<&str>,
        message: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.conn.execute(
            "UPDATE operations SET status = ?2, backup_id = ?3, message = ?4, finished_at = ?5 WHERE id = ?1",
            params![id, status, backup_id, message, now.to_rfc3339()],
        )?;
        Ok(())
    }

    /// Operations left 'running' by a process that died are marked failed.
    pub fn fail_interrupted_operations(&self, now: DateTime<Utc>) -> Result<usize> {
        Ok(self.conn.execute(
            "UPDATE operations SET status = 'failed', message = 'interrupted: the program stopped while it ran', finished_at = ?1
             WHERE status = 'running'",
            [now.to_rfc3339()],
        )?)
    }

    /// A consistent copy of the catalog, made with SQLite's online backup API.
    pub fn snapshot_to(&self, dest: &Path) -> Result<()> {
        crate::items::sqlite_snapshot_conn(&self.conn, dest)
    }
}
