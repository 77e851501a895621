//! Uploads to fal's CDN: initiate (`POST /storage/upload/initiate`) for a signed URL, then PUT the bytes.

use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE};
use serde::Deserialize;
use serde_json::json;

use super::{FalClient, FalError, FalKey, join};

/// Where to PUT the bytes, and the public URL they will have.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct UploadTarget {
    pub(crate) upload_url: String,
    pub(crate) file_url: String,
}

impl FalClient {
    pub(crate) async fn initiate_upload(
        &self,
        key: &FalKey,
        content_type: &str,
        file_name: &str,
    ) -> Result<UploadTarget, FalError> {
        let request = self
            .http()
            .post(join(&self.urls().rest, "storage/upload/initiate"))
            .query(&[("storage_type", "fal-cdn-v3")])
            .json(&json!({ "content_type": content_type, "file_name": file_name }));
        self.json("POST storage/upload/initiate", Some(key), request).await
    }

    /// PUTs `body` to the signed URL fal gave; the caller's key is not sent there.
    pub(crate) async fn put_upload(
        &self,
        target: &UploadTarget,
        content_type: &str,
        length: Option<u64>,
        body: reqwest::Body,
    ) -> Result<(), FalError> {
        let timeout = self.inner.timeout * 5;
        let mut request =
            self.http().put(&target.upload_url).header(CONTENT_TYPE, content_type).timeout(timeout).body(body);
        if let Some(length) = length {
            request = request.header(CONTENT_LENGTH, length);
        }
        // The signed URL is its own credential: the caller's key is not sent there.
        self.bytes("PUT {upload_url}", None, request).await.map(|_| ())
    }
}
