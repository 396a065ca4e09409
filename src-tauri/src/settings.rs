//! The Configuration blade's fields: location, schedule, retention, expiry,
//! encryption, protected items and starting with the session. The window sends the
//! whole draft as the user types; the engine's own checks say what is wrong with each
//! field, so the rules live in one place. Nothing is saved until OK. Secrets typed
//! into the draft (passphrase, key) are never sent back: a draft read from the
//! engine always says the encryption is unchanged.

use lifeboat_core::catalog::ProtectedItem;
use lifeboat_core::engine::{check_user, Engine, LocationInput, LocationSetting, Status};
use lifeboat_core::target::SmbPath;
use lifeboat_core::protector::{check_passphrase, parse_legacy_key, CertificateInfo};
use lifeboat_core::retention::{self, Decision, RetentionPolicy};
use lifeboat_core::schedule::Schedule;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

#[derive(Debug, Clone, Deserialize, Serialize, specta::Type)]
pub struct SettingsDraft {
    /// "every-hours" or "daily-at"
    pub mode: String,
    pub every_hours: u32,
    /// HH:MM, UTC
    pub daily_at: String,
    pub retention_days: u32,
    pub max_count: u32,
    pub expiry_days: u32,
    pub location: LocationDraft,
    pub encryption: EncryptionChange,
    pub items: Vec<ItemDraft>,
    /// Start Lifeboat (in the tray) when the user logs in.
    pub start_with_session: bool,
}

/// Where backups go, as typed: a local folder or a folder on an SMB share.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, specta::Type)]
pub struct LocationDraft {
    /// "local" or "smb"
    pub kind: String,
    /// The folder, or the share path `\\server\share\folder`.
    pub path: String,
    /// For a share: `DOMAIN\user` or `user`.
    pub user: String,
    /// For a share; empty keeps the saved password (same server and user). Never
    /// filled in by the engine.
    pub password: String,
    pub confirm: String,
}

impl LocationDraft {
    /// The engine's view of the typed location, checked field by field.
    pub fn input(&self, engine: &Engine) -> Result<LocationInput<'_>, FieldError<&'static str>> {
        match self.kind.as_str() {
            "local" => Ok(LocationInput::Local { path: std::path::Path::new(self.path.trim()) }),
            "smb" => {
                SmbPath::parse(&self.path).map_err(|e| ("location", e))?;
                check_user(&self.user).map_err(|e| ("location_user", e))?;
                if self.password != self.confirm {
                    return Err(("location_confirm", lifeboat_core::Error::input("The two passwords differ; type the same password twice.")));
                }
                if self.password.is_empty() && !engine.saved_password_applies(&self.path, &self.user) {
                    return Err(("location_password", lifeboat_core::Error::input("Give the share user's password.")));
                }
                let password = Some(self.password.as_str()).filter(|p| !p.is_empty());
                Ok(LocationInput::Smb { share: &self.path, user: &self.user, password })
            }
            other => Err(("location_kind", lifeboat_core::Error::input(format!("Unknown kind of location {other:?}.")))),
        }
    }
}

/// A new location for `save`.
pub enum LocationChange {
    Local(std::path::PathBuf),
    Smb { share: String, user: String, password: Option<Zeroizing<String>> },
}

/// A change of how new backups are encrypted, or none.
#[derive(Debug, Clone, Deserialize, Serialize, specta::Type)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum EncryptionChange {
    Unchanged,
    /// A public certificate file (.cer, DER or PEM); with `add`, beside the current ones.
    Certificate { path: String, add: bool },
    /// An empty passphrase turns encryption off.
    Passphrase { passphrase: String, confirm: String },
    /// A legacy base64 key (for configurations that already use one).
    Key { key: String },
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, specta::Type)]
pub struct ItemDraft {
    /// Empty: named after the file or folder.
    pub name: String,
    pub path: String,
    /// auto | folder | file | sqlite
    pub kind: String,
    /// Glob patterns (folders only), e.g. `*.tmp` or `cache/**`.
    pub excludes: Vec<String>,
}

