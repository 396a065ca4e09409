//! Geographies: the keys backup blobs are made with. A vault starts with its own;
//! pairing exports it as a passphrase-protected file that another vault imports, after
//! which both make blobs for that geography and open each other's. Keys a vault had
//! before keep opening the blobs it made with them.

use chrono::{DateTime, Utc};
use rand::RngExt;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::key_home::VaultKey;
use crate::error::{Error, Result};
use crate::protector::PassphraseRecipient;
use crate::seal;

pub type GeographyKey = Zeroizing<[u8; 32]>;

const FORMAT: &str = "lifeboat-vault-geography";
const VERSION: u32 = 1;
const MAX_FILE: usize = 64 * 1024;

pub(super) fn create(conn: &Connection, vault_key: &VaultKey, now: DateTime<Utc>) -> Result<String> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let key: GeographyKey = Zeroizing::new(rand::rng().random());
    insert(conn, vault_key, &id, &key, now)?;
    Ok(id)
}

fn insert(conn: &Connection, vault_key: &VaultKey, id: &str, key: &GeographyKey, now: DateTime<Utc>) -> Result<()> {
    let sealed = seal::seal(vault_key, &aad(id), key.as_ref(), &mut rand::rng());
    conn.execute("UPDATE geographies SET current = 0", [])?;
    conn.execute(
        "INSERT INTO geographies (id, sealed, added_at, current) VALUES (?1, ?2, ?3, 1)
         ON CONFLICT (id) DO UPDATE SET current = 1",
        params![id, sealed, super::stamp(now)],
    )?;
    Ok(())
}

/// The current geography and the others this vault accepts.
pub(super) fn ids(conn: &Connection) -> Result<(String, Vec<String>)> {
    let mut statement = conn.prepare("SELECT id, current FROM geographies ORDER BY added_at")?;
    let rows = statement.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, bool>(1)?)))?.collect::<rusqlite::Result<Vec<_>>>()?;
    let current = rows.iter().find(|(_, c)| *c).map(|(id, _)| id.clone()).ok_or_else(super::damaged)?;
    Ok((current, rows.into_iter().filter(|(_, c)| !c).map(|(id, _)| id).collect()))
}

pub(super) fn current(conn: &Connection, vault_key: &VaultKey) -> Result<(String, GeographyKey)> {
    let (id, _) = ids(conn)?;
    let key = find(conn, vault_key, &id)?.ok_or_else(super::damaged)?;
    Ok((id, key))
}

/// The key of geography `id`, if this vault holds it.
pub(super) fn find(conn: &Connection, vault_key: &VaultKey, id: &str) -> Result<Option<GeographyKey>> {
    let sealed: Option<Vec<u8>> = conn.query_row("SELECT sealed FROM geographies WHERE id = ?1", [id], |r| r.get(0)).optional()?;
    sealed.map(|sealed| open_key(vault_key, &aad(id), &sealed).ok_or_else(super::damaged)).transpose()
}

fn open_key(key: &[u8; 32], aad: &[u8], sealed: &[u8]) -> Option<GeographyKey> {
    let plain = seal::open(key, aad, sealed)?;
    let mut out = Zeroizing::new([0u8; 32]);
    (plain.len() == 32).then(|| out.copy_from_slice(&plain))?;
    Some(out)
}

fn aad(id: &str) -> Vec<u8> {
    format!("lifeboat-vault/v1\0geography\0{id}").into_bytes()
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportFile {
    format: String,
    version: u32,
    geography: String,
    m_kib: u32,
    t: u32,
    p: u32,
    #[serde(with = "crate::b64")]
    salt: Vec<u8>,
    #[serde(with = "crate::b64")]
    sealed: Vec<u8>,
}

/// The current geography as a file protected by `passphrase`, for pairing.
pub(super) fn export(conn: &Connection, vault_key: &VaultKey, passphrase: &str) -> Result<Vec<u8>> {
    if passphrase.is_empty() {
        return Err(Error::input("A geography file needs a passphrase: it lets another vault open this vault's blobs."));
    }
    let (id, key) = current(conn, vault_key)?;
    let kek = PassphraseRecipient::derive(passphrase, &mut rand::rng())?;
    let file = ExportFile {
        format: FORMAT.into(),
        version: VERSION,
        sealed: seal::seal(kek.kek(), &aad(&id), key.as_ref(), &mut rand::rng()),
        geography: id,
        m_kib: kek.m_kib,
        t: kek.t,
        p: kek.p,
        salt: kek.salt.clone(),
    };
    Ok(serde_json::to_vec_pretty(&file).expect("the geography file serializes"))
}

/// Pairs this vault with the geography in `file`: it becomes the one new blobs are
/// made for, and its blobs open here. Returns its id.
pub(super) fn import(conn: &Connection, vault_key: &VaultKey, file: &[u8], passphrase: &str, now: DateTime<Utc>) -> Result<String> {
    let not_ours = || Error::input("This is not a Lifeboat geography file (made by `vault geography export`).");
    if file.len() > MAX_FILE {
        return Err(not_ours());
    }
    let value: serde_json::Value = serde_json::from_slice(file).map_err(|_| not_ours())?;
    if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err(not_ours());
    }
    match value.get("version").and_then(|v| v.as_u64()) {
        Some(v) if v == VERSION as u64 => {}
        Some(v) if v > VERSION as u64 => return Err(Error::input(format!("This geography file was made by a newer Lifeboat (format {v}); update Lifeboat to import it."))),
        _ => return Err(not_ours()),
    }
    let file: ExportFile = serde_json::from_value(value).map_err(|_| Error::integrity("This geography file is damaged."))?;
    if uuid::Uuid::try_parse(&file.geography).is_err() {
        return Err(Error::integrity("This geography file is damaged."));
    }
    let kek = PassphraseRecipient::derive_with(passphrase, file.salt.clone(), file.m_kib, file.t, file.p)?;
    let key = open_key(kek.kek(), &aad(&file.geography), &file.sealed)
        .ok_or_else(|| Error::WrongIdentity("The passphrase for this geography file is wrong (or the file was changed).".into()))?;
    insert(conn, vault_key, &file.geography, &key, now)?;
    Ok(file.geography)
}

/// Geography ids are 32 hex digits; a blob carries the id as 16 bytes.
pub(super) fn id_bytes(id: &str) -> Result<[u8; 16]> {
    uuid::Uuid::try_parse(id).map(|u| *u.as_bytes()).map_err(|_| super::damaged())
}

pub(super) fn id_text(bytes: [u8; 16]) -> String {
    uuid::Uuid::from_bytes(bytes).simple().to_string()
}
