//! Backup blobs: one object with every version, encrypted and authenticated for a
//! geography, so it restores only into a vault of that geography (docs/format.md,
//! "Vault backup blobs").
//!
//! Layout: magic (20 bytes) ‖ format version (u16, big-endian) ‖ geography id (16) ‖
//! salt (32) ‖ AES-256-GCM ciphertext and tag of the JSON payload, under
//! HKDF-SHA256(geography key, salt, "lifeboat vault blob v1") with a zero nonce (each
//! blob's key is used once) and everything before the ciphertext as associated data.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::Aes256Gcm;
use chrono::{DateTime, Utc};
use rand::RngExt;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use super::geography::{self, GeographyKey};
use super::objects::{check_name, Attributes, Material, ObjectKind, ObjectSummary, VersionInfo};
use super::{aad, insert_version, Vault};
use crate::error::{Error, Result};

const MAGIC: &[u8; 20] = b"LIFEBOAT-VAULT-BLOB\n";
const VERSION: u16 = 1;
const HEAD: usize = MAGIC.len() + 2 + 16 + 32;
const TAG: usize = 16;
/// Far above any real object (a secret is at most 25 KiB a version); refusing larger
/// files keeps a hostile one from making Lifeboat allocate without bound.
pub const MAX_BLOB: usize = 64 * 1024 * 1024;
const MAX_VERSIONS: usize = 100_000;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Contents {
    kind: ObjectKind,
    name: String,
    created_at: DateTime<Utc>,
    /// The vault that made the blob, for the record.
    vault: String,
    versions: Vec<BlobVersion>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BlobVersion {
    version: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    attributes: Attributes,
    #[serde(with = "crate::b64")]
    public: Vec<u8>,
    #[serde(with = "crate::b64")]
    value: Vec<u8>,
}

impl Drop for BlobVersion {
    fn drop(&mut self) {
        self.value.zeroize();
    }
}

impl Vault {
    /// "Download backup": the object with every version, as a blob for this vault's
    /// current geography.
    pub fn backup_object(&self, kind: ObjectKind, name: &str) -> Result<Vec<u8>> {
        self.require_elevation(&format!("Download the backup of the {kind} {name:?}"))?;
        self.seal_blob(&self.blob_payload(kind, name)?)
    }

    /// The blob's JSON payload: the object and every version with its value.
    fn blob_payload(&self, kind: ObjectKind, name: &str) -> Result<Zeroizing<Vec<u8>>> {
        let row = self.active(kind, name)?;
        let mut versions = Vec::new();
        for info in self.versions(kind, name)? {
            let public: Option<Vec<u8>> = self.conn.query_row(
                "SELECT public FROM versions WHERE kind = ?1 AND name = ?2 AND version = ?3",
                rusqlite::params![kind.to_string(), name, info.version],
                |r| r.get(0),
            )?;
            let value = self.unseal(&info)?;
            versions.push(BlobVersion {
                version: info.version,
                created_at: info.created_at,
                updated_at: info.updated_at,
                attributes: info.attributes,
                public: public.unwrap_or_default(),
                value: value.to_vec(),
            });
        }
        let contents = Contents { kind, name: name.into(), created_at: row.created_at, vault: self.id()?, versions };
        Ok(Zeroizing::new(serde_json::to_vec(&contents).expect("blob contents serialize")))
    }

    /// Encrypts and authenticates `plain` for this vault's current geography.
    fn seal_blob(&self, plain: &[u8]) -> Result<Vec<u8>> {
        let (geography, key) = geography::current(&self.conn, &self.key()?)?;
        let mut head = Vec::with_capacity(HEAD);
        head.extend_from_slice(MAGIC);
        head.extend_from_slice(&VERSION.to_be_bytes());
        head.extend_from_slice(&geography::id_bytes(&geography)?);
        head.extend_from_slice(&rand::rng().random::<[u8; 32]>());
        let cipher = blob_cipher(&key, &head[HEAD - 32..]);
        let sealed = cipher.encrypt(&[0u8; 12].into(), Payload { msg: plain, aad: &head }).expect("blob within AES-GCM limits");
        head.extend_from_slice(&sealed);
        Ok(head)
    }

    /// "Restore backup": puts the object in `blob` back with all its versions. Refused
    /// for another geography, and when the name exists here (active or deleted).
    pub fn restore_object(&self, blob: &[u8]) -> Result<ObjectSummary> {
        let contents = self.open_blob(blob)?;
        self.require_elevation(&format!("Restore the {} {:?} from its backup", contents.kind, contents.name))?;
        let (kind, name) = (contents.kind, contents.name.as_str());
        match self.object_row(kind, name)? {
            Some(row) if row.deleted_at.is_some() => {
                return Err(Error::input(format!("A {kind} named {name:?} is deleted but recoverable in this vault; recover it, or purge it, before restoring this backup.")))
            }
            Some(_) => {
                return Err(Error::input(format!(
                    "A {kind} named {name:?} already exists in this vault; a backup restores only under a free name (delete and purge the existing one first)."
                )))
            }
            None => {}
        }
        let mut sealed = Vec::with_capacity(contents.versions.len());
        for v in &contents.versions {
            sealed.push(self.seal_value(&aad(kind, name, &v.version), &v.value, false)?);
        }
        let tx = self.conn.unchecked_transaction()?;
        tx.execute("INSERT INTO objects (kind, name, created_at) VALUES (?1, ?2, ?3)", rusqlite::params![kind.to_string(), name, super::stamp(contents.created_at)])?;
        for (seq, (v, (sealed, sealed_for))) in contents.versions.iter().zip(sealed).enumerate() {
            let details = Material::check(kind, &v.value, (!v.public.is_empty()).then_some(v.public.as_slice()))?;
            let info =
                VersionInfo { kind, name: name.into(), version: v.version.clone(), created_at: v.created_at, updated_at: v.updated_at, attributes: v.attributes.clone(), details };
            let public = (!v.public.is_empty()).then_some(v.public.as_slice());
            insert_version(&tx, &info, seq as i64 + 1, public, (&sealed, sealed_for))?;
        }
        tx.commit()?;
        self.record(
            format!("The {kind} {name:?} restored from its backup with {} version(s)", contents.versions.len()),
            serde_json::json!({ "object": kind, "name": name, "change": "restored", "versions": contents.versions.len(), "from_vault": contents.vault }),
        )?;
        self.summary(kind, name)
    }

    /// "Restore backup" from a blob file, refusing a file too large to be one before reading it.
    pub fn restore_object_file(&self, path: &std::path::Path) -> Result<ObjectSummary> {
        let unreadable = |e: std::io::Error| Error::input(format!("{} cannot be read: {e}.", path.display()));
        let size = std::fs::metadata(path).map_err(unreadable)?.len();
        if size > MAX_BLOB as u64 {
            return Err(Error::input(format!("{} is {} MiB; a vault backup is never larger than {} MiB.", path.display(), size >> 20, MAX_BLOB >> 20)));
        }
        self.restore_object(&std::fs::read(path).map_err(unreadable)?)
    }

    fn open_blob(&self, blob: &[u8]) -> Result<Contents> {
        let not_a_blob = || Error::input("This file is not a Lifeboat vault backup (it does not start like one).");
        if blob.len() < MAGIC.len() || &blob[..MAGIC.len()] != MAGIC {
            return Err(not_a_blob());
        }
        if blob.len() < MAGIC.len() + 2 {
            return Err(truncated());
        }
        let version = u16::from_be_bytes([blob[MAGIC.len()], blob[MAGIC.len() + 1]]);
        if version > VERSION {
            return Err(Error::input(format!("This vault backup was made by a newer Lifeboat (blob format {version}; this one reads {VERSION}); update Lifeboat to restore it.")));
        }
        if version == 0 {
            return Err(Error::integrity("This vault backup is damaged: its format version is 0."));
        }
        if blob.len() < HEAD + TAG {
            return Err(truncated());
        }
        if blob.len() > MAX_BLOB {
            return Err(Error::input(format!("This file is {} MiB; a vault backup is never larger than {} MiB.", blob.len() >> 20, MAX_BLOB >> 20)));
        }
        let (head, sealed) = blob.split_at(HEAD);
        let geography = geography::id_text(head[MAGIC.len() + 2..MAGIC.len() + 18].try_into().expect("16 bytes"));
        let key = geography::find(&self.conn, &self.key()?, &geography)?.ok_or_else(|| {
            Error::input(format!(
                "This vault backup belongs to another geography ({geography}); it restores only into the vault that made it or one paired with it. \
                 Pair the vaults: export the geography from the vault that made it (`vault geography export`) and import it here."
            ))
        })?;
        let plain = blob_cipher(&key, &head[HEAD - 32..])
            .decrypt(&[0u8; 12].into(), Payload { msg: sealed, aad: head })
            .map(Zeroizing::new)
            .map_err(|_| Error::integrity("This vault backup is damaged or was changed: it does not authenticate (or it is truncated)."))?;
        let contents: Contents = serde_json::from_slice(&plain).map_err(|e| Error::integrity(format!("This vault backup authenticates but its contents do not parse ({e}).")))?;
        check_contents(&contents)?;
        Ok(contents)
    }
}

/// The fuzzer's way past a blob's authentication (fuzz/, feature `fuzzing`): a real
/// object's payload as seeds, and any bytes sealed as a payload this vault opens, so
/// the payload's parser and checks see what the fuzzer chooses. Not in Lifeboat's build.
#[cfg(feature = "fuzzing")]
impl Vault {
    pub fn fuzz_blob_payload(&self, kind: ObjectKind, name: &str) -> Result<Zeroizing<Vec<u8>>> {
        self.blob_payload(kind, name)
    }

    pub fn fuzz_seal_blob(&self, plain: &[u8]) -> Result<Vec<u8>> {
        self.seal_blob(plain)
    }
}

fn check_contents(contents: &Contents) -> Result<()> {
    let damaged = |what: &str| Error::integrity(format!("This vault backup authenticates but {what}."));
    check_name(&contents.name).map_err(|_| damaged("its object name is not a valid name"))?;
    if contents.versions.is_empty() || contents.versions.len() > MAX_VERSIONS {
        return Err(damaged("holds no versions"));
    }
    let mut seen = std::collections::HashSet::new();
    for v in &contents.versions {
        if v.version.len() != 32 || !v.version.bytes().all(|b| b.is_ascii_hexdigit()) || !seen.insert(v.version.as_str()) {
            return Err(damaged("a version id is not valid"));
        }
        v.attributes.check()?;
    }
    Ok(())
}

fn truncated() -> Error {
    Error::integrity("This vault backup is truncated: it ends before its header does.")
}

fn blob_cipher(key: &GeographyKey, salt: &[u8]) -> Aes256Gcm {
    let mut derived = Zeroizing::new([0u8; 32]);
    hkdf::Hkdf::<sha2::Sha256>::new(Some(salt), key.as_ref()).expand(b"lifeboat vault blob v1", derived.as_mut()).expect("32 bytes is a valid HKDF length");
    Aes256Gcm::new_from_slice(derived.as_ref()).expect("32-byte key")
}
