//! Protectors: who can open a backup. A backup's random file key is wrapped once per
//! recipient; each protector owns one stanza type (its name and its body) and a
//! small Recipient/Identity pair: the recipient wraps the key when a backup is made,
//! the identity a restore brings unwraps it. A new protector is one new module here
//! and one line in `PROTECTORS`.

mod certificate;
mod key;
mod none;
mod passphrase;
mod wrap;

pub use certificate::{create_certificate, create_certificate_files, self_signed, CertificateInfo, CreatedCertificate, RsaIdentity, RsaRecipient};
pub use key::{parse_legacy_key, KeyIdentity, KeyRecipient, LegacyKey};
pub use none::NoneRecipient;
pub(crate) use passphrase::{argon2id, DEFAULT_M_KIB, DEFAULT_P, DEFAULT_T};
pub use passphrase::{check_passphrase, PassphraseIdentity, PassphraseRecipient, MIN_PASSPHRASE_CHARS};

use rand::CryptoRng;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::format::{EncryptionKind, FileKey, Header, Stanza};

/// Something a backup can be encrypted to.
pub trait Recipient: Send + Sync {
    fn encryption(&self) -> EncryptionKind;
    fn wrap(&self, file_key: &FileKey, rng: &mut dyn CryptoRng) -> Result<Stanza>;
}

/// Something that can open a backup: a private key, a passphrase, a key.
pub trait Identity: Send + Sync {
    /// Recovers the file key from the first of its own stanzas it opens, or None.
    fn unwrap(&self, stanzas: &[Stanza]) -> Result<Option<FileKey>>;
    /// What this identity is, for error messages ("the certificate with thumbprint …").
    fn describe(&self) -> String;
}

/// An identity as a front end takes it (typed, picked, or read from stdin).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum IdentityInput {
    /// For backups that are not encrypted.
    None,
    /// A `.pfx`/`.p12` or PEM private key, and its password (empty for none).
    File {
        path: String,
        password: String,
    },
    Passphrase {
        passphrase: String,
    },
    Key {
        key: String,
    },
}

impl IdentityInput {
    /// The identity, read and checked; the typed secrets are wiped once used.
    pub fn open(self) -> Result<Option<Box<dyn Identity>>> {
        Ok(match self {
            IdentityInput::None => None,
            IdentityInput::File { path, password } => {
                let password = Zeroizing::new(password);
                let bytes = Zeroizing::new(crate::fsutil::read_small_file(path.trim().as_ref(), "private key")?);
                Some(Box::new(RsaIdentity::from_file(&bytes, &password)?))
            }
            IdentityInput::Passphrase { passphrase } => Some(Box::new(PassphraseIdentity::new(Zeroizing::new(passphrase)))),
            IdentityInput::Key { key } => Some(Box::new(KeyIdentity(parse_legacy_key(&Zeroizing::new(key))?))),
        })
    }
}

/// What a protector says about one of its stanzas, without any key.
struct Described {
    /// Short and public, for listings: a thumbprint, a key id, "passphrase".
    label: String,
    need: Need,
}

enum Need {
    /// "thumbprint (subject)"
    Certificate(String),
    Passphrase,
    Key(String),
    Nothing,
}

/// A protector as the header sees it: its stanza type and what it says about one.
struct Protector {
    stanza_type: &'static str,
    encryption: EncryptionKind,
    describe: fn(&Stanza) -> Result<Described>,
}

const PROTECTORS: &[Protector] = &[certificate::PROTECTOR, passphrase::PROTECTOR, key::PROTECTOR, none::PROTECTOR];

fn protector(stanza: &Stanza) -> Option<&'static Protector> {
    PROTECTORS.iter().find(|p| p.stanza_type == stanza.kind)
}

/// The stanzas this version knows (with the encryption kind of their protector).
type Known = Vec<(EncryptionKind, Described)>;

/// The stanzas that wrap the file key: all but the audit trail's witness.
fn recipient_stanzas(header: &Header) -> impl Iterator<Item = &Stanza> {
    header.recipients.iter().filter(|s| s.kind != crate::audit::witness::STANZA_TYPE)
}

