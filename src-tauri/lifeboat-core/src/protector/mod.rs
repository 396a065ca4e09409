//! Protectors: who can open a backup. A backup's random file key is wrapped once per
//! recipient (a stanza in the header); an identity is what a restore brings to unwrap
//! one of them.

mod certificate;
mod symmetric;

pub use certificate::{create_certificate, CertificateInfo, CreatedCertificate, RsaIdentity, RsaRecipient};
pub use symmetric::{
    check_passphrase, parse_legacy_key, KeyIdentity, KeyRecipient, NoneRecipient, PassphraseIdentity, PassphraseRecipient,
    LegacyKey, MIN_PASSPHRASE_CHARS,
};

use rand::CryptoRng;

use crate::error::{Error, Result};
use crate::format::{EncryptionKind, FileKey, Header, Stanza};

/// Something a backup can be encrypted to.
pub trait Recipient: Send + Sync {
    fn encryption(&self) -> EncryptionKind;
    fn wrap(&self, file_key: &FileKey, rng: &mut dyn CryptoRng) -> Result<Stanza>;
}

/// Something that can open a backup: a private key, a passphrase, a key.
pub trait Identity: Send + Sync {
    /// Recovers the file key from the first stanza this identity opens, or None.
    fn unwrap(&self, stanzas: &[Stanza]) -> Result<Option<FileKey>>;
    /// What this identity is, for error messages ("the certificate with thumbprint …").
    fn describe(&self) -> String;
}

/// Recovers the file key of a backup, or explains which identity it needs.
pub fn unwrap_file_key(header: &Header, identity: Option<&dyn Identity>) -> Result<FileKey> {
    if header.encryption == EncryptionKind::None {
        for stanza in &header.recipients {
            if let Stanza::None { file_key } = stanza {
                return FileKey::from_bytes(file_key);
            }
        }
    }
    let needed = describe_needed(header);
    let Some(identity) = identity else {
        return Err(Error::WrongIdentity(format!("This backup is encrypted; to open it give {needed}.")));
    };
    match identity.unwrap(&header.recipients)? {
        Some(key) => Ok(key),
        None => Err(Error::WrongIdentity(format!(
            "The identity given ({}) cannot open this backup; it needs {needed}.",
            identity.describe()
        ))),
    }
}

/// Plain words for what a header's stanzas need.
pub fn describe_needed(header: &Header) -> String {
    let mut certs = Vec::new();
    for stanza in &header.recipients {
        match stanza {
            Stanza::Rsa { thumbprint, subject, .. } => certs.push(format!("{thumbprint} ({subject})")),
            Stanza::Argon2id { .. } => {
                return format!(
                    "the passphrase that was set when it was made ({})",
                    header.created_at.format("%Y-%m-%d %H:%M UTC")
                )
            }
            Stanza::Key { key_id, .. } => return format!("the legacy encryption key with id {key_id}"),
            Stanza::None { .. } => return "nothing (it is not encrypted)".into(),
        }
    }
    match certs.as_slice() {
        [one] => format!("the private key (.pfx or PEM) of the certificate with thumbprint {one}"),
        many => format!(
            "the private key (.pfx or PEM) of one of the certificates with thumbprints {}",
            many.join(", ")
        ),
    }
}
