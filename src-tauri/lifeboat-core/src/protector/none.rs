//! "None": an empty passphrase, no encryption. The file key is stored as is, so the
//! body is still authenticated against damage but anyone can read it; every listing
//! flags such backups.

use rand::CryptoRng;
use serde::{Deserialize, Serialize};

use super::{Described, Need, Protector, Recipient};
use crate::error::Result;
use crate::format::{EncryptionKind, FileKey, Stanza};

pub(super) const STANZA_TYPE: &str = "none";

pub(super) const PROTECTOR: Protector = Protector {
    stanza_type: STANZA_TYPE,
    encryption: EncryptionKind::None,
    describe: |stanza| {
        stanza.body::<Body>()?;
        Ok(Described { label: "none".into(), need: Need::Nothing })
    },
};

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    #[serde(with = "crate::b64")]
    file_key: Vec<u8>,
}

/// The file key a `none` stanza holds in the clear.
pub(super) fn file_key(stanza: &Stanza) -> Result<FileKey> {
    FileKey::from_bytes(&stanza.body::<Body>()?.file_key)
}

pub struct NoneRecipient;

impl Recipient for NoneRecipient {
    fn encryption(&self) -> EncryptionKind {
        EncryptionKind::None
    }

    fn wrap(&self, file_key: &FileKey, _rng: &mut dyn CryptoRng) -> Result<Stanza> {
        Stanza::new(STANZA_TYPE, &Body { file_key: file_key.as_bytes().to_vec() })
    }
}
