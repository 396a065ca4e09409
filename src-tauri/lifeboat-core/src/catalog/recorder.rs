//! The catalog as the parts of an engine without a connection of their own use it
//! (elevation, the vault): opened on first use, shared by the engine's threads, and
//! appending audit entries as the engine's actor.

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use super::Catalog;
use crate::audit::{Actor, Record};
use crate::clock::Clock;
use crate::error::Result;

pub struct Recorder {
    path: PathBuf,
    clock: Clock,
    actor: Mutex<Actor>,
    catalog: Mutex<Option<Catalog>>,
}

impl Recorder {
    pub fn new(path: PathBuf, clock: Clock, actor: Actor) -> Self {
        Recorder { path, clock, actor: Mutex::new(actor), catalog: Mutex::new(None) }
    }

    pub fn set_actor(&self, actor: Actor) {
        *lock(&self.actor) = actor;
    }

    /// Runs `work` on the shared connection, opening it the first time.
    pub fn with<T>(&self, work: impl FnOnce(&Catalog) -> Result<T>) -> Result<T> {
        let mut catalog = lock(&self.catalog);
        if catalog.is_none() {
            *catalog = Some(Catalog::open(&self.path)?);
        }
        work(catalog.as_ref().expect("opened above"))
    }

    /// Appends `record` to the audit trail, now, as the engine's actor.
    pub fn record(&self, record: Record) -> Result<()> {
        let actor = lock(&self.actor).clone();
        let now = (self.clock)();
        self.with(|catalog| catalog.append_audit(record, &actor, now).map(drop))
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
