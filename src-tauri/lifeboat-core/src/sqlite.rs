//! Consistent copies of SQLite databases that other programs may be writing: the
//! protected databases and Lifeboat's own catalog.

use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};

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
