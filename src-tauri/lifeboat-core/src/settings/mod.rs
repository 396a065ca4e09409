//! Settings: what the administrator configures (location, schedule, retention,
//! expiry, stall timeout, encryption, protected items), read as one view and changed
//! as one draft. A draft is checked as a whole, field by field, without touching
//! anything; applying it does the slow or networked work first (testing a new
//! location, deriving a passphrase key, storing secrets as new vault versions) and then
//! writes every setting in one catalog transaction, so a failure at any step leaves
//! the settings exactly as they were. The CLI and the desktop both change settings
//! this way.

mod encryption;
mod items;
mod location;
mod schedule;
mod secrets;

pub(crate) use encryption::EncryptionSetting;
pub use encryption::{certificate_file, CertificateSummary, EncryptionChange, EncryptionInfo};
pub use items::{ItemChoice, ItemDraft};
pub use location::{check_user, probe, require_folder, HealthState, LocationDraft, LocationHealth, LocationInfo, LocationKind, LocationView, TypedLocation};
pub use schedule::{ScheduleInfo, ScheduleMode};

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::audit::{Actor, Record};
use crate::catalog::{retention_candidates, Catalog};
use crate::error::{check_range, Error, Result};
use crate::format::Installation;
use crate::items::ProtectedItem;
use crate::retention::{self, decide, Candidate, Decision, RetentionPolicy};
use crate::schedule::Schedule;
use crate::target::TargetLayer;
use crate::vault::{LazyVault, Vault};
use encryption::CheckedEncryption;
use location::Location;

const SETTING_INSTALLATION: &str = "installation";
const SETTING_ENCRYPTION: &str = "encryption";
const SETTING_KEY_RETIRED: &str = "encryption.key_retired_at";
const SETTING_EXPIRY_DAYS: &str = "backup.expiry_days";
const SETTING_LOCATION: &str = "location";
const SETTING_LOCATION_HEALTH: &str = "location.health";
const SETTING_SCHEDULE: &str = "schedule";
const SETTING_ENABLED: &str = "schedule.enabled";
const SETTING_SCHEDULER_STATE: &str = "scheduler.state";
const SETTING_RETENTION: &str = "retention";
const SETTING_STALL_TIMEOUT: &str = "operations.stall_timeout_secs";

pub const DEFAULT_EXPIRY_DAYS: u32 = 30;
pub const EXPIRY_DAYS_RANGE: std::ops::RangeInclusive<u32> = 1..=3650;
pub const STALL_TIMEOUT_RANGE: std::ops::RangeInclusive<u32> = 1..=86_400;
pub const DEFAULT_STALL_TIMEOUT_SECS: u32 = 300;

/// The settings of one data folder, read from and written to its catalog.
pub struct Settings<'a> {
    catalog: &'a Catalog,
    data_dir: &'a Path,
    now: DateTime<Utc>,
    target_layer: Option<&'a TargetLayer>,
    vault: &'a LazyVault,
}

/// Everything configured, as shown (no secrets).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingsView {
    pub location: LocationView,
    pub schedule: ScheduleInfo,
    pub retention: RetentionPolicy,
    pub expiry_days: u32,
    pub stall_timeout_secs: u32,
    pub encryption: EncryptionInfo,
    pub items: Vec<ProtectedItem>,
}

/// Every setting as a form holds it. Read back from the engine it changes nothing
/// and carries no secret (passwords empty, encryption unchanged).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    pub schedule_mode: ScheduleMode,
    /// 4 to 12; kept while the other mode is chosen.
    pub every_hours: u32,
    /// HH:MM, UTC.
    pub daily_at: String,
    pub retention_days: u32,
    pub max_count: u32,
    pub expiry_days: u32,
    pub stall_timeout_secs: u32,
    pub location: LocationDraft,
    pub encryption: EncryptionChange,
    pub items: Vec<ItemDraft>,
}

impl Draft {
    /// Takes the item named `name` out of the draft.
    pub fn remove_item(&mut self, name: &str) -> Result<()> {
        let before = self.items.len();
        self.items.retain(|item| item.name.as_deref() != Some(name));
        if self.items.len() == before {
            return Err(Error::input(format!("There is no item named {name:?}.")));
        }
        Ok(())
    }
}

/// Which field a problem is about.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SettingsField {
    EveryHours,
    DailyAt,
    RetentionDays,
    MaxCount,
    ExpiryDays,
    StallTimeout,
    Location,
    LocationUser,
    LocationPassword,
    LocationConfirm,
    /// Object storage: the endpoint.
    LocationEndpoint,
    /// S3: the region.
    LocationRegion,
    Certificate,
    Passphrase,
    PassphraseConfirm,
    Key,
    /// One of the protected items (`FieldProblem::item` says which).
    Item,
}

