//! Writing a backup to the share under a temporary name: writes in a sliding
//! window, then a read-back check of size and SHA-256 before the rename publishes it.

use std::collections::VecDeque;
use std::io::{Read, Write};

use sha2::{Digest, Sha256};
use smb::{CreateDisposition, FileAccessMask, FileRenameInformation};

use super::file::ShareFile;
use super::reader::SmbReader;
use super::session::Request;
use super::{BLOCK, WINDOW};
use crate::error::{Error, IoContext, Result};
use crate::target::Upload;

/// A backup being written to the share under a temporary name.
pub(super) struct SmbUpload {
    file: ShareFile,
    final_rel: String,
    /// Bytes for the next request, up to `BLOCK`.
    pending: Vec<u8>,
    /// Writes sent and not yet answered, oldest first.
    in_flight: VecDeque<Request<()>>,
    /// Bytes handed to writes so far.
    sent: u64,
    hash: Sha256,
    committed: bool,
}

impl SmbUpload {
    pub(super) fn new(file: ShareFile, final_rel: String) -> Self {
        SmbUpload { file, final_rel, pending: Vec::with_capacity(BLOCK), in_flight: VecDeque::new(), sent: 0, hash: Sha256::new(), committed: false }
    }

    /// Sends what is pending as one write, once the window has room for it.
    fn send_pending(&mut self) -> std::io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        if self.in_flight.len() >= WINDOW {
            self.finish_oldest()?;
        }
        if self.file.share.renewal_due() {
            self.finish_all()?;
        }
        let file = self.file.handle().map_err(std::io::Error::other)?;
        let data = std::mem::replace(&mut self.pending, Vec::with_capacity(BLOCK));
        let offset = self.sent;
        self.sent += data.len() as u64;
        let request = self.file.share.spawn(async move {
            let n = file.write_block(&data, offset, None).await?;
            if n != data.len() {
                return Err(std::io::Error::other(format!("the share took {n} of {} bytes", data.len())).into());
            }
            Ok(())
        });
        self.in_flight.push_back(request);
        Ok(())
    }

    fn finish_oldest(&mut self) -> std::io::Result<()> {
        if let Some(mut request) = self.in_flight.pop_front() {
            self.file.share.wait("writing a backup", &mut request).map_err(std::io::Error::other)?;
        }
        Ok(())
    }

    fn finish_all(&mut self) -> std::io::Result<()> {
        while !self.in_flight.is_empty() {
            self.finish_oldest()?;
        }
        Ok(())
    }
}

impl Write for SmbUpload {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = buf.len().min(BLOCK - self.pending.len());
        self.pending.extend_from_slice(&buf[..n]);
        self.hash.update(&buf[..n]);
        if self.pending.len() == BLOCK {
            self.send_pending()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Upload for SmbUpload {
    /// Sends the rest, checks that what landed has the size and SHA-256 written,
    /// then renames it to its final name, replacing any file of that name.
    fn commit(mut self: Box<Self>, progress: &dyn crate::progress::Progress) -> Result<()> {
        self.send_pending().context(|| "writing the backup to the share".into())?;
        self.finish_all().context(|| "writing the backup to the share".into())?;
        // On any failure below, dropping `self` deletes the temporary file.
        let size = self.sent;
        let file = self.file.handle()?;
        self.file.share.call("flushing the backup", async move |_, _| file.flush().await.map_err(smb::Error::from))?;
        // Read back through a handle of its own (a handle knows only the size the
        // file had when it was opened); the reads may move to a fresh connection.
        self.file.close()?;
        let mut landed = ShareFile::open(&self.file.share, self.file.rel.clone(), FileAccessMask::new().with_generic_read(true), CreateDisposition::Open)?;
        let landed_len = landed.len()?;
        progress.total(landed_len, 0);
        let mut reader = SmbReader::new(landed, landed_len);
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; BLOCK * 16];
        let mut read_back = 0u64;
        loop {
            let n = reader.read(&mut buf).context(|| "reading back the backup from the share".into())?;
            if n == 0 {
                break;
            }
            read_back += n as u64;
            hasher.update(&buf[..n]);
            progress.advance(n as u64, 0);
        }
        drop(reader);
        if landed_len != size || read_back != size || hasher.finalize() != self.hash.clone().finalize() {
            return Err(Error::operation(format!("What landed on the share ({landed_len} bytes) is not what was written ({size} bytes); the backup was not published.")));
        }
        let renaming = self.file.handle()?;
        let final_rel = self.final_rel.clone();
        self.file.share.call("publishing the backup", async move |_, _| {
            renaming.set_info(FileRenameInformation { replace_if_exists: true.into(), root_directory: 0, file_name: final_rel.as_str().into() }).await
        })?;
        self.committed = true;
        self.file.close()
    }
}

impl Drop for SmbUpload {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        // Not committed: the backup failed or was canceled. Delete the temporary
        // file while the connection works; otherwise (or if that fails too) the
        // next backup's cleanup removes it.
        self.file.share.settle(self.in_flight.drain(..));
        if !self.file.share.connected() {
            self.file.forget();
            return;
        }
        if self.file.close().is_ok() {
            let _ = self.file.share.delete_rel(&self.file.rel);
        }
    }
}
