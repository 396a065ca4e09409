//! What opens a backup, as the command line takes it.

use std::path::PathBuf;

use clap::Args;
use lifeboat_core::protector::{Identity, IdentityInput};
use lifeboat_core::Result;

use crate::secrets::read_stdin;

#[derive(Args)]
pub struct IdentityArgs {
    /// Private key to open certificate-encrypted backups: .pfx/.p12 or PEM.
    #[arg(long, value_name = "FILE")]
    identity: Option<PathBuf>,
    /// Read the PFX (or encrypted PEM) password from stdin.
    #[arg(long, requires = "identity", conflicts_with_all = ["passphrase_stdin", "key_stdin"])]
    password_stdin: bool,
    /// Read the backup passphrase from stdin.
    #[arg(long, conflicts_with_all = ["identity", "key_stdin"])]
    passphrase_stdin: bool,
    /// Read the legacy base64 key from stdin.
    #[arg(long, conflicts_with = "identity")]
    key_stdin: bool,
}

impl IdentityArgs {
    pub fn given(&self) -> bool {
        self.identity.is_some() || self.passphrase_stdin || self.key_stdin
    }

    /// The identity given, read (secrets from stdin, moved rather than copied, and
    /// wiped once used), or none.
    pub fn load(&self) -> Result<Option<Box<dyn Identity>>> {
        let input = if let Some(path) = &self.identity {
            let password = if self.password_stdin { std::mem::take(&mut *read_stdin("PFX password")?) } else { String::new() };
            IdentityInput::File { path: path.display().to_string(), password }
        } else if self.passphrase_stdin {
            IdentityInput::Passphrase { passphrase: std::mem::take(&mut *read_stdin("Passphrase")?) }
        } else if self.key_stdin {
            IdentityInput::Key { key: std::mem::take(&mut *read_stdin("Base64 key")?) }
        } else {
            IdentityInput::None
        };
        input.open()
    }
}
