//! Object storage: Azure Blob Storage and S3-compatible services through the
//! `object_store` crate. Each installation's backups live under
//! `{prefix}/{installation id}/`, so several installations can share a container.
//! A backup is a multipart upload that becomes visible only when it is completed, and
//! is listed only once it is checked (see `pending`); an upload that fails is
//! discarded, and one cut off by a kill is discarded by the next backup. Headers are
//! read with ranged GETs, never whole backups. Every request has a timeout and the
//! crate retries transient failures with backoff.

mod connect;
mod pending;
mod reader;
mod s3_uploads;
mod upload;

pub use connect::{check_account, check_azure_key, check_bucket, check_container, check_endpoint, check_key_id, check_region, AzureBlob, S3Bucket};

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures_util::stream::{self, StreamExt};
use object_store::multipart::MultipartStore;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};

use super::{check_backup_name, probe_name, ReadSeek, StoredFile, Target, Upload};
use crate::error::{Error, LocationProblem, Result};

/// Header reads in flight at once when a listing meets backups it has not seen.
const HEADS_IN_FLIGHT: usize = 32;

/// What Lifeboat needs of a service: objects, and multipart uploads by id, so that
/// an upload cut off by a kill can be found and discarded by the next run.
pub(super) trait Store: ObjectStore + MultipartStore {}
impl<T: ObjectStore + MultipartStore> Store for T {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Service {
    Azure,
    S3,
}

impl Service {
    /// Whether a finished upload is read back and compared: S3 checks each part's
    /// SHA-256 as it arrives; Azure Blob gets no checksum from the client crate.
    fn reads_back(self) -> bool {
        self == Service::Azure
    }
}

/// A container or bucket, scoped to one installation's folder in it.
pub struct ObjectStorage {
    store: Arc<dyn Store>,
    service: Service,
    /// S3's uploads by key, for those a kill left without their id.
    uploads: Option<Arc<s3_uploads::S3Uploads>>,
    /// `{prefix}`: where every installation's folder is.
    prefix: Path,
    /// `{prefix}/{installation}`.
    folder: Path,
    description: String,
    /// What the store is, for messages ("container backups of account acme").
    place: String,
    /// Each request's.
    timeout: Duration,
}

impl ObjectStorage {
    fn key(&self, name: &str) -> Path {
        self.folder.clone().join(name)
    }

    fn explain(&self, e: object_store::Error, doing: &str) -> Error {
        explain(e, doing, &self.place)
    }
}

/// Runs `work` on the object-storage runtime and waits for it. A thread of another
/// tokio runtime (the desktop's commands) may not block on this one, so such a
/// caller gets a scoped thread of its own for the wait.
fn block<T: Send>(work: impl Future<Output = T> + Send) -> T {
    let runtime = runtime();
    if tokio::runtime::Handle::try_current().is_err() {
        return runtime.block_on(work);
    }
    std::thread::scope(|scope| scope.spawn(|| runtime.block_on(work)).join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
}

/// One runtime for every object-storage target in the process: its workers keep
/// uploads and read-ahead going while the caller's thread encrypts or writes.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).thread_name("object-storage").enable_all().build().expect("the object-storage runtime starts")
    })
}

/// An `object_store` failure in the administrator's words, with a stable code.
fn explain(e: object_store::Error, doing: &str, place: &str) -> Error {
    use object_store::Error as E;
    match &e {
        E::NotFound { .. } => Error::location(
            LocationProblem::FolderNotFound,
            format!("{doing}: {place} was not found. Check the name, and create the container or bucket first: Lifeboat does not create it."),
        ),
        E::Unauthenticated { .. } => Error::location(LocationProblem::WrongCredentials, format!("{doing}: {place} refused the credentials; check the access key.")),
        E::PermissionDenied { .. } => {
            Error::location(LocationProblem::AccessDenied, format!("{doing}: {place} refused access; check the access key and that it may read, write and delete there."))
        }
        _ => {
            let text = error_chain(&e);
            let lower = text.to_ascii_lowercase();
            let refused = ["authenticationfailed", "signaturedoesnotmatch", "invalidaccesskeyid", "401 unauthorized", "403 forbidden"];
            let full = ["storagefull", "quotaexceeded", "insufficient storage", "insufficientstorage"];
            let problem = if answered_status(&e) == Some(507) || full.iter().any(|f| lower.contains(f)) {
                LocationProblem::DiskFull
            } else if refused.iter().any(|r| lower.contains(r)) {
                LocationProblem::WrongCredentials
            } else if lower.contains("containernotfound") || lower.contains("nosuchbucket") {
                LocationProblem::FolderNotFound
            } else if lower.contains("timed out") {
                LocationProblem::TimedOut
            } else if ["error sending request", "error send", "connect", "dns", "resolve"].iter().any(|m| lower.contains(m)) {
                LocationProblem::ServerUnreachable
            } else {
                LocationProblem::ConnectionLost
            };
            let what = match problem {
                LocationProblem::WrongCredentials => format!("{place} refused the credentials; check the access key"),
                LocationProblem::FolderNotFound => {
                    format!("{place} was not found; check the name, and create the container or bucket first (Lifeboat does not create it)")
                }
                LocationProblem::DiskFull => format!("{place} refused the upload: it is full or over its quota"),
                LocationProblem::TimedOut => format!("{place} did not answer in time"),
                LocationProblem::ServerUnreachable => format!("{place} cannot be reached; check the endpoint and the network"),
                _ => format!("{place} failed"),
            };
            Error::location(problem, format!("{doing}: {what} ({}).", first_line(&text)))
        }
    }
}

