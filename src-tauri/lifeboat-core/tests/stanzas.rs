//! Open stanzas: each protector owns its stanza type, and a reader skips stanza
//! types it does not know when another stanza can open the file. The header MAC
//! still covers every stanza, known or not.

mod common;

use std::io::Cursor;

use lifeboat_core::commands::backup::{write_backup, Source};
use lifeboat_core::commands::verify::authenticate_stream;
use lifeboat_core::format::{read_header, EncryptionKind, FileKey, ItemKind, Stanza};
use lifeboat_core::items::{plan_item, ProtectedItem};
use lifeboat_core::progress::{Cancel, NoProgress};
use lifeboat_core::protector::{describe_needed, parse_legacy_key, recipient_labels, KeyIdentity, KeyRecipient, Recipient};
use lifeboat_core::{ErrorKind, Result};
use rand::CryptoRng;

const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// A recipient of a kind a later Lifeboat might add (a hardware token, say).
struct FutureToken;

impl Recipient for FutureToken {
    fn encryption(&self) -> EncryptionKind {
        EncryptionKind::Key
    }

    fn wrap(&self, _file_key: &FileKey, _rng: &mut dyn CryptoRng) -> Result<Stanza> {
        Stanza::new("hardware-token-v7", &serde_json::json!({ "slot": 3, "wrapped_key": "c2VjcmV0IGZvciB0aGUgdG9rZW4=" }))
    }
}

fn backup(recipients: &[&dyn Recipient]) -> Vec<u8> {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("a.txt"), "alpha\n").unwrap();
    let item = ProtectedItem { name: "t".into(), kind: ItemKind::Folder, path: tmp.path().to_owned(), excludes: vec![] };
    let source = Source { name: "t".into(), kind: ItemKind::Folder, origin: "/t".into(), entries: plan_item(&item, &mut Vec::new()).unwrap() };
    let meta = common::meta_now("9.0.0");
    write_backup(Vec::new(), meta, recipients, &[source], vec![], &mut rand::rng(), &NoProgress, &Cancel::default()).unwrap().out
}

#[test]
fn a_stanza_of_an_unknown_type_is_skipped_when_a_known_one_opens_the_file() {
    let bytes = backup(&[&FutureToken, &KeyRecipient(parse_legacy_key(KEY).unwrap())]);
    let header = read_header(&mut Cursor::new(&bytes)).unwrap().header;
    assert_eq!(header.recipients[0].kind, "hardware-token-v7");
    let labels = recipient_labels(&header);
    assert_eq!(labels[0], "hardware-token-v7 (unknown to this version)");
    assert!(labels[1].starts_with("key "), "{labels:?}");
    let needs = describe_needed(&header).unwrap();
    assert!(needs.contains("legacy encryption key") && needs.contains("hardware-token-v7"), "{needs}");

    let identity = KeyIdentity(parse_legacy_key(KEY).unwrap());
    let (entries, bytes_read) = authenticate_stream(Cursor::new(&bytes), Some(&identity), &NoProgress, &Cancel::default()).unwrap();
    assert_eq!((entries, bytes_read), (2, 6));
}

#[test]
fn the_header_mac_covers_stanzas_this_version_does_not_understand() {
    let bytes = backup(&[&FutureToken, &KeyRecipient(parse_legacy_key(KEY).unwrap())]);
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let at = text.find("\"slot\":3").unwrap() + "\"slot\":".len();
    let mut changed = bytes.clone();
    changed[at] = b'4';
    let identity = KeyIdentity(parse_legacy_key(KEY).unwrap());
    let err = authenticate_stream(Cursor::new(&changed), Some(&identity), &NoProgress, &Cancel::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Integrity);
    assert!(err.to_string().contains("header failed authentication"), "{err}");
}

#[test]
fn a_backup_only_a_newer_lifeboat_can_open_says_so() {
    let bytes = backup(&[&FutureToken]);
    let identity = KeyIdentity(parse_legacy_key(KEY).unwrap());
    let err = authenticate_stream(Cursor::new(&bytes), Some(&identity), &NoProgress, &Cancel::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Input);
    assert!(err.to_string().contains("only be opened by a newer Lifeboat") && err.to_string().contains("hardware-token-v7"), "{err}");
}

#[test]
fn a_known_stanza_that_does_not_parse_is_a_damaged_header() {
    struct Malformed;
    impl Recipient for Malformed {
        fn encryption(&self) -> EncryptionKind {
            EncryptionKind::Key
        }
        fn wrap(&self, _: &FileKey, _: &mut dyn CryptoRng) -> Result<Stanza> {
            Stanza::new("key", &serde_json::json!({ "key_id": 7 }))
        }
    }
    let bytes = backup(&[&Malformed]);
    let identity = KeyIdentity(parse_legacy_key(KEY).unwrap());
    let err = authenticate_stream(Cursor::new(&bytes), Some(&identity), &NoProgress, &Cancel::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Integrity);
    assert!(err.to_string().contains("key recipient is malformed"), "{err}");
}
