//! Settings as one draft: every field checked by the engine's rules as typed
//! (nothing contacted, nothing saved), secrets never read back, applied in one
//! transaction that leaves everything as it was when any step fails, and the
//! legacy-key rules of the documents (no new configuration starts with a key; one
//! that uses a key may rotate it; once it leaves the key, no path leads back).

mod common;

use std::fs;

use common::*;
use lifeboat_core::engine::Engine;
use lifeboat_core::format::EncryptionKind;
use lifeboat_core::progress::{Cancel, NoProgress};
use lifeboat_core::protector::create_certificate;
use lifeboat_core::settings::{Draft, EncryptionChange, FieldProblem, ItemChoice, ItemDraft, LocationDraft, LocationKind, ScheduleMode, SettingsField, SettingsSection};
use lifeboat_core::vault::ObjectKind;

const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const OTHER_KEY: &str = "HxwdHh8AAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRo=";

fn setup() -> (tempfile::TempDir, Engine) {
    let tmp = tempfile::tempdir().unwrap();
    let engine = engine(&tmp.path().join("data"), &TestClock::new());
    (tmp, engine)
}

fn fields(problems: Vec<FieldProblem>) -> Vec<SettingsField> {
    problems.into_iter().map(|p| p.field).collect()
}

fn item(name: Option<&str>, path: &std::path::Path) -> ItemDraft {
    ItemDraft { name: name.map(String::from), path: path.display().to_string(), kind: ItemChoice::Auto, excludes: vec![] }
}

#[test]
fn an_unchanged_draft_changes_nothing_and_never_carries_a_secret() {
    let (_tmp, engine) = setup();
    engine.set_passphrase("a long enough passphrase").unwrap();
    let d = engine.settings_draft().unwrap();
    assert_eq!(d.encryption, EncryptionChange::Unchanged);
    assert!(d.location.password.is_empty() && d.location.confirm.is_empty());
    assert!(engine.check_settings(&d).is_empty());
    let before = engine.settings().unwrap();
    engine.apply_settings(&d, false).unwrap();
    assert_eq!(engine.settings().unwrap(), before);
}

#[test]
fn passphrase_fields_are_checked_by_the_engine_rules() {
    let (_tmp, engine) = setup();
    let mut d = engine.settings_draft().unwrap();
    d.encryption = EncryptionChange::Passphrase { passphrase: "short".into(), confirm: "short".into() };
    assert_eq!(fields(engine.check_settings(&d)), [SettingsField::Passphrase]);
    d.encryption = EncryptionChange::Passphrase { passphrase: "a long enough passphrase".into(), confirm: "a long enough passphrase!".into() };
    assert_eq!(fields(engine.check_settings(&d)), [SettingsField::PassphraseConfirm]);
}

#[test]
fn every_field_is_checked_and_a_problem_names_its_section() {
    let (tmp, engine) = setup();
    let mut d = engine.settings_draft().unwrap();
    d.schedule_mode = ScheduleMode::EveryHours;
    d.every_hours = 3;
    d.retention_days = 1;
    d.max_count = 0;
    d.expiry_days = 0;
    d.stall_timeout_secs = 0;
    d.location = LocationDraft::local("relative/folder");
    d.items.push(item(Some("bad/name"), tmp.path()));
    let problems = engine.check_settings(&d);
    let got: Vec<(SettingsField, SettingsSection)> = problems.iter().map(|p| (p.field, p.section)).collect();
    use SettingsField as F;
    use SettingsSection as S;
    assert_eq!(
        got,
        [
            (F::EveryHours, S::Schedule),
            (F::RetentionDays, S::Retention),
            (F::MaxCount, S::Retention),
            (F::ExpiryDays, S::Expiry),
            (F::StallTimeout, S::Operations),
            (F::Location, S::Location),
            (F::Item, S::Items),
        ]
    );
    assert_eq!(problems[6].item, Some(0));
    assert!(problems[5].message.contains("Give the full path of a folder"), "{}", problems[5].message);
    let e = engine.apply_settings(&d, true).unwrap_err();
    assert!(e.to_string().contains("choose 4 to 12 hours"), "{e}");
    assert_eq!(engine.settings().unwrap().retention.days, 7, "nothing was saved");
}