/// The part of the settings a field belongs to.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SettingsSection {
    Location,
    Schedule,
    Retention,
    Expiry,
    Operations,
    Encryption,
    Items,
}

impl SettingsField {
    pub fn section(self) -> SettingsSection {
        use SettingsField::*;
        match self {
            EveryHours | DailyAt => SettingsSection::Schedule,
            RetentionDays | MaxCount => SettingsSection::Retention,
            ExpiryDays => SettingsSection::Expiry,
            StallTimeout => SettingsSection::Operations,
            Location | LocationUser | LocationPassword | LocationConfirm | LocationEndpoint | LocationRegion => SettingsSection::Location,
            Certificate | Passphrase | PassphraseConfirm | Key => SettingsSection::Encryption,
            Item => SettingsSection::Items,
        }
    }
}

/// What is wrong with one field, in the engine's words.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldProblem {
    pub field: SettingsField,
    pub section: SettingsSection,
    /// For `Item`: its position in the draft's list.
    pub item: Option<u32>,
    pub message: String,
}

impl FieldProblem {
    fn new(field: SettingsField, e: Error) -> Self {
        FieldProblem { field, section: field.section(), item: None, message: e.to_string() }
    }
}

/// Every problem of a draft as one error, for front ends that show one message.
pub fn problems_error(problems: Vec<FieldProblem>) -> Error {
    Error::input(problems.into_iter().map(|p| p.message).collect::<Vec<_>>().join(" "))
}

/// A draft that passed every check, ready to be applied.
pub struct Checked {
    /// A new location, when the draft changes it.
    location: Option<TypedLocation>,
    schedule: Schedule,
    retention: RetentionPolicy,
    expiry_days: u32,
    stall_timeout_secs: u32,
    encryption: Option<CheckedEncryption>,
    /// The new set of items, when the draft changes it.
    items: Option<Vec<ProtectedItem>>,
}

/// What applying a draft did.
#[derive(Debug)]
pub struct Applied {
    pub settings: SettingsView,
    /// The backups the new retention no longer keeps (confirmed; the next sweep deletes them).
    pub deletions: Vec<Decision>,
    /// A new location's free space, as its test found it.
    pub tested_location: Option<Option<u64>>,
}

pub fn check_expiry_days(days: u32) -> Result<u32> {
    check_range(days, EXPIRY_DAYS_RANGE, " days", |d| format!("An expiry of {d} days"))
}

pub fn check_stall_timeout(secs: u32) -> Result<u32> {
    check_range(secs, STALL_TIMEOUT_RANGE, " seconds", |s| format!("A stall timeout of {s} s"))
}

impl<'a> Settings<'a> {
    pub fn new(catalog: &'a Catalog, data_dir: &'a Path, now: DateTime<Utc>, target_layer: Option<&'a TargetLayer>, vault: &'a LazyVault) -> Self {
        Settings { catalog, data_dir, now, target_layer, vault }
    }

