//! The audit table: entries appended with their chain hash, read back in order.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, TransactionBehavior};

use super::Catalog;
use crate::audit::{link, Actor, AuditEntry, Carried, ChainHead, FrontEnd, Outcome, Record, StoredEntry, GENESIS, RECOVERED};
use crate::error::{Error, Result};

/// Which entries a listing shows, newest first: every condition given must hold.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct AuditFilter {
    pub since: Option<DateTime<Utc>>,
    /// Entries before this time only.
    pub until: Option<DateTime<Utc>>,
    pub kind: Option<String>,
    pub front_end: Option<FrontEnd>,
    pub outcome: Option<Outcome>,
    pub limit: Option<u32>,
}

impl AuditFilter {
    fn admits(&self, entry: &AuditEntry) -> bool {
        self.until.is_none_or(|until| entry.at < until)
            && self.kind.as_ref().is_none_or(|kind| *kind == entry.kind)
            && self.front_end.is_none_or(|front_end| front_end == entry.front_end)
            && self.outcome.is_none_or(|outcome| outcome == entry.outcome)
    }
}

impl Catalog {
    /// Appends `record` as the next entry of the chain. Inside a transaction that has
    /// written already it joins it (the entry lands with the change it records, or
    /// neither does); otherwise it takes the write lock first, so that two processes
    /// never chain to the same head.
    pub fn append_audit(&self, record: Record, actor: &Actor, now: DateTime<Utc>) -> Result<AuditEntry> {
        if !self.conn.is_autocommit() {
            return self.append_entry(|seq| record.entry(seq, now, actor));
        }
        let tx = rusqlite::Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
        let entry = self.append_entry(|seq| record.entry(seq, now, actor))?;
        tx.commit()?;
        Ok(entry)
    }

    /// Appends the entry `make` builds for the next number, chained to the last one.
    fn append_entry(&self, make: impl FnOnce(u64) -> AuditEntry) -> Result<AuditEntry> {
        let head = self.audit_head()?.unwrap_or(ChainHead { seq: 0, hash: GENESIS.to_owned() });
        let entry = make(head.seq + 1);
        let body = serde_json::to_string(&entry).map_err(|e| Error::operation(format!("encoding an audit entry: {e}")))?;
        self.conn.execute("INSERT INTO audit (seq, body, hash) VALUES (?1, ?2, ?3)", params![entry.seq, body, link(&head.hash, &body)])?;
        Ok(entry)
    }

    /// Within a recovery's transaction, with the recovered catalog attached as
    /// `carried`: appends a `recovered` entry, then every entry of the recovered trail
    /// this trail does not already hold (as its own or carried before), each with
    /// where it stood there. Nothing here is rewritten. Once per recovery: installing
    /// again after a crash finds the entry of `recovery_id` and adds nothing.
    pub(super) fn carry_audit(&self, recovery_id: &str, actor: &Actor, now: DateTime<Utc>) -> Result<()> {
        let marker = format!("%\"recovery_id\":\"{recovery_id}\"%");
        if self.conn.query_row("SELECT EXISTS (SELECT 1 FROM main.audit WHERE body LIKE ?1)", [&marker], |r| r.get::<_, bool>(0))? {
            return Ok(());
        }
        let held = self.vouched()?;
        let mut stmt = self.conn.prepare("SELECT seq, body, hash FROM carried.audit ORDER BY seq")?;
        let rows = stmt.query_map([], |r| Ok(StoredEntry { seq: r.get(0)?, body: r.get(1)?, hash: r.get(2)? }))?.collect::<rusqlite::Result<Vec<_>>>()?;
        let mut previous = GENESIS.to_owned();
        let mut carried = Vec::new();
        for row in rows {
            if !held.contains(&(row.seq, row.hash.clone())) {
                if let Ok(entry) = serde_json::from_str::<AuditEntry>(&row.body) {
                    carried.push(AuditEntry { carried: Some(Carried { seq: row.seq, hash: row.hash.clone(), previous: previous.clone() }), ..entry });
                }
            }
            previous = row.hash;
        }
        let span = match (carried.first(), carried.last()) {
            (Some(first), Some(last)) => serde_json::json!([first.carried.as_ref().map(|c| c.seq), last.carried.as_ref().map(|c| c.seq)]),
            _ => serde_json::Value::Null,
        };
        let summary = format!("Installation recovered from a backup; {} entr{} of its audit trail follow", carried.len(), if carried.len() == 1 { "y" } else { "ies" });
        let record = Record::new(RECOVERED, Outcome::Succeeded, summary, serde_json::json!({ "recovery_id": recovery_id, "carried": carried.len(), "entries": span }));
        self.append_entry(|seq| record.entry(seq, now, actor))?;
        for entry in carried {
            self.append_entry(|seq| AuditEntry { seq, ..entry })?;
        }
        Ok(())
    }

    /// Every (number, hash) this trail vouches for: its own entries', and those carried
    /// entries stood at in the trail they came from, where they are unchanged.
    pub fn vouched(&self) -> Result<HashSet<(u64, String)>> {
        let mut held = HashSet::new();
        for row in self.audit_chain()? {
            if let Some(original) = serde_json::from_str::<AuditEntry>(&row.body).ok().and_then(|e| e.original()) {
                held.insert((original.seq, original.hash));
            }
            held.insert((row.seq, row.hash));
        }
        Ok(held)
    }

    /// The last entry's number and hash as stored (what a backup records).
    pub fn audit_head(&self) -> Result<Option<ChainHead>> {
        Ok(self.conn.query_row("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", [], |r| Ok(ChainHead { seq: r.get(0)?, hash: r.get(1)? })).optional()?)
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
            // Not in time order everywhere: carried entries keep their own times.
            if filter.since.is_some_and(|since| entry.at < since) {
                continue;
            }
            if !filter.admits(&entry) {
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
