//! The passphrase protector: a key-encryption key derived with Argon2id wraps the
//! file key. Backups need the passphrase that was set when they were made.

use argon2::{Algorithm, Argon2, Params, Version};
use rand::CryptoRng;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::wrap::{open_key, seal_key};
use super::{Described, Identity, Need, Protector, Recipient};
use crate::error::{Error, Result};
use crate::format::{EncryptionKind, FileKey, Stanza};

pub const MIN_PASSPHRASE_CHARS: usize = 8;
/// Argon2id cost for new configurations: 64 MiB, 3 passes, 4 lanes.
pub(crate) const DEFAULT_M_KIB: u32 = 64 * 1024;
pub(crate) const DEFAULT_T: u32 = 3;
pub(crate) const DEFAULT_P: u32 = 4;
/// Upper bounds accepted from a header, so a crafted file cannot exhaust memory or time.
const MAX_M_KIB: u32 = 1024 * 1024;
const MAX_T: u32 = 64;
const MAX_P: u32 = 64;

const STANZA_TYPE: &str = "argon2id";
const AAD: &[u8] = b"lifeboat/v1/argon2id";

pub(super) const PROTECTOR: Protector = Protector {
    stanza_type: STANZA_TYPE,
    encryption: EncryptionKind::Passphrase,
    describe: |stanza| {
        stanza.body::<Body>()?;
        Ok(Described { label: "passphrase".into(), need: Need::Passphrase })
    },
};

/// The stanza body, fields in this order.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    #[serde(with = "crate::b64")]
    salt: Vec<u8>,
    m_kib: u32,
    t: u32,
    p: u32,
    #[serde(with = "crate::b64")]
    wrapped_key: Vec<u8>,
}

/// The key-encryption key derived from a passphrase, kept (instead of the passphrase)
/// so scheduled backups need not ask for it.
pub struct PassphraseRecipient {
    kek: Zeroizing<[u8; 32]>,
    pub salt: Vec<u8>,
    pub m_kib: u32,
    pub t: u32,
    pub p: u32,
}

impl PassphraseRecipient {
    /// Derives a new key-encryption key with a fresh salt and the default cost.
    pub fn derive(passphrase: &str, rng: &mut dyn CryptoRng) -> Result<Self> {
        check_passphrase(passphrase)?;
        let mut salt = vec![0u8; 16];
        rng.fill_bytes(&mut salt);
        Self::derive_with(passphrase, salt, DEFAULT_M_KIB, DEFAULT_T, DEFAULT_P)
    }

    pub fn derive_with(passphrase: &str, salt: Vec<u8>, m_kib: u32, t: u32, p: u32) -> Result<Self> {
        let kek = argon2id(passphrase, &salt, m_kib, t, p)?;
        Ok(PassphraseRecipient { kek, salt, m_kib, t, p })
    }

    pub fn from_kek(kek: [u8; 32], salt: Vec<u8>, m_kib: u32, t: u32, p: u32) -> Self {
        PassphraseRecipient { kek: Zeroizing::new(kek), salt, m_kib, t, p }
    }

    pub fn kek(&self) -> &[u8; 32] {
        &self.kek
    }
}

pub fn check_passphrase(passphrase: &str) -> Result<()> {
    let chars = passphrase.chars().count();
    if chars > 0 && chars < MIN_PASSPHRASE_CHARS {
        return Err(Error::input(format!(
            "The passphrase is too short ({chars} characters): use at least {MIN_PASSPHRASE_CHARS}, \
             or an empty passphrase to turn encryption off."
        )));
    }
    if passphrase.len() > 1024 {
        return Err(Error::input("The passphrase is longer than 1024 bytes."));
    }
    Ok(())
}

pub(crate) fn argon2id(passphrase: &str, salt: &[u8], m_kib: u32, t: u32, p: u32) -> Result<Zeroizing<[u8; 32]>> {
    if m_kib > MAX_M_KIB || t > MAX_T || p > MAX_P {
        return Err(Error::integrity(format!("The backup asks for Argon2id parameters beyond what Lifeboat accepts (m={m_kib} KiB, t={t}, p={p}).")));
    }
    let params = Params::new(m_kib, t, p, Some(32)).map_err(|e| Error::integrity(format!("invalid Argon2id parameters: {e}")))?;
    let mut out = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), salt, out.as_mut())
        .map_err(|e| Error::integrity(format!("Argon2id failed: {e}")))?;
    Ok(out)
}

impl Recipient for PassphraseRecipient {
    fn encryption(&self) -> EncryptionKind {
        EncryptionKind::Passphrase
    }

    fn wrap(&self, file_key: &FileKey, rng: &mut dyn CryptoRng) -> Result<Stanza> {
        let body = Body { salt: self.salt.clone(), m_kib: self.m_kib, t: self.t, p: self.p, wrapped_key: seal_key(&self.kek, AAD, file_key, rng) };
        Stanza::new(STANZA_TYPE, &body)
    }
}

pub struct PassphraseIdentity(Zeroizing<String>);

impl PassphraseIdentity {
    pub fn new(passphrase: Zeroizing<String>) -> Self {
        PassphraseIdentity(passphrase)
    }
}

impl Identity for PassphraseIdentity {
    fn unwrap(&self, stanzas: &[Stanza]) -> Result<Option<FileKey>> {
        for stanza in stanzas.iter().filter(|s| s.kind == STANZA_TYPE) {
            let body: Body = stanza.body()?;
            let kek = argon2id(&self.0, &body.salt, body.m_kib, body.t, body.p)?;
            if let Some(key) = open_key(&kek, AAD, &body.wrapped_key) {
                return Ok(Some(key));
            }
        }
        Ok(None)
    }

    fn describe(&self) -> String {
        "a passphrase".into()
    }
}
