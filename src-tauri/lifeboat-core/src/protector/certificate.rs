//! Certificate protector: backups encrypted to an RSA public key (RSA-OAEP-SHA256), so
//! the workstation can write backups it cannot read. Restores bring the private key as
//! a PFX/PKCS#12 file or a PEM key.

use chrono::{DateTime, Datelike, Duration, Utc};
use rand::CryptoRng;
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPublicKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey};
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use rsa::{Oaep, RsaPrivateKey, RsaPublicKey};
use sha1::{Digest, Sha1};
use sha2::Sha256;
use x509_parser::pem::Pem;
use x509_parser::prelude::{FromDer, X509Certificate};
use zeroize::Zeroizing;

use super::{Described, Identity, Need, Protector, Recipient};
use crate::error::{Error, Result};
use crate::format::{EncryptionKind, FileKey, Stanza};

const STANZA_TYPE: &str = "rsa-oaep-sha256";

pub(super) const PROTECTOR: Protector = Protector {
    stanza_type: STANZA_TYPE,
    encryption: EncryptionKind::Certificate,
    describe: |stanza| {
        let body: Body = stanza.body()?;
        Ok(Described { need: Need::Certificate(format!("{} ({})", body.thumbprint, body.subject)), label: body.thumbprint })
    },
};

/// The stanza body, fields in this order.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    thumbprint: String,
    subject: String,
    not_after: DateTime<Utc>,
    #[serde(with = "crate::b64")]
    wrapped_key: Vec<u8>,
}

pub const MIN_RSA_BITS: usize = 2048;
pub const MAX_RSA_BITS: usize = 16384;
pub const CREATED_RSA_BITS: usize = 3072;

/// What Lifeboat keeps and shows of an encryption certificate.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CertificateInfo {
    /// SHA-1 of the DER certificate, uppercase hex, as Windows shows it.
    pub thumbprint: String,
    pub subject: String,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    pub key_bits: usize,
    #[serde(with = "crate::b64")]
    pub der: Vec<u8>,
}

const PUBLIC_ONLY: &str = "provide only the public key portion: export the certificate as a .cer file (DER or Base-64) without its private key";

impl CertificateInfo {
    /// Reads a public certificate (.cer, DER or PEM), refusing anything that is not one
    /// RSA certificate of at least 2048 bits, or that carries a private key.
    pub fn from_public_file(bytes: &[u8]) -> Result<Self> {
        if looks_like_pem(bytes) {
            let blocks = pem_blocks(bytes)?;
            if blocks.iter().any(|b| b.label.contains("PRIVATE KEY")) {
                return Err(Error::input(format!("This file contains a private key; {PUBLIC_ONLY}.")));
            }
            let certs: Vec<&Pem> = blocks.iter().filter(|b| b.label == "CERTIFICATE").collect();
            return match certs.as_slice() {
                [one] => Self::from_der(&one.contents),
                [] => Err(Error::input("This PEM file holds no certificate (no BEGIN CERTIFICATE block).")),
                many => Err(Error::input(format!("This PEM file holds {} certificates; give exactly one: the backup encryption certificate.", many.len()))),
            };
        }
        if looks_like_pfx(bytes) {
            return Err(Error::input(format!("This is a PFX/PKCS#12 file, which carries a private key; {PUBLIC_ONLY}.")));
        }
        Self::from_der(bytes)
    }

    pub fn from_der(der: &[u8]) -> Result<Self> {
        let (rest, cert) = X509Certificate::from_der(der).map_err(|_| Error::input("This file is not a certificate: expected an X.509 certificate (.cer) in DER or PEM form."))?;
        if !rest.is_empty() {
            return Err(Error::input("This certificate file has extra data after the certificate."));
        }
        rsa_public_key(&cert)?;
        let validity = cert.validity();
        let time = |t: x509_parser::time::ASN1Time| DateTime::<Utc>::from_timestamp(t.timestamp(), 0).unwrap_or(DateTime::<Utc>::MAX_UTC);
        Ok(CertificateInfo {
            thumbprint: thumbprint(der),
            subject: cert.subject().to_string(),
            not_before: time(validity.not_before),
            not_after: time(validity.not_after),
            key_bits: rsa_public_key(&cert)?.size() * 8,
            der: der.to_vec(),
        })
    }