impl From<&ProtectedItem> for ItemDraft {
    fn from(item: &ProtectedItem) -> Self {
        ItemDraft {
            name: item.name.clone(),
            path: item.path.to_string_lossy().into_owned(),
            kind: item.kind.as_str().into(),
            excludes: item.excludes.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

pub struct Checked {
    /// A new location, when the draft changes it.
    pub location: Option<LocationChange>,
    pub schedule: Schedule,
    pub retention: RetentionPolicy,
    pub expiry_days: u32,
    pub encryption: Option<Encryption>,
    /// The new set of items, when the draft changes it.
    pub items: Option<Vec<ProtectedItem>>,
    pub start_with_session: bool,
}

pub enum Encryption {
    Certificate { der: Vec<u8>, add: bool },
    Passphrase(Zeroizing<String>),
    Key(Zeroizing<String>),
}

/// The draft as the engine will store it, or every field's problem.
pub fn check(engine: &Engine, draft: &SettingsDraft) -> Result<Checked, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let mut note = |field: &str, e: lifeboat_core::Error| problems.push(FieldProblem { field: field.into(), message: e.to_string() });
    let current = engine.schedule().ok();
    let schedule = match draft.mode.as_str() {
        // An unchanged every-N-hours schedule keeps its anchor, so saving other
        // fields does not move the next backup.
        "every-hours" => match current {
            Some(s @ Schedule::EveryHours { hours, .. }) if hours == draft.every_hours => Some(s),
            _ => Schedule::every_hours(draft.every_hours, engine.now()).map_err(|e| note("every_hours", e)).ok(),
        },
        "daily-at" => Schedule::daily_at(&draft.daily_at).map_err(|e| note("daily_at", e)).ok(),
        other => {
            note("mode", lifeboat_core::Error::input(format!("Unknown schedule mode {other:?}.")));
            None
        }
    };
    let days = retention::check_days(draft.retention_days).map_err(|e| note("retention_days", e)).ok();
    let max_count = retention::check_max_count(draft.max_count).map_err(|e| note("max_count", e)).ok();
    let expiry = lifeboat_core::engine::check_expiry_days(draft.expiry_days).map_err(|e| note("expiry_days", e)).ok();
    let location = check_location(engine, &draft.location).map_err(|(field, e)| note(field, e)).ok();
    let encryption = check_encryption(engine, &draft.encryption).map_err(|(field, e)| note(field, e)).ok();
    let items = check_items(engine, &draft.items).map_err(|(i, e)| note(&format!("items.{i}"), e)).ok();
    match (schedule, days, max_count, expiry, location, encryption, items) {
        (Some(schedule), Some(days), Some(max_count), Some(expiry_days), Some(location), Some(encryption), Some(items)) => Ok(Checked {
            location,
            schedule,
            retention: RetentionPolicy { days, max_count },
            expiry_days,
            encryption,
            items,
            start_with_session: draft.start_with_session,
        }),
        _ => Err(problems),
    }
}

type FieldError<F> = (F, lifeboat_core::Error);

fn check_encryption(engine: &Engine, change: &EncryptionChange) -> Result<Option<Encryption>, FieldError<&'static str>> {
    Ok(Some(match change {
        EncryptionChange::Unchanged => return Ok(None),
        EncryptionChange::Certificate { path, add } => {
            let der = certificate_file(path).map_err(|e| ("certificate", e))?.der;
            Encryption::Certificate { der, add: *add }
        }
        EncryptionChange::Passphrase { passphrase, confirm } => {
            check_passphrase(passphrase).map_err(|e| ("passphrase", e))?;
            if passphrase != confirm {
                return Err(("passphrase_confirm", lifeboat_core::Error::input("The two passphrases differ; type the same one twice.")));
            }
            Encryption::Passphrase(Zeroizing::new(passphrase.clone()))
        }
        EncryptionChange::Key { key } => {
            engine.check_key_allowed().map_err(|e| ("key", e))?;
            parse_legacy_key(key).map_err(|e| ("key", e))?;
            Encryption::Key(Zeroizing::new(key.clone()))
        }
    }))
}

/// A public certificate file the user picked, read and checked.
pub fn certificate_file(path: &str) -> lifeboat_core::Result<CertificateInfo> {
    if path.trim().is_empty() {
        return Err(lifeboat_core::Error::input("Choose the certificate file (.cer, DER or PEM)."));
    }
    CertificateInfo::from_public_file(&lifeboat_core::fsutil::read_small_file(path.trim().as_ref(), "certificate")?)
}

/// Unchanged items are kept as they are; new or edited ones are checked like `items add`.
fn check_items(engine: &Engine, drafts: &[ItemDraft]) -> Result<Option<Vec<ProtectedItem>>, FieldError<usize>> {
    let current = engine.items().map_err(|e| (0, e))?;
    if current.iter().map(ItemDraft::from).eq(drafts.iter().cloned()) {
        return Ok(None);
    }
    let mut items: Vec<ProtectedItem> = Vec::new();
    for (i, draft) in drafts.iter().enumerate() {
        let item = match current.iter().find(|c| ItemDraft::from(*c) == *draft) {
            Some(same) => same.clone(),
            None => {
                let kind = match draft.kind.as_str() {
                    "auto" | "" => None,
                    other => Some(other.parse().map_err(|e| (i, e))?),
                };
                let name = Some(draft.name.trim()).filter(|n| !n.is_empty());
                let excludes = draft.excludes.iter().map(|e| e.trim().to_owned()).filter(|e| !e.is_empty()).collect();
                engine.check_item(draft.path.trim().as_ref(), name, kind, excludes).map_err(|e| (i, e))?
            }
        };
        if items.iter().any(|other| other.name == item.name) {
            return Err((i, lifeboat_core::Error::input(format!("Another item is already named {:?}; give this one a different name.", item.name))));
        }
        items.push(item);
    }
    Ok(Some(items))
}

/// The draft's location, when it differs from the saved one (without contacting
/// it: that is for Test connection and OK).
fn check_location(engine: &Engine, draft: &LocationDraft) -> Result<Option<LocationChange>, FieldError<&'static str>> {
    let saved = location_draft(engine.location_setting().ok().as_ref());
    if *draft == saved {
        return Ok(None);
    }
    match draft.input(engine)? {
        LocationInput::Local { .. } => check_folder(&draft.path).map(|p| Some(LocationChange::Local(p))).map_err(|e| ("location", e)),
        LocationInput::Smb { share, user, password } => Ok(Some(LocationChange::Smb {
            share: share.to_owned(),
            user: user.to_owned(),
            password: password.map(|p| Zeroizing::new(p.to_owned())),
        })),
    }
}