#[test]
fn a_certificate_is_saved_only_as_its_public_part() {
    let (tmp, engine) = setup();
    let created = create_certificate("Desk", 2, "pfx-password", chrono::Utc::now(), &mut rand::rng()).unwrap();
    let (cer, pfx) = (tmp.path().join("b.cer"), tmp.path().join("b.pfx"));
    fs::write(&cer, &created.info.der).unwrap();
    fs::write(&pfx, &created.pfx).unwrap();
    let mut d = engine.settings_draft().unwrap();
    d.encryption = EncryptionChange::Certificate { path: pfx.display().to_string(), add: false };
    let problems = engine.check_settings(&d);
    assert_eq!(problems[0].field, SettingsField::Certificate);
    assert!(problems[0].message.contains("private key"), "{}", problems[0].message);

    d.encryption = EncryptionChange::Certificate { path: cer.display().to_string(), add: false };
    let applied = engine.apply_settings(&d, false).unwrap();
    assert_eq!(applied.settings.encryption.certificates[0].thumbprint, created.info.thumbprint);
    let catalog = fs::read(tmp.path().join("data/catalog.db")).unwrap();
    assert!(!catalog.windows(b"PRIVATE".len()).any(|w| w == b"PRIVATE"));
}

#[test]
fn items_are_checked_one_by_one_and_replaced_together() {
    let (tmp, engine) = setup();
    let docs = tmp.path().join("docs");
    fs::create_dir(&docs).unwrap();
    let mut d = engine.settings_draft().unwrap();
    d.items = vec![item(None, &docs), item(None, &tmp.path().join("missing"))];
    let problems = engine.check_settings(&d);
    assert_eq!((fields(problems.clone()), problems[0].item), (vec![SettingsField::Item], Some(1)));
    assert!(problems[0].message.contains("does not exist"));

    d.items = vec![item(Some("docs"), &docs), item(Some("docs"), &docs)];
    let problems = engine.check_settings(&d);
    assert_eq!((fields(problems.clone()), problems[0].item), (vec![SettingsField::Item], Some(1)));

    d.items = vec![ItemDraft { excludes: vec!["*.tmp".into()], ..item(Some("docs"), &docs) }];
    engine.apply_settings(&d, false).unwrap();
    let items = engine.settings().unwrap().items;
    assert_eq!((items.len(), items[0].name.as_str(), items[0].excludes.clone()), (1, "docs", vec!["*.tmp".to_string()]));
    let saved = engine.settings().unwrap();
    engine.apply_settings(&engine.settings_draft().unwrap(), false).unwrap();
    assert_eq!(engine.settings().unwrap(), saved, "the saved items read back unchanged");
}

#[test]
fn share_fields_are_checked_as_typed_without_contacting_the_server() {
    let (_tmp, engine) = setup();
    let mut d = engine.settings_draft().unwrap();
    assert_eq!(d.location.kind, LocationKind::Local);
    d.location = LocationDraft::smb("nas01/backups", "", "");
    assert_eq!(fields(engine.check_settings(&d)), [SettingsField::Location]);
    // No user: Windows' own SMB client as the signed-in user there (never on another
    // port), a missing user elsewhere.
    d.location.path = r"\\nas01.invalid:4455\backups\ws-07".into();
    assert_eq!(fields(engine.check_settings(&d)), [SettingsField::LocationUser]);
    d.location.path = r"\\nas01.invalid\backups\ws-07".into();
    let without_user: &[SettingsField] = if cfg!(windows) { &[] } else { &[SettingsField::LocationUser] };
    assert_eq!(fields(engine.check_settings(&d)), without_user);
    d.location.user = r"CORP\backup".into();
    assert_eq!(fields(engine.check_settings(&d)), [SettingsField::LocationPassword], "no saved password applies");
    d.location.password = "pw-1".into();
    d.location.confirm = "pw-2".into();
    assert_eq!(fields(engine.check_settings(&d)), [SettingsField::LocationConfirm]);
    d.location.confirm = "pw-1".into();
    assert!(engine.check_settings(&d).is_empty(), "checked without contacting nas01.invalid");
}