    pub fn public_key(&self) -> Result<RsaPublicKey> {
        let (_, cert) = X509Certificate::from_der(&self.der).map_err(|_| Error::operation("the stored certificate no longer parses"))?;
        rsa_public_key(&cert)
    }

    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.not_after < now
    }
}

fn thumbprint(der: &[u8]) -> String {
    hex::encode_upper(Sha1::digest(der))
}

fn rsa_public_key(cert: &X509Certificate<'_>) -> Result<RsaPublicKey> {
    use x509_parser::public_key::PublicKey;
    let spki = cert.public_key();
    let need = format!("Lifeboat encrypts backups to RSA keys of at least {MIN_RSA_BITS} bits; Lifeboat can create such a certificate");
    match spki.parsed() {
        Ok(PublicKey::RSA(_)) => {}
        Ok(PublicKey::EC(_)) => return Err(Error::input(format!("This certificate holds an elliptic-curve key. {need}."))),
        Ok(PublicKey::DSA(_)) => return Err(Error::input(format!("This certificate holds a DSA key. {need}."))),
        _ => return Err(Error::input(format!("This certificate holds a key of an unsupported type. {need}."))),
    }
    let bits = spki.parsed().map(|k| k.key_size()).unwrap_or(0);
    if bits < MIN_RSA_BITS {
        return Err(Error::input(format!("This certificate's RSA key has {bits} bits; {need}.")));
    }
    if bits > MAX_RSA_BITS {
        return Err(Error::input(format!("This certificate's RSA key has {bits} bits; Lifeboat accepts up to {MAX_RSA_BITS}.")));
    }
    RsaPublicKey::from_public_key_der(spki.raw).map_err(|e| Error::input(format!("This certificate's RSA key cannot be read: {e}.")))
}

fn looks_like_pem(bytes: &[u8]) -> bool {
    bytes.windows(11).any(|w| w == b"-----BEGIN ")
}

fn pem_blocks(bytes: &[u8]) -> Result<Vec<Pem>> {
    Pem::iter_from_buffer(bytes).collect::<std::result::Result<Vec<_>, _>>().map_err(|e| Error::input(format!("This PEM file is malformed: {e}.")))
}

/// A PFX is a DER SEQUENCE whose first element is INTEGER 3 (the PFX version).
fn looks_like_pfx(bytes: &[u8]) -> bool {
    let Some((&0x30, rest)) = bytes.split_first() else { return false };
    let Some((&len0, rest)) = rest.split_first() else { return false };
    let skip = if len0 & 0x80 == 0 { 0 } else { (len0 & 0x7f) as usize };
    rest.get(skip..skip + 3) == Some(&[0x02, 0x01, 0x03])
}

pub struct RsaRecipient {
    info: CertificateInfo,
    key: RsaPublicKey,
}

impl RsaRecipient {
    pub fn new(info: CertificateInfo) -> Result<Self> {
        let key = info.public_key()?;
        Ok(RsaRecipient { info, key })
    }
}

impl Recipient for RsaRecipient {
    fn encryption(&self) -> EncryptionKind {
        EncryptionKind::Certificate
    }

    fn wrap(&self, file_key: &FileKey, rng: &mut dyn CryptoRng) -> Result<Stanza> {
        let wrapped_key = self.key.encrypt(rng, Oaep::<Sha256>::new(), file_key.as_bytes()).map_err(|e| Error::operation(format!("RSA-OAEP encryption failed: {e}")))?;
        let body = Body { thumbprint: self.info.thumbprint.clone(), subject: self.info.subject.clone(), not_after: self.info.not_after, wrapped_key };
        Stanza::new(STANZA_TYPE, &body)
    }
}