fn location_draft(setting: Option<&LocationSetting>) -> LocationDraft {
    LocationDraft {
        kind: setting.map_or("local", |s| s.kind.as_str()).into(),
        path: setting.map(|s| s.path.to_string_lossy().into_owned()).unwrap_or_default(),
        user: setting.and_then(|s| s.user.clone()).unwrap_or_default(),
        password: String::new(),
        confirm: String::new(),
    }
}

/// A folder path the user typed or picked: absolute, and not a file. It need not
/// exist yet (saving creates it and checks it can be written).
fn check_folder(text: &str) -> lifeboat_core::Result<std::path::PathBuf> {
    let path = std::path::PathBuf::from(text.trim());
    if text.trim().is_empty() || !path.is_absolute() {
        return Err(lifeboat_core::Error::input("Give the full path of a folder, like /srv/backups."));
    }
    if path.exists() && !path.is_dir() {
        return Err(lifeboat_core::Error::input(format!("{} is a file, not a folder.", path.display())));
    }
    Ok(path)
}

/// What OK would do: the backups the draft's retention deletes (empty when none).
pub fn deletions(engine: &Engine, checked: &Checked) -> lifeboat_core::Result<Vec<Decision>> {
    Ok(engine.preview_retention(checked.retention)?.into_iter().filter(|d| !d.keep).collect())
}

