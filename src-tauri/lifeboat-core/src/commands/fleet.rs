//! The fleet: every installation that keeps backups at the location, built from the
//! backups' headers alone (no key, no server of our own). In object storage each
//! installation has a folder of its own, listed one call each; in a folder or on a
//! share, the headers say who made each file. Headers are read once and cached, like
//! the location's own listing.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::list::refresh_as;
use crate::catalog::CachedListing;
use crate::context::Context;
use crate::error::Result;

/// How many of the newest backups tell an installation's rhythm.
const RHYTHM_SAMPLE: usize = 10;

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FleetStatus {
    /// The location, as this installation describes it.
    pub location: String,
    pub checked_at: DateTime<Utc>,
    pub members: Vec<FleetMember>,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FleetMember {
    pub installation_id: String,
    /// As its newest backup names it.
    pub name: String,
    pub this_installation: bool,
    pub backups: u32,
    pub last_backup_at: Option<DateTime<Utc>>,
    pub last_backup_id: Option<String>,
    /// Lifeboat version of its newest backup.
    pub lifeboat_version: Option<String>,
    /// Files of its folder whose header cannot be read.
    pub unreadable: u32,
    /// How often it backs up: this installation's schedule, or for the others the
    /// median gap between their newest backups (daily when too few to tell).
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub expected_every_hours: f64,
    /// No backup within twice that.
    pub stale: bool,
}

pub fn status(ctx: &Context) -> Result<FleetStatus> {
    let target = ctx.target()?;
    let location = target.describe();
    let own = ctx.settings().installation()?.id.to_string();
    let now = ctx.now();
    let own_period = ctx.settings().schedule()?.period();
    let mut by_installation: BTreeMap<String, Vec<CachedListing>> = BTreeMap::new();
    let mut unreadable: BTreeMap<String, u32> = BTreeMap::new();
    let installations = target.installations()?;
    if installations.is_empty() {
        for listing in refresh_as(ctx, target.as_ref(), &location)? {
            match &listing.header {
                Some(h) => by_installation.entry(h.installation_id.clone()).or_default().push(listing),
                None => *unreadable.entry(String::new()).or_default() += 1,
            }
        }
    } else {
        for id in installations.iter().filter(|id| **id != own).chain(std::iter::once(&own)) {
            let folder = if *id == own { None } else { Some(target.of_installation(id)?) };
            let (scoped, key) = match &folder {
                Some(t) => (t.as_ref(), t.describe()),
                None => (target.as_ref(), location.clone()),
            };
            for listing in refresh_as(ctx, scoped, &key)? {
                match listing.header {
                    Some(_) => by_installation.entry(id.clone()).or_default().push(listing),
                    None => *unreadable.entry(id.clone()).or_default() += 1,
                }
            }
        }
    }
    let mut members: Vec<FleetMember> = by_installation
        .into_iter()
        .map(|(id, listings)| {
            let period = if id == own { own_period } else { rhythm(&listings) };
            member(&id, &listings, id == own, period, unreadable.get(&id).copied().unwrap_or(0), now)
        })
        .collect();
    members.sort_by(|a, b| (!a.this_installation, &a.name, &a.installation_id).cmp(&(!b.this_installation, &b.name, &b.installation_id)));
    Ok(FleetStatus { location, checked_at: now, members })
}

fn member(id: &str, listings: &[CachedListing], this_installation: bool, period: Duration, unreadable: u32, now: DateTime<Utc>) -> FleetMember {
    let newest = listings.iter().filter_map(|l| l.header.as_ref()).max_by_key(|h| h.created_at);
    let last_backup_at = newest.map(|h| h.created_at);
    FleetMember {
        installation_id: id.to_owned(),
        name: newest.map(|h| h.installation.clone()).unwrap_or_default(),
        this_installation,
        backups: listings.len() as u32,
        last_backup_at,
        last_backup_id: newest.map(|h| h.backup_id.clone()),
        lifeboat_version: newest.map(|h| h.lifeboat_version.clone()),
        unreadable,
        expected_every_hours: period.num_minutes() as f64 / 60.0,
        stale: last_backup_at.is_none_or(|at| now - at > period * 2),
    }
}

/// The median gap between the newest backups, or a day when there are too few.
fn rhythm(listings: &[CachedListing]) -> Duration {
    let mut times: Vec<DateTime<Utc>> = listings.iter().filter_map(|l| l.header.as_ref().map(|h| h.created_at)).collect();
    times.sort_unstable_by(|a, b| b.cmp(a));
    times.truncate(RHYTHM_SAMPLE);
    let mut gaps: Vec<Duration> = times.windows(2).map(|w| w[0] - w[1]).filter(|gap| *gap > Duration::zero()).collect();
    if gaps.len() < 2 {
        return Duration::days(1);
    }
    gaps.sort_unstable();
    gaps[gaps.len() / 2]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::HeaderSummary;
    use crate::format::EncryptionKind;

    fn listing(at: DateTime<Utc>) -> CachedListing {
        let header = HeaderSummary {
            backup_id: at.timestamp().to_string(),
            created_at: at,
            expires_at: at + Duration::days(30),
            installation: "ws".into(),
            installation_id: "i".into(),
            lifeboat_version: "0.2.0".into(),
            encryption: EncryptionKind::Passphrase,
            recipients: vec![],
        };
        CachedListing { file_name: format!("{}.lbk", at.timestamp()), size: 1, header: Some(header), problem: None }
    }

    #[test]
    fn the_rhythm_is_the_median_gap_and_staleness_is_twice_it() {
        let t0 = DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z").unwrap().with_timezone(&Utc);
        // Every 8 hours, with one manual backup in between.
        let mut listings: Vec<CachedListing> = (0..6).map(|i| listing(t0 + Duration::hours(8 * i))).collect();
        listings.push(listing(t0 + Duration::hours(17)));
        assert_eq!(rhythm(&listings), Duration::hours(8));
        let last = t0 + Duration::hours(40);
        let fresh = member("i", &listings, false, Duration::hours(8), 0, last + Duration::hours(16));
        assert!(!fresh.stale && fresh.expected_every_hours == 8.0 && fresh.backups == 7);
        assert!(member("i", &listings, false, Duration::hours(8), 0, last + Duration::hours(16) + Duration::minutes(1)).stale);
        assert_eq!(rhythm(&listings[..2]), Duration::days(1), "too few backups to tell");
    }
}
