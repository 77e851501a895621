//! Who is asking: a client registered here (its `client_id` is the sealed registration) or a
//! client that names itself by the https URL of its metadata document (CIMD), fetched through the
//! guarded fetcher, size-capped and cached briefly. Also the rules for redirect URIs.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use url::Url;

use super::{OAuth, is_loopback, seal::Kind};
use crate::text::shown;

/// Most redirect URIs one client may have, and the longest one.
pub(super) const MAX_REDIRECTS: usize = 10;
pub(super) const MAX_REDIRECT_LEN: usize = 512;
/// Largest client metadata document read.
const MAX_DOCUMENT: u64 = 16 * 1024;

/// A client, as the sign-in and token endpoints know it.
#[derive(Debug, Clone)]
pub(super) struct Client {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) redirect_uris: Vec<String>,
}

/// What a registered client's id seals.
#[derive(Serialize, Deserialize)]
pub(super) struct Registration {
    pub(super) redirect_uris: Vec<String>,
    pub(super) client_name: Option<String>,
    pub(super) iat: u64,
}

/// A redirect URI this server will send codes to: https, or http on a loopback host; no fragment.
pub(super) fn check_redirect_uri(raw: &str) -> Result<Url, String> {
    if raw.len() > MAX_REDIRECT_LEN {
        return Err(format!("a redirect URI is longer than {MAX_REDIRECT_LEN} characters"));
    }
    let url = Url::parse(raw).map_err(|e| format!("redirect URI '{}' is not a URL ({e})", shown(raw)))?;
    if url.fragment().is_some() {
        return Err(format!("redirect URI '{}' has a fragment", shown(raw)));
    }
    match url.scheme() {
        "https" if url.host().is_some() => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        _ => Err(format!("redirect URI '{}' must be https, or http on a loopback host", shown(raw))),
    }
}

/// Whether `asked` may receive the code for a client that registered `registered`: exactly equal,
/// except that a loopback URI may name any port (RFC 8252 §7.3: native clients pick one).
pub(super) fn redirect_matches(registered: &[String], asked: &str) -> bool {
    let Ok(asked_url) = Url::parse(asked) else { return false };
    registered.iter().any(|r| {
        if r == asked {
            return true;
        }
        let Ok(r) = Url::parse(r) else { return false };
        is_loopback(&r)
            && is_loopback(&asked_url)
            && r.scheme() == asked_url.scheme()
            && r.host() == asked_url.host()
            && r.path() == asked_url.path()
            && r.query() == asked_url.query()
    })
}

impl OAuth {
    /// The client `client_id` names, or why it cannot be used (shown on the page, never redirected).
    pub(super) async fn client(&self, client_id: &str) -> Result<Arc<Client>, String> {
        if client_id.is_empty() || client_id.len() > 4096 {
            return Err("the request names no usable client_id".into());
        }
        if client_id.starts_with(Kind::Client.prefix()) {
            let registration = self
                .sealer
                .open::<Registration>(Kind::Client, client_id)
                .ok_or("this client is not registered with this server (register again)")?;
            return Ok(Arc::new(Client {
                id: client_id.to_string(),
                name: registration.client_name.unwrap_or_else(|| "An MCP client".into()),
                redirect_uris: registration.redirect_uris,
            }));
        }
        let url =
            Url::parse(client_id).map_err(|_| "the client_id is neither registered here nor a URL".to_string())?;
        let secure = url.scheme() == "https" || (self.allow_http_documents && url.scheme() == "http");
        if !secure || url.fragment().is_some() {
            return Err("a client_id URL must be https with no fragment".into());
        }
        if let Some(known) = self.documents.get(client_id).await {
            return Ok(known);
        }
        let client = Arc::new(self.fetch_document(client_id).await?);
        self.documents.insert(client_id.to_string(), client.clone()).await;
        Ok(client)
    }

    /// Reads a client metadata document: its `client_id` must be its own URL.
    async fn fetch_document(&self, url: &str) -> Result<Client, String> {
        #[derive(Deserialize)]
        struct Document {
            client_id: String,
            client_name: Option<String>,
            #[serde(default)]
            redirect_uris: Vec<String>,
        }
        let refused =
            |why: String| format!("the client's metadata document at {} could not be used: {why}", shown(url));
        let fetched = self.fetcher.get(url).await.map_err(|e| refused(e.to_string()))?;
        if fetched.response.content_length().is_some_and(|n| n > MAX_DOCUMENT) {
            return Err(refused(format!("it is larger than {MAX_DOCUMENT} bytes")));
        }
        let seen = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let mut body = Vec::new();
        let mut chunks = Box::pin(crate::fetch::capped_body(fetched.response, MAX_DOCUMENT, seen));
        while let Some(chunk) = futures_util::StreamExt::next(&mut chunks).await {
            body.extend_from_slice(&chunk.map_err(|e| refused(e.to_string()))?);
        }
        let document: Document =
            serde_json::from_slice(&body).map_err(|e| refused(format!("not a client metadata document ({e})")))?;
        if document.client_id != url {
            return Err(refused("its client_id is not its own URL".into()));
        }
        if document.redirect_uris.is_empty() || document.redirect_uris.len() > MAX_REDIRECTS {
            return Err(refused(format!("it must list 1 to {MAX_REDIRECTS} redirect_uris")));
        }
        for uri in &document.redirect_uris {
            check_redirect_uri(uri).map_err(refused)?;
        }
        Ok(Client {
            id: url.to_string(),
            name: document.client_name.unwrap_or_else(|| {
                Url::parse(url).ok().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or_default()
            }),
            redirect_uris: document.redirect_uris,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_are_https_or_loopback_without_fragments() {
        assert!(check_redirect_uri("https://claude.ai/api/mcp/auth_callback").is_ok());
        assert!(check_redirect_uri("http://localhost:33418/callback").is_ok());
        assert!(check_redirect_uri("http://127.0.0.1/cb").is_ok());
        assert!(check_redirect_uri("http://[::1]:9/cb").is_ok());
        for bad in
            ["http://evil.example/cb", "https://x.example/cb#frag", "javascript:alert(1)", "ftp://x/y", "not a url"]
        {
            assert!(check_redirect_uri(bad).is_err(), "{bad}");
        }
        assert!(check_redirect_uri(&format!("https://x.example/{}", "a".repeat(600))).is_err());
    }

    #[test]
    fn loopback_redirects_match_on_any_port_and_nothing_else_does() {
        let registered = vec!["http://127.0.0.1:4000/callback".to_string(), "https://app.example/cb".to_string()];
        assert!(redirect_matches(&registered, "http://127.0.0.1:51234/callback"));
        assert!(redirect_matches(&registered, "https://app.example/cb"));
        for bad in [
            "http://127.0.0.1:4000/other",
            "http://localhost:4000/callback",
            "https://app.example/cb2",
            "https://app.example:8443/cb",
            "https://app.example/cb?x=1",
        ] {
            assert!(!redirect_matches(&registered, bad), "{bad}");
        }
    }
}
