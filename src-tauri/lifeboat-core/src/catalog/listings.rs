//! The listing cache: what each location held when it was last listed, with what
//! every backup's header says, so status and listings read no header twice.

use chrono::{DateTime, Utc};
use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::Catalog;
use crate::error::Result;
use crate::format::{EncryptionKind, Header};

/// What a backup's plaintext header says, as listings show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeaderSummary {
    pub backup_id: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub installation: String,
    pub installation_id: String,
    pub lifeboat_version: String,
    pub encryption: EncryptionKind,
    /// Thumbprints, key ids, "passphrase" or "none".
    pub recipients: Vec<String>,
}

impl HeaderSummary {
    pub fn of(header: &Header) -> Self {
        HeaderSummary {
            backup_id: header.backup_id.to_string(),
            created_at: header.created_at,
            expires_at: header.expires_at,
            installation: header.installation.name.clone(),
            installation_id: header.installation.id.to_string(),
            lifeboat_version: header.lifeboat_version.clone(),
            encryption: header.encryption,
            recipients: crate::protector::recipient_labels(header),
        }
    }
}

/// A file at a location, with its header or why it could not be read.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedListing {
    pub file_name: String,
    pub size: u64,
    pub header: Option<HeaderSummary>,
    pub problem: Option<String>,
}

impl Catalog {
    /// What `location` held when last listed, sorted by file name (chronological).
    pub fn listings(&self, location: &str) -> Result<Vec<CachedListing>> {
        let mut stmt = self.conn.prepare("SELECT file_name, size, header, problem FROM listings WHERE location = ?1 ORDER BY file_name")?;
        let rows = stmt.query_map([location], |r| {
            let header: Option<String> = r.get(2)?;
            Ok(CachedListing {
                file_name: r.get(0)?,
                size: r.get::<_, i64>(1)? as u64,
                // A summary this version cannot read is read again from the file.
                header: header.and_then(|h| serde_json::from_str(&h).ok()),
                problem: r.get(3)?,
            })
        })?;
        let mut listings: Vec<CachedListing> = rows.collect::<rusqlite::Result<_>>()?;
        listings.retain(|l| l.header.is_some() || l.problem.is_some());
        Ok(listings)
    }

    pub fn put_listing(&self, location: &str, listing: &CachedListing) -> Result<()> {
        let header = listing.header.as_ref().map(|h| serde_json::to_string(h).expect("summaries serialize"));
        self.conn.execute(
            "INSERT INTO listings (location, file_name, size, header, problem) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (location, file_name) DO UPDATE SET size = excluded.size, header = excluded.header, problem = excluded.problem",
            params![location, listing.file_name, listing.size as i64, header, listing.problem],
        )?;
        Ok(())
    }

    pub fn remove_listing(&self, location: &str, file_name: &str) -> Result<()> {
        self.conn.execute("DELETE FROM listings WHERE location = ?1 AND file_name = ?2", params![location, file_name])?;
        Ok(())
    }
}

/// A backup at the location as listings show it: what its header says (no key
/// needed), what this installation knows of it, and what retention decides.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackupListing {
    pub file_name: String,
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub size: u64,
    pub id: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub installation: Option<String>,
    pub installation_id: Option<String>,
    pub lifeboat_version: Option<String>,
    pub encryption: Option<EncryptionKind>,
    /// Thumbprints, key ids, "passphrase" or "none".
    pub recipients: Vec<String>,
    pub expired: bool,
    pub unencrypted: bool,
    /// From the catalog when this installation made it.
    pub status: Option<crate::catalog::BackupStatus>,
    /// Why the header could not be read, for files that are not usable backups.
    pub problem: Option<String>,
    /// Who started the backup, when made here.
    pub trigger: Option<crate::operation::Trigger>,
    /// What retention decides for it and why.
    pub retention: Option<RetentionFate>,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetentionFate {
    /// False: the next sweep deletes it.
    pub keep: bool,
    pub reason: String,
}

impl BackupListing {
    /// A cached listing as of `now`, without what only the catalog's other tables know.
    pub fn of(cached: &CachedListing, now: DateTime<Utc>) -> Self {
        let h = cached.header.as_ref();
        BackupListing {
            file_name: cached.file_name.clone(),
            size: cached.size,
            id: h.map(|h| h.backup_id.clone()),
            created_at: h.map(|h| h.created_at),
            expires_at: h.map(|h| h.expires_at),
            installation: h.map(|h| h.installation.clone()),
            installation_id: h.map(|h| h.installation_id.clone()),
            lifeboat_version: h.map(|h| h.lifeboat_version.clone()),
            encryption: h.map(|h| h.encryption),
            recipients: h.map(|h| h.recipients.clone()).unwrap_or_default(),
            expired: h.is_some_and(|h| h.expires_at <= now),
            unencrypted: h.is_some_and(|h| h.encryption == EncryptionKind::None),
            status: None,
            problem: cached.problem.clone(),
            trigger: None,
            retention: None,
        }
    }
}

/// Backups as retention sees them. Files whose header cannot be read are never
/// deleted by retention, so they are not candidates.
pub fn retention_candidates(
    listings: &[CachedListing],
    installation_id: &str,
    statuses: &std::collections::HashMap<String, crate::catalog::BackupStatus>,
) -> Vec<crate::retention::Candidate> {
    listings
        .iter()
        .filter_map(|l| {
            let h = l.header.as_ref()?;
            Some(crate::retention::Candidate {
                ours: h.installation_id == installation_id,
                good: statuses.get(&h.backup_id) != Some(&crate::catalog::BackupStatus::Damaged),
                id: h.backup_id.clone(),
                file_name: l.file_name.clone(),
                created_at: h.created_at,
            })
        })
        .collect()
}
