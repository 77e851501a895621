//! The fal HTTP client: catalog, schemas, pricing and docs. It knows nothing of MCP.

mod cache;
mod docs;
mod endpoint;
mod error;
mod key;
mod models;
mod pricing;
mod queue;
mod schema;
mod storage;

use std::{sync::Arc, time::Duration};

use reqwest::{RequestBuilder, header::AUTHORIZATION};
use serde::de::DeserializeOwned;
use url::Url;

pub use docs::{DocHit, DocsAnswer, DocsSource};
pub use endpoint::{EndpointId, RequestId};
pub use error::FalError;
pub use key::{FalKey, Fingerprint};
pub use models::{Model, ModelMetadata, ModelPage, ModelQuery};
pub use pricing::{Estimate, Price};
pub use queue::{CancelOutcome, LogLine, QueueStatus, Submitted, Waited};
pub use schema::{ModelSchema, compact_openapi};
pub use storage::UploadTarget;

/// Where each fal API lives; each may carry a path prefix.
#[derive(Debug, Clone)]
pub struct FalUrls {
    pub api: Url,
    pub queue: Url,
    pub rest: Url,
    pub docs: Url,
}

/// Settings for [`FalClient`].
#[derive(Debug, Clone)]
pub struct FalSettings {
    pub urls: FalUrls,
    pub timeout: Duration,
    pub cache_ttl: Duration,
}

/// A cheap-to-clone handle on one shared connection pool and cache.
#[derive(Clone)]
pub struct FalClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    urls: FalUrls,
    timeout_secs: u64,
    cache: cache::Caches,
}

impl FalClient {
    pub fn new(settings: FalSettings) -> Result<Self, String> {
        crate::install_tls();
        let http = reqwest::Client::builder()
            .user_agent(concat!("fal-mcp/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10).min(settings.timeout))
            .timeout(settings.timeout)
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_nodelay(true)
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                urls: settings.urls,
                timeout_secs: settings.timeout.as_secs(),
                cache: cache::Caches::new(settings.cache_ttl),
            }),
        })
    }

    fn urls(&self) -> &FalUrls {
        &self.inner.urls
    }

    fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// Sends a request carrying the caller's key (fal hosts only) and decodes a JSON answer.
    /// `route` names the call in logs and metrics: a template, never ids or keys.
    async fn send_json<T: DeserializeOwned>(
        &self,
        key: &FalKey,
        route: &'static str,
        request: RequestBuilder,
    ) -> Result<T, FalError> {
        let request = request.header(AUTHORIZATION, key.header_value());
        let (status, body) = self.send_bytes(route, request).await.map_err(|e| redact(e, key))?;
        serde_json::from_slice(&body).map_err(|e| FalError::Decode {
            status,
            detail: format!("not the expected JSON: {}", error::truncate(&e.to_string())),
        })
    }

    /// Sends a request whose answer the caller reads itself, recording the call until its headers.
    async fn send_timed(&self, route: &'static str, request: RequestBuilder) -> Result<reqwest::Response, FalError> {
        let started = std::time::Instant::now();
        let response = request.send().await.map_err(|e| FalError::from_reqwest(e, self.inner.timeout_secs));
        crate::telemetry::record_fal_call(
            route,
            response.as_ref().ok().map(|r| r.status().as_u16()),
            started.elapsed(),
        );
        response
    }

    /// Sends a request and returns the body of a success answer; any other answer becomes a [`FalError`].
    async fn send_bytes(
        &self,
        route: &'static str,
        request: RequestBuilder,
    ) -> Result<(reqwest::StatusCode, bytes::Bytes), FalError> {
        let started = std::time::Instant::now();
        let answer = self.send_bytes_untimed(request).await;
        let status = match &answer {
            Ok((status, _)) => Some(status.as_u16()),
            Err(e) => e.status(),
        };
        crate::telemetry::record_fal_call(route, status, started.elapsed());
        answer
    }

    async fn send_bytes_untimed(
        &self,
        request: RequestBuilder,
    ) -> Result<(reqwest::StatusCode, bytes::Bytes), FalError> {
        let timeout = self.inner.timeout_secs;
        let response = request.send().await.map_err(|e| FalError::from_reqwest(e, timeout))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(|e| FalError::from_reqwest(e, timeout))?;
        if !status.is_success() {
            return Err(FalError::from_response(status, &headers, &body));
        }
        Ok((status, body))
    }
}

fn redact(err: FalError, key: &FalKey) -> FalError {
    match err {
        FalError::Api { status, kind, message, retry_after } => {
            FalError::Api { status, kind, message: key.redact(&message), retry_after }
        }
        FalError::Decode { status, detail } => FalError::Decode { status, detail: key.redact(&detail) },
        other => other,
    }
}

/// Appends `path` to `base`, keeping any path prefix the base carries.
fn join(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let joined = format!("{}/{}", base.path().trim_end_matches('/'), path.trim_start_matches('/'));
    url.set_path(&joined);
    url.set_query(None);
    url
}

#[cfg(test)]
mod tests {
    use super::join;
    use url::Url;

    #[test]
    fn join_keeps_path_prefixes() {
        let base = Url::parse("http://127.0.0.1:9/fake/api/").unwrap();
        assert_eq!(join(&base, "/v1/models").as_str(), "http://127.0.0.1:9/fake/api/v1/models");
        let bare = Url::parse("https://api.fal.ai").unwrap();
        assert_eq!(join(&bare, "v1/models").as_str(), "https://api.fal.ai/v1/models");
    }
}
