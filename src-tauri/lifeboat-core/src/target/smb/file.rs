//! A file on the share that outlives a connection renewal: reopened by its path on
//! the new connection when needed.

use std::sync::Arc;

use smb::{CreateDisposition, CreateOptions, File, FileAccessMask, FileAttributes, FileCreateArgs, Resource};

use super::SmbShare;
use crate::error::Result;

/// A file on the share, opened on the current connection and reopened by its path
/// when that connection has been replaced.
pub(super) struct ShareFile {
    pub(super) share: SmbShare,
    /// The path relative to the share's top.
    pub(super) rel: String,
    pub(super) access: FileAccessMask,
    /// The handle and the connection (generation) it belongs to.
    pub(super) open: Option<(u64, Arc<File>)>,
}

impl ShareFile {
    pub(super) fn open(share: &SmbShare, rel: String, access: FileAccessMask, disposition: CreateDisposition) -> Result<Self> {
        let mut file = ShareFile { share: share.clone(), rel, access, open: None };
        file.open_as(disposition)?;
        Ok(file)
    }

    pub(super) fn open_as(&mut self, disposition: CreateDisposition) -> Result<()> {
        let rel = self.rel.clone();
        let args = FileCreateArgs { disposition, attributes: FileAttributes::new(), options: CreateOptions::new(), desired_access: self.access };
        let file = self.share.call("opening a file", async move |client, path| {
            let unc = SmbShare::unc_of(path, &rel)?;
            let file: File = client.create_file(&unc, &args).await?.try_into().map_err(|(e, _): (smb::Error, Resource)| e)?;
            Ok(file)
        })?;
        self.open = Some((self.share.generation(), Arc::new(file)));
        Ok(())
    }

    /// The handle to send a request with. When the connection is due for renewal
    /// (callers have nothing in flight on this file then), the file is closed, the
    /// connection replaced and the file reopened on the new one.
    pub(super) fn handle(&mut self) -> Result<Arc<File>> {
        if self.share.renewal_due() {
            self.close()?;
            self.share.renew();
        }
        if let Some((generation, file)) = &self.open {
            if self.share.is_current(*generation) {
                return Ok(file.clone());
            }
        }
        self.forget();
        self.open_as(CreateDisposition::Open)?;
        Ok(self.open.as_ref().expect("just opened").1.clone())
    }

    pub(super) fn len(&mut self) -> Result<u64> {
        let file = self.handle()?;
        self.share.call("reading a file's size", async move |_, _| {
            use smb::resource::GetLen;
            file.get_len().await
        })
    }

    /// Closes the handle on the server while its connection works.
    pub(super) fn close(&mut self) -> Result<()> {
        let Some((generation, file)) = self.open.take() else { return Ok(()) };
        let result = if self.share.is_current(generation) {
            let closing = file.clone();
            self.share.call("closing a file", async move |_, _| closing.close().await)
        } else {
            Ok(())
        };
        self.share.release(file);
        result
    }

    /// Lets go of the handle without a word to the server (its connection is gone).
    pub(super) fn forget(&mut self) {
        if let Some((_, file)) = self.open.take() {
            self.share.release(file);
        }
    }
}

impl Drop for ShareFile {
    fn drop(&mut self) {
        let _ = self.close();
    }
}
