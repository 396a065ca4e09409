//! Backups this installation made: what was written (size, checksum, recipients)
//! and what became of them (verified, found damaged, deleted).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::{named, time_at, Catalog};
use crate::error::Result;
use crate::format::EncryptionKind;
use crate::operation::Trigger;

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BackupStatus {
    Complete,
    /// Complete, with files that vanished, changed or could not be read.
    Warnings,
    /// A verify found it changed or damaged; retention never counts it as good.
    Damaged,
    /// Deleted by retention or by hand.
    Deleted,
}

crate::names::display_by_name!(BackupStatus);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackupRecord {
    pub id: String,
    pub file_name: String,
    pub location: String,
    pub size: u64,
    pub sha256: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub encryption: EncryptionKind,
    pub recipients: Vec<String>,
    pub status: BackupStatus,
    pub warnings: Vec<String>,
}

impl Catalog {
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
                b.encryption.to_string(),
                serde_json::to_string(&b.recipients).expect("strings serialize"),
                b.status.to_string(),
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
            Ok(BackupRecord {
                id: r.get(0)?,
                file_name: r.get(1)?,
                location: r.get(2)?,
                size: r.get::<_, i64>(3)? as u64,
                sha256: r.get(4)?,
                created_at: time_at(r, 5)?,
                expires_at: time_at(r, 6)?,
                encryption: named(r, 7)?,
                recipients: json(8)?,
                status: named(r, 9)?,
                warnings: json(10)?,
            })
        });
        Ok(record.optional()?)
    }

    pub fn set_backup_status(&self, id: &str, status: BackupStatus, now: DateTime<Utc>) -> Result<()> {
        let deleted_at = (status == BackupStatus::Deleted).then(|| now.to_rfc3339());
        self.conn.execute("UPDATE backups SET status = ?2, deleted_at = coalesce(?3, deleted_at) WHERE id = ?1", params![id, status.to_string(), deleted_at])?;
        Ok(())
    }

    pub fn set_verified(&self, id: &str, now: DateTime<Utc>) -> Result<()> {
        self.conn.execute("UPDATE backups SET verified_at = ?2 WHERE id = ?1", params![id, now.to_rfc3339()])?;
        Ok(())
    }

    /// Status of every backup made here: backup id → status.
    pub fn backup_statuses(&self) -> Result<HashMap<String, BackupStatus>> {
        let mut stmt = self.conn.prepare("SELECT id, status FROM backups")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, named(r, 1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Who started each backup made here: backup id → trigger.
    pub fn backup_triggers(&self) -> Result<HashMap<String, Trigger>> {
        let mut stmt = self.conn.prepare("SELECT backup_id, trigger FROM operations WHERE backup_id IS NOT NULL")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, named(r, 1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
