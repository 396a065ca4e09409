//! The vault: objects and their versions, attributes, soft-delete with the injected
//! clock, purge protection, name rules, encryption at rest, and backup blobs across
//! geographies.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use chrono::Duration;
use common::{openssl, openssl_output, TestClock};
use lifeboat_core::vault::{AttributeChanges, Attributes, Details, ObjectKind, Vault};
use lifeboat_core::{ErrorKind, Result};

fn vault(dir: &Path, clock: &TestClock) -> Vault {
    // Tests keep the vault key in the file, never in a developer's keyring.
    std::env::set_var(lifeboat_core::vault::key_home::STORE_SWITCH, "off");
    let clock = clock.0.clone();
    Vault::open(dir, Arc::new(move || *clock.lock().unwrap())).unwrap()
}

fn input_error<T: std::fmt::Debug>(result: Result<T>, expected: &str) {
    let e = result.expect_err(expected);
    assert_eq!(e.kind(), ErrorKind::Input, "{e}");
    assert!(e.to_string().contains(expected), "{e:?} should say {expected:?}");
}

fn secret(value: &str) -> Vec<u8> {
    value.as_bytes().to_vec()
}

#[test]
fn a_secret_keeps_every_version_and_reads_the_newest() {
    let dir = tempfile::tempdir().unwrap();
    let clock = TestClock::new();
    let v = vault(dir.path(), &clock);
    let first = v.set_secret("db-password", &secret("one"), Attributes::default()).unwrap();
    clock.advance(Duration::hours(1));
    let tagged = Attributes { content_type: Some("text/plain".into()), tags: BTreeMap::from([("env".into(), "prod".into())]), ..Attributes::default() };
    let second = v.set_secret("db-password", &secret("two"), tagged.clone()).unwrap();

    assert_eq!(*v.reveal_secret("db-password", None).unwrap(), "two");
    assert_eq!(*v.reveal_secret("db-password", Some(&first.version)).unwrap(), "one");
    let versions = v.versions(ObjectKind::Secret, "db-password").unwrap();
    assert_eq!(versions.iter().map(|i| &i.version).collect::<Vec<_>>(), [&first.version, &second.version]);
    assert_eq!(versions[1].attributes, tagged);
    assert_eq!(versions[1].details, Details::Secret { bytes: 3 });
    assert_eq!(versions[1].created_at - versions[0].created_at, Duration::hours(1));
    let listed = v.list(Some(ObjectKind::Secret), false).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].versions, &listed[0].current.version), (2, &second.version));
    input_error(v.reveal_secret("db-password", Some("0123")), "has no version");
    input_error(v.reveal_secret("other", None), "There is no secret named \"other\"");
    input_error(v.set_secret("big", &vec![b'x'; 25 * 1024 + 1], Attributes::default()), "at most 25600 bytes");
    input_error(v.set_secret("bin", &[0xff, 0xfe], Attributes::default()), "UTF-8");
    v.set_secret("big", &vec![b'x'; 25 * 1024], Attributes::default()).unwrap();
}

#[test]
fn attributes_change_without_a_new_version_and_govern_reading() {
    let dir = tempfile::tempdir().unwrap();
    let clock = TestClock::new();
    let v = vault(dir.path(), &clock);
    let made = v.set_secret("api", &secret("s3cr3t"), Attributes::default()).unwrap();
    clock.advance(Duration::minutes(5));

    let disabled = v.update(ObjectKind::Secret, "api", None, &AttributeChanges { enabled: Some(false), ..Default::default() }).unwrap();
    assert_eq!((disabled.version.as_str(), disabled.created_at, disabled.updated_at), (made.version.as_str(), made.created_at, made.created_at + Duration::minutes(5)));
    assert_eq!(v.versions(ObjectKind::Secret, "api").unwrap().len(), 1, "an attribute change is not a new version");
    input_error(v.reveal_secret("api", None), "is disabled");

    let later = clock.0.lock().unwrap().to_owned() + Duration::days(2);
    v.update(ObjectKind::Secret, "api", None, &AttributeChanges { enabled: Some(true), not_before: Some(Some(later)), ..Default::default() }).unwrap();
    input_error(v.reveal_secret("api", None), "is not valid before");
    clock.advance(Duration::days(3));
    assert_eq!(*v.reveal_secret("api", None).unwrap(), "s3cr3t");

    // An expired version stays readable (as in Key Vault); the listing shows the expiry.
    let past = clock.0.lock().unwrap().to_owned() - Duration::hours(1);
    input_error(
        v.update(ObjectKind::Secret, "api", None, &AttributeChanges { expires: Some(Some(later - Duration::hours(1))), ..Default::default() }),
        "must come after the not-before",
    );
    v.update(ObjectKind::Secret, "api", None, &AttributeChanges { not_before: Some(None), expires: Some(Some(past)), ..Default::default() }).unwrap();
    assert_eq!(*v.reveal_secret("api", None).unwrap(), "s3cr3t");
    assert_eq!(v.list(None, false).unwrap()[0].current.attributes.expires, Some(past));

    let too_many: BTreeMap<String, String> = (0..16).map(|i| (format!("t{i}"), "v".into())).collect();
    input_error(v.update(ObjectKind::Secret, "api", None, &AttributeChanges { tags: Some(too_many), ..Default::default() }), "at most 15");
    input_error(v.update(ObjectKind::Secret, "api", None, &AttributeChanges { content_type: Some(Some("a\nb".into())), ..Default::default() }), "content type");
}

