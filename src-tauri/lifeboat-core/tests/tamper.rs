//! Any change to a backup file is detected by verify and restore, and a restore that
//! fails authentication writes nothing.

mod common;

use std::fs;
use std::io::Cursor;
use std::path::Path;

use common::Configure;
use lifeboat_core::commands::backup::{write_backup, Source};
use lifeboat_core::commands::restore::RestoreRequest;
use lifeboat_core::commands::verify::authenticate_stream;
use lifeboat_core::format::ItemKind;
use lifeboat_core::items::{plan_item, PlannedEntry, ProtectedItem};
use lifeboat_core::progress::{Cancel, NoProgress};
use lifeboat_core::protector::{parse_legacy_key, KeyIdentity, KeyRecipient};
use lifeboat_core::{Error, ErrorKind};

const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

fn small_tree(root: &Path) -> Vec<PlannedEntry> {
    fs::create_dir_all(root.join("d")).unwrap();
    fs::write(root.join("a.txt"), "alpha\n").unwrap();
    fs::write(root.join("d/b.txt"), "bravo ".repeat(50)).unwrap();
    fs::write(root.join("d/empty"), "").unwrap();
    let item = ProtectedItem { name: "t".into(), kind: ItemKind::Folder, path: root.to_owned(), excludes: vec![] };
    plan_item(&item, &mut Vec::new()).unwrap()
}

fn make_backup(root: &Path, block_size_bytes: Option<usize>) -> Vec<u8> {
    let mut entries = small_tree(root);
    if let Some(n) = block_size_bytes {
        fs::write(root.join("big.bin"), (0..n).map(|i| (i * 7 % 251) as u8).collect::<Vec<_>>()).unwrap();
        entries = small_tree(root);
    }
    let meta = common::meta_now("test");
    let recipient = KeyRecipient(parse_legacy_key(KEY).unwrap());
    let source = Source { name: "t".into(), kind: ItemKind::Folder, origin: root.display().to_string(), entries };
    write_backup(Vec::new(), meta, &[&recipient], &[source], vec![], &mut rand::rng(), &NoProgress, &Cancel::default()).unwrap().out
}

fn verify_bytes(bytes: &[u8]) -> Result<(), Error> {
    let identity = KeyIdentity(parse_legacy_key(KEY).unwrap());
    authenticate_stream(Cursor::new(bytes), Some(&identity), &NoProgress, &Cancel::default()).map(drop)
}

fn header_len(bytes: &[u8]) -> usize {
    14 + u32::from_le_bytes(bytes[10..14].try_into().unwrap()) as usize + 32
}

#[test]
fn every_flipped_byte_is_detected() {
    let tmp = tempfile::tempdir().unwrap();
    let original = make_backup(tmp.path(), None);
    verify_bytes(&original).unwrap();
    let body_start = header_len(&original);
    for i in 0..original.len() {
        for bit in [0x01u8, 0x80] {
            let mut bytes = original.clone();
            bytes[i] ^= bit;
            let err = verify_bytes(&bytes).expect_err(&format!("flipping byte {i} (bit {bit:#x}) went unnoticed"));
            assert!(!err.to_string().is_empty());
            if i >= body_start {
                assert_eq!(err.kind(), ErrorKind::Integrity, "byte {i}: {err}");
            }
        }
    }
}

#[test]
fn flips_in_a_multi_block_backup_are_detected() {
    let tmp = tempfile::tempdir().unwrap();
    let original = make_backup(tmp.path(), Some(3 << 20));
    verify_bytes(&original).unwrap();
    for i in (0..original.len()).step_by(4093) {
        let mut bytes = original.clone();
        bytes[i] ^= 0x20;
        assert!(verify_bytes(&bytes).is_err(), "flipping byte {i} went unnoticed");
    }
}

#[test]
fn truncating_and_appending_are_detected() {
    let tmp = tempfile::tempdir().unwrap();
    let original = make_backup(tmp.path(), None);
    for len in 0..original.len() {
        let err = verify_bytes(&original[..len]).expect_err(&format!("truncation to {len} bytes went unnoticed"));
        if len > header_len(&original) {
            assert_eq!(err.kind(), ErrorKind::Integrity, "truncated to {len}: {err}");
        }
    }
    for extra in [&b"x"[..], &[0u8; 32], &original[original.len() - 40..]] {
        let mut bytes = original.clone();
        bytes.extend_from_slice(extra);
        let err = verify_bytes(&bytes).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Integrity, "{err}");
    }
}

#[test]
fn swapped_headers_are_detected() {
    let tmp = tempfile::tempdir().unwrap();
    let a = make_backup(&tmp.path().join("a"), None);
    let b = make_backup(&tmp.path().join("b"), None);
    let mut swapped = a[..header_len(&a)].to_vec();
    swapped.extend_from_slice(&b[header_len(&b)..]);
    let err = verify_bytes(&swapped).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Integrity);
    assert!(err.to_string().contains("failed authentication"), "{err}");
}

/// An engine in `root/data` (legacy key) protecting `root/tree`, and its first backup.
fn engine_with_a_backup(root: &Path) -> (lifeboat_core::engine::Engine, lifeboat_core::commands::backup::BackupSummary) {
    common::make_tree(&root.join("tree"));
    common::legacy_key_configuration(&root.join("data"), KEY);
    let engine = common::engine(&root.join("data"), &common::TestClock::new());
    engine.add_item(&root.join("tree"), None, None, vec![]).unwrap();
    let summary = engine.backup_now(&NoProgress, &Cancel::default()).unwrap();
    (engine, summary)
}