    fn vault(&self) -> Result<&'a Vault> {
        self.vault.get()
    }

    /// This installation: made on first use, recorded in every backup it makes.
    pub fn installation(&self) -> Result<Installation> {
        if let Some(installation) = self.catalog.setting(SETTING_INSTALLATION)? {
            return Ok(installation);
        }
        let name = gethostname::gethostname().to_string_lossy().into_owned();
        let installation = Installation { id: uuid::Uuid::new_v4(), name };
        self.catalog.set_setting(SETTING_INSTALLATION, &installation)?;
        Ok(installation)
    }

    pub fn retention(&self) -> Result<RetentionPolicy> {
        Ok(self.catalog.setting(SETTING_RETENTION)?.unwrap_or_default())
    }

    pub fn expiry_days(&self) -> Result<u32> {
        Ok(self.catalog.setting(SETTING_EXPIRY_DAYS)?.unwrap_or(DEFAULT_EXPIRY_DAYS))
    }

    pub fn stall_timeout_secs(&self) -> Result<u32> {
        Ok(self.catalog.setting(SETTING_STALL_TIMEOUT)?.unwrap_or(DEFAULT_STALL_TIMEOUT_SECS))
    }

    pub fn view(&self) -> Result<SettingsView> {
        Ok(SettingsView {
            location: self.location()?,
            schedule: self.schedule_info()?,
            retention: self.retention()?,
            expiry_days: self.expiry_days()?,
            stall_timeout_secs: self.stall_timeout_secs()?,
            encryption: self.encryption()?,
            items: self.items()?,
        })
    }

    /// The settings as a form starts from.
    pub fn draft(&self) -> Result<Draft> {
        let (schedule_mode, every_hours, daily_at) = match self.schedule()? {
            Schedule::EveryHours { hours, .. } => (ScheduleMode::EveryHours, hours, "01:00".to_owned()),
            Schedule::DailyAt { hour, minute } => (ScheduleMode::DailyAt, 12, format!("{hour:02}:{minute:02}")),
        };
        let retention = self.retention()?;
        Ok(Draft {
            schedule_mode,
            every_hours,
            daily_at,
            retention_days: retention.days,
            max_count: retention.max_count,
            expiry_days: self.expiry_days()?,
            stall_timeout_secs: self.stall_timeout_secs()?,
            location: location_draft(&self.location()?),
            encryption: EncryptionChange::Unchanged,
            items: self.items()?.iter().map(ItemDraft::from).collect(),
        })
    }

    /// The draft checked field by field, or every field's problem.
    pub fn check(&self, draft: &Draft) -> std::result::Result<Checked, Vec<FieldProblem>> {
        use SettingsField as F;
        let mut problems = Vec::new();
        let mut note = |field: SettingsField, e: Error| problems.push(FieldProblem::new(field, e));
        let current = self.schedule().ok();
        let schedule = match draft.schedule_mode {
            // An unchanged every-N-hours schedule keeps its anchor, so saving other
            // fields does not move the next backup.
            ScheduleMode::EveryHours => match current {
                Some(s @ Schedule::EveryHours { hours, .. }) if hours == draft.every_hours => Some(s),
                _ => Schedule::every_hours(draft.every_hours, self.now).map_err(|e| note(F::EveryHours, e)).ok(),
            },
            ScheduleMode::DailyAt => Schedule::daily_at(&draft.daily_at).map_err(|e| note(F::DailyAt, e)).ok(),
        };
        let days = retention::check_days(draft.retention_days).map_err(|e| note(F::RetentionDays, e)).ok();
        let max_count = retention::check_max_count(draft.max_count).map_err(|e| note(F::MaxCount, e)).ok();
        let expiry_days = check_expiry_days(draft.expiry_days).map_err(|e| note(F::ExpiryDays, e)).ok();
        let stall_timeout_secs = check_stall_timeout(draft.stall_timeout_secs).map_err(|e| note(F::StallTimeout, e)).ok();
        let location = match self.location() {
            Ok(saved) if location_draft(&saved) == draft.location => Some(None),
            _ => self.check_location_draft(&draft.location).map(Some).map_err(|(field, e)| note(field, e)).ok(),
        };
        let encryption = self.check_encryption(&draft.encryption).map_err(|(field, e)| note(field, e)).ok();
        let items = match self.check_items(&draft.items) {
            Ok(items) => Some(items),
            Err((i, e)) => {
                problems.push(FieldProblem { item: Some(i as u32), ..FieldProblem::new(F::Item, e) });
                None
            }
        };
        match (schedule, days, max_count, expiry_days, stall_timeout_secs, location, encryption, items) {
            (Some(schedule), Some(days), Some(max_count), Some(expiry_days), Some(stall_timeout_secs), Some(location), Some(encryption), Some(items)) if problems.is_empty() => {
                Ok(Checked { location, schedule, retention: RetentionPolicy { days, max_count }, expiry_days, stall_timeout_secs, encryption, items })
            }
            _ => Err(problems),
        }
    }

    /// The backups at the location a checked draft would have, as last listed, with
    /// what its retention decides for each (no I/O to the location).
    pub fn retention_preview(&self, policy: RetentionPolicy, location: Option<&TypedLocation>) -> Result<Vec<Decision>> {
        let description = match location {
            Some(typed) => typed.view(false).description,
            None => self.location()?.description,
        };
        Ok(decide(&self.retention_candidates(&description)?, policy, self.now))
    }

    /// The backups a checked draft's retention no longer keeps.
    pub fn deletions(&self, checked: &Checked) -> Result<Vec<Decision>> {
        Ok(self.retention_preview(checked.retention, checked.location.as_ref())?.into_iter().filter(|d| !d.keep).collect())
    }

    /// Backups at a location as retention sees them, from the listing cache.
    pub(crate) fn retention_candidates(&self, location: &str) -> Result<Vec<Candidate>> {
        let installation = self.installation()?.id.to_string();
        Ok(retention_candidates(&self.catalog.listings(location)?, &installation, &self.catalog.backup_statuses()?))
    }

    /// Applies a checked draft: a retention that deletes backups needs `confirmed`.
    /// The fields it changed, with their old and new values, are recorded in the audit
    /// trail as `actor`'s, in the same transaction.
    pub fn apply(&self, checked: Checked, confirmed: bool, actor: &Actor) -> Result<Applied> {
        let before = self.view()?;
        let elevated: Vec<&str> = [
            ("location", checked.location.is_some()),
            ("encryption", checked.encryption.is_some()),
            ("retention", checked.retention != before.retention),
            ("expiry", checked.expiry_days != before.expiry_days),
        ]
        .into_iter()
        .filter_map(|(field, changes)| changes.then_some(field))
        .collect();
        if !elevated.is_empty() {
            self.vault()?.require_elevation(&format!("Change the {}", elevated.join(", ")))?;
        }
        let deletions = self.deletions(&checked)?;
        if !deletions.is_empty() && !confirmed {
            let names: Vec<String> = deletions.iter().map(|d| format!("{} ({}, {})", d.id, d.created_at.format("%Y-%m-%d %H:%M UTC"), d.reason)).collect();
            return Err(Error::NeedsConfirmation(format!(
                "This retention would delete {} backup(s): {}. Nothing was changed; confirm to delete them.",
                deletions.len(),
                names.join("; ")
            )));
        }
        // Slow or networked work first, outside the transaction.
        let (location, tested_location) = match &checked.location {
            Some(typed) => {
                let target = self.typed_target(typed)?;
                if matches!(typed, TypedLocation::Local(_)) {
                    // A local folder is created when saved.
                    target.create_folder()?;
                }
                let free = probe(target.as_ref())?;
                (Some(self.location_to_store(typed)?), Some(free))
            }
            None => (None, None),
        };
        let previous = self.encryption_setting()?;
        let encryption = match checked.encryption.map(|change| self.prepare_encryption(change)).transpose() {
            Ok(encryption) => encryption,
            Err(e) => {
                self.discard_location_secret(location.as_ref());
                return Err(e);
            }
        };

        let committed = self.catalog.transaction(|catalog| {
            catalog.set_setting(SETTING_RETENTION, &checked.retention)?;
            if let Some(location) = &location {
                catalog.set_setting::<Location>(SETTING_LOCATION, location)?;
            }
            if catalog.setting::<Schedule>(SETTING_SCHEDULE)? != Some(checked.schedule) {
                self.store_schedule(&checked.schedule)?;
            }
            catalog.set_setting(SETTING_EXPIRY_DAYS, &checked.expiry_days)?;
            catalog.set_setting(SETTING_STALL_TIMEOUT, &checked.stall_timeout_secs)?;
            if let Some(setting) = &encryption {
                let leaves_key = matches!(previous, Some(EncryptionSetting::Key { .. })) && !matches!(setting, EncryptionSetting::Key { .. });
                if leaves_key && catalog.setting::<DateTime<Utc>>(SETTING_KEY_RETIRED)?.is_none() {
                    catalog.set_setting(SETTING_KEY_RETIRED, &self.now)?;
                }
                catalog.set_setting(SETTING_ENCRYPTION, setting)?;
            }
            if let Some(items) = &checked.items {
                catalog.replace_items(items, self.now)?;
            }
            // Last: the step the transaction test makes fail.
            if let Some(record) = changes_record(&before, &self.view()?) {
                catalog.append_audit(record, actor, self.now)?;
            }
            Ok(())
        });
        if let Err(e) = committed {
            if let Some((name, secret)) = encryption.as_ref().and_then(EncryptionSetting::secret) {
                self.discard_secret(name, secret);
            }
            self.discard_location_secret(location.as_ref());
            return Err(e);
        }
        Ok(Applied { settings: self.view()?, deletions, tested_location })
    }
}

