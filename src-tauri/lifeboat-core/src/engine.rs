//! The engine as front ends see it: a facade over one data folder whose methods hand
//! off to the settings and to the verb modules in a line or two. The CLI and the
//! desktop app call only this.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::audit::{self, AuditEntry, FrontEnd};
use crate::catalog::{AuditFilter, BackupListing};
use crate::clock::{self, Clock};
use crate::commands::audit::AuditReport;
use crate::commands::backup::{Backup, BackupSummary};
use crate::commands::open::{BackupFile, UnlockedBackup};
use crate::commands::recover::{self, RecoveryPlan};
use crate::commands::restore::{PlannedTarget, RestoreRequest};
use crate::commands::status::Status;
use crate::commands::{fleet, list, location, open, restore, retention, status, update};
use crate::context::Context;
use crate::elevation::{self, ElevationStatus};
use crate::error::{Error, IoContext, Result};
use crate::events::{Event, EventBus};
use crate::operation::{OperationKind, OperationStatus, OperationView, Trigger};
use crate::progress::{Cancel, Progress};
use crate::protector::Identity;
use crate::retention::{Decision, RetentionPolicy};
use crate::runner::{self, Started, Verb};
use crate::settings::{problems_error, Applied, Draft, FieldProblem, LocationDraft, LocationHealth, LocationInfo, ScheduleInfo, SettingsView, TypedLocation};
use crate::target::TargetLayer;

pub struct Engine {
    ctx: Context,
}

impl Engine {
    /// The data folder used when none is given: the user's data directory.
    pub fn default_data_dir() -> Result<PathBuf> {
        dirs::data_dir().map(|d| d.join("lifeboat")).ok_or_else(|| Error::input("No user data directory is known here; choose a data folder for Lifeboat."))
    }

    pub fn open(data_dir: &Path) -> Result<Self> {
        Self::open_with_clock(data_dir, clock::system())
    }

    /// Like `open`, with the time source injected (tests use a fixed clock).
    pub fn open_with_clock(data_dir: &Path, clock: Clock) -> Result<Self> {
        let data_dir = std::path::absolute(data_dir).with_path("resolving", data_dir)?;
        let events = Arc::new(EventBus::with_log(data_dir.join("logs")));
        let engine = Engine { ctx: Context::open(&data_dir, clock, events)? };
        engine.finish_installing()?;
        Ok(engine)
    }

    /// A recovery stopped while installing is finished as soon as an engine opens,
    /// so nothing reads half of it; unless another process holds the operation lock
    /// (it may be that recovery, still running), in which case the next operation
    /// finishes it.
    fn finish_installing(&self) -> Result<()> {
        if !crate::installing::pending(&self.ctx) {
            return Ok(());
        }
        let Ok(_lock) = crate::runner::OperationLock::acquire(self.ctx.data_dir(), OperationKind::Recover, "finish-installing", self.ctx.now()) else {
            return Ok(());
        };
        if crate::installing::finish(&self.ctx)? {
            tracing::warn!("A recovery stopped while installing the recovered configuration; it was finished.");
        }
        Ok(())
    }

    /// Another engine on the same data folder, clock, event bus and targets (for a
    /// worker thread: an engine holds a database connection and stays on one thread).
    pub fn reopen(&self) -> Result<Self> {
        Ok(Engine { ctx: self.ctx.reopen()? })
    }

    /// The trigger recorded for operations the user starts through this engine.
    pub fn set_interactive_trigger(&mut self, trigger: Trigger) {
        self.ctx.set_interactive(trigger);
    }

    /// The front end recorded in the audit trail for what this engine does.
    pub fn set_front_end(&mut self, front_end: FrontEnd) {
        self.ctx.set_front_end(front_end);
    }

