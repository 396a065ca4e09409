//! Human and JSON output.

use lifeboat_core::catalog::ProtectedItem;
use lifeboat_core::engine::{BackupListing, BackupSummary, EncryptionInfo, LocationInfo, RetentionReport, ScheduleInfo, Status, VerifyOutcome};
use lifeboat_core::events::Event;
use lifeboat_core::operation::OperationView;
use lifeboat_core::retention::{Decision, RetentionPolicy};
use lifeboat_core::protector::CertificateInfo;
use lifeboat_core::restore::RestoreReport;
use lifeboat_core::{Error, ErrorKind, Result};
use serde::Serialize;

pub struct Output {
    json: bool,
}

impl Output {
    pub fn new(json: bool) -> Self {
        Output { json }
    }

    pub fn is_json(&self) -> bool {
        self.json
    }

    /// Prints `value` as JSON, or the human text.
    pub fn value<T: Serialize>(&self, value: &T, human: impl FnOnce() -> String) -> Result<()> {
        if self.json {
            println!("{}", serde_json::to_string_pretty(value).expect("output values serialize"));
        } else {
            println!("{}", human());
        }
        Ok(())
    }

    pub fn error(&self, e: &Error) {
        if self.json {
            let kind = match e.kind() {
                ErrorKind::Input => "input",
                ErrorKind::Operation => "operation",
                ErrorKind::Integrity => "integrity",
                ErrorKind::Busy => "busy",
                ErrorKind::Canceled => "canceled",
            };
            println!(
                "{}",
                serde_json::json!({ "error": { "kind": kind, "code": e.code(), "message": e.to_string(), "hint": e.hint() } })
            );
        }
        eprintln!("error: {e}");
        if let Some(hint) = e.hint() {
            eprintln!("hint: {hint}");
        }
    }
}

pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}

pub fn location(info: &LocationInfo) -> String {
    let free = info.free_bytes.map(|b| format!(", {} free", size(b))).unwrap_or_default();
    let default = if info.is_default { " (default)" } else { "" };
    format!("{}{default}{free}", info.description)
}

pub fn item_list(items: &[ProtectedItem]) -> String {
    if items.is_empty() {
        return "No protected items yet: add one with `lifeboat items add PATH`. \
                (Lifeboat's own configuration is always backed up.)"
            .into();
    }
    let mut lines = vec![format!("{:<24} {:<7} {}", "NAME", "KIND", "PATH")];
    for item in items {
        let excludes = if item.excludes.is_empty() { String::new() } else { format!("  (excluding {})", item.excludes.join(", ")) };
        lines.push(format!("{:<24} {:<7} {}{excludes}", item.name, item.kind.as_str(), item.path.display()));
    }
    lines.join("\n")
}

pub fn encryption(info: &EncryptionInfo) -> String {
    let mut lines = vec![format!("Encryption: {}", info.mode.as_deref().unwrap_or("not set"))];
    for c in &info.certificates {
        lines.push(format!(
            "  certificate {}  {}  RSA-{}  expires {}",
            c.thumbprint,
            c.subject,
            c.key_bits,
            c.not_after.format("%Y-%m-%d")
        ));
    }
    if let Some(id) = &info.key_id {
        lines.push(format!("  key id {id}"));
    }
    lines.extend(info.warnings.iter().map(|w| format!("WARNING: {w}")));
    lines.join("\n")
}

pub fn certificate(info: &CertificateInfo) -> String {
    format!(
        "Thumbprint: {}\nSubject:    {}\nKey:        RSA-{}\nValid:      {} to {}",
        info.thumbprint,
        info.subject,
        info.key_bits,
        info.not_before.format("%Y-%m-%d"),
        info.not_after.format("%Y-%m-%d")
    )
}

pub fn cert_json(info: &CertificateInfo) -> serde_json::Value {
    serde_json::json!({
        "thumbprint": info.thumbprint,
        "subject": info.subject,
        "not_before": info.not_before,
        "not_after": info.not_after,
        "key_bits": info.key_bits,
    })
}

pub fn backup_summary(summary: &BackupSummary) -> String {
    let s = &summary.record;
    let mut lines = vec![
        s.id.clone(),
        format!(
            "Backup {} written to {}: {} ({} entries, {} of data), expires {}.",
            s.file_name,
            s.location,
            size(s.size),
            summary.entries,
            size(summary.bytes),
            s.expires_at.format("%Y-%m-%d %H:%M UTC")
        ),
    ];
    if s.encryption == "none" {
        lines.push("WARNING: this backup is NOT encrypted (empty passphrase).".into());
    }
    if !summary.removed_incomplete.is_empty() {
        lines.push(format!("Removed {} incomplete backup file(s) left by an earlier run.", summary.removed_incomplete.len()));
    }
    lines.extend(s.warnings.iter().map(|w| format!("WARNING: {w}")));
    if let Some(r) = &summary.retention {
        if !r.deleted.is_empty() {
            lines.push(retention_report(r));
        }
    }
    if let Some(e) = &summary.retention_error {
        lines.push(format!("WARNING: the retention sweep after this backup did not run: {e}"));
    }
    lines.join("\n")
}

