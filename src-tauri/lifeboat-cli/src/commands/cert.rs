//! `lifeboat cert` and `lifeboat key`: making and reading encryption material.
//! Neither needs a data folder.

use std::path::PathBuf;

use clap::Subcommand;
use lifeboat_core::protector::{create_certificate_files, CertificateInfo, LegacyKey};
use lifeboat_core::Result;

use crate::output::Output;
use crate::secrets::read_stdin;

#[derive(Subcommand)]
pub enum CertCommand {
    /// Create a self-signed RSA-3072 backup certificate. The PFX password is read from stdin.
    Create {
        /// Common name, e.g. "Lifeboat backups - ops".
        #[arg(long)]
        subject: String,
        /// Where to write the private key (password-protected PFX). Keep it safe and off this machine.
        #[arg(long, value_name = "FILE")]
        pfx_out: PathBuf,
        /// Where to write the public certificate (DER) for `encryption set-certificate`.
        #[arg(long, value_name = "FILE")]
        cer_out: PathBuf,
        #[arg(long, default_value_t = 5)]
        years: u32,
    },
    /// Show a certificate's thumbprint, subject and expiry.
    Show { file: PathBuf },
}

#[derive(Subcommand)]
pub enum KeyCommand {
    /// Print a new random base64 256-bit key.
    Generate,
}

pub fn run(command: &CertCommand, out: &Output) -> Result<()> {
    match command {
        CertCommand::Create { subject, pfx_out, cer_out, years } => {
            for path in [pfx_out, cer_out] {
                if std::fs::symlink_metadata(path).is_ok() {
                    return Err(lifeboat_core::Error::input(format!("{} already exists; choose another path or move it away first.", path.display())));
                }
            }
            let password = read_stdin("PFX password (at least 8 characters)")?;
            let info = create_certificate_files(subject, *years, &password, pfx_out, cer_out, chrono::Utc::now())?;
            out.value(&json(&info), || {
                format!(
                    "{}\nPrivate key (keep it safe, off this machine): {}\nPublic certificate (for `encryption set-certificate`): {}",
                    describe(&info),
                    pfx_out.display(),
                    cer_out.display()
                )
            })
        }
        CertCommand::Show { file } => {
            let info = CertificateInfo::from_public_file(&lifeboat_core::fsutil::read_small_file(file, "certificate")?)?;
            out.value(&json(&info), || describe(&info))
        }
    }
}

pub fn key(command: &KeyCommand, out: &Output) -> Result<()> {
    match command {
        KeyCommand::Generate => {
            let key = LegacyKey::generate(&mut rand::rng());
            out.value(&serde_json::json!({ "key": key.to_base64().as_str() }), || key.to_base64().to_string())
        }
    }
}

fn describe(info: &CertificateInfo) -> String {
    format!(
        "Thumbprint: {}\nSubject:    {}\nKey:        RSA-{}\nValid:      {} to {}",
        info.thumbprint,
        info.subject,
        info.key_bits,
        info.not_before.format("%Y-%m-%d"),
        info.not_after.format("%Y-%m-%d")
    )
}

fn json(info: &CertificateInfo) -> serde_json::Value {
    serde_json::json!({
        "thumbprint": info.thumbprint,
        "subject": info.subject,
        "not_before": info.not_before,
        "not_after": info.not_after,
        "key_bits": info.key_bits,
    })
}
