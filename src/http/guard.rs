//! DNS-rebinding protection for /mcp: the request's authority (the target's own authority when it
//! is in absolute form, else the Host header) must be a loopback name or an allowed host, and a
//! browser Origin, when present, must be a loopback origin or an allowed one. Runs before auth.

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    http::{StatusCode, header},
    middleware::Next,
    response::Response,
};
use url::Url;

use crate::text::shown;

/// The hosts and origins accepted besides loopback ones.
#[derive(Debug, Clone, Default)]
pub(crate) struct Allowed {
    hosts: Vec<String>,
    origins: Vec<String>,
}

impl Allowed {
    /// Entries are trimmed and lowercased; a host may carry a port (`example.com:8443`) to pin it,
    /// and an origin may end in `:*` to accept any port.
    pub(crate) fn new(hosts: &[String], origins: &[String]) -> Self {
        let clean = |items: &[String]| {
            items
                .iter()
                .map(|s| s.trim().trim_end_matches('/').to_ascii_lowercase())
                .filter(|s| !s.is_empty())
                .collect()
        };
        Self { hosts: clean(hosts), origins: clean(origins) }
    }

    /// Whether a Host header value (`name[:port]`) is accepted (compared without allocating: it runs on every request).
    pub(crate) fn host_allowed(&self, authority: &str) -> bool {
        let authority = authority.trim();
        let Some(name) = host_name(authority) else {
            return false;
        };
        is_loopback_name(name)
            || self.hosts.iter().any(|h| h.eq_ignore_ascii_case(authority) || h.eq_ignore_ascii_case(name))
    }

    /// Whether an Origin header value is accepted.
    pub(crate) fn origin_allowed(&self, origin: &str) -> bool {
        let origin = origin.trim().to_ascii_lowercase();
        if self.origins.contains(&origin) {
            return true;
        }
        let Ok(url) = Url::parse(&origin) else {
            return false;
        };
        let loopback = matches!(url.scheme(), "http" | "https")
            && url.host_str().is_some_and(|h| is_loopback_name(h.trim_start_matches('[').trim_end_matches(']')));
        loopback
            || self.origins.iter().any(|allowed| {
                allowed.strip_suffix(":*").is_some_and(|prefix| {
                    Url::parse(prefix).is_ok_and(|a| a.scheme() == url.scheme() && a.host_str() == url.host_str())
                }) || Url::parse(allowed).is_ok_and(|a| a.origin() == url.origin())
            })
    }
}

/// The name part of `name[:port]` or `[v6][:port]`.
fn host_name(authority: &str) -> Option<&str> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (name, after) = rest.split_once(']')?;
        return (after.is_empty() || after.starts_with(':')).then_some(name);
    }
    let name = authority.split(':').next()?;
    (!name.is_empty()).then_some(name)
}

fn is_loopback_name(name: &str) -> bool {
    ["localhost", "127.0.0.1", "::1"].iter().any(|l| l.eq_ignore_ascii_case(name))
}

/// Refuses requests whose authority or Origin is not accepted, with 403 and a sentence saying how to allow it.
pub(crate) async fn check(State(allowed): State<Arc<Allowed>>, request: Request, next: Next) -> Response {
    if let Some(refused) = refuse_host(&allowed, &request) {
        return refused;
    }
    if let Some(origin) = request.headers().get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        if !allowed.origin_allowed(origin) {
            return forbidden(format!("Origin '{}' is not allowed; add it to FAL_MCP_ALLOWED_ORIGINS", shown(origin)));
        }
    }
    next.run(request).await
}

/// The Host rules alone, for the sign-in's routes: browsers post its form with `Origin: null`, and
/// its form token, not the Origin, is what defends it.
pub(crate) async fn check_host(State(allowed): State<Arc<Allowed>>, request: Request, next: Next) -> Response {
    match refuse_host(&allowed, &request) {
        Some(refused) => refused,
        None => next.run(request).await,
    }
}

fn refuse_host(allowed: &Allowed, request: &Request) -> Option<Response> {
    // RFC 9112 §3.2.2: for an absolute-form target the server uses the target's authority, not Host.
    let host = match request.uri().authority() {
        Some(authority) => Some(authority.as_str()),
        None => request.headers().get(header::HOST).map(|v| v.to_str().unwrap_or("")),
    };
    match host {
        Some(host) if allowed.host_allowed(host) => None,
        Some(host) if host.trim().is_empty() => Some(forbidden("the request's Host header is empty".into())),
        Some(host) => {
            Some(forbidden(format!("Host '{}' is not allowed; add it to FAL_MCP_ALLOWED_HOSTS", shown(host))))
        }
        None => Some(forbidden("the request has no Host header".into())),
    }
}

fn forbidden(message: String) -> Response {
    super::refusal(StatusCode::FORBIDDEN, "forbidden", message)
}

#[cfg(test)]
mod tests {
    use super::Allowed;

    fn allowed() -> Allowed {
        Allowed::new(
            &["mcp.example.com".into(), "pinned.example.com:8443".into()],
            &["https://app.example.com".into(), "http://dev.example.com:*".into()],
        )
    }

    #[test]
    fn hosts() {
        let a = allowed();
        for ok in [
            "localhost",
            "localhost:8080",
            "127.0.0.1:1",
            "[::1]:8080",
            "[::1]",
            "MCP.example.com",
            "mcp.example.com:443",
            "pinned.example.com:8443",
        ] {
            assert!(a.host_allowed(ok), "{ok}");
        }
        for bad in [
            "evil.com",
            "localhost.evil.com",
            "127.0.0.2",
            "pinned.example.com:9000",
            "pinned.example.com",
            "",
            "[::1",
            "example.com",
        ] {
            assert!(!a.host_allowed(bad), "{bad}");
        }
    }

    #[test]
    fn origins() {
        let a = allowed();
        for ok in [
            "http://localhost:3000",
            "http://127.0.0.1",
            "http://[::1]:5173",
            "https://app.example.com",
            "https://app.example.com:443",
            "http://dev.example.com:1234",
        ] {
            assert!(a.origin_allowed(ok), "{ok}");
        }
        for bad in [
            "https://evil.com",
            "null",
            "https://app.example.com:8443",
            "http://app.example.com",
            "file://localhost",
            "http://localhost.evil.com",
            "https://dev.example.com:1234",
            "",
        ] {
            assert!(!a.origin_allowed(bad), "{bad}");
        }
    }
}
