//! Lifeboat's desktop console: a Tauri window over the engine, a tray icon that
//! shows health, desktop notifications, and the same scheduler `lifeboat service`
//! runs. Everything that decides anything lives in `lifeboat-core`.

mod admin;
mod audit;
mod commands;
#[cfg(test)]
mod fixtures;
mod notify;
mod recover;
mod recovery;
mod tray;
mod updates;
mod vault;

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use lifeboat_core::commands::backup::Backup;
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

/// Every engine event, forwarded to the window as it happens; the window applies
/// the data it carries.
#[derive(Debug, Clone, Serialize, specta::Type, tauri_specta::Event)]
pub struct EngineEvent(pub Event);

/// How often the app checks the location answers when nothing else has used it.
const LOCATION_CHECK_EVERY: Duration = Duration::from_secs(5 * 60);

/// The typed commands and events; `tests/bindings.rs` writes them to TypeScript.
pub fn specta_builder() -> tauri_specta::Builder<tauri::Wry> {
    tauri_specta::Builder::<tauri::Wry>::new()
        .commands(tauri_specta::collect_commands![
            commands::get_status,
            commands::backup_now,
            commands::wait_operation,
            commands::set_automatic,
            commands::list_backups,
            commands::list_operations,
            commands::fleet_status,
            commands::cancel_operation,
            commands::check_location,
            commands::get_configuration,
            commands::validate_settings,
            commands::preview_settings,
            commands::save_configuration,
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
            recovery::copy_backup,
            recovery::delete_backup,
            recover::recover_list,
            recover::recover_inspect,
            recover::recover_unlock,
            recover::recover_start,
            recover::recover_close,
            vault::vault_list,
            vault::vault_versions,
            vault::vault_set_secret,
            vault::vault_create_key,
            vault::vault_import_certificate,
            vault::vault_create_certificate,
            vault::vault_reveal,
            vault::vault_update,
            vault::vault_delete,
            vault::vault_recover,
            vault::vault_purge,
            vault::vault_backup,
            vault::vault_restore,
            vault::vault_export_public,
            vault::vault_settings,
            vault::vault_set_recovery_days,
            vault::vault_move_key,
            vault::vault_enable_purge_protection,
            vault::vault_export_geography,
            vault::vault_import_geography,
            updates::update_state,
            updates::update_check,
            updates::update_set_settings,
            updates::update_install,
            updates::update_restart,
            admin::admin_status,
            admin::admin_elevate,
            admin::admin_lock,
            admin::admin_set_password,
            admin::admin_set_timeout,
            audit::audit_list,
            audit::audit_verify,
            audit::audit_export,
        ])
        .events(tauri_specta::collect_events![EngineEvent, updates::UpdateFound])
}

/// The same data folder the CLI uses: `LIFEBOAT_DATA_DIR`, else the user's data directory.
fn data_dir() -> lifeboat_core::Result<PathBuf> {
    match std::env::var_os("LIFEBOAT_DATA_DIR") {
        Some(dir) if !dir.is_empty() => Ok(PathBuf::from(dir)),
        _ => Engine::default_data_dir(),
    }
}