/// A private RSA key, with the certificate it belongs to when the file carried one.
/// `RsaPrivateKey` zeroizes itself on drop.
pub struct RsaIdentity {
    key: RsaPrivateKey,
    certificate: Option<CertificateInfo>,
}

const ONLY_PUBLIC: &str = "This file holds only a certificate (the public key); restoring needs the private key: the .pfx/.p12 file (with its password) or a PEM private key";

impl RsaIdentity {
    /// Reads a .pfx/.p12 (with `password`, empty if none) or a PEM private key
    /// (PKCS#8, PKCS#1, or encrypted PKCS#8 with `password`).
    pub fn from_file(bytes: &[u8], password: &str) -> Result<Self> {
        if looks_like_pem(bytes) {
            return Self::from_pem(bytes, password);
        }
        if looks_like_pfx(bytes) {
            return Self::from_pfx(bytes, password);
        }
        if X509Certificate::from_der(bytes).is_ok() {
            return Err(Error::input(format!("{ONLY_PUBLIC}.")));
        }
        if let Ok(key) = RsaPrivateKey::from_pkcs8_der(bytes) {
            return Ok(RsaIdentity { key, certificate: None });
        }
        Err(Error::input("This file is not a private key: expected a .pfx/.p12 file or a PEM private key (BEGIN PRIVATE KEY)."))
    }

    /// The private key, and the certificate it belongs to when the file carried it.
    pub fn into_parts(self) -> (RsaPrivateKey, Option<CertificateInfo>) {
        (self.key, self.certificate)
    }

    fn from_pem(bytes: &[u8], password: &str) -> Result<Self> {
        let blocks = pem_blocks(bytes)?;
        let mut key = None;
        for block in &blocks {
            let parsed = match block.label.as_str() {
                "PRIVATE KEY" => RsaPrivateKey::from_pkcs8_der(&block.contents).map_err(|_| not_rsa_key()),
                "RSA PRIVATE KEY" => RsaPrivateKey::from_pkcs1_der(&block.contents).map_err(|_| not_rsa_key()),
                "ENCRYPTED PRIVATE KEY" => RsaPrivateKey::from_pkcs8_encrypted_der(&block.contents, password)
                    .map_err(|_| Error::input("The password for this encrypted private key is wrong (or it is not an RSA key).")),
                label if label.contains("PRIVATE KEY") => Err(not_rsa_key()),
                _ => continue,
            };
            key = Some(parsed?);
            break;
        }
        let Some(key) = key else {
            return Err(Error::input(if blocks.iter().any(|b| b.label == "CERTIFICATE") { format!("{ONLY_PUBLIC}.") } else { "This PEM file holds no private key.".into() }));
        };
        let certificate = blocks.iter().filter(|b| b.label == "CERTIFICATE").filter_map(|b| CertificateInfo::from_der(&b.contents).ok()).find(|c| key_matches(&key, c));
        Ok(RsaIdentity { key, certificate })
    }

    fn from_pfx(bytes: &[u8], password: &str) -> Result<Self> {
        let archive = p12_keystore::Pkcs12Archive::from_pkcs12(bytes, password).map_err(|e| match e {
            p12_keystore::error::Error::MacError(_) => Error::input("The PFX password is wrong (the file's integrity check failed with it)."),
            other => Error::input(format!("This PFX file cannot be read ({other}); if it comes from another tool, re-export it with OpenSSL 3 defaults.")),
        })?;
        let certs: Vec<CertificateInfo> = archive.certs.iter().filter_map(|c| CertificateInfo::from_der(c.cert.as_der()).ok()).collect();
        let mut keys = Vec::new();
        for bag in &archive.keys {
            let der = Zeroizing::new(bag.key.as_der().to_vec());
            if let Ok(key) = RsaPrivateKey::from_pkcs8_der(&der) {
                keys.push(key);
            }
        }
        if keys.is_empty() {
            return Err(Error::input(if archive.keys.is_empty() {
                "This PFX holds no private key (only certificates); export it again with the private key."
            } else {
                "This PFX's private key is not an RSA key; Lifeboat backups use RSA certificates."
            }));
        }
        // Prefer the key that belongs to a certificate in the file: that is the one the
        // thumbprint in a backup header refers to.
        for key in &keys {
            if let Some(cert) = certs.iter().find(|c| key_matches(key, c)) {
                return Ok(RsaIdentity { key: key.clone(), certificate: Some(cert.clone()) });
            }
        }
        Ok(RsaIdentity { key: keys.swap_remove(0), certificate: None })
    }
}

