//! Who is asking: a client registered here (its `client_id` is the sealed registration, valid
//! for [`CLIENT_DAYS`] days) or a client that names itself by the https URL of its metadata
//! document (CIMD), fetched through the guarded fetcher from exactly that URL (no redirect, 200,
//! JSON, a deadline of its own), size-capped, cached briefly, failures too. Also the rules for
//! redirect URIs and for the names clients give themselves.

use std::{sync::Arc, time::Duration};

use serde::{Deserialize, Serialize};
use url::Url;

use super::{CLIENT_DAYS, OAuth, is_loopback, seal::Kind};
use crate::text::shown;

/// Most redirect URIs one client may have, and the longest one.
pub(super) const MAX_REDIRECTS: usize = 10;
pub(super) const MAX_REDIRECT_LEN: usize = 512;
/// Largest client metadata document read.
const MAX_DOCUMENT: u64 = 16 * 1024;
/// Longest a client metadata document may take to arrive.
const DOCUMENT_DEADLINE: Duration = Duration::from_secs(5);
/// Longest client name shown.
const MAX_NAME: usize = 60;
/// Longest client id `/authorize` reads (and so the most a registration may seal into one).
pub(super) const MAX_CLIENT_ID: usize = 4096;

/// A client's self-chosen name as it may be shown: without control or bidirectional-override
/// characters (which could make one name read as another), spaces collapsed, clipped.
pub(super) fn clean_name(name: &str) -> Option<String> {
    let kept: String = name
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .filter(|c| !c.is_control() && !is_format(*c))
        .collect();
    let collapsed = kept.split_whitespace().collect::<Vec<_>>().join(" ");
    Some(crate::text::clip(&collapsed, MAX_NAME)).filter(|n| !n.is_empty())
}

/// Unicode format characters that reorder or hide text: bidi embeddings, overrides and isolates,
/// marks, zero-width characters.
fn is_format(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}' | '\u{061C}')
}

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
        if client_id.is_empty() || client_id.len() > MAX_CLIENT_ID {
            return Err("the request names no usable client_id".into());
        }
        if client_id.starts_with(Kind::Client.prefix()) {
            let registration = self
                .sealer
                .open::<Registration>(Kind::Client, client_id)
                .ok_or("this client is not registered with this server (register again)")?;
            if registration.iat.saturating_add(CLIENT_DAYS * 86_400) <= self.now() {
                return Err(format!(
                    "this client's registration is more than {CLIENT_DAYS} days old and has expired: \
                     remove the connector in your app and add it again"
                ));
            }
            return Ok(Arc::new(Client {
                id: client_id.to_string(),
                name: registration.client_name.and_then(|n| clean_name(&n)).unwrap_or_else(|| "An MCP client".into()),
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
        if let Some(why) = self.document_failures.get(client_id).await {
            return Err(why);
        }
        match self.fetch_document(client_id).await {
            Ok(client) => {
                let client = Arc::new(client);
                self.documents.insert(client_id.to_string(), client.clone()).await;
                Ok(client)
            }
            Err(why) => {
                self.document_failures.insert(client_id.to_string(), why.clone()).await;
                Err(why)
            }
        }
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
        let fetched = self.fetcher.get_direct(url, DOCUMENT_DEADLINE).await.map_err(|e| refused(e.to_string()))?;
        let json = fetched.content_type.as_deref().is_some_and(|t| t == "application/json" || t.ends_with("+json"));
        if !json {
            return Err(refused("it is not served as application/json".into()));
        }
        if fetched.response.content_length().is_some_and(|n| n > MAX_DOCUMENT) {
            return Err(refused(format!("it is larger than {}", crate::text::bytes(MAX_DOCUMENT))));
        }
        let seen = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let mut body = Vec::new();
        let mut chunks = Box::pin(crate::fetch::capped_body(fetched.response, MAX_DOCUMENT, seen));
        // The deadline covers the whole document, not only its first byte.
        let read = tokio::time::timeout(DOCUMENT_DEADLINE, async {
            while let Some(chunk) = futures_util::StreamExt::next(&mut chunks).await {
                body.extend_from_slice(&chunk.map_err(|e| e.to_string())?);
            }
            Ok::<_, String>(())
        });
        match read.await {
            Ok(done) => done.map_err(refused)?,
            Err(_) => return Err(refused(format!("it did not arrive within {} s", DOCUMENT_DEADLINE.as_secs()))),
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
            name: document.client_name.and_then(|n| clean_name(&n)).unwrap_or_else(|| {
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
    fn names_lose_controls_and_bidi_overrides_and_are_clipped() {
        assert_eq!(clean_name("Claude\u{202E}edualC").as_deref(), Some("ClaudeedualC"));
        assert_eq!(clean_name(" My\n\tApp\u{200B} ").as_deref(), Some("My App"));
        assert_eq!(clean_name("\u{202E}\u{0}").as_deref(), None);
        let long = clean_name(&"x".repeat(10_000)).unwrap();
        assert!(long.chars().count() <= MAX_NAME + 1, "{}", long.len());
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
