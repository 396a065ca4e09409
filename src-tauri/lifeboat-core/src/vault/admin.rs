//! The administrator's key: an RSA key pair whose private part is sealed under a key
//! Argon2id derives from the administrator password. Objects the administrator puts
//! in the vault are sealed to its public part, so Lifeboat (and a scheduled backup)
//! can add and copy them without the password, but reading one back needs it: a
//! program that edits the vault or catalog cannot. Lifeboat's own managed secrets stay
//! under the vault key, because unattended backups need them.
//!
//! The record lives in the vault's meta table, so a backup's vault copy carries the
//! password that was set when it was made, and a recovery brings that one back.

use rand::CryptoRng;
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use rsa::{Oaep, RsaPrivateKey, RsaPublicKey};
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::rows::{meta, set_meta};
use super::{aad, damaged, ObjectKind, Vault};
use crate::elevation::AdminKey;
use crate::error::{Error, Result};
use crate::protector::{argon2id, DEFAULT_M_KIB, DEFAULT_P, DEFAULT_T};
use crate::seal;

pub const MIN_PASSWORD_CHARS: usize = 8;
const MAX_PASSWORD_BYTES: usize = 1024;
const ADMIN_KEY_BITS: usize = 3072;
/// The meta key holding the record.
const RECORD: &str = "admin";
const WRAP_AAD: &[u8] = b"lifeboat-vault/v1/admin-key";

/// What the vault keeps of the administrator password: no hash of the password
/// itself, only the private key sealed under what Argon2id derives from it.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Record {
    #[serde(with = "crate::b64")]
    salt: Vec<u8>,
    m_kib: u32,
    t: u32,
    p: u32,
    /// SubjectPublicKeyInfo (DER) of the administrator key.
    #[serde(with = "crate::b64")]
    public: Vec<u8>,
    /// The private key (PKCS#8 DER), sealed under the derived key.
    #[serde(with = "crate::b64")]
    wrapped_private: Vec<u8>,
}

/// Where a version's value is sealed: under the vault key, or to the administrator key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(super) enum SealedFor {
    Vault,
    Admin,
}

/// Refuses an administrator password that is too short or too long, saying which.
pub fn check_password(password: &str) -> Result<()> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(Error::input(format!("The administrator password is too short ({chars} characters): use at least {MIN_PASSWORD_CHARS}.")));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(Error::input(format!("The administrator password is longer than {MAX_PASSWORD_BYTES} bytes.")));
    }
    Ok(())
}

fn fingerprint(public_der: &[u8]) -> String {
    hex::encode(&Sha256::digest(public_der)[..16])
}

fn record(conn: &Connection) -> Result<Option<Record>> {
    meta(conn, RECORD)?.map(|text| serde_json::from_str(&text).map_err(|_| damaged())).transpose()
}

fn kek(password: &str, record: &Record) -> Result<Zeroizing<[u8; 32]>> {
    argon2id(password, &record.salt, record.m_kib, record.t, record.p)
}

/// A record for `key` under `password`, with a fresh salt.
fn seal_record(key: &RsaPrivateKey, password: &str, rng: &mut dyn CryptoRng) -> Result<Record> {
    let mut salt = vec![0u8; 16];
    rng.fill_bytes(&mut salt);
    let mut record = Record { salt, m_kib: DEFAULT_M_KIB, t: DEFAULT_T, p: DEFAULT_P, public: Vec::new(), wrapped_private: Vec::new() };
    let der = key.to_pkcs8_der().map_err(|e| Error::operation(format!("encoding the administrator key: {e}")))?;
    record.wrapped_private = seal::seal(&*kek(password, &record)?, WRAP_AAD, der.as_bytes(), rng);
    record.public = key.to_public_key().to_public_key_der().map_err(|e| Error::operation(format!("encoding the administrator key: {e}")))?.into_vec();
    Ok(record)
}

/// The administrator key's envelope around one value: RSA-OAEP wraps a fresh 256-bit
/// key (length-prefixed), which seals the value with the version's associated data.
fn seal_to(public: &RsaPublicKey, aad: &[u8], plain: &[u8], rng: &mut dyn CryptoRng) -> Result<Vec<u8>> {
    let mut value_key = Zeroizing::new([0u8; 32]);
    rng.fill_bytes(value_key.as_mut());
    let wrapped = public.encrypt(rng, Oaep::<Sha256>::new(), value_key.as_ref()).map_err(|e| Error::operation(format!("RSA-OAEP encryption failed: {e}")))?;
    let mut out = Vec::with_capacity(2 + wrapped.len() + plain.len() + 28);
    out.extend_from_slice(&(wrapped.len() as u16).to_be_bytes());
    out.extend_from_slice(&wrapped);
    out.extend_from_slice(&seal::seal(&value_key, aad, plain, rng));
    Ok(out)
}

fn open_as(key: &AdminKey, aad: &[u8], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let (len, rest) = sealed.split_first_chunk::<2>()?;
    let (wrapped, sealed) = rest.split_at_checked(u16::from_be_bytes(*len) as usize)?;
    let value_key = Zeroizing::new(key.private.decrypt(Oaep::<Sha256>::new(), wrapped).ok()?);
    seal::open(value_key.as_slice().try_into().ok()?, aad, sealed)
}

