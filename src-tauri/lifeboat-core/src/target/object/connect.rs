//! What an object-storage location is made of, checked as typed, and the store it
//! opens: an Azure storage account's container, or an S3-compatible bucket.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use object_store::aws::{AmazonS3Builder, Checksum};
use object_store::azure::MicrosoftAzureBuilder;
use object_store::path::Path;
use zeroize::Zeroizing;

use super::s3_uploads::S3Uploads;
use super::{limits, ObjectStorage, Service};
use crate::error::{Error, Result};

/// A container in an Azure storage account.
#[derive(Clone)]
pub struct AzureBlob {
    pub account: String,
    pub container: String,
    /// Folders inside the container, without leading or trailing slashes.
    pub prefix: String,
    /// For sovereign clouds and emulators (`https://acct.blob.core.chinacloudapi.cn`,
    /// `http://127.0.0.1:10000/devstoreaccount1`); the public cloud's otherwise.
    pub endpoint: Option<String>,
    pub key: Zeroizing<String>,
}

/// A bucket of an S3-compatible service.
#[derive(Clone)]
pub struct S3Bucket {
    /// None for Amazon S3 itself.
    pub endpoint: Option<String>,
    pub region: String,
    pub bucket: String,
    pub prefix: String,
    pub access_key_id: String,
    pub secret: Zeroizing<String>,
}

impl AzureBlob {
    pub fn describe(&self) -> String {
        let at = self.endpoint.as_deref().map(|e| format!(" at {e}")).unwrap_or_default();
        format!("Azure container {}/{}{}{at}", self.account, self.container, slash(&self.prefix))
    }

    pub fn open(&self, installation: &str, timeout: Duration) -> Result<ObjectStorage> {
        let (options, retry) = limits(timeout);
        let mut builder = MicrosoftAzureBuilder::new()
            .with_account(&self.account)
            .with_container_name(&self.container)
            .with_access_key(self.key.as_str())
            .with_retry(retry)
            .with_client_options(options.with_allow_http(self.endpoint.as_deref().is_some_and(|e| e.starts_with("http://"))));
        if let Some(endpoint) = &self.endpoint {
            builder = builder.with_endpoint(endpoint.clone());
        }
        let store = builder.build().map_err(|e| Error::input(format!("This Azure location cannot be used: {e}")))?;
        Ok(ObjectStorage {
            store: Arc::new(store),
            prefix: Path::from(self.prefix.as_str()),
            folder: folder(&self.prefix, installation),
            description: self.describe(),
            place: format!("the container {} of storage account {}", self.container, self.account),
            service: Service::Azure,
            uploads: None,
            timeout,
        })
    }
}

impl S3Bucket {
    pub fn describe(&self) -> String {
        let at = self.endpoint.as_deref().unwrap_or("Amazon S3");
        format!("S3 bucket {}{} at {at}", self.bucket, slash(&self.prefix))
    }

    pub fn open(&self, installation: &str, timeout: Duration) -> Result<ObjectStorage> {
        let (options, retry) = limits(timeout);
        let options = options.with_allow_http(self.endpoint.as_deref().is_some_and(|e| e.starts_with("http://")));
        let mut builder = AmazonS3Builder::new()
            .with_region(&self.region)
            .with_bucket_name(&self.bucket)
            .with_access_key_id(&self.access_key_id)
            .with_secret_access_key(self.secret.as_str())
            // The service checks every part's SHA-256 as it arrives.
            .with_checksum_algorithm(Checksum::SHA256)
            .with_retry(retry)
            .with_client_options(options.clone());
        if let Some(endpoint) = &self.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        let unusable = |e: object_store::Error| Error::input(format!("This S3 location cannot be used: {e}"));
        let store = Arc::new(builder.build().map_err(unusable)?);
        let uploads = S3Uploads::new(store.clone(), &options, self.endpoint.as_deref(), &self.region, &self.bucket);
        Ok(ObjectStorage {
            store,
            prefix: Path::from(self.prefix.as_str()),
            folder: folder(&self.prefix, installation),
            description: self.describe(),
            place: format!("the bucket {}", self.bucket),
            service: Service::S3,
            uploads: Some(Arc::new(uploads)),
            timeout,
        })
    }
}

/// A storage account name: 3 to 24 lowercase letters and digits.
pub fn check_account(account: &str) -> Result<String> {
    let account = account.trim();
    if !(3..=24).contains(&account.len()) || !account.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()) {
        return Err(Error::input("Give the storage account name: 3 to 24 lowercase letters and digits."));
    }
    Ok(account.to_owned())
}

/// A container name as Azure allows it.
pub fn check_container(container: &str) -> Result<String> {
    let container = container.trim();
    let valid = (3..=63).contains(&container.len())
        && container.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !container.starts_with('-')
        && !container.ends_with('-')
        && !container.contains("--");
    if !valid {
        return Err(Error::input("Give the container name: 3 to 63 lowercase letters, digits and single dashes, starting and ending with a letter or digit."));
    }
    Ok(container.to_owned())
}

/// A bucket name as S3 allows it.
pub fn check_bucket(bucket: &str) -> Result<String> {
    let bucket = bucket.trim();
    let valid = (3..=63).contains(&bucket.len())
        && bucket.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && bucket.starts_with(|c: char| c.is_ascii_alphanumeric())
        && bucket.ends_with(|c: char| c.is_ascii_alphanumeric());
    if !valid {
        return Err(Error::input("Give the bucket name: 3 to 63 lowercase letters, digits, dots and dashes, starting and ending with a letter or digit."));
    }
    Ok(bucket.to_owned())
}

/// A region (us-east-1 when none is given, as S3-compatible services expect).
pub fn check_region(region: &str) -> Result<String> {
    match region.trim() {
        "" => Ok("us-east-1".to_owned()),
        r if r.len() <= 64 && r.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') => Ok(r.to_owned()),
        _ => Err(Error::input("Give the region as the service names it, like eu-central-1 (empty for us-east-1).")),
    }
}

pub fn check_key_id(id: &str) -> Result<String> {
    let id = id.trim();
    if id.is_empty() || id.len() > 128 || !id.chars().all(|c| c.is_ascii_graphic()) {
        return Err(Error::input("Give the access key id as the service shows it."));
    }
    Ok(id.to_owned())
}

/// An Azure access key as the portal shows it: base64.
pub fn check_azure_key(key: &str) -> Result<()> {
    match base64::engine::general_purpose::STANDARD.decode(key.trim()) {
        Ok(bytes) if !bytes.is_empty() => Ok(()),
        _ => Err(Error::input("Give the storage account's access key as the portal shows it (base64, like 'Eby8vdM0…==').")),
    }
}

/// An endpoint URL, or none.
pub fn check_endpoint(endpoint: &str) -> Result<Option<String>> {
    let endpoint = endpoint.trim().trim_end_matches('/');
    if endpoint.is_empty() {
        return Ok(None);
    }
    let rest = endpoint.strip_prefix("https://").or_else(|| endpoint.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.starts_with('/') && !endpoint.chars().any(|c| c.is_whitespace() || c.is_control()) => Ok(Some(endpoint.to_owned())),
        _ => Err(Error::input("Give the endpoint as a URL, like https://s3.eu-central-1.example.com (or leave it empty).")),
    }
}

fn folder(prefix: &str, installation: &str) -> Path {
    let path = if prefix.is_empty() { installation.to_owned() } else { format!("{prefix}/{installation}") };
    Path::from(path)
}

fn slash(prefix: &str) -> String {
    if prefix.is_empty() {
        String::new()
    } else {
        format!("/{prefix}")
    }
}
