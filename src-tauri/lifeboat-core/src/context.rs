//! What every verb works with: one data folder (its catalog, settings and vault),
//! the clock, the event bus, and who the user is (the trigger recorded for what they
//! start). A context holds a database connection and stays on one thread; a worker
//! thread gets its own with `reopen`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::audit::{Actor, FrontEnd, Record};
use crate::catalog::{Catalog, Recorder};
use crate::clock::Clock;
use crate::elevation::Elevation;
use crate::error::{Error, IoContext, Result};
use crate::events::{Event, EventBus};
use crate::operation::Trigger;
use crate::settings::Settings;
use crate::target::{Target, TargetLayer};
use crate::vault::{LazyVault, Vault};

pub struct Context {
    data_dir: PathBuf,
    catalog: Catalog,
    clock: Clock,
    events: Arc<EventBus>,
    /// Recorded as the trigger of operations the user starts: `cli` for the command
    /// line, `on-demand` for the desktop app.
    interactive: Trigger,
    /// Recorded in every audit entry this context appends.
    actor: Actor,
    target_layer: Option<TargetLayer>,
    vault: LazyVault,
    /// Shared by every context of one engine: elevating once covers its workers.
    elevation: Arc<Elevation>,
}

impl Context {
    pub fn open(data_dir: &Path, clock: Clock, events: Arc<EventBus>) -> Result<Self> {
        // A data folder Lifeboat creates is its user's alone (what it holds names
        // paths, servers and backups); one that exists keeps the access it was given.
        crate::owner_only::create_dir_all(data_dir).with_path("creating the data folder", data_dir)?;
        check_writable(data_dir)?;
        let catalog = Catalog::open(&data_dir.join(crate::catalog::FILE_NAME))?;
        let actor = Actor::current(FrontEnd::Cli);
        let recorder = Arc::new(Recorder::new(catalog.path().to_owned(), clock.clone(), actor.clone()));
        let elevation = Arc::new(Elevation::new(recorder, clock.clone()));
        let vault = LazyVault::new(data_dir, clock.clone(), elevation.clone());
        let context = Context { data_dir: data_dir.to_owned(), catalog, clock, events, interactive: Trigger::Cli, actor, target_layer: None, vault, elevation };
        context.settings().installation()?;
        if let Err(e) = context.settings().move_secrets_into_vault() {
            // Lifeboat still starts; whatever needs the secret says so.
            tracing::warn!("moving the data folder's secrets into the vault: {e}");
        }
        Ok(context)
    }

    /// Another context on the same data folder, clock, event bus and targets.
    pub fn reopen(&self) -> Result<Self> {
        let catalog = Catalog::open(self.catalog.path())?;
        Ok(Context {
            data_dir: self.data_dir.clone(),
            catalog,
            clock: self.clock.clone(),
            events: self.events.clone(),
            interactive: self.interactive,
            actor: self.actor.clone(),
            target_layer: self.target_layer.clone(),
            vault: LazyVault::new(&self.data_dir, self.clock.clone(), self.elevation.clone()),
            elevation: self.elevation.clone(),
        })
    }

    pub fn set_interactive(&mut self, trigger: Trigger) {
        self.interactive = trigger;
    }

    pub fn interactive(&self) -> Trigger {
        self.interactive
    }

    pub fn set_front_end(&mut self, front_end: FrontEnd) {
        self.actor.front_end = front_end;
        self.elevation.recorder().set_actor(self.actor.clone());
    }

    pub fn elevation(&self) -> &Elevation {
        &self.elevation
    }

    /// Lets `action` go ahead only for an elevated session (see `elevation`).
    pub fn require_elevation(&self, action: &str) -> Result<()> {
        self.vault()?.require_elevation(action)
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// Appends `record` to the audit trail as this context's actor's, now.
    pub fn audit(&self, record: Record) -> Result<()> {
        self.catalog.append_audit(record, &self.actor, self.now()).map(drop)
    }

    pub fn set_target_layer(&mut self, layer: TargetLayer) {
        self.target_layer = Some(layer);
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    pub fn events(&self) -> &Arc<EventBus> {
        &self.events
    }

    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    pub fn publish(&self, event: Event) {
        self.events.publish(event, self.now());
    }

    /// The settings as of now.
    pub fn settings(&self) -> Settings<'_> {
        Settings::new(&self.catalog, &self.data_dir, self.now(), self.target_layer.as_ref(), &self.vault)
    }

    /// The vault (opened on first use).
    pub fn vault(&self) -> Result<&Vault> {
        self.vault.get()
    }

    /// The configured location's target.
    pub fn target(&self) -> Result<Box<dyn Target>> {
        self.settings().target()
    }
}

/// The data folder must take writes (the catalog's journal, the operation lock, the
/// event log): said plainly up front rather than as the database failing to open.
fn check_writable(data_dir: &Path) -> Result<()> {
    // One name for every process: a probe left by a killed one is reused and removed.
    let probe = data_dir.join(".lifeboat-write-probe");
    match std::fs::OpenOptions::new().write(true).create(true).truncate(true).open(&probe) {
        Ok(_) => match std::fs::remove_file(&probe) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e).with_path("removing", &probe),
            _ => Ok(()),
        },
        Err(e) => Err(Error::operation(format!(
            "Lifeboat's data folder {} cannot be written ({e}); it may be on a read-only file system or belong to another user. \
             Make it writable, or point Lifeboat at another data folder (--data-dir or LIFEBOAT_DATA_DIR).",
            data_dir.display()
        ))),
    }
}
