//! How new backups are encrypted: certificates (the default and recommended),
//! a passphrase, "none" (an empty passphrase), or a legacy key, which only a
//! configuration that already uses one may keep and rotate; once it has moved to
//! anything else there is no way back.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::secrets::{SecretRef, LEGACY_KEY, PASSPHRASE_KEY};
use super::{Settings, SettingsField, SETTING_ENCRYPTION, SETTING_KEY_RETIRED};
use crate::error::{Error, Result};
use crate::format::EncryptionKind;
use crate::protector::{check_passphrase, parse_legacy_key, CertificateInfo, KeyRecipient, LegacyKey, NoneRecipient, PassphraseRecipient, Recipient, RsaRecipient};

/// Secret files of the data folders Lifeboat 0.1 made (before secrets got names of their own).
fn first_passphrase_secret() -> SecretRef {
    SecretRef::File("passphrase.kek".into())
}

fn first_key_secret() -> SecretRef {
    SecretRef::File("legacy.key".into())
}

/// How new backups are encrypted, as stored in the catalog. Secrets (the
/// passphrase-derived key, the legacy key) are managed vault secrets whose version
/// in use is named here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "lowercase")]
pub(crate) enum EncryptionSetting {
    Certificate {
        certificates: Vec<CertificateInfo>,
    },
    Passphrase {
        #[serde(with = "crate::b64")]
        salt: Vec<u8>,
        m_kib: u32,
        t: u32,
        p: u32,
        set_at: DateTime<Utc>,
        #[serde(default = "first_passphrase_secret")]
        secret: SecretRef,
    },
    Key {
        key_id: String,
        set_at: DateTime<Utc>,
        #[serde(default = "first_key_secret")]
        secret: SecretRef,
    },
    None {
        set_at: DateTime<Utc>,
    },
}

impl EncryptionSetting {
    pub(crate) fn kind(&self) -> EncryptionKind {
        match self {
            EncryptionSetting::Certificate { .. } => EncryptionKind::Certificate,
            EncryptionSetting::Passphrase { .. } => EncryptionKind::Passphrase,
            EncryptionSetting::Key { .. } => EncryptionKind::Key,
            EncryptionSetting::None { .. } => EncryptionKind::None,
        }
    }

    /// The managed vault secret it needs, if any, and where that is.
    pub(super) fn secret(&self) -> Option<(&'static str, &SecretRef)> {
        match self {
            EncryptionSetting::Passphrase { secret, .. } => Some((PASSPHRASE_KEY, secret)),
            EncryptionSetting::Key { secret, .. } => Some((LEGACY_KEY, secret)),
            _ => None,
        }
    }

    /// The same setting with its secret kept elsewhere.
    pub(super) fn with_secret(mut self, moved: SecretRef) -> Self {
        if let EncryptionSetting::Passphrase { secret, .. } | EncryptionSetting::Key { secret, .. } = &mut self {
            *secret = moved;
        }
        self
    }
}

/// What is shown of the encryption: public facts only.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EncryptionInfo {
    /// None until encryption is set.
    pub mode: Option<EncryptionKind>,
    pub certificates: Vec<CertificateSummary>,
    pub key_id: Option<String>,
    /// Whether a legacy key may be set: only to rotate the key a configuration uses.
    pub key_allowed: bool,
    pub warnings: Vec<String>,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertificateSummary {
    pub thumbprint: String,
    pub subject: String,
    pub not_after: DateTime<Utc>,
    pub key_bits: u32,
}

impl From<&CertificateInfo> for CertificateSummary {
    fn from(c: &CertificateInfo) -> Self {
        CertificateSummary { thumbprint: c.thumbprint.clone(), subject: c.subject.clone(), not_after: c.not_after, key_bits: c.key_bits as u32 }
    }
}

