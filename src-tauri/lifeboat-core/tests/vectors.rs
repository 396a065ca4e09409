//! Committed test vectors: backups made with fixed randomness, with the identities that
//! open them. Reading them proves this program still reads format v1; regenerating
//! them byte for byte proves it still writes it. Set LIFEBOAT_WRITE_VECTORS=1 to
//! create them (only when the format version changes).

use std::fs;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use chrono::{TimeZone, Utc};
use lifeboat_core::commands::backup::{write_backup, BackupMeta, Source};
use lifeboat_core::commands::restore::{Restore, RestoreRequest};
use lifeboat_core::commands::verify::{Verify, VerifyMethod};
use lifeboat_core::engine::Engine;
use lifeboat_core::format::{read_header, EntryKind, Installation, ItemKind, OpenedBackup};
use lifeboat_core::items::{plan_item, ProtectedItem};
use lifeboat_core::progress::{Cancel, NoProgress};
use lifeboat_core::protector::{
    parse_legacy_key, unwrap_file_key, Identity, KeyIdentity, KeyRecipient, NoneRecipient, PassphraseIdentity, PassphraseRecipient, Recipient, RsaIdentity, RsaRecipient,
};
use rand::SeedableRng;
use std::sync::Arc;
use zeroize::Zeroizing;

const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const PASSPHRASE: &str = "lifeboat test vector";
const PFX_PASSWORD: &str = "vector-password";

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

/// The files every vector holds: (path, content, mode, mtime).
const FILES: &[(&str, &str, u32, u64)] =
    &[("hello.txt", "Hello, Lifeboat!\n", 0o644, 1_700_000_000), ("empty.txt", "", 0o600, 1_700_000_100), ("nested/ünïcødé.conf", "key = välue\n", 0o640, 1_700_000_200)];

fn make_source(root: &Path) -> Source {
    fs::create_dir_all(root.join("nested")).unwrap();
    for (path, content, mode, mtime) in FILES {
        let p = root.join(path);
        fs::write(&p, content).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&p, fs::Permissions::from_mode(*mode)).unwrap();
        }
        let _ = mode;
        fs::File::options().write(true).open(&p).unwrap().set_modified(UNIX_EPOCH + Duration::from_secs(*mtime)).unwrap();
    }
    for d in ["nested", ""] {
        let mut options = fs::File::options();
        options.read(true);
        #[cfg(windows)]
        {
            // Folders open only with backup semantics there, and their time needs
            // write-attributes access.
            use std::os::windows::fs::OpenOptionsExt;
            options.read(false).access_mode(0x100).custom_flags(0x0200_0000);
        }
        options.open(root.join(d)).unwrap().set_modified(UNIX_EPOCH + Duration::from_secs(1_699_999_999)).unwrap();
    }
    let item = ProtectedItem { name: "docs".into(), kind: ItemKind::Folder, path: root.to_owned(), excludes: vec![] };
    Source { name: "docs".into(), kind: ItemKind::Folder, origin: "/srv/docs".into(), entries: plan_item(&item, &mut Vec::new()).unwrap() }
}

fn generate(name: &str, recipient: &dyn Recipient, seed: u64) -> Vec<u8> {
    let tmp = tempfile::tempdir().unwrap();
    let source = make_source(tmp.path());
    let created = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
    let meta = BackupMeta {
        backup_id: uuid::Uuid::from_u128(0x1f0e_d2c3_b4a5_4697_8877_6655_4433_2211 + seed as u128),
        created_at: created,
        // Far in the future: vectors are read for as long as format v1 exists.
        expires_at: Utc.with_ymd_and_hms(2126, 1, 2, 3, 4, 5).unwrap(),
        installation: Installation { id: uuid::Uuid::from_u128(42), name: format!("vector-{name}") },
        lifeboat_version: "0.1.0".into(),
        audit_head: None,
    };
    let mut rng = rand::rngs::ChaCha20Rng::seed_from_u64(seed);
    write_backup(Vec::new(), meta, &[recipient], &[source], vec![], &mut rng, &NoProgress, &Cancel::default()).unwrap().out
}