#[test]
fn names_are_letters_digits_and_dashes_unique_per_kind() {
    let dir = tempfile::tempdir().unwrap();
    let v = vault(dir.path(), &TestClock::new());
    for (name, expected) in [
        ("", "needs a name"),
        ("has space", "contains ' '"),
        ("under_score", "contains '_'"),
        ("dot.ted", "contains '.'"),
        ("ünï", "contains 'ü'"),
        (&"a".repeat(128), "128 characters long"),
    ] {
        input_error(v.set_secret(name, b"x", Attributes::default()), expected);
    }
    v.set_secret(&"a".repeat(127), b"x", Attributes::default()).unwrap();
    v.set_secret("Shared-Name-1", b"x", Attributes::default()).unwrap();
    // The same name as another kind is another object.
    v.create_key("Shared-Name-1", 2048, Attributes::default()).unwrap();
    assert_eq!(v.list(None, false).unwrap().iter().filter(|o| o.name == "Shared-Name-1").count(), 2);
}

#[test]
fn keys_are_generated_in_the_vault_and_export_only_their_public_part() {
    let dir = tempfile::tempdir().unwrap();
    let v = vault(dir.path(), &TestClock::new());
    input_error(v.create_key("signing", 1024, Attributes::default()), "2048, 3072 or 4096");
    let made = v.create_key("signing", 2048, Attributes::default()).unwrap();
    assert_eq!(made.details, Details::Key { algorithm: "RSA".into(), bits: 2048 });
    let pem = v.public_file(ObjectKind::Key, "signing", None).unwrap();
    std::fs::write(dir.path().join("pub.pem"), &pem).unwrap();
    let text = openssl_output(dir.path(), &["pkey", "-pubin", "-in", "pub.pem", "-noout", "-text"]);
    assert!(text.contains("2048 bit"), "{text}");
    input_error(v.reveal_secret("signing", None), "There is no secret");
    v.create_key("signing", 2048, Attributes::default()).unwrap();
    assert_ne!(v.public_file(ObjectKind::Key, "signing", None).unwrap(), pem, "a new version is a new key");
    assert_eq!(v.public_file(ObjectKind::Key, "signing", Some(&made.version)).unwrap(), pem);
}

