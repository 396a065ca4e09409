//! The audit trail written out for people and other tools: CSV (RFC 4180, formulas
//! defused for spreadsheets) or JSON, from the Activity blade and `audit list --csv`.

use serde::{Deserialize, Serialize};

use super::AuditEntry;

/// How an export writes entries.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExportFormat {
    /// One row per entry; `details` as JSON in the last column.
    Csv,
    /// An array of the entries as listed.
    Json,
}

/// `entries` as an export file's text.
pub fn export(entries: &[AuditEntry], format: ExportFormat) -> String {
    match format {
        ExportFormat::Json => serde_json::to_string_pretty(entries).expect("audit entries serialize"),
        ExportFormat::Csv => {
            let mut out = String::from("seq,time_utc,kind,front_end,os_user,outcome,summary,details\r\n");
            for e in entries {
                let fields = [
                    e.seq.to_string(),
                    e.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    e.kind.clone(),
                    e.front_end.to_string(),
                    e.os_user.clone(),
                    e.outcome.to_string(),
                    e.summary.clone(),
                    e.details.to_string(),
                ];
                out.push_str(&fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
                out.push_str("\r\n");
            }
            out
        }
    }
}

/// A CSV field (RFC 4180): quoted when it holds a comma, quote or line break. A field
/// that a spreadsheet would run as a formula gets a leading apostrophe.
fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) { format!("'{text}") } else { text.to_owned() };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;
    use crate::audit::{Actor, FrontEnd, Outcome, Record, ELEVATED_ACTION};

    #[test]
    fn exports_quote_what_csv_needs_and_defuse_formulas() {
        let actor = Actor { front_end: FrontEnd::Window, os_user: "ana".into() };
        let at = DateTime::parse_from_rfc3339("2026-12-07T10:00:00Z").unwrap().with_timezone(&Utc);
        let entries = [
            Record::settings_changed("Settings changed: retention, expiry", serde_json::json!({ "a": "say \"hi\"" })).entry(1, at, &actor),
            Record::new(ELEVATED_ACTION, Outcome::Failed, "=HYPERLINK(\"x\")", serde_json::json!({})).entry(2, at, &actor),
        ];
        let csv = export(&entries, ExportFormat::Csv);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines[0], "seq,time_utc,kind,front_end,os_user,outcome,summary,details");
        assert_eq!(lines[1], r#"1,2026-12-07T10:00:00Z,settings-changed,window,ana,succeeded,"Settings changed: retention, expiry","{""a"":""say \""hi\""""}""#);
        assert_eq!(lines[2], r#"2,2026-12-07T10:00:00Z,elevated-action,window,ana,failed,"'=HYPERLINK(""x"")",{}"#);
        let json: Vec<AuditEntry> = serde_json::from_str(&export(&entries, ExportFormat::Json)).unwrap();
        assert_eq!(json, entries);
    }
}
