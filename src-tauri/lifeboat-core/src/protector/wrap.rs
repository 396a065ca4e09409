//! Wrapping the file key under a symmetric key-encryption key, as the passphrase and
//! legacy-key protectors do (see `seal`).

use rand::CryptoRng;

use crate::format::FileKey;
use crate::seal;

pub fn seal_key(kek: &[u8; 32], aad: &[u8], file_key: &FileKey, rng: &mut dyn CryptoRng) -> Vec<u8> {
    seal::seal(kek, aad, file_key.as_bytes(), rng)
}

pub fn open_key(kek: &[u8; 32], aad: &[u8], wrapped: &[u8]) -> Option<FileKey> {
    if wrapped.len() != 12 + 32 + 16 {
        return None;
    }
    FileKey::from_bytes(&seal::open(kek, aad, wrapped)?).ok()
}
