//! The Configuration blade's schedule, retention and expiry fields. The window sends
//! the whole draft as the user types; the engine's own checks say what is wrong with
//! each field, so the rules live in one place. Nothing is saved until OK.

use lifeboat_core::engine::{Engine, Status};
use lifeboat_core::retention::{self, Decision, RetentionPolicy};
use lifeboat_core::schedule::Schedule;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize, specta::Type)]
pub struct SettingsDraft {
    /// "every-hours" or "daily-at"
    pub mode: String,
    pub every_hours: u32,
    /// HH:MM, UTC
    pub daily_at: String,
    pub retention_days: u32,
    pub max_count: u32,
    pub expiry_days: u32,
    /// The local folder backups are written to.
    pub location: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

pub struct Checked {
    /// A new location, when the draft changes it.
    pub location: Option<std::path::PathBuf>,
    pub schedule: Schedule,
    pub retention: RetentionPolicy,
    pub expiry_days: u32,
}

/// The draft as the engine will store it, or every field's problem.
pub fn check(engine: &Engine, draft: &SettingsDraft) -> Result<Checked, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let mut note = |field: &str, e: lifeboat_core::Error| problems.push(FieldProblem { field: field.into(), message: e.to_string() });
    let current = engine.schedule().ok();
    let schedule = match draft.mode.as_str() {
        // An unchanged every-N-hours schedule keeps its anchor, so saving other
        // fields does not move the next backup.
        "every-hours" => match current {
            Some(s @ Schedule::EveryHours { hours, .. }) if hours == draft.every_hours => Some(s),
            _ => Schedule::every_hours(draft.every_hours, engine.now()).map_err(|e| note("every_hours", e)).ok(),
        },
        "daily-at" => Schedule::daily_at(&draft.daily_at).map_err(|e| note("daily_at", e)).ok(),
        other => {
            note("mode", lifeboat_core::Error::input(format!("Unknown schedule mode {other:?}.")));
            None
        }
    };
    let days = retention::check_days(draft.retention_days).map_err(|e| note("retention_days", e)).ok();
    let max_count = retention::check_max_count(draft.max_count).map_err(|e| note("max_count", e)).ok();
    let expiry = lifeboat_core::engine::check_expiry_days(draft.expiry_days).map_err(|e| note("expiry_days", e)).ok();
    let current_location = engine.location().map(|l| l.path.to_string_lossy().into_owned()).unwrap_or_default();
    let location = if draft.location == current_location {
        Some(None)
    } else {
        check_folder(&draft.location).map(Some).map_err(|e| note("location", e)).ok()
    };
    match (schedule, days, max_count, expiry, location) {
        (Some(schedule), Some(days), Some(max_count), Some(expiry_days), Some(location)) => {
            Ok(Checked { location, schedule, retention: RetentionPolicy { days, max_count }, expiry_days })
        }
        _ => Err(problems),
    }
}

/// A folder path the user typed or picked: absolute, and not a file. It need not
/// exist yet (saving creates it and checks it can be written).
fn check_folder(text: &str) -> lifeboat_core::Result<std::path::PathBuf> {
    let path = std::path::PathBuf::from(text.trim());
    if text.trim().is_empty() || !path.is_absolute() {
        return Err(lifeboat_core::Error::input("Give the full path of a folder, like /srv/backups."));
    }
    if path.exists() && !path.is_dir() {
        return Err(lifeboat_core::Error::input(format!("{} is a file, not a folder.", path.display())));
    }
    Ok(path)
}

/// What OK would do: the backups the draft's retention deletes (empty when none).
pub fn deletions(engine: &Engine, checked: &Checked) -> lifeboat_core::Result<Vec<Decision>> {
    Ok(engine.preview_retention(checked.retention)?.into_iter().filter(|d| !d.keep).collect())
}

/// Saves the draft; a retention that deletes backups needs `confirmed`.
pub fn save(engine: &Engine, checked: Checked, confirmed: bool) -> lifeboat_core::Result<Status> {
    // Retention first: its confirmation is about the backups the window previewed,
    // which are those at the current location.
    engine.set_retention(checked.retention, confirmed)?;
    if let Some(folder) = &checked.location {
        engine.set_local_location(folder)?;
    }
    if engine.schedule()? != checked.schedule {
        engine.set_schedule(checked.schedule)?;
    }
    engine.set_expiry_days(checked.expiry_days)?;
    engine.status()
}

pub fn draft_of(status: &Status) -> SettingsDraft {
    let (mode, every_hours, daily_at) = match status.schedule.schedule {
        Schedule::EveryHours { hours, .. } => ("every-hours", hours, "01:00".to_owned()),
        Schedule::DailyAt { hour, minute } => ("daily-at", 12, format!("{hour:02}:{minute:02}")),
    };
    SettingsDraft {
        mode: mode.into(),
        every_hours,
        daily_at,
        retention_days: status.retention.days,
        max_count: status.retention.max_count,
        expiry_days: status.expiry_days,
        location: status.location.as_ref().map(|l| l.path.to_string_lossy().into_owned()).unwrap_or_default(),
    }
}