impl Vault {
    /// Whether an administrator password is set.
    pub fn has_admin_password(&self) -> Result<bool> {
        Ok(meta(&self.conn, RECORD)?.is_some())
    }

    /// The fingerprint of the administrator key now set, if any.
    pub(crate) fn admin_fingerprint(&self) -> Result<Option<String>> {
        Ok(record(&self.conn)?.map(|r| fingerprint(&r.public)))
    }

    /// The administrator key, if `password` is the administrator password; `None` when
    /// it is not (or none is set). Takes as long as Argon2id does, on purpose.
    pub(crate) fn unlock_admin(&self, password: &str) -> Result<Option<AdminKey>> {
        let Some(record) = record(&self.conn)? else { return Ok(None) };
        let Some(der) = seal::open(&*kek(password, &record)?, WRAP_AAD, &record.wrapped_private) else { return Ok(None) };
        let private = RsaPrivateKey::from_pkcs8_der(&der).map_err(|_| damaged())?;
        let public = private.to_public_key().to_public_key_der().map_err(|_| damaged())?;
        if public.as_bytes() != record.public.as_slice() {
            return Err(damaged());
        }
        Ok(Some(AdminKey { private, fingerprint: fingerprint(&record.public) }))
    }

    /// Sets the first administrator password: creates the administrator key and
    /// reseals every object of the administrator's to it, in one transaction. Returns
    /// the key, unlocked.
    pub(crate) fn create_admin(&self, password: &str) -> Result<AdminKey> {
        check_password(password)?;
        if self.has_admin_password()? {
            return Err(Error::input("An administrator password is already set; change it with the current one."));
        }
        let mut rng = rand::rng();
        let private = RsaPrivateKey::new(&mut rng, ADMIN_KEY_BITS).map_err(|e| Error::operation(format!("generating the administrator key failed: {e}")))?;
        let record = seal_record(&private, password, &mut rng)?;
        let public = private.to_public_key();
        let vault_key = self.key()?;
        let tx = self.conn.unchecked_transaction()?;
        let rows: Vec<(String, String, String, Vec<u8>)> = tx
            .prepare(
                "SELECT v.kind, v.name, v.version, v.sealed FROM versions v JOIN objects o ON o.kind = v.kind AND o.name = v.name
                 WHERE NOT o.managed AND v.sealed_for = 'vault'",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (kind, name, version, sealed) in rows {
            let kind: ObjectKind = crate::names::parse_name(&kind).ok_or_else(damaged)?;
            let aad = aad(kind, &name, &version);
            let plain = seal::open(&vault_key, &aad, &sealed)
                .ok_or_else(|| Error::integrity(format!("Version {version} of the {kind} {name:?} does not open with this vault's key; nothing was changed.")))?;
            tx.execute(
                "UPDATE versions SET sealed = ?4, sealed_for = 'admin' WHERE kind = ?1 AND name = ?2 AND version = ?3",
                params![kind.to_string(), name, version, seal_to(&public, &aad, &plain, &mut rng)?],
            )?;
        }
        set_meta(&tx, RECORD, &serde_json::to_string(&record).expect("the record serializes"))?;
        tx.commit()?;
        Ok(AdminKey { fingerprint: fingerprint(&record.public), private })
    }

    /// Seals the administrator key (already unlocked with the current password) under
    /// `new_password`. The key stays the same, so nothing sealed to it changes.
    pub(crate) fn change_admin_password(&self, key: &AdminKey, new_password: &str) -> Result<()> {
        check_password(new_password)?;
        if self.admin_fingerprint()?.as_deref() != Some(key.fingerprint.as_str()) {
            return Err(Error::input("The administrator password changed meanwhile (another window, or a recovery); elevate again with the current one."));
        }
        let record = seal_record(&key.private, new_password, &mut rand::rng())?;
        set_meta(&self.conn, RECORD, &serde_json::to_string(&record).expect("the record serializes"))
    }

    /// Seals a new version's value: an administrator's object to the administrator key
    /// once a password is set, everything else under the vault key.
    pub(super) fn seal_value(&self, aad: &[u8], plain: &[u8], managed: bool) -> Result<(Vec<u8>, SealedFor)> {
        let mut rng = rand::rng();
        match (managed, record(&self.conn)?) {
            (false, Some(record)) => {
                let public = RsaPublicKey::from_public_key_der(&record.public).map_err(|_| damaged())?;
                Ok((seal_to(&public, aad, plain, &mut rng)?, SealedFor::Admin))
            }
            _ => Ok((seal::seal(&*self.key()?, aad, plain, &mut rng), SealedFor::Vault)),
        }
    }

    /// Opens a stored value: under the vault key, or with the administrator key, which
    /// only an elevated session holds.
    pub(super) fn open_sealed(&self, aad: &[u8], sealed: &[u8], sealed_for: SealedFor) -> Result<Option<Zeroizing<Vec<u8>>>> {
        Ok(match sealed_for {
            SealedFor::Vault => seal::open(&*self.key()?, aad, sealed),
            SealedFor::Admin => open_as(&self.elevation.admin_key(self.admin_fingerprint()?.as_deref())?, aad, sealed),
        })
    }
}
