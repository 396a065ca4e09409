//! Symmetric protectors: a passphrase (Argon2id), the legacy base64 key, and "none".

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::Aes256Gcm;
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use hkdf::Hkdf;
use rand::CryptoRng;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::{Identity, Recipient};
use crate::error::{Error, Result};
use crate::format::{EncryptionKind, FileKey, Stanza};

pub const MIN_PASSPHRASE_CHARS: usize = 8;
/// Argon2id cost for new configurations: 64 MiB, 3 passes, 4 lanes.
const DEFAULT_M_KIB: u32 = 64 * 1024;
const DEFAULT_T: u32 = 3;
const DEFAULT_P: u32 = 4;
/// Upper bounds accepted from a header, so a crafted file cannot exhaust memory or time.
const MAX_M_KIB: u32 = 1024 * 1024;
const MAX_T: u32 = 64;
const MAX_P: u32 = 64;

const PASSPHRASE_AAD: &[u8] = b"lifeboat/v1/argon2id";
const KEY_AAD: &[u8] = b"lifeboat/v1/key";

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

fn argon2id(passphrase: &str, salt: &[u8], m_kib: u32, t: u32, p: u32) -> Result<Zeroizing<[u8; 32]>> {
    if m_kib > MAX_M_KIB || t > MAX_T || p > MAX_P {
        return Err(Error::integrity(format!(
            "The backup asks for Argon2id parameters beyond what Lifeboat accepts (m={m_kib} KiB, t={t}, p={p})."
        )));
    }
    let params = Params::new(m_kib, t, p, Some(32))
        .map_err(|e| Error::integrity(format!("invalid Argon2id parameters: {e}")))?;
    let mut out = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), salt, out.as_mut())
        .map_err(|e| Error::integrity(format!("Argon2id failed: {e}")))?;
    Ok(out)
}

/// AES-256-GCM with a random nonce: nonce ‖ ciphertext ‖ tag.
fn seal_key(kek: &[u8; 32], aad: &[u8], file_key: &FileKey, rng: &mut dyn CryptoRng) -> Vec<u8> {
    let mut nonce = [0u8; 12];
    rng.fill_bytes(&mut nonce);
    let cipher = Aes256Gcm::new_from_slice(kek).expect("32-byte key");
    let ct = cipher
        .encrypt(&nonce.into(), Payload { msg: file_key.as_bytes(), aad })
        .expect("32 bytes is within AES-GCM limits");
    [nonce.as_slice(), &ct].concat()
}

fn open_key(kek: &[u8; 32], aad: &[u8], wrapped: &[u8]) -> Option<FileKey> {
    if wrapped.len() != 12 + 32 + 16 {
        return None;
    }
    let (nonce, ct) = wrapped.split_at(12);
    let nonce: [u8; 12] = nonce.try_into().ok()?;
    let cipher = Aes256Gcm::new_from_slice(kek).expect("32-byte key");
    let plain = Zeroizing::new(cipher.decrypt(&nonce.into(), Payload { msg: ct, aad }).ok()?);
    FileKey::from_bytes(&plain).ok()
}

impl Recipient for PassphraseRecipient {
    fn encryption(&self) -> EncryptionKind {
        EncryptionKind::Passphrase
    }

    fn wrap(&self, file_key: &FileKey, rng: &mut dyn CryptoRng) -> Result<Stanza> {
        Ok(Stanza::Argon2id {
            salt: self.salt.clone(),
            m_kib: self.m_kib,
            t: self.t,
            p: self.p,
            wrapped_key: seal_key(&self.kek, PASSPHRASE_AAD, file_key, rng),
        })
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
        for stanza in stanzas {
            if let Stanza::Argon2id { salt, m_kib, t, p, wrapped_key } = stanza {
                let kek = argon2id(&self.0, salt, *m_kib, *t, *p)?;
                if let Some(key) = open_key(&kek, PASSPHRASE_AAD, wrapped_key) {
                    return Ok(Some(key));
                }
            }
        }
        Ok(None)
    }

    fn describe(&self) -> String {
        "a passphrase".into()
    }
}

/// The legacy symmetric key: 256 bits, given as base64.
pub struct LegacyKey(Zeroizing<[u8; 32]>);

pub fn parse_legacy_key(text: &str) -> Result<LegacyKey> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::input("The encryption key is empty: give the base64 key (`lifeboat key generate` makes one)."));
    }
    let bytes = Zeroizing::new(
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|_| Error::input("The encryption key is not valid base64."))?,
    );
    LegacyKey::from_bytes(&bytes)
}

impl LegacyKey {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let key: [u8; 32] = bytes.try_into().map_err(|_| {
            Error::input(format!(
                "The encryption key decodes to {} bytes; a legacy key is 256 bits (32 bytes, 44 base64 characters).",
                bytes.len()
            ))
        })?;
        Ok(LegacyKey(Zeroizing::new(key)))
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub fn generate(rng: &mut dyn CryptoRng) -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(key.as_mut());
        LegacyKey(key)
    }

    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(self.0.as_ref()))
    }

    /// A public identifier: the first 8 bytes of a hash of the key, in hex.
    pub fn key_id(&self) -> String {
        let digest = Sha256::new().chain_update(b"lifeboat/v1/key-id").chain_update(self.0.as_ref()).finalize();
        hex::encode(&digest[..8])
    }

    fn kek(&self) -> Zeroizing<[u8; 32]> {
        let mut out = Zeroizing::new([0u8; 32]);
        Hkdf::<Sha256>::new(None, self.0.as_ref())
            .expand(b"lifeboat/v1/key-wrap", out.as_mut())
            .expect("32 bytes is a valid HKDF output length");
        out
    }
}

pub struct KeyRecipient(pub LegacyKey);

impl Recipient for KeyRecipient {
    fn encryption(&self) -> EncryptionKind {
        EncryptionKind::Key
    }

    fn wrap(&self, file_key: &FileKey, rng: &mut dyn CryptoRng) -> Result<Stanza> {
        Ok(Stanza::Key { key_id: self.0.key_id(), wrapped_key: seal_key(&self.0.kek(), KEY_AAD, file_key, rng) })
    }
}

pub struct KeyIdentity(pub LegacyKey);

impl Identity for KeyIdentity {
    fn unwrap(&self, stanzas: &[Stanza]) -> Result<Option<FileKey>> {
        let id = self.0.key_id();
        for stanza in stanzas {
            if let Stanza::Key { key_id, wrapped_key } = stanza {
                if *key_id == id {
                    return open_key(&self.0.kek(), KEY_AAD, wrapped_key).map(Some).ok_or_else(|| {
                        Error::integrity("The wrapped key for this key id failed authentication: the backup header is damaged.")
                    });
                }
            }
        }
        Ok(None)
    }

    fn describe(&self) -> String {
        format!("the legacy key with id {}", self.0.key_id())
    }
}

/// An empty passphrase: no encryption. The file key is stored as is, so the body is
/// still authenticated against damage but anyone can read it.
pub struct NoneRecipient;

impl Recipient for NoneRecipient {
    fn encryption(&self) -> EncryptionKind {
        EncryptionKind::None
    }

    fn wrap(&self, file_key: &FileKey, _rng: &mut dyn CryptoRng) -> Result<Stanza> {
        Ok(Stanza::None { file_key: file_key.as_bytes().to_vec() })
    }
}
