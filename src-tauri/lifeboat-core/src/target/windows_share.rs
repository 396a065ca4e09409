//! A folder on an SMB share through Windows' own SMB client, signed in as the Windows
//! user Lifeboat runs as (Kerberos in a domain, else the session's NTLM credentials):
//! a domain administrator keeps no share password in Lifeboat. To Windows the share
//! is a UNC path like any folder, so the folder target does the work; this adds the
//! share's name to what people read and the network's failures in their words.

use super::{LocalFolder, ReadSeek, SmbPath, StoredFile, Target, Upload};
use crate::error::{Error, LocationProblem, Result};
use crate::progress::Progress;

pub struct WindowsShare {
    share: SmbPath,
    folder: LocalFolder,
}

impl WindowsShare {
    pub fn new(share: SmbPath) -> Result<Self> {
        super::check_windows_sign_in(&share)?;
        let folder = LocalFolder::at(share.display())?;
        Ok(WindowsShare { share, folder })
    }

    fn said<T>(&self, result: Result<T>) -> Result<T> {
        in_windows_words(&self.share, result)
    }
}

/// Windows' network errors as location problems the window and CLI explain.
fn in_windows_words<T>(share: &SmbPath, result: Result<T>) -> Result<T> {
    let Err(error) = result else { return result };
    let code = match &error {
        Error::Io { source, .. } => source.raw_os_error(),
        _ => None,
    };
    let server = &share.server;
    let (problem, advice) = match code {
        // ERROR_BAD_NETPATH, ERROR_REM_NOT_LIST, ERROR_NETNAME_DELETED, ERROR_NETWORK_UNREACHABLE, ERROR_HOST_UNREACHABLE
        Some(53 | 51 | 64 | 1231 | 1232) => {
            (LocationProblem::ServerUnreachable, format!("Windows cannot reach the server {server}: check its name and that it is on the network."))
        }
        // ERROR_BAD_NET_NAME
        Some(67) => (LocationProblem::ShareNotFound, format!("The server {server} has no share {}: check the share's name.", share.share)),
        // ERROR_LOGON_FAILURE, ERROR_ACCOUNT_RESTRICTION, ERROR_INVALID_PASSWORD, ERROR_ACCOUNT_LOCKED_OUT, ERROR_TRUSTED_RELATIONSHIP_FAILURE
        Some(1326 | 1327 | 86 | 1909 | 1789) => (
            LocationProblem::WrongCredentials,
            format!("{server} did not accept the Windows account Lifeboat runs as: sign in with an account the share allows, or give a user and password."),
        ),
        // ERROR_ACCESS_DENIED, ERROR_NETWORK_ACCESS_DENIED
        Some(5 | 65) => (
            LocationProblem::AccessDenied,
            format!("The Windows account Lifeboat runs as may not write to {}: ask for write access to the folder, or give a user and password.", share.display()),
        ),
        _ => return Err(error),
    };
    Err(Error::location(problem, format!("{advice} ({error})")))
}

impl Target for WindowsShare {
    fn describe(&self) -> String {
        self.share.describe("")
    }

    fn list(&self) -> Result<Vec<StoredFile>> {
        self.said(self.folder.list())
    }

    fn open(&self, name: &str) -> Result<Box<dyn ReadSeek>> {
        self.said(self.folder.open(name))
    }

    fn create(&self, name: &str) -> Result<Box<dyn Upload>> {
        let upload = self.said(self.folder.create(name))?;
        Ok(Box::new(ShareUpload { upload, share: self.share.clone() }))
    }

    fn delete(&self, name: &str) -> Result<()> {
        self.said(self.folder.delete(name))
    }

    fn free_space(&self) -> Result<Option<u64>> {
        self.said(self.folder.free_space())
    }

    fn remove_incomplete(&self) -> Result<Vec<String>> {
        self.said(self.folder.remove_incomplete())
    }

    fn check_writable(&self) -> Result<()> {
        self.said(self.folder.check_writable())
    }

    fn create_folder(&self) -> Result<()> {
        self.said(self.folder.create_folder())
    }
}

/// The folder's upload, with the share's failures said the same way at publication.
struct ShareUpload {
    upload: Box<dyn Upload>,
    share: SmbPath,
}

impl std::io::Write for ShareUpload {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.upload.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.upload.flush()
    }
}

impl Upload for ShareUpload {
    fn commit(self: Box<Self>, progress: &dyn Progress) -> Result<()> {
        in_windows_words(&self.share, self.upload.commit(progress))
    }
}
