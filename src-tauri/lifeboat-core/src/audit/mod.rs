//! The audit trail: what was changed or done, when, through which front end, by which
//! account of the operating system, and how it ended. Entries are appended to the
//! catalog and never changed; each carries a hash over the previous entry's hash and its
//! own body, so that an edited, removed or inserted entry breaks the chain where it
//! happened. A whole chain rewritten from some entry on stays consistent in itself:
//! only a record of the chain's head kept elsewhere shows that.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

mod export;
pub mod witness;

pub use export::{export, ExportFormat};

/// The kinds of entry this version writes (`kind` stays open text for newer ones).
pub const SETTINGS_CHANGED: &str = "settings-changed";
pub const OPERATION_STARTED: &str = "operation-started";
pub const OPERATION_FINISHED: &str = "operation-finished";
/// An elevation tried: with the right password, or a wrong one.
pub const ELEVATION: &str = "elevation";
/// An action that needs elevation, done or refused.
pub const ELEVATED_ACTION: &str = "elevated-action";
pub const ADMIN_PASSWORD: &str = "admin-password";
/// An object of the vault added, changed, deleted, recovered, purged or restored, or
/// a vault setting changed; never a value.
pub const VAULT_CHANGED: &str = "vault-changed";
/// The installation recovered from a backup; the recovered trail's entries follow it.
pub const RECOVERED: &str = "recovered";

/// The hash the first entry chains to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Which front end an action came through.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FrontEnd {
    Window,
    Cli,
    /// `lifeboat service`: the scheduler without a window.
    Service,
}

/// How an audited action ended (named `AuditOutcome` for the window, beside the
/// operations' `Outcome`; JSON does not show an enum's name).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "AuditOutcome", rename_all = "kebab-case")]
pub enum Outcome {
    /// Started, not yet ended (an operation's first entry).
    Started,
    Succeeded,
    Failed,
    Canceled,
}

crate::names::display_by_name!(FrontEnd, Outcome);

impl FrontEnd {
    pub fn parse(text: &str) -> crate::Result<Self> {
        crate::names::parse_name(text).ok_or_else(|| crate::Error::input(format!("Unknown front end {text:?}: use window, cli or service.")))
    }
}

impl Outcome {
    pub fn parse(text: &str) -> crate::Result<Self> {
        crate::names::parse_name(text).ok_or_else(|| crate::Error::input(format!("Unknown outcome {text:?}: use started, succeeded, failed or canceled.")))
    }
}

/// Who acts through an engine: recorded in every entry it appends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub front_end: FrontEnd,
    pub os_user: String,
}

impl Actor {
    /// The account this process runs as, through `front_end`.
    pub fn current(front_end: FrontEnd) -> Self {
        Actor { front_end, os_user: os_user() }
    }
}

/// The operating system's name for the account this process runs as.
fn os_user() -> String {
    whoami::username().unwrap_or_else(|_| "unknown".into())
}

/// One entry as it is hashed and stored. `kind` is open-ended text so that an older
/// Lifeboat still lists and checks the entries of a newer one.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub kind: String,
    pub front_end: FrontEnd,
    pub os_user: String,
    pub outcome: Outcome,
    /// One line for people.
    pub summary: String,
    /// What changed or what was acted on, never a secret value.
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Unknown))]
    pub details: serde_json::Value,
    /// Set on an entry a recovery brought over from the recovered installation's trail
    /// (the fields above are the original's, `seq` aside).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carried: Option<Carried>,
}

/// Where a carried entry stood in the trail it came from: enough to check that it is
/// that trail's entry unchanged, and to match the heads that trail's backups recorded.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Carried {
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub seq: u64,
    pub hash: String,
    /// The hash of the entry before it there.
    pub previous: String,
}

impl AuditEntry {
    /// The entry as it was in the trail it came from, if it was carried and is that
    /// trail's entry unchanged: its number and hash there.
    pub fn original(&self) -> Option<ChainHead> {
        let carried = self.carried.as_ref()?;
        let original = AuditEntry { seq: carried.seq, carried: None, ..self.clone() };
        let body = serde_json::to_string(&original).ok()?;
        (link(&carried.previous, &body) == carried.hash).then(|| ChainHead { seq: carried.seq, hash: carried.hash.clone() })
    }
}

/// An entry before the catalog numbers it.
pub struct Record {
    pub kind: &'static str,
    pub outcome: Outcome,
    pub summary: String,
    pub details: serde_json::Value,
}

impl Record {
    pub fn new(kind: &'static str, outcome: Outcome, summary: impl Into<String>, details: serde_json::Value) -> Self {
        Record { kind, outcome, summary: summary.into(), details }
    }

    /// A saved settings change; `details` names each field with its old and new value.
    pub fn settings_changed(summary: impl Into<String>, details: serde_json::Value) -> Self {
        Record::new(SETTINGS_CHANGED, Outcome::Succeeded, summary, details)
    }

    pub fn entry(self, seq: u64, at: DateTime<Utc>, actor: &Actor) -> AuditEntry {
        AuditEntry {
            seq,
            at,
            kind: self.kind.into(),
            front_end: actor.front_end,
            os_user: actor.os_user.clone(),
            outcome: self.outcome,
            summary: self.summary,
            details: self.details,
            carried: None,
        }
    }
}

