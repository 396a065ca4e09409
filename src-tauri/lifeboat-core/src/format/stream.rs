//! The body: a STREAM of AES-256-GCM chunks, each holding one block of the logical
//! stream, zstd-compressed unless that does not make it smaller. Then the footer.

use std::io::{Read, Seek, SeekFrom, Write};

use std::thread::JoinHandle;

use crossbeam_channel::{bounded, unbounded, Receiver, Sender};
use sha2::{Digest, Sha256};

use super::keys::TAG_LEN;
use super::{PayloadCipher, FOOTER_MAGIC, MAX_INDEX_BYTES};
use crate::error::{Error, IoContext, Result};

pub const FOOTER_LEN: u64 = 32;
const WRITING: &str = "writing the backup file";
const ENCODING_STORED: u8 = 0;
const ENCODING_ZSTD: u8 = 1;
const ZSTD_LEVEL: i32 = 3;
/// The smallest possible chunk: length prefix, encoding byte, tag.
const MIN_CHUNK_LEN: u64 = 4 + 1 + TAG_LEN as u64;

/// Turns a block into a chunk plaintext (encoding byte + data) and back.
pub struct BlockCodec {
    compressor: zstd::bulk::Compressor<'static>,
    decompressor: zstd::bulk::Decompressor<'static>,
    scratch: Vec<u8>,
}

impl BlockCodec {
    pub fn new() -> Result<Self> {
        let zstd_err = |e: std::io::Error| Error::operation(format!("starting zstd: {e}"));
        Ok(BlockCodec {
            compressor: zstd::bulk::Compressor::new(ZSTD_LEVEL).map_err(zstd_err)?,
            decompressor: zstd::bulk::Decompressor::new().map_err(zstd_err)?,
            scratch: Vec::new(),
        })
    }

    /// Appends the encoded block to `out`: compressed if that saves space, else stored.
    pub fn encode(&mut self, block: &[u8], out: &mut Vec<u8>) -> Result<()> {
        self.scratch.clear();
        self.scratch.reserve(zstd::zstd_safe::compress_bound(block.len()));
        self.compressor.compress_to_buffer(block, &mut self.scratch).map_err(|e| Error::operation(format!("compressing: {e}")))?;
        if self.scratch.len() < block.len() {
            out.push(ENCODING_ZSTD);
            out.extend_from_slice(&self.scratch);
        } else {
            out.push(ENCODING_STORED);
            out.extend_from_slice(block);
        }
        Ok(())
    }

    /// Decodes a chunk plaintext into `out` (replacing its content); fails on anything
    /// that would decode to more than `max_len` bytes.
    pub fn decode(&mut self, plain: &[u8], max_len: usize, out: &mut Vec<u8>) -> Result<(), String> {
        out.clear();
        let (&encoding, data) = plain.split_first().ok_or("empty chunk")?;
        match encoding {
            ENCODING_STORED if data.len() <= max_len => out.extend_from_slice(data),
            ENCODING_STORED => return Err("stored block larger than the block size".into()),
            ENCODING_ZSTD => {
                out.reserve(max_len);
                self.decompressor.decompress_to_buffer(data, out).map_err(|e| format!("block does not decompress: {e}"))?;
            }
            other => return Err(format!("unknown block encoding {other}")),
        }
        Ok(())
    }
}

