//! Sealing small values under a 256-bit key: AES-256-GCM with a random nonce, stored as
//! nonce ‖ ciphertext ‖ tag. The associated data binds a sealed value to where it
//! belongs (a stanza, a vault version), so it cannot be moved elsewhere unnoticed.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::Aes256Gcm;
use rand::CryptoRng;
use zeroize::Zeroizing;

const NONCE: usize = 12;
const TAG: usize = 16;

pub fn seal(key: &[u8; 32], aad: &[u8], plain: &[u8], rng: &mut dyn CryptoRng) -> Vec<u8> {
    let mut nonce = [0u8; NONCE];
    rng.fill_bytes(&mut nonce);
    let cipher = Aes256Gcm::new_from_slice(key).expect("32-byte key");
    let ct = cipher.encrypt(&nonce.into(), Payload { msg: plain, aad }).expect("values Lifeboat seals are within AES-GCM limits");
    [nonce.as_slice(), &ct].concat()
}

/// The plaintext, or `None` when the key, the associated data or the bytes are wrong.
pub fn open(key: &[u8; 32], aad: &[u8], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    if sealed.len() < NONCE + TAG {
        return None;
    }
    let (nonce, ct) = sealed.split_at(NONCE);
    let nonce: [u8; NONCE] = nonce.try_into().ok()?;
    let cipher = Aes256Gcm::new_from_slice(key).expect("32-byte key");
    cipher.decrypt(&nonce.into(), Payload { msg: ct, aad }).ok().map(Zeroizing::new)
}
