//! The tray icon: its look shows health, its menu offers the everyday actions.

use lifeboat_core::commands::status::Status;
use lifeboat_core::operation::OperationStatus;
use lifeboat_core::settings::HealthState;
use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Manager, Wry};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Ok,
    Running,
    Warning,
    Failing,
}

/// Failing beats running beats warning: a failure must stay visible while the next
/// attempt runs.
pub fn health(status: &Status) -> Health {
    let failed = status.last_backup.as_ref().is_some_and(|o| o.status == OperationStatus::Failed);
    let settings = &status.settings;
    if failed {
        Health::Failing
    } else if status.running.is_some() {
        Health::Running
    } else if status.health.state == HealthState::Unreachable || !settings.encryption.warnings.is_empty() || !settings.schedule.enabled {
        Health::Warning
    } else {
        Health::Ok
    }
}

impl Health {
    fn icon(self) -> Image<'static> {
        let bytes: &'static [u8] = match self {
            Health::Ok => include_bytes!("../../icons/tray-ok.png"),
            Health::Running => include_bytes!("../../icons/tray-running.png"),
            Health::Warning => include_bytes!("../../icons/tray-warning.png"),
            Health::Failing => include_bytes!("../../icons/tray-failing.png"),
        };
        Image::from_bytes(bytes).expect("the tray icons are valid PNG files")
    }

    fn tooltip(self) -> &'static str {
        match self {
            Health::Ok => "Lifeboat: backups are healthy",
            Health::Running => "Lifeboat: an operation is running",
            Health::Warning => "Lifeboat: needs attention",
            Health::Failing => "Lifeboat: the last backup failed",
        }
    }
}

pub const BACKUP_NOW: &str = "backup-now";
pub const OPEN: &str = "open";
pub const TOGGLE_AUTOMATIC: &str = "toggle-automatic";
pub const QUIT: &str = "quit";

pub struct Tray {
    icon: TrayIcon<Wry>,
    toggle: MenuItem<Wry>,
}

impl Tray {
    pub fn create(app: &AppHandle) -> tauri::Result<Tray> {
        let toggle = MenuItem::with_id(app, TOGGLE_AUTOMATIC, "Disable automatic backups", true, None::<&str>)?;
        let menu = Menu::with_items(
            app,
            &[
                &MenuItem::with_id(app, BACKUP_NOW, "Backup now", true, None::<&str>)?,
                &MenuItem::with_id(app, OPEN, "Open Lifeboat", true, None::<&str>)?,
                &toggle,
                &PredefinedMenuItem::separator(app)?,
                &MenuItem::with_id(app, QUIT, "Quit", true, None::<&str>)?,
            ],
        )?;
        let icon = TrayIconBuilder::with_id("lifeboat")
            .icon(Health::Ok.icon())
            .tooltip(Health::Ok.tooltip())
            .menu(&menu)
            .on_menu_event(|app, event| crate::on_tray_menu(app, event.id().as_ref()))
            .build(app)?;
        Ok(Tray { icon, toggle })
    }

    pub fn show(&self, health: Health, automatic: bool) {
        let _ = self.icon.set_icon(Some(health.icon()));
        let _ = self.icon.set_tooltip(Some(health.tooltip()));
        let label = if automatic { "Disable automatic backups" } else { "Enable automatic backups" };
        let _ = self.toggle.set_text(label);
    }
}

/// Brings the window back (from the tray or a second launch).
pub fn show_main(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

#[cfg(test)]
mod tests {
    use lifeboat_core::engine::Engine;
    use lifeboat_core::operation::OperationStatus;
    use lifeboat_core::settings::{EncryptionChange, HealthState};

    use super::{health, Health};

    #[test]
    fn health_is_failing_then_running_then_warning_then_ok() {
        let tmp = tempfile::tempdir().unwrap();
        let engine = Engine::open(tmp.path()).unwrap();
        let encryption = EncryptionChange::Passphrase { passphrase: "a passphrase here".into(), confirm: "a passphrase here".into() };
        engine.change_settings(|d| d.encryption = encryption, false).unwrap();
        let mut status = engine.status().unwrap();
        status.health.state = HealthState::Reachable;
        assert_eq!(health(&status), Health::Ok);

        // No encryption set, automatic backups off, or the location unreachable: warning.
        let mut warned = status.clone();
        warned.settings.encryption.warnings.push("No encryption is set".into());
        assert_eq!(health(&warned), Health::Warning);
        let mut off = status.clone();
        off.settings.schedule.enabled = false;
        assert_eq!(health(&off), Health::Warning);
        let mut away = status.clone();
        away.health.state = HealthState::Unreachable;
        assert_eq!(health(&away), Health::Warning);
        let mut unknown = status.clone();
        unknown.health.state = HealthState::Unknown;
        assert_eq!(health(&unknown), Health::Ok, "not checked yet is not a problem");

        // Running beats warning; a failure stays visible while the next attempt runs.
        let finished = crate::fixtures::operation(lifeboat_core::operation::OperationKind::Backup, OperationStatus::Failed);
        let mut running = away.clone();
        running.running = Some(lifeboat_core::operation::OperationView { status: OperationStatus::Running, ..finished.clone() });
        assert_eq!(health(&running), Health::Running);
        let mut failing = running.clone();
        failing.last_backup = Some(finished.clone());
        assert_eq!(health(&failing), Health::Failing);
        failing.last_backup = Some(lifeboat_core::operation::OperationView { status: OperationStatus::Succeeded, ..finished });
        assert_eq!(health(&failing), Health::Running);
    }
}
