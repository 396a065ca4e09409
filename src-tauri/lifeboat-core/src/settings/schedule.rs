//! When automatic backups run, whether they are on, and the scheduler's memory of
//! what it has handled.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Settings, SETTING_ENABLED, SETTING_SCHEDULE, SETTING_SCHEDULER_STATE};
use crate::error::{Error, Result};
use crate::schedule::{Schedule, SchedulerState};

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduleInfo {
    pub schedule: Schedule,
    pub description: String,
    pub enabled: bool,
    /// The next slot; while disabled, the slot that would run.
    pub next_due: DateTime<Utc>,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScheduleMode {
    EveryHours,
    DailyAt,
}

impl Settings<'_> {
    /// The stored schedule, checked again: the catalog is a file anyone can edit.
    pub fn schedule(&self) -> Result<Schedule> {
        let stored: Schedule = self.catalog.setting(SETTING_SCHEDULE)?.unwrap_or_default();
        stored.check().map_err(|e| Error::operation(format!("The stored schedule is invalid ({e}); set the schedule again.")))
    }

    pub fn automatic_enabled(&self) -> Result<bool> {
        Ok(self.catalog.setting(SETTING_ENABLED)?.unwrap_or(true))
    }

    pub fn schedule_info(&self) -> Result<ScheduleInfo> {
        let schedule = self.schedule()?;
        let state = self.scheduler_state()?;
        Ok(ScheduleInfo { description: schedule.describe(), schedule, enabled: self.automatic_enabled()?, next_due: state.next_due })
    }

    /// Disabling keeps every setting; enabling resumes at the next slot, with no
    /// catch-up for slots that passed while disabled.
    pub fn set_automatic(&self, enabled: bool) -> Result<ScheduleInfo> {
        self.catalog.transaction(|catalog| {
            catalog.set_setting(SETTING_ENABLED, &enabled)?;
            if enabled {
                let mut state = self.scheduler_state()?;
                state.next_due = self.schedule()?.next_after(self.now);
                state.last_check = Some(self.now);
                state.catch_up_pending = false;
                self.save_scheduler_state(&state)?;
            }
            Ok(())
        })?;
        self.schedule_info()
    }

    /// The stored state, created (and stored) with the next slot on first use.
    pub fn scheduler_state(&self) -> Result<SchedulerState> {
        if let Some(state) = self.catalog.setting(SETTING_SCHEDULER_STATE)? {
            return Ok(state);
        }
        let state = SchedulerState::new(&self.schedule()?, self.now);
        self.save_scheduler_state(&state)?;
        Ok(state)
    }

    pub fn save_scheduler_state(&self, state: &SchedulerState) -> Result<()> {
        self.catalog.set_setting(SETTING_SCHEDULER_STATE, state)
    }

    /// A new schedule moves the next slot.
    pub(super) fn store_schedule(&self, schedule: &Schedule) -> Result<()> {
        self.catalog.set_setting(SETTING_SCHEDULE, schedule)?;
        let mut state = self.scheduler_state()?;
        state.next_due = schedule.next_after(self.now);
        self.save_scheduler_state(&state)
    }
}