/// The HTTP status the service answered with, when it answered (the crate keeps
/// its error type private, so read from the text it gives).
fn answered_status(e: &object_store::Error) -> Option<u16> {
    let text = error_chain(e);
    let after = text.split("status code: ").nth(1)?;
    after.get(..3)?.parse().ok()
}

/// Whether the service answered a request by refusing it (a 4xx, or 507 for a
/// full store): it keeps nothing of it. Other 5xx answers and lost connections
/// leave open whether it will store what was sent.
pub(super) fn refused(e: &object_store::Error) -> bool {
    use object_store::Error as E;
    matches!(e, E::PermissionDenied { .. } | E::Unauthenticated { .. } | E::Precondition { .. } | E::AlreadyExists { .. })
        || answered_status(e).is_some_and(|status| (400..500).contains(&status) || status == 507)
}

/// The error and its causes on one line (the crate nests the HTTP error inside).
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    text
}

fn first_line(text: &str) -> &str {
    let line = text.lines().next().unwrap_or(text);
    match line.char_indices().nth(300) {
        Some((cut, _)) => &line[..cut],
        None => line,
    }
}

/// A prefix as typed: slash-separated names without empty, `.` or `..` parts.
pub fn check_prefix(prefix: &str) -> Result<String> {
    let trimmed = prefix.trim().trim_matches('/');
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    let bad = trimmed.split('/').any(|part| part.is_empty() || part == "." || part == ".." || part.chars().any(|c| c.is_control() || c == '\\'));
    if bad || trimmed.len() > 512 {
        return Err(Error::input("Give the prefix as folder names separated by /, like backups/workstations (no empty, . or .. parts)."));
    }
    Ok(trimmed.to_owned())
}

impl Target for ObjectStorage {
    fn describe(&self) -> String {
        self.description.clone()
    }

    fn list(&self) -> Result<Vec<StoredFile>> {
        let listed = block(self.store.list_with_delimiter(Some(&self.folder))).map_err(|e| self.explain(e, "Listing the backups"))?;
        let names = || listed.objects.iter().filter_map(|meta| meta.location.filename().map(|name| (name, meta.size)));
        let unconfirmed: std::collections::HashSet<&str> = names().filter_map(|(name, _)| pending::marked_name(name)).collect();
        let mut files: Vec<StoredFile> =
            names().filter(|&(name, _)| check_backup_name(name).is_ok() && !unconfirmed.contains(name)).map(|(name, size)| StoredFile { name: name.to_owned(), size }).collect();
        files.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(files)
    }

    fn open(&self, name: &str) -> Result<Box<dyn ReadSeek>> {
        check_backup_name(name)?;
        let key = self.key(name);
        let meta = block(self.store.head(&key)).map_err(|e| match e {
            object_store::Error::NotFound { .. } => Error::input(format!("{name} is not at {}.", self.description)),
            e => self.explain(e, &format!("Opening {name}")),
        })?;
        Ok(Box::new(reader::ObjectReader::new(self.store.clone(), key, meta.size, self.place.clone(), self.timeout)))
    }

    fn create(&self, name: &str) -> Result<Box<dyn Upload>> {
        check_backup_name(name)?;
        Ok(Box::new(upload::ObjectUpload::new(self.store.clone(), self.service, self.uploads.clone(), &self.folder, name, self.place.clone(), self.timeout)))
    }

    fn delete(&self, name: &str) -> Result<()> {
        check_backup_name(name)?;
        pending::gone(block(self.store.delete(&self.key(name)))).map_err(|e| self.explain(e, &format!("Deleting {name}")))
    }

    /// Object storage has no free space to speak of.
    fn free_space(&self) -> Result<Option<u64>> {
        Ok(None)
    }

