//! Elevation: the administrator password, once given, unlocks the administrator key
//! for a while, and the actions that restore, reveal or destroy ask for it. One
//! `Elevation` is shared by every context of an engine (its worker threads too), so
//! elevating once covers what the session does until it locks again: after a time
//! without elevated activity (5 minutes unless set), or when asked to.
//!
//! Wrong passwords cost a growing wait (1 s, 2 s, 4 s … 60 s) kept in the catalog, so
//! it holds across processes and restarts, and each leaves an audit entry. Without an
//! administrator password (an explicit, warned choice) nothing is asked.

use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::audit::{Outcome, Record, ELEVATED_ACTION, ELEVATION};
use crate::catalog::{Catalog, Recorder};
use crate::clock::Clock;
use crate::error::{Error, Result};

pub const DEFAULT_MINUTES: u32 = 5;
pub const MINUTES: std::ops::RangeInclusive<u32> = 1..=240;
const MAX_WAIT_SECONDS: i64 = 60;
/// Catalog settings: failed attempts, and how long elevation lasts.
const ATTEMPTS: &str = "admin_attempts";
const TIMEOUT: &str = "elevation_minutes";

/// The administrator key, unlocked by the password; held only while elevated. The
/// RSA key zeroizes itself when dropped.
#[derive(Clone)]
pub struct AdminKey {
    pub(crate) private: rsa::RsaPrivateKey,
    /// A hash of the public part: a recovery that brings back another administrator
    /// key makes this one stale.
    pub fingerprint: String,
}

/// Asks the person at the front end for the administrator password when an action
/// needs it (the CLI's no-echo prompt or `--admin-password-file`); `None` when it
/// cannot ask (the window elevates through its own modal first).
pub type Prompt = Box<dyn Fn() -> Option<Zeroizing<String>> + Send>;

/// What the front ends show: whether a password is set, whether this session is
/// elevated and until when, and when the next attempt is allowed after wrong ones.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElevationStatus {
    pub password_set: bool,
    pub elevated_until: Option<DateTime<Utc>>,
    pub retry_at: Option<DateTime<Utc>>,
    pub timeout_minutes: u32,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
struct Attempts {
    failures: u32,
    last: Option<DateTime<Utc>>,
}

impl Attempts {
    /// When the next attempt is allowed: 2^(failures-1) seconds after the last wrong
    /// one, at most a minute.
    fn retry_at(&self) -> Option<DateTime<Utc>> {
        let last = self.last?;
        let wait = 1i64.checked_shl(self.failures.checked_sub(1)?).unwrap_or(i64::MAX).min(MAX_WAIT_SECONDS);
        Some(last + Duration::seconds(wait))
    }
}

struct Unlocked {
    key: AdminKey,
    until: DateTime<Utc>,
}

pub struct Elevation {
    recorder: Arc<Recorder>,
    clock: Clock,
    unlocked: Mutex<Option<Unlocked>>,
    prompt: Mutex<Option<Prompt>>,
}

impl Elevation {
    pub fn new(recorder: Arc<Recorder>, clock: Clock) -> Self {
        Elevation { recorder, clock, unlocked: Mutex::new(None), prompt: Mutex::new(None) }
    }

    /// Where elevation and the vault append their audit entries.
    pub fn recorder(&self) -> &Arc<Recorder> {
        &self.recorder
    }

    pub fn set_prompt(&self, prompt: Prompt) {
        *lock(&self.prompt) = Some(prompt);
    }

    fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    fn with_catalog<T>(&self, work: impl FnOnce(&Catalog) -> Result<T>) -> Result<T> {
        self.recorder.with(work)
    }

    fn audit(&self, record: Record) -> Result<()> {
        self.recorder.record(record)
    }

    fn attempts(&self) -> Result<Attempts> {
        self.with_catalog(|catalog| Ok(catalog.setting::<Attempts>(ATTEMPTS)?.unwrap_or_default()))
    }

    /// How long elevation lasts without elevated activity.
    pub fn timeout_minutes(&self) -> Result<u32> {
        self.with_catalog(|catalog| Ok(catalog.setting::<u32>(TIMEOUT)?.filter(|m| MINUTES.contains(m)).unwrap_or(DEFAULT_MINUTES)))
    }

    /// Sets how long elevation lasts, this session's included (it is elevated: the
    /// change is an elevated action).
    pub(crate) fn set_timeout_minutes(&self, minutes: u32) -> Result<()> {
        self.with_catalog(|catalog| catalog.set_setting(TIMEOUT, &minutes))?;
        if let Some(u) = lock(&self.unlocked).as_mut() {
            u.until = self.now() + Duration::minutes(minutes as i64);
        }
        Ok(())
    }

    /// The state for the front ends; `current` is the fingerprint of the administrator
    /// key set now (`None`: no password).
    pub fn status(&self, current: Option<&str>) -> Result<ElevationStatus> {
        let now = self.now();
        let elevated_until = self.elevated_until(current, now, None);
        Ok(ElevationStatus {
            password_set: current.is_some(),
            elevated_until,
            retry_at: self.attempts()?.retry_at().filter(|at| *at > now),
            timeout_minutes: self.timeout_minutes()?,
        })
    }