impl Settings<'_> {
    fn discard_location_secret(&self, location: Option<&Location>) {
        if let Some((name, secret)) = location.and_then(Location::secret) {
            self.discard_secret(name, secret);
        }
    }
}

/// The audit record of a settings change: each field whose view changed, with its old
/// and new value (the view holds no secret), or `None` when nothing changed.
fn changes_record(before: &SettingsView, after: &SettingsView) -> Option<Record> {
    let (before, after) = (serde_json::to_value(before).ok()?, serde_json::to_value(after).ok()?);
    let (serde_json::Value::Object(before), serde_json::Value::Object(after)) = (before, after) else { return None };
    let changes: serde_json::Map<String, serde_json::Value> = after
        .into_iter()
        .filter_map(|(field, new)| {
            let old = before.get(&field).cloned().unwrap_or_default();
            (old != new).then(|| (field, serde_json::json!({ "old": old, "new": new })))
        })
        .collect();
    if changes.is_empty() {
        return None;
    }
    let fields: Vec<&str> = changes.keys().map(String::as_str).collect();
    Some(Record::settings_changed(format!("Settings changed: {}", fields.join(", ")), serde_json::Value::Object(changes)))
}

/// A saved location as a form shows it (passwords empty).
fn location_draft(saved: &LocationView) -> LocationDraft {
    LocationDraft {
        kind: saved.kind,
        path: saved.path.to_string_lossy().into_owned(),
        user: saved.user.clone().unwrap_or_default(),
        password: String::new(),
        confirm: String::new(),
        endpoint: saved.endpoint.clone().unwrap_or_default(),
        region: saved.region.clone().unwrap_or_default(),
    }
}