/// A change of how new backups are encrypted, as typed, or none.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum EncryptionChange {
    Unchanged,
    /// A public certificate file (.cer, DER or PEM); with `add`, beside the current ones.
    Certificate {
        path: String,
        add: bool,
    },
    /// An empty passphrase turns encryption off.
    Passphrase {
        passphrase: String,
        confirm: String,
    },
    /// A new legacy key, for a configuration that already uses one.
    Key {
        key: String,
    },
}

/// A checked change, ready to be applied.
pub(super) enum CheckedEncryption {
    Certificate { info: CertificateInfo, add: bool },
    Passphrase(zeroize::Zeroizing<String>),
    Key(LegacyKey),
}

/// A public certificate file the user picked, read and checked.
pub fn certificate_file(path: &str) -> Result<CertificateInfo> {
    if path.trim().is_empty() {
        return Err(Error::input("Choose the certificate file (.cer, DER or PEM)."));
    }
    CertificateInfo::from_public_file(&crate::fsutil::read_small_file(path.trim().as_ref(), "certificate")?)
}

impl Settings<'_> {
    pub(crate) fn encryption_setting(&self) -> Result<Option<EncryptionSetting>> {
        self.catalog.setting(SETTING_ENCRYPTION)
    }

    pub fn encryption(&self) -> Result<EncryptionInfo> {
        let now = self.now;
        let setting = self.encryption_setting()?;
        let key_allowed = matches!(setting, Some(EncryptionSetting::Key { .. }));
        let mut info = EncryptionInfo { mode: setting.as_ref().map(EncryptionSetting::kind), certificates: Vec::new(), key_id: None, key_allowed, warnings: Vec::new() };
        match setting {
            None => info.warnings.push(Error::EncryptionNotSet.to_string()),
            Some(EncryptionSetting::Certificate { certificates }) => {
                for c in &certificates {
                    if c.is_expired(now) {
                        info.warnings.push(format!("The certificate {} expired on {}; set a new one.", c.thumbprint, c.not_after.format("%Y-%m-%d")));
                    } else if c.not_after < now + Duration::days(30) {
                        info.warnings.push(format!("The certificate {} expires on {}.", c.thumbprint, c.not_after.format("%Y-%m-%d")));
                    }
                }
                info.certificates = certificates.iter().map(CertificateSummary::from).collect();
            }
            Some(EncryptionSetting::Passphrase { .. }) => {}
            Some(EncryptionSetting::Key { key_id, .. }) => {
                info.key_id = Some(key_id);
                info.warnings.push("The legacy encryption key is kept for compatibility; switching to a certificate is recommended (and one-way).".into());
            }
            Some(EncryptionSetting::None { .. }) => {
                info.warnings.push("Encryption is OFF (empty passphrase): anyone who can read a backup file can read its content.".into());
            }
        }
        Ok(info)
    }

    /// What new backups are encrypted to.
    pub fn recipients(&self) -> Result<Vec<Box<dyn Recipient>>> {
        let setting = self.encryption_setting()?.ok_or(Error::EncryptionNotSet)?;
        Ok(match setting {
            EncryptionSetting::Certificate { certificates } => {
                certificates.into_iter().map(|c| RsaRecipient::new(c).map(|r| Box::new(r) as Box<dyn Recipient>)).collect::<Result<_>>()?
            }
            EncryptionSetting::Passphrase { salt, m_kib, t, p, secret, .. } => {
                let kek = self.read_secret(PASSPHRASE_KEY, &secret)?;
                let kek: [u8; 32] = kek.as_slice().try_into().map_err(|_| Error::operation("the stored passphrase key is damaged; set the passphrase again"))?;
                vec![Box::new(PassphraseRecipient::from_kek(kek, salt, m_kib, t, p))]
            }
            EncryptionSetting::Key { secret, .. } => {
                let key = LegacyKey::from_bytes(&self.read_secret(LEGACY_KEY, &secret)?).map_err(|_| Error::operation("the stored legacy key is damaged; set the key again"))?;
                vec![Box::new(KeyRecipient(key))]
            }
            EncryptionSetting::None { .. } => vec![Box::new(NoneRecipient)],
        })
    }

    /// A legacy key may only replace the key a configuration already uses.
    pub(super) fn check_key_allowed(&self) -> Result<()> {
        if let Some(at) = self.catalog.setting::<DateTime<Utc>>(SETTING_KEY_RETIRED)? {
            return Err(Error::input(format!(
                "This configuration moved from the legacy encryption key to another kind of encryption on {}; \
                 switching back to a key is not allowed. Use a certificate (recommended) or a passphrase.",
                at.format("%Y-%m-%d")
            )));
        }
        match self.encryption_setting()? {
            Some(EncryptionSetting::Key { .. }) => Ok(()),
            _ => Err(Error::input(
                "A legacy encryption key can only replace the key a configuration already uses (backward compatibility). \
                 Use a certificate (recommended) or a passphrase.",
            )),
        }
    }

    pub(super) fn check_encryption(&self, change: &EncryptionChange) -> std::result::Result<Option<CheckedEncryption>, (SettingsField, Error)> {
        Ok(Some(match change {
            EncryptionChange::Unchanged => return Ok(None),
            EncryptionChange::Certificate { path, add } => {
                let info = certificate_file(path).map_err(|e| (SettingsField::Certificate, e))?;
                let current = self.encryption_setting().map_err(|e| (SettingsField::Certificate, e))?;
                match (&current, add) {
                    (Some(EncryptionSetting::Certificate { certificates }), true) if certificates.iter().any(|c| c.thumbprint == info.thumbprint) => {
                        return Err((SettingsField::Certificate, Error::input(format!("The certificate {} is already a recipient.", info.thumbprint))));
                    }
                    (Some(EncryptionSetting::Certificate { .. }), true) | (_, false) => {}
                    (_, true) => return Err((SettingsField::Certificate, Error::input("There is no certificate to add this one to: set a certificate first."))),
                }
                CheckedEncryption::Certificate { info, add: *add }
            }
            EncryptionChange::Passphrase { passphrase, confirm } => {
                check_passphrase(passphrase).map_err(|e| (SettingsField::Passphrase, e))?;
                if passphrase != confirm {
                    return Err((SettingsField::PassphraseConfirm, Error::input("The two passphrases differ; type the same one twice.")));
                }
                CheckedEncryption::Passphrase(zeroize::Zeroizing::new(passphrase.clone()))
            }
            EncryptionChange::Key { key } => {
                self.check_key_allowed().map_err(|e| (SettingsField::Key, e))?;
                CheckedEncryption::Key(parse_legacy_key(key).map_err(|e| (SettingsField::Key, e))?)
            }
        }))
    }

    /// The setting a checked change becomes, with the secret it needs stored first (as
    /// a new vault version). Deriving a passphrase key takes a deliberate moment.
    pub(super) fn prepare_encryption(&self, change: CheckedEncryption) -> Result<EncryptionSetting> {
        let now = self.now;
        Ok(match change {
            CheckedEncryption::Certificate { info, add } => {
                let mut certificates = match (self.encryption_setting()?, add) {
                    (Some(EncryptionSetting::Certificate { certificates }), true) => certificates,
                    _ => Vec::new(),
                };
                certificates.push(info);
                EncryptionSetting::Certificate { certificates }
            }
            CheckedEncryption::Passphrase(passphrase) if passphrase.is_empty() => EncryptionSetting::None { set_at: now },
            CheckedEncryption::Passphrase(passphrase) => {
                let recipient = PassphraseRecipient::derive(&passphrase, &mut rand::rng())?;
                let secret = self.store_secret(PASSPHRASE_KEY, recipient.kek())?;
                EncryptionSetting::Passphrase { salt: recipient.salt.clone(), m_kib: recipient.m_kib, t: recipient.t, p: recipient.p, set_at: now, secret }
            }
            CheckedEncryption::Key(key) => {
                let secret = self.store_secret(LEGACY_KEY, key.as_bytes())?;
                EncryptionSetting::Key { key_id: key.key_id(), set_at: now, secret }
            }
        })
    }
}
