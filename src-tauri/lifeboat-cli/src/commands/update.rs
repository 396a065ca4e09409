//! `lifeboat update`: look for a newer Lifeboat, install it, and where to look.

use clap::{Args, Subcommand};
use lifeboat_core::commands::update::{installer, InstallUpdate, UpdateCheck, UpdateSettings, BUILT_IN_FEED};
use lifeboat_core::engine::Engine;
use lifeboat_core::progress::Cancel;
use lifeboat_core::{Error, Result};

use crate::output::{utc, Output};
use crate::progress::CliProgress;

#[derive(Subcommand)]
pub enum UpdateCommand {
    /// Ask the update feed whether a newer Lifeboat exists.
    Check,
    /// Download the newer version, verify its signature and install it. Refused while
    /// a backup, restore or other operation runs, unless --wait.
    Install(InstallArgs),
    /// Where updates are looked for and whether the desktop app looks by itself.
    Settings(SettingsArgs),
}

#[derive(Args)]
pub struct InstallArgs {
    /// If an operation is running, wait for it to finish instead of refusing.
    #[arg(long)]
    wait: bool,
}

#[derive(Args)]
pub struct SettingsArgs {
    /// The feed's address (latest.json; https, or http on localhost); "default" for the built-in one.
    #[arg(long, value_name = "URL")]
    feed: Option<String>,
    /// Whether the desktop app checks at start and once a day.
    #[arg(long, value_name = "on|off", value_parser = parse_on_off)]
    automatic: Option<bool>,
}

fn parse_on_off(text: &str) -> std::result::Result<bool, String> {
    match text {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(format!("{text:?}: give on or off")),
    }
}

pub fn run(engine: &Engine, command: UpdateCommand, out: &Output, cancel: &Cancel) -> Result<()> {
    match command {
        UpdateCommand::Check => {
            let check = engine.check_update(installer().as_ref())?;
            out.value(&check, || describe(&check))
        }
        UpdateCommand::Install(args) => {
            let verb = InstallUpdate::for_this_build()?;
            let installed = CliProgress::around(out, |progress| {
                if args.wait {
                    let waiting = |e: &Error| out.note(&format!("waiting: {e}"));
                    engine.run_when_free(verb, progress, cancel, &waiting)
                } else {
                    engine.run(verb, progress, cancel)
                }
            })?;
            out.value(&installed, || format!("Lifeboat {} is installed (was {}); the next command runs it.", installed.version, installed.from_version))
        }
        UpdateCommand::Settings(args) => {
            let mut settings = engine.update_settings()?;
            if let Some(feed) = args.feed {
                settings.feed_url = (feed != "default").then_some(feed);
            }
            if let Some(automatic) = args.automatic {
                settings.check_automatically = automatic;
            }
            let settings = engine.set_update_settings(&settings)?;
            out.value(&settings, || describe_settings(&settings))
        }
    }
}

fn describe(check: &UpdateCheck) -> String {
    let how = match check.installed_as {
        Some(kind) => format!("installed from a .{} package", kind.extension()),
        None => "not installed from a package: it cannot update itself".into(),
    };
    match &check.available {
        Some(update) => {
            let mut lines = vec![format!("Lifeboat {} is available (this is {}, {how}).", update.version, check.current_version)];
            if let Some(at) = update.published_at {
                lines.push(format!("Published {}.", utc(&at)));
            }
            if let Some(notes) = update.notes.as_deref().filter(|n| !n.trim().is_empty()) {
                lines.push(String::new());
                lines.push(notes.trim().to_owned());
            }
            lines.push(String::new());
            lines.push("`lifeboat update install` installs it.".into());
            lines.join("\n")
        }
        None => format!("Lifeboat {} is the newest version ({how}; feed {}).", check.current_version, check.feed_url),
    }
}

fn describe_settings(settings: &UpdateSettings) -> String {
    let feed = match (&settings.feed_url, BUILT_IN_FEED) {
        (Some(url), _) => url.clone(),
        (None, Some(url)) => format!("{url} (built in)"),
        (None, None) => "none (this build has none built in)".into(),
    };
    let automatic = if settings.check_automatically { "on" } else { "off" };
    format!("Update feed: {feed}\nThe desktop app checks at start and daily: {automatic}")
}
