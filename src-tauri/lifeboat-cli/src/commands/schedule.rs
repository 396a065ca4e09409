//! `lifeboat schedule` and `lifeboat expiry`: when automatic backups run, and how
//! long new backups can be restored.

use clap::Subcommand;
use lifeboat_core::engine::Engine;
use lifeboat_core::settings::{ScheduleInfo, ScheduleMode};
use lifeboat_core::{Error, Result};

use crate::output::{utc, Output};

#[derive(Subcommand)]
pub enum ScheduleCommand {
    /// Set how often automatic backups run.
    #[command(group(clap::ArgGroup::new("when").required(true).args(["every_hours", "daily_at"])))]
    Set {
        /// Every N hours (4 to 12), counted from now.
        #[arg(long, value_name = "N")]
        every_hours: Option<u32>,
        /// Daily at HH:MM UTC.
        #[arg(long, value_name = "HH:MM")]
        daily_at: Option<String>,
    },
    /// Turn automatic backups on; they resume at the next slot.
    Enable,
    /// Turn automatic backups off; every setting and the schedule are kept.
    Disable,
    Show,
}

#[derive(Subcommand)]
pub enum ExpiryCommand {
    /// New backups can be restored for N days (1 to 3650; default 30).
    Set {
        #[arg(long, value_name = "N")]
        days: u32,
    },
    Show,
}

pub fn run(engine: &Engine, command: ScheduleCommand, out: &Output) -> Result<()> {
    let info = match command {
        ScheduleCommand::Set { every_hours, daily_at } => {
            let mut draft = engine.settings_draft()?;
            match (every_hours, daily_at) {
                (Some(hours), _) => {
                    draft.schedule_mode = ScheduleMode::EveryHours;
                    draft.every_hours = hours;
                }
                (None, Some(at)) => {
                    draft.schedule_mode = ScheduleMode::DailyAt;
                    draft.daily_at = at;
                }
                (None, None) => return Err(Error::input("Give --every-hours N or --daily-at HH:MM.")),
            }
            engine.apply_settings(&draft, false)?.settings.schedule
        }
        ScheduleCommand::Enable => engine.set_automatic(true)?,
        ScheduleCommand::Disable => engine.set_automatic(false)?,
        ScheduleCommand::Show => engine.settings()?.schedule,
    };
    out.value(&info, || describe(&info))
}

pub fn expiry(engine: &Engine, command: ExpiryCommand, out: &Output) -> Result<()> {
    match command {
        ExpiryCommand::Set { days } => {
            let days = engine.change_settings(|d| d.expiry_days = days, false)?.settings.expiry_days;
            out.value(&serde_json::json!({ "expiry_days": days }), || format!("New backups can be restored for {days} days; existing backups keep their expiry."))
        }
        ExpiryCommand::Show => {
            let days = engine.settings()?.expiry_days;
            out.value(&serde_json::json!({ "expiry_days": days }), || format!("New backups can be restored for {days} days."))
        }
    }
}

pub fn describe(info: &ScheduleInfo) -> String {
    if info.enabled {
        format!("Automatic backups ON, {}; next backup {}", info.description, utc(&info.next_due))
    } else {
        format!("Automatic backups OFF (schedule kept: {}; the next slot would be {})", info.description, utc(&info.next_due))
    }
}
