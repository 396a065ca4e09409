//! Writing a backup to object storage. Small backups are one conditional put
//! (refused if the name exists); larger ones a multipart upload whose parts go out
//! while later bytes are still being encrypted, a few at a time. A marker object
//! (see `pending`) hides the backup from listings until it is complete and checked:
//! by its size, and, where the service did not check the parts' checksums, by
//! reading it back and comparing SHA-256, as the share's uploads are. An upload that
//! fails or is dropped before `commit` discards what it sent, and one cut off by a
//! kill is discarded by the next backup through its marker.

use std::cell::Cell;
use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::sync::Arc;
use std::time::Duration;

use object_store::multipart::PartId;
use object_store::path::Path;
use object_store::MultipartId;
use object_store::{ObjectStoreExt, PutMode, PutOptions, PutPayload};
use sha2::{Digest, Sha256};
use tokio::task::JoinHandle;

use super::reader::ObjectReader;
use super::s3_uploads::S3Uploads;
use super::{block, explain, pending, runtime, Service, Store};
use crate::error::{Error, LocationProblem, Result};
use crate::progress::Progress;
use crate::target::Upload;

/// Parts of 8 MiB (S3 wants at least 5 MiB for all but the last).
const PART_SIZE: usize = 8 << 20;
/// Parts on their way at once: enough to keep a link busy, and at most this many
/// parts held in memory.
const PARTS_IN_FLIGHT: usize = 4;

pub struct ObjectUpload {
    store: Arc<dyn Store>,
    /// Each request's, for the read-back's ranges.
    timeout: Duration,
    service: Service,
    uploads: Option<Arc<S3Uploads>>,
    path: Path,
    marker: Path,
    place: String,
    part: Vec<u8>,
    /// The multipart upload, once its first part goes out.
    multipart: Option<MultipartId>,
    /// Its parts the service took, in order.
    parts: Vec<PartId>,
    in_flight: VecDeque<JoinHandle<object_store::Result<PartId>>>,
    written: u64,
    /// SHA-256 of what was written, when it is read back.
    hash: Option<Sha256>,
    /// Whether the marker is at the service: until the backup is confirmed, what
    /// this upload sent must go when it is dropped.
    marked: bool,
    /// Whether a request failed: the service may be out of reach, and may still
    /// store what was cut short (a frozen server catching up). The discard is then
    /// left to the next backup, which finds the marker.
    link_failed: Cell<bool>,
}

impl ObjectUpload {
    pub fn new(store: Arc<dyn Store>, service: Service, uploads: Option<Arc<S3Uploads>>, folder: &Path, name: &str, place: String, timeout: Duration) -> Self {
        ObjectUpload {
            store,
            timeout,
            service,
            uploads,
            path: folder.clone().join(name),
            marker: pending::marker(folder, name),
            place,
            part: Vec::with_capacity(PART_SIZE),
            multipart: None,
            parts: Vec::new(),
            in_flight: VecDeque::new(),
            written: 0,
            hash: service.reads_back().then(Sha256::new),
            marked: false,
            link_failed: Cell::new(false),
        }
    }

    fn failed(&self, e: object_store::Error) -> Error {
        self.failed_at(e, &format!("Uploading {}", self.path.filename().unwrap_or("the backup")))
    }

    fn failed_at(&self, e: object_store::Error, doing: &str) -> Error {
        // Refused (full, over quota, denied): the service answered and stores
        // nothing of that request, so what was sent can be discarded right away.
        if !super::refused(&e) {
            self.link_failed.set(true);
        }
        explain(e, doing, &self.place)
    }

    /// Writes the marker, naming the multipart upload once it has an id.
    fn mark(&mut self) -> Result<()> {
        let id = self.multipart.clone().unwrap_or_default();
        block(self.store.put(&self.marker, PutPayload::from(id.into_bytes()))).map_err(|e| self.failed(e))?;
        self.marked = true;
        Ok(())
    }

