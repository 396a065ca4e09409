//! Wrapping the file key under a symmetric key-encryption key, as the passphrase and
//! legacy-key protectors do: AES-256-GCM with a random nonce, nonce ‖ ciphertext ‖ tag.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::Aes256Gcm;
use rand::CryptoRng;
use zeroize::Zeroizing;

use crate::format::FileKey;

pub fn seal_key(kek: &[u8; 32], aad: &[u8], file_key: &FileKey, rng: &mut dyn CryptoRng) -> Vec<u8> {
    let mut nonce = [0u8; 12];
    rng.fill_bytes(&mut nonce);
    let cipher = Aes256Gcm::new_from_slice(kek).expect("32-byte key");
    let ct = cipher.encrypt(&nonce.into(), Payload { msg: file_key.as_bytes(), aad }).expect("32 bytes is within AES-GCM limits");
    [nonce.as_slice(), &ct].concat()
}

pub fn open_key(kek: &[u8; 32], aad: &[u8], wrapped: &[u8]) -> Option<FileKey> {
    if wrapped.len() != 12 + 32 + 16 {
        return None;
    }
    let (nonce, ct) = wrapped.split_at(12);
    let nonce: [u8; 12] = nonce.try_into().ok()?;
    let cipher = Aes256Gcm::new_from_slice(kek).expect("32-byte key");
    let plain = Zeroizing::new(cipher.decrypt(&nonce.into(), Payload { msg: ct, aad }).ok()?);
    FileKey::from_bytes(&plain).ok()
}