    /// The audit trail, newest first.
    pub fn audit_entries(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>> {
        self.ctx.catalog().audit_entries(filter)
    }

    /// Checks the audit trail link by link, then against the heads the backups at the
    /// location recorded.
    pub fn verify_audit(&self) -> Result<AuditReport> {
        crate::commands::audit::verify(&self.ctx)
    }

    /// Wraps every target this engine opens (tests count or fail calls with it).
    pub fn layer_targets(&mut self, layer: TargetLayer) {
        self.ctx.set_target_layer(layer);
    }

    pub(crate) fn context(&self) -> &Context {
        &self.ctx
    }

    /// The vault: its objects, versions, blobs and settings.
    pub fn vault(&self) -> Result<&crate::vault::Vault> {
        self.ctx.vault()
    }

    pub fn events(&self) -> &Arc<EventBus> {
        self.ctx.events()
    }

    pub fn data_dir(&self) -> &Path {
        self.ctx.data_dir()
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.ctx.now()
    }

    // ---- settings ----

    /// This installation: its id (in every backup it makes) and name.
    pub fn installation(&self) -> Result<crate::format::Installation> {
        self.ctx.settings().installation()
    }

    pub fn settings(&self) -> Result<SettingsView> {
        self.ctx.settings().view()
    }

    /// The settings as a form starts from (no secrets).
    pub fn settings_draft(&self) -> Result<Draft> {
        self.ctx.settings().draft()
    }

    /// Every field's problem; empty when the draft can be applied.
    pub fn check_settings(&self, draft: &Draft) -> Vec<FieldProblem> {
        self.ctx.settings().check(draft).err().unwrap_or_default()
    }

    /// The backups applying the draft would delete (from the last listing; nothing sent to the location).
    pub fn settings_deletions(&self, draft: &Draft) -> Result<Vec<Decision>> {
        let settings = self.ctx.settings();
        settings.deletions(&settings.check(draft).map_err(problems_error)?)
    }

    /// Checks and applies a draft in one transaction; a retention that deletes
    /// backups needs `confirmed` (the next sweep deletes them).
    pub fn apply_settings(&self, draft: &Draft, confirmed: bool) -> Result<Applied> {
        let settings = self.ctx.settings();
        let applied = settings.apply(settings.check(draft).map_err(problems_error)?, confirmed, self.ctx.actor())?;
        self.ctx.publish(Event::SettingsChanged { settings: applied.settings.clone() });
        if applied.tested_location.is_some() {
            location::check(&self.ctx);
        }
        Ok(applied)
    }

    /// The current draft changed by `change`, applied.
    pub fn change_settings(&self, change: impl FnOnce(&mut Draft), confirmed: bool) -> Result<Applied> {
        let mut draft = self.settings_draft()?;
        change(&mut draft);
        self.apply_settings(&draft, confirmed)
    }

    /// Automatic backups on or off; every setting and the schedule are kept.
    pub fn set_automatic(&self, enabled: bool) -> Result<ScheduleInfo> {
        let before = self.ctx.settings().schedule_info()?.enabled;
        if before && !enabled {
            self.ctx.require_elevation("Turn automatic backups off")?;
        }
        let info = self.ctx.settings().set_automatic(enabled)?;
        if before != enabled {
            let summary = format!("Automatic backups turned {}", if enabled { "on" } else { "off" });
            self.ctx.audit(audit::Record::settings_changed(summary, serde_json::json!({ "automatic": { "old": before, "new": enabled } })))?;
        }
        self.ctx.publish(Event::SettingsChanged { settings: self.settings()? });
        Ok(info)
    }

    // ---- elevation ----

    /// Whether an administrator password is set, and whether this session is elevated.
    pub fn elevation_status(&self) -> Result<ElevationStatus> {
        // No vault yet, no password: asking must not create one (the badge asks often).
        let current = match self.data_dir().join(crate::vault::FILE_NAME).exists() {
            true => self.vault()?.admin_fingerprint()?,
            false => None,
        };
        self.ctx.elevation().status(current.as_deref())
    }

    /// Elevates this engine's session with the administrator password.
    pub fn elevate(&self, password: &str) -> Result<ElevationStatus> {
        let vault = self.vault()?;
        if !vault.has_admin_password()? {
            return Err(Error::input("No administrator password is set, so nothing needs elevation; set one with `lifeboat admin set-password` or in Settings."));
        }
        self.ctx.elevation().elevate(password, |password| vault.unlock_admin(password))?;
        self.elevation_status()
    }

    /// Ends the elevation now.
    pub fn lock_elevation(&self) -> Result<ElevationStatus> {
        self.ctx.elevation().lock_now();
        self.elevation_status()
    }

    /// How the front end asks for the administrator password when an action needs it
    /// and the session is not elevated (the CLI's prompt; the window has none).
    pub fn set_admin_password_prompt(&self, prompt: elevation::Prompt) {
        self.ctx.elevation().set_prompt(prompt);
    }

    /// Sets the administrator password, or changes it (`current` is then required and
    /// checked like any elevation). The first one seals the administrator's vault
    /// objects to the new administrator key; the session is elevated afterwards.
    pub fn set_admin_password(&self, current: Option<&str>, new: &str) -> Result<ElevationStatus> {
        let vault = self.vault()?;
        let elevation = self.ctx.elevation();
        if vault.has_admin_password()? {
            let current = current.ok_or_else(|| Error::ElevationRequired("Changing the administrator password needs the current one.".into()))?;
            crate::vault::admin::check_password(new)?;
            let key = elevation.elevate(current, |password| vault.unlock_admin(password))?;
            vault.change_admin_password(&key, new)?;
            self.ctx.audit(audit::Record::new(audit::ADMIN_PASSWORD, audit::Outcome::Succeeded, "Administrator password changed", serde_json::json!({})))?;
        } else {
            let key = vault.create_admin(new)?;
            elevation.hold(key)?;
            self.ctx.audit(audit::Record::new(audit::ADMIN_PASSWORD, audit::Outcome::Succeeded, "Administrator password set", serde_json::json!({})))?;
        }
        self.elevation_status()
    }

    /// How many minutes without elevated activity end an elevation.
    pub fn set_elevation_minutes(&self, minutes: u32) -> Result<ElevationStatus> {
        crate::error::check_range(minutes, elevation::MINUTES, " minutes", |m| format!("Elevation lasting {m} minutes"))?;
        if !self.vault()?.has_admin_password()? {
            return Err(Error::input(
                "No administrator password is set, so nothing needs elevation; set one first (`lifeboat admin set-password`, or Configuration → Administrator).",
            ));
        }
        self.ctx.require_elevation(&format!("Set elevation to last {minutes} minutes"))?;
        let before = self.ctx.elevation().timeout_minutes()?;
        self.ctx.elevation().set_timeout_minutes(minutes)?;
        if before != minutes {
            self.ctx.audit(audit::Record::settings_changed(
                format!("Elevation lasts {minutes} minutes"),
                serde_json::json!({ "elevation_minutes": { "old": before, "new": minutes } }),
            ))?;
        }
        self.elevation_status()
    }

    // ---- the location ----

    /// A location typed in a form, checked field by field without contacting it.
    pub fn typed_location(&self, draft: &LocationDraft) -> Result<TypedLocation> {
        self.ctx.settings().typed(draft)
    }

    /// "Test connection": a typed location, or the configured one.
    pub fn test_location(&self, typed: Option<&TypedLocation>) -> Result<LocationInfo> {
        location::test(&self.ctx, typed)
    }

    /// Creates a location's folder with its parents, then tests it.
    pub fn create_location_folder(&self, typed: Option<&TypedLocation>) -> Result<LocationInfo> {
        location::create_folder(&self.ctx, typed)
    }

    /// Checks the configured location answers and records its health.
    pub fn check_location(&self) -> LocationHealth {
        location::check(&self.ctx)
    }

    // ---- what is there ----

    /// What the catalog knows: no I/O to the location.
    pub fn status(&self) -> Result<Status> {
        status::status(&self.ctx)
    }

    /// The backups at the location (headers read only for files not seen before).
    pub fn list_backups(&self) -> Result<Vec<BackupListing>> {
        list::list(&self.ctx)
    }

    /// Every installation keeping backups at the location, from the headers alone.
    pub fn fleet(&self) -> Result<fleet::FleetStatus> {
        fleet::status(&self.ctx)
    }

    /// One backup at the location by id, unique id prefix or file name.
    pub fn find_backup(&self, selector: &str) -> Result<BackupListing> {
        let found = open::find(&self.ctx, selector)?;
        let location = self.ctx.settings().location()?.description;
        let all = list::annotate(&self.ctx, &self.ctx.catalog().listings(&location)?)?;
        Ok(all.into_iter().find(|l| l.file_name == found.file_name).unwrap_or_else(|| BackupListing::of(&found, self.now())))
    }

    pub fn operations(&self, limit: u32) -> Result<Vec<OperationView>> {
        let now = self.now();
        Ok(self.ctx.catalog().operations(limit)?.into_iter().map(|o| o.with_rate(now)).collect())
    }

    /// By id or a unique prefix of it.
    pub fn operation(&self, selector: &str) -> Result<OperationView> {
        let selector = selector.trim().to_ascii_lowercase();
        if selector.len() < 4 {
            return Err(Error::input("Give at least 4 characters of the operation id."));
        }
        match self.ctx.catalog().operations_by_prefix(&selector)?.as_slice() {
            [one] => Ok(one.clone().with_rate(self.now())),
            [] => Err(Error::input(format!("No operation {selector:?}."))),
            _ => Err(Error::input(format!("{selector:?} matches several operations; give more of the id."))),
        }
    }

    /// Asks the running operation to stop; the process running it (this one or
    /// another) sees the request within a fraction of a second.
    pub fn cancel_operation(&self, selector: &str) -> Result<OperationView> {
        let op = self.operation(selector)?;
        if op.status != OperationStatus::Running || !self.ctx.catalog().request_cancel(&op.id)? {
            return Err(Error::input(format!("Operation {} is not running (it {}).", op.id, op.status)));
        }
        self.operation(&op.id)
    }

    /// A backup by id (or unique prefix), file name, or path to a backup file: its
    /// header, before any key is used.
    pub fn inspect(&self, selector: &str) -> Result<BackupFile> {
        open::inspect(&self.ctx, selector)
    }

    /// A backup another installation keeps at the location (`lifeboat fleet status`
    /// lists them), by id, id prefix or file name.
    pub fn inspect_from(&self, installation: &str, selector: &str) -> Result<BackupFile> {
        open::inspect_from(&self.ctx, installation, selector)
    }

    /// A backup at a location that is not the configured one (a recovery's source): by
    /// id, id prefix or file name, or the newest there.
    pub fn inspect_at(&self, location: &TypedLocation, selector: Option<&str>) -> Result<BackupFile> {
        let target = self.ctx.settings().typed_target(location)?;
        open::inspect_at(&self.ctx, target.as_ref(), selector)
    }

    /// The backups at a location that is not the configured one, newest first.
    pub fn list_backups_at(&self, location: &TypedLocation) -> Result<Vec<BackupListing>> {
        let target = self.ctx.settings().typed_target(location)?;
        list::list_at(&self.ctx, target.as_ref())
    }

    /// What recovering this installation from `backup` would put back and replace.
    pub fn preview_recovery(&self, backup: &UnlockedBackup, cancel: &Cancel) -> Result<RecoveryPlan> {
        recover::preview(&self.ctx, backup, cancel)
    }

    /// Opens an inspected backup with an identity, once.
    pub fn unlock(&self, file: &Arc<BackupFile>, identity: Option<&dyn Identity>) -> Result<UnlockedBackup> {
        open::unlock(&self.ctx, file, identity)
    }

    /// What a restore would write and replace, without writing anything.
    pub fn preview_restore(&self, backup: &UnlockedBackup, request: &RestoreRequest) -> Result<Vec<PlannedTarget>> {
        restore::preview(&self.ctx, backup, request)
    }

    /// What `policy` would decide for the backups at the location now.
    pub fn preview_retention(&self, policy: RetentionPolicy) -> Result<Vec<Decision>> {
        retention::preview(&self.ctx, policy)
    }

    /// Where restores keep a copy of what they replace.
    pub fn safety_dir(&self) -> PathBuf {
        restore::safety_dir(&self.ctx)
    }

    // ---- operations ----

    /// Runs a verb as an operation on this thread, for the user.
    pub fn run<V: Verb>(&self, verb: V, progress: &dyn Progress, cancel: &Cancel) -> Result<V::Output> {
        runner::run(&self.ctx, verb, self.ctx.interactive(), progress, cancel)
    }

    /// Runs a verb as an operation on this thread, for `trigger`.
    pub fn run_for<V: Verb>(&self, verb: V, trigger: Trigger, progress: &dyn Progress, cancel: &Cancel) -> Result<V::Output> {
        runner::run(&self.ctx, verb, trigger, progress, cancel)
    }

    /// Starts a verb for the user on its own thread; returns once it is accepted.
    pub fn start<V: Verb>(&self, verb: V, cancel: &Cancel) -> Result<Started<V::Output>> {
        runner::start(&self.ctx, verb, self.ctx.interactive(), cancel)
    }

    /// Starts a verb for `trigger` on its own thread; returns once it is accepted.
    pub fn start_for<V: Verb>(&self, verb: V, trigger: Trigger, cancel: &Cancel) -> Result<Started<V::Output>> {
        runner::start(&self.ctx, verb, trigger, cancel)
    }

    // ---- updates ----

    pub fn update_settings(&self) -> Result<update::UpdateSettings> {
        update::settings(&self.ctx)
    }

    pub fn set_update_settings(&self, settings: &update::UpdateSettings) -> Result<update::UpdateSettings> {
        update::set_settings(&self.ctx, settings)
    }

    /// Reads the update feed: is there a newer Lifeboat?
    pub fn check_update(&self, installer: &dyn update::Installer) -> Result<update::UpdateCheck> {
        update::check(&self.ctx, installer)
    }

    /// Like `run`, but waits for a running operation instead of refusing (an update
    /// the user asked to install once the backup in progress is done).
    pub fn run_when_free<V: Verb>(&self, verb: V, progress: &dyn Progress, cancel: &Cancel, waiting: &dyn Fn(&Error)) -> Result<V::Output> {
        runner::run_when_free(&self.ctx, verb, self.ctx.interactive(), progress, cancel, waiting)
    }

    /// A backup now, for the user. It does not move the next scheduled backup.
    pub fn backup_now(&self, progress: &dyn Progress, cancel: &Cancel) -> Result<BackupSummary> {
        self.run(Backup, progress, cancel)
    }
}
