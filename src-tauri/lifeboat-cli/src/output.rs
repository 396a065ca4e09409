//! Human and JSON output, and what the command line adds to the engine's hints
//! (which command or flag does it).

use lifeboat_core::engine::Engine;
use lifeboat_core::events::Event;
use lifeboat_core::operation::{OperationStatus, OperationView};
use lifeboat_core::{Error, ErrorCode, ErrorKind, Result};
use serde::Serialize;
use std::io::Write as _;

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
            stdout_line(&serde_json::to_string_pretty(value).expect("output values serialize"));
        } else {
            stdout_line(&human());
        }
        Ok(())
    }

    /// Something to know before the result, on stderr (JSON output stays clean).
    pub fn note(&self, text: &str) {
        stderr_line(&format!("note: {text}"));
    }

    pub fn error(&self, e: &Error) {
        let hint = hint(e.code());
        if self.json {
            let kind = match e.kind() {
                ErrorKind::Input => "input",
                ErrorKind::Operation => "operation",
                ErrorKind::Integrity => "integrity",
                ErrorKind::Busy => "busy",
                ErrorKind::Canceled => "canceled",
            };
            stdout_line(&serde_json::json!({ "error": { "kind": kind, "code": e.code(), "message": e.to_string(), "hint": hint } }).to_string());
        }
        stderr_line(&format!("error: {e}"));
        if let Some(hint) = hint {
            stderr_line(&format!("hint: {hint}"));
        }
    }
}

/// Prints a line on stdout. A reader that went away (`lifeboat status | head -1`,
/// `| grep -q`) is not an error of the command's: the rest of its output is dropped,
/// and the work and the exit code are what they would have been.
pub fn stdout_line(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}").and_then(|()| out.flush());
}

/// Prints text as it is (it ends its own lines), as `stdout_line` does.
pub fn stdout_text(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// Prints a line on stderr; as with stdout, a closed stderr is no reason to stop.
pub fn stderr_line(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// The engine's hint for a code, with the command that acts on it.
pub fn hint(code: ErrorCode) -> Option<String> {
    let command = match code {
        ErrorCode::EncryptionNotSet => {
            Some("Set it with `lifeboat encryption set-certificate FILE.cer` (`lifeboat cert create` makes one) or `lifeboat encryption set-passphrase --passphrase-stdin`.")
        }
        ErrorCode::ConfirmationNeeded => Some("Add --yes to confirm."),
        ErrorCode::Stalled => Some("`lifeboat operations set-stall-timeout SECONDS` raises the stall timeout."),
        ErrorCode::Busy => Some("`lifeboat operations cancel ID` cancels it."),
        ErrorCode::FolderNotFound => Some("`lifeboat location create-folder` creates it."),
        ErrorCode::WrongIdentity => Some("Give it with --identity FILE [--password-stdin], --passphrase-stdin or --key-stdin."),
        ErrorCode::ElevationRequired => Some("On a terminal Lifeboat asks for it; scripts add --admin-password-file FILE."),
        _ => None,
    };
    match (code.hint(), command) {
        (Some(general), Some(command)) => Some(format!("{general} {command}")),
        (general, command) => general.or(command).map(String::from),
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
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

pub fn utc(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// An operation's state in a few words: its phase and progress while running.
pub fn operation_result(o: &OperationView) -> String {
    match o.status {
        OperationStatus::Running => {
            let pct = if o.bytes_total > 0 { format!(" {:.0}%", 100.0 * o.bytes_done as f64 / o.bytes_total as f64) } else { String::new() };
            let eta = o.eta_seconds.map(|s| format!(", {s} s left")).unwrap_or_default();
            let phase = o.phase.map(|p| p.to_string()).unwrap_or_else(|| "starting".into());
            format!("running ({phase}{pct}{eta})")
        }
        OperationStatus::Failed | OperationStatus::Skipped => format!("{}: {}", o.status, o.message.as_deref().unwrap_or("")),
        other => other.to_string(),
    }
}

/// One line per event for `lifeboat service` (JSON lines with --json).
pub fn event_line(event: &Event, json: bool) {
    if json {
        stdout_line(&serde_json::to_string(event).expect("events serialize"));
        return;
    }
    let text = match event {
        Event::OperationProgress { .. } | Event::SettingsChanged { .. } | Event::LocationHealthChanged { .. } | Event::BackupAdded { .. } => return,
        Event::OperationStarted { operation: o } => format!("{} {} started ({})", o.kind, o.id, o.trigger),
        Event::OperationFinished { operation: o } => format!("{} {} ({}) {}", o.kind, o.id, o.trigger, operation_result(o)),
        Event::ScheduleChanged { schedule } => format!("next backup {}", utc(&schedule.next_due)),
        Event::SlotSkipped { slot, reason } => format!("skipped the slot at {}: {reason}", utc(slot)),
        Event::BackupDeferred { slot, reason } => format!("the backup due at {} waits: {reason}", utc(slot)),
        Event::BackupsMissed { count, first, last } => format!("{count} backup slot(s) missed ({} to {}); one catch-up backup follows", utc(first), utc(last)),
        Event::LocationUnreachable { location, error } => format!("backup location {location} unreachable: {error}"),
        Event::LocationReachable { location } => format!("backup location {location} reachable again"),
        Event::CertificateExpiring { thumbprint, not_after, days_left, .. } => format!("certificate {thumbprint} expires {} ({days_left} days left)", utc(not_after)),
        Event::BackupsDeleted { backups } => {
            format!("deleted {} backup(s): {}", backups.len(), backups.iter().map(|b| format!("{} ({})", b.id, b.reason)).collect::<Vec<_>>().join(", "))
        }
    };
    stdout_line(&format!("{} {text}", chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ")));
}

/// When the engine gives up on an operation of this process whose work is stuck in a
/// call that never returns (a hung share), report it and exit instead of hanging.
pub fn exit_when_abandoned(engine: &Engine, json: bool) {
    let events = engine.events().subscribe();
    std::thread::spawn(move || {
        for event in events {
            if let Event::OperationFinished { operation } = event {
                if operation.pid == Some(std::process::id()) && operation.error_code == Some(ErrorCode::Stalled) {
                    // Normally the work returns at once and main reports the error.
                    std::thread::sleep(std::time::Duration::from_secs(2));
                    let message = operation.message.unwrap_or_else(|| "The operation stalled".into());
                    if json {
                        stdout_line(&serde_json::json!({ "error": { "kind": "operation", "code": "stalled", "message": message, "hint": hint(ErrorCode::Stalled) } }).to_string());
                    }
                    stderr_line(&format!("error: {message}"));
                    std::process::exit(1);
                }
            }
        }
    });
}
