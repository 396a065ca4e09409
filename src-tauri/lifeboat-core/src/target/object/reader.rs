//! Reading a backup from object storage. A jump (the header, the index at the end)
//! is one small ranged GET; reading straight on (a restore, a verify, a read-back)
//! streams ranged GETs one after another, a task keeping their bodies a few blocks
//! ahead of the reader. Each range is sized from the rate the last one came in, so
//! that it completes well within the request timeout: one request per few seconds
//! of transfer rather than one per 8 MiB (moto copies the object for every range).

use std::io::{self, Read, Seek, SeekFrom};
use std::sync::Arc;

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use object_store::path::Path;
use object_store::{GetOptions, ObjectStore, ObjectStoreExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::{block, explain, runtime};
use crate::target::Cursor;

/// The read after an open or a jump.
const SMALL_READ: u64 = 256 << 10;
/// Blocks handed from the streaming task to the reader, and how many it keeps ready.
const BLOCK: usize = 1 << 20;
const BLOCKS_AHEAD: usize = 8;
/// Bounds of one range while streaming; the first is the smallest.
const RANGES: std::ops::RangeInclusive<u64> = (8 << 20)..=(512 << 20);
/// Ranges cut off in a row before the read fails.
const RETRIES: u32 = 3;

pub struct ObjectReader {
    store: Arc<dyn ObjectStore>,
    path: Path,
    place: String,
    timeout: Duration,
    at: Cursor<Bytes>,
    stream: Option<Stream>,
}

/// Reading straight on from `next`: the blocks a task streams ahead.
struct Stream {
    next: u64,
    blocks: mpsc::Receiver<object_store::Result<Bytes>>,
    task: JoinHandle<()>,
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ObjectReader {
    pub fn new(store: Arc<dyn ObjectStore>, path: Path, size: u64, place: String, timeout: Duration) -> Self {
        ObjectReader { store, path, place, timeout, at: Cursor::new(size, Bytes::new()), stream: None }
    }

    fn failed(&self, e: object_store::Error) -> io::Error {
        io::Error::other(explain(e, &format!("Reading {}", self.path.filename().unwrap_or("the backup")), &self.place))
    }

    /// Starts streaming from `start` to the end of the object.
    fn stream_from(&self, start: u64) -> Stream {
        let (store, path, end, timeout) = (self.store.clone(), self.path.clone(), self.at.len, self.timeout);
        let (sender, blocks) = mpsc::channel(BLOCKS_AHEAD);
        let task = runtime().spawn(async move {
            let mut at = start;
            let mut range = *RANGES.start();
            let mut failures = 0;
            while at < end {
                let (from, started) = (at, Instant::now());
                let options = GetOptions { range: Some((at..(at + range).min(end)).into()), ..Default::default() };
                let mut block = BytesMut::with_capacity(BLOCK);
                let failed = match store.get_opts(&path, options).await {
                    Err(e) => Some(e),
                    Ok(got) => {
                        let mut body = got.into_stream();
                        loop {
                            match body.next().await {
                                None => break None,
                                Some(Err(e)) => break Some(e),
                                Some(Ok(chunk)) => block.extend_from_slice(&chunk),
                            }
                            if block.len() >= BLOCK {
                                at += block.len() as u64;
                                if sender.send(Ok(block.split().freeze())).await.is_err() {
                                    return;
                                }
                            }
                        }
                    }
                };
                // A body cut off (a timeout while the reader was busy, a dropped
                // connection) is asked for again from where the blocks sent end.
                if let Some(e) = failed {
                    failures += 1;
                    if failures > RETRIES {
                        return drop(sender.send(Err(e)).await);
                    }
                    range = *RANGES.start();
                    continue;
                }
                at += block.len() as u64;
                if !block.is_empty() && sender.send(Ok(block.freeze())).await.is_err() {
                    return;
                }
                if at == from {
                    return; // nothing came: the reader reports the early end
                }
                failures = 0;
                // A quarter of the timeout at the rate just seen (slowed by a slow
                // reader too, which only makes the next range smaller).
                let rate = (at - from) as f64 / started.elapsed().as_secs_f64().max(1e-3);
                range = ((rate * timeout.as_secs_f64() / 4.0) as u64).clamp(*RANGES.start(), *RANGES.end());
            }
        });
        Stream { next: start, blocks, task }
    }

    /// Makes the block the bytes at the position.
    fn fill(&mut self) -> io::Result<()> {
        let pos = self.at.pos;
        if self.stream.as_ref().is_some_and(|stream| stream.next != pos) {
            self.stream = None;
        }
        let bytes = match &mut self.stream {
            Some(stream) => block(stream.blocks.recv()).transpose().map_err(|e| self.failed(e))?,
            None if self.at.just_after_block() => {
                let stream = self.stream.insert(self.stream_from(pos));
                block(stream.blocks.recv()).transpose().map_err(|e| self.failed(e))?
            }
            None => {
                let (store, path, end) = (self.store.clone(), self.path.clone(), (pos + SMALL_READ).min(self.at.len));
                Some(block(async move { store.get_range(&path, pos..end).await }).map_err(|e| self.failed(e))?)
            }
        };
        let bytes = bytes.filter(|b| !b.is_empty()).ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, format!("{} returned no bytes at offset {pos}", self.place)))?;
        if let Some(stream) = &mut self.stream {
            stream.next += bytes.len() as u64;
        }
        self.at.block_at = pos;
        self.at.block = bytes;
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
