//! `lifeboat retention`: which backups are kept, previewed before it deletes.

use clap::{Args, Subcommand};
use lifeboat_core::commands::retention::{Retention, RetentionReport};
use lifeboat_core::engine::Engine;
use lifeboat_core::progress::Cancel;
use lifeboat_core::retention::{Decision, RetentionPolicy};
use lifeboat_core::Result;

use crate::output::{utc, Output};
use crate::progress::CliProgress;

#[derive(Args)]
pub struct RetentionArgs {
    /// Delete backups older than N days (2 to 14; default: the current setting).
    #[arg(long, value_name = "N")]
    days: Option<u32>,
    /// Delete backups beyond the newest M (1 to 1000; default: the current setting).
    #[arg(long, value_name = "M")]
    max_count: Option<u32>,
}

#[derive(Subcommand)]
pub enum RetentionCommand {
    /// Save a retention policy; asks for --yes when it would delete backups.
    Set {
        #[command(flatten)]
        policy: RetentionArgs,
        /// Confirm deleting the backups the new policy no longer keeps (they are deleted now).
        #[arg(long)]
        yes: bool,
    },
    /// Show what a policy would keep and delete, and why, without changing anything.
    Preview {
        #[command(flatten)]
        policy: RetentionArgs,
    },
    /// Apply the current policy now.
    Run,
    Show,
}

pub fn run(engine: &Engine, command: RetentionCommand, out: &Output, cancel: &Cancel) -> Result<()> {
    let policy = |args: &RetentionArgs| -> Result<RetentionPolicy> {
        let current = engine.settings()?.retention;
        RetentionPolicy::new(args.days.unwrap_or(current.days), args.max_count.unwrap_or(current.max_count))
    };
    match command {
        RetentionCommand::Set { policy: args, yes } => {
            let policy = policy(&args)?;
            let applied = engine.change_settings(
                |d| {
                    d.retention_days = policy.days;
                    d.max_count = policy.max_count;
                },
                yes,
            )?;
            let report = if applied.deletions.is_empty() { None } else { Some(CliProgress::around(out, |progress| engine.run(Retention, progress, cancel))?) };
            let json = serde_json::json!({ "retention": policy, "deleted": report.as_ref().map(|r| &r.deleted) });
            out.value(&json, || {
                let mut text = format!("Retention: {}.", describe_policy(&policy));
                if let Some(r) = &report {
                    text.push('\n');
                    text.push_str(&self::report(r));
                }
                text
            })
        }
        RetentionCommand::Preview { policy: args } => {
            let policy = policy(&args)?;
            let decisions = engine.preview_retention(policy)?;
            out.value(&decisions, || describe_decisions(&policy, &decisions))
        }
        RetentionCommand::Run => {
            let report = CliProgress::around(out, |progress| engine.run(Retention, progress, cancel))?;
            out.value(&report, || self::report(&report))
        }
        RetentionCommand::Show => {
            let policy = engine.settings()?.retention;
            out.value(&policy, || format!("Retention: {}.", describe_policy(&policy)))
        }
    }
}

pub fn describe_policy(p: &RetentionPolicy) -> String {
    format!("delete backups older than {} days or beyond the newest {}; the newest good backup is always kept", p.days, p.max_count)
}

fn describe_decisions(policy: &RetentionPolicy, decisions: &[Decision]) -> String {
    if decisions.is_empty() {
        return "No backups at this location yet.".into();
    }
    let deleted = decisions.iter().filter(|d| !d.keep).count();
    let mut lines = vec![format!("With {}: {deleted} of {} backups would be deleted.", describe_policy(policy), decisions.len())];
    lines.push(format!("{:<8} {:<20} {:<36} {}", "ACTION", "CREATED (UTC)", "ID", "REASON"));
    for d in decisions {
        lines.push(format!("{:<8} {:<20} {:<36} {}", if d.keep { "keep" } else { "DELETE" }, d.created_at.format("%Y-%m-%d %H:%M:%S"), d.id, d.reason));
    }
    lines.join("\n")
}

pub fn report(r: &RetentionReport) -> String {
    if r.deleted.is_empty() {
        return format!("Retention deleted nothing; {} backup(s) kept.", r.kept);
    }
    let mut lines = vec![format!("Retention deleted {} backup(s); {} kept:", r.deleted.len(), r.kept)];
    lines.extend(r.deleted.iter().map(|d| format!("  {} {} ({})", utc(&d.created_at), d.id, d.reason)));
    lines.join("\n")
}
