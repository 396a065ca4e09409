//! Secrets Lifeboat keeps outside the catalog (which every backup carries): the
//! passphrase-derived key, the legacy key and the key that seals share passwords,
//! each in its own file in the data folder's `secrets/` (mode 600). A changed secret
//! is written under a new name before the catalog refers to it, so a settings change
//! that fails part-way never leaves the catalog naming a secret that is not there.

use std::fs;
use std::path::PathBuf;

use base64::Engine as _;
use rand::RngExt;
use zeroize::Zeroizing;

use crate::error::{Error, IoContext, Result};
use crate::fsutil::write_atomic;

pub struct Secrets {
    dir: PathBuf,
}

/// The families of secret files `forget_unused` may remove.
const ROTATED: &[&str] = &["passphrase", "legacy"];

impl Secrets {
    pub fn new(dir: PathBuf) -> Self {
        Secrets { dir }
    }

    /// Writes `bytes` under a fresh name starting with `family` (e.g. `passphrase`);
    /// returns the name.
    pub fn write_new(&self, family: &str, bytes: &[u8]) -> Result<String> {
        let name = format!("{family}-{:08x}.key", rand::rng().random::<u32>());
        self.write(&name, bytes)?;
        Ok(name)
    }

    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<()> {
        fs::create_dir_all(&self.dir).with_path("creating", &self.dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&self.dir, fs::Permissions::from_mode(0o700)).with_path("protecting", &self.dir)?;
        }
        let text = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(bytes));
        write_atomic(&self.dir.join(name), text.as_bytes(), true)
    }

    pub fn read(&self, name: &str) -> Result<Zeroizing<Vec<u8>>> {
        let path = self.dir.join(name);
        let text = Zeroizing::new(fs::read_to_string(&path).map_err(|e| {
            Error::operation(format!("The stored encryption secret {} cannot be read ({e}); set the encryption again.", path.display()))
        })?);
        base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map(Zeroizing::new)
            .map_err(|_| Error::operation(format!("The stored encryption secret {} is damaged; set the encryption again.", path.display())))
    }

    pub fn remove(&self, name: &str) {
        let _ = fs::remove_file(self.dir.join(name));
    }

    /// Removes rotated secrets (passphrase keys, legacy keys) other than `keep`.
    pub fn forget_unused(&self, keep: Option<&str>) -> Result<()> {
        let Ok(entries) = fs::read_dir(&self.dir) else { return Ok(()) };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if Some(name.as_str()) != keep && ROTATED.iter().any(|family| name.starts_with(family)) {
                fs::remove_file(entry.path()).with_path("removing", &entry.path())?;
            }
        }
        Ok(())
    }
}