/// Every setting changed at once, and the last step (the items) fails: nothing
/// changed, the vault version stored for the new passphrase is gone again.
#[test]
fn a_failure_at_the_last_step_leaves_the_settings_exactly_as_they_were() {
    let (tmp, engine) = setup();
    let docs = tmp.path().join("docs");
    fs::create_dir(&docs).unwrap();
    engine.set_passphrase("the first passphrase").unwrap();
    let secrets = || engine.vault().unwrap().versions(ObjectKind::Secret, "lifeboat-passphrase-key").unwrap();
    let before = (engine.settings().unwrap(), engine.settings_draft().unwrap(), secrets());

    let elsewhere = tmp.path().join("elsewhere");
    let d = Draft {
        schedule_mode: ScheduleMode::EveryHours,
        every_hours: 6,
        daily_at: "03:30".into(),
        retention_days: 3,
        max_count: 9,
        expiry_days: 12,
        stall_timeout_secs: 60,
        location: LocationDraft::local(elsewhere.display().to_string()),
        encryption: EncryptionChange::Passphrase { passphrase: "the second passphrase".into(), confirm: "the second passphrase".into() },
        items: vec![item(Some("docs"), &docs)],
    };
    assert!(engine.check_settings(&d).is_empty());
    // The catalog itself refuses the last write.
    let catalog = rusqlite::Connection::open(tmp.path().join("data/catalog.db")).unwrap();
    catalog.execute_batch("CREATE TRIGGER refuse_items BEFORE INSERT ON items BEGIN SELECT RAISE(ABORT, 'the disk refused the write'); END;").unwrap();
    let e = engine.apply_settings(&d, true).unwrap_err();
    assert!(e.to_string().contains("the disk refused the write"), "{e}");
    assert_eq!((engine.settings().unwrap(), engine.settings_draft().unwrap(), secrets()), before);

    // The same draft applies once the catalog takes writes again.
    catalog.execute_batch("DROP TRIGGER refuse_items;").unwrap();
    let applied = engine.apply_settings(&d, true).unwrap().settings;
    assert_eq!((applied.retention.days, applied.retention.max_count, applied.expiry_days, applied.stall_timeout_secs), (3, 9, 12, 60));
    assert_eq!((applied.location.path.clone(), applied.items.len()), (elsewhere, 1));
    assert_eq!(applied.schedule.description.split(' ').take(3).collect::<Vec<_>>(), ["every", "6", "hours"]);
    assert_eq!(secrets().len(), 2, "the new passphrase's key is a new version: {:?}", secrets());
    let files: Vec<_> = fs::read_dir(tmp.path().join("data/secrets")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(files, ["vault.key"], "no secret is kept outside the vault but the vault key");
}

#[test]
fn a_new_configuration_cannot_start_with_a_legacy_key() {
    let (_tmp, engine) = setup();
    let e = engine.set_key(KEY).unwrap_err();
    assert!(e.to_string().contains("can only replace the key a configuration already uses"), "{e}");
    assert_eq!(engine.settings().unwrap().encryption.mode, None);
    assert!(!engine.settings().unwrap().encryption.key_allowed);
    // Certificate (recommended) or passphrase are the ways in.
    engine.set_passphrase("a long enough passphrase").unwrap();
    assert!(engine.set_key(KEY).is_err(), "nor after a passphrase");
}

#[test]
fn a_configuration_that_uses_a_key_keeps_working_and_can_rotate_it() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    legacy_key_configuration(&data, KEY);
    let engine = engine(&data, &TestClock::new());
    let info = engine.settings().unwrap().encryption;
    assert_eq!((info.mode, info.key_allowed), (Some(EncryptionKind::Key), true));
    fs::create_dir(tmp.path().join("docs")).unwrap();
    fs::write(tmp.path().join("docs/a.txt"), "a").unwrap();
    engine.add_item(&tmp.path().join("docs"), None, None, vec![]).unwrap();
    let old = engine.backup_now(&lifeboat_core::progress::NoProgress, &lifeboat_core::progress::Cancel::default()).unwrap();
    assert_eq!(old.encryption, EncryptionKind::Key);

    engine.set_key(OTHER_KEY).unwrap();
    let rotated = engine.settings().unwrap().encryption.key_id.unwrap();
    assert_eq!(rotated, lifeboat_core::protector::parse_legacy_key(OTHER_KEY).unwrap().key_id());
    let new = engine.backup_now(&lifeboat_core::progress::NoProgress, &lifeboat_core::progress::Cancel::default()).unwrap();
    assert_eq!(new.recipients, vec![format!("key {rotated}")]);
    assert!(!tmp.path().join("data/secrets/legacy.key").exists(), "the old key's file is forgotten");
}

