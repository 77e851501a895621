//! Fetching caller-supplied URLs without reaching private space: the URL and every redirect are
//! checked, every resolved address is filtered and the connection goes to an address that passed
//! (reqwest connects to what the resolver returns, so there is no second lookup), redirects stop at
//! five, and bodies are capped while they stream.

mod guard;

use std::{
    error::Error as _,
    fmt,
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use reqwest::{
    dns::{Addrs, Name, Resolve, Resolving},
    redirect,
};
use url::Url;

pub(crate) use guard::{check_url, forbidden};

const MAX_REDIRECTS: usize = 5;

/// A refusal to fetch, raised before any connection to the refused place.
#[derive(Debug, Clone)]
pub(crate) struct Refusal(pub String);

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refusal {}

#[derive(Debug, thiserror::Error)]
pub(crate) enum FetchError {
    #[error("{0}")]
    Refused(String),
    #[error("the file is larger than this server's limit of {}", crate::text::bytes(*limit))]
    TooLarge { limit: u64 },
    #[error("the URL answered HTTP {0}")]
    Status(u16),
    #[error("the URL did not answer within {0} s")]
    Timeout(u64),
    #[error("the URL could not be fetched ({0})")]
    Network(String),
}

/// A response whose status and size passed the checks; read it with [`capped_body`].
pub(crate) struct Fetched {
    pub(crate) response: reqwest::Response,
    pub(crate) final_url: Url,
    pub(crate) content_type: Option<String>,
}

/// An HTTP client for untrusted URLs.
#[derive(Clone)]
pub(crate) struct Fetcher {
    client: reqwest::Client,
    /// The same, never following a redirect (documents that must come from exactly their URL).
    direct: reqwest::Client,
    allow_private: bool,
    max_bytes: u64,
    timeout: Duration,
}

impl Fetcher {
    /// `allow_private` lifts the address checks (for local testing only).
    pub(crate) fn new(allow_private: bool, max_bytes: u64, timeout: Duration) -> Result<Self, String> {
        crate::tls::install();
        let policy = redirect::Policy::custom(move |attempt| {
            match check_redirect(attempt.previous().len(), attempt.url(), allow_private) {
                Ok(()) => attempt.follow(),
                Err(refusal) => attempt.error(refusal),
            }
        });
        let build = |policy: redirect::Policy| {
            let mut builder = reqwest::Client::builder()
                .user_agent(concat!("fal-mcp/", env!("CARGO_PKG_VERSION")))
                .redirect(policy)
                .no_proxy()
                .connect_timeout(Duration::from_secs(10).min(timeout))
                .timeout(timeout);
            if !allow_private {
                builder = builder.dns_resolver(Arc::new(GuardedResolver));
            }
            builder.build().map_err(|e| format!("cannot build the fetch client: {e}"))
        };
        Ok(Self { client: build(policy)?, direct: build(redirect::Policy::none())?, allow_private, max_bytes, timeout })
    }

    /// GETs `raw` from exactly that URL (a redirect is refused) within `deadline`; only a 200
    /// answer passes.
    pub(crate) async fn get_direct(&self, raw: &str, deadline: Duration) -> Result<Fetched, FetchError> {
        let url = Url::parse(raw).map_err(|e| FetchError::Refused(format!("'{raw}' is not a valid URL ({e})")))?;
        check_url(&url, self.allow_private).map_err(FetchError::Refused)?;
        let sent = self.direct.get(url).timeout(deadline).send().await;
        let response = sent.map_err(|e| match self.classify(e) {
            FetchError::Timeout(_) => FetchError::Timeout(deadline.as_secs()),
            other => other,
        })?;
        if response.status().is_redirection() {
            return Err(FetchError::Refused(format!(
                "the URL answered a redirect (HTTP {}), which is not followed here",
                response.status().as_u16()
            )));
        }
        if response.status() != reqwest::StatusCode::OK {
            return Err(FetchError::Status(response.status().as_u16()));
        }
        Ok(fetched(response))
    }

    pub(crate) fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// GETs `raw` after checking it; refuses non-2xx answers and declared sizes over the cap.
    pub(crate) async fn get(&self, raw: &str) -> Result<Fetched, FetchError> {
        let url = Url::parse(raw).map_err(|e| FetchError::Refused(format!("'{raw}' is not a valid URL ({e})")))?;
        check_url(&url, self.allow_private).map_err(FetchError::Refused)?;
        let response = self.client.get(url).send().await.map_err(|e| self.classify(e))?;
        if !response.status().is_success() {
            return Err(FetchError::Status(response.status().as_u16()));
        }
        if response.content_length().is_some_and(|len| len > self.max_bytes) {
            return Err(FetchError::TooLarge { limit: self.max_bytes });
        }
        Ok(fetched(response))
    }

    fn classify(&self, error: reqwest::Error) -> FetchError {
        let mut source = error.source();
        while let Some(cause) = source {
            if let Some(refusal) = cause.downcast_ref::<Refusal>() {
                return FetchError::Refused(refusal.0.clone());
            }
            source = cause.source();
        }
        if error.is_timeout() {
            FetchError::Timeout(self.timeout.as_secs())
        } else if error.is_redirect() {
            FetchError::Refused(format!("the URL redirected more than {MAX_REDIRECTS} times"))
        } else if error.is_connect() {
            FetchError::Network("connection failed".into())
        } else {
            FetchError::Network("request failed".into())
        }
    }
}

/// Whether to follow a redirect to `next`, given how many URLs were already requested.
pub(crate) fn check_redirect(already_requested: usize, next: &Url, allow_private: bool) -> Result<(), Refusal> {
    if already_requested > MAX_REDIRECTS {
        return Err(Refusal(format!("the URL redirected more than {MAX_REDIRECTS} times")));
    }
    check_url(next, allow_private).map_err(|why| Refusal(format!("a redirect was refused: {why}")))
}

/// The body as a stream that fails once more than `max` bytes have passed; `seen` counts them.
pub(crate) fn capped_body(
    response: reqwest::Response,
    max: u64,
    seen: Arc<AtomicU64>,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    response.bytes_stream().map(move |chunk| {
        let chunk = chunk.map_err(std::io::Error::other)?;
        let total = seen.fetch_add(chunk.len() as u64, Ordering::Relaxed) + chunk.len() as u64;
        if total > max {
            return Err(std::io::Error::other(format!(
                "the file is larger than this server's limit of {}",
                crate::text::bytes(max)
            )));
        }
        Ok(chunk)
    })
}

/// Resolves names and keeps only addresses that may be fetched; none left is a refusal.
struct GuardedResolver;

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed = allowed_addresses(&host, found)?;
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// The addresses of `host` that are not refused, or a refusal naming why none is left.
pub(crate) fn allowed_addresses(host: &str, found: Vec<SocketAddr>) -> Result<Vec<SocketAddr>, Refusal> {
    let first_refusal = found.iter().find_map(|a| forbidden(a.ip()));
    let allowed: Vec<SocketAddr> = found.into_iter().filter(|a| forbidden(a.ip()).is_none()).collect();
    if allowed.is_empty() {
        return Err(Refusal(match first_refusal {
            Some(why) => format!("{host} resolves to {why}"),
            None => format!("{host} does not resolve"),
        }));
    }
    Ok(allowed)
}

/// A response, with its media type read (lowercase, without parameters).
fn fetched(response: reqwest::Response) -> Fetched {
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .filter(|v| !v.is_empty());
    Fetched { final_url: response.url().clone(), content_type, response }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs(ips: &[&str]) -> Vec<SocketAddr> {
        ips.iter().map(|ip| SocketAddr::new(ip.parse().unwrap(), 0)).collect()
    }

    #[test]
    fn redirects_into_private_space_or_past_five_hops_are_refused() {
        let url = |s: &str| Url::parse(s).unwrap();
        for target in [
            "http://169.254.169.254/latest/meta-data/iam/",
            "http://127.0.0.1:6379/",
            "http://[::ffff:10.0.0.1]/",
            "http://metadata.localhost/",
            "http://0x0a000001/",
            "file:///etc/shadow",
        ] {
            let refusal = check_redirect(1, &url(target), false).unwrap_err();
            assert!(refusal.0.starts_with("a redirect was refused"), "{target}: {refusal}");
        }
        assert!(check_redirect(1, &url("https://cdn.example.com/a.png"), false).is_ok());
        assert!(
            check_redirect(5, &url("https://cdn.example.com/a.png"), false).is_ok(),
            "the fifth redirect is followed"
        );
        assert!(check_redirect(6, &url("https://cdn.example.com/a.png"), false).unwrap_err().0.contains("more than 5"));
    }

    #[test]
    fn resolved_private_addresses_are_dropped_or_refused() {
        let refused = allowed_addresses("rebind.example", addrs(&["10.0.0.5", "169.254.169.254"])).unwrap_err();
        assert!(refused.0.contains("rebind.example resolves to a private address"), "{refused}");
        let mixed = allowed_addresses("mixed.example", addrs(&["127.0.0.1", "93.184.216.34"])).unwrap();
        assert_eq!(mixed, addrs(&["93.184.216.34"]), "only the public address is ever connected to");
        assert!(allowed_addresses("v6.example", addrs(&["::ffff:192.168.0.1", "fd00::1"])).is_err());
        assert!(allowed_addresses("none.example", vec![]).unwrap_err().0.contains("does not resolve"));
    }
}
