//! Consistent copies of SQLite databases that other programs may be writing: the
//! protected databases and Lifeboat's own catalog.

use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};
use rusqlite_migration::{Migrations, M};

use crate::error::{Error, Result};
use crate::progress::Cancel;

/// How long a database may stay locked by another program before the copy gives up
/// (the item is then left out of the backup, with a warning).
const LOCKED_LIMIT: Duration = Duration::from_secs(30);

/// A consistent copy of the database at `source`, made with SQLite's online backup
/// API in one step (under a read transaction), so the copy is a single committed
/// state and never a torn file.
pub fn snapshot_file(source: &Path, dest: &Path, cancel: &Cancel) -> Result<()> {
    let conn = Connection::open_with_flags(source, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(|e| Error::operation(format!("opening the database {}: {e}", source.display())))?;
    snapshot(&conn, dest, cancel).map_err(|e| match e {
        Error::Canceled => Error::Canceled,
        e => Error::operation(format!("copying the database {}: {e}", source.display())),
    })
}

/// A consistent copy of an open database, stored as one self-contained file.
pub fn snapshot(conn: &Connection, dest: &Path, cancel: &Cancel) -> Result<()> {
    // Short waits inside SQLite, so a cancel (or the stall watchdog) is seen between them.
    conn.busy_timeout(Duration::from_millis(100))?;
    let mut out = Connection::open(dest)?;
    {
        let backup = rusqlite::backup::Backup::new(conn, &mut out)?;
        let started = Instant::now();
        loop {
            cancel.check()?;
            match backup.step(-1)? {
                rusqlite::backup::StepResult::Done => break,
                // Busy/Locked: another connection holds a lock we need.
                _ if started.elapsed() < LOCKED_LIMIT => std::thread::sleep(Duration::from_millis(50)),
                _ => return Err(Error::operation(format!("it stayed locked by another program for {} s", LOCKED_LIMIT.as_secs()))),
            }
        }
    }
    // No WAL beside the copy.
    out.pragma_update(None, "journal_mode", "DELETE")?;
    out.close().map_err(|(_, e)| e)?;
    Ok(())
}

/// Brings a catalog or vault database to this version's schema. One whose schema is
/// newer than this version knows (a newer Lifeboat used the data folder) is refused
/// before anything is written, naming the version that can open it; going down would
/// lose what the newer version keeps there.
pub(crate) fn migrate(conn: &mut Connection, migrations: &[M<'static>], what: &str, path: &Path) -> Result<()> {
    let found: usize = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > migrations.len() {
        let by = conn.query_row("SELECT value FROM meta WHERE key = 'migrated_by'", [], |r| r.get::<_, String>(0)).ok();
        return Err(Error::NewerDataFolder {
            what: format!("{what} {}", path.display()),
            used_by: by.map(|v| format!("Lifeboat {v}")).unwrap_or_else(|| "a newer Lifeboat".into()),
        });
    }
    Migrations::from_slice(migrations).to_latest(conn).map_err(|e| Error::operation(format!("upgrading the {what} {}: {e}", path.display())))?;
    if found < migrations.len() {
        conn.execute("INSERT INTO meta (key, value) VALUES ('migrated_by', ?1) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [env!("CARGO_PKG_VERSION")])?;
    }
    Ok(())
}

/// A time stored as RFC 3339 text.
pub(crate) fn time_at(r: &rusqlite::Row, i: usize) -> rusqlite::Result<chrono::DateTime<chrono::Utc>> {
    optional_time_at(r, i)?.ok_or(rusqlite::Error::InvalidColumnType(i, "time".into(), rusqlite::types::Type::Null))
}

pub(crate) fn optional_time_at(r: &rusqlite::Row, i: usize) -> rusqlite::Result<Option<chrono::DateTime<chrono::Utc>>> {
    let text: Option<String> = r.get(i)?;
    text.map(|t| {
        chrono::DateTime::parse_from_rfc3339(&t)
            .map(|t| t.with_timezone(&chrono::Utc))
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e)))
    })
    .transpose()
}

/// An enum stored by its serde name; an unknown name fails the row.
pub(crate) fn named<T: serde::de::DeserializeOwned>(r: &rusqlite::Row, i: usize) -> rusqlite::Result<T> {
    let text: String = r.get(i)?;
    crate::names::parse_name(&text).ok_or_else(|| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, format!("unknown value {text:?}").into()))
}
