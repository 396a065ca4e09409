//! The plaintext header: readable with no key, so any workstation can list backups,
//! but carrying nothing about the content. Its MAC (keyed from the file key) is
//! checked as soon as a key is at hand.

use std::io::Read;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{FileKey, FORMAT_VERSION, MAGIC, MAX_BLOCK_SIZE, MAX_HEADER_JSON, MIN_BLOCK_SIZE};
use crate::error::{Error, Result};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub backup_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub installation: Installation,
    pub lifeboat_version: String,
    pub encryption: EncryptionKind,
    pub recipients: Vec<Stanza>,
    pub payload: PayloadParams,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Installation {
    pub id: Uuid,
    pub name: String,
}

/// Which kind of identity opens a backup, as its header says.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum EncryptionKind {
    Certificate,
    Passphrase,
    Key,
    /// Made with an empty passphrase: the file key is stored in the clear. Still
    /// authenticated against corruption, but readable by anyone.
    None,
    /// A kind named by a newer Lifeboat; its stanzas say more.
    #[serde(other)]
    Other,
}

crate::names::display_by_name!(EncryptionKind);

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PayloadParams {
    #[serde(with = "crate::b64")]
    pub salt: Vec<u8>,
    pub block_size: u32,
    pub compression: String,
}

/// One way to recover the file key: a `type` and a body that only the protector of
/// that type reads. Types a reader does not know are skipped (see docs/format.md),
/// and the header MAC covers every stanza whether it was understood or not.
#[derive(Debug, Clone, PartialEq)]
pub struct Stanza {
    pub kind: String,
    pub body: serde_json::Map<String, serde_json::Value>,
}

impl Stanza {
    /// A stanza of `kind` with the fields of `body`, in their declared order.
    pub fn new(kind: &str, body: &impl Serialize) -> Result<Self> {
        match serde_json::to_value(body) {
            Ok(serde_json::Value::Object(body)) if !body.contains_key("type") => Ok(Stanza { kind: kind.to_owned(), body }),
            _ => Err(Error::operation(format!("the {kind} recipient does not encode as a stanza body"))),
        }
    }

    /// The body as its protector's type; a body that does not fit is a damaged header.
    pub fn body<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        T::deserialize(serde_json::Value::Object(self.body.clone()))
            .map_err(|e| Error::integrity(format!("The backup header is damaged: its {} recipient is malformed ({e}).", self.kind)))
    }
}

impl Serialize for Stanza {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.body.len() + 1))?;
        map.serialize_entry("type", &self.kind)?;
        for (key, value) in &self.body {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Stanza {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let mut body = serde_json::Map::deserialize(d)?;
        match body.shift_remove("type") {
            Some(serde_json::Value::String(kind)) => Ok(Stanza { kind, body }),
            _ => Err(serde::de::Error::custom("a recipient stanza without a type")),
        }
    }
}

/// The header as it sits in the file: the parsed value plus the exact bytes the MAC covers.
#[derive(Debug, Clone)]
pub struct HeaderBytes {
    pub header: Header,
    pub signed: Vec<u8>,
    pub mac: [u8; 32],
}

impl HeaderBytes {
    pub fn seal(header: Header, file_key: &FileKey) -> Result<Self> {
        let json = serde_json::to_vec(&header).map_err(|e| Error::operation(format!("encoding header: {e}")))?;
        if json.len() > MAX_HEADER_JSON as usize {
            return Err(Error::input(format!("The backup header would be {} bytes, more than the {MAX_HEADER_JSON} allowed: use fewer recipients.", json.len())));
        }
        let mut signed = Vec::with_capacity(14 + json.len());
        signed.extend_from_slice(MAGIC);
        signed.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        signed.extend_from_slice(&(json.len() as u32).to_le_bytes());
        signed.extend_from_slice(&json);
        let mac = file_key.header_mac(&signed);
        Ok(HeaderBytes { header, signed, mac })
    }

    /// Byte length of the header on disk: where the body starts.
    pub fn body_offset(&self) -> u64 {
        (self.signed.len() + 32) as u64
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.signed.clone();
        out.extend_from_slice(&self.mac);
        out
    }

    pub fn verify(&self, file_key: &FileKey) -> Result<()> {
        file_key.verify_header_mac(&self.signed, &self.mac)
    }
}

/// Reads and checks a header. Newer format versions are refused with the Lifeboat
/// version that made them, which every version keeps at the same place in the JSON.
pub fn read_header(r: &mut impl Read) -> Result<HeaderBytes> {
    let not_a_backup = |why: &str| Error::input(format!("This is not a Lifeboat backup file ({why})."));
    let mut fixed = [0u8; 14];
    r.read_exact(&mut fixed).map_err(|_| not_a_backup("it is too short to hold a header"))?;
    if &fixed[..8] != MAGIC {
        return Err(not_a_backup("it does not start with the LIFEBOAT signature"));
    }
    let version = u16::from_le_bytes([fixed[8], fixed[9]]);
    let json_len = u32::from_le_bytes(fixed[10..14].try_into().expect("4 bytes"));
    if json_len == 0 || json_len > MAX_HEADER_JSON {
        return Err(Error::integrity(format!("The backup header is damaged: it claims a length of {json_len} bytes (allowed 1 to {MAX_HEADER_JSON}).")));
    }
    let mut json = vec![0u8; json_len as usize];
    r.read_exact(&mut json).map_err(|_| Error::integrity("The backup file is truncated inside its header."))?;
    if version != FORMAT_VERSION {
        return Err(version_error(version, &json));
    }
    let header: Header = serde_json::from_slice(&json).map_err(|e| Error::integrity(format!("The backup header is damaged: {e}.")))?;
    check_header(&header)?;
    let mut mac = [0u8; 32];
    r.read_exact(&mut mac).map_err(|_| Error::integrity("The backup file is truncated inside its header."))?;
    let mut signed = fixed.to_vec();
    signed.extend_from_slice(&json);
    Ok(HeaderBytes { header, signed, mac })
}

fn version_error(version: u16, json: &[u8]) -> Error {
    if version == 0 {
        return Error::integrity("The backup header is damaged: format version 0 does not exist.");
    }
    let made_by = serde_json::from_slice::<serde_json::Value>(json)
        .ok()
        .and_then(|v| v.get("lifeboat_version")?.as_str().map(str::to_owned))
        .map(|v| format!("Lifeboat {v}"))
        .unwrap_or_else(|| "a newer Lifeboat".to_owned());
    Error::input(format!(
        "This backup was made by {made_by} in backup format version {version}; this program (Lifeboat {}) \
         reads format version {FORMAT_VERSION} only. Restore it with {made_by} or later.",
        env!("CARGO_PKG_VERSION")
    ))
}

fn check_header(h: &Header) -> Result<()> {
    let damaged = |why: String| Err(Error::integrity(format!("The backup header is damaged: {why}.")));
    let p = &h.payload;
    if !(MIN_BLOCK_SIZE..=MAX_BLOCK_SIZE).contains(&p.block_size) {
        return damaged(format!("block size {} is outside {MIN_BLOCK_SIZE}..={MAX_BLOCK_SIZE}", p.block_size));
    }
    if p.salt.len() != 32 {
        return damaged("the payload salt is not 32 bytes".into());
    }
    if p.compression != "zstd" {
        return damaged(format!("unknown compression {:?}", p.compression));
    }
    if h.recipients.is_empty() {
        return damaged("it has no recipients".into());
    }
    Ok(())
}
