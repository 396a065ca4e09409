//! `lifeboat admin`: the administrator password and elevation. Elevated commands ask
//! for the password themselves (main.rs installs the prompt); these set it, change
//! it, and say how elevation stands.

use std::path::PathBuf;

use clap::Subcommand;
use lifeboat_core::elevation::ElevationStatus;
use lifeboat_core::engine::Engine;
use lifeboat_core::{Error, Result};
use zeroize::Zeroizing;

use crate::output::{utc, Output};
use crate::secrets;

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Whether an administrator password is set, how long elevation lasts, and any
    /// wait after wrong passwords.
    Status,
    /// Set the administrator password, or change it (the current one is asked, or
    /// read from --admin-password-file). The new one is asked twice on a terminal.
    SetPassword {
        /// Read the new password from FILE (for scripts) instead of asking.
        #[arg(long, value_name = "FILE")]
        new_password_file: Option<PathBuf>,
    },
    /// How many minutes without elevated activity end an elevation in the window (1-240).
    SetTimeout { minutes: u32 },
}

pub fn run(engine: &Engine, command: AdminCommand, admin_password: Option<&Zeroizing<String>>, out: &Output) -> Result<()> {
    let status = match command {
        AdminCommand::Status => engine.elevation_status()?,
        AdminCommand::SetPassword { new_password_file } => {
            let current = match engine.elevation_status()?.password_set {
                true => Some(match admin_password {
                    Some(password) => password.clone(),
                    None => secrets::ask_on_terminal("Current administrator password").ok_or_else(|| {
                        Error::ElevationRequired("Changing the administrator password needs the current one: run on a terminal, or add --admin-password-file FILE.".into())
                    })?,
                }),
                false => None,
            };
            let new = match new_password_file {
                Some(file) => secrets::read_file(&file, "new administrator password")?,
                None => ask_new()?,
            };
            let status = engine.set_admin_password(current.as_deref().map(String::as_str), &new)?;
            out.note(if current.is_some() { "The administrator password was changed." } else { "The administrator password is set." });
            status
        }
        AdminCommand::SetTimeout { minutes } => engine.set_elevation_minutes(minutes)?,
    };
    out.value(&status, || describe(&status))
}

/// The new password, asked twice without echo.
fn ask_new() -> Result<Zeroizing<String>> {
    let no_terminal = || Error::input("No terminal to ask the new administrator password on: give it with --new-password-file FILE.");
    let new = secrets::ask_on_terminal("New administrator password").ok_or_else(no_terminal)?;
    lifeboat_core::vault::admin::check_password(&new)?;
    let again = secrets::ask_on_terminal("The same again").ok_or_else(no_terminal)?;
    if *again != *new {
        return Err(Error::input("The two passwords differ; nothing was changed."));
    }
    Ok(new)
}

fn describe(status: &ElevationStatus) -> String {
    if !status.password_set {
        return "No administrator password is set: restores, reveals and deletions are not protected. Set one with `lifeboat admin set-password`.".into();
    }
    let mut lines = vec![format!("An administrator password is set; elevation lasts {} minutes without elevated activity.", status.timeout_minutes)];
    if let Some(until) = &status.elevated_until {
        lines.push(format!("Elevated until {}.", utc(until)));
    }
    if let Some(at) = &status.retry_at {
        lines.push(format!("After wrong passwords, the next try is allowed at {}.", utc(at)));
    }
    lines.join("\n")
}
