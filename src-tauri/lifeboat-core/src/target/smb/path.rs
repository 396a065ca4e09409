//! Share paths: `\\server[:port]\share\folder` or `smb://server[:port]/share/folder`.

use std::str::FromStr;

use smb::UncPath;

use crate::error::{Error, Result};

/// A share location saved with no user signs in as the Windows user Lifeboat runs as,
/// through Windows' own SMB client (Windows only); with a user, Lifeboat's own client
/// signs in with that user's password.
pub fn signs_in_as_windows_user(user: &str) -> bool {
    user.is_empty()
}

/// Where on a share: parsed from `\\server[:port]\share\path` or `smb://server[:port]/share/path`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SmbPath {
    pub server: String,
    pub port: Option<u16>,
    pub share: String,
    /// Folders inside the share, `\`-separated; empty for the share's top.
    pub folder: String,
}

impl SmbPath {
    pub fn parse(text: &str) -> Result<SmbPath> {
        let bad = |why: &str| Error::input(format!("{text:?} is not a share path ({why}): write it as \\\\server\\share\\folder or smb://server/share/folder."));
        let trimmed = text.trim();
        let rest = if let Some(rest) = trimmed.strip_prefix(r"\\") {
            rest.replace('/', r"\")
        } else if let Some(rest) = trimmed.strip_prefix("smb://") {
            rest.replace('/', r"\")
        } else {
            return Err(bad("it must start with \\\\ or smb://"));
        };
        let mut parts = rest.split('\\').filter(|p| !p.is_empty());
        let host = parts.next().ok_or_else(|| bad("no server"))?;
        let share = parts.next().ok_or_else(|| bad("no share name"))?;
        let (server, port) = match host.rsplit_once(':') {
            Some((server, port)) => (server, Some(port.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| bad("the port must be 1 to 65535"))?)),
            None => (host, None),
        };
        let folders: Vec<&str> = parts.collect();
        if server.is_empty() || folders.iter().chain([&share]).any(|p| *p == "." || *p == ".." || p.contains(['*', '?', '"', '<', '>', '|', ':'])) {
            return Err(bad("it holds a name that is not allowed"));
        }
        Ok(SmbPath { server: server.into(), port, share: share.into(), folder: folders.join(r"\") })
    }

    /// The canonical spelling, `\\server[:port]\share[\folder]`.
    pub fn display(&self) -> String {
        let host = match self.port {
            Some(p) => format!("{}:{p}", self.server),
            None => self.server.clone(),
        };
        let mut out = format!(r"\\{host}\{}", self.share);
        if !self.folder.is_empty() {
            out.push('\\');
            out.push_str(&self.folder);
        }
        out
    }

    /// "SMB share \\server\share\folder" for people; `user` empty means Windows'
    /// own client signed in as the Windows user (see `signs_in_as_windows_user`).
    pub fn describe(&self, user: &str) -> String {
        let as_whom = if signs_in_as_windows_user(user) { " (as the signed-in Windows user)" } else { "" };
        format!("SMB share {}{as_whom}", self.display())
    }

    pub(super) fn share_unc(&self) -> Result<UncPath> {
        let host = match self.port {
            Some(p) => format!("{}:{p}", self.server),
            None => self.server.clone(),
        };
        UncPath::from_str(&format!(r"\\{host}\{}", self.share)).map_err(|e| Error::input(format!("{}: {e}", self.display())))
    }

    /// A path relative to the share's top, as SMB requests name files.
    pub(super) fn in_share(&self, name: &str) -> String {
        if self.folder.is_empty() {
            name.to_owned()
        } else {
            format!(r"{}\{name}", self.folder)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn share_paths_in_both_spellings() {
        let p = SmbPath::parse(r"\\nas01\backups\lifeboat\ws-07").unwrap();
        assert_eq!((p.server.as_str(), p.port, p.share.as_str(), p.folder.as_str()), ("nas01", None, "backups", r"lifeboat\ws-07"));
        assert_eq!(p.display(), r"\\nas01\backups\lifeboat\ws-07");
        let q = SmbPath::parse("smb://nas01:4455/backups/lifeboat/").unwrap();
        assert_eq!((q.port, q.folder.as_str()), (Some(4455), "lifeboat"));
        assert_eq!(q.display(), r"\\nas01:4455\backups\lifeboat");
        assert_eq!(SmbPath::parse(r"\\nas01\backups").unwrap().folder, "");
        for bad in [r"\\nas01", "nas01/backups", r"\\nas01:0\b", r"\\nas01:99999\b", r"\\nas01\b\..\x", r"\\nas01\b\a*"] {
            let e = SmbPath::parse(bad).unwrap_err().to_string();
            assert!(e.contains("not a share path"), "{bad}: {e}");
        }
    }
}