    /// Sends the buffered part, starting the multipart upload with the first one.
    fn send_part(&mut self) -> Result<()> {
        if self.multipart.is_none() {
            // Marked before the upload exists, so that a kill right after the service
            // creates it leaves a marker naming its key; then again with its id.
            self.mark()?;
            let id = block(self.store.create_multipart(&self.path)).map_err(|e| self.failed(e))?;
            self.multipart = Some(id.clone());
            if !id.is_empty() {
                self.mark()?;
            }
        }
        while self.in_flight.len() >= PARTS_IN_FLIGHT {
            self.wait_oldest()?;
        }
        let bytes = std::mem::replace(&mut self.part, Vec::with_capacity(PART_SIZE));
        let (store, path, id) = (self.store.clone(), self.path.clone(), self.multipart.clone().expect("started above"));
        let index = self.parts.len() + self.in_flight.len();
        self.in_flight.push_back(runtime().spawn(async move { store.put_part(&path, &id, index, PutPayload::from(bytes)).await }));
        Ok(())
    }

    fn wait_oldest(&mut self) -> Result<()> {
        let Some(oldest) = self.in_flight.pop_front() else { return Ok(()) };
        let part = block(oldest).map_err(|e| Error::operation(format!("An upload task stopped: {e}")))?.map_err(|e| self.failed(e))?;
        self.parts.push(part);
        Ok(())
    }

    fn finish(&mut self, progress: &dyn Progress) -> Result<()> {
        match self.multipart.clone() {
            None => {
                self.mark()?;
                let payload = PutPayload::from(std::mem::take(&mut self.part));
                let options = PutOptions { mode: PutMode::Create, ..Default::default() };
                if let Err(e) = block(self.store.put_opts(&self.path, payload, options)) {
                    return Err(match e {
                        object_store::Error::AlreadyExists { .. } => {
                            // Not ours: only the marker goes.
                            self.unmark()?;
                            Error::operation(format!("{} already holds a backup named {}; nothing was replaced.", self.place, self.path.filename().unwrap_or("")))
                        }
                        e => self.failed(e),
                    });
                }
            }
            Some(id) => {
                if !self.part.is_empty() {
                    self.send_part()?;
                }
                while !self.in_flight.is_empty() {
                    self.wait_oldest()?;
                }
                let parts = std::mem::take(&mut self.parts);
                block(self.store.complete_multipart(&self.path, &id, parts)).map_err(|e| self.failed_at(e, "Completing the upload"))?;
            }
        }
        let landed = block(self.store.head(&self.path)).map_err(|e| self.failed(e))?;
        if landed.size != self.written || !self.read_back_matches(landed.size, progress)? {
            // Dropping the upload discards it: it must never be listed as a backup.
            return Err(Error::location(
                LocationProblem::ConnectionLost,
                format!("What {} holds ({} bytes) is not the backup that was written ({} bytes); it was not kept.", self.place, landed.size, self.written),
            ));
        }
        self.unmark()
    }

    /// Removes the marker: from now on the backup is listed.
    fn unmark(&mut self) -> Result<()> {
        block(self.store.delete(&self.marker)).map_err(|e| self.failed(e))?;
        self.marked = false;
        Ok(())
    }

    /// Reads the whole object back and compares its SHA-256 with what was written
    /// (true when nothing needs reading back).
    fn read_back_matches(&mut self, size: u64, progress: &dyn Progress) -> Result<bool> {
        let Some(written) = self.hash.take() else { return Ok(true) };
        progress.total(size, 0);
        let mut reader = ObjectReader::new(self.store.clone(), self.path.clone(), size, self.place.clone(), self.timeout);
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = reader.read(&mut buf).map_err(|e| {
                self.link_failed.set(true);
                Error::operation(format!("Reading the backup back from {}: {e}", self.place))
            })?;
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
        if !self.marked {
            return;
        }
        // Parts on their way are let finish (each within its timeout), unless the
        // service already failed a request: then the failure is not held up, and the
        // marker stays for the next backup to discard what is there by then.
        while !self.in_flight.is_empty() && !self.link_failed.get() {
            let _ = self.wait_oldest();
        }
        if self.link_failed.get() {
            self.in_flight.drain(..).for_each(|part| part.abort());
            return;
        }
        let id = self.multipart.take().unwrap_or_default();
        let (store, service, uploads) = (self.store.as_ref(), self.service, self.uploads.as_deref());
        let discarded = block(async {
            pending::discard(store, service, uploads, &self.path, &id).await?;
            pending::gone(store.delete(&self.marker).await)
        });
        if let Err(e) = discarded {
            tracing::warn!("an upload that did not complete could not be discarded yet (the next backup will): {e}");
        }
    }
}
