//! The legacy key protector: a base64 256-bit symmetric key, kept for configurations
//! that used one before certificates (backward compatibility only).

use base64::Engine as _;
use hkdf::Hkdf;
use rand::CryptoRng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::wrap::{open_key, seal_key};
use super::{Described, Identity, Need, Protector, Recipient};
use crate::error::{Error, Result};
use crate::format::{EncryptionKind, FileKey, Stanza};

const STANZA_TYPE: &str = "key";
const AAD: &[u8] = b"lifeboat/v1/key";

pub(super) const PROTECTOR: Protector = Protector {
    stanza_type: STANZA_TYPE,
    encryption: EncryptionKind::Key,
    describe: |stanza| {
        let body: Body = stanza.body()?;
        Ok(Described { label: format!("key {}", body.key_id), need: Need::Key(body.key_id) })
    },
};

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    key_id: String,
    #[serde(with = "crate::b64")]
    wrapped_key: Vec<u8>,
}

/// The legacy symmetric key: 256 bits, given as base64.
pub struct LegacyKey(Zeroizing<[u8; 32]>);

pub fn parse_legacy_key(text: &str) -> Result<LegacyKey> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::input("The encryption key is empty: give the base64 key."));
    }
    let bytes = Zeroizing::new(base64::engine::general_purpose::STANDARD.decode(text).map_err(|_| Error::input("The encryption key is not valid base64."))?);
    LegacyKey::from_bytes(&bytes)
}

impl LegacyKey {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| Error::input(format!("The encryption key decodes to {} bytes; a legacy key is 256 bits (32 bytes, 44 base64 characters).", bytes.len())))?;
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
        Hkdf::<Sha256>::new(None, self.0.as_ref()).expand(b"lifeboat/v1/key-wrap", out.as_mut()).expect("32 bytes is a valid HKDF output length");
        out
    }
}

pub struct KeyRecipient(pub LegacyKey);

impl Recipient for KeyRecipient {
    fn encryption(&self) -> EncryptionKind {
        EncryptionKind::Key
    }

    fn wrap(&self, file_key: &FileKey, rng: &mut dyn CryptoRng) -> Result<Stanza> {
        Stanza::new(STANZA_TYPE, &Body { key_id: self.0.key_id(), wrapped_key: seal_key(&self.0.kek(), AAD, file_key, rng) })
    }
}

pub struct KeyIdentity(pub LegacyKey);

impl Identity for KeyIdentity {
    fn unwrap(&self, stanzas: &[Stanza]) -> Result<Option<FileKey>> {
        let id = self.0.key_id();
        for stanza in stanzas.iter().filter(|s| s.kind == STANZA_TYPE) {
            let body: Body = stanza.body()?;
            if body.key_id == id {
                return open_key(&self.0.kek(), AAD, &body.wrapped_key)
                    .map(Some)
                    .ok_or_else(|| Error::integrity("The wrapped key for this key id failed authentication: the backup header is damaged."));
            }
        }
        Ok(None)
    }

    fn describe(&self) -> String {
        format!("the legacy key with id {}", self.0.key_id())
    }
}
