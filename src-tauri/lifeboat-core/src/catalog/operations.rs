//! The operations table: every operation's kind, trigger, live progress, outcome,
//! and a cancel request any process can set.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

use super::{named, time_at, Catalog};
use crate::error::{ErrorCode, Result};
use crate::operation::{OperationKind, OperationStatus, OperationView, Trigger};
use crate::progress::Phase;

pub(crate) struct Counters {
    pub phase: Option<Phase>,
    pub bytes_done: u64,
    pub bytes_total: u64,
    pub items_done: u64,
    pub items_total: u64,
}

/// Which operations `latest_operation` looks at.
pub enum Ended {
    /// Any that is not running any more.
    Any,
    /// Only those that ended so.
    As(OperationStatus),
}

impl Catalog {
    pub fn start_operation(&self, id: &str, kind: OperationKind, trigger: Trigger, pid: u32, now: DateTime<Utc>) -> Result<()> {
        self.conn.execute(
            "INSERT INTO operations (id, kind, trigger, pid, started_at, updated_at, status) VALUES (?1, ?2, ?3, ?4, ?5, ?5, 'running')",
            params![id, kind.to_string(), trigger.to_string(), pid, now.to_rfc3339()],
        )?;
        Ok(())
    }

    pub(crate) fn save_progress(&self, id: &str, c: &Counters, now: DateTime<Utc>) -> Result<()> {
        self.conn.execute(
            "UPDATE operations SET phase = ?2, bytes_done = ?3, bytes_total = ?4, items_done = ?5, items_total = ?6, updated_at = ?7
             WHERE id = ?1",
            params![id, c.phase.map(|p| p.to_string()), c.bytes_done as i64, c.bytes_total as i64, c.items_done as i64, c.items_total as i64, now.to_rfc3339()],
        )?;
        Ok(())
    }

    /// `error` is (code, message, hint).
    pub fn finish_operation(&self, id: &str, status: OperationStatus, backup_id: Option<&str>, error: Option<(ErrorCode, String, Option<&str>)>, now: DateTime<Utc>) -> Result<()> {
        let (code, message, hint) = match error {
            Some((code, message, hint)) => (Some(code.to_string()), Some(message), hint),
            None => (None, None, None),
        };
        self.conn.execute(
            "UPDATE operations SET status = ?2, backup_id = ?3, error_code = ?4, message = ?5, hint = ?6, finished_at = ?7, updated_at = ?7
             WHERE id = ?1",
            params![id, status.to_string(), backup_id, code, message, hint, now.to_rfc3339()],
        )?;
        Ok(())
    }

    /// A scheduled slot that did not run: recorded so the history shows it.
    pub fn record_skipped(&self, kind: OperationKind, trigger: Trigger, reason: &str, now: DateTime<Utc>) -> Result<String> {
        let id = uuid::Uuid::new_v4().to_string();
        self.conn.execute(
            "INSERT INTO operations (id, kind, trigger, pid, started_at, finished_at, updated_at, status, error_code, message)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?5, 'skipped', 'busy', ?6)",
            params![id, kind.to_string(), trigger.to_string(), std::process::id(), now.to_rfc3339(), reason],
        )?;
        Ok(id)
    }

    /// Operations left 'running' by a process that died are marked failed.
    pub fn fail_interrupted_operations(&self, now: DateTime<Utc>) -> Result<usize> {
        let code = ErrorCode::Interrupted;
        Ok(self.conn.execute(
            "UPDATE operations SET status = 'failed', error_code = ?2,
                 message = 'Interrupted: the Lifeboat process running it stopped (crashed, killed or shut down).',
                 hint = ?3, finished_at = ?1
             WHERE status = 'running'",
            params![now.to_rfc3339(), code.to_string(), code.hint()],
        )?)
    }

