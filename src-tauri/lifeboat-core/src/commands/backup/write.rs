//! Writing a backup file: items in, one self-contained file out (the format's
//! writer fed with the protected items' entries).

use std::fs::File;
use std::io::Write;

use chrono::{DateTime, Utc};
use rand::CryptoRng;
use uuid::Uuid;

use crate::audit::ChainHead;
use crate::error::{Error, Result};
use crate::format::{
    ChunkWriter, EncryptionKind, EntryHeader, EntryKind, EntryWriter, FileKey, Finished, Header, HeaderBytes, Index, IndexEntry, IndexItem, Installation, ItemKind, PayloadParams,
    DEFAULT_BLOCK_SIZE,
};
use crate::items::PlannedEntry;
use crate::progress::{Cancel, Phase, Progress};
use crate::protector::Recipient;

/// An item ready to be written: what to call it, where it came from, what to read.
pub struct Source {
    pub name: String,
    pub kind: ItemKind,
    /// Where the item lives on this machine (recorded for restores to the original place).
    pub origin: String,
    pub entries: Vec<PlannedEntry>,
}

pub struct BackupMeta {
    pub backup_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub installation: Installation,
    pub lifeboat_version: String,
    /// The audit trail's head as the backup starts, recorded in its header (an
    /// encrypted backup's only: beside a clear key, older readers refuse any stanza).
    pub audit_head: Option<ChainHead>,
}

pub struct WrittenBackup<W> {
    pub out: W,
    pub header: Header,
    pub sha256: [u8; 32],
    pub size: u64,
    pub warnings: Vec<String>,
    pub entries: u64,
    pub bytes: u64,
}

/// Compression workers; more than the cores only adds memory.
const MAX_WORKERS: usize = 8;

/// Writes a backup of `sources` to `out`. Every random value comes from `rng`, so a
/// seeded generator reproduces a file byte for byte (the test vectors rely on it).
#[allow(clippy::too_many_arguments)] // each is its own input; a struct would only rename them
pub fn write_backup<W: Write + Send + 'static>(
    out: W,
    meta: BackupMeta,
    recipients: &[&dyn Recipient],
    sources: &[Source],
    mut warnings: Vec<String>,
    rng: &mut dyn CryptoRng,
    progress: &dyn Progress,
    cancel: &Cancel,
) -> Result<WrittenBackup<W>> {
    let encryption =
        recipients.first().map(|r| r.encryption()).ok_or_else(|| Error::input("No encryption is configured: set a certificate (recommended), a passphrase or a key first."))?;
    if recipients.iter().any(|r| r.encryption() != encryption) {
        return Err(Error::input("All recipients of a backup must use the same kind of encryption."));
    }
    if encryption == EncryptionKind::None && recipients.len() > 1 {
        return Err(Error::input("An unencrypted backup cannot also have other recipients."));
    }
    let file_key = FileKey::generate(rng);
    let mut salt = vec![0u8; 32];
    rng.fill_bytes(&mut salt);
    let mut stanzas = recipients.iter().map(|r| r.wrap(&file_key, rng)).collect::<Result<Vec<_>>>()?;
    if let Some(head) = meta.audit_head.as_ref().filter(|_| encryption != EncryptionKind::None) {
        stanzas.push(crate::audit::witness::stanza(head)?);
    }
    let header = Header {
        backup_id: meta.backup_id,
        created_at: meta.created_at,
        expires_at: meta.expires_at,
        installation: meta.installation,
        lifeboat_version: meta.lifeboat_version,
        encryption,
        recipients: stanzas,
        payload: PayloadParams { salt, block_size: DEFAULT_BLOCK_SIZE, compression: "zstd".into() },
    };
    let sealed = HeaderBytes::seal(header, &file_key)?;
    let cipher = file_key.payload_cipher(&sealed.header.payload.salt);
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).min(MAX_WORKERS);
    let chunks = ChunkWriter::new(out, cipher, &sealed.to_bytes(), DEFAULT_BLOCK_SIZE, threads)?;
    let mut writer = EntryWriter::new(chunks);

    let total_bytes = sources.iter().flat_map(|s| &s.entries).map(|e| e.size).sum();
    let total_entries = sources.iter().map(|s| s.entries.len() as u64).sum();
    progress.phase(Phase::Writing);
    progress.total(total_bytes, total_entries);

    let mut index = Index { items: Vec::new(), entries: Vec::new(), warnings: Vec::new(), chunk_offsets: Vec::new() };
    for (item_no, source) in sources.iter().enumerate() {
        let mut item = IndexItem { name: source.name.clone(), kind: source.kind, source: source.origin.clone(), files: 0, bytes: 0 };
        for planned in &source.entries {
            cancel.check()?;
            let label = if planned.rel.is_empty() { source.name.clone() } else { format!("{}/{}", source.name, planned.rel) };
            if let Some(entry) = write_entry(&mut writer, item_no as u32, planned, &label, &mut warnings, progress, cancel)? {
                if entry.kind == EntryKind::File {
                    item.files += 1;
                    item.bytes += entry.size;
                }
                index.entries.push(entry);
            }
            progress.advance(0, 1);
        }
        index.items.push(item);
    }
    index.warnings = warnings.clone();
    progress.phase(Phase::Publishing);
    let entries = index.entries.len() as u64;
    let bytes = index.items.iter().map(|i| i.bytes).sum();
    let Finished { out, sha256, size } = writer.finish(|chunk_offsets| {
        index.chunk_offsets = chunk_offsets;
        serde_json::to_vec(&index).map_err(|e| Error::operation(format!("encoding index: {e}")))
    })?;
    Ok(WrittenBackup { out, header: sealed.header, sha256, size, warnings, entries, bytes })
}

