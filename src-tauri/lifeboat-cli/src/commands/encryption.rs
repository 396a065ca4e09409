//! `lifeboat encryption`: how new backups are encrypted.

use std::path::PathBuf;

use clap::Subcommand;
use lifeboat_core::engine::Engine;
use lifeboat_core::settings::{EncryptionChange, EncryptionInfo};
use lifeboat_core::Result;

use crate::output::Output;
use crate::secrets::read_stdin;

#[derive(Subcommand)]
pub enum EncryptionCommand {
    /// Encrypt new backups to a certificate (.cer, DER or PEM; public key only).
    SetCertificate {
        file: PathBuf,
        /// Add this certificate as another recipient (each one alone can restore).
        #[arg(long)]
        add: bool,
    },
    /// Encrypt with a passphrase read from stdin; an empty one turns encryption off.
    SetPassphrase {
        #[arg(long, required = true)]
        passphrase_stdin: bool,
    },
    /// Replace the legacy base64 256-bit key (read from stdin) of a configuration
    /// that already uses one.
    SetKey {
        #[arg(long, required = true)]
        key_stdin: bool,
    },
    Show,
}

pub fn run(engine: &Engine, command: EncryptionCommand, out: &Output) -> Result<()> {
    let change = match command {
        EncryptionCommand::SetCertificate { file, add } => {
            let path = std::path::absolute(&file).unwrap_or(file).display().to_string();
            EncryptionChange::Certificate { path, add }
        }
        EncryptionCommand::SetPassphrase { .. } => {
            let passphrase = std::mem::take(&mut *read_stdin("Passphrase (empty turns encryption off)")?);
            EncryptionChange::Passphrase { confirm: passphrase.clone(), passphrase }
        }
        EncryptionCommand::SetKey { .. } => EncryptionChange::Key { key: std::mem::take(&mut *read_stdin("Base64 key")?) },
        EncryptionCommand::Show => {
            let info = engine.settings()?.encryption;
            return out.value(&info, || describe(&info));
        }
    };
    let info = engine.change_settings(|d| d.encryption = change, false)?.settings.encryption;
    out.value(&info, || describe(&info))
}

pub fn describe(info: &EncryptionInfo) -> String {
    let mode = info.mode.map(|m| m.to_string()).unwrap_or_else(|| "not set".into());
    let mut lines = vec![format!("Encryption: {mode}")];
    for c in &info.certificates {
        lines.push(format!("  certificate {}  {}  RSA-{}  expires {}", c.thumbprint, c.subject, c.key_bits, c.not_after.format("%Y-%m-%d")));
    }
    if let Some(id) = &info.key_id {
        lines.push(format!("  key id {id}"));
    }
    lines.extend(info.warnings.iter().map(|w| format!("WARNING: {w}")));
    lines.join("\n")
}