#[test]
fn a_restore_of_a_tampered_backup_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let (engine, summary) = engine_with_a_backup(root);
    let file = root.join("data/backups").join(&summary.file_name);
    let original = fs::read(&file).unwrap();
    let identity = KeyIdentity(parse_legacy_key(KEY).unwrap());

    // Early, middle and late in the body; the index; the footer.
    let len = original.len();
    for at in [header_len(&original) + 10, len / 2, len - 200, len - 20] {
        let mut bytes = original.clone();
        bytes[at] ^= 0x04;
        let tampered = root.join("tampered.lbk");
        fs::write(&tampered, &bytes).unwrap();
        let out = root.join("out");
        let err = engine
            .restore(tampered.to_str().unwrap(), Some(&identity), RestoreRequest { items: vec![], paths: vec![], to: Some(out.clone()) }, &NoProgress, &Cancel::default())
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Integrity, "byte {at}: {err}");
        let leftovers: Vec<_> = fs::read_dir(root).unwrap().map(|e| e.unwrap().file_name()).filter(|n| n.to_string_lossy().contains("lifeboat-restore")).collect();
        assert!(!out.join("tree").exists() && leftovers.is_empty(), "byte {at}: restore left files behind");

        // Restoring over the original place leaves it untouched too.
        fs::write(root.join("tree/hello.txt"), "current").unwrap();
        let err =
            engine.restore(tampered.to_str().unwrap(), Some(&identity), RestoreRequest { items: vec![], paths: vec![], to: None }, &NoProgress, &Cancel::default()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Integrity);
        assert_eq!(fs::read_to_string(root.join("tree/hello.txt")).unwrap(), "current");
    }

    // Without a key, verify checks the recorded checksum.
    let mut bytes = original.clone();
    bytes[len / 3] ^= 1;
    fs::write(&file, &bytes).unwrap();
    let err = engine.verify(&summary.id, None, &NoProgress, &Cancel::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Integrity);
    assert!(err.to_string().contains("does not match the checksum"), "{err}");
}

/// Bit rot: one bit flipped at 1,000 offsets of a real backup, spread over its header,
/// data chunks, index and footer (seeded, so a failure names its offset and repeats).
/// Each is caught by verify and by restore with an error that names the damaged part
/// (and, in the data, the item and file it hit), and the restore leaves nothing behind.
#[test]
fn a_thousand_flipped_bits_are_caught_by_verify_and_restore_naming_the_part() {
    use rand::{RngExt, SeedableRng};
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let (engine, summary) = engine_with_a_backup(root);
    let original = fs::read(root.join("data/backups").join(&summary.file_name)).unwrap();
    let identity = KeyIdentity(parse_legacy_key(KEY).unwrap());

    let len = original.len();
    let index_offset = u64::from_le_bytes(original[len - 32..len - 24].try_into().unwrap()) as usize;
    // What an error must name for a flip in each part. A flipped header byte breaks the
    // header's JSON, its signature, a recipient or the MAC: any message about the header
    // or the key it names, or (a flip in the version field) says which format version
    // the file claims. A footer flip sends the reader to a wrong index chunk.
    let header_words: &[&str] = &["header", "signature", "needs the legacy encryption key", "recipients of a kind", "in backup format version"];
    let parts: [(&str, std::ops::Range<usize>, usize, &[&str]); 4] = [
        ("header", 0..header_len(&original), 150, header_words),
        ("data", header_len(&original)..index_offset, 550, &["data chunk"]),
        ("index", index_offset..len - 32, 150, &["index chunk"]),
        ("footer", len - 32..len, 150, &["index chunk", "footer"]),
    ];
    let mut rng = rand::rngs::StdRng::seed_from_u64(15);
    let tampered = root.join("tampered.lbk");
    let out = root.join("out");
    let named = |part: &str, words: &[&str], err: &lifeboat_core::Error| {
        let message = err.to_string();
        // A flip in a recipient's key id or type reads as a backup for another key,
        // refused as such: the header MAC can only be checked once a key opens it.
        let refused_key = part == "header" && err.kind() == ErrorKind::Input;
        assert!(err.kind() == ErrorKind::Integrity || refused_key, "{part}: {message}");
        assert!(words.iter().any(|w| message.contains(w)), "{part}: the message does not say where: {message}");
        if part == "data" {
            assert!(message.contains("Found while reading item \"tree\""), "data: the message does not name the item: {message}");
        }
    };
    for (part, range, count, words) in parts {
        for _ in 0..count {
            let at = rng.random_range(range.clone());
            let bit = 1u8 << rng.random_range(0..8u32);
            let mut bytes = original.clone();
            bytes[at] ^= bit;
            fs::write(&tampered, &bytes).unwrap();
            let selector = tampered.to_str().unwrap();
            let verified = engine.verify(selector, Some(&identity), &NoProgress, &Cancel::default());
            named(part, words, &verified.expect_err(&format!("{part} byte {at} bit {bit:#x}: verify passed")));
            let request = RestoreRequest { items: vec![], paths: vec![], to: Some(out.clone()) };
            let restored = engine.restore(selector, Some(&identity), request, &NoProgress, &Cancel::default());
            named(part, words, &restored.expect_err(&format!("{part} byte {at} bit {bit:#x}: restore passed")));
            assert!(!out.exists(), "{part} byte {at}: the restore left {} behind", out.display());
        }
    }
}
