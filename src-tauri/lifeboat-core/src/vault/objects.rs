//! What the vault holds: the three kinds of object, their versions' attributes and
//! details, the rules for names, tags and values, and the material each kind seals.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::protector::{CertificateInfo, RsaIdentity};

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ObjectKind {
    Secret,
    Key,
    Certificate,
}
crate::names::display_by_name!(ObjectKind);

impl ObjectKind {
    pub const ALL: [ObjectKind; 3] = [ObjectKind::Secret, ObjectKind::Key, ObjectKind::Certificate];

    pub fn parse(text: &str) -> Result<Self> {
        crate::names::parse_name(text).ok_or_else(|| Error::input(format!("Unknown vault object kind {text:?}: use secret, key or certificate.")))
    }
}

/// The largest secret value, as Azure Key Vault allows.
pub const MAX_SECRET_BYTES: usize = 25 * 1024;
pub const KEY_SIZES: [usize; 3] = [2048, 3072, 4096];
pub const MAX_NAME_CHARS: usize = 127;
const MAX_TAGS: usize = 15;
const MAX_TAG_NAME: usize = 512;
const MAX_TAG_VALUE: usize = 256;
const MAX_CONTENT_TYPE: usize = 255;

/// Names are 1-127 letters, digits and dashes, as Key Vault's.
pub fn check_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::input("A vault object needs a name: 1 to 127 letters, digits and dashes."));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(Error::input(format!("The name is {} characters long; vault names are at most {MAX_NAME_CHARS}.", name.chars().count())));
    }
    if let Some(bad) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-')) {
        return Err(Error::input(format!("The name {name:?} contains {bad:?}; vault names use only letters (a-z, A-Z), digits and dashes.")));
    }
    Ok(())
}

/// A version's attributes: what can be changed without making a new version.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attributes {
    pub enabled: bool,
    pub not_before: Option<DateTime<Utc>>,
    pub expires: Option<DateTime<Utc>>,
    pub content_type: Option<String>,
    pub tags: BTreeMap<String, String>,
}

impl Default for Attributes {
    fn default() -> Self {
        Attributes { enabled: true, not_before: None, expires: None, content_type: None, tags: BTreeMap::new() }
    }
}

impl Attributes {
    pub fn check(&self) -> Result<()> {
        if let (Some(nbf), Some(exp)) = (self.not_before, self.expires) {
            if exp <= nbf {
                return Err(Error::input(format!("The expiry ({exp}) must come after the not-before time ({nbf}).")));
            }
        }
        if let Some(ct) = &self.content_type {
            if ct.chars().count() > MAX_CONTENT_TYPE || ct.chars().any(char::is_control) {
                return Err(Error::input(format!("The content type must be at most {MAX_CONTENT_TYPE} printable characters.")));
            }
        }
        if self.tags.len() > MAX_TAGS {
            return Err(Error::input(format!("{} tags given; a version carries at most {MAX_TAGS}.", self.tags.len())));
        }
        for (name, value) in &self.tags {
            if name.is_empty() || name.chars().count() > MAX_TAG_NAME || name.chars().any(char::is_control) {
                return Err(Error::input(format!("The tag name {name:?} must be 1 to {MAX_TAG_NAME} printable characters.")));
            }
            if value.chars().count() > MAX_TAG_VALUE || value.chars().any(char::is_control) {
                return Err(Error::input(format!("The value of tag {name:?} must be at most {MAX_TAG_VALUE} printable characters.")));
            }
        }
        Ok(())
    }

    /// Why this version cannot be read now, if it cannot: disabled, or not yet valid.
    /// (An expired version stays readable, as in Key Vault; listings flag it.)
    pub fn unreadable_because(&self, now: DateTime<Utc>) -> Option<String> {
        if !self.enabled {
            return Some("is disabled; enable it to read it".into());
        }
        match self.not_before {
            Some(nbf) if nbf > now => Some(format!("is not valid before {}", nbf.format("%Y-%m-%d %H:%M UTC"))),
            _ => None,
        }
    }
}

/// Changes to a version's attributes: a field left out stays as it is; a date or
/// content type given as null is cleared.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AttributeChanges {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "given")]
    #[cfg_attr(feature = "specta", specta(type = Option<String>))]
    pub not_before: Option<Option<DateTime<Utc>>>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "given")]
    #[cfg_attr(feature = "specta", specta(type = Option<String>))]
    pub expires: Option<Option<DateTime<Utc>>>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "given")]
    #[cfg_attr(feature = "specta", specta(type = Option<String>))]
    pub content_type: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
}

/// A field that is present, null or not: `Some(None)` for null (clear it).
fn given<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> std::result::Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

impl AttributeChanges {
    pub fn apply_to(&self, attributes: &Attributes) -> Attributes {
        let mut out = attributes.clone();
        if let Some(v) = self.enabled {
            out.enabled = v;
        }
        if let Some(v) = self.not_before {
            out.not_before = v;
        }
        if let Some(v) = self.expires {
            out.expires = v;
        }
        if let Some(v) = &self.content_type {
            out.content_type = v.clone();
        }
        if let Some(v) = &self.tags {
            out.tags = v.clone();
        }
        out
    }
}

/// What a version is, shown without opening it.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Details {
    Secret { bytes: u32 },
    Key { algorithm: String, bits: u32 },
    Certificate { thumbprint: String, subject: String, not_before: DateTime<Utc>, not_after: DateTime<Utc>, bits: u32 },
}

