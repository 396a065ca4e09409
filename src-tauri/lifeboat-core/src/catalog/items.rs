//! The protected items table.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::Catalog;
use crate::error::{Error, Result};
use crate::items::ProtectedItem;

impl Catalog {
    pub fn items(&self) -> Result<Vec<ProtectedItem>> {
        let mut stmt = self.conn.prepare("SELECT name, kind, path, excludes FROM items ORDER BY id")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?)))?;
        let mut items = Vec::new();
        for row in rows {
            let (name, kind, path, excludes) = row?;
            items.push(ProtectedItem {
                name,
                kind: kind.parse()?,
                path: PathBuf::from(path),
                excludes: serde_json::from_str(&excludes).map_err(|e| Error::operation(format!("the catalog's exclude list is unreadable: {e}")))?,
            });
        }
        Ok(items)
    }

    /// Replaces the whole set of items (within a settings transaction): unchanged
    /// items keep their place and their row.
    pub fn replace_items(&self, items: &[ProtectedItem], now: DateTime<Utc>) -> Result<()> {
        for current in self.items()? {
            if !items.contains(&current) {
                self.conn.execute("DELETE FROM items WHERE name = ?1", [&current.name])?;
            }
        }
        let remaining = self.items()?;
        for item in items.iter().filter(|i| !remaining.contains(i)) {
            let excludes = serde_json::to_string(&item.excludes).expect("strings serialize");
            let path = item.path.to_str().ok_or_else(|| Error::input("The item path is not valid UTF-8."))?;
            self.conn
                .execute(
                    "INSERT INTO items (name, kind, path, excludes, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![item.name, item.kind.as_str(), path, excludes, now.to_rfc3339()],
                )
                .map_err(|e| match e {
                    rusqlite::Error::SqliteFailure(f, _) if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE => {
                        Error::input(format!("An item named {:?} already exists; choose another name.", item.name))
                    }
                    other => other.into(),
                })?;
        }
        Ok(())
    }
}
