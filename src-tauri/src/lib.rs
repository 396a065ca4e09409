//! Lifeboat's desktop console: a Tauri window over the engine, a tray icon that
//! shows health, desktop notifications, and the same scheduler `lifeboat service`
//! runs. Everything that decides anything lives in `lifeboat-core`.

mod commands;
mod notify;
mod recovery;
mod settings;
mod tray;

use std::path::PathBuf;
use std::sync::Mutex;

use lifeboat_core::engine::Engine;
use lifeboat_core::events::Event;
use lifeboat_core::operation::Trigger;
use lifeboat_core::progress::{Cancel, NoProgress};
use lifeboat_core::scheduler::{real_sleep, Scheduler};
use serde::Serialize;
use tauri::{AppHandle, Manager};
use tauri_plugin_notification::NotificationExt;
use tauri_plugin_window_state::{AppHandleExt, StateFlags};
use tauri_specta::Event as _;

pub use commands::AppState;

/// Every engine event, forwarded to the window as it happens.
#[derive(Debug, Clone, Serialize, specta::Type, tauri_specta::Event)]
pub struct EngineEvent(pub Event);

/// The typed commands and events; `tests/bindings.rs` writes them to TypeScript.
pub fn specta_builder() -> tauri_specta::Builder<tauri::Wry> {
    tauri_specta::Builder::<tauri::Wry>::new()
        .commands(tauri_specta::collect_commands![
            commands::get_status,
            commands::backup_now,
            commands::set_automatic,
            commands::list_backups,
            commands::list_operations,
            commands::cancel_operation,
            commands::get_settings,
            commands::validate_settings,
            commands::preview_settings,
            commands::save_settings,
            commands::test_location,
            commands::create_location_folder,
            commands::inspect_certificate,
            commands::create_certificate,
            recovery::restore_inspect,
            recovery::restore_unlock,
            recovery::restore_browse,
            recovery::restore_verify,
            recovery::restore_preview,
            recovery::restore_start,
            recovery::restore_close,
            recovery::verify_backup,
            recovery::wait_verify,
            recovery::wait_restore,
            recovery::copy_backup,
            recovery::wait_copy,
            recovery::delete_backup,
        ])
        .events(tauri_specta::collect_events![EngineEvent])
}

/// The same data folder the CLI uses: `LIFEBOAT_DATA_DIR`, else the user's data directory.
fn data_dir() -> lifeboat_core::Result<PathBuf> {
    match std::env::var_os("LIFEBOAT_DATA_DIR") {
        Some(dir) if !dir.is_empty() => Ok(PathBuf::from(dir)),
        _ => Engine::default_data_dir(),
    }
}

pub fn run() {
    let builder = specta_builder();
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| tray::show_main(app)))
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_autostart::init(tauri_plugin_autostart::MacosLauncher::LaunchAgent, None))
        .invoke_handler(builder.invoke_handler())
        .setup(move |app| {
            builder.mount_events(app);
            let mut engine = Engine::open(&data_dir()?)?;
            engine.set_interactive_trigger(Trigger::OnDemand);
            start_scheduler(&engine);
            exit_cleanly_on_sigterm(app.handle().clone());
            forward_events(app.handle().clone(), &engine);
            app.manage(AppState { engine: Mutex::new(engine) });
            app.manage(recovery::Wizard::default());
            app.manage(recovery::Running::default());
            let tray = tray::Tray::create(app.handle())?;
            refresh_tray(app.handle(), &tray);
            app.manage(tray);
            Ok(())
        })
        .on_window_event(|window, event| {
            // Closing hides to the tray; the scheduler keeps running. The window's
            // size and place are saved now, not only at a clean exit, so a session
            // that ends by logout or kill still restores them.
            if let tauri::WindowEvent::CloseRequested { api, .. } = event {
                api.prevent_close();
                if let Err(e) = window.app_handle().save_window_state(StateFlags::all()) {
                    tracing::warn!("could not save the window's size and place: {e}");
                }
                let _ = window.hide();
            }
        })
        .build(tauri::generate_context!());
    match app {
        Ok(app) => app.run(|_, _| {}),
        Err(e) => {
            eprintln!("Lifeboat could not start: {e}");
            std::process::exit(1);
        }
    }
}

