//! Events the engine publishes for the GUI and notifications, and writes to a log.
//!
//! Subscribers in this process get every event; `<data>/logs/events.jsonl` gets all
//! but progress ticks, one JSON object per line, so other processes and people can
//! read what happened.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use crossbeam_channel::{unbounded, Receiver, Sender};
use serde::Serialize;

use crate::operation::OperationView;

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Event {
    OperationStarted { operation: OperationView },
    OperationProgress { operation: OperationView },
    OperationFinished { operation: OperationView },
    /// A scheduled slot could not run because another operation held the lock.
    SlotSkipped { slot: DateTime<Utc>, reason: String },
    /// Slots passed while nothing was running (asleep, app closed); one catch-up follows.
    BackupsMissed { count: u32, first: DateTime<Utc>, last: DateTime<Utc> },
    LocationUnreachable { location: String, error: String },
    LocationReachable { location: String },
    CertificateExpiring {
        thumbprint: String,
        subject: String,
        not_after: DateTime<Utc>,
        #[cfg_attr(feature = "specta", specta(type = i32))]
        days_left: i64,
    },
    BackupsDeleted { backups: Vec<DeletedBackup> },
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeletedBackup {
    pub id: String,
    pub file_name: String,
    pub created_at: DateTime<Utc>,
    pub reason: String,
}

#[derive(Debug, Serialize)]
struct LogLine<'a> {
    at: DateTime<Utc>,
    #[serde(flatten)]
    event: &'a Event,
}

/// Rotated to `events.jsonl.1` past this size, so the log never grows without bound.
const LOG_LIMIT: u64 = 8 << 20;

pub struct EventBus {
    subscribers: Mutex<Vec<Sender<Event>>>,
    log: Option<PathBuf>,
}

impl EventBus {
    /// A bus that also appends to `<logs_dir>/events.jsonl`.
    pub fn with_log(logs_dir: PathBuf) -> Self {
        EventBus { subscribers: Mutex::new(Vec::new()), log: Some(logs_dir.join("events.jsonl")) }
    }

    pub fn subscribe(&self) -> Receiver<Event> {
        let (tx, rx) = unbounded();
        self.lock().push(tx);
        rx
    }

    pub fn publish(&self, event: Event, now: DateTime<Utc>) {
        if !matches!(event, Event::OperationProgress { .. }) {
            if let Err(e) = self.append(&event, now) {
                tracing::warn!("could not write the event log: {e}");
            }
        }
        self.lock().retain(|s| s.send(event.clone()).is_ok());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Sender<Event>>> {
        self.subscribers.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn append(&self, event: &Event, at: DateTime<Utc>) -> std::io::Result<()> {
        let Some(path) = &self.log else { return Ok(()) };
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        if fs::metadata(path).map(|m| m.len() > LOG_LIMIT).unwrap_or(false) {
            fs::rename(path, path.with_extension("jsonl.1"))?;
        }
        let mut line = serde_json::to_vec(&LogLine { at, event }).map_err(std::io::Error::other)?;
        line.push(b'\n');
        // One write of a whole line with O_APPEND: lines from several processes do not interleave.
        OpenOptions::new().create(true).append(true).open(path)?.write_all(&line)
    }
}