/// Largest chunk ciphertext a block of `block_size` can produce.
pub fn max_chunk_len(block_size: u32) -> usize {
    1 + zstd::zstd_safe::compress_bound(block_size as usize).max(block_size as usize) + TAG_LEN
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Footer {
    /// Byte offset of the first index chunk (its length prefix).
    pub index_offset: u64,
    /// Chunk number of the first index chunk; the chunks before it hold data.
    pub index_first_chunk: u64,
    pub chunk_count: u64,
}

impl Footer {
    fn to_bytes(self) -> [u8; FOOTER_LEN as usize] {
        let mut out = [0u8; FOOTER_LEN as usize];
        out[0..8].copy_from_slice(&self.index_offset.to_le_bytes());
        out[8..16].copy_from_slice(&self.index_first_chunk.to_le_bytes());
        out[16..24].copy_from_slice(&self.chunk_count.to_le_bytes());
        out[24..32].copy_from_slice(FOOTER_MAGIC);
        out
    }
}

/// Reads the footer and checks it is consistent with the file size. What it claims is
/// proven later: a wrong number makes a chunk fail authentication.
pub fn read_footer<R: Read + Seek>(r: &mut R, body_offset: u64) -> Result<Footer> {
    let len = r.seek(SeekFrom::End(0)).map_err(|e| Error::operation(format!("reading backup: {e}")))?;
    let truncated = || Error::integrity("The backup file is truncated or has data appended: its footer is missing.");
    if len < body_offset + MIN_CHUNK_LEN * 2 + FOOTER_LEN {
        return Err(truncated());
    }
    let mut buf = [0u8; FOOTER_LEN as usize];
    r.seek(SeekFrom::Start(len - FOOTER_LEN)).and_then(|_| r.read_exact(&mut buf)).map_err(|e| Error::operation(format!("reading backup footer: {e}")))?;
    if &buf[24..32] != FOOTER_MAGIC {
        return Err(truncated());
    }
    let num = |i: usize| u64::from_le_bytes(buf[i..i + 8].try_into().expect("8 bytes"));
    let footer = Footer { index_offset: num(0), index_first_chunk: num(8), chunk_count: num(16) };
    let body_end = len - FOOTER_LEN;
    // Checked sums: the numbers are the file's, and may be anything.
    let plausible = footer.index_offset >= body_offset + MIN_CHUNK_LEN
        && footer.index_offset.checked_add(MIN_CHUNK_LEN).is_some_and(|end| end <= body_end)
        && footer.index_first_chunk >= 1
        && footer.index_first_chunk < footer.chunk_count
        && footer.chunk_count <= (body_end - body_offset) / MIN_CHUNK_LEN
        && body_end - footer.index_offset <= MAX_INDEX_BYTES;
    if !plausible {
        return Err(Error::integrity("The backup footer is damaged: the positions it records do not fit in the file."));
    }
    Ok(footer)
}

/// A completed backup file: the sink it was written to, its SHA-256 and its size.
pub struct Finished<W> {
    pub out: W,
    pub sha256: [u8; 32],
    pub size: u64,
}

/// Writes chunks after the header. Blocks are compressed and sealed by a pool of
/// worker threads (they are independent of each other); one writer thread puts the
/// chunks in order, hashes every byte of the file and records where each chunk starts.
pub struct ChunkWriter<W: Write + Send + 'static> {
    jobs: Option<Sender<Job>>,
    recycled: Receiver<Vec<u8>>,
    acks: Receiver<(u64, u64)>,
    footer: Option<Sender<Footer>>,
    workers: Vec<JoinHandle<Result<()>>>,
    writer: Option<JoinHandle<Result<Finished<W>>>>,
    counter: u64,
    block_size: usize,
    offsets: Vec<u64>,
    end: u64,
}

struct Job {
    counter: u64,
    last: bool,
    block: Vec<u8>,
    len: usize,
}

/// Blocks in flight per worker: enough to keep every core busy while the reader
/// fills the next block, few enough to bound memory (about 2 MiB each).
const QUEUE_PER_WORKER: usize = 2;