    /// What a killed process left: uploads still marked (their parts, blocks or
    /// unconfirmed object, then the marker) and probe files.
    fn remove_incomplete(&self) -> Result<Vec<String>> {
        let listed = block(self.store.list_with_delimiter(Some(&self.folder))).map_err(|e| self.explain(e, "Listing the backups"))?;
        let mut removed = Vec::new();
        for meta in listed.objects {
            let Some(file) = meta.location.filename() else { continue };
            if let Some(name) = pending::marked_name(file) {
                let store = self.store.as_ref();
                let discarded = block(async {
                    let id = String::from_utf8_lossy(&store.get(&meta.location).await?.bytes().await?).into_owned();
                    pending::discard(store, self.service, self.uploads.as_deref(), &self.key(name), &id).await?;
                    pending::gone(store.delete(&meta.location).await)
                });
                // Still marked, so still not listed: the next backup tries again.
                match discarded {
                    Ok(()) => removed.push(name.to_owned()),
                    Err(e) => tracing::warn!("{}", self.explain(e, &format!("Discarding the unfinished upload of {name}"))),
                }
            } else if file.starts_with(".lifeboat-probe-") && block(self.store.delete(&meta.location)).is_ok() {
                removed.push(file.to_owned());
            }
        }
        Ok(removed)
    }

    /// Writes a small object (only if absent), reads it back and deletes it.
    fn check_writable(&self) -> Result<()> {
        let key = self.key(&probe_name());
        let content = format!("Lifeboat checks it can write here ({}).", std::process::id());
        let options = PutOptions { mode: PutMode::Create, ..Default::default() };
        let wrote = block(self.store.put_opts(&key, PutPayload::from(content.clone().into_bytes()), options));
        if let Err(e) = wrote {
            if !matches!(e, object_store::Error::AlreadyExists { .. }) {
                return Err(self.explain(e, "Writing a test file"));
            }
            block(self.store.put(&key, PutPayload::from(content.clone().into_bytes()))).map_err(|e| self.explain(e, "Writing a test file"))?;
        }
        let back = block(async { self.store.get(&key).await?.bytes().await }).map_err(|e| self.explain(e, "Reading the test file back"));
        let deleted = block(self.store.delete(&key)).map_err(|e| self.explain(e, "Deleting the test file"));
        if back?.as_ref() != content.as_bytes() {
            return Err(Error::location(LocationProblem::ConnectionLost, format!("{} returned other bytes than were written.", self.place)));
        }
        deleted
    }

    /// Prefixes need no creating; the container or bucket must exist already.
    fn create_folder(&self) -> Result<()> {
        self.list().map(drop)
    }

    fn installations(&self) -> Result<Vec<String>> {
        let listed = block(self.store.list_with_delimiter(Some(&self.prefix))).map_err(|e| self.explain(e, "Listing the installations"))?;
        let mut ids: Vec<String> = listed.common_prefixes.iter().filter_map(|p| p.filename().map(str::to_owned)).filter(|id| uuid::Uuid::parse_str(id).is_ok()).collect();
        ids.sort();
        Ok(ids)
    }

    fn of_installation(&self, id: &str) -> Result<Box<dyn Target>> {
        let id = uuid::Uuid::parse_str(id.trim()).map_err(|_| Error::input(format!("{id:?} is not an installation id (a UUID, as `lifeboat fleet status` lists them).")))?;
        let id = id.to_string();
        Ok(Box::new(ObjectStorage {
            store: self.store.clone(),
            prefix: self.prefix.clone(),
            folder: self.prefix.clone().join(id.as_str()),
            description: format!("{} (installation {id})", self.description),
            place: self.place.clone(),
            service: self.service,
            uploads: self.uploads.clone(),
            timeout: self.timeout,
        }))
    }

    fn heads(&self, names: &[String], max: usize) -> Vec<Result<Vec<u8>>> {
        let store = &self.store;
        block(
            stream::iter(names.iter().map(|name| async move {
                match store.get_range(&self.key(name), 0..max as u64).await {
                    Ok(bytes) => Ok(bytes.to_vec()),
                    // An empty object has no range to give.
                    Err(e) if error_chain(&e).contains("416 Range Not Satisfiable") => Ok(Vec::new()),
                    Err(e) => Err(self.explain(e, &format!("Reading the header of {name}"))),
                }
            }))
            .buffered(HEADS_IN_FLIGHT)
            .collect::<Vec<_>>(),
        )
    }
}

/// Request limits for every store: the caller's network timeout per request, and
/// retries with backoff within it.
fn limits(timeout: Duration) -> (object_store::ClientOptions, object_store::RetryConfig) {
    let options = object_store::ClientOptions::new().with_timeout(timeout).with_connect_timeout(timeout.min(Duration::from_secs(10)));
    let retry = object_store::RetryConfig { max_retries: 4, retry_timeout: timeout, ..Default::default() };
    (options, retry)
}