#[test]
fn certificates_are_imported_with_their_key_or_created_and_export_the_cer() {
    let dir = tempfile::tempdir().unwrap();
    let clock = TestClock::new();
    let v = vault(dir.path(), &clock);
    let d = dir.path();
    openssl(d, &["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "cert.pem", "-subj", "/CN=web", "-days", "30"]);
    openssl(d, &["pkcs12", "-export", "-inkey", "key.pem", "-in", "cert.pem", "-out", "web.pfx", "-passout", "pass:pfx-pass"]);
    let thumbprint = openssl_output(d, &["x509", "-in", "cert.pem", "-noout", "-fingerprint", "-sha1"]).trim().rsplit('=').next().unwrap().replace(':', "");

    let pfx = std::fs::read(d.join("web.pfx")).unwrap();
    input_error(v.import_certificate("web", &pfx, "wrong", Attributes::default()), "PFX password is wrong");
    let imported = v.import_certificate("web", &pfx, "pfx-pass", Attributes::default()).unwrap();
    let Details::Certificate { thumbprint: got, subject, not_after, .. } = &imported.details else { panic!("{:?}", imported.details) };
    assert_eq!((got.as_str(), subject.as_str()), (thumbprint.as_str(), "CN=web"));
    assert_eq!(imported.attributes.expires, Some(*not_after), "the certificate's validity becomes the version's");

    let both = [std::fs::read(d.join("key.pem")).unwrap(), std::fs::read(d.join("cert.pem")).unwrap()].concat();
    let from_pem = v.import_certificate("web", &both, "", Attributes::default()).unwrap();
    assert_eq!(from_pem.details, imported.details);
    input_error(v.import_certificate("web", &std::fs::read(d.join("cert.pem")).unwrap(), "", Attributes::default()), "only a certificate");
    input_error(v.import_certificate("web", &std::fs::read(d.join("key.pem")).unwrap(), "", Attributes::default()), "not its certificate");

    let created = v.create_certificate("internal", "Lifeboat Test", 2048, 2, Attributes::default()).unwrap();
    let cer = v.public_file(ObjectKind::Certificate, "internal", None).unwrap();
    std::fs::write(d.join("internal.cer"), &cer).unwrap();
    let shown = openssl_output(d, &["x509", "-inform", "DER", "-in", "internal.cer", "-noout", "-subject", "-fingerprint", "-sha1"]);
    let Details::Certificate { thumbprint, .. } = &created.details else { panic!() };
    assert!(shown.contains("CN = Lifeboat Test") && shown.replace(':', "").contains(thumbprint.as_str()), "{shown}");
}

#[test]
fn deleted_objects_are_recoverable_until_their_period_ends_then_purged() {
    let dir = tempfile::tempdir().unwrap();
    let clock = TestClock::new();
    let v = vault(dir.path(), &clock);
    v.set_secret("keep", b"1", Attributes::default()).unwrap();
    v.set_secret("gone", b"2", Attributes::default()).unwrap();
    v.set_secret("gone", b"3", Attributes::default()).unwrap();
    input_error(v.set_recovery_days(6), "choose 7 to 90 days");
    input_error(v.set_recovery_days(91), "choose 7 to 90 days");
    assert_eq!(v.settings().unwrap().recovery_days, 90);
    v.set_recovery_days(30).unwrap();

    let deleted = v.delete(ObjectKind::Secret, "gone").unwrap();
    let start = *clock.0.lock().unwrap();
    assert_eq!((deleted.deleted_at, deleted.purge_at), (Some(start), Some(start + Duration::days(30))));
    assert_eq!(v.list(None, false).unwrap().iter().map(|o| o.name.as_str()).collect::<Vec<_>>(), ["keep"]);
    assert_eq!(v.list(None, true).unwrap().iter().map(|o| (o.name.as_str(), o.versions)).collect::<Vec<_>>(), [("gone", 2)]);
    input_error(v.reveal_secret("gone", None), "is deleted");
    input_error(v.set_secret("gone", b"4", Attributes::default()), "deleted but still recoverable");
    input_error(v.delete(ObjectKind::Secret, "gone"), "is deleted");

    clock.advance(Duration::days(29));
    v.recover(ObjectKind::Secret, "gone").unwrap();
    assert_eq!(*v.reveal_secret("gone", None).unwrap(), "3");
    input_error(v.recover(ObjectKind::Secret, "gone"), "is not deleted");
    input_error(v.recover(ObjectKind::Secret, "never"), "no deleted secret");

    // Deleted again: the period starts anew; one second before it ends it is still
    // there, and the next open after it ends purges it.
    v.delete(ObjectKind::Secret, "gone").unwrap();
    clock.advance(Duration::days(30) - Duration::seconds(1));
    drop(v);
    let v = vault(dir.path(), &clock);
    assert_eq!(v.list(None, true).unwrap().len(), 1);
    clock.advance(Duration::seconds(1));
    drop(v);
    let v = vault(dir.path(), &clock);
    assert!(v.list(None, true).unwrap().is_empty(), "purged when its recovery period ended");
    v.set_secret("gone", b"new", Attributes::default()).unwrap();
    assert_eq!(v.versions(ObjectKind::Secret, "gone").unwrap().len(), 1, "a purged name starts afresh");

    // A vault that stays open (the desktop app's) purges when it is next used.
    v.delete(ObjectKind::Secret, "gone").unwrap();
    clock.advance(Duration::days(30));
    assert!(v.list(None, true).unwrap().is_empty(), "purged by the open vault once the period ended");
    v.set_secret("gone", b"again", Attributes::default()).unwrap();

    // Without purge protection a deleted object can be purged at once.
    v.delete(ObjectKind::Secret, "keep").unwrap();
    input_error(v.purge(ObjectKind::Secret, "gone"), "is not deleted");
    v.purge(ObjectKind::Secret, "keep").unwrap();
    assert!(v.list(None, true).unwrap().is_empty());
}

#[test]
fn purge_protection_stays_on_and_holds_deleted_objects_for_their_period() {
    let dir = tempfile::tempdir().unwrap();
    let clock = TestClock::new();
    let v = vault(dir.path(), &clock);
    v.set_recovery_days(10).unwrap();
    v.set_secret("s", b"x", Attributes::default()).unwrap();
    assert!(!v.settings().unwrap().purge_protection);
    assert!(v.enable_purge_protection().unwrap().purge_protection);
    v.delete(ObjectKind::Secret, "s").unwrap();
    input_error(v.purge(ObjectKind::Secret, "s"), "Purge protection is on");
    input_error(v.set_recovery_days(7), "not lowered below 10 days");
    v.set_recovery_days(20).unwrap();
    drop(v);
    let v = vault(dir.path(), &clock);
    assert!(v.settings().unwrap().purge_protection, "there is no way to turn it off");
    clock.advance(Duration::days(9));
    input_error(v.purge(ObjectKind::Secret, "s"), "Purge protection is on");
    v.recover(ObjectKind::Secret, "s").unwrap();
    v.delete(ObjectKind::Secret, "s").unwrap();
    clock.advance(Duration::days(20));
    assert_eq!(v.purge_expired().unwrap(), 1);
}

#[test]
fn values_and_private_keys_are_encrypted_at_rest() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let v = vault(d, &TestClock::new());
    let value = "correct-horse-battery-staple-4711";
    v.set_secret("plain-check", value.as_bytes(), Attributes::default()).unwrap();
    openssl(d, &["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "cert.pem", "-subj", "/CN=x", "-days", "3"]);
    openssl(d, &["pkcs8", "-topk8", "-nocrypt", "-in", "key.pem", "-outform", "DER", "-out", "key.der"]);
    openssl(d, &["rsa", "-in", "key.pem", "-traditional", "-outform", "DER", "-out", "key1.der"]);
    let both = [std::fs::read(d.join("key.pem")).unwrap(), std::fs::read(d.join("cert.pem")).unwrap()].concat();
    v.import_certificate("c", &both, "", Attributes::default()).unwrap();
    drop(v);

    let mut stored = Vec::new();
    for entry in std::fs::read_dir(d).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("vault.db") {
            stored.extend(std::fs::read(entry.path()).unwrap());
        }
    }
    assert!(stored.len() > 4096, "the vault's files were read");
    let pkcs8 = std::fs::read(d.join("key.der")).unwrap();
    let pkcs1 = std::fs::read(d.join("key1.der")).unwrap();
    let contains = |needle: &[u8]| stored.windows(needle.len()).any(|w| w == needle);
    assert!(!contains(value.as_bytes()), "the secret's value is not in the vault file");
    assert!(!contains(&pkcs8), "the private key (PKCS#8) is not in the vault file");
    // Any 32 bytes from the middle of the private key (the private exponent and primes).
    for start in (pkcs1.len() / 2..pkcs1.len() - 32).step_by(97) {
        assert!(!contains(&pkcs1[start..start + 32]), "no part of the private key is in the vault file");
    }
    let key_file = lifeboat_core::vault::key_home::file_path(d);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    #[cfg(windows)]
    common::assert_owner_only_acl(&key_file);
    // With the key file gone, names are listed but nothing opens.
    std::fs::remove_file(&key_file).unwrap();
    let v = vault(d, &TestClock::new());
    assert_eq!(v.list(None, false).unwrap().len(), 2);
    let e = v.reveal_secret("plain-check", None).unwrap_err();
    assert!(e.to_string().contains("the vault key"), "{e}");
}

#[test]
fn a_blob_restores_every_version_into_a_vault_of_its_geography() {
    let root = tempfile::tempdir().unwrap();
    let clock = TestClock::new();
    let a = vault(&root.path().join("a"), &clock);
    let b = vault(&root.path().join("b"), &clock);
    let s1 = a.set_secret("conn", b"v1", Attributes::default()).unwrap();
    clock.advance(Duration::minutes(1));
    a.set_secret("conn", b"v2", Attributes { tags: BTreeMap::from([("t".into(), "2".into())]), ..Attributes::default() }).unwrap();
    a.update(ObjectKind::Secret, "conn", Some(&s1.version), &AttributeChanges { enabled: Some(false), ..Default::default() }).unwrap();
    a.create_key("k", 2048, Attributes::default()).unwrap();
    a.create_key("k", 2048, Attributes::default()).unwrap();
    a.create_certificate("c", "Blob Test", 2048, 1, Attributes::default()).unwrap();
    a.create_certificate("c", "Blob Test 2", 2048, 1, Attributes::default()).unwrap();

    for (kind, name) in [(ObjectKind::Secret, "conn"), (ObjectKind::Key, "k"), (ObjectKind::Certificate, "c")] {
        let before = a.versions(kind, name).unwrap();
        let publics: Vec<_> = before.iter().filter(|_| kind != ObjectKind::Secret).map(|i| a.public_file(kind, name, Some(&i.version)).unwrap()).collect();
        let blob = a.backup_object(kind, name).unwrap();
        input_error(a.restore_object(&blob), "already exists");
        a.delete(kind, name).unwrap();
        input_error(a.restore_object(&blob), "deleted but recoverable");
        a.purge(kind, name).unwrap();
        let restored = a.restore_object(&blob).unwrap();
        assert_eq!(restored.versions as usize, before.len());
        assert_eq!(a.versions(kind, name).unwrap(), before, "{kind} {name}: every version and attribute comes back");
        let after: Vec<_> = before.iter().filter(|_| kind != ObjectKind::Secret).map(|i| a.public_file(kind, name, Some(&i.version)).unwrap()).collect();
        assert_eq!(after, publics);
        // Another vault (another geography) refuses it.
        input_error(b.restore_object(&blob), "belongs to another geography");
    }
    assert_eq!(*a.reveal_secret("conn", None).unwrap(), "v2");
    input_error(a.reveal_secret("conn", Some(&s1.version)), "is disabled");

    // Pairing: b imports a's geography and then restores a's blobs; a restores b's new ones.
    let file = a.export_geography("pairing passphrase").unwrap();
    let e = b.import_geography(&file, "wrong passphrase").unwrap_err();
    assert!(e.to_string().contains("passphrase for this geography file is wrong"), "{e}");
    input_error(b.import_geography(b"{}", "x"), "not a Lifeboat geography file");
    let paired = b.import_geography(&file, "pairing passphrase").unwrap();
    assert_eq!(paired.geography, a.settings().unwrap().geography);
    assert_eq!(paired.paired_geographies.len(), 1, "b keeps its own first geography for its older blobs");
    let blob = a.backup_object(ObjectKind::Secret, "conn").unwrap();
    b.restore_object(&blob).unwrap();
    assert_eq!(*b.reveal_secret("conn", None).unwrap(), "v2");
    b.set_secret("from-b", b"hello", Attributes::default()).unwrap();
    a.restore_object(&b.backup_object(ObjectKind::Secret, "from-b").unwrap()).unwrap();
    assert_eq!(*a.reveal_secret("from-b", None).unwrap(), "hello");
}

#[test]
fn tampered_truncated_and_foreign_blobs_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let v = vault(dir.path(), &TestClock::new());
    v.set_secret("s", b"value", Attributes::default()).unwrap();
    let blob = v.backup_object(ObjectKind::Secret, "s").unwrap();
    v.delete(ObjectKind::Secret, "s").unwrap();
    v.purge(ObjectKind::Secret, "s").unwrap();

    let flip = |at: usize| {
        let mut b = blob.clone();
        b[at] ^= 0x01;
        b
    };
    let newer = {
        let mut b = blob.clone();
        b[20..22].copy_from_slice(&2u16.to_be_bytes());
        b
    };
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", vec![], "not a Lifeboat vault backup"),
        ("a backup file", b"LIFEBOAT\x00\x01 something else".to_vec(), "not a Lifeboat vault backup"),
        ("magic only", blob[..20].to_vec(), "truncated"),
        ("half a header", blob[..40].to_vec(), "truncated"),
        ("header only", blob[..70].to_vec(), "truncated"),
        ("last byte cut", blob[..blob.len() - 1].to_vec(), "does not authenticate"),
        ("bytes added", [blob.as_slice(), b"x"].concat(), "does not authenticate"),
        ("version byte", newer, "newer Lifeboat"),
        ("geography id", flip(25), "another geography"),
        ("salt", flip(50), "does not authenticate"),
        ("ciphertext", flip(90), "does not authenticate"),
        ("tag", flip(blob.len() - 1), "does not authenticate"),
    ];
    for (what, bytes, expected) in cases {
        let e = v.restore_object(&bytes).expect_err(what);
        assert!(e.to_string().contains(expected), "{what}: {e}");
        assert!(matches!(e.kind(), ErrorKind::Input | ErrorKind::Integrity), "{what}: {e:?}");
    }
    assert!(v.list(None, false).unwrap().is_empty(), "nothing was restored from a bad blob");
    v.restore_object(&blob).unwrap();
}

