//! Opening a backup (header, identity, header MAC, index) and verifying every byte.

use std::io::{Read, Seek};

use crate::error::{Error, Result};
use crate::format::{read_footer, read_header, ChunkReader, EntryReader, Header, Index};
use crate::progress::{Cancel, Phase, Progress};
use crate::protector::{unwrap_file_key, Identity};

/// A backup whose header and index have been authenticated with a key.
pub struct OpenedBackup<R: Read + Seek> {
    pub header: Header,
    pub index: Index,
    chunks: ChunkReader<R>,
    body_offset: u64,
}

impl<R: Read + Seek> OpenedBackup<R> {
    /// Reads the header, runs `check` on it (e.g. expiry) before any key is used,
    /// recovers the file key, and authenticates the header and the index.
    pub fn open(
        mut r: R,
        identity: Option<&dyn Identity>,
        check: impl FnOnce(&Header) -> Result<()>,
    ) -> Result<Self> {
        let header = read_header(&mut r)?;
        check(&header.header)?;
        let file_key = unwrap_file_key(&header.header, identity)?;
        header.verify(&file_key)?;
        let body_offset = header.body_offset();
        let footer = read_footer(&mut r, body_offset)?;
        let cipher = file_key.payload_cipher(&header.header.payload.salt);
        let mut chunks = ChunkReader::new(r, cipher, footer, header.header.payload.block_size)?;
        let index = Index::read(&mut chunks)?;
        Ok(OpenedBackup { header: header.header, index, chunks, body_offset })
    }

    pub fn into_parts(self) -> (Header, Index, EntryReaderFactory<R>) {
        (self.header, self.index, EntryReaderFactory { chunks: self.chunks, body_offset: self.body_offset })
    }
}

pub struct EntryReaderFactory<R: Read + Seek> {
    chunks: ChunkReader<R>,
    body_offset: u64,
}

impl<R: Read + Seek> EntryReaderFactory<R> {
    pub fn reader(self) -> Result<EntryReader<R>> {
        EntryReader::new(self.chunks, self.body_offset)
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct VerifyReport {
    pub entries: u64,
    pub bytes: u64,
}

/// Reads the whole data stream, authenticating every chunk and checking that the
/// entries are exactly those the index lists, in order, with the recorded sizes.
pub fn verify_all<R: Read + Seek>(opened: OpenedBackup<R>, progress: &dyn Progress, cancel: &Cancel) -> Result<VerifyReport> {
    let (_, index, factory) = opened.into_parts();
    let mut reader = factory.reader()?;
    progress.phase(Phase::Verifying);
    progress.total(index.entries.iter().map(|e| e.size).sum(), index.entries.len() as u64);
    let mut bytes = 0u64;
    for expected in &index.entries {
        cancel.check()?;
        let header = reader.next_entry()?.ok_or_else(|| mismatch("the data ends before the last entry in the index"))?;
        let same = header.item == expected.item
            && header.path == expected.path
            && header.kind == expected.kind
            && header.mode == expected.mode
            && header.mtime == expected.mtime
            && header.mtime_nanos == expected.mtime_nanos;
        if !same {
            return Err(mismatch(&format!("entry {:?} differs from the index", header.path)));
        }
        let size = reader.read_content(|piece| {
            progress.advance(piece.len() as u64, 0);
            cancel.check()
        })?;
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
    Ok(VerifyReport { entries: index.entries.len() as u64, bytes })
}

fn mismatch(why: &str) -> Error {
    Error::integrity(format!("The backup content does not match its index: {why}."))
}
