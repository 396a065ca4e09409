//! Writing a backup to object storage. Small backups are one conditional put
//! (refused if the name exists); larger ones a multipart upload whose parts go out
//! while later bytes are still being encrypted, a few at a time. Either becomes
//! visible only when complete, and is checked by its size once it is; where the
//! service did not check the parts' checksums, it is also read back and compared by
//! SHA-256, as the share's uploads are, and deleted if it differs. An upload dropped
//! before `commit` is aborted, so its parts do not linger.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::sync::Arc;

use object_store::path::Path;
use object_store::{MultipartUpload, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};
use sha2::{Digest, Sha256};
use tokio::task::JoinHandle;

use super::reader::ObjectReader;
use super::{block, explain, runtime};
use crate::error::{Error, LocationProblem, Result};
use crate::progress::Progress;
use crate::target::Upload;

/// Parts of 8 MiB (S3 wants at least 5 MiB for all but the last).
const PART_SIZE: usize = 8 << 20;
/// Parts on their way at once: enough to keep a link busy, and at most this many
/// parts held in memory.
const PARTS_IN_FLIGHT: usize = 4;

pub struct ObjectUpload {
    store: Arc<dyn ObjectStore>,
    path: Path,
    place: String,
    part: Vec<u8>,
    multipart: Option<Box<dyn MultipartUpload>>,
    in_flight: VecDeque<JoinHandle<object_store::Result<()>>>,
    written: u64,
    /// SHA-256 of what was written, when it is read back.
    hash: Option<Sha256>,
}

impl ObjectUpload {
    pub fn new(store: Arc<dyn ObjectStore>, path: Path, place: String, read_back: bool) -> Self {
        let hash = read_back.then(Sha256::new);
        ObjectUpload { store, path, place, part: Vec::with_capacity(PART_SIZE), multipart: None, in_flight: VecDeque::new(), written: 0, hash }
    }

    fn failed(&self, e: object_store::Error) -> Error {
        explain(e, &format!("Uploading {}", self.path.filename().unwrap_or("the backup")), &self.place)
    }

    /// Sends the buffered part, starting the multipart upload with the first one.
    fn send_part(&mut self) -> Result<()> {
        if self.multipart.is_none() {
            let started = block(self.store.put_multipart(&self.path)).map_err(|e| self.failed(e))?;
            self.multipart = Some(started);
        }
        while self.in_flight.len() >= PARTS_IN_FLIGHT {
            self.wait_oldest()?;
        }
        let bytes = std::mem::replace(&mut self.part, Vec::with_capacity(PART_SIZE));
        let upload = self.multipart.as_mut().expect("started above").put_part(PutPayload::from(bytes));
        self.in_flight.push_back(runtime().spawn(upload));
        Ok(())
    }

    fn wait_oldest(&mut self) -> Result<()> {
        let Some(oldest) = self.in_flight.pop_front() else { return Ok(()) };
        block(oldest).map_err(|e| Error::operation(format!("An upload task stopped: {e}")))?.map_err(|e| self.failed(e))
    }

    fn finish(&mut self, progress: &dyn Progress) -> Result<()> {
        if self.multipart.is_none() {
            let payload = PutPayload::from(std::mem::take(&mut self.part));
            let options = PutOptions { mode: PutMode::Create, ..Default::default() };
            block(self.store.put_opts(&self.path, payload, options)).map_err(|e| match e {
                object_store::Error::AlreadyExists { .. } => {
                    Error::operation(format!("{} already holds a backup named {}; nothing was replaced.", self.place, self.path.filename().unwrap_or("")))
                }
                e => self.failed(e),
            })?;
        } else {
            if !self.part.is_empty() {
                self.send_part()?;
            }
            while !self.in_flight.is_empty() {
                self.wait_oldest()?;
            }
            let multipart = self.multipart.as_mut().expect("started");
            block(multipart.complete()).map_err(|e| explain(e, "Completing the upload", &self.place))?;
            self.multipart = None;
        }
        let landed = block(self.store.head(&self.path)).map_err(|e| self.failed(e))?;
        let same = landed.size == self.written && self.read_back_matches(landed.size, progress)?;
        if !same {
            // Ours, and wrong: it must not be listed as a backup.
            let _ = block(self.store.delete(&self.path));
            return Err(Error::location(
                LocationProblem::ConnectionLost,
                format!("What {} holds ({} bytes) is not the backup that was written ({} bytes); it was not kept.", self.place, landed.size, self.written),
            ));
        }
        Ok(())
    }

    /// Reads the whole object back and compares its SHA-256 with what was written
    /// (true when nothing needs reading back).
    fn read_back_matches(&mut self, size: u64, progress: &dyn Progress) -> Result<bool> {
        let Some(written) = self.hash.take() else { return Ok(true) };
        progress.total(size, 0);
        let mut reader = ObjectReader::new(self.store.clone(), self.path.clone(), size, self.place.clone());
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = reader.read(&mut buf).map_err(|e| Error::operation(format!("Reading the backup back from {}: {e}", self.place)))?;
            if n == 0 {
                return Ok(hasher.finalize() == written.finalize());
            }
            hasher.update(&buf[..n]);
            progress.advance(n as u64, 0);
        }
    }
}

impl Write for ObjectUpload {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = buf.len().min(PART_SIZE - self.part.len());
        self.part.extend_from_slice(&buf[..n]);
        if let Some(hash) = &mut self.hash {
            hash.update(&buf[..n]);
        }
        self.written += n as u64;
        if self.part.len() == PART_SIZE {
            self.send_part().map_err(io::Error::other)?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Upload for ObjectUpload {
    fn commit(mut self: Box<Self>, progress: &dyn Progress) -> Result<()> {
        self.finish(progress)
    }
}

impl Drop for ObjectUpload {
    fn drop(&mut self) {
        for part in self.in_flight.drain(..) {
            part.abort();
        }
        if let Some(mut multipart) = self.multipart.take() {
            let _ = block(multipart.abort());
        }
    }
}