/// One version of an object, without its value.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionInfo {
    pub kind: ObjectKind,
    pub name: String,
    pub version: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub attributes: Attributes,
    pub details: Details,
}

/// An object as listed: its newest version and, when deleted, when it goes for good.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectSummary {
    pub kind: ObjectKind,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub versions: u32,
    pub current: VersionInfo,
    /// Used by Lifeboat's own settings (the share password, the passphrase key): it
    /// cannot be deleted here, only replaced by changing the settings.
    pub managed: bool,
    pub deleted_at: Option<DateTime<Utc>>,
    pub purge_at: Option<DateTime<Utc>>,
}

/// A new version's content before it is sealed: the plaintext to seal, the public part
/// stored as is, and its details.
pub(crate) struct Material {
    pub plain: Zeroizing<Vec<u8>>,
    pub public: Option<Vec<u8>>,
    pub details: Details,
}

impl Material {
    pub fn secret(value: &[u8]) -> Result<Self> {
        if value.len() > MAX_SECRET_BYTES {
            return Err(Error::input(format!("The secret is {} bytes; a vault secret holds at most {MAX_SECRET_BYTES} bytes (25 KiB).", value.len())));
        }
        if std::str::from_utf8(value).is_err() {
            return Err(Error::input("A secret's value is text (UTF-8); encode binary values, e.g. as base64."));
        }
        Ok(Material { plain: Zeroizing::new(value.to_vec()), public: None, details: Details::Secret { bytes: value.len() as u32 } })
    }

    pub fn generated_key(bits: usize, rng: &mut dyn rand::CryptoRng) -> Result<Self> {
        if !KEY_SIZES.contains(&bits) {
            return Err(Error::input(format!("RSA keys in the vault are 2048, 3072 or 4096 bits, not {bits}.")));
        }
        let key = RsaPrivateKey::new(rng, bits).map_err(|e| Error::operation(format!("generating the RSA key failed: {e}")))?;
        Self::rsa_key(&key)
    }

    fn rsa_key(key: &RsaPrivateKey) -> Result<Self> {
        let public = key.to_public_key().to_public_key_der().map_err(|e| Error::operation(format!("encoding the public key: {e}")))?;
        Ok(Material { plain: private_der(key)?, public: Some(public.into_vec()), details: Details::Key { algorithm: "RSA".into(), bits: (key.size() * 8) as u32 } })
    }

    /// A certificate with its private key, from a PFX/PKCS#12 file or a PEM file holding both.
    pub fn imported_certificate(bytes: &[u8], password: &str) -> Result<Self> {
        let (key, certificate) = RsaIdentity::from_file(bytes, password)?.into_parts();
        let certificate = certificate
            .ok_or_else(|| Error::input("This file holds a private key but not its certificate; import a .pfx, or a PEM file with both the key and its certificate."))?;
        Self::certificate(&key, &certificate)
    }

    pub fn certificate(key: &RsaPrivateKey, info: &CertificateInfo) -> Result<Self> {
        Ok(Material {
            plain: private_der(key)?,
            public: Some(info.der.clone()),
            details: Details::Certificate {
                thumbprint: info.thumbprint.clone(),
                subject: info.subject.clone(),
                not_before: info.not_before,
                not_after: info.not_after,
                bits: info.key_bits as u32,
            },
        })
    }

    /// Checks material that came from elsewhere (a blob) is what its kind says.
    pub fn check(kind: ObjectKind, plain: &[u8], public: Option<&[u8]>) -> Result<Details> {
        let bad = |what: &str| Error::integrity(format!("The backup blob holds a {kind} whose {what} does not parse."));
        match kind {
            ObjectKind::Secret => Ok(Self::secret(plain)?.details),
            ObjectKind::Key => {
                let key = RsaPrivateKey::from_pkcs8_der(plain).map_err(|_| bad("private key"))?;
                let material = Self::rsa_key(&key)?;
                if material.public.as_deref() != public {
                    return Err(bad("public key"));
                }
                Ok(material.details)
            }
            ObjectKind::Certificate => {
                let key = RsaPrivateKey::from_pkcs8_der(plain).map_err(|_| bad("private key"))?;
                let info = CertificateInfo::from_der(public.ok_or_else(|| bad("certificate"))?).map_err(|_| bad("certificate"))?;
                if info.public_key()? != key.to_public_key() {
                    return Err(bad("private key (it does not match the certificate)"));
                }
                Ok(Self::certificate(&key, &info)?.details)
            }
        }
    }
}

fn private_der(key: &RsaPrivateKey) -> Result<Zeroizing<Vec<u8>>> {
    let der = key.to_pkcs8_der().map_err(|e| Error::operation(format!("encoding the private key: {e}")))?;
    Ok(Zeroizing::new(der.as_bytes().to_vec()))
}

/// The public part as a file: a key's public key as PEM, a certificate as DER (.cer).
pub(crate) fn public_file(kind: ObjectKind, public: &[u8]) -> Result<Vec<u8>> {
    match kind {
        ObjectKind::Secret => Err(Error::input("A secret has no public part; reveal its value instead.")),
        ObjectKind::Key => {
            let key = <rsa::RsaPublicKey as rsa::pkcs8::DecodePublicKey>::from_public_key_der(public).map_err(|_| Error::operation("the stored public key no longer parses"))?;
            key.to_public_key_pem(LineEnding::LF).map(String::into_bytes).map_err(|e| Error::operation(format!("encoding the public key: {e}")))
        }
        ObjectKind::Certificate => Ok(public.to_vec()),
    }
}
