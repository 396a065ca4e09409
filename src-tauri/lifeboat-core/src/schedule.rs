//! When automatic backups run: the schedule (every N hours or daily at a UTC time),
//! and the pure decision of what a scheduler wake-up at a given time must do. All
//! times are UTC, so there is no daylight-saving ambiguity.

use chrono::{DateTime, Duration, NaiveTime, Timelike, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{check_range, Error, Result};
use crate::operation::Trigger;

pub const EVERY_HOURS_RANGE: std::ops::RangeInclusive<u32> = 4..=12;

/// A slot this long past is caught up as "missed" rather than run as "scheduled".
pub const GRACE: Duration = Duration::minutes(10);

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "kebab-case")]
pub enum Schedule {
    /// Slots at `anchor + k × hours` (the anchor is when the schedule was set).
    EveryHours {
        hours: u32,
        anchor: DateTime<Utc>,
    },
    DailyAt {
        hour: u32,
        minute: u32,
    },
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule::DailyAt { hour: 1, minute: 0 }
    }
}

impl Schedule {
    pub fn every_hours(hours: u32, anchor: DateTime<Utc>) -> Result<Self> {
        // Whole seconds keep slot arithmetic exact and the display tidy.
        let anchor = anchor.with_nanosecond(0).unwrap_or(anchor);
        Schedule::EveryHours { hours, anchor }.check()
    }

    /// `HH:MM` in UTC, 00:00 to 23:59.
    pub fn daily_at(text: &str) -> Result<Self> {
        let bad = || Error::input(format!("{text:?} is not a time of day: give HH:MM in UTC, from 00:00 to 23:59 (e.g. 01:00)."));
        let (h, m) = text.trim().split_once(':').ok_or_else(bad)?;
        if h.is_empty() || h.len() > 2 || m.len() != 2 {
            return Err(bad());
        }
        let (hour, minute): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if hour > 23 || minute > 59 {
            return Err(bad());
        }
        Ok(Schedule::DailyAt { hour, minute })
    }

    /// Checks a schedule that was not built by the constructors (one read back from
    /// the catalog), so slot arithmetic never meets an impossible hour or period.
    pub fn check(self) -> Result<Self> {
        match self {
            Schedule::EveryHours { hours, .. } => {
                check_range(hours, EVERY_HOURS_RANGE, " hours", |h| format!("Every {h} hours"))?;
            }
            Schedule::DailyAt { hour, minute } if hour > 23 || minute > 59 => {
                return Err(Error::input(format!("{hour:02}:{minute:02} is not a time of day.")));
            }
            Schedule::DailyAt { .. } => {}
        }
        Ok(self)
    }

    pub fn period(&self) -> Duration {
        match self {
            Schedule::EveryHours { hours, .. } => Duration::hours(*hours as i64),
            Schedule::DailyAt { .. } => Duration::days(1),
        }
    }

    /// The first slot strictly after `t`.
    pub fn next_after(&self, t: DateTime<Utc>) -> DateTime<Utc> {
        match *self {
            Schedule::EveryHours { anchor, .. } => {
                let period = self.period().num_seconds();
                let k = (t - anchor).num_seconds().div_euclid(period) + 1;
                anchor + Duration::seconds(k * period)
            }
            Schedule::DailyAt { hour, minute } => {
                let at = NaiveTime::from_hms_opt(hour, minute, 0).expect("schedules are checked when made and when read back");
                let today = t.date_naive().and_time(at).and_utc();
                if today > t {
                    today
                } else {
                    today + Duration::days(1)
                }
            }
        }
    }

    /// The last slot at or before `t`.
    pub fn latest_at_or_before(&self, t: DateTime<Utc>) -> DateTime<Utc> {
        self.next_after(t) - self.period()
    }

    pub fn describe(&self) -> String {
        match self {
            Schedule::EveryHours { hours, anchor } => format!("every {hours} hours (counted from {})", anchor.format("%Y-%m-%d %H:%M UTC")),
            Schedule::DailyAt { hour, minute } => format!("daily at {hour:02}:{minute:02} UTC"),
        }
    }
}

/// What the scheduler remembers between wake-ups (stored in the catalog).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SchedulerState {
    /// The next slot not yet handled.
    pub next_due: DateTime<Utc>,
    /// When a scheduler last looked (or finished running a backup). Slots before it
    /// passed while a scheduler was watching, so they were skipped, not missed.
    pub last_check: Option<DateTime<Utc>>,
    /// Slots were missed and their one catch-up has not run yet (the location was unreachable).
    pub catch_up_pending: bool,
    /// Conditions already announced (e.g. a certificate expiring), so they are not repeated.
    #[serde(default)]
    pub announced: std::collections::BTreeSet<String>,
}

impl SchedulerState {
    pub fn new(schedule: &Schedule, now: DateTime<Utc>) -> Self {
        SchedulerState { next_due: schedule.next_after(now), last_check: None, catch_up_pending: false, announced: Default::default() }
    }
}

/// What one wake-up at `now` decided.
#[derive(Debug, Clone, PartialEq)]
pub struct TickPlan {
    /// The backup to run now, if any.
    pub run: Option<Trigger>,
    /// Slots that passed while a scheduler was busy; they are recorded, not run.
    pub skipped: Vec<DateTime<Utc>>,
    /// Slots missed while nothing ran: (count, first, last).
    pub missed: Option<(u32, DateTime<Utc>, DateTime<Utc>)>,
    pub state: SchedulerState,
}

/// Decides what a scheduler waking at `now` does. Pure: the caller runs the backup,
/// records skips, publishes events and stores the new state.
pub fn plan(schedule: &Schedule, enabled: bool, state: &SchedulerState, now: DateTime<Utc>) -> TickPlan {
    let mut next = state.clone();
    // A clock that jumped backwards: never wait more than one period for the next
    // slot, and do not treat the future as already watched.
    if next.next_due > now + schedule.period() {
        next.next_due = schedule.next_after(now);
    }
    let watched_until = state.last_check.map(|l| l.min(now));
    next.last_check = Some(now);
    let mut out = TickPlan { run: None, skipped: Vec::new(), missed: None, state: next };
    if !enabled {
        // Slots pass without running and without leaving a catch-up behind.
        out.state.catch_up_pending = false;
        if now >= out.state.next_due {
            out.state.next_due = schedule.next_after(now);
        }
        return out;
    }
    if now < out.state.next_due {
        if out.state.catch_up_pending {
            out.run = Some(Trigger::CatchUp);
        }
        return out;
    }
    let first = out.state.next_due;
    let latest = schedule.latest_at_or_before(now);
    out.state.next_due = schedule.next_after(now);
    let watched = |slot: DateTime<Utc>| watched_until.is_some_and(|w| slot <= w);
    let on_time = now - latest <= GRACE && !watched(latest);
    // Every slot before the latest one, and the latest one too when it is late.
    let last_unhandled = if on_time { latest - schedule.period() } else { latest };
    let mut missed = Vec::new();
    let mut slot = first;
    while slot <= last_unhandled {
        if watched(slot) {
            out.skipped.push(slot);
        } else {
            missed.push(slot);
        }
        slot += schedule.period();
    }
    if let (Some(&a), Some(&b)) = (missed.first(), missed.last()) {
        out.missed = Some((missed.len() as u32, a, b));
    }
    out.run = if on_time {
        Some(Trigger::Scheduled)
    } else if !missed.is_empty() || out.state.catch_up_pending {
        Some(Trigger::CatchUp)
    } else {
        None
    };
    out
}
