//! What each fuzz target feeds to Lifeboat. Every function takes the fuzzer's bytes,
//! hands them to the parser a hostile file or form would reach, and ignores the
//! answer: a refusal is the expected outcome; a panic, a hang or an allocation
//! without bound is the finding.
//!
//! Authenticated parts (a backup's index and entries, a vault blob's payload) cannot
//! be reached by mutating ciphertext, so `entry_stream` and `vault_payload` seal the
//! fuzzer's plaintext with the right key first, as a crafted-but-authentic file would be.

use std::io::Cursor;
use std::path::PathBuf;
use std::sync::OnceLock;

use lifeboat_core::engine::Engine;
use lifeboat_core::format::{
    read_header, BlockCodec, EncryptionKind, FileKey, Header, HeaderBytes, Installation, OpenedBackup, PayloadParams, MIN_BLOCK_SIZE,
};
use lifeboat_core::format::{ChunkWriter, EntryReader, Footer};
use lifeboat_core::protector::{
    check_recipients, describe_needed, parse_legacy_key, recipient_labels, unwrap_file_key, CertificateInfo, KeyIdentity, KeyRecipient, Recipient,
    RsaIdentity,
};
use lifeboat_core::settings::Draft;
use lifeboat_core::vault::{ObjectKind, Vault};

/// The legacy key every fuzzed backup is made for (the seeds are too).
pub const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

fn identity() -> KeyIdentity {
    KeyIdentity(parse_legacy_key(KEY).expect("a valid key"))
}

/// A backup header: the fixed part, the JSON, the MAC, then what the recipients'
/// stanzas say and whether the key opens one.
pub fn header(data: &[u8]) {
    let Ok(header) = read_header(&mut Cursor::new(data)) else { return };
    let _ = check_recipients(&header.header);
    let _ = describe_needed(&header.header);
    let _ = recipient_labels(&header.header);
    let _ = unwrap_file_key(&header.header, Some(&identity()));
}

/// A whole backup file as a restore reads it, with the key it was made for.
pub fn backup_file(data: &[u8]) {
    let mut file = Cursor::new(data);
    let Ok(header) = read_header(&mut file) else { return };
    let Ok(key) = unwrap_file_key(&header.header, Some(&identity())) else { return };
    read_everything(data, header, &key);
}

/// Opens the backup in `data` and reads every entry, at random through the index
/// and then in order, as restore and verify do.
fn read_everything(data: &[u8], header: HeaderBytes, key: &FileKey) {
    let Ok(opened) = OpenedBackup::open(&mut Cursor::new(data), header, key) else { return };
    if let Ok(mut entries) = opened.entries(Cursor::new(data)) {
        for entry in &opened.index.entries {
            let _ = opened.index.place_of(entry);
            if entries.seek(&opened.index.chunk_offsets, entry.position()).is_err() {
                break;
            }
            if !matches!(entries.next_entry(), Ok(Some(_))) || entries.read_content(|_| Ok(())).is_err() {
                break;
            }
        }
    }
    if let Ok(entries) = opened.entries(Cursor::new(data)) {
        read_in_order(entries);
    }
}

fn read_in_order(mut entries: EntryReader<Cursor<&[u8]>>) {
    loop {
        match entries.next_entry() {
            Ok(Some(_)) => {
                if entries.read_content(|_| Ok(())).is_err() {
                    return;
                }
            }
            Ok(None) => {
                let _ = entries.check_data_end();
                return;
            }
            Err(_) => return,
        }
    }
}

/// The plaintext inside a backup, sealed with a known key so that the index and
/// entry parsers see it after authentication: a little-endian u16 giving the
/// length of the entry stream, the entry stream, then the index JSON (whose chunk
/// table, when it has one, is set to where the chunks really are, so the fuzzer's
/// mutations reach past that check).
pub fn entry_stream(data: &[u8]) {
    if data.len() < 2 {
        return;
    }
    let split = (u16::from_le_bytes([data[0], data[1]]) as usize).min(data.len() - 2);
    let (stream, index) = data[2..].split_at(split);
    let Some((file, header, key)) = seal(stream, index) else { return };
    read_everything(&file, header, &key);
}

/// Writes a backup whose data chunks hold `stream` and whose index chunks hold
/// `index`, for the key `KEY`, and reads its header back.
pub fn seal(stream: &[u8], index: &[u8]) -> Option<(Vec<u8>, HeaderBytes, FileKey)> {
    let file_key = FileKey::from_bytes(&[7u8; 32]).ok()?;
    let mut rng = rand::rng();
    let recipient = KeyRecipient(parse_legacy_key(KEY).ok()?);
    let header = Header {
        backup_id: "00000000-0000-4000-8000-000000000000".parse().ok()?,
        created_at: "2026-12-02T00:00:00Z".parse().ok()?,
        expires_at: "2027-01-01T00:00:00Z".parse().ok()?,
        installation: Installation { id: "00000000-0000-4000-8000-000000000001".parse().ok()?, name: "fuzz".into() },
        lifeboat_version: "0.2.0".into(),
        encryption: EncryptionKind::Key,
        recipients: vec![recipient.wrap(&file_key, &mut rng).ok()?],
        payload: PayloadParams { salt: vec![1; 32], block_size: MIN_BLOCK_SIZE, compression: "zstd".into() },
    };
    let sealed = HeaderBytes::seal(header, &file_key).ok()?;
    let cipher = file_key.payload_cipher(&sealed.header.payload.salt);
    let block = MIN_BLOCK_SIZE as usize;
    let mut chunks = ChunkWriter::new(Vec::new(), cipher, &sealed.to_bytes(), MIN_BLOCK_SIZE, 1).ok()?;
    for part in stream.chunks(block) {
        let mut buffer = chunks.take_buffer();
        buffer[..part.len()].copy_from_slice(part);
        chunks.submit(buffer, part.len(), false).ok()?;
    }
    let index_first_chunk = chunks.counter();
    let (offsets, index_offset) = chunks.wait_written().ok()?;
    let index = with_chunk_table(index, offsets);
    let mut parts = index.chunks(block).peekable();
    if parts.peek().is_none() {
        return None;
    }
    while let Some(part) = parts.next() {
        let mut buffer = chunks.take_buffer();
        buffer[..part.len()].copy_from_slice(part);
        chunks.submit(buffer, part.len(), parts.peek().is_none()).ok()?;
    }
    let chunk_count = chunks.counter();
    let file = chunks.finish(Footer { index_offset, index_first_chunk, chunk_count }).ok()?.out;
    let header = read_header(&mut Cursor::new(&file)).ok()?;
    Some((file, header, file_key))
}

