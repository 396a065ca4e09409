//! Checking the audit trail (`lifeboat audit verify`, Activity → Verify chain): link
//! by link on this machine, then against the heads this installation's backups at the
//! location recorded, read from each file's header (not from the listing cache,
//! which is on this machine too).

use serde::{Deserialize, Serialize};

use super::list::read_headers;
use crate::audit::witness::{self, Contradiction, Witness};
use crate::audit::{self, ChainVerdict};
use crate::context::Context;
use crate::error::Result;

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditReport {
    pub chain: ChainVerdict,
    /// How many backups at the location recorded a head.
    pub witnesses: u32,
    /// Those the trail does not hold: it was rewritten or cut after they were made.
    pub contradictions: Vec<Contradiction>,
    /// Why the location's backups could not be compared (it did not answer).
    pub location_problem: Option<String>,
}

impl AuditReport {
    /// The trail holds, in itself and against every backup that could be read.
    pub fn holds(&self) -> bool {
        self.chain.broken.is_none() && self.contradictions.is_empty()
    }
}

pub fn verify(ctx: &Context) -> Result<AuditReport> {
    let chain = audit::verify(ctx.catalog().audit_chain()?);
    let vouched = ctx.catalog().vouched()?;
    let (witnesses, location_problem) = match witnesses(ctx) {
        Ok(found) => (found, None),
        Err(e) => (Vec::new(), Some(e.to_string())),
    };
    Ok(AuditReport { chain, witnesses: witnesses.len() as u32, contradictions: witness::contradictions(&vouched, &witnesses), location_problem })
}

/// The heads recorded by this installation's backups at the location; files whose
/// header cannot be read are left to `verify` and the listings to name.
fn witnesses(ctx: &Context) -> Result<Vec<Witness>> {
    let installation = ctx.settings().installation()?.id;
    let target = ctx.target()?;
    let names: Vec<String> = target.list()?.into_iter().map(|f| f.name).collect();
    let mut found = Vec::new();
    for (name, header) in names.iter().zip(read_headers(target.as_ref(), &names)) {
        let Ok(header) = header.map(|h| h.header) else { continue };
        if header.installation.id != installation {
            continue;
        }
        if let Some(head) = witness::recorded(&header) {
            found.push(Witness { backup_id: header.backup_id.to_string(), file_name: name.clone(), created_at: header.created_at, head });
        }
    }
    Ok(found)
}