/// The indirect path the documents forbid: key, then passphrase, then certificate,
/// then key again.
#[test]
fn once_a_configuration_leaves_the_key_no_path_leads_back() {
    for leave_by in ["passphrase", "none", "certificate"] {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        legacy_key_configuration(&data, KEY);
        let engine = engine(&data, &TestClock::new());
        let created = create_certificate("Later", 2, "pfx-password", chrono::Utc::now(), &mut rand::rng()).unwrap();
        match leave_by {
            "passphrase" => engine.set_passphrase("a long enough passphrase").unwrap(),
            "none" => engine.set_passphrase("").unwrap(),
            _ => drop(engine.set_certificate(&created.info.der, false).unwrap()),
        }
        assert!(!engine.settings().unwrap().encryption.key_allowed, "{leave_by}");
        let e = engine.set_key(KEY).unwrap_err();
        assert!(e.to_string().contains("switching back to a key is not allowed"), "{leave_by}: {e}");
        engine.set_certificate(&created.info.der, false).unwrap();
        engine.set_passphrase("another long passphrase").unwrap();
        let e = engine.set_key(OTHER_KEY).unwrap_err();
        assert!(e.to_string().contains("switching back to a key is not allowed"), "{leave_by}, later: {e}");
    }
}

#[test]
fn a_chosen_folder_that_is_gone_is_reported_and_not_created_again() {
    let (tmp, engine) = setup();
    engine.set_passphrase("a long enough passphrase").unwrap();
    let docs = tmp.path().join("docs");
    fs::create_dir(&docs).unwrap();
    fs::write(docs.join("a.txt"), "alpha").unwrap();
    engine.add_item(&docs, None, None, vec![]).unwrap();
    // Saving a folder creates it; once it is gone (a disk not mounted), backups fail
    // as folder-not-found and nothing is written where the disk would be.
    let chosen = tmp.path().join("usb-disk/backups");
    engine.set_local_location(&chosen).unwrap();
    assert!(chosen.is_dir());
    fs::remove_dir_all(tmp.path().join("usb-disk")).unwrap();
    let e = engine.backup_now(&NoProgress, &Cancel::default()).unwrap_err();
    assert_eq!(e.code(), lifeboat_core::error::ErrorCode::FolderNotFound, "{e}");
    assert!(e.to_string().contains("does not exist"), "{e}");
    assert!(!tmp.path().join("usb-disk").exists(), "the missing folder was created again");
    let health = engine.check_location();
    assert_eq!(health.state, lifeboat_core::settings::HealthState::Unreachable);
    assert!(!tmp.path().join("usb-disk").exists());

    // Created again on purpose, it takes backups.
    engine.create_location_folder(None).unwrap();
    engine.backup_now(&NoProgress, &Cancel::default()).unwrap();
    assert_eq!(engine.check_location().state, lifeboat_core::settings::HealthState::Reachable);

    // Lifeboat's own default folder is created whenever it is missing.
    let (default_tmp, fresh) = setup();
    fresh.set_passphrase("a long enough passphrase").unwrap();
    fresh.add_item(&docs, None, None, vec![]).unwrap();
    fresh.backup_now(&NoProgress, &Cancel::default()).unwrap();
    fs::remove_dir_all(default_tmp.path().join("data/backups")).unwrap();
    fresh.backup_now(&NoProgress, &Cancel::default()).unwrap();
}