fn not_rsa_key() -> Error {
    Error::input("This private key is not an RSA key; Lifeboat backups use RSA certificates.")
}

fn key_matches(key: &RsaPrivateKey, cert: &CertificateInfo) -> bool {
    cert.public_key().map(|p| p == *key.as_ref()).unwrap_or(false)
}

impl Identity for RsaIdentity {
    fn unwrap(&self, stanzas: &[Stanza]) -> Result<Option<FileKey>> {
        let own = self.certificate.as_ref().map(|c| c.thumbprint.as_str());
        // The stanza for our own certificate first, then any other: a renewed
        // certificate may carry the same key under a new thumbprint.
        let mut rsa: Vec<Body> = stanzas.iter().filter(|s| s.kind == STANZA_TYPE).map(Stanza::body).collect::<Result<_>>()?;
        rsa.sort_by_key(|b| Some(b.thumbprint.as_str()) != own);
        for body in rsa {
            if let Ok(plain) = self.key.decrypt(Oaep::<Sha256>::new(), &body.wrapped_key) {
                let plain = Zeroizing::new(plain);
                return FileKey::from_bytes(&plain).map(Some);
            }
        }
        Ok(None)
    }

    fn describe(&self) -> String {
        match &self.certificate {
            Some(c) => format!("the private key of certificate {} ({})", c.thumbprint, c.subject),
            None => format!("an RSA-{} private key", self.key.size() * 8),
        }
    }
}

/// A new backup certificate and the PFX that holds its private key.
pub struct CreatedCertificate {
    pub info: CertificateInfo,
    pub pfx: Vec<u8>,
}

/// Makes a self-signed RSA-3072 certificate for backup encryption, valid for `years`,
/// and a PFX protected by `pfx_password` holding it with its private key.
pub fn create_certificate(common_name: &str, years: u32, pfx_password: &str, now: DateTime<Utc>, rng: &mut dyn CryptoRng) -> Result<CreatedCertificate> {
    if pfx_password.chars().count() < 8 {
        return Err(Error::input("The PFX password must be at least 8 characters: it protects the only key that can restore your backups."));
    }
    let (key, info) = self_signed(common_name, CREATED_RSA_BITS, years, now, rng)?;
    let pfx = pfx(&key, &info, pfx_password)?;
    Ok(CreatedCertificate { info, pfx })
}

/// A self-signed certificate for key and data encipherment with a new RSA key of `bits`,
/// valid from yesterday for `years`.
pub fn self_signed(common_name: &str, bits: usize, years: u32, now: DateTime<Utc>, rng: &mut dyn CryptoRng) -> Result<(RsaPrivateKey, CertificateInfo)> {
    let cn = common_name.trim();
    if cn.is_empty() || cn.len() > 64 || cn.chars().any(char::is_control) {
        return Err(Error::input("The certificate subject (CN) must be 1 to 64 printable characters."));
    }
    if !(1..=30).contains(&years) {
        return Err(Error::input("The certificate validity must be 1 to 30 years."));
    }
    let key = RsaPrivateKey::new(rng, bits).map_err(|e| Error::operation(format!("generating the RSA key failed: {e}")))?;
    let public_pkcs1 = key.to_public_key().to_pkcs1_der().map_err(|e| Error::operation(format!("encoding the public key: {e}")))?.into_vec();

    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(rcgen::DnType::CommonName, cn);
    let mut serial = [0u8; 16];
    rng.fill_bytes(&mut serial);
    serial[0] &= 0x7f;
    params.serial_number = Some(rcgen::SerialNumber::from_slice(&serial));
    let start = now - Duration::days(1);
    let end = now + Duration::days(365 * years as i64 + years as i64 / 4);
    let ymd = |t: DateTime<Utc>| rcgen::date_time_ymd(t.year(), t.month() as u8, t.day() as u8);
    params.not_before = ymd(start);
    params.not_after = ymd(end);
    params.key_usages = vec![rcgen::KeyUsagePurpose::KeyEncipherment, rcgen::KeyUsagePurpose::DataEncipherment];
    params.key_identifier_method = rcgen::KeyIdMethod::PreSpecified(Sha1::digest(&public_pkcs1).to_vec());
    let signer = RcgenRsaKey { key: rsa::pkcs1v15::SigningKey::<Sha256>::new(key.clone()), public_pkcs1 };
    let cert = params.self_signed(&signer).map_err(|e| Error::operation(format!("creating the certificate failed: {e}")))?;
    let info = CertificateInfo::from_der(cert.der())?;
    Ok((key, info))
}