/// The stanzas this version knows, described; the names of the others' types.
fn known(header: &Header) -> Result<(Known, Vec<&str>)> {
    let mut described = Vec::new();
    let mut unknown = Vec::new();
    for stanza in recipient_stanzas(header) {
        match protector(stanza) {
            Some(p) => described.push((p.encryption, (p.describe)(stanza)?)),
            None => unknown.push(stanza.kind.as_str()),
        }
    }
    Ok((described, unknown))
}

/// The checks that need to know the stanza types: a header whose known stanzas
/// disagree with the encryption it names, or that stores its key in the clear beside
/// other recipients, is refused as damaged.
pub fn check_recipients(header: &Header) -> Result<()> {
    let (described, _) = known(header)?;
    let damaged = |why: String| Err(Error::integrity(format!("The backup header is damaged: {why}.")));
    if header.encryption != EncryptionKind::Other && described.iter().any(|(kind, _)| *kind != header.encryption) {
        return damaged(format!("its recipients do not match its encryption kind {:?}", header.encryption.to_string()));
    }
    if described.iter().any(|(kind, _)| *kind == EncryptionKind::None) && recipient_stanzas(header).count() > 1 {
        return damaged("it stores its key in the clear beside other recipients".into());
    }
    Ok(())
}

/// Recovers the file key of a backup, or explains which identity it needs. Stanzas
/// of types this version does not know are skipped.
pub fn unwrap_file_key(header: &Header, identity: Option<&dyn Identity>) -> Result<FileKey> {
    check_recipients(header)?;
    if let Some(stanza) = header.recipients.iter().find(|s| s.kind == none::STANZA_TYPE) {
        return none::file_key(stanza);
    }
    let needed = describe_needed(header)?;
    let (described, unknown) = known(header)?;
    if described.is_empty() {
        return Err(Error::input(format!(
            "This backup can only be opened by a newer Lifeboat: it is encrypted to recipients of a kind this version does not know ({}).",
            unknown.join(", ")
        )));
    }
    let Some(identity) = identity else {
        return Err(Error::WrongIdentity(format!("This backup is encrypted; to open it give {needed}.")));
    };
    match identity.unwrap(&header.recipients)? {
        Some(key) => Ok(key),
        None => Err(Error::WrongIdentity(format!("The identity given ({}) cannot open this backup; it needs {needed}.", identity.describe()))),
    }
}

/// Public labels of a backup's recipients, for listings: thumbprints, key ids,
/// "passphrase", "none"; a type this version does not know by its name.
pub fn recipient_labels(header: &Header) -> Vec<String> {
    recipient_stanzas(header)
        .map(|stanza| match protector(stanza).map(|p| (p.describe)(stanza)) {
            Some(Ok(d)) => d.label,
            Some(Err(_)) => format!("{} (malformed)", stanza.kind),
            None => format!("{} (unknown to this version)", stanza.kind),
        })
        .collect()
}

/// Plain words for what opens a backup.
pub fn describe_needed(header: &Header) -> Result<String> {
    let (described, unknown) = known(header)?;
    let mut certs = Vec::new();
    let mut said = None;
    for (_, d) in described {
        match d.need {
            Need::Certificate(c) => certs.push(c),
            Need::Passphrase => {
                said.get_or_insert(format!("the passphrase that was set when it was made ({})", header.created_at.format("%Y-%m-%d %H:%M UTC")));
            }
            Need::Key(id) => {
                said.get_or_insert(format!("the legacy encryption key with id {id}"));
            }
            Need::Nothing => return Ok("nothing (it is not encrypted)".into()),
        }
    }
    let mut text = match (said, certs.as_slice()) {
        (Some(text), _) => text,
        (None, [one]) => format!("the private key (.pfx or PEM) of the certificate with thumbprint {one}"),
        (None, []) => "an identity this version of Lifeboat does not know".into(),
        (None, many) => format!("the private key (.pfx or PEM) of one of the certificates with thumbprints {}", many.join(", ")),
    };
    if !unknown.is_empty() && !text.starts_with("an identity") {
        text.push_str(&format!(" (it also has recipients of a kind this version does not know: {})", unknown.join(", ")));
    }
    Ok(text)
}