#[test]
fn attribute_changes_from_the_window_clear_a_date_given_as_null_and_keep_what_is_left_out() {
    let clear: AttributeChanges = serde_json::from_str(r#"{ "expires": null }"#).unwrap();
    assert_eq!(clear, AttributeChanges { expires: Some(None), ..Default::default() });
    let keep: AttributeChanges = serde_json::from_str(r#"{ "enabled": false }"#).unwrap();
    assert_eq!(keep, AttributeChanges { enabled: Some(false), ..Default::default() });
}

/// Bit rot in a vault blob: one bit flipped at 1,000 seeded offsets of a blob holding
/// several versions; each is refused with the part named, and nothing is restored.
#[test]
fn a_thousand_flipped_bits_in_a_blob_are_each_refused_naming_the_part() {
    use rand::{RngExt, SeedableRng};
    let dir = tempfile::tempdir().unwrap();
    let v = vault(dir.path(), &TestClock::new());
    for value in ["first", "second", "third version of the value"] {
        v.set_secret("s", value.as_bytes(), Attributes::default()).unwrap();
    }
    let blob = v.backup_object(ObjectKind::Secret, "s").unwrap();
    v.delete(ObjectKind::Secret, "s").unwrap();
    v.purge(ObjectKind::Secret, "s").unwrap();
    // docs/format.md, "Vault backup blobs": magic 20, version 2, geography 16, salt 32.
    let expected = |at: usize| match at {
        0..20 => "not a Lifeboat vault backup",
        20..22 => "blob format",
        22..38 => "another geography",
        _ => "does not authenticate",
    };
    let mut rng = rand::rngs::StdRng::seed_from_u64(16);
    for _ in 0..1000 {
        let at = rng.random_range(0..blob.len());
        let bit = 1u8 << rng.random_range(0..8u32);
        let mut bytes = blob.clone();
        bytes[at] ^= bit;
        let e = v.restore_object(&bytes).expect_err(&format!("byte {at} bit {bit:#x}: restored"));
        assert!(e.to_string().contains(expected(at)), "byte {at} bit {bit:#x}: {e}");
        assert!(matches!(e.kind(), ErrorKind::Input | ErrorKind::Integrity), "byte {at}: {e:?}");
    }
    assert!(v.list(None, true).unwrap().is_empty() && v.list(None, false).unwrap().is_empty(), "nothing was restored from a bad blob");
    v.restore_object(&blob).unwrap();
}

#[test]
fn the_key_file_names_its_vault_and_a_bare_key_from_lifeboat_0_2_still_opens() {
    let root = tempfile::tempdir().unwrap();
    let d = root.path();
    let clock = TestClock::new();
    let v = vault(d, &clock);
    v.set_secret("kept", b"a value", Attributes::default()).unwrap();
    let id = v.id().unwrap();
    drop(v);
    let key_file = lifeboat_core::vault::key_home::file_path(d);
    let text = std::fs::read_to_string(&key_file).unwrap();
    let (named, key) = text.trim_end().split_once(' ').expect("a line names its vault");
    assert_eq!(named, id);
    // The file as Lifeboat 0.2 wrote it: the key alone.
    std::fs::write(&key_file, format!("{key}\n")).unwrap();
    assert_eq!(*vault(d, &clock).reveal_secret("kept", None).unwrap(), "a value");
    // Another vault's key beside it (a recovery cut short) does not stand in for it.
    std::fs::write(&key_file, format!("0123456789abcdef0123456789abcdef {key}\n")).unwrap();
    let e = vault(d, &clock).reveal_secret("kept", None).unwrap_err();
    assert!(e.to_string().contains("vault key file"), "{e}");
}