impl<W: Write + Send + 'static> ChunkWriter<W> {
    pub fn new(mut out: W, cipher: PayloadCipher, header: &[u8], block_size: u32, threads: usize) -> Result<Self> {
        out.write_all(header).context(|| WRITING.into())?;
        let threads = threads.max(1);
        let (jobs_tx, jobs_rx) = bounded::<Job>(threads * QUEUE_PER_WORKER);
        let (sealed_tx, sealed_rx) = bounded::<(u64, Vec<u8>)>(threads * QUEUE_PER_WORKER);
        let (recycle_tx, recycle_rx) = unbounded::<Vec<u8>>();
        // (start, end) of each chunk written, in order.
        let (ack_tx, ack_rx) = unbounded::<(u64, u64)>();
        let (footer_tx, footer_rx) = bounded::<Footer>(1);
        let mut workers = Vec::with_capacity(threads);
        for _ in 0..threads {
            let (jobs, sealed, recycle, cipher) = (jobs_rx.clone(), sealed_tx.clone(), recycle_tx.clone(), cipher.clone());
            workers.push(std::thread::spawn(move || -> Result<()> {
                let mut codec = BlockCodec::new()?;
                for job in jobs {
                    let mut chunk = Vec::with_capacity(job.len + 64);
                    chunk.extend_from_slice(&[0; 4]);
                    codec.encode(&job.block[..job.len], &mut chunk)?;
                    let _ = recycle.send(job.block);
                    cipher.seal_from(job.counter, job.last, &mut chunk, 4);
                    let len = (chunk.len() - 4) as u32;
                    chunk[..4].copy_from_slice(&len.to_le_bytes());
                    if sealed.send((job.counter, chunk)).is_err() {
                        break; // the writer stopped; it reports why
                    }
                }
                Ok(())
            }));
        }
        drop(sealed_tx);
        let start = header.len() as u64;
        let mut hasher = Sha256::new();
        hasher.update(header);
        let writer = std::thread::spawn(move || -> Result<Finished<W>> {
            let mut pending = std::collections::BTreeMap::new();
            let mut next = 0u64;
            let mut offset = start;
            for (counter, chunk) in sealed_rx {
                pending.insert(counter, chunk);
                while let Some(chunk) = pending.remove(&next) {
                    out.write_all(&chunk).context(|| WRITING.into())?;
                    hasher.update(&chunk);
                    let _ = ack_tx.send((offset, offset + chunk.len() as u64));
                    offset += chunk.len() as u64;
                    next += 1;
                }
            }
            if !pending.is_empty() {
                return Err(Error::operation("a backup worker stopped before its chunk was written"));
            }
            let Ok(footer) = footer_rx.recv() else {
                return Err(Error::Canceled); // dropped without finishing
            };
            if footer.chunk_count != next {
                return Err(Error::operation("the backup ended with chunks missing"));
            }
            let bytes = footer.to_bytes();
            out.write_all(&bytes).context(|| WRITING.into())?;
            hasher.update(bytes);
            out.flush().context(|| WRITING.into())?;
            Ok(Finished { out, sha256: hasher.finalize().into(), size: offset + FOOTER_LEN })
        });
        Ok(ChunkWriter {
            jobs: Some(jobs_tx),
            recycled: recycle_rx,
            acks: ack_rx,
            footer: Some(footer_tx),
            workers,
            writer: Some(writer),
            counter: 0,
            block_size: block_size as usize,
            offsets: Vec::new(),
            end: start,
        })
    }

    /// Number of the next chunk to be submitted.
    pub fn counter(&self) -> u64 {
        self.counter
    }

    /// An empty block buffer (`block_size` long), recycled when one is free.
    pub fn take_buffer(&mut self) -> Vec<u8> {
        self.recycled.try_recv().unwrap_or_else(|_| vec![0; self.block_size])
    }

    /// Queues `block[..len]` as the next chunk.
    pub fn submit(&mut self, block: Vec<u8>, len: usize, last: bool) -> Result<()> {
        let job = Job { counter: self.counter, last, block, len };
        let sent = self.jobs.as_ref().map(|jobs| jobs.send(job).is_ok()).unwrap_or(false);
        if !sent {
            return Err(self.failure());
        }
        self.counter += 1;
        Ok(())
    }

    /// Waits until every submitted chunk is written; returns the byte offsets of all
    /// chunks so far and the offset the next chunk will start at.
    pub fn wait_written(&mut self) -> Result<(Vec<u64>, u64)> {
        while (self.offsets.len() as u64) < self.counter {
            match self.acks.recv() {
                Ok((start, end)) => {
                    self.offsets.push(start);
                    self.end = end;
                }
                Err(_) => return Err(self.failure()),
            }
        }
        Ok((self.offsets.clone(), self.end))
    }

    /// Writes the footer after the last chunk.
    pub fn finish(mut self, footer: Footer) -> Result<Finished<W>> {
        drop(self.jobs.take());
        let sent = self.footer.take().map(|f| f.send(footer).is_ok()).unwrap_or(false);
        if !sent {
            return Err(self.failure());
        }
        for worker in std::mem::take(&mut self.workers) {
            worker.join().map_err(|_| Error::operation("a backup worker crashed"))??;
        }
        self.writer.take().expect("joined once").join().map_err(|_| Error::operation("the backup writer crashed"))?
    }

    /// The first error a worker or the writer met.
    fn failure(&mut self) -> Error {
        drop(self.jobs.take());
        drop(self.footer.take());
        let mut first = None;
        for worker in std::mem::take(&mut self.workers) {
            if let Ok(Err(e)) = worker.join() {
                first.get_or_insert(e);
            }
        }
        if let Some(writer) = self.writer.take() {
            if let Ok(Err(e)) = writer.join() {
                first = Some(e);
            }
        }
        first.unwrap_or_else(|| Error::operation("the backup pipeline stopped unexpectedly"))
    }
}