/// Saves the draft; a retention that deletes backups needs `confirmed`.
pub fn save(engine: &Engine, checked: Checked, confirmed: bool) -> lifeboat_core::Result<Status> {
    // Retention first: its confirmation is about the backups the window previewed,
    // which are those at the current location.
    engine.set_retention(checked.retention, confirmed)?;
    match &checked.location {
        None => {}
        Some(LocationChange::Local(folder)) => {
            engine.set_local_location(folder)?;
        }
        Some(LocationChange::Smb { share, user, password }) => {
            engine.set_smb_location(share, user, password.as_ref().map(|p| p.as_str()))?;
        }
    }
    if engine.schedule()? != checked.schedule {
        engine.set_schedule(checked.schedule)?;
    }
    engine.set_expiry_days(checked.expiry_days)?;
    if let Some(items) = &checked.items {
        engine.set_items(items)?;
    }
    match &checked.encryption {
        None => {}
        Some(Encryption::Certificate { der, add }) => {
            engine.set_certificate(der, *add)?;
        }
        Some(Encryption::Passphrase(passphrase)) => {
            engine.set_passphrase(passphrase)?;
        }
        Some(Encryption::Key(key)) => {
            engine.set_key(key)?;
        }
    }
    engine.status()
}

pub fn draft_of(status: &Status, location: Option<&LocationSetting>, items: &[ProtectedItem], start_with_session: bool) -> SettingsDraft {
    let (mode, every_hours, daily_at) = match status.schedule.schedule {
        Schedule::EveryHours { hours, .. } => ("every-hours", hours, "01:00".to_owned()),
        Schedule::DailyAt { hour, minute } => ("daily-at", 12, format!("{hour:02}:{minute:02}")),
    };
    SettingsDraft {
        mode: mode.into(),
        every_hours,
        daily_at,
        retention_days: status.retention.days,
        max_count: status.retention.max_count,
        expiry_days: status.expiry_days,
        location: location_draft(location),
        encryption: EncryptionChange::Unchanged,
        items: items.iter().map(ItemDraft::from).collect(),
        start_with_session,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lifeboat_core::protector::create_certificate;

    fn setup() -> (tempfile::TempDir, Engine) {
        let tmp = tempfile::tempdir().unwrap();
        let engine = Engine::open(&tmp.path().join("data")).unwrap();
        (tmp, engine)
    }

    fn draft(engine: &Engine) -> SettingsDraft {
        draft_of(&engine.status().unwrap(), engine.location_setting().ok().as_ref(), &engine.items().unwrap(), false)
    }

    fn fields(problems: Vec<FieldProblem>) -> Vec<String> {
        problems.into_iter().map(|p| p.field).collect()
    }

    #[test]
    fn an_unchanged_draft_changes_nothing_and_never_carries_a_secret() {
        let (_tmp, engine) = setup();
        engine.set_passphrase("a long enough passphrase").unwrap();
        let d = draft(&engine);
        assert!(matches!(d.encryption, EncryptionChange::Unchanged));
        let checked = check(&engine, &d).unwrap();
        assert!(checked.encryption.is_none() && checked.items.is_none());
    }

    #[test]
    fn passphrase_fields_are_checked_by_the_engine_rules() {
        let (_tmp, engine) = setup();
        let mut d = draft(&engine);
        d.encryption = EncryptionChange::Passphrase { passphrase: "short".into(), confirm: "short".into() };
        assert_eq!(fields(check(&engine, &d).err().unwrap()), ["passphrase"]);
        d.encryption = EncryptionChange::Passphrase { passphrase: "a long enough passphrase".into(), confirm: "a long enough passphrase!".into() };
        assert_eq!(fields(check(&engine, &d).err().unwrap()), ["passphrase_confirm"]);
    }

    #[test]
    fn a_certificate_is_saved_only_as_its_public_part_and_the_key_switch_is_one_way() {
        let (tmp, engine) = setup();
        let created = create_certificate("Desk", 2, "pfx-password", chrono::Utc::now(), &mut rand::rng()).unwrap();
        let (cer, pfx) = (tmp.path().join("b.cer"), tmp.path().join("b.pfx"));
        std::fs::write(&cer, &created.info.der).unwrap();
        std::fs::write(&pfx, &created.pfx).unwrap();
        engine.set_key("MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=").unwrap();

        let mut d = draft(&engine);
        d.encryption = EncryptionChange::Certificate { path: pfx.display().to_string(), add: false };
        let problems = check(&engine, &d).err().unwrap();
        assert_eq!(problems[0].field, "certificate");
        assert!(problems[0].message.contains("private key"), "{}", problems[0].message);

        d.encryption = EncryptionChange::Certificate { path: cer.display().to_string(), add: false };
        let status = save(&engine, check(&engine, &d).unwrap(), false).unwrap();
        assert_eq!(status.encryption.certificates[0].thumbprint, created.info.thumbprint);

        d.encryption = EncryptionChange::Key { key: "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=".into() };
        let problems = check(&engine, &d).err().unwrap();
        assert_eq!(problems[0].field, "key");
        assert!(problems[0].message.contains("not allowed"), "{}", problems[0].message);
    }

    #[test]
    fn items_are_checked_one_by_one_and_replaced_together() {
        let (tmp, engine) = setup();
        let docs = tmp.path().join("docs");
        std::fs::create_dir(&docs).unwrap();
        let mut d = draft(&engine);
        let item = |name: &str, path: &std::path::Path| ItemDraft { name: name.into(), path: path.display().to_string(), kind: "auto".into(), excludes: vec![] };
        d.items = vec![item("", &docs), item("", &tmp.path().join("missing"))];
        let problems = check(&engine, &d).err().unwrap();
        assert_eq!(fields(problems.clone()), ["items.1"]);
        assert!(problems[0].message.contains("does not exist"));

        d.items = vec![item("docs", &docs), item("docs", &docs)];
        assert_eq!(fields(check(&engine, &d).err().unwrap()), ["items.1"]);

        d.items = vec![ItemDraft { excludes: vec!["*.tmp".into()], ..item("docs", &docs) }];
        save(&engine, check(&engine, &d).unwrap(), false).unwrap();
        let items = engine.items().unwrap();
        assert_eq!((items.len(), items[0].name.as_str(), items[0].excludes.clone()), (1, "docs", vec!["*.tmp".to_string()]));
        assert!(check(&engine, &draft(&engine)).unwrap().items.is_none(), "the saved items read back unchanged");
    }

    #[test]
    fn share_fields_are_checked_as_typed_without_contacting_the_server() {
        let (_tmp, engine) = setup();
        let mut d = draft(&engine);
        assert_eq!(d.location.kind, "local");
        d.location = LocationDraft { kind: "smb".into(), path: "nas01/backups".into(), user: "".into(), password: "".into(), confirm: "".into() };
        assert_eq!(fields(check(&engine, &d).err().unwrap()), ["location"]);
        d.location.path = r"\\nas01.invalid\backups\ws-07".into();
        assert_eq!(fields(check(&engine, &d).err().unwrap()), ["location_user"]);
        d.location.user = r"CORP\backup".into();
        assert_eq!(fields(check(&engine, &d).err().unwrap()), ["location_password"], "no saved password applies");
        d.location.password = "pw-1".into();
        d.location.confirm = "pw-2".into();
        assert_eq!(fields(check(&engine, &d).err().unwrap()), ["location_confirm"]);
        d.location.confirm = "pw-1".into();
        let checked = check(&engine, &d).unwrap();
        assert!(matches!(checked.location, Some(LocationChange::Smb { ref share, .. }) if share.contains("nas01.invalid")));
    }
}