pub fn run() {
    if let Err(e) = lifeboat_core::hardening::keep_memory_private() {
        tracing::warn!("this process's memory could not be kept from other programs of this account: {e}");
    }
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
            engine.set_front_end(lifeboat_core::audit::FrontEnd::Window);
            start_scheduler(&engine);
            check_location_now_and_then(&engine);
            exit_cleanly_at_logout(app.handle().clone());
            forward_events(app.handle().clone(), &engine);
            app.manage(updates::Updates::default());
            updates::check_now_and_daily(app.handle().clone(), &engine);
            app.manage(AppState { engine: Mutex::new(engine) });
            app.manage(recovery::Wizard::default());
            app.manage(recover::RecoveryFlow::default());
            app.manage(commands::Operations::default());
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

/// A logout or shutdown: exit through Tauri so the window's size and place are saved
/// and plugins shut down, instead of dying mid-step. Unix sends SIGTERM. Windows sends
/// a console's programs close, logoff and shutdown events (the app has a console when
/// started from one); a windowed app gets the session's end as a window message,
/// which the window handles itself.
fn exit_cleanly_at_logout(app: AppHandle) {
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
    #[cfg(windows)]
    {
        // Three kinds without a common trait; without a console there is none to watch.
        macro_rules! exit_on {
            ($listen:path) => {{
                let app = app.clone();
                tauri::async_runtime::spawn(async move {
                    if let Ok(mut event) = $listen() {
                        event.recv().await;
                        app.exit(0);
                    }
                });
            }};
        }
        exit_on!(tokio::signal::windows::ctrl_close);
        exit_on!(tokio::signal::windows::ctrl_logoff);
        exit_on!(tokio::signal::windows::ctrl_shutdown);
    }
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

/// Checks the location at start and every few minutes on a thread of its own (a
/// slow share never holds up the window); its health reaches the window as events.
fn check_location_now_and_then(engine: &Engine) {
    on_own_thread(engine, "location", move |engine| loop {
        engine.check_location();
        std::thread::sleep(LOCATION_CHECK_EVERY);
    });
}

/// Runs `work` on a thread named `lifeboat-{what}` with an engine of its own (an
/// engine holds a database connection and stays on one thread).
pub(crate) fn on_own_thread(engine: &Engine, what: &str, work: impl FnOnce(Engine) + Send + 'static) {
    let spawned = engine.reopen().and_then(|engine| {
        std::thread::Builder::new().name(format!("lifeboat-{what}")).spawn(move || work(engine)).map_err(|e| lifeboat_core::Error::operation(format!("starting a thread: {e}")))
    });
    if let Err(e) = spawned {
        tracing::warn!("not running the {what} thread: {e}");
    }
}

/// What the app does with an engine event besides handing it to the window: a
/// notification when it needs attention, and the tray's health after anything but
/// progress. Both come from the event and the catalog; nothing reaches the location.
pub fn react(engine: &Engine, notifier: &mut notify::Notifier, event: &Event) -> (Option<notify::Notice>, Option<tray::Health>) {
    let notice = notifier.on_event(event);
    let health = match event {
        Event::OperationProgress { .. } => None,
        _ => engine.status().ok().map(|status| tray::health(&status)),
    };
    (notice, health)
}

/// Engine events go to the window, to notifications and to the tray: this process's
/// as they happen, and those of other processes (`lifeboat service`, the CLI) from
/// the event log, read every couple of seconds.
fn forward_events(app: AppHandle, engine: &Engine) {
    let events = engine.events().subscribe();
    let mut others = engine.events().follow_others();
    let engine = match engine.reopen() {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!("not following the engine's events: {e}");
            return;
        }
    };
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
                let (notice, health) = react(&engine, &mut notifier, &event);
                if let Some(notice) = notice {
                    let _ = app.notification().builder().title(&notice.title).body(&notice.body).show();
                }
                if let (Some(health), Some(tray)) = (health, app.try_state::<tray::Tray>()) {
                    tray.show(health, engine.settings().map(|s| s.schedule.enabled).unwrap_or(true));
                }
                let _ = EngineEvent(event).emit(&app);
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
        tray.show(tray::health(&status), status.settings.schedule.enabled);
    }
}