/// A logout or shutdown sends SIGTERM: exit through Tauri so the window's size and
/// place are saved and plugins shut down, instead of dying mid-step.
fn exit_cleanly_on_sigterm(app: AppHandle) {
    #[cfg(unix)]
    tauri::async_runtime::spawn(async move {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
                app.exit(0);
            }
            Err(e) => tracing::warn!("cannot watch for SIGTERM: {e}"),
        }
    });
}

/// Runs the scheduler on its own thread with its own engine. If another program
/// (`lifeboat service`) already runs it for this data folder, the window works without.
fn start_scheduler(engine: &Engine) {
    let scheduler = match engine.reopen().and_then(Scheduler::new) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!("not running the scheduler here: {e}");
            return;
        }
    };
    let spawned = std::thread::Builder::new().name("lifeboat-scheduler".into()).spawn(move || {
        scheduler.run(&NoProgress, &Cancel::default(), &real_sleep, |tick| {
            if let Err(e) = tick {
                tracing::warn!("scheduler: {e}");
            }
        });
    });
    if let Err(e) = spawned {
        tracing::warn!("could not start the scheduler thread: {e}");
    }
}

/// Engine events go to the window, to notifications and to the tray: this process's
/// as they happen, and those of other processes (`lifeboat service`, the CLI) from
/// the event log, read every couple of seconds.
fn forward_events(app: AppHandle, engine: &Engine) {
    let events = engine.events().subscribe();
    let mut others = engine.events().follow_others();
    let spawned = std::thread::Builder::new().name("lifeboat-events".into()).spawn(move || {
        let mut notifier = notify::Notifier::default();
        loop {
            let mut batch = Vec::new();
            match events.recv_timeout(std::time::Duration::from_secs(2)) {
                Ok(event) => batch.push(event),
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
                Err(crossbeam_channel::RecvTimeoutError::Disconnected) => return,
            }
            if let Some(follower) = others.as_mut() {
                batch.extend(follower.poll());
            }
            for event in batch {
                if let Some(notice) = notifier.on_event(&event) {
                    let _ = app.notification().builder().title(&notice.title).body(&notice.body).show();
                }
                let changed = !matches!(event, Event::OperationProgress { .. });
                let _ = EngineEvent(event).emit(&app);
                if changed {
                    if let Some(tray) = app.try_state::<tray::Tray>() {
                        refresh_tray(&app, &tray);
                    }
                }
            }
        }
    });
    if let Err(e) = spawned {
        tracing::warn!("could not start the event thread: {e}");
    }
}

fn refresh_tray(app: &AppHandle, tray: &tray::Tray) {
    let state = app.state::<AppState>();
    let status = state.engine.lock().unwrap_or_else(|p| p.into_inner()).status();
    if let Ok(status) = status {
        tray.show(&status);
    }
}

/// What the tray menu items do.
pub(crate) fn on_tray_menu(app: &AppHandle, id: &str) {
    let state = app.state::<AppState>();
    match id {
        tray::BACKUP_NOW => {
            let started = state.engine.lock().unwrap_or_else(|p| p.into_inner()).start_backup(Trigger::OnDemand, &Cancel::default());
            if let Err(e) = started {
                let _ = app.notification().builder().title("Backup not started").body(e.to_string()).show();
            }
        }
        tray::OPEN => tray::show_main(app),
        tray::TOGGLE_AUTOMATIC => {
            let engine = state.engine.lock().unwrap_or_else(|p| p.into_inner());
            if let Err(e) = engine.automatic_enabled().and_then(|on| engine.set_automatic(!on)) {
                tracing::warn!("could not change automatic backups: {e}");
            }
            drop(engine);
            if let Some(tray) = app.try_state::<tray::Tray>() {
                refresh_tray(app, &tray);
            }
        }
        tray::QUIT => app.exit(0),
        _ => {}
    }
}
