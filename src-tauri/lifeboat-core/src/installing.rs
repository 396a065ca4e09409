//! Installing a recovered configuration: a recovery replaces two databases, the
//! vault (with its key) and the catalog, and a crash between the two would leave one
//! of each. So the copies to install are first moved to `recovering/` and marked
//! ready (fsync'd); then both are installed and the folder removed. Whoever holds
//! the operation lock next after a crash finishes the installation first, so no
//! operation ever runs with half of a recovery.

use std::fs;
use std::path::{Path, PathBuf};

use crate::context::Context;
use crate::error::{IoContext, Result};
use crate::fsutil;

const FOLDER: &str = "recovering";
const CATALOG: &str = "catalog.db";
const VAULT: &str = "vault.db";
const READY: &str = "ready";

fn folder(ctx: &Context) -> PathBuf {
    ctx.data_dir().join(FOLDER)
}

/// Moves the catalog copy and the vault copy (when the backup carried one) into
/// place for installing, and marks them ready.
pub fn stage(ctx: &Context, catalog: &Path, vault: Option<&Path>) -> Result<()> {
    let dir = folder(ctx);
    if dir.exists() {
        fs::remove_dir_all(&dir).with_path("removing", &dir)?;
    }
    // The vault copy carries its key.
    crate::owner_only::create_dir(&dir).with_path("creating", &dir)?;
    for (from, name) in std::iter::once((catalog, CATALOG)).chain(vault.map(|v| (v, VAULT))) {
        let to = dir.join(name);
        fsutil::rename(from, &to).with_path("moving", &to)?;
        // Flushing needs write access on Windows (a read-only handle is refused there).
        fs::OpenOptions::new().write(true).open(&to).and_then(|f| f.sync_all()).with_path("flushing", &to)?;
    }
    // The mark names this recovery, so that installing it again after a crash adds
    // its audit entries once.
    fsutil::write_atomic(&dir.join(READY), uuid::Uuid::new_v4().simple().to_string().as_bytes(), true)
}

/// Whether a recovery left something in `recovering/` (staged, or being staged).
pub fn pending(ctx: &Context) -> bool {
    folder(ctx).exists()
}

/// Installs a staged recovery, if one is there: the vault, then the catalog (each
/// in one transaction, and each again harmlessly after a crash), then removes the
/// folder. Returns whether there was one. Call with the operation lock held.
pub fn finish(ctx: &Context) -> Result<bool> {
    let dir = folder(ctx);
    if !dir.join(READY).exists() {
        // Staging never completed: the recovery had changed nothing yet.
        if dir.exists() {
            fs::remove_dir_all(&dir).with_path("removing", &dir)?;
        }
        return Ok(false);
    }
    let recovery_id = String::from_utf8_lossy(&fs::read(dir.join(READY)).with_path("reading", &dir.join(READY))?).into_owned();
    let vault = dir.join(VAULT);
    if vault.exists() {
        ctx.vault()?.replace_with(&vault)?;
    }
    ctx.catalog().replace_with(&dir.join(CATALOG), &recovery_id, ctx.actor(), ctx.now())?;
    fs::remove_dir_all(&dir).with_path("removing", &dir)?;
    fsutil::sync_dir(ctx.data_dir())?;
    Ok(true)
}
