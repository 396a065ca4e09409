//! Reading a backup from object storage: ranged GETs, small ones where the reader
//! jumps around (the header, the index at the end), large ones read ahead in the
//! background while it reads straight through (a restore or a verify).

use std::io::{self, Read, Seek, SeekFrom};
use std::sync::Arc;

use bytes::Bytes;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use tokio::task::JoinHandle;

use super::{block, explain, runtime};
use crate::target::Cursor;

/// The first read after an open or a jump.
const SMALL_READ: u64 = 256 << 10;
/// Each read once the reader goes straight on; the next one is already on its way.
const LARGE_READ: u64 = 8 << 20;

type Fetch = JoinHandle<object_store::Result<Bytes>>;

pub struct ObjectReader {
    store: Arc<dyn ObjectStore>,
    path: Path,
    place: String,
    at: Cursor<Bytes>,
    /// A read ahead: where it starts, and the request.
    ahead: Option<(u64, Fetch)>,
}

impl ObjectReader {
    pub fn new(store: Arc<dyn ObjectStore>, path: Path, size: u64, place: String) -> Self {
        ObjectReader { store, path, place, at: Cursor::new(size, Bytes::new()), ahead: None }
    }

    fn fetch(&self, start: u64, len: u64) -> Fetch {
        let (store, path) = (self.store.clone(), self.path.clone());
        let end = (start + len).min(self.at.len);
        runtime().spawn(async move { store.get_range(&path, start..end).await })
    }

    /// Makes the block the bytes at the position.
    fn fill(&mut self) -> io::Result<()> {
        let pos = self.at.pos;
        let straight_on = self.at.just_after_block();
        let request = match self.ahead.take() {
            Some((at, fetch)) if at == pos => fetch,
            stale => {
                if let Some((_, fetch)) = stale {
                    fetch.abort();
                }
                self.fetch(pos, if straight_on { LARGE_READ } else { SMALL_READ })
            }
        };
        let bytes = block(request)
            .map_err(io::Error::other)?
            .map_err(|e| io::Error::other(explain(e, &format!("Reading {}", self.path.filename().unwrap_or("the backup")), &self.place)))?;
        if bytes.is_empty() {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, format!("{} returned no bytes at offset {pos}", self.place)));
        }
        self.at.block_at = pos;
        self.at.block = bytes;
        let next = pos + self.at.block.len() as u64;
        if straight_on && next < self.at.len {
            self.ahead = Some((next, self.fetch(next, LARGE_READ)));
        }
        Ok(())
    }
}

impl Read for ObjectReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.at.at_end() || out.is_empty() {
            return Ok(0);
        }
        if !self.at.in_block() {
            self.fill()?;
        }
        Ok(self.at.copy_to(out))
    }
}

impl Seek for ObjectReader {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.at.seek(to)
    }
}

impl Drop for ObjectReader {
    fn drop(&mut self) {
        if let Some((_, fetch)) = self.ahead.take() {
            fetch.abort();
        }
    }
}