pub fn backup_list(list: &[BackupListing]) -> String {
    if list.is_empty() {
        return "No backups at this location yet: run `lifeboat backup now`.".into();
    }
    let mut lines = vec![format!("{:<20} {:<36} {:>10}  {:<11} {:<17} {}", "CREATED (UTC)", "ID", "SIZE", "ENCRYPTION", "EXPIRES", "NOTES")];
    for b in list {
        if let Some(problem) = &b.problem {
            lines.push(format!("{:<20} {:<36} {:>10}  UNREADABLE: {problem}", "?", b.file_name, size(b.size)));
            continue;
        }
        let mut notes = Vec::new();
        if b.unencrypted {
            notes.push("UNENCRYPTED".to_owned());
        }
        if b.expired {
            notes.push("EXPIRED".to_owned());
        }
        if b.status.as_deref() == Some("warnings") {
            notes.push("completed with warnings".to_owned());
        }
        if b.encryption.as_deref() == Some("certificate") {
            notes.push(format!("needs {}", b.recipients.join(" or ")));
        }
        lines.push(format!(
            "{:<20} {:<36} {:>10}  {:<11} {:<17} {}",
            b.created_at.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_default(),
            b.id.as_deref().unwrap_or("?"),
            size(b.size),
            b.encryption.as_deref().unwrap_or("?"),
            b.expires_at.map(|t| t.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default(),
            notes.join("; ")
        ));
    }
    lines.join("\n")
}

pub fn verify(v: &VerifyOutcome) -> String {
    match v.method.as_str() {
        "checksum" => format!(
            "Backup {} matches the SHA-256 recorded when it was written. (Give an identity to authenticate every byte.)",
            v.id
        ),
        _ => format!(
            "Backup {} is intact: every byte authenticated ({} entries, {}).",
            v.id,
            v.entries.unwrap_or(0),
            size(v.bytes.unwrap_or(0))
        ),
    }
}

pub fn restore(r: &RestoreReport) -> String {
    let mut lines = vec![format!("Restored {} entries ({}).", r.entries, size(r.bytes))];
    lines.extend(r.restored.iter().map(|p| format!("  {}", p.display())));
    if !r.replaced.is_empty() {
        lines.push("Replaced content was kept as a safety copy:".into());
        lines.extend(r.replaced.iter().map(|x| format!("  {} -> {}", x.path.display(), x.safety_copy.display())));
    }
    lines.join("\n")
}

fn utc(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

pub fn schedule(info: &ScheduleInfo) -> String {
    if info.enabled {
        format!("Automatic backups ON, {}; next backup {}", info.description, utc(&info.next_due))
    } else {
        format!("Automatic backups OFF (schedule kept: {}; the next slot would be {})", info.description, utc(&info.next_due))
    }
}

pub fn policy(p: &RetentionPolicy) -> String {
    format!("delete backups older than {} days or beyond the newest {}; the newest good backup is always kept", p.days, p.max_count)
}

pub fn decisions(policy: &RetentionPolicy, decisions: &[Decision]) -> String {
    if decisions.is_empty() {
        return "No backups at this location yet.".into();
    }
    let deleted = decisions.iter().filter(|d| !d.keep).count();
    let mut lines = vec![format!("With {}: {deleted} of {} backups would be deleted.", self::policy(policy), decisions.len())];
    lines.push(format!("{:<8} {:<20} {:<36} {}", "ACTION", "CREATED (UTC)", "ID", "REASON"));
    for d in decisions {
        lines.push(format!(
            "{:<8} {:<20} {:<36} {}",
            if d.keep { "keep" } else { "DELETE" },
            d.created_at.format("%Y-%m-%d %H:%M:%S"),
            d.id,
            d.reason
        ));
    }
    lines.join("\n")
}

pub fn retention_report(r: &RetentionReport) -> String {
    if r.deleted.is_empty() {
        return format!("Retention deleted nothing; {} backup(s) kept.", r.kept);
    }
    let mut lines = vec![format!("Retention deleted {} backup(s); {} kept:", r.deleted.len(), r.kept)];
    lines.extend(r.deleted.iter().map(|d| format!("  {} {} ({})", utc(&d.created_at), d.id, d.reason)));
    lines.join("\n")
}

fn operation_result(o: &OperationView) -> String {
    match o.status.as_str() {
        "running" => {
            let pct = if o.bytes_total > 0 { format!(" {:.0}%", 100.0 * o.bytes_done as f64 / o.bytes_total as f64) } else { String::new() };
            let eta = o.eta_seconds.map(|s| format!(", {s} s left")).unwrap_or_default();
            format!("running ({}{pct}{eta})", o.phase.as_deref().unwrap_or("starting"))
        }
        "failed" | "skipped" => format!("{}: {}", o.status, o.message.as_deref().unwrap_or("")),
        other => other.to_owned(),
    }
}

pub fn operation_list(list: &[OperationView]) -> String {
    if list.is_empty() {
        return "No operations yet.".into();
    }
    let mut lines = vec![format!("{:<20} {:<36} {:<9} {:<9} {}", "STARTED (UTC)", "ID", "KIND", "TRIGGER", "RESULT")];
    for o in list {
        lines.push(format!(
            "{:<20} {:<36} {:<9} {:<9} {}",
            o.started_at.format("%Y-%m-%d %H:%M:%S"),
            o.id,
            o.kind,
            o.trigger,
            operation_result(o)
        ));
    }
    lines.join("\n")
}

pub fn operation(o: &OperationView) -> String {
    let mut lines = vec![
        format!("Operation {} ({}, {})", o.id, o.kind, o.trigger),
        format!("Status:   {}", operation_result(o)),
        format!("Started:  {}", o.started_at.format("%Y-%m-%d %H:%M:%S UTC")),
    ];
    if let Some(f) = o.finished_at {
        lines.push(format!("Finished: {} ({} s)", f.format("%Y-%m-%d %H:%M:%S UTC"), (f - o.started_at).num_seconds()));
    }
    if o.bytes_total > 0 || o.items_total > 0 {
        lines.push(format!("Progress: {} of {}, {} of {} items", size(o.bytes_done), size(o.bytes_total), o.items_done, o.items_total));
    }
    if let Some(rate) = o.rate {
        lines.push(format!("Rate:     {}/s", size(rate as u64)));
    }
    if let Some(code) = &o.error_code {
        lines.push(format!("Error:    {code}"));
    }
    if let Some(hint) = &o.hint {
        lines.push(format!("Hint:     {hint}"));
    }
    if let Some(id) = &o.backup_id {
        lines.push(format!("Backup:   {id}"));
    }
    lines.join("\n")
}

pub fn status(s: &Status) -> String {
    let mut lines = vec![schedule(&s.schedule)];
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
    match (&s.location, &s.location_problem) {
        (Some(l), _) => lines.push(format!("Location: {}", location(l))),
        (None, Some(p)) => lines.push(format!("Location: UNREACHABLE: {p}")),
        _ => {}
    }
    lines.push(encryption(&s.encryption));
    lines.push(format!("Retention: {}", policy(&s.retention)));
    lines.push(format!("Expiry: new backups can be restored for {} days", s.expiry_days));
    let span = match (s.oldest_backup_at, s.newest_backup_at) {
        (Some(a), Some(b)) => format!(", oldest {}, newest {}", utc(&a), utc(&b)),
        _ => String::new(),
    };
    let expired = if s.expired_backups > 0 { format!(" ({} expired)", s.expired_backups) } else { String::new() };
    lines.push(format!("Backups: {}{expired}{span}", s.backups));
    lines.join("\n")
}

/// One line per event for `lifeboat service` (JSON lines with --json).
pub fn event_line(event: &Event, json: bool) {
    if json {
        println!("{}", serde_json::to_string(event).expect("events serialize"));
        return;
    }
    let text = match event {
        Event::OperationProgress { .. } => return,
        Event::OperationStarted { operation: o } => format!("{} {} started ({})", o.kind, o.id, o.trigger),
        Event::OperationFinished { operation: o } => format!("{} {} ({}) {}", o.kind, o.id, o.trigger, operation_result(o)),
        Event::SlotSkipped { slot, reason } => format!("skipped the slot at {}: {reason}", utc(slot)),
        Event::BackupsMissed { count, first, last } => format!("{count} backup slot(s) missed ({} to {}); one catch-up backup follows", utc(first), utc(last)),
        Event::LocationUnreachable { location, error } => format!("backup location {location} unreachable: {error}"),
        Event::LocationReachable { location } => format!("backup location {location} reachable again"),
        Event::CertificateExpiring { thumbprint, not_after, days_left, .. } => format!("certificate {thumbprint} expires {} ({days_left} days left)", utc(not_after)),
        Event::BackupsDeleted { backups } => format!("retention deleted {} backup(s): {}", backups.len(), backups.iter().map(|b| format!("{} ({})", b.id, b.reason)).collect::<Vec<_>>().join(", ")),
    };
    println!("{} {text}", chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ"));
}