    /// A recovered catalog was copied while the backup that carried it ran: that
    /// backup operation succeeded (its backup exists and authenticates).
    pub fn finish_carrying_backup(&self, backup_id: &str, at: DateTime<Utc>) -> Result<()> {
        self.conn.execute(
            "UPDATE operations SET status = 'succeeded', backup_id = ?1, phase = NULL, finished_at = ?2, updated_at = ?2
             WHERE kind = 'backup' AND status = 'running'",
            params![backup_id, at.to_rfc3339()],
        )?;
        Ok(())
    }

    pub fn request_cancel(&self, id: &str) -> Result<bool> {
        Ok(self.conn.execute("UPDATE operations SET cancel_requested = 1 WHERE id = ?1 AND status = 'running'", [id])? > 0)
    }

    pub fn operation(&self, id: &str) -> Result<Option<OperationView>> {
        let mut stmt = self.conn.prepare(&format!("SELECT {OPERATION_COLUMNS} FROM operations WHERE id = ?1"))?;
        Ok(stmt.query_row([id], operation_row).optional()?)
    }

    /// Operations whose id starts with `prefix` (front ends accept short ids).
    pub fn operations_by_prefix(&self, prefix: &str) -> Result<Vec<OperationView>> {
        let mut stmt = self.conn.prepare(&format!("SELECT {OPERATION_COLUMNS} FROM operations WHERE substr(id, 1, length(?1)) = ?1 ORDER BY started_at DESC LIMIT 2"))?;
        let rows = stmt.query_map([prefix], operation_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The most recent operations, newest first.
    pub fn operations(&self, limit: u32) -> Result<Vec<OperationView>> {
        let mut stmt = self.conn.prepare(&format!("SELECT {OPERATION_COLUMNS} FROM operations ORDER BY started_at DESC, rowid DESC LIMIT ?1"))?;
        let rows = stmt.query_map([limit], operation_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The newest operation running now (of any kind).
    pub fn running_operation(&self) -> Result<Option<OperationView>> {
        let mut stmt = self.conn.prepare(&format!("SELECT {OPERATION_COLUMNS} FROM operations WHERE status = 'running' ORDER BY started_at DESC, rowid DESC LIMIT 1"))?;
        Ok(stmt.query_row([], operation_row).optional()?)
    }

    /// The newest operation of `kind` that ended as `ended` says.
    pub fn latest_operation(&self, kind: OperationKind, ended: Ended) -> Result<Option<OperationView>> {
        let status = match ended {
            Ended::Any => None,
            Ended::As(status) => Some(status.to_string()),
        };
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {OPERATION_COLUMNS} FROM operations
             WHERE kind = ?1 AND status != 'running' AND (?2 IS NULL OR status = ?2)
             ORDER BY started_at DESC, rowid DESC LIMIT 1"
        ))?;
        Ok(stmt.query_row(params![kind.to_string(), status], operation_row).optional()?)
    }
}

const OPERATION_COLUMNS: &str = "id, kind, trigger, status, phase, started_at, finished_at, bytes_done, bytes_total, \
     items_done, items_total, error_code, message, hint, backup_id, pid, cancel_requested";

fn operation_row(r: &rusqlite::Row) -> rusqlite::Result<OperationView> {
    let finished: Option<String> = r.get(6)?;
    let phase: Option<String> = r.get(4)?;
    let code: Option<String> = r.get(11)?;
    Ok(OperationView {
        id: r.get(0)?,
        kind: named(r, 1)?,
        trigger: named(r, 2)?,
        status: named(r, 3)?,
        phase: phase.and_then(|p| crate::names::parse_name(&p)),
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
        error_code: code.map(|c| c.parse().unwrap_or(ErrorCode::Unknown)),
        message: r.get(12)?,
        hint: r.get(13)?,
        backup_id: r.get(14)?,
        pid: r.get::<_, Option<i64>>(15)?.map(|p| p as u32),
        cancel_requested: r.get::<_, i64>(16)? != 0,
    })
}
