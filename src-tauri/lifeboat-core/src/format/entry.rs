//! The logical stream inside the data chunks: entries, each a small header followed by
//! its content in length-prefixed pieces, then an end tag. Pieces let a file that
//! changes size while it is read be stored as it was read, without a size up front.

use std::io::{Read, Seek, Write};

use super::stream::{ChunkReader, ChunkWriter, Finished, Footer};
use super::{MAX_PATH_BYTES, MAX_PIECE};
use crate::error::{Error, Result};

const TAG_ENTRY: u8 = b'E';
const TAG_END: u8 = b'Z';

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    Dir,
    File,
    Symlink,
}

impl EntryKind {
    fn code(self) -> u8 {
        match self {
            EntryKind::Dir => 0,
            EntryKind::File => 1,
            EntryKind::Symlink => 2,
        }
    }

    fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            0 => EntryKind::Dir,
            1 => EntryKind::File,
            2 => EntryKind::Symlink,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryHeader {
    /// Position of the item in the index's item list.
    pub item: u32,
    pub kind: EntryKind,
    /// Relative to the item's root, '/'-separated; empty for the root itself.
    pub path: String,
    pub mode: u32,
    pub mtime: i64,
    pub mtime_nanos: u32,
}

/// Where an entry starts: the data chunk and the offset within its block.
pub type StreamPosition = (u64, u32);

pub struct EntryWriter<W: Write + Send + 'static> {
    chunks: ChunkWriter<W>,
    /// Always `block_size` long; `filled` says how much of it is content.
    block: Vec<u8>,
    filled: usize,
}

/// Smallest room worth starting a content piece in (length prefix plus some bytes).
const MIN_PIECE_ROOM: usize = 4 + 512;

impl<W: Write + Send + 'static> EntryWriter<W> {
    pub fn new(mut chunks: ChunkWriter<W>) -> Self {
        let block = chunks.take_buffer();
        EntryWriter { chunks, block, filled: 0 }
    }

    pub fn begin_entry(&mut self, h: &EntryHeader) -> Result<StreamPosition> {
        if h.path.len() > MAX_PATH_BYTES {
            return Err(Error::input(format!("path longer than {MAX_PATH_BYTES} bytes: {}", h.path)));
        }
        let position = (self.chunks.counter(), self.filled as u32);
        let mut head = Vec::with_capacity(24 + h.path.len());
        head.push(TAG_ENTRY);
        head.extend_from_slice(&h.item.to_le_bytes());
        head.push(h.kind.code());
        head.extend_from_slice(&(h.path.len() as u16).to_le_bytes());
        head.extend_from_slice(h.path.as_bytes());
        head.extend_from_slice(&h.mode.to_le_bytes());
        head.extend_from_slice(&h.mtime.to_le_bytes());
        head.extend_from_slice(&h.mtime_nanos.to_le_bytes());
        self.push(&head)?;
        Ok(position)
    }

    /// Appends content to the current entry. Empty pieces are skipped (zero ends an entry).
    pub fn write_piece(&mut self, data: &[u8]) -> Result<()> {
        for piece in data.chunks(MAX_PIECE as usize) {
            self.push(&(piece.len() as u32).to_le_bytes())?;
            self.push(piece)?;
        }
        Ok(())
    }

    /// Reads `source` to its end straight into the stream as content pieces, calling
    /// `each` with every piece's length. Returns the bytes read and the read error
    /// that stopped it early, if any (what was read before it is kept).
    pub fn copy_from(&mut self, source: &mut impl Read, mut each: impl FnMut(usize) -> Result<()>) -> Result<(u64, Option<std::io::Error>)> {
        let mut total = 0u64;
        loop {
            if self.block.len() - self.filled < MIN_PIECE_ROOM {
                self.flush_block()?;
            }
            let start = self.filled + 4;
            let end = self.block.len().min(start + MAX_PIECE as usize);
            let n = match source.read(&mut self.block[start..end]) {
                Ok(0) => return Ok((total, None)),
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Ok((total, Some(e))),
            };
            self.block[self.filled..start].copy_from_slice(&(n as u32).to_le_bytes());
            self.filled = start + n;
            total += n as u64;
            each(n)?;
        }
    }

    pub fn end_entry(&mut self) -> Result<()> {
        self.push(&0u32.to_le_bytes())
    }

    /// Ends the data, then writes the index as the final chunks and the footer:
    /// `encode_index` gets the byte offset of every data chunk and returns the
    /// index's bytes.
    pub fn finish(mut self, encode_index: impl FnOnce(Vec<u64>) -> Result<Vec<u8>>) -> Result<Finished<W>> {
        self.push(&[TAG_END])?;
        self.flush_block()?;
        let index_first_chunk = self.chunks.counter();
        let (offsets, index_offset) = self.chunks.wait_written()?;
        let bytes = encode_index(offsets)?;
        let mut blocks = bytes.chunks(self.block.len()).peekable();
        while let Some(part) = blocks.next() {
            let mut buffer = self.chunks.take_buffer();
            buffer[..part.len()].copy_from_slice(part);
            self.chunks.submit(buffer, part.len(), blocks.peek().is_none())?;
        }
        let chunk_count = self.chunks.counter();
        self.chunks.finish(Footer { index_offset, index_first_chunk, chunk_count })
    }

    fn push(&mut self, mut bytes: &[u8]) -> Result<()> {
        while !bytes.is_empty() {
            let room = self.block.len() - self.filled;
            let take = room.min(bytes.len());
            self.block[self.filled..self.filled + take].copy_from_slice(&bytes[..take]);
            self.filled += take;
            bytes = &bytes[take..];
            if self.filled == self.block.len() {
                self.flush_block()?;
            }
        }
        Ok(())
    }

    fn flush_block(&mut self) -> Result<()> {
        if self.filled == 0 {
            return Ok(());
        }
        let next = self.chunks.take_buffer();
        let full = std::mem::replace(&mut self.block, next);
        self.chunks.submit(full, std::mem::take(&mut self.filled), false)
    }
}