/// Stores one entry. A file that cannot be opened is a warning, not a failure: one
/// unreadable file must not cost the whole backup.
#[allow(clippy::too_many_arguments)]
fn write_entry<W: Write + Send + 'static>(
    writer: &mut EntryWriter<W>,
    item: u32,
    planned: &PlannedEntry,
    label: &str,
    warnings: &mut Vec<String>,
    progress: &dyn Progress,
    cancel: &Cancel,
) -> Result<Option<IndexEntry>> {
    let warn = |warnings: &mut Vec<String>, what: String| {
        tracing::warn!("{what}");
        warnings.push(what);
    };
    let mut file = None;
    let meta = match planned.kind {
        EntryKind::File => match File::open(&planned.path).and_then(|f| f.metadata().map(|m| (f, m))) {
            Ok((f, m)) => {
                file = Some(f);
                m
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                warn(warnings, format!("{label}: vanished before it could be read; not in this backup"));
                return Ok(None);
            }
            Err(e) => {
                warn(warnings, format!("{label}: could not be read ({e}); not in this backup"));
                return Ok(None);
            }
        },
        _ => match std::fs::symlink_metadata(&planned.path) {
            Ok(m) => m,
            Err(e) => {
                warn(warnings, format!("{label}: could not be read ({e}); not in this backup"));
                return Ok(None);
            }
        },
    };
    // A database copy carries the original's mode and time.
    let meta = planned.attrs_from.as_ref().and_then(|p| std::fs::metadata(p).ok()).unwrap_or(meta);
    let (mtime, mtime_nanos) = mtime_of(&meta);
    let header = EntryHeader { item, kind: planned.kind, path: planned.rel.clone(), mode: mode_of(&meta), mtime, mtime_nanos };
    let position = writer.begin_entry(&header)?;
    let mut size = 0u64;
    match (planned.kind, file) {
        (EntryKind::File, Some(mut f)) => {
            let (read, error) = writer.copy_from(&mut f, |n| {
                progress.advance(n as u64, 0);
                cancel.check()
            })?;
            size = read;
            if let Some(e) = error {
                warn(warnings, format!("{label}: read failed after {size} bytes ({e}); stored in part"));
            }
            // fstat on the open file: an in-place change shows in its size or time.
            let changed = planned.attrs_from.is_none() && f.metadata().map(|after| after.len() != size || mtime_of(&after) != (mtime, mtime_nanos)).unwrap_or(true);
            if changed {
                warn(warnings, format!("{label}: changed while it was being read; the stored copy may mix old and new content"));
            }
        }
        (EntryKind::Symlink, _) => match std::fs::read_link(&planned.path) {
            Ok(target) => {
                let target = target.to_string_lossy().into_owned();
                writer.write_piece(target.as_bytes())?;
                size = target.len() as u64;
            }
            Err(e) => warn(warnings, format!("{label}: link target could not be read ({e})")),
        },
        _ => {}
    }
    writer.end_entry()?;
    Ok(Some(IndexEntry { item, path: header.path, kind: header.kind, mode: header.mode, mtime, mtime_nanos, size, chunk: position.0, offset: position.1 }))
}

fn mtime_of(meta: &std::fs::Metadata) -> (i64, u32) {
    match meta.modified() {
        Ok(t) => match t.duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => (d.as_secs() as i64, d.subsec_nanos()),
            Err(e) => {
                let d = e.duration();
                // Before 1970: floor to whole seconds, nanoseconds stay non-negative.
                let (secs, nanos) = (d.as_secs() as i64, d.subsec_nanos());
                if nanos == 0 {
                    (-secs, 0)
                } else {
                    (-secs - 1, 1_000_000_000 - nanos)
                }
            }
        },
        Err(_) => (0, 0),
    }
}

#[cfg(unix)]
fn mode_of(meta: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
fn mode_of(meta: &std::fs::Metadata) -> u32 {
    if meta.permissions().readonly() {
        0o444
    } else {
        0o644
    }
}

/// Name of a published backup: sorts chronologically.
pub fn backup_file_name(created_at: DateTime<Utc>, id: Uuid) -> String {
    format!("lifeboat-{}-{}.{}", created_at.format("%Y%m%dT%H%M%SZ"), &id.simple().to_string()[..8], crate::target::BACKUP_EXTENSION)
}
