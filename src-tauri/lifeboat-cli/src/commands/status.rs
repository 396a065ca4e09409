//! `lifeboat status`: what the catalog knows; nothing is sent to the location.

use lifeboat_core::commands::status::Status;
use lifeboat_core::engine::Engine;
use lifeboat_core::Result;

use super::{encryption, location, retention, schedule};
use crate::output::{operation_result, utc, Output};

pub fn run(engine: &Engine, out: &Output) -> Result<()> {
    let status = engine.status()?;
    out.value(&status, || describe(&status))
}

fn describe(s: &Status) -> String {
    let mut lines = vec![schedule::describe(&s.settings.schedule)];
    match &s.last_backup {
        Some(o) => lines.push(format!("Last backup: {} ({}), {}", o.started_at.format("%Y-%m-%d %H:%M UTC"), o.trigger, operation_result(o))),
        None => lines.push("Last backup: none yet".into()),
    }
    if let Some(t) = s.last_successful_backup_at {
        lines.push(format!("Last successful backup: {}", utc(&t)));
    }
    if let Some(o) = &s.running {
        lines.push(format!("Running now: {} {} {}", o.kind, o.id, operation_result(o)));
    }
    let default = if s.settings.location.is_default { " (default)" } else { "" };
    lines.push(format!("Location: {}{default}: {}", s.settings.location.description, location::health(&s.health)));
    lines.push(encryption::describe(&s.settings.encryption));
    lines.push(format!("Retention: {}", retention::describe_policy(&s.settings.retention)));
    lines.push(format!("Expiry: new backups can be restored for {} days", s.settings.expiry_days));
    let span = match (s.oldest_backup_at, s.newest_backup_at) {
        (Some(a), Some(b)) => format!(", oldest {}, newest {}", utc(&a), utc(&b)),
        _ => String::new(),
    };
    let expired = if s.expired_backups > 0 { format!(" ({} expired)", s.expired_backups) } else { String::new() };
    lines.push(format!("Backups: {}{expired}{span} (as last listed)", s.backups));
    lines.join("\n")
}
