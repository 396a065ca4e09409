//! The audit table: entries appended with their chain hash, read back in order.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, TransactionBehavior};

use super::Catalog;
use crate::audit::{link, Actor, AuditEntry, Record, StoredEntry, GENESIS};
use crate::error::{Error, Result};

/// Which entries a listing shows, newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub since: Option<DateTime<Utc>>,
    pub kind: Option<String>,
    pub limit: Option<u32>,
}

impl Catalog {
    /// Appends `record` as the next entry of the chain. Inside a transaction that has
    /// written already it joins it (the entry lands with the change it records, or
    /// neither does); otherwise it takes the write lock first, so that two processes
    /// never chain to the same head.
    pub fn append_audit(&self, record: Record, actor: &Actor, now: DateTime<Utc>) -> Result<AuditEntry> {
        let append = |catalog: &Catalog| -> Result<AuditEntry> {
            let head: Option<(u64, String)> = catalog.conn.query_row("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
            let (seq, previous) = head.unwrap_or((0, GENESIS.to_owned()));
            let entry = record.entry(seq + 1, now, actor);
            let body = serde_json::to_string(&entry).map_err(|e| Error::operation(format!("encoding an audit entry: {e}")))?;
            catalog.conn.execute("INSERT INTO audit (seq, body, hash) VALUES (?1, ?2, ?3)", params![entry.seq, body, link(&previous, &body)])?;
            Ok(entry)
        };
        if !self.conn.is_autocommit() {
            return append(self);
        }
        let tx = rusqlite::Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
        let entry = append(self)?;
        tx.commit()?;
        Ok(entry)
    }

    /// Entries as stored, oldest first, for checking the chain.
    pub fn audit_chain(&self) -> Result<Vec<StoredEntry>> {
        let mut stmt = self.conn.prepare("SELECT seq, body, hash FROM audit ORDER BY seq")?;
        let rows = stmt.query_map([], |r| Ok(StoredEntry { seq: r.get(0)?, body: r.get(1)?, hash: r.get(2)? }))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Entries newest first, as `filter` narrows them. An entry that cannot be read
    /// is left out here; `audit verify` names it.
    pub fn audit_entries(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>> {
        let mut stmt = self.conn.prepare("SELECT body FROM audit ORDER BY seq DESC")?;
        let bodies = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut entries = Vec::new();
        for body in bodies {
            let Ok(entry) = serde_json::from_str::<AuditEntry>(&body?) else { continue };
            if filter.since.is_some_and(|since| entry.at < since) {
                break;
            }
            if filter.kind.as_ref().is_some_and(|kind| *kind != entry.kind) {
                continue;
            }
            entries.push(entry);
            if filter.limit.is_some_and(|limit| entries.len() as u32 >= limit) {
                break;
            }
        }
        Ok(entries)
    }
}
