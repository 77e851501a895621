//! The fal HTTP client: catalog and schemas, pricing, docs search, the queue (submit, follow,
//! result, cancel) and storage uploads. It knows nothing of MCP. Every request leaves through
//! [`FalClient::send`], which attaches the caller's key, times the call and redacts errors.

mod cache;
mod docs;
mod endpoint;
mod error;
mod key;
mod models;
mod pricing;
mod queue;
pub(crate) mod remedy;
mod schema;
mod storage;

use std::{sync::Arc, time::Duration};

use reqwest::{RequestBuilder, header::AUTHORIZATION};
use serde::de::DeserializeOwned;
use url::Url;

pub(crate) use docs::DocsSource;
pub(crate) use endpoint::{EndpointId, RequestId};
pub(crate) use error::FalError;
pub(crate) use key::{FalKey, Fingerprint};
pub(crate) use models::{Model, ModelPage, ModelQuery};
pub(crate) use pricing::Price;
pub(crate) use queue::{Job, JobState, QueueStatus, SubmitOptions, Submitted};
pub(crate) use schema::ModelSchema;

/// Where each fal API lives; each may carry a path prefix.
#[derive(Debug, Clone)]
pub(crate) struct FalUrls {
    pub(crate) api: Url,
    pub(crate) queue: Url,
    pub(crate) rest: Url,
    pub(crate) docs: Url,
}

/// Settings for [`FalClient`].
#[derive(Debug, Clone)]
pub(crate) struct FalSettings {
    pub(crate) urls: FalUrls,
    pub(crate) timeout: Duration,
    pub(crate) cache_ttl: Duration,
}

/// A cheap-to-clone handle on one shared connection pool and cache.
#[derive(Clone)]
pub(crate) struct FalClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    urls: FalUrls,
    timeout: Duration,
    cache: cache::Caches,
    /// Keys fal accepted recently (by fingerprint), so that proving a key costs one call in ten minutes.
    accepted: moka::future::Cache<Fingerprint, ()>,
}

impl FalClient {
    pub(crate) fn new(settings: FalSettings) -> Result<Self, String> {
        crate::tls::install();
        let http = reqwest::Client::builder()
            .user_agent(concat!("fal-mcp/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10).min(settings.timeout))
            .timeout(settings.timeout)
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_nodelay(true)
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let client = Self {
            inner: Arc::new(Inner {
                http,
                urls: settings.urls,
                timeout: settings.timeout,
                cache: cache::Caches::new(settings.cache_ttl),
                accepted: moka::future::Cache::builder()
                    .max_capacity(50_000)
                    .time_to_live(Duration::from_secs(600))
                    .build(),
            }),
        };
        client.keep_tidy(settings.cache_ttl);
        Ok(client)
    }

    /// Every half cache lifetime (at least 10 s), sweeps expired cache entries and returns freed
    /// memory to the system, for as long as the client lives (the task holds it weakly).
    fn keep_tidy(&self, ttl: Duration) {
        let period = (ttl / 2).max(Duration::from_secs(10));
        crate::background::every(&self.inner, period, |inner| async move { inner.cache.sweep().await });
    }

    fn urls(&self) -> &FalUrls {
        &self.inner.urls
    }

    fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// The one way a request reaches fal. Attaches `key` as fal's `Authorization: Key …` (callers
    /// pass none for hosts that must not see it), records the call for the request's log line
    /// and the metrics under `route` (a template, never ids or keys), and turns a non-success
    /// answer into a [`FalError`] with the key redacted, unless `any_status` asks for the answer as it is.
    async fn send(
        &self,
        route: &'static str,
        key: Option<&FalKey>,
        request: RequestBuilder,
        any_status: bool,
    ) -> Result<reqwest::Response, FalError> {
        let request = match key {
            Some(key) => request.header(AUTHORIZATION, key.header_value()),
            None => request,
        };
        let started = std::time::Instant::now();
        let sent = request.send().await;
        let status = sent.as_ref().ok().map(|r| r.status().as_u16());
        crate::telemetry::record_fal_call(route, status, started.elapsed());
        let response = sent.map_err(|e| FalError::from_reqwest(&e, self.inner.timeout.as_secs()))?;
        if any_status || response.status().is_success() {
            return Ok(response);
        }
        let (status, headers) = (response.status(), response.headers().clone());
        let body = response.bytes().await.unwrap_or_default();
        Err(FalError::from_response(status, &headers, &body, key))
    }

    /// [`send`](Self::send) for an answer read whole.
    async fn bytes(
        &self,
        route: &'static str,
        key: Option<&FalKey>,
        request: RequestBuilder,
    ) -> Result<(reqwest::StatusCode, bytes::Bytes), FalError> {
        let response = self.send(route, key, request, false).await?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| FalError::from_reqwest(&e, self.inner.timeout.as_secs()))?;
        Ok((status, body))
    }

    /// [`send`](Self::send) for a JSON answer of type `T`.
    async fn json<T: DeserializeOwned>(
        &self,
        route: &'static str,
        key: Option<&FalKey>,
        request: RequestBuilder,
    ) -> Result<T, FalError> {
        let (status, body) = self.bytes(route, key, request).await?;
        serde_json::from_slice(&body).map_err(|e| FalError::decode(status, &format!("not the expected JSON: {e}"), key))
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