fn with_chunk_table(index: &[u8], offsets: Vec<u64>) -> Vec<u8> {
    match serde_json::from_slice::<serde_json::Value>(index) {
        Ok(serde_json::Value::Object(mut fields)) if fields.contains_key("chunk_offsets") => {
            fields.insert("chunk_offsets".into(), offsets.into());
            serde_json::to_vec(&fields).unwrap_or_else(|_| index.to_vec())
        }
        _ => index.to_vec(),
    }
}

/// One chunk's plaintext after decryption: its encoding byte and block, decoded
/// with the bound a reader sets.
pub fn chunk(data: &[u8]) {
    let Ok(mut codec) = BlockCodec::new() else { return };
    let mut out = Vec::new();
    let _ = codec.decode(data, MIN_BLOCK_SIZE as usize * 4, &mut out);
}

/// A vault backup blob restored into a vault (magic, version, geography, then
/// authentication; the payload needs the geography's key: `vault_payload`).
pub fn vault_blob(data: &[u8]) {
    with_vault(|vault| {
        let _ = vault.restore_object(data);
    });
}

/// A vault blob's payload as an authentic blob of this vault's geography carries it:
/// the JSON, the object's name and versions, each value checked as its kind's
/// material (a secret, a PKCS#8 key, a certificate with its key). A payload that
/// restores is read back every way the vault offers, then deleted and purged so its
/// name is free for the next input.
pub fn vault_payload(data: &[u8]) {
    with_vault(|vault| {
        let Ok(blob) = vault.fuzz_seal_blob(data) else { return };
        let Ok(restored) = vault.restore_object(&blob) else { return };
        let (kind, name) = (restored.kind, restored.name.as_str());
        for version in vault.versions(kind, name).into_iter().flatten() {
            let _ = vault.version(kind, name, Some(&version.version));
            let _ = vault.public_file(kind, name, Some(&version.version));
            if kind == ObjectKind::Secret {
                let _ = vault.reveal_secret(name, Some(&version.version));
            }
        }
        let _ = vault.backup_object(kind, name);
        let gone = vault.delete(kind, name).and_then(|_| vault.purge(kind, name));
        gone.expect("a restored object can be deleted and purged");
    });
}

/// One vault per fuzzing process, on a memory file system when there is one (each
/// restore is a SQLite transaction).
fn with_vault(run: impl FnOnce(&Vault)) {
    static VAULT: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, dir) = VAULT.get_or_init(|| {
        std::env::set_var(lifeboat_core::vault::key_home::STORE_SWITCH, "off");
        let shm = std::path::Path::new("/dev/shm");
        let tmp = if shm.is_dir() { tempfile::tempdir_in(shm) } else { tempfile::tempdir() }.expect("a temporary folder");
        let dir = tmp.path().join("data");
        (tmp, dir)
    });
    thread_local! {
        static OPEN: std::cell::OnceCell<Vault> = const { std::cell::OnceCell::new() };
    }
    OPEN.with(|cell| run(cell.get_or_init(|| Vault::open(dir, std::sync::Arc::new(chrono_now)).expect("a vault"))));
}

fn chrono_now() -> chrono::DateTime<chrono::Utc> {
    "2026-12-02T00:00:00Z".parse().expect("a time")
}

/// Key material as a user picks it: the first byte chooses what the rest is read
/// as (a certificate file, a private key file or .pfx with an empty or a given
/// password, a legacy key's text).
pub fn key_input(data: &[u8]) {
    let Some((&choice, rest)) = data.split_first() else { return };
    match choice % 4 {
        0 => {
            let _ = CertificateInfo::from_public_file(rest);
        }
        1 => {
            let _ = RsaIdentity::from_file(rest, "");
        }
        2 => {
            let _ = RsaIdentity::from_file(rest, "password");
        }
        _ => {
            let _ = parse_legacy_key(&String::from_utf8_lossy(rest));
        }
    }
}

/// The settings as the window sends them: a draft in JSON, checked field by field
/// as before it is applied.
pub fn settings_text(data: &[u8]) {
    thread_local! {
        static ENGINE: std::cell::OnceCell<(tempfile::TempDir, Engine)> = const { std::cell::OnceCell::new() };
    }
    let Ok(draft) = serde_json::from_slice::<Draft>(data) else { return };
    ENGINE.with(|cell| {
        let (_, engine) = cell.get_or_init(|| {
            std::env::set_var(lifeboat_core::vault::key_home::STORE_SWITCH, "off");
            let tmp = tempfile::tempdir().expect("a temporary folder");
            let engine = Engine::open_with_clock(&tmp.path().join("data"), std::sync::Arc::new(chrono_now)).expect("an engine");
            (tmp, engine)
        });
        let _ = engine.check_settings(&draft);
    });
}
