//! The multipart uploads S3 holds for one key. An upload is aborted by its id, which
//! S3 gives only when it creates the upload; a process killed between that answer
//! and writing the id into the upload's marker leaves an upload whose id nobody has
//! (object_store has no call to list uploads). Its marker says which key it was for,
//! so the next backup asks S3 for that key's uploads (ListMultipartUploads, signed as
//! object_store signs its own requests) and aborts them.

use std::sync::{Arc, OnceLock};

use object_store::aws::{AmazonS3, AwsAuthorizer};
use object_store::client::{HttpClient, HttpConnector, HttpRequest, HttpRequestBody, ReqwestConnector};
use object_store::path::Path;
use object_store::{ClientOptions, MultipartId};
use serde::Deserialize;

pub(super) struct S3Uploads {
    store: Arc<AmazonS3>,
    options: ClientOptions,
    /// Made on first use: only a clean-up after a kill needs it, and every opening
    /// of the location would otherwise build an HTTP client for nothing.
    client: OnceLock<HttpClient>,
    /// `https://s3.{region}.amazonaws.com/{bucket}` or `{endpoint}/{bucket}`, as
    /// object_store addresses the bucket (path-style).
    bucket_url: String,
    region: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListMultipartUploadsResult {
    #[serde(default)]
    upload: Vec<UploadListed>,
    #[serde(default)]
    is_truncated: bool,
    next_key_marker: Option<String>,
    next_upload_id_marker: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UploadListed {
    key: String,
    upload_id: String,
}

impl S3Uploads {
    pub fn new(store: Arc<AmazonS3>, options: &ClientOptions, endpoint: Option<&str>, region: &str, bucket: &str) -> Self {
        let bucket_url = match endpoint {
            Some(endpoint) => format!("{}/{bucket}", endpoint.trim_end_matches('/')),
            None => format!("https://s3.{region}.amazonaws.com/{bucket}"),
        };
        S3Uploads { store, options: options.clone(), client: OnceLock::new(), bucket_url, region: region.to_owned() }
    }

    /// The ids of the uploads in progress for exactly `key`.
    pub async fn ids_of(&self, key: &Path) -> object_store::Result<Vec<MultipartId>> {
        let client = match self.client.get() {
            Some(client) => client,
            None => {
                let made = ReqwestConnector::default().connect(&self.options)?;
                self.client.get_or_init(|| made)
            }
        };
        let credential = self.store.credentials().get_credential().await?;
        let mut ids = Vec::new();
        let mut after: Option<(String, String)> = None;
        loop {
            let mut url = url::Url::parse(&self.bucket_url).map_err(|e| generic(format!("the bucket's address: {e}")))?;
            url.query_pairs_mut().append_pair("uploads", "").append_pair("prefix", key.as_ref());
            if let Some((key_marker, id_marker)) = &after {
                url.query_pairs_mut().append_pair("key-marker", key_marker).append_pair("upload-id-marker", id_marker);
            }
            let mut request = HttpRequest::new(HttpRequestBody::empty());
            *request.uri_mut() = url.as_str().parse().map_err(|e| generic(format!("the bucket's address: {e}")))?;
            AwsAuthorizer::new(&credential, "s3", &self.region).try_authorize(&mut request, None)?;
            let response = client.execute(request).await.map_err(|e| generic(e.to_string()))?;
            let status = response.status();
            let body = response.into_body().bytes().await.map_err(|e| generic(e.to_string()))?;
            if !status.is_success() {
                return Err(generic(format!("listing the uploads of {key} answered {status}: {}", String::from_utf8_lossy(&body))));
            }
            let listed: ListMultipartUploadsResult = quick_xml::de::from_reader(body.as_ref()).map_err(|e| generic(format!("the list of uploads does not parse: {e}")))?;
            ids.extend(listed.upload.into_iter().filter(|u| u.key == key.as_ref()).map(|u| u.upload_id));
            match (listed.is_truncated, listed.next_key_marker, listed.next_upload_id_marker) {
                (true, Some(key_marker), Some(id_marker)) => after = Some((key_marker, id_marker)),
                _ => return Ok(ids),
            }
        }
    }
}

fn generic(message: String) -> object_store::Error {
    object_store::Error::Generic { store: "S3", source: message.into() }
}
