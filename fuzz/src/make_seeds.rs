//! Writes the seed corpora under `fuzz/seeds/<target>/` from real Lifeboat output:
//! a small backup (its header, the whole file, its plaintext stream and index), a
//! chunk's encodings, a vault blob, certificate and key files, and settings drafts.
//! `cargo afl build --release && target/release/make-seeds` in `fuzz/`; the seeds
//! are committed, so this is needed only when a format changes.

use std::fs;
use std::io::Cursor;
use std::path::Path;

use lifeboat_core::commands::backup::{write_backup, BackupMeta, Source};
use lifeboat_core::format::{read_footer, read_header, BlockCodec, ChunkReader, EntryKind, Installation, ItemKind};
use lifeboat_core::items::PlannedEntry;
use lifeboat_core::progress::{Cancel, NoProgress};
use lifeboat_core::protector::{create_certificate, parse_legacy_key, unwrap_file_key, KeyIdentity, KeyRecipient};
use lifeboat_core::settings::LocationDraft;
use lifeboat_core::vault::{Attributes, ObjectKind, Vault};
use lifeboat_fuzz::KEY;

fn main() {
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let put = |target: &str, name: &str, bytes: &[u8]| {
        let dir = out.join(target);
        fs::create_dir_all(&dir).expect("the seeds folder");
        fs::write(dir.join(name), bytes).expect("a seed written");
    };

    // A small backup: a folder with a file, an empty file and a link.
    let root = tmp.path().join("tree");
    fs::create_dir(&root).unwrap();
    fs::write(root.join("notes.txt"), b"The configuration an administrator must not lose.\n".repeat(40)).unwrap();
    fs::write(root.join("empty"), b"").unwrap();
    std::os::unix::fs::symlink("notes.txt", root.join("link")).unwrap();
    let entry = |kind, rel: &str| PlannedEntry {
        kind,
        rel: rel.into(),
        path: root.join(rel),
        size: if kind == EntryKind::File { fs::metadata(root.join(rel)).unwrap().len() } else { 0 },
        attrs_from: None,
    };
    let entries = vec![entry(EntryKind::Dir, ""), entry(EntryKind::File, "notes.txt"), entry(EntryKind::File, "empty"), entry(EntryKind::Symlink, "link")];
    let source = Source { name: "tree".into(), kind: ItemKind::Folder, origin: root.display().to_string(), entries };
    let now = "2026-12-02T00:00:00Z".parse().unwrap();
    let meta = BackupMeta {
        backup_id: "00000000-0000-4000-8000-000000000002".parse().unwrap(),
        created_at: now,
        expires_at: "2027-01-01T00:00:00Z".parse().unwrap(),
        installation: Installation { id: "00000000-0000-4000-8000-000000000003".parse().unwrap(), name: "host".into() },
        lifeboat_version: "0.2.0".into(),
        audit_head: None,
    };
    let recipient = KeyRecipient(parse_legacy_key(KEY).unwrap());
    let backup = write_backup(Vec::new(), meta, &[&recipient], &[source], vec![], &mut rand::rng(), &NoProgress, &Cancel::default()).unwrap().out;
    put("backup_file", "small.lbk", &backup);
    let header = read_header(&mut Cursor::new(&backup)).unwrap();
    let body_offset = header.body_offset();
    put("header", "key.hdr", &backup[..body_offset as usize]);

    // Its plaintext: the entry stream, then the index, as `entry_stream` takes them.
    let key = unwrap_file_key(&header.header, Some(&KeyIdentity(parse_legacy_key(KEY).unwrap()))).unwrap();
    let mut file = Cursor::new(&backup);
    let footer = read_footer(&mut file, body_offset).unwrap();
    let cipher = key.payload_cipher(&header.header.payload.salt);
    let mut chunks = ChunkReader::new(file, cipher, footer, header.header.payload.block_size).unwrap();
    chunks.seek_chunk(0, body_offset).unwrap();
    let (mut stream, mut index, mut block) = (Vec::new(), Vec::new(), Vec::new());
    while let Some(counter) = chunks.next_block(&mut block).unwrap() {
        if counter < footer.index_first_chunk { stream.extend_from_slice(&block) } else { index.extend_from_slice(&block) }
    }
    let mut plain = (stream.len() as u16).to_le_bytes().to_vec();
    plain.extend_from_slice(&stream);
    plain.extend_from_slice(&index);
    put("entry_stream", "small.plain", &plain);

    // A chunk's plaintext, compressed and stored.
    let mut codec = BlockCodec::new().unwrap();
    for (name, data) in [("text", b"abcabcabc ".repeat(100)), ("random", (0..300u32).map(|i| (i * 7919 % 251) as u8).collect())] {
        let mut encoded = Vec::new();
        codec.encode(&data, &mut encoded).unwrap();
        put("chunk", name, &encoded);
    }

    // A vault blob of a secret, and one of a certificate with its key.
    std::env::set_var(lifeboat_core::vault::key_home::STORE_SWITCH, "off");
    let vault = Vault::open(&tmp.path().join("data"), std::sync::Arc::new(move || now)).unwrap();
    vault.set_secret("db-password", b"correct horse battery staple", Attributes::default()).unwrap();
    put("vault_blob", "secret.blob", &vault.backup_object(ObjectKind::Secret, "db-password").unwrap());
    vault.create_certificate("signing", "CN=signing", 2048, 1, Attributes::default()).unwrap();
    put("vault_blob", "certificate.blob", &vault.backup_object(ObjectKind::Certificate, "signing").unwrap());
    // The same objects' payloads (before sealing), and a key's with two versions.
    vault.create_key("wrapping", 2048, Attributes::default()).unwrap();
    let tagged = Attributes { tags: [("owner".to_string(), "ops".to_string())].into(), expires: Some(now + chrono::Duration::days(365)), ..Attributes::default() };
    vault.create_key("wrapping", 2048, tagged).unwrap();
    for (kind, name) in [(ObjectKind::Secret, "db-password"), (ObjectKind::Certificate, "signing"), (ObjectKind::Key, "wrapping")] {
        put("vault_payload", &format!("{name}.json"), &vault.fuzz_blob_payload(kind, name).unwrap());
    }

    // Key material, behind the byte that picks the parser (see `key_input`).
    let created = create_certificate("Lifeboat fuzz", 1, "password", now, &mut rand::rng()).unwrap();
    let with = |choice: u8, bytes: &[u8]| [&[choice][..], bytes].concat();
    put("key_input", "certificate.der", &with(0, &created.info.der));
    put("key_input", "certificate.pfx", &with(2, &created.pfx));
    put("key_input", "legacy.key", &with(3, KEY.as_bytes()));

    // Settings drafts as the window sends them.
    let engine = lifeboat_core::engine::Engine::open_with_clock(&tmp.path().join("engine"), std::sync::Arc::new(move || now)).unwrap();
    let mut draft = engine.settings_draft().unwrap();
    put("settings_text", "default.json", &serde_json::to_vec(&draft).unwrap());
    draft.location = LocationDraft::smb(r"\\fileserver\backups\lifeboat", r"CORP\backup", "secret");
    put("settings_text", "share.json", &serde_json::to_vec(&draft).unwrap());
    draft.location = LocationDraft::s3("https://s3.example.com", "eu-west-1", "bucket/lifeboat", "AKIAEXAMPLE", "secret");
    put("settings_text", "s3.json", &serde_json::to_vec(&draft).unwrap());
    println!("seeds written under {}", out.display());
}