/// A vector's name, how it was written and how it is opened.
type Vector = (&'static str, Box<dyn Recipient>, Box<dyn Identity>);

fn vectors() -> Vec<Vector> {
    let cert = lifeboat_core::protector::CertificateInfo::from_public_file(&fs::read(dir().join("cert.cer")).unwrap()).unwrap();
    let pfx = fs::read(dir().join("cert.pfx")).unwrap();
    vec![
        ("key", Box::new(KeyRecipient(parse_legacy_key(KEY).unwrap())), Box::new(KeyIdentity(parse_legacy_key(KEY).unwrap()))),
        (
            "passphrase",
            Box::new(PassphraseRecipient::derive_with(PASSPHRASE, b"fixed salt 16 b!".to_vec(), 256, 1, 1).unwrap()),
            Box::new(PassphraseIdentity::new(Zeroizing::new(PASSPHRASE.into()))),
        ),
        ("certificate", Box::new(RsaRecipient::new(cert).unwrap()), Box::new(RsaIdentity::from_file(&pfx, PFX_PASSWORD).unwrap())),
        ("none", Box::new(NoneRecipient), Box::new(KeyIdentity(parse_legacy_key(KEY).unwrap()))),
    ]
}

#[test]
fn committed_vectors_open_and_hold_the_expected_files() {
    if std::env::var_os("LIFEBOAT_WRITE_VECTORS").is_some() {
        for (seed, (name, recipient, _)) in vectors().into_iter().enumerate() {
            fs::write(dir().join(format!("{name}-v1.lbk")), generate(name, recipient.as_ref(), seed as u64)).unwrap();
        }
    }
    for (seed, (name, recipient, identity)) in vectors().into_iter().enumerate() {
        let committed = fs::read(dir().join(format!("{name}-v1.lbk"))).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut cursor = Cursor::new(&committed);
        let header = read_header(&mut cursor).unwrap();
        let file_key = unwrap_file_key(&header.header, Some(identity.as_ref())).unwrap();
        let opened = OpenedBackup::open(&mut cursor, header, &file_key).unwrap();
        assert_eq!(opened.header.installation.name, format!("vector-{name}"));
        let files: Vec<(String, u32, i64, u64)> = opened.index.entries.iter().filter(|e| e.kind == EntryKind::File).map(|e| (e.path.clone(), e.mode, e.mtime, e.size)).collect();
        let mut expected: Vec<(String, u32, i64, u64)> = FILES.iter().map(|(p, c, m, t)| (p.to_string(), *m, *t as i64, c.len() as u64)).collect();
        expected.sort();
        let mut got = files.clone();
        got.sort();
        assert_eq!(got, expected, "{name}");

        // Every byte authenticated, then the content through a restore, by the engine.
        let work = tempfile::tempdir().unwrap();
        std::env::set_var(lifeboat_core::vault::key_home::STORE_SWITCH, "off");
        let engine = Engine::open(&work.path().join("data")).unwrap();
        let path = dir().join(format!("{name}-v1.lbk"));
        let file = Arc::new(engine.inspect(path.to_str().unwrap()).unwrap());
        let backup = Arc::new(engine.unlock(&file, Some(identity.as_ref())).unwrap());
        let verified = engine.run(Verify::Authenticated(backup.clone()), &NoProgress, &Cancel::default()).unwrap();
        assert_eq!((verified.method, verified.entries), (VerifyMethod::Authenticated, Some(opened.index.entries.len() as u64)));
        let out = work.path().join("out");
        let request = RestoreRequest { items: vec![], paths: vec![], to: Some(out.clone()) };
        engine.run(Restore { backup, request }, &NoProgress, &Cancel::default()).unwrap();
        for (path, content, mode, mtime) in FILES {
            let restored = out.join("docs").join(path);
            assert_eq!(fs::read_to_string(&restored).unwrap(), *content, "{name}: {path}");
            let meta = fs::metadata(&restored).unwrap();
            assert_eq!(meta.modified().unwrap(), UNIX_EPOCH + Duration::from_secs(*mtime), "{name}: {path}");
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                assert_eq!(meta.permissions().mode() & 0o7777, *mode, "{name}: {path}");
            }
            let _ = mode;
        }

        // The writer still produces exactly these bytes. Not on Windows: a source
        // there has no modes to give, and the vectors' files have three.
        if cfg!(unix) {
            assert!(generate(name, recipient.as_ref(), seed as u64) == committed, "{name}: format v1 output changed");
        }
    }
}
