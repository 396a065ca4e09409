//! Retention: which backups to keep and which to delete, with a reason for each.
//! A pure function of the backups, the policy and the time, so previews, sweeps and
//! tests all see the same decisions.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{check_range, Result};

pub const DAYS_RANGE: std::ops::RangeInclusive<u32> = 2..=14;
pub const MAX_COUNT_RANGE: std::ops::RangeInclusive<u32> = 1..=1000;

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionPolicy {
    /// Backups older than this many days are deleted.
    pub days: u32,
    /// Backups beyond this many (newest first) are deleted.
    pub max_count: u32,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        RetentionPolicy { days: 7, max_count: 30 }
    }
}

impl RetentionPolicy {
    pub fn new(days: u32, max_count: u32) -> Result<Self> {
        Ok(RetentionPolicy { days: check_days(days)?, max_count: check_max_count(max_count)? })
    }
}

pub fn check_days(days: u32) -> Result<u32> {
    check_range(days, DAYS_RANGE, " days", |d| format!("Retention of {d} day{}", if *d == 1 { "" } else { "s" }))
}

pub fn check_max_count(max_count: u32) -> Result<u32> {
    check_range(max_count, MAX_COUNT_RANGE, " backups", |n| format!("A maximum of {n} backups"))
}

/// A backup at the location, as retention sees it.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: String,
    pub file_name: String,
    pub created_at: DateTime<Utc>,
    /// Published completely and not found damaged by a verify.
    pub good: bool,
    /// Made by this installation; others sharing the location are never touched.
    pub ours: bool,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    pub id: String,
    pub file_name: String,
    pub created_at: DateTime<Utc>,
    pub keep: bool,
    pub reason: String,
}

/// Decisions for every candidate, newest first.
pub fn decide(candidates: &[Candidate], policy: RetentionPolicy, now: DateTime<Utc>) -> Vec<Decision> {
    let mut sorted: Vec<&Candidate> = candidates.iter().collect();
    sorted.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| b.file_name.cmp(&a.file_name)));
    let newest_good = sorted.iter().find(|c| c.ours && c.good).map(|c| c.id.clone());
    let cutoff = now - Duration::days(policy.days as i64);
    let mut rank = 0;
    sorted
        .into_iter()
        .map(|c| {
            let (keep, reason) = if !c.ours {
                (true, "made by another installation".to_owned())
            } else {
                rank += 1;
                if Some(&c.id) == newest_good.as_ref() {
                    (true, "newest good backup".to_owned())
                } else if rank > policy.max_count {
                    (false, format!("beyond {} backup{}", policy.max_count, if policy.max_count == 1 { "" } else { "s" }))
                } else if c.created_at < cutoff {
                    (false, format!("older than {} days", policy.days))
                } else if !c.good {
                    (true, format!("within {} days (damaged)", policy.days))
                } else {
                    (true, format!("within {} days", policy.days))
                }
            };
            Decision { id: c.id.clone(), file_name: c.file_name.clone(), created_at: c.created_at, keep, reason }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-03-20T12:00:00Z".parse().unwrap()
    }

    /// Backups `ages` hours old, all good and ours unless marked: "d" damaged, "f" foreign.
    fn backups(spec: &[(i64, &str)]) -> Vec<Candidate> {
        spec.iter()
            .enumerate()
            .map(|(i, (hours, flags))| Candidate {
                id: format!("b{i:02}"),
                file_name: format!("backup-{i:02}.lbk"),
                created_at: now() - Duration::hours(*hours),
                good: !flags.contains('d'),
                ours: !flags.contains('f'),
            })
            .collect()
    }

    fn daily(count: i64) -> Vec<(i64, &'static str)> {
        (0..count).map(|d| (d * 24 + 1, "")).collect()
    }

    fn render(decisions: &[Decision]) -> String {
        decisions
            .iter()
            .map(|d| {
                let age = now() - d.created_at;
                format!("{} {:>3}d{:02}h {:6} {}", d.id, age.num_days(), age.num_hours() % 24, if d.keep { "keep" } else { "DELETE" }, d.reason)
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn run(spec: &[(i64, &str)], days: u32, max_count: u32) -> String {
        render(&decide(&backups(spec), RetentionPolicy::new(days, max_count).unwrap(), now()))
    }

    #[test]
    fn nothing_to_decide() {
        insta::assert_snapshot!(run(&[], 7, 30), @"");
    }

    #[test]
    fn default_policy_two_weeks_of_daily_backups() {
        insta::assert_snapshot!(run(&daily(14), 7, 30));
    }

    #[test]
    fn exactly_at_the_cutoff_is_kept() {
        insta::assert_snapshot!(run(&[(0, ""), (7 * 24, ""), (7 * 24 + 1, "")], 7, 30));
    }

    #[test]
    fn count_limit_before_age() {
        insta::assert_snapshot!(run(&(0..8).map(|h| (h * 4, "")).collect::<Vec<_>>(), 7, 5));
    }

    #[test]
    fn all_recent_backups_failed_keeps_the_newest_good_one() {
        // No backup for ten days (every run failed before publishing), older ones remain.
        insta::assert_snapshot!(run(&[(10 * 24, ""), (11 * 24, ""), (12 * 24, "")], 7, 30));
    }

    #[test]
    fn newest_backups_damaged_keeps_an_older_good_one() {
        insta::assert_snapshot!(run(&[(1, "d"), (25, "d"), (9 * 24, ""), (10 * 24, "")], 7, 30));
    }

    #[test]
    fn every_backup_damaged() {
        insta::assert_snapshot!(run(&[(1, "d"), (9 * 24, "d")], 7, 30));
    }

    #[test]
    fn retention_reduced_from_14_to_2_days() {
        let spec = daily(14);
        let before = run(&spec, 14, 30);
        let after = run(&spec, 2, 30);
        insta::assert_snapshot!(format!("14 days:\n{before}\n\n2 days:\n{after}"));
    }

    #[test]
    fn max_count_one_keeps_only_the_newest() {
        insta::assert_snapshot!(run(&[(1, ""), (2, ""), (3, "")], 7, 1));
    }

    #[test]
    fn newest_good_beyond_the_count_is_kept() {
        insta::assert_snapshot!(run(&[(1, "d"), (2, "d"), (3, ""), (4, "")], 7, 2));
    }

    #[test]
    fn other_installations_are_never_touched_or_counted() {
        insta::assert_snapshot!(run(&[(1, ""), (2, "f"), (3, ""), (20 * 24, "f"), (20 * 24, "")], 7, 2));
    }

    #[test]
    fn future_dated_backups_from_a_clock_that_jumped_back() {
        insta::assert_snapshot!(run(&[(-48, ""), (1, ""), (9 * 24, "")], 7, 30));
    }

    #[test]
    fn out_of_range_settings_are_refused_with_the_range() {
        let e = RetentionPolicy::new(1, 30).unwrap_err().to_string();
        assert!(e.contains("choose 2 to 14 days"), "{e}");
        let e = RetentionPolicy::new(15, 30).unwrap_err().to_string();
        assert!(e.contains("choose 2 to 14 days"), "{e}");
        let e = RetentionPolicy::new(7, 0).unwrap_err().to_string();
        assert!(e.contains("choose 1 to 1000 backups"), "{e}");
    }
}
