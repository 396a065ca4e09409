//! `lifeboat audit`: the audit trail, listed and checked.

use clap::Subcommand;
use lifeboat_core::audit::{AuditEntry, ChainVerdict};
use lifeboat_core::catalog::AuditFilter;
use lifeboat_core::engine::Engine;
use lifeboat_core::{Error, Result};

use crate::output::Output;

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Entries, newest first.
    List {
        /// Only entries from this time on (YYYY-MM-DD, UTC, or RFC 3339).
        #[arg(long)]
        since: Option<String>,
        /// Only entries of this kind (settings-changed, operation-started, operation-finished).
        #[arg(long)]
        kind: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Check the chain link by link; fails (exit code 3) naming the first entry that
    /// does not follow from the ones before it.
    Verify,
}

pub fn run(engine: &Engine, command: AuditCommand, out: &Output) -> Result<()> {
    match command {
        AuditCommand::List { since, kind, limit } => {
            let since = since.as_deref().map(super::vault::time).transpose()?;
            let entries = engine.audit_entries(&AuditFilter { since, kind, limit: Some(limit) })?;
            out.value(&entries, || describe_list(&entries))
        }
        AuditCommand::Verify => {
            let verdict = engine.verify_audit()?;
            if let Some(broken) = &verdict.broken {
                return Err(Error::integrity(format!(
                    "The audit trail was changed: {}. Entries before it are intact{}.",
                    broken.problem,
                    verdict.head.as_ref().map(|h| format!(" (up to entry {})", h.seq)).unwrap_or_default()
                )));
            }
            out.value(&verdict, || describe_verdict(&verdict))
        }
    }
}

fn describe_list(entries: &[AuditEntry]) -> String {
    if entries.is_empty() {
        return "No audit entries.".into();
    }
    let mut lines = vec![format!("{:<6} {:<20} {:<8} {:<12} {:<10} {}", "SEQ", "TIME (UTC)", "VIA", "USER", "OUTCOME", "WHAT")];
    for e in entries {
        lines.push(format!("{:<6} {:<20} {:<8} {:<12} {:<10} {}", e.seq, e.at.format("%Y-%m-%d %H:%M:%S"), e.front_end.to_string(), e.os_user, e.outcome.to_string(), e.summary));
    }
    lines.join("\n")
}

fn describe_verdict(verdict: &ChainVerdict) -> String {
    match &verdict.head {
        Some(head) => format!("The audit trail holds: {} entries, each following from the one before; the last is entry {} ({}).", verdict.entries, head.seq, &head.hash[..16]),
        None => "The audit trail is empty.".into(),
    }
}
