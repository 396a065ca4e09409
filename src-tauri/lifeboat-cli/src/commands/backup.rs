//! `lifeboat backup now`.

use clap::Subcommand;
use lifeboat_core::commands::backup::BackupSummary;
use lifeboat_core::engine::Engine;
use lifeboat_core::format::EncryptionKind;
use lifeboat_core::progress::Cancel;
use lifeboat_core::Result;

use super::retention::report as retention_report;
use crate::output::{size, Output};
use crate::progress::CliProgress;

#[derive(Subcommand)]
pub enum BackupCommand {
    /// Back up every protected item now, wait, and print the backup id.
    Now,
}

pub fn run(engine: &Engine, command: BackupCommand, out: &Output, cancel: &Cancel) -> Result<()> {
    match command {
        BackupCommand::Now => {
            let summary = CliProgress::around(out, |progress| engine.backup_now(progress, cancel))?;
            out.value(&summary, || describe(&summary))
        }
    }
}

fn describe(s: &BackupSummary) -> String {
    let mut lines = vec![
        s.id.clone(),
        format!(
            "Backup {} written to {}: {} ({} entries, {} of data), expires {}.",
            s.file_name,
            s.location,
            size(s.size),
            s.entries,
            size(s.bytes),
            s.expires_at.format("%Y-%m-%d %H:%M UTC")
        ),
    ];
    if s.encryption == EncryptionKind::None {
        lines.push("WARNING: this backup is NOT encrypted (empty passphrase).".into());
    }
    if !s.removed_incomplete.is_empty() {
        lines.push(format!("Removed {} incomplete backup file(s) left by an earlier run.", s.removed_incomplete.len()));
    }
    lines.extend(s.warnings.iter().map(|w| format!("WARNING: {w}")));
    if let Some(r) = &s.retention {
        if !r.deleted.is_empty() {
            lines.push(retention_report(r));
        }
    }
    if let Some(e) = &s.retention_error {
        lines.push(format!("WARNING: the retention sweep after this backup did not run: {e}"));
    }
    lines.join("\n")
}