/// A PFX/PKCS#12 file protected by `password` holding the certificate and its key.
pub fn pfx(key: &RsaPrivateKey, info: &CertificateInfo, password: &str) -> Result<Vec<u8>> {
    let pkcs8 = key.to_pkcs8_der().map_err(|e| Error::operation(format!("encoding the private key: {e}")))?;
    let p12_key = p12_keystore::PrivateKey::from_der(pkcs8.as_bytes()).map_err(|e| Error::operation(format!("packing the private key: {e}")))?;
    let p12_cert = p12_keystore::Certificate::from_der(&info.der).map_err(|e| Error::operation(format!("packing the certificate: {e}")))?;
    let local_key_id = Sha1::digest(&info.der).to_vec();
    let mut store = p12_keystore::KeyStore::new();
    store.add_entry("lifeboat backup encryption", p12_keystore::KeyStoreEntry::PrivateKeyChain(p12_keystore::PrivateKeyChain::new(local_key_id, p12_key, [p12_cert])));
    store.writer(password).write().map_err(|e| Error::operation(format!("writing the PFX failed: {e}")))
}

/// Creates a backup certificate for the administrator: the private key goes to a
/// password-protected `.pfx` at `pfx_path`, the public certificate to `cer_path`
/// (DER). Either file already existing stops it, so no key is ever overwritten.
/// Lifeboat keeps nothing of the private key.
pub fn create_certificate_files(
    common_name: &str,
    years: u32,
    pfx_password: &str,
    pfx_path: &std::path::Path,
    cer_path: &std::path::Path,
    now: DateTime<Utc>,
) -> Result<CertificateInfo> {
    if pfx_path == cer_path {
        return Err(Error::input("The private key (.pfx) and the certificate (.cer) must be different files."));
    }
    for path in [pfx_path, cer_path] {
        if std::fs::symlink_metadata(path).is_ok() {
            return Err(Error::input(format!("{} already exists; choose another name so no key is overwritten.", path.display())));
        }
    }
    let created = create_certificate(common_name, years, pfx_password, now, &mut rand::rng())?;
    crate::fsutil::write_new_file(pfx_path, &created.pfx, true)?;
    crate::fsutil::write_new_file(cer_path, &created.info.der, false)?;
    Ok(created.info)
}

struct RcgenRsaKey {
    key: rsa::pkcs1v15::SigningKey<Sha256>,
    public_pkcs1: Vec<u8>,
}

impl rcgen::PublicKeyData for RcgenRsaKey {
    fn der_bytes(&self) -> &[u8] {
        &self.public_pkcs1
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        &rcgen::PKCS_RSA_SHA256
    }
}

impl rcgen::SigningKey for RcgenRsaKey {
    fn sign(&self, msg: &[u8]) -> std::result::Result<Vec<u8>, rcgen::Error> {
        Ok(self.key.sign(msg).to_vec())
    }
}
