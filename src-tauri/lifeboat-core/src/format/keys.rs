//! The key schedule: one random 256-bit file key per backup, wrapped for each
//! recipient; everything else is derived from it with HKDF-SHA256.

use aes_gcm::aead::Nonce;
use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Tag};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use rand::CryptoRng;
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::{Error, Result};

const HEADER_MAC_INFO: &[u8] = b"lifeboat/v1/header-mac";
const PAYLOAD_INFO: &[u8] = b"lifeboat/v1/payload";

/// A chunk that is not what the key sealed: changed, moved, cut or from another file.
#[derive(Debug)]
pub struct NotAuthentic;

/// The per-backup symmetric key. Zeroized on drop; never serialized except wrapped
/// (or, for unencrypted backups, stored as the `none` stanza says).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct FileKey([u8; 32]);

impl FileKey {
    pub fn generate(rng: &mut (impl CryptoRng + ?Sized)) -> Self {
        let mut key = [0u8; 32];
        rng.fill_bytes(&mut key);
        FileKey(key)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let key: [u8; 32] = bytes.try_into().map_err(|_| Error::integrity("the unwrapped file key has the wrong length"))?;
        Ok(FileKey(key))
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub fn header_mac(&self, header: &[u8]) -> [u8; 32] {
        self.header_hmac(header).finalize().into_bytes().into()
    }

    pub fn verify_header_mac(&self, header: &[u8], expected: &[u8; 32]) -> Result<()> {
        self.header_hmac(header).verify_slice(expected).map_err(|_| {
            Error::integrity(
                "The backup header failed authentication: it was changed after the backup was made, \
                 or belongs to another backup. Do not trust this file.",
            )
        })
    }

    fn header_hmac(&self, header: &[u8]) -> Hmac<Sha256> {
        let mac_key = self.derive(&[], HEADER_MAC_INFO);
        let mut mac = <Hmac<Sha256>>::new_from_slice(mac_key.as_ref()).expect("HMAC takes any key length");
        mac.update(header);
        mac
    }

    pub fn payload_cipher(&self, salt: &[u8]) -> PayloadCipher {
        let key = self.derive(salt, PAYLOAD_INFO);
        PayloadCipher(Aes256Gcm::new_from_slice(key.as_ref()).expect("32-byte key"))
    }

    fn derive(&self, salt: &[u8], info: &[u8]) -> zeroize::Zeroizing<[u8; 32]> {
        let mut out = zeroize::Zeroizing::new([0u8; 32]);
        Hkdf::<Sha256>::new(Some(salt), &self.0).expand(info, out.as_mut()).expect("32 bytes is a valid HKDF-SHA256 output length");
        out
    }
}

/// AES-256-GCM under the payload key, with STREAM nonces: an 11-byte big-endian chunk
/// counter followed by a flag byte that is 1 only on the final chunk. Reordering,
/// truncation and appending all make a chunk fail to open.
#[derive(Clone)]
pub struct PayloadCipher(Aes256Gcm);

pub const TAG_LEN: usize = 16;

fn stream_nonce(counter: u64, last: bool) -> Nonce<Aes256Gcm> {
    let mut nonce = [0u8; 12];
    nonce[3..11].copy_from_slice(&counter.to_be_bytes());
    nonce[11] = last as u8;
    nonce.into()
}

impl PayloadCipher {
    /// Encrypts `buf[start..]` in place and appends the tag.
    pub fn seal_from(&self, counter: u64, last: bool, buf: &mut Vec<u8>, start: usize) {
        let tag = self.0.encrypt_inout_detached(&stream_nonce(counter, last), &[], (&mut buf[start..]).into()).expect("chunk is far below the AES-GCM length limit");
        buf.extend_from_slice(&tag);
    }

    /// Authenticates and decrypts `buf` in place, removing the tag.
    pub fn open(&self, counter: u64, last: bool, buf: &mut Vec<u8>) -> Result<(), NotAuthentic> {
        if buf.len() < TAG_LEN {
            return Err(NotAuthentic);
        }
        let split = buf.len() - TAG_LEN;
        let tag = Tag::try_from(&buf[split..]).map_err(|_| NotAuthentic)?;
        self.0.decrypt_inout_detached(&stream_nonce(counter, last), &[], (&mut buf[..split]).into(), &tag).map_err(|_| NotAuthentic)?;
        buf.truncate(split);
        Ok(())
    }
}