/// The hash of an entry whose body is `body`, following the entry hashed `previous`.
pub fn link(previous: &str, body: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"lifeboat-audit/v1\n");
    hasher.update(previous.as_bytes());
    hasher.update(b"\n");
    hasher.update(body.as_bytes());
    hex::encode(hasher.finalize())
}

/// An entry as stored: its number, its body and its hash.
pub struct StoredEntry {
    pub seq: u64,
    pub body: String,
    pub hash: String,
}

/// Where the chain ends: the last entry's number and hash.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainHead {
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub seq: u64,
    pub hash: String,
}

/// The first place the chain does not hold.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainBreak {
    /// The first entry that does not follow from the ones before it.
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub seq: u64,
    pub problem: String,
}

/// What a check of the whole chain found.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainVerdict {
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub entries: u64,
    pub head: Option<ChainHead>,
    pub broken: Option<ChainBreak>,
}

/// Checks `entries` (in stored order) link by link from the first entry on.
pub fn verify(entries: impl IntoIterator<Item = StoredEntry>) -> ChainVerdict {
    let mut previous = ChainHead { seq: 0, hash: GENESIS.to_owned() };
    let mut count = 0;
    for stored in entries {
        count += 1;
        let expected = previous.seq + 1;
        let problem = if stored.seq > expected {
            Some(if expected + 1 == stored.seq { format!("entry {expected} was removed") } else { format!("entries {expected} to {} were removed", stored.seq - 1) })
        } else if link(&previous.hash, &stored.body) != stored.hash {
            Some(format!("entry {} was changed after it was written (its hash does not follow from its content and the entry before it)", stored.seq))
        } else {
            match serde_json::from_str::<AuditEntry>(&stored.body) {
                Ok(entry) if entry.seq == stored.seq => None,
                Ok(entry) => Some(format!("entry {} says it is entry {}: entries were moved", stored.seq, entry.seq)),
                Err(e) => Some(format!("entry {} cannot be read: {e}", stored.seq)),
            }
        };
        if let Some(problem) = problem {
            let seq = stored.seq.min(expected);
            return ChainVerdict { entries: count, head: (previous.seq > 0).then_some(previous), broken: Some(ChainBreak { seq, problem }) };
        }
        previous = ChainHead { seq: stored.seq, hash: stored.hash };
    }
    ChainVerdict { entries: count, head: (previous.seq > 0).then_some(previous), broken: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: u64) -> Vec<StoredEntry> {
        let actor = Actor { front_end: FrontEnd::Cli, os_user: "ana".into() };
        let at = DateTime::parse_from_rfc3339("2026-12-07T10:00:00Z").unwrap().with_timezone(&Utc);
        let mut previous = GENESIS.to_owned();
        (1..=n)
            .map(|seq| {
                let entry = Record::settings_changed(format!("change {seq}"), serde_json::json!({ "n": seq })).entry(seq, at, &actor);
                let body = serde_json::to_string(&entry).unwrap();
                let hash = link(&previous, &body);
                previous = hash.clone();
                StoredEntry { seq, body, hash }
            })
            .collect()
    }

    fn broken_at(entries: Vec<StoredEntry>) -> Option<(u64, String)> {
        verify(entries).broken.map(|b| (b.seq, b.problem))
    }

    #[test]
    fn an_intact_chain_ends_at_its_last_entry() {
        let entries = chain(5);
        let last = entries[4].hash.clone();
        assert_eq!(verify(entries), ChainVerdict { entries: 5, head: Some(ChainHead { seq: 5, hash: last }), broken: None });
        assert_eq!(verify(Vec::new()), ChainVerdict { entries: 0, head: None, broken: None });
    }

    #[test]
    fn an_edited_entry_is_found_where_it_was_edited() {
        let mut entries = chain(5);
        entries[2].body = entries[2].body.replace("change 3", "change 9");
        let (seq, problem) = broken_at(entries).unwrap();
        assert_eq!(seq, 3);
        assert!(problem.contains("entry 3 was changed"), "{problem}");
    }

    #[test]
    fn an_edit_with_its_hash_recomputed_breaks_the_next_link() {
        let mut entries = chain(5);
        entries[2].body = entries[2].body.replace("change 3", "change 9");
        entries[2].hash = link(&entries[1].hash, &entries[2].body);
        assert_eq!(broken_at(entries).unwrap().0, 4);
    }

    #[test]
    fn removed_entries_are_named() {
        let mut entries = chain(6);
        entries.drain(1..3);
        assert_eq!(broken_at(entries).unwrap(), (2, "entries 2 to 3 were removed".into()));
        let mut entries = chain(3);
        entries.remove(0);
        assert_eq!(broken_at(entries).unwrap(), (1, "entry 1 was removed".into()));
    }

    #[test]
    fn an_inserted_or_moved_entry_breaks_the_chain() {
        let mut entries = chain(4);
        let mut extra = chain(1).remove(0);
        extra.seq = 3;
        entries.insert(2, extra);
        // Those after it renumbered, as whoever inserts it must to keep the numbers whole.
        for e in entries.iter_mut().skip(3) {
            e.seq += 1;
        }
        assert_eq!(broken_at(entries).unwrap().0, 3);
        let mut entries = chain(4);
        entries.swap(1, 2);
        (entries[1].seq, entries[2].seq) = (2, 3);
        assert_eq!(broken_at(entries).unwrap().0, 2);
    }
}