    /// Until when this session is elevated for key `current`; a stale or timed-out
    /// elevation is dropped. With `extend`, elevated activity now moves the end.
    fn elevated_until(&self, current: Option<&str>, now: DateTime<Utc>, extend: Option<Duration>) -> Option<DateTime<Utc>> {
        let mut unlocked = lock(&self.unlocked);
        match unlocked.as_mut() {
            Some(u) if Some(u.key.fingerprint.as_str()) == current && now < u.until => {
                if let Some(timeout) = extend {
                    u.until = now + timeout;
                }
                Some(u.until)
            }
            _ => {
                *unlocked = None;
                None
            }
        }
    }

    /// Tries `password` with `unlock` (the vault's check), subject to the wait after
    /// wrong ones; a right one elevates this session, a wrong one is recorded.
    pub(crate) fn elevate(&self, password: &str, unlock: impl FnOnce(&str) -> Result<Option<AdminKey>>) -> Result<AdminKey> {
        let now = self.now();
        let attempts = self.attempts()?;
        if let Some(retry_at) = attempts.retry_at().filter(|at| *at > now) {
            return Err(Error::ElevationDelayed { seconds: (retry_at - now).num_seconds().max(1) as u64 });
        }
        let Some(key) = unlock(password)? else {
            // The wait counts from the answer (Argon2id takes a moment).
            let now = self.now();
            let failures = attempts.failures.saturating_add(1);
            let next = Attempts { failures, last: Some(now) };
            self.with_catalog(|catalog| catalog.set_setting(ATTEMPTS, &next))?;
            self.audit(Record::new(ELEVATION, Outcome::Failed, "Wrong administrator password", serde_json::json!({ "failures_in_a_row": failures })))?;
            let wait = next.retry_at().map(|at| (at - now).num_seconds()).unwrap_or(1);
            return Err(Error::WrongAdminPassword(format!("The administrator password is wrong. Try again in {wait} s.")));
        };
        if attempts.failures > 0 {
            self.with_catalog(|catalog| catalog.set_setting(ATTEMPTS, &Attempts::default()))?;
        }
        self.hold(key.clone())?;
        self.audit(Record::new(ELEVATION, Outcome::Succeeded, "Elevated with the administrator password", serde_json::json!({ "minutes": self.timeout_minutes()? })))?;
        Ok(key)
    }

    /// Keeps `key` unlocked for the timeout from now.
    pub(crate) fn hold(&self, key: AdminKey) -> Result<()> {
        let until = self.now() + Duration::minutes(self.timeout_minutes()? as i64);
        *lock(&self.unlocked) = Some(Unlocked { key, until });
        Ok(())
    }

    /// Locks now: the administrator key is dropped (and zeroized).
    pub fn lock_now(&self) {
        *lock(&self.unlocked) = None;
    }

    /// Lets `action` go ahead when this session is elevated (extending it) or the front
    /// end supplies the password now; records it. `current` is the fingerprint of the
    /// administrator key set now: without one, nothing is asked and nothing recorded
    /// here (the action records itself as usual).
    pub(crate) fn require(&self, current: Option<&str>, action: &str, unlock: impl FnOnce(&str) -> Result<Option<AdminKey>>) -> Result<()> {
        if current.is_none() {
            return Ok(());
        }
        let timeout = Duration::minutes(self.timeout_minutes()? as i64);
        let elevated = self.elevated_until(current, self.now(), Some(timeout)).is_some();
        if !elevated {
            let password = lock(&self.prompt).as_ref().and_then(|ask| ask());
            match password {
                Some(password) => {
                    self.elevate(&password, unlock)?;
                }
                None => {
                    self.audit(Record::new(ELEVATED_ACTION, Outcome::Failed, format!("Refused (not elevated): {action}"), serde_json::json!({ "action": action })))?;
                    return Err(Error::ElevationRequired(format!("{action}: this needs the administrator password.")));
                }
            }
        }
        self.audit(Record::new(ELEVATED_ACTION, Outcome::Succeeded, action.to_owned(), serde_json::json!({ "action": action })))
    }

    /// The administrator key, while elevated for key `current`.
    pub(crate) fn admin_key(&self, current: Option<&str>) -> Result<AdminKey> {
        if self.elevated_until(current, self.now(), None).is_none() {
            return Err(Error::ElevationRequired("Reading the administrator's vault objects needs the administrator password.".into()));
        }
        lock(&self.unlocked).as_ref().map(|u| u.key.clone()).ok_or_else(|| Error::ElevationRequired("The session locked meanwhile; elevate again.".into()))
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_from_one_second_up_to_a_minute() {
        let last = DateTime::<Utc>::UNIX_EPOCH;
        let waits: Vec<i64> = (0..10).map(|failures| Attempts { failures, last: Some(last) }.retry_at().map(|at| (at - last).num_seconds()).unwrap_or(0)).collect();
        assert_eq!(waits, [0, 1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(Attempts { failures: u32::MAX, last: Some(last) }.retry_at(), Some(last + Duration::seconds(60)));
    }
}
