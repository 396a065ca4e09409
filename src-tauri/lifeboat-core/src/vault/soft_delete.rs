//! Soft-delete, as Key Vault does it: a deleted object stays recoverable for its
//! recovery period, then is purged; purge protection, once on, forbids purging
//! before then and cannot be turned off.

use chrono::{DateTime, Duration, Utc};
use rusqlite::params;

use super::rows::{meta, set_meta, stamp};
use super::{ObjectKind, ObjectSummary, Vault, VaultSettings, DEFAULT_RECOVERY_DAYS, RECOVERY_DAYS};
use crate::error::{Error, Result};

impl Vault {
    pub(super) fn recovery_days(&self) -> Result<u32> {
        Ok(meta(&self.conn, "recovery_days")?.and_then(|d| d.parse().ok()).unwrap_or(DEFAULT_RECOVERY_DAYS))
    }

    /// Sets the recovery period for objects deleted from now on. Under purge protection
    /// it can only grow, or protection could be undone by shortening it.
    pub fn set_recovery_days(&self, days: u32) -> Result<VaultSettings> {
        crate::error::check_range(days, RECOVERY_DAYS, " days", |d| format!("A recovery period of {d} days"))?;
        let settings = self.settings()?;
        if settings.purge_protection && days < settings.recovery_days {
            return Err(Error::input(format!("Purge protection is on: the recovery period can be raised but not lowered below {} days.", settings.recovery_days)));
        }
        let before = settings.recovery_days;
        set_meta(&self.conn, "recovery_days", &days.to_string())?;
        if before != days {
            self.record(format!("Deleted objects are recoverable for {days} days"), serde_json::json!({ "change": "recovery-days", "old": before, "new": days }))?;
        }
        self.settings()
    }

    /// Turns purge protection on, for good.
    pub fn enable_purge_protection(&self) -> Result<VaultSettings> {
        if !self.settings()?.purge_protection {
            set_meta(&self.conn, "purge_protection", "on")?;
            self.record("Purge protection turned on, for good".into(), serde_json::json!({ "change": "purge-protection" }))?;
        }
        self.settings()
    }

    /// Soft-deletes an object with all its versions: it can be recovered until its
    /// recovery period ends, then it is purged.
    pub fn delete(&self, kind: ObjectKind, name: &str) -> Result<ObjectSummary> {
        let row = self.active(kind, name)?;
        if row.managed {
            return Err(Error::input(format!("The {kind} {name:?} holds what Lifeboat's settings use; change the settings instead (it is replaced or removed with them).")));
        }
        self.require_elevation(&format!("Delete the {kind} {name:?}"))?;
        let now = self.now();
        let purge_at = now + Duration::days(self.recovery_days()? as i64);
        self.conn.execute("UPDATE objects SET deleted_at = ?3, purge_at = ?4 WHERE kind = ?1 AND name = ?2", params![kind.to_string(), name, stamp(now), stamp(purge_at)])?;
        self.record(
            format!("The {kind} {name:?} deleted (recoverable until {})", purge_at.format("%Y-%m-%d %H:%M UTC")),
            serde_json::json!({ "object": kind, "name": name, "change": "deleted", "purge_at": purge_at }),
        )?;
        self.summary(kind, name)
    }

    /// Brings a soft-deleted object back, with all its versions.
    pub fn recover(&self, kind: ObjectKind, name: &str) -> Result<ObjectSummary> {
        self.deleted(kind, name)?;
        self.conn.execute("UPDATE objects SET deleted_at = NULL, purge_at = NULL WHERE kind = ?1 AND name = ?2", params![kind.to_string(), name])?;
        self.record(format!("The {kind} {name:?} recovered"), serde_json::json!({ "object": kind, "name": name, "change": "recovered" }))?;
        self.summary(kind, name)
    }

    /// Removes a soft-deleted object for good. Under purge protection only once its
    /// recovery period has ended (when it is purged automatically anyway).
    pub fn purge(&self, kind: ObjectKind, name: &str) -> Result<()> {
        let row = self.deleted(kind, name)?;
        self.require_elevation(&format!("Purge the {kind} {name:?}"))?;
        if self.settings()?.purge_protection {
            let purge_at = row.purge_at.unwrap_or(DateTime::<Utc>::MAX_UTC);
            if purge_at > self.now() {
                return Err(Error::input(format!(
                    "Purge protection is on: the {kind} {name:?} stays recoverable until {} and is purged then; it can be recovered until that time.",
                    purge_at.format("%Y-%m-%d %H:%M UTC")
                )));
            }
        }
        self.conn.execute("DELETE FROM objects WHERE kind = ?1 AND name = ?2", params![kind.to_string(), name])?;
        self.record(format!("The {kind} {name:?} purged"), serde_json::json!({ "object": kind, "name": name, "change": "purged" }))
    }

    /// Purges every deleted object whose recovery period has ended; returns how many.
    pub fn purge_expired(&self) -> Result<usize> {
        let now = stamp(self.now());
        let due: Vec<(String, String)> = self
            .conn
            .prepare("SELECT kind, name FROM objects WHERE purge_at IS NOT NULL AND purge_at <= ?1")?
            .query_map([&now], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        if due.is_empty() {
            return Ok(0);
        }
        let purged = self.conn.execute("DELETE FROM objects WHERE purge_at IS NOT NULL AND purge_at <= ?1", [&now])?;
        for (kind, name) in &due {
            self.record(format!("The {kind} {name:?} purged at the end of its recovery period"), serde_json::json!({ "object": kind, "name": name, "change": "purged-when-due" }))?;
        }
        Ok(purged)
    }
}