impl<W: Write + Send + 'static> Drop for ChunkWriter<W> {
    fn drop(&mut self) {
        // Unfinished (an error or a cancel): stop the threads; the writer drops the
        // sink, which discards an unpublished upload.
        drop(self.jobs.take());
        drop(self.footer.take());
        for worker in std::mem::take(&mut self.workers) {
            let _ = worker.join();
        }
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

/// Reads and authenticates chunks, sequentially or from a known position.
pub struct ChunkReader<R: Read + Seek> {
    inner: R,
    cipher: PayloadCipher,
    codec: BlockCodec,
    footer: Footer,
    block_size: u32,
    counter: u64,
    ct: Vec<u8>,
}

impl<R: Read + Seek> ChunkReader<R> {
    pub fn new(inner: R, cipher: PayloadCipher, footer: Footer, block_size: u32) -> Result<Self> {
        Ok(ChunkReader { inner, cipher, codec: BlockCodec::new()?, footer, block_size, counter: 0, ct: Vec::new() })
    }

    pub fn footer(&self) -> Footer {
        self.footer
    }

    /// Number of the chunk `next_block` will read.
    pub fn counter_next(&self) -> u64 {
        self.counter
    }

    /// Positions the reader at chunk `counter`, which starts at byte `offset`.
    pub fn seek_chunk(&mut self, counter: u64, offset: u64) -> Result<()> {
        self.inner.seek(SeekFrom::Start(offset)).map_err(|e| Error::operation(format!("reading backup: {e}")))?;
        self.counter = counter;
        Ok(())
    }

    /// Reads, authenticates and decodes the next chunk into `out`. Returns the chunk's
    /// number, or None past the last chunk.
    pub fn next_block(&mut self, out: &mut Vec<u8>) -> Result<Option<u64>> {
        if self.counter >= self.footer.chunk_count {
            return Ok(None);
        }
        let counter = self.counter;
        let mut len = [0u8; 4];
        self.inner.read_exact(&mut len).map_err(|e| self.read_failure(counter, e))?;
        let len = u32::from_le_bytes(len) as usize;
        if len < 1 + TAG_LEN || len > max_chunk_len(self.block_size) {
            return Err(Error::integrity(format!("The backup is damaged: {} has an impossible length ({len} bytes).", self.chunk_name(counter))));
        }
        self.ct.resize(len, 0);
        self.inner.read_exact(&mut self.ct).map_err(|e| self.read_failure(counter, e))?;
        let last = counter + 1 == self.footer.chunk_count;
        self.cipher.open(counter, last, &mut self.ct).map_err(|_| self.auth_error(counter))?;
        self.codec.decode(&self.ct, self.block_size as usize, out).map_err(|why| Error::integrity(format!("The backup is damaged: {}: {why}.", self.chunk_name(counter))))?;
        self.counter += 1;
        Ok(Some(counter))
    }

    pub fn file_len(&mut self) -> Result<u64> {
        let here = self.position()?;
        let len = self.inner.seek(SeekFrom::End(0)).map_err(|e| Error::operation(format!("reading backup: {e}")))?;
        self.inner.seek(SeekFrom::Start(here)).map_err(|e| Error::operation(format!("reading backup: {e}")))?;
        Ok(len)
    }

    /// Current byte position; after the last chunk it must be where the footer starts.
    pub fn position(&mut self) -> Result<u64> {
        self.inner.stream_position().map_err(|e| Error::operation(format!("reading backup: {e}")))
    }

    fn read_failure(&self, counter: u64, e: std::io::Error) -> Error {
        let chunk = self.chunk_name(counter);
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            Error::integrity(format!("The backup is truncated: {chunk} is incomplete."))
        } else {
            Error::operation(format!("reading backup {chunk}: {e}"))
        }
    }

    /// Which part of the file a chunk is in, for errors: the data, or the index the
    /// footer points at (a damaged footer shows up as a damaged index chunk).
    fn chunk_name(&self, counter: u64) -> String {
        match counter.checked_sub(self.footer.index_first_chunk) {
            None => format!("data chunk {counter}"),
            Some(k) => format!("index chunk {k} (chunk {counter}; the index, or the footer that locates it)"),
        }
    }

    fn auth_error(&self, counter: u64) -> Error {
        Error::integrity(format!(
            "The backup failed authentication at {}: its content was changed, truncated, \
             reordered or extended, or its body belongs to another backup. Do not trust this file.",
            self.chunk_name(counter)
        ))
    }
}
