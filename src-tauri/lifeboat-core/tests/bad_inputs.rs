//! A table of bad inputs: each gets an error of the right kind whose message says what
//! is wrong. None panics.

mod common;

use std::fs;
use std::path::Path;

use common::*;
use lifeboat_core::commands::restore::RestoreRequest;
use lifeboat_core::engine::Engine;
use lifeboat_core::progress::{Cancel, NoProgress};
use lifeboat_core::protector::{create_certificate, parse_legacy_key, CertificateInfo, Identity, KeyIdentity, PassphraseIdentity, RsaIdentity};
use lifeboat_core::settings::{LocationDraft, ScheduleMode};
use lifeboat_core::vault::{Attributes, ObjectKind};
use lifeboat_core::{ErrorKind, Result};
use zeroize::Zeroizing;

struct World {
    root: std::path::PathBuf,
    engine: Engine,
    clock: TestClock,
    pfx: Vec<u8>,
    cert_der: Vec<u8>,
    thumbprint: String,
    cert_backup: String,
    other_pfx: Vec<u8>,
}

fn world(tmp: &Path) -> World {
    let root = tmp.to_owned();
    let d = root.join("ossl");
    fs::create_dir_all(&d).unwrap();
    openssl(&d, &["req", "-x509", "-newkey", "rsa:1024", "-nodes", "-keyout", "small.key", "-out", "small.pem", "-subj", "/CN=small", "-days", "30"]);
    openssl(&d, &["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ec.key", "-out", "ec.pem", "-subj", "/CN=ec", "-days", "30"]);
    openssl(&d, &["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "rsa.key", "-out", "rsa.pem", "-subj", "/CN=rsa", "-days", "30"]);
    openssl(&d, &["pkcs12", "-export", "-inkey", "rsa.key", "-in", "rsa.pem", "-out", "rsa.pfx", "-passout", "pass:pw"]);
    openssl(&d, &["pkcs12", "-export", "-nokeys", "-in", "rsa.pem", "-out", "certonly.pfx", "-passout", "pass:pw"]);
    fs::write(d.join("two.pem"), [fs::read(d.join("rsa.pem")).unwrap(), fs::read(d.join("small.pem")).unwrap()].concat()).unwrap();
    fs::write(d.join("both.pem"), [fs::read(d.join("rsa.pem")).unwrap(), fs::read(d.join("rsa.key")).unwrap()].concat()).unwrap();

    fs::create_dir_all(root.join("src")).unwrap();
    fs::write(root.join("src/a.txt"), "a").unwrap();
    fs::write(root.join("plain.txt"), "not a database").unwrap();
    let clock = TestClock::new();
    let engine = engine(&root.join("data"), &clock);
    engine.add_item(&root.join("src"), Some("docs"), None, vec![]).unwrap();
    let now = *clock.0.lock().unwrap();
    let created = create_certificate("Bad inputs", 1, "pfx-password", now, &mut rand::rng()).unwrap();
    let other = create_certificate("Other", 1, "pfx-password", now, &mut rand::rng()).unwrap();
    engine.set_certificate(&created.info.der, false).unwrap();
    let cert_backup = engine.backup_now(&NoProgress, &Cancel::default()).unwrap().id;
    World { root, engine, clock, pfx: created.pfx, cert_der: created.info.der.clone(), thumbprint: created.info.thumbprint, cert_backup, other_pfx: other.pfx }
}

fn read(w: &World, rel: &str) -> Vec<u8> {
    fs::read(w.root.join(rel)).unwrap()
}

fn restore(w: &World, selector: &str, identity: Option<&dyn Identity>, items: &[&str], paths: &[&str]) -> Result<()> {
    let request = RestoreRequest { items: items.iter().map(|s| s.to_string()).collect(), paths: paths.iter().map(|s| s.to_string()).collect(), to: Some(w.root.join("out")) };
    w.engine.restore(selector, identity, request, &NoProgress, &Cancel::default()).map(|_| ())
}

fn pfx_identity(w: &World) -> RsaIdentity {
    RsaIdentity::from_file(&w.pfx, "pfx-password").unwrap()
}

/// A copy of the certificate backup with its bytes changed by `edit`.
fn edited_backup(w: &World, name: &str, edit: impl FnOnce(&mut Vec<u8>)) -> String {
    let listing = w.engine.list_backups().unwrap();
    let file = &listing.iter().find(|l| l.id.as_deref() == Some(w.cert_backup.as_str())).unwrap().file_name;
    let mut bytes = fs::read(w.root.join("data/backups").join(file)).unwrap();
    edit(&mut bytes);
    let path = w.root.join(name);
    fs::write(&path, bytes).unwrap();
    path.to_string_lossy().into_owned()
}

type Case = (&'static str, ErrorKind, &'static str, Box<dyn Fn(&World) -> Result<()>>);

/// Applies the settings as the form holds them with `edit` made, as the window and
/// the CLI do (one transaction, every field checked first).
fn settings(w: &World, edit: impl FnOnce(&mut lifeboat_core::settings::Draft)) -> Result<()> {
    let mut draft = w.engine.settings_draft()?;
    edit(&mut draft);
    w.engine.apply_settings(&draft, false).map(drop)
}

fn vault(w: &World) -> &lifeboat_core::vault::Vault {
    w.engine.vault().unwrap()
}

/// A blob of the secret "kept", as "Download backup" makes it, changed by `edit`.
fn edited_blob(w: &World, edit: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut blob = vault(w).backup_object(ObjectKind::Secret, "kept").unwrap();
    edit(&mut blob);
    blob
}

/// The state bad input must leave alone: the settings as a form shows them, the
/// items, the backups, and every vault object with its versions.
fn stored_state(w: &World) -> String {
    let vault = vault(w);
    let objects: Vec<_> = vault
        .list(None, true)
        .unwrap()
        .into_iter()
        .map(|o| {
            let versions = vault.versions(o.kind, &o.name).unwrap();
            format!("{o:?} {versions:?}")
        })
        .collect();
    let backups: Vec<_> = w.engine.list_backups().unwrap().into_iter().map(|b| b.file_name).collect();
    format!("{:?}\n{backups:?}\n{objects:?}", w.engine.settings_draft().unwrap())
}

fn cases() -> Vec<Case> {
    vec![
        // Certificates given for encryption.
        ("RSA-1024 certificate", ErrorKind::Input, "has 1024 bits", Box::new(|w| w.engine.set_certificate(&read(w, "ossl/small.pem"), false).map(drop))),
        ("EC certificate", ErrorKind::Input, "elliptic-curve key", Box::new(|w| w.engine.set_certificate(&read(w, "ossl/ec.pem"), false).map(drop))),
        ("PFX as certificate", ErrorKind::Input, "provide only the public key portion", Box::new(|w| w.engine.set_certificate(&read(w, "ossl/rsa.pfx"), false).map(drop))),
        (
            "PEM private key as certificate",
            ErrorKind::Input,
            "provide only the public key portion",
            Box::new(|w| w.engine.set_certificate(&read(w, "ossl/rsa.key"), false).map(drop)),
        ),
        ("certificate with its key", ErrorKind::Input, "contains a private key", Box::new(|w| w.engine.set_certificate(&read(w, "ossl/both.pem"), false).map(drop))),
        ("two certificates", ErrorKind::Input, "holds 2 certificates", Box::new(|w| w.engine.set_certificate(&read(w, "ossl/two.pem"), false).map(drop))),
        ("random bytes as certificate", ErrorKind::Input, "not a certificate", Box::new(|_| CertificateInfo::from_public_file(b"\x01\x02garbage").map(drop))),
        ("empty certificate file", ErrorKind::Input, "not a certificate", Box::new(|_| CertificateInfo::from_public_file(b"").map(drop))),
        ("same certificate twice", ErrorKind::Input, "already a recipient", Box::new(|w| w.engine.set_certificate(&w.cert_der, true).map(drop))),
        // Identities and their passwords.
        ("wrong PFX password", ErrorKind::Input, "PFX password is wrong", Box::new(|w| RsaIdentity::from_file(&w.pfx, "nope").map(drop))),
        ("PFX without a key", ErrorKind::Input, "holds no private key", Box::new(|w| RsaIdentity::from_file(&read(w, "ossl/certonly.pfx"), "pw").map(drop))),
        ("certificate as identity", ErrorKind::Input, "holds only a certificate", Box::new(|w| RsaIdentity::from_file(&read(w, "ossl/rsa.pem"), "").map(drop))),
        ("EC key as identity", ErrorKind::Input, "not an RSA key", Box::new(|w| RsaIdentity::from_file(&read(w, "ossl/ec.key"), "").map(drop))),
        (
            "PFX of another certificate",
            ErrorKind::Input,
            "thumbprint",
            Box::new(|w| {
                let other = RsaIdentity::from_file(&w.other_pfx, "pfx-password")?;
                let result = restore(w, &w.cert_backup, Some(&other), &[], &[]);
                match &result {
                    Err(e) if !e.to_string().contains(&w.thumbprint) => panic!("message lacks the thumbprint: {e}"),
                    _ => result,
                }
            }),
        ),
        ("no identity for an encrypted backup", ErrorKind::Input, "to open it give the private key", Box::new(|w| restore(w, &w.cert_backup, None, &[], &[]))),
        (
            "wrong passphrase",
            ErrorKind::Input,
            "needs the passphrase that was set",
            Box::new(|w| {
                let data = w.root.join("data-pass");
                let engine = common::engine(&data, &w.clock);
                engine.add_item(&w.root.join("src"), None, None, vec![])?;
                engine.set_passphrase("right passphrase")?;
                let id = engine.backup_now(&NoProgress, &Cancel::default())?.id;
                engine.verify(&id, Some(&PassphraseIdentity::new(Zeroizing::new("wrong passphrase".into()))), &NoProgress, &Cancel::default()).map(drop)
            }),
        ),
        // Passphrases and keys for encryption.
        ("short passphrase", ErrorKind::Input, "too short (5 characters)", Box::new(|w| w.engine.set_passphrase("short").map(drop))),
        ("key not base64", ErrorKind::Input, "not valid base64", Box::new(|_| parse_legacy_key("this is not base64!").map(drop))),
        ("key of the wrong length", ErrorKind::Input, "decodes to 16 bytes", Box::new(|_| parse_legacy_key("AAAAAAAAAAAAAAAAAAAAAA==").map(drop))),
        ("empty key", ErrorKind::Input, "key is empty", Box::new(|_| parse_legacy_key("  ").map(drop))),
        (
            "key after switching to certificate",
            ErrorKind::Input,
            "switching back to a key is not allowed",
            Box::new(|w| {
                common::legacy_key_configuration(&w.root.join("data-key"), "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
                let engine = common::engine(&w.root.join("data-key"), &w.clock);
                engine.set_key("HxwdHh8AAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRo=")?;
                engine.set_certificate(&w.cert_der, false)?;
                engine.set_key("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").map(drop)
            }),
        ),
        (
            "legacy key in a new configuration",
            ErrorKind::Input,
            "can only replace the key a configuration already uses",
            Box::new(|w| common::engine(&w.root.join("data-fresh-key"), &w.clock).set_key("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")),
        ),
        (
            "wrong legacy key",
            ErrorKind::Input,
            "legacy encryption key with id",
            Box::new(|w| {
                common::legacy_key_configuration(&w.root.join("data-key2"), "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
                let engine = common::engine(&w.root.join("data-key2"), &w.clock);
                let id = engine.backup_now(&NoProgress, &Cancel::default())?.id;
                let wrong = KeyIdentity(parse_legacy_key("HxwdHh8AAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRo=")?);
                engine.verify(&id, Some(&wrong), &NoProgress, &Cancel::default()).map(drop)
            }),
        ),
        (
            "backup with no encryption set",
            ErrorKind::Input,
            "No encryption is set",
            Box::new(|w| common::engine(&w.root.join("data-none"), &w.clock).backup_now(&NoProgress, &Cancel::default()).map(drop)),
        ),
        (
            "short PFX password for a new certificate",
            ErrorKind::Input,
            "at least 8 characters",
            Box::new(|_| create_certificate("x", 1, "short", chrono::Utc::now(), &mut rand::rng()).map(drop)),
        ),
        ("empty certificate subject", ErrorKind::Input, "subject (CN)", Box::new(|_| create_certificate("  ", 1, "long enough", chrono::Utc::now(), &mut rand::rng()).map(drop))),
        // Paths and item names.
        ("missing path", ErrorKind::Input, "does not exist", Box::new(|w| w.engine.add_item(&w.root.join("nope"), None, None, vec![]).map(drop))),
        (
            "folder kind for a file",
            ErrorKind::Input,
            "is a file, not a folder",
            Box::new(|w| w.engine.add_item(&w.root.join("plain.txt"), Some("p"), Some(lifeboat_core::format::ItemKind::Folder), vec![]).map(drop)),
        ),
        (
            "sqlite kind for a text file",
            ErrorKind::Input,
            "not a SQLite database",
            Box::new(|w| w.engine.add_item(&w.root.join("plain.txt"), Some("p"), Some(lifeboat_core::format::ItemKind::Sqlite), vec![]).map(drop)),
        ),
        ("unknown kind", ErrorKind::Input, "Unknown item kind", Box::new(|_| "tarball".parse::<lifeboat_core::format::ItemKind>().map(drop))),
        ("bad exclude glob", ErrorKind::Input, "not a valid glob", Box::new(|w| w.engine.add_item(&w.root.join("src"), Some("g"), None, vec!["a[".into()]).map(drop))),
        ("exclude on a file", ErrorKind::Input, "folders only", Box::new(|w| w.engine.add_item(&w.root.join("plain.txt"), Some("p"), None, vec!["*.x".into()]).map(drop))),
        ("name with a slash", ErrorKind::Input, "not a valid item name", Box::new(|w| w.engine.add_item(&w.root.join("src"), Some("a/b"), None, vec![]).map(drop))),
        ("empty name", ErrorKind::Input, "not a valid item name", Box::new(|w| w.engine.add_item(&w.root.join("src"), Some(""), None, vec![]).map(drop))),
        ("reserved name", ErrorKind::Input, "reserved for Lifeboat", Box::new(|w| w.engine.add_item(&w.root.join("src"), Some("lifeboat-config"), None, vec![]).map(drop))),
        ("duplicate name", ErrorKind::Input, "already exists", Box::new(|w| w.engine.add_item(&w.root.join("src"), Some("docs"), None, vec![]).map(drop))),
        ("data folder as item", ErrorKind::Input, "overlaps Lifeboat's data folder", Box::new(|w| w.engine.add_item(&w.root.join("data"), Some("d"), None, vec![]).map(drop))),
        ("remove unknown item", ErrorKind::Input, "no item named", Box::new(|w| w.engine.remove_item("ghost"))),
        ("relative backup folder", ErrorKind::Input, "must be an absolute path", Box::new(|_| lifeboat_core::target::LocalFolder::new("relative/dir").map(drop))),
        ("restore path with ..", ErrorKind::Input, "not a path inside an item", Box::new(|w| restore(w, &w.cert_backup, Some(&pfx_identity(w)), &["docs"], &["../etc/passwd"]))),
        ("restore path not in backup", ErrorKind::Input, "No file or folder", Box::new(|w| restore(w, &w.cert_backup, Some(&pfx_identity(w)), &["docs"], &["missing.txt"]))),
        ("restore unknown item", ErrorKind::Input, "has no item named \"ghost\"", Box::new(|w| restore(w, &w.cert_backup, Some(&pfx_identity(w)), &["ghost"], &[]))),
        (
            "restore config in place",
            ErrorKind::Input,
            "cannot be restored over the running configuration",
            Box::new(|w| {
                w.engine
                    .restore(
                        &w.cert_backup,
                        Some(&pfx_identity(w)),
                        RestoreRequest { items: vec!["lifeboat-config".into()], paths: vec![], to: None },
                        &NoProgress,
                        &Cancel::default(),
                    )
                    .map(drop)
            }),
        ),
        // The settings blades, every field (applied as one transaction).
        (
            "every 3 hours",
            ErrorKind::Input,
            "choose 4 to 12 hours",
            Box::new(|w| {
                settings(w, |d| {
                    d.schedule_mode = ScheduleMode::EveryHours;
                    d.every_hours = 3
                })
            }),
        ),
        (
            "every 13 hours",
            ErrorKind::Input,
            "choose 4 to 12 hours",
            Box::new(|w| {
                settings(w, |d| {
                    d.schedule_mode = ScheduleMode::EveryHours;
                    d.every_hours = 13
                })
            }),
        ),
        (
            "daily at 25:00",
            ErrorKind::Input,
            "is not a time of day: give HH:MM in UTC",
            Box::new(|w| {
                settings(w, |d| {
                    d.schedule_mode = ScheduleMode::DailyAt;
                    d.daily_at = "25:00".into()
                })
            }),
        ),
        (
            "daily at noon",
            ErrorKind::Input,
            "is not a time of day",
            Box::new(|w| {
                settings(w, |d| {
                    d.schedule_mode = ScheduleMode::DailyAt;
                    d.daily_at = "noon".into()
                })
            }),
        ),
        ("retention of 1 day", ErrorKind::Input, "Retention of 1 day is out of range: choose 2 to 14 days", Box::new(|w| settings(w, |d| d.retention_days = 1))),
        ("retention of 0 backups", ErrorKind::Input, "choose 1 to 1000 backups", Box::new(|w| settings(w, |d| d.max_count = 0))),
        ("expiry of 0 days", ErrorKind::Input, "choose 1 to 3650 days", Box::new(|w| settings(w, |d| d.expiry_days = 0))),
        ("stall timeout of 0 s", ErrorKind::Input, "choose 1 to 86400 seconds", Box::new(|w| settings(w, |d| d.stall_timeout_secs = 0))),
        ("relative local folder", ErrorKind::Input, "Give the full path of a folder", Box::new(|w| settings(w, |d| d.location = LocationDraft::local("relative/dir")))),
        ("empty local folder", ErrorKind::Input, "Give the full path of a folder", Box::new(|w| settings(w, |d| d.location = LocationDraft::local("")))),
        ("share path without a share", ErrorKind::Input, "is not a share path", Box::new(|w| settings(w, |d| d.location = LocationDraft::smb("fileserver", "user", "password")))),
        (
            "share without a user",
            ErrorKind::Input,
            "Give the user as DOMAIN\\user or user",
            Box::new(|w| settings(w, |d| d.location = LocationDraft::smb(r"\\fileserver\backups", "", "password"))),
        ),
        (
            "share passwords that differ",
            ErrorKind::Input,
            "The two passwords differ",
            Box::new(|w| {
                settings(w, |d| {
                    d.location = LocationDraft::smb(r"\\fileserver\backups", "user", "password");
                    d.location.confirm = "passw0rd".into();
                })
            }),
        ),
        (
            "S3 bucket with capitals",
            ErrorKind::Input,
            "Give the bucket name",
            Box::new(|w| settings(w, |d| d.location = LocationDraft::s3("", "", "Bad_Bucket", "AKIAEXAMPLE", "secret"))),
        ),
        (
            "S3 endpoint over ftp",
            ErrorKind::Input,
            "Give the endpoint as a URL",
            Box::new(|w| settings(w, |d| d.location = LocationDraft::s3("ftp://s3.example.com", "", "bucket", "AKIAEXAMPLE", "secret"))),
        ),
        (
            "S3 region with spaces",
            ErrorKind::Input,
            "Give the region as the service names it",
            Box::new(|w| settings(w, |d| d.location = LocationDraft::s3("", "eu west", "bucket", "AKIAEXAMPLE", "secret"))),
        ),
        ("S3 without a key id", ErrorKind::Input, "Give the access key id", Box::new(|w| settings(w, |d| d.location = LocationDraft::s3("", "", "bucket", "", "secret")))),
        (
            "Azure account with capitals",
            ErrorKind::Input,
            "Give the storage account name",
            Box::new(|w| settings(w, |d| d.location = LocationDraft::azure("Bad Account", "backups", "", "a2V5"))),
        ),
        (
            "Azure key not base64",
            ErrorKind::Input,
            "access key as the portal shows it",
            Box::new(|w| settings(w, |d| d.location = LocationDraft::azure("account", "backups", "", "not base64!"))),
        ),
        ("Azure container too short", ErrorKind::Input, "Give the container name", Box::new(|w| settings(w, |d| d.location = LocationDraft::azure("account", "ab", "", "a2V5")))),
        (
            "object storage prefix with ..",
            ErrorKind::Input,
            "no empty, . or .. parts",
            Box::new(|w| settings(w, |d| d.location = LocationDraft::s3("", "", "bucket/../other", "AKIAEXAMPLE", "secret"))),
        ),
        // The vault blade.
        ("secret name with a space", ErrorKind::Input, "vault names use only letters", Box::new(|w| vault(w).set_secret("bad name", b"v", Attributes::default()).map(drop))),
        ("secret name too long", ErrorKind::Input, "vault names are at most 127", Box::new(|w| vault(w).set_secret(&"n".repeat(200), b"v", Attributes::default()).map(drop))),
        (
            "secret too large",
            ErrorKind::Input,
            "holds at most 25600 bytes",
            Box::new(|w| vault(w).set_secret("big", &vec![b'x'; lifeboat_core::vault::MAX_SECRET_BYTES + 1], Attributes::default()).map(drop)),
        ),
        (
            "secret expiring before it starts",
            ErrorKind::Input,
            "must come after the not-before time",
            Box::new(|w| {
                let now = chrono::Utc::now();
                let attributes = Attributes { not_before: Some(now + chrono::Duration::days(2)), expires: Some(now + chrono::Duration::days(1)), ..Attributes::default() };
                vault(w).set_secret("timed", b"v", attributes).map(drop)
            }),
        ),
        (
            "tag with an empty name",
            ErrorKind::Input,
            "must be 1 to 512 printable characters",
            Box::new(|w| {
                let attributes = Attributes { tags: [(String::new(), "x".to_string())].into(), ..Attributes::default() };
                vault(w).set_secret("tagged", b"v", attributes).map(drop)
            }),
        ),
        ("unknown secret", ErrorKind::Input, "There is no secret named \"ghost\"", Box::new(|w| vault(w).reveal_secret("ghost", None).map(drop))),
        ("unknown version", ErrorKind::Input, "has no version", Box::new(|w| vault(w).version(ObjectKind::Secret, "kept", Some("0123456789abcdef")).map(drop))),
        ("key of 1024 bits", ErrorKind::Input, "2048, 3072 or 4096 bits, not 1024", Box::new(|w| vault(w).create_key("small", 1024, Attributes::default()).map(drop))),
        (
            "garbage as a certificate to import",
            ErrorKind::Input,
            "expected a .pfx/.p12 file or a PEM private key",
            Box::new(|w| vault(w).import_certificate("imported", b"garbage", "", Attributes::default()).map(drop)),
        ),
        ("empty blob", ErrorKind::Input, "not a Lifeboat vault backup", Box::new(|w| vault(w).restore_object(b"").map(drop))),
        ("random bytes as a blob", ErrorKind::Input, "not a Lifeboat vault backup", Box::new(|w| vault(w).restore_object(&[0x5a; 300]).map(drop))),
        ("truncated blob", ErrorKind::Integrity, "does not authenticate", Box::new(|w| vault(w).restore_object(&edited_blob(w, |b| b.truncate(b.len() - 1))).map(drop))),
        ("blob of a name that exists", ErrorKind::Input, "already exists in this vault", Box::new(|w| vault(w).restore_object(&edited_blob(w, |_| {})).map(drop))),
        (
            "geography file with a wrong passphrase",
            ErrorKind::Input,
            "passphrase for this geography file is wrong",
            Box::new(|w| {
                let file = vault(w).export_geography("the right geography passphrase")?;
                vault(w).import_geography(&file, "a wrong geography passphrase").map(drop)
            }),
        ),
        // Backup files.
        (
            "backup with bytes appended",
            ErrorKind::Integrity,
            "truncated or has data appended",
            Box::new(|w| {
                let path = edited_backup(w, "appended.lbk", |b| b.extend_from_slice(b"trailing"));
                restore(w, &path, Some(&pfx_identity(w)), &[], &[])
            }),
        ),
        ("unknown backup id", ErrorKind::Input, "No backup \"0123abcd-nope\"", Box::new(|w| restore(w, "0123abcd-nope", None, &[], &[]))),
        ("not a backup file", ErrorKind::Input, "not a Lifeboat backup file", Box::new(|w| restore(w, w.root.join("plain.txt").to_str().unwrap(), None, &[], &[]))),
        (
            "empty backup file",
            ErrorKind::Input,
            "too short",
            Box::new(|w| {
                fs::write(w.root.join("empty.lbk"), b"").unwrap();
                restore(w, w.root.join("empty.lbk").to_str().unwrap(), None, &[], &[])
            }),
        ),
        (
            "newer format version",
            ErrorKind::Input,
            "format version 2",
            Box::new(|w| {
                let path = edited_backup(w, "v2.lbk", |b| b[8] = 2);
                let result = restore(w, &path, Some(&pfx_identity(w)), &[], &[]);
                match &result {
                    Err(e) if !e.to_string().contains(&format!("made by Lifeboat {}", env!("CARGO_PKG_VERSION"))) => panic!("{e}"),
                    _ => result,
                }
            }),
        ),
        (
            "absurd header length",
            ErrorKind::Integrity,
            "claims a length of",
            Box::new(|w| {
                let path = edited_backup(w, "hdr.lbk", |b| b[10..14].copy_from_slice(&u32::MAX.to_le_bytes()));
                restore(w, &path, Some(&pfx_identity(w)), &[], &[])
            }),
        ),
        (
            "truncated backup",
            ErrorKind::Integrity,
            "truncated",
            Box::new(|w| {
                let path = edited_backup(w, "trunc.lbk", |b| b.truncate(b.len() - 100));
                restore(w, &path, Some(&pfx_identity(w)), &[], &[])
            }),
        ),
        (
            "header edited to extend expiry",
            ErrorKind::Integrity,
            "header failed authentication",
            Box::new(|w| {
                let path = edited_backup(w, "expiry.lbk", |b| {
                    let text = String::from_utf8_lossy(b).into_owned();
                    let at = text.find("\"expires_at\":\"2026").unwrap() + "\"expires_at\":\"".len();
                    b[at..at + 4].copy_from_slice(b"2099");
                });
                restore(w, &path, Some(&pfx_identity(w)), &[], &[])
            }),
        ),
        (
            "expired backup",
            ErrorKind::Input,
            "Cannot restore: backup expired",
            Box::new(|w| {
                w.clock.advance(chrono::Duration::days(40));
                let result = restore(w, &w.cert_backup, Some(&pfx_identity(w)), &[], &[]);
                w.clock.advance(chrono::Duration::days(-40));
                result
            }),
        ),
    ]
}

#[test]
fn bad_inputs_get_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let w = world(tmp.path());
    vault(&w).set_secret("kept", b"a value", Attributes::default()).unwrap();
    let before = stored_state(&w);
    let cases = cases();
    assert!(cases.len() >= 80, "{} cases", cases.len());
    let mut failures = Vec::new();
    for (name, kind, message, case) in &cases {
        match case(&w) {
            Ok(()) => failures.push(format!("{name}: accepted")),
            Err(e) if e.kind() != *kind || !e.to_string().contains(message) => {
                failures.push(format!("{name}: got {:?} {:?}, wanted {kind:?} containing {message:?}", e.kind(), e.to_string()))
            }
            Err(_) => {}
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
    assert_eq!(stored_state(&w), before, "bad input changed what was stored");
    println!("{} bad inputs, each refused with its message; nothing stored changed", cases.len());
    assert!(!w.root.join("out").exists(), "no failed restore wrote anything");
}
