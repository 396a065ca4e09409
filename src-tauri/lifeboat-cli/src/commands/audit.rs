//! `lifeboat audit`: the audit trail, listed and checked.

use clap::Subcommand;
use lifeboat_core::audit::{self, AuditEntry, ExportFormat, FrontEnd, Outcome};
use lifeboat_core::catalog::AuditFilter;
use lifeboat_core::commands::audit::AuditReport;
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
        /// Only entries before this time (YYYY-MM-DD, UTC, or RFC 3339).
        #[arg(long)]
        until: Option<String>,
        /// Only entries of this kind (settings-changed, operation-started, operation-finished,
        /// elevation, elevated-action, admin-password, vault-changed).
        #[arg(long)]
        kind: Option<String>,
        /// Only entries made through this front end (window, cli, service).
        #[arg(long, value_name = "FRONT_END")]
        front_end: Option<String>,
        /// Only entries with this outcome (started, succeeded, failed, canceled).
        #[arg(long)]
        outcome: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Print CSV (one row per entry, details as JSON in the last column).
        #[arg(long)]
        csv: bool,
    },
    /// Check the chain link by link; fails (exit code 3) naming the first entry that
    /// does not follow from the ones before it.
    Verify,
}

pub fn run(engine: &Engine, command: AuditCommand, out: &Output) -> Result<()> {
    match command {
        AuditCommand::List { since, until, kind, front_end, outcome, limit, csv } => {
            if csv && out.is_json() {
                return Err(Error::input("Choose one of --csv and --json."));
            }
            let filter = AuditFilter {
                since: since.as_deref().map(super::vault::time).transpose()?,
                until: until.as_deref().map(super::vault::time).transpose()?,
                kind,
                front_end: front_end.as_deref().map(FrontEnd::parse).transpose()?,
                outcome: outcome.as_deref().map(Outcome::parse).transpose()?,
                limit: Some(limit),
            };
            let entries = engine.audit_entries(&filter)?;
            if csv {
                crate::output::stdout_text(&audit::export(&entries, ExportFormat::Csv));
                return Ok(());
            }
            out.value(&entries, || describe_list(&entries))
        }
        AuditCommand::Verify => {
            let report = engine.verify_audit()?;
            let verdict = &report.chain;
            if let Some(broken) = &verdict.broken {
                return Err(Error::integrity(format!(
                    "The audit trail was changed: {}. Entries before it are intact{}.",
                    broken.problem,
                    verdict.head.as_ref().map(|h| format!(" (up to entry {})", h.seq)).unwrap_or_default()
                )));
            }
            if let Some(first) = report.contradictions.first() {
                let more = match report.contradictions.len() {
                    1 => String::new(),
                    n => format!(" ({} more backups disagree)", n - 1),
                };
                return Err(Error::integrity(format!("The audit trail does not match the backups at the location: {}{more}.", first.problem)));
            }
            out.value(&report, || describe_report(&report))
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

fn describe_report(report: &AuditReport) -> String {
    let chain = match &report.chain.head {
        Some(head) => {
            format!("The audit trail holds: {} entries, each following from the one before; the last is entry {} ({}).", report.chain.entries, head.seq, &head.hash[..16])
        }
        None => "The audit trail is empty.".into(),
    };
    let location = match &report.location_problem {
        Some(problem) => format!("The backups at the location could not be compared: {problem}"),
        None if report.witnesses == 0 => "No backup at the location has recorded a head of the trail yet.".into(),
        None => format!("{} backup(s) at the location recorded a head of the trail; it holds every one.", report.witnesses),
    };
    format!("{chain}\n{location}")
}
