//! Uploads not yet confirmed. Before its first request for the backup, an upload
//! writes a marker object beside it (`.lifeboat-upload-NAME`, empty, then holding
//! the multipart upload's id once the service gave one) and removes it only once
//! the backup is complete and checked. While the marker is there the backup is not
//! listed, however far the upload got; and a marker a killed process left tells the
//! next run what to discard: the service keeps a dead multipart upload's parts (and
//! bills them) until someone aborts it.

use object_store::path::Path;
use object_store::MultipartId;
use object_store::ObjectStoreExt;

use super::s3_uploads::S3Uploads;
use super::{error_chain, Service, Store};
use crate::target::check_backup_name;

const MARKER_PREFIX: &str = ".lifeboat-upload-";

/// The marker of the upload of `name` in `folder`.
pub fn marker(folder: &Path, name: &str) -> Path {
    folder.clone().join(format!("{MARKER_PREFIX}{name}"))
}

/// The backup name a marker object stands for, if it is one. A marker naming
/// anything but a backup file (written by hand, or by something else) is ignored:
/// the clean-up deletes only what an upload of ours could have left.
pub fn marked_name(file_name: &str) -> Option<&str> {
    file_name.strip_prefix(MARKER_PREFIX).filter(|name| check_backup_name(name).is_ok())
}

/// Everything an unconfirmed upload put at `path` goes: its parts or blocks and
/// the object itself if it was completed. Only called under the installation's
/// lock, for a name only this installation writes. On S3 an upload whose id was
/// not written down (killed right after creating it) is found by its key.
pub async fn discard(store: &dyn Store, service: Service, uploads: Option<&S3Uploads>, path: &Path, id: &MultipartId) -> object_store::Result<()> {
    let ids = match (uploads, id.is_empty()) {
        (Some(uploads), true) => uploads.ids_of(path).await?,
        (None, true) => Vec::new(),
        (_, false) => vec![id.clone()],
    };
    for id in &ids {
        if let Err(e) = store.abort_multipart(path, id).await {
            // Completed or aborted already: nothing to abort.
            if !(matches!(e, object_store::Error::NotFound { .. }) || error_chain(&e).contains("NoSuchUpload")) {
                return Err(e);
            }
        }
    }
    match store.head(path).await {
        Ok(_) => gone(store.delete(path).await),
        // Azure keeps uncommitted blocks for a week unless the blob is written: an
        // empty commit drops them (the empty blob is never listed, and is deleted).
        Err(object_store::Error::NotFound { .. }) if service == Service::Azure => {
            store.complete_multipart(path, &MultipartId::new(), Vec::new()).await?;
            gone(store.delete(path).await)
        }
        Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

/// A delete that found nothing to delete did its job.
pub fn gone(deleted: object_store::Result<()>) -> object_store::Result<()> {
    match deleted {
        Err(object_store::Error::NotFound { .. }) => Ok(()),
        other => other,
    }
}
