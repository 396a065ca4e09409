//! The tray icon: its look shows health, its menu offers the everyday actions.

use lifeboat_core::engine::Status;
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
    let failed = status.last_backup.as_ref().is_some_and(|o| o.status == "failed");
    if failed {
        Health::Failing
    } else if status.running.is_some() {
        Health::Running
    } else if status.location_problem.is_some() || !status.encryption.warnings.is_empty() || !status.schedule.enabled {
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

    pub fn show(&self, status: &Status) {
        let health = health(status);
        let _ = self.icon.set_icon(Some(health.icon()));
        let _ = self.icon.set_tooltip(Some(health.tooltip()));
        let label = if status.schedule.enabled { "Disable automatic backups" } else { "Enable automatic backups" };
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