/// What the tray menu items do.
pub(crate) fn on_tray_menu(app: &AppHandle, id: &str) {
    let state = app.state::<AppState>();
    match id {
        tray::BACKUP_NOW => {
            // Nobody waits for it: its progress and outcome arrive as events.
            let started = state.engine.lock().unwrap_or_else(|p| p.into_inner()).start(Backup, &Cancel::default());
            if let Err(e) = started {
                let _ = app.notification().builder().title("Backup not started").body(e.to_string()).show();
            }
        }
        tray::OPEN => tray::show_main(app),
        tray::TOGGLE_AUTOMATIC => {
            let engine = state.engine.lock().unwrap_or_else(|p| p.into_inner());
            if let Err(e) = engine.settings().and_then(|s| engine.set_automatic(!s.schedule.enabled)) {
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

/// The engine tests' counting target, for the test below.
#[cfg(test)]
#[path = "../lifeboat-core/tests/common/counting.rs"]
mod counting;

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use lifeboat_core::progress::{Phase, Progress};
    use lifeboat_core::settings::EncryptionChange;

    use super::*;
    use crate::counting;

    /// Holds a backup in its writing phase long enough for the monitor to report
    /// progress a few times.
    struct Slow;

    impl Progress for Slow {
        fn phase(&self, phase: Phase) {
            if phase == Phase::Writing {
                std::thread::sleep(std::time::Duration::from_millis(1300));
            }
        }
        fn total(&self, _: u64, _: u64) {}
        fn advance(&self, _: u64, _: u64) {}
    }

    /// A folder to back up, with one file.
    fn docs_folder(root: &std::path::Path) -> PathBuf {
        let docs = root.join("docs");
        std::fs::create_dir(&docs).unwrap();
        std::fs::write(docs.join("a.txt"), "alpha").unwrap();
        docs
    }

    /// A draft with a passphrase and `docs` as its item.
    fn passphrase_and(d: &mut lifeboat_core::settings::Draft, docs: &std::path::Path) {
        d.encryption = EncryptionChange::Passphrase { passphrase: "a passphrase here".into(), confirm: "a passphrase here".into() };
        d.items.push(lifeboat_core::settings::ItemDraft { name: None, path: docs.display().to_string(), kind: lifeboat_core::settings::ItemChoice::Auto, excludes: vec![] });
    }

    /// The location unreachable at the scheduled time, for two days of slots: each
    /// scheduled backup runs and fails (recorded with its cause), the administrator
    /// gets one notification for all of it, and when the drive is back the catch-up
    /// runs at the next look at the clock, with one notification that backups work
    /// again. Real scheduler, real engine events, an injected clock.
    #[test]
    fn an_unreachable_location_at_the_scheduled_time_is_notified_once_and_caught_up_when_back() {
        use lifeboat_core::operation::OperationKind;
        let tmp = tempfile::tempdir().unwrap();
        let docs = docs_folder(tmp.path());
        let time = Arc::new(std::sync::Mutex::new("2026-03-01T00:50:00Z".parse::<chrono::DateTime<chrono::Utc>>().unwrap()));
        let clock = time.clone();
        let engine = Engine::open_with_clock(&tmp.path().join("data"), Arc::new(move || *clock.lock().unwrap())).unwrap();
        let drive = tmp.path().join("usb");
        engine
            .change_settings(
                |d| {
                    passphrase_and(d, &docs);
                    d.location = lifeboat_core::settings::LocationDraft::local(drive.join("backups").display().to_string());
                    d.schedule_mode = lifeboat_core::settings::ScheduleMode::DailyAt;
                    d.daily_at = "01:00".into();
                },
                false,
            )
            .unwrap();
        let events = engine.events().subscribe();
        let scheduler = Scheduler::new(engine).unwrap();
        let mut notifier = notify::Notifier::default();
        let mut notices = Vec::new();
        // Looks at the clock every 10 minutes until `until`, as the app's loop would.
        let mut run_until = |until: &str| {
            let until: chrono::DateTime<chrono::Utc> = until.parse().unwrap();
            while *time.lock().unwrap() < until {
                scheduler.tick(&lifeboat_core::progress::NoProgress, &Cancel::default()).unwrap();
                for event in events.try_iter() {
                    if let Some(notice) = react(scheduler.engine(), &mut notifier, &event).0 {
                        notices.push(notice.title);
                    }
                }
                *time.lock().unwrap() += chrono::Duration::minutes(10);
            }
        };

        // The drive is unplugged over two scheduled slots.
        std::fs::remove_dir_all(&drive).unwrap();
        run_until("2026-03-02T12:00:00Z");
        // It is back, with the folder on it.
        std::fs::create_dir_all(drive.join("backups")).unwrap();
        run_until("2026-03-02T23:00:00Z");

        let mut runs: Vec<(String, String, Option<String>)> = scheduler
            .engine()
            .operations(100)
            .unwrap()
            .into_iter()
            .filter(|o| o.kind == OperationKind::Backup)
            .map(|o| (o.trigger.to_string(), o.status.to_string(), o.error_code.map(|c| c.to_string())))
            .collect();
        runs.reverse();
        let failed = || ("scheduled".to_owned(), "failed".to_owned(), Some("folder-not-found".to_owned()));
        assert_eq!(runs, [failed(), failed(), ("catch-up".into(), "succeeded".into(), None)]);
        assert_eq!(notices, ["Backup location unreachable", "Backups are working again"]);
        assert_eq!(scheduler.engine().list_backups().unwrap().len(), 1);
    }

    /// What the app does with every event of a backup (notifications, the tray's
    /// health) sends nothing to the backup location, however many progress events
    /// arrive.
    #[test]
    fn reacting_to_a_backups_events_sends_nothing_to_the_location() {
        let tmp = tempfile::tempdir().unwrap();
        let docs = docs_folder(tmp.path());
        let counts = Arc::new(counting::Counts::default());
        let mut engine = Engine::open(&tmp.path().join("data")).unwrap();
        engine.layer_targets(counting::counting(&counts));
        engine.change_settings(|d| passphrase_and(d, &docs), false).unwrap();
        let events = engine.events().subscribe();
        engine.backup_now(&Slow, &Cancel::default()).unwrap();
        let events: Vec<Event> = events.try_iter().collect();
        let progress = events.iter().filter(|e| matches!(e, Event::OperationProgress { .. })).count();
        assert!(progress >= 3, "only {progress} progress events");

        let after_backup = counts.now();
        let mut notifier = notify::Notifier::default();
        let healths: Vec<_> = events.iter().map(|e| react(&engine, &mut notifier, e).1).collect();
        assert_eq!(counts.now(), after_backup, "reacting to {} events touched the location", events.len());
        assert_eq!(healths.iter().filter(|h| h.is_none()).count(), progress, "progress events leave the tray alone");
        assert_eq!(healths.last().unwrap(), &Some(tray::Health::Ok));
    }
}
