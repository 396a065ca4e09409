//! Witnesses of the audit trail kept off the machine. Every encrypted backup's header
//! records the chain's head when the backup was made, in an `audit-head` stanza:
//! readers that do not know the type skip it (format.md, open stanzas), and the header
//! MAC covers it. A program on this machine that rewrites the trail (recomputing every
//! hash) or cuts its end then disagrees with the heads at the location, unless it also
//! rewrites every backup there; `audit verify` compares them.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ChainHead;
use crate::error::Result;
use crate::format::{Header, Stanza};

pub const STANZA_TYPE: &str = "audit-head";

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    seq: u64,
    hash: String,
}

/// The stanza recording `head`.
pub fn stanza(head: &ChainHead) -> Result<Stanza> {
    Stanza::new(STANZA_TYPE, &Body { seq: head.seq, hash: head.hash.clone() })
}

/// The head a backup's header recorded; `None` for a backup without one (unencrypted,
/// made before any entry, or by a Lifeboat before 0.4) or one that does not parse.
pub fn recorded(header: &Header) -> Option<ChainHead> {
    let body: Body = header.recipients.iter().find(|s| s.kind == STANZA_TYPE)?.body().ok()?;
    let well_formed = body.seq > 0 && body.hash.len() == 64 && body.hash.bytes().all(|b| b.is_ascii_hexdigit());
    well_formed.then_some(ChainHead { seq: body.seq, hash: body.hash })
}

/// A backup at the location, with the head its header recorded.
#[derive(Debug, Clone)]
pub struct Witness {
    pub backup_id: String,
    pub file_name: String,
    pub created_at: DateTime<Utc>,
    pub head: ChainHead,
}

/// A backup whose recorded head the local trail does not hold.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contradiction {
    pub backup_id: String,
    pub file_name: String,
    pub created_at: DateTime<Utc>,
    /// The entry the backup recorded as the last one.
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub seq: u64,
    pub problem: String,
}

/// Each witness the trail contradicts. `vouched` holds every (entry number, hash) the
/// local trail vouches for (its own, and where its carried entries stood); the trail
/// ends at the highest number among them.
pub fn contradictions(vouched: &HashSet<(u64, String)>, witnesses: &[Witness]) -> Vec<Contradiction> {
    let last = vouched.iter().map(|(seq, _)| *seq).max().unwrap_or(0);
    witnesses
        .iter()
        .filter(|w| !vouched.contains(&(w.head.seq, w.head.hash.clone())))
        .map(|w| {
            let made = w.created_at.format("%Y-%m-%d %H:%M UTC");
            let problem = if w.head.seq > last {
                format!(
                    "the backup {} (made {made}) recorded entry {} as the last one, but the trail ends at entry {last}: entries were removed from its end",
                    w.backup_id, w.head.seq
                )
            } else {
                format!("the backup {} (made {made}) recorded entry {} differently: the trail was rewritten at or before that entry", w.backup_id, w.head.seq)
            };
            Contradiction { backup_id: w.backup_id.clone(), file_name: w.file_name.clone(), created_at: w.created_at, seq: w.head.seq, problem }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn witness(seq: u64, hash: &str) -> Witness {
        Witness { backup_id: format!("b{seq}"), file_name: format!("b{seq}.lbk"), created_at: DateTime::<Utc>::UNIX_EPOCH, head: ChainHead { seq, hash: hash.repeat(64) } }
    }

    #[test]
    fn heads_the_trail_holds_agree_and_others_say_how_they_differ() {
        let vouched: HashSet<(u64, String)> = [(1, "a".repeat(64)), (2, "b".repeat(64)), (3, "c".repeat(64))].into();
        let found = contradictions(&vouched, &[witness(2, "b"), witness(3, "c"), witness(2, "e"), witness(5, "f")]);
        let said: Vec<(u64, bool)> = found.iter().map(|c| (c.seq, c.problem.contains("removed from its end"))).collect();
        assert_eq!(said, [(2, false), (5, true)]);
        assert!(found[0].problem.contains("recorded entry 2 differently"), "{}", found[0].problem);
    }
}
