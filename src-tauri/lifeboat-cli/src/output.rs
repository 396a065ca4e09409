//! Human and JSON output.

use lifeboat_core::catalog::ProtectedItem;
use lifeboat_core::engine::{BackupListing, BackupSummary, EncryptionInfo, LocationInfo, VerifyOutcome};
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
            println!("{}", serde_json::json!({ "error": { "kind": kind, "message": e.to_string() } }));
        }
        eprintln!("error: {e}");
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