/// Reads entries from the data chunks, authenticating each chunk as it is reached.
pub struct EntryReader<R: Read + Seek> {
    chunks: ChunkReader<R>,
    block: Vec<u8>,
    /// Chunk number of `block`, once one is loaded.
    block_chunk: Option<u64>,
    pos: usize,
}

impl<R: Read + Seek> EntryReader<R> {
    /// A reader at the start of the data.
    pub fn new(mut chunks: ChunkReader<R>, body_offset: u64) -> Result<Self> {
        chunks.seek_chunk(0, body_offset)?;
        Ok(EntryReader { chunks, block: Vec::new(), block_chunk: None, pos: 0 })
    }

    /// Moves to an entry start recorded in the index (`chunk_offsets` is the index's
    /// table of where each data chunk starts). Within the loaded block this costs
    /// nothing, so walking entries in order reads each chunk once.
    pub fn seek(&mut self, chunk_offsets: &[u64], (chunk, offset): StreamPosition) -> Result<()> {
        if self.block_chunk == Some(chunk) && offset as usize <= self.block.len() {
            self.pos = offset as usize;
            return Ok(());
        }
        let chunk_offset = *chunk_offsets.get(chunk as usize).ok_or_else(|| Error::integrity("The backup index points past the data."))?;
        self.chunks.seek_chunk(chunk, chunk_offset)?;
        self.load_block()?;
        if offset as usize > self.block.len() {
            return Err(Error::integrity("The backup index points past the end of a block."));
        }
        self.pos = offset as usize;
        Ok(())
    }

    /// The next entry header, or None at the end tag.
    pub fn next_entry(&mut self) -> Result<Option<EntryHeader>> {
        let mut tag = [0u8];
        self.read_exact(&mut tag)?;
        match tag[0] {
            TAG_END => return Ok(None),
            TAG_ENTRY => {}
            other => return Err(damaged(&format!("unexpected tag {other:#04x} where an entry should start"))),
        }
        let mut fixed = [0u8; 7];
        self.read_exact(&mut fixed)?;
        let item = u32::from_le_bytes(fixed[0..4].try_into().expect("4 bytes"));
        let kind = EntryKind::from_code(fixed[4]).ok_or_else(|| damaged("unknown entry kind"))?;
        let path_len = u16::from_le_bytes([fixed[5], fixed[6]]) as usize;
        if path_len > MAX_PATH_BYTES {
            return Err(damaged("an entry path is too long"));
        }
        let mut path = vec![0u8; path_len];
        self.read_exact(&mut path)?;
        let path = String::from_utf8(path).map_err(|_| damaged("an entry path is not UTF-8"))?;
        let mut rest = [0u8; 16];
        self.read_exact(&mut rest)?;
        Ok(Some(EntryHeader {
            item,
            kind,
            path,
            mode: u32::from_le_bytes(rest[0..4].try_into().expect("4 bytes")),
            mtime: i64::from_le_bytes(rest[4..12].try_into().expect("8 bytes")),
            mtime_nanos: u32::from_le_bytes(rest[12..16].try_into().expect("4 bytes")),
        }))
    }

    /// Streams the current entry's content to `sink`; returns its length.
    pub fn read_content(&mut self, mut sink: impl FnMut(&[u8]) -> Result<()>) -> Result<u64> {
        let mut total = 0u64;
        loop {
            let mut len = [0u8; 4];
            self.read_exact(&mut len)?;
            let mut remaining = u32::from_le_bytes(len) as usize;
            if remaining == 0 {
                return Ok(total);
            }
            if remaining > MAX_PIECE as usize {
                return Err(damaged("a content piece is larger than allowed"));
            }
            total += remaining as u64;
            while remaining > 0 {
                self.ensure_data()?;
                let take = remaining.min(self.block.len() - self.pos);
                sink(&self.block[self.pos..self.pos + take])?;
                self.pos += take;
                remaining -= take;
            }
        }
    }

    /// After the end tag: checks the data ended exactly where the index begins.
    pub fn check_data_end(&mut self) -> Result<()> {
        let footer = self.chunks.footer();
        if self.pos != self.block.len() || self.chunks.counter_next() != footer.index_first_chunk || self.chunks.position()? != footer.index_offset {
            return Err(damaged("data continues after the end of the entries"));
        }
        Ok(())
    }

    fn read_exact(&mut self, mut buf: &mut [u8]) -> Result<()> {
        while !buf.is_empty() {
            self.ensure_data()?;
            let take = buf.len().min(self.block.len() - self.pos);
            buf[..take].copy_from_slice(&self.block[self.pos..self.pos + take]);
            self.pos += take;
            buf = &mut buf[take..];
        }
        Ok(())
    }

    fn ensure_data(&mut self) -> Result<()> {
        while self.pos == self.block.len() {
            self.load_block()?;
        }
        Ok(())
    }

    fn load_block(&mut self) -> Result<()> {
        if self.chunks.counter_next() >= self.chunks.footer().index_first_chunk {
            return Err(damaged("the data ends in the middle of an entry"));
        }
        self.block_chunk = self.chunks.next_block(&mut self.block)?;
        self.pos = 0;
        Ok(())
    }
}

fn damaged(why: &str) -> Error {
    Error::integrity(format!("The backup content is damaged: {why}."))
}