/// A data folder as Lifeboat 0.2 left it: the passphrase-derived key in
/// `secrets/passphrase-….key`, the share password sealed under `secrets/location.key`,
/// and a secret of an earlier passphrase never cleaned up. The first start of this
/// version moves them into the vault and leaves no secret in `secrets/` but the vault key.
#[test]
fn the_secrets_of_an_older_data_folder_move_into_the_vault_at_first_start() {
    use aes_gcm::aead::{Aead, KeyInit, Payload};
    use base64::Engine as _;
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let clock = TestClock::new();
    let docs = tmp.path().join("docs");
    make_tree(&docs);
    {
        let engine = engine(&data, &clock);
        engine.add_item(&docs, Some("docs"), None, vec![]).unwrap();
    }
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let salt = vec![7u8; 16];
    let kek = lifeboat_core::protector::PassphraseRecipient::derive_with("an older passphrase", salt.clone(), 1024, 1, 1).unwrap();
    let location_key = [9u8; 32];
    let nonce = [3u8; 12];
    let sealed = aes_gcm::Aes256Gcm::new_from_slice(&location_key).unwrap().encrypt(&nonce.into(), Payload { msg: b"share-pass-0.2", aad: b"lifeboat share password v1" }).unwrap();
    let secrets = data.join("secrets");
    fs::create_dir_all(&secrets).unwrap();
    fs::write(secrets.join("passphrase-0badc0de.key"), b64(kek.kek())).unwrap();
    fs::write(secrets.join("passphrase-00000001.key"), b64(&[1u8; 32])).unwrap();
    fs::write(secrets.join("location.key"), b64(&location_key)).unwrap();
    let catalog = rusqlite::Connection::open(data.join("catalog.db")).unwrap();
    let set = |key: &str, value: serde_json::Value| {
        catalog.execute("INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [key, &value.to_string()]).unwrap();
    };
    set(
        "encryption",
        serde_json::json!({ "mode": "passphrase", "salt": b64(&salt), "m_kib": 1024, "t": 1, "p": 1, "set_at": "2026-02-01T00:00:00Z", "secret": "passphrase-0badc0de.key" }),
    );
    let nas = serde_json::json!({ "kind": "smb", "share": { "server": "nas01.invalid", "port": null, "share": "backups", "folder": "" }, "user": "backup", "sealed_password": b64(&[nonce.as_slice(), &sealed].concat()) });
    drop(catalog);

    let opened = engine(&data, &clock);
    let files: Vec<_> = fs::read_dir(&secrets).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(files, ["vault.key"]);
    let vault = opened.vault().unwrap();
    assert_eq!(vault.list(None, false).unwrap().iter().map(|o| (o.name.as_str(), o.managed)).collect::<Vec<_>>(), [("lifeboat-passphrase-key", true)]);
    // Backups made now open with the old passphrase: the key moved, not a new one.
    let backup = opened.backup_now(&NoProgress, &Cancel::default()).unwrap();
    let out = tmp.path().join("out");
    let old_passphrase = lifeboat_core::protector::PassphraseIdentity::new("an older passphrase".to_owned().into());
    let request = lifeboat_core::commands::restore::RestoreRequest { items: vec![], paths: vec![], to: Some(out.clone()) };
    opened.restore(&backup.id, Some(&old_passphrase), request, &NoProgress, &Cancel::default()).unwrap();
    assert_same_tree(&docs, &out.join("docs"));
    assert_eq!(opened.settings().unwrap().encryption.mode, Some(EncryptionKind::Passphrase));
    let e = vault.delete(ObjectKind::Secret, "lifeboat-passphrase-key").unwrap_err();
    assert!(e.to_string().contains("change the settings instead"), "{e}");
    drop(opened);

    // The share password sealed by 0.2 (location.key came back, as from an old copy of the folder).
    fs::write(secrets.join("location.key"), b64(&location_key)).unwrap();
    let catalog = rusqlite::Connection::open(data.join("catalog.db")).unwrap();
    catalog.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('location', ?1)", [nas.to_string()]).unwrap();
    drop(catalog);
    let engine = engine(&data, &clock);
    assert_eq!(engine.settings().unwrap().location.user.as_deref(), Some("backup"));
    assert_eq!(*engine.vault().unwrap().reveal_secret("lifeboat-share-password", None).unwrap(), "share-pass-0.2");
    let files: Vec<_> = fs::read_dir(&secrets).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(files, ["vault.key"]);
    let stored: String = rusqlite::Connection::open(data.join("catalog.db")).unwrap().query_row("SELECT value FROM settings WHERE key = 'location'", [], |r| r.get(0)).unwrap();
    assert!(!stored.contains("sealed_password"), "the catalog names the vault version only: {stored}");
}

#[cfg(unix)]
#[test]
fn a_data_folder_lifeboat_creates_is_its_users_alone_and_an_existing_one_is_left_as_it_is() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let new = tmp.path().join("new/data");
    Engine::open(&new).unwrap();
    assert_eq!(fs::metadata(&new).unwrap().permissions().mode() & 0o777, 0o700);
    let existing = tmp.path().join("shared");
    fs::create_dir(&existing).unwrap();
    fs::set_permissions(&existing, fs::Permissions::from_mode(0o750)).unwrap();
    Engine::open(&existing).unwrap();
    assert_eq!(fs::metadata(&existing).unwrap().permissions().mode() & 0o777, 0o750);
}

#[cfg(windows)]
#[test]
fn a_data_folder_lifeboat_creates_is_its_users_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let new = tmp.path().join("new/data");
    Engine::open(&new).unwrap();
    common::assert_owner_only_acl(&new);
}
