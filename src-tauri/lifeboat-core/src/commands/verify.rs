//! Verifying a backup: with its key, every byte authenticated and the entries
//! checked against the index; without one, the file checked against the SHA-256
//! recorded when this installation wrote it. A backup found damaged is marked so,
//! and retention never counts it as the newest good backup.

use std::io::{Read, Seek};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::open::{mark_damaged, unlock, BackupFile, UnlockedBackup};
use crate::context::Context;
use crate::error::{Error, ErrorKind, Result};
use crate::format::{read_header, EncryptionKind, EntryReader, Index, OpenedBackup};
use crate::operation::OperationKind;
use crate::progress::{Cancel, Phase, Progress};
use crate::protector::{unwrap_file_key, Identity};
use crate::runner::Verb;

/// What to verify, and how.
pub enum Verify {
    /// Every byte authenticated with the key that unlocked it.
    Authenticated(Arc<UnlockedBackup>),
    /// Without a key: every byte authenticated when it is not encrypted, else
    /// against the checksum recorded when it was written.
    WithoutKey(Arc<BackupFile>),
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VerifyMethod {
    /// Every byte authenticated with a key.
    Authenticated,
    /// The file's SHA-256 against the one recorded when it was written.
    Checksum,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerifyOutcome {
    pub id: String,
    pub method: VerifyMethod,
    #[cfg_attr(feature = "specta", specta(type = Option<specta_typescript::Number>))]
    pub entries: Option<u64>,
    #[cfg_attr(feature = "specta", specta(type = Option<specta_typescript::Number>))]
    pub bytes: Option<u64>,
}

impl Verb for Verify {
    type Output = VerifyOutcome;
    const KIND: OperationKind = OperationKind::Verify;

    fn run(&mut self, ctx: &Context, progress: &dyn Progress, cancel: &Cancel) -> Result<VerifyOutcome> {
        let (id, outcome) = match self {
            Verify::Authenticated(unlocked) => (unlocked.inspection().id.clone(), authenticate(unlocked, progress, cancel)),
            Verify::WithoutKey(file) if file.inspection.encryption == EncryptionKind::None => {
                let outcome = unlock(ctx, file, None).and_then(|unlocked| authenticate(&unlocked, progress, cancel));
                (file.inspection.id.clone(), outcome)
            }
            Verify::WithoutKey(file) => (file.inspection.id.clone(), verify_checksum(ctx, file, progress, cancel)),
        };
        match outcome {
            Ok(outcome) => {
                ctx.catalog().set_verified(&id, ctx.now())?;
                Ok(outcome)
            }
            Err(e) if e.kind() == ErrorKind::Integrity => {
                mark_damaged(ctx, &id);
                Err(e)
            }
            Err(e) => Err(e),
        }
    }
}

/// Authenticates every byte of a backup read from `source` with `identity`, with
/// no data folder involved (test vectors, tamper tests); returns the number of
/// entries and bytes.
pub fn authenticate_stream<R: Read + Seek>(mut source: R, identity: Option<&dyn Identity>, progress: &dyn Progress, cancel: &Cancel) -> Result<(u64, u64)> {
    let header = read_header(&mut source)?;
    let file_key = unwrap_file_key(&header.header, identity)?;
    let opened = OpenedBackup::open(&mut source, header, &file_key)?;
    verify_all(&opened.index, opened.entries(&mut source)?, progress, cancel)
}

fn authenticate(unlocked: &UnlockedBackup, progress: &dyn Progress, cancel: &Cancel) -> Result<VerifyOutcome> {
    let (entries, bytes) = unlocked.with_entries(|index, reader| verify_all(index, reader, progress, cancel))?;
    Ok(VerifyOutcome { id: unlocked.inspection().id.clone(), method: VerifyMethod::Authenticated, entries: Some(entries), bytes: Some(bytes) })
}

/// Reads the whole data stream, authenticating every chunk and checking that the
/// entries are exactly those the index lists, in order, with the recorded sizes.
/// Returns the number of entries and bytes.
fn verify_all<R: Read + Seek>(index: &Index, mut reader: EntryReader<R>, progress: &dyn Progress, cancel: &Cancel) -> Result<(u64, u64)> {
    progress.phase(Phase::Verifying);
    progress.total(index.entries.iter().map(|e| e.size).sum(), index.entries.len() as u64);
    let mut bytes = 0u64;
    for expected in &index.entries {
        cancel.check()?;
        let place = || index.place_of(expected);
        let header = reader.next_entry().map_err(|e| e.found_in(place))?.ok_or_else(|| mismatch("the data ends before the last entry in the index"))?;
        let same = header.item == expected.item
            && header.path == expected.path
            && header.kind == expected.kind
            && header.mode == expected.mode
            && header.mtime == expected.mtime
            && header.mtime_nanos == expected.mtime_nanos;
        if !same {
            return Err(mismatch(&format!("entry {:?} differs from the index", header.path)));
        }
        let size = reader
            .read_content(|piece| {
                progress.advance(piece.len() as u64, 0);
                cancel.check()
            })
            .map_err(|e| e.found_in(place))?;
        if size != expected.size {
            return Err(mismatch(&format!("entry {:?} has {size} bytes, the index says {}", header.path, expected.size)));
        }
        bytes += size;
        progress.advance(0, 1);
    }
    if reader.next_entry()?.is_some() {
        return Err(mismatch("the data holds entries the index does not list"));
    }
    reader.check_data_end()?;
    Ok((index.entries.len() as u64, bytes))
}

fn mismatch(why: &str) -> Error {
    Error::integrity(format!("The backup content does not match its index: {why}."))
}

fn verify_checksum(ctx: &Context, file: &BackupFile, progress: &dyn Progress, cancel: &Cancel) -> Result<VerifyOutcome> {
    let id = &file.inspection.id;
    let record =
        ctx.catalog().backup(id)?.ok_or_else(|| Error::input(format!("No checksum of backup {id} is recorded here (it was made elsewhere); give an identity to verify it.")))?;
    let len = file.inspection.size;
    progress.phase(Phase::Verifying);
    progress.total(len, 1);
    let (sha256, len) = file.sha256(progress, cancel)?;
    if sha256 != record.sha256 || len != record.size {
        return Err(Error::integrity(format!("Backup {id} does not match the checksum recorded when it was written: it was changed or damaged.")));
    }
    Ok(VerifyOutcome { id: id.clone(), method: VerifyMethod::Checksum, entries: None, bytes: Some(len) })
}
