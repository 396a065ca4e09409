//! Events the engine publishes for the GUI and notifications, and writes to a log.
//! Each carries the data it is about (the operation, the backup, the new settings,
//! the location's health), so a window applies it to what it shows without asking
//! the engine again.
//!
//! Subscribers in this process get every event; `<data>/logs/events.jsonl` gets all
//! but progress ticks, one JSON object per line with the writer's pid, so other
//! processes (the desktop app following what `lifeboat service` does) and people can
//! read what happened.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use crossbeam_channel::{unbounded, Receiver, Sender};
use serde::{Deserialize, Serialize};

use crate::catalog::BackupListing;
use crate::operation::OperationView;
use crate::settings::{LocationHealth, ScheduleInfo, SettingsView};

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Event {
    OperationStarted {
        operation: OperationView,
    },
    OperationProgress {
        operation: OperationView,
    },
    OperationFinished {
        operation: OperationView,
    },
    /// A backup was published at the location.
    BackupAdded {
        backup: BackupListing,
    },
    /// Settings were saved (or automatic backups turned on or off).
    SettingsChanged {
        settings: SettingsView,
    },
    /// The scheduler moved on to the next slot.
    ScheduleChanged {
        schedule: ScheduleInfo,
    },
    /// The location was checked (or used) and found reachable or not.
    LocationHealthChanged {
        health: LocationHealth,
    },
    /// A scheduled slot could not run because another operation held the lock.
    SlotSkipped {
        slot: DateTime<Utc>,
        reason: String,
    },
    /// A scheduled slot fell while an update was being installed: its backup runs as a
    /// catch-up once the update is done.
    BackupDeferred {
        slot: DateTime<Utc>,
        reason: String,
    },
    /// Slots passed while nothing was running (asleep, app closed); one catch-up follows.
    BackupsMissed {
        count: u32,
        first: DateTime<Utc>,
        last: DateTime<Utc>,
    },
    LocationUnreachable {
        location: String,
        error: String,
    },
    LocationReachable {
        location: String,
    },
    CertificateExpiring {
        thumbprint: String,
        subject: String,
        not_after: DateTime<Utc>,
        #[cfg_attr(feature = "specta", specta(type = i32))]
        days_left: i64,
    },
    BackupsDeleted {
        backups: Vec<DeletedBackup>,
    },
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeletedBackup {
    pub id: String,
    pub file_name: String,
    pub created_at: DateTime<Utc>,
    pub reason: String,
}

#[derive(Debug, Serialize)]
struct LogLine<'a> {
    at: DateTime<Utc>,
    pid: u32,
    #[serde(flatten)]
    event: &'a Event,
}

#[derive(Debug, Deserialize)]
struct ReadLine {
    pid: Option<u32>,
    #[serde(flatten)]
    event: Event,
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

    /// Reads, from now on, the events other processes write to this bus's log.
    pub fn follow_others(&self) -> Option<LogFollower> {
        let path = self.log.clone()?;
        let offset = fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        Some(LogFollower { path, offset, skip_pid: std::process::id() })
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
        let mut line = serde_json::to_vec(&LogLine { at, pid: std::process::id(), event }).map_err(std::io::Error::other)?;
        line.push(b'\n');
        // One write of a whole line with O_APPEND: lines from several processes do not interleave.
        OpenOptions::new().create(true).append(true).open(path)?.write_all(&line)
    }
}

/// Follows `events.jsonl` as other processes append to it.
pub struct LogFollower {
    path: PathBuf,
    offset: u64,
    skip_pid: u32,
}

impl LogFollower {
    /// Events appended since the last call by processes other than this one. After
    /// a rotation it starts over on the new file; lines written to the old file
    /// between the last call and the rotation are not seen.
    pub fn poll(&mut self) -> Vec<Event> {
        let Ok(mut file) = File::open(&self.path) else { return Vec::new() };
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        if len < self.offset {
            self.offset = 0;
        }
        let mut text = String::new();
        if file.seek(SeekFrom::Start(self.offset)).is_err() || file.read_to_string(&mut text).is_err() {
            return Vec::new();
        }
        // Only whole lines: a line being written is read on the next call.
        let complete = text.rfind('\n').map_or(0, |i| i + 1);
        self.offset += complete as u64;
        text[..complete].lines().filter_map(|line| serde_json::from_str::<ReadLine>(line).ok()).filter(|l| l.pid != Some(self.skip_pid)).map(|l| l.event).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_follower_sees_whole_lines_from_other_processes_only() {
        let dir = tempfile::tempdir().unwrap();
        let bus = EventBus::with_log(dir.path().to_owned());
        let now = Utc::now();
        bus.publish(Event::LocationReachable { location: "before".into() }, now);
        let mut follower = bus.follow_others().unwrap();
        assert!(follower.poll().is_empty(), "starts at the end");

        bus.publish(Event::LocationReachable { location: "ours".into() }, now);
        let path = dir.path().join("events.jsonl");
        let other = |location: &str| {
            let line = serde_json::to_string(&LogLine { at: now, pid: 1, event: &Event::LocationReachable { location: location.into() } }).unwrap();
            format!("{line}\n")
        };
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        let half = other("service");
        file.write_all(&half.as_bytes()[..10]).unwrap();
        assert!(follower.poll().is_empty(), "our own events are skipped, half a line waits");
        file.write_all(&half.as_bytes()[10..]).unwrap();
        assert_eq!(follower.poll(), vec![Event::LocationReachable { location: "service".into() }]);

        fs::write(&path, other("after rotation")).unwrap();
        assert_eq!(follower.poll(), vec![Event::LocationReachable { location: "after rotation".into() }]);
    }
}
