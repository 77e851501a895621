//! Answers for people and clients that arrive somewhere other than `/mcp`: `GET /` says what this
//! server is and how to connect, and with the sign-in off, the OAuth routes a client tries
//! (`/register`, `/authorize`, `/token`) say in JSON that this server takes a fal key as a header.

use axum::{
    Json,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
};
use serde_json::json;

use crate::text::html as escape;

const HEADER: &str = "Authorization: Bearer <FAL_KEY>";

/// `GET /`: the server's name and version, its MCP URL and how to connect.
pub(crate) async fn home(headers: HeaderMap) -> Response {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("this-server");
    let scheme = if is_loopback_host(host) { "http" } else { "https" };
    let url = escape(&format!("{scheme}://{host}/mcp"));
    let version = env!("CARGO_PKG_VERSION");
    let key_header = escape(HEADER);
    let installs: String = crate::listing::install_links(&format!("{scheme}://{host}/mcp"))
        .iter()
        .map(|(client, link)| format!(" <a href=\"{}\">Add to {client}</a>", escape(link)))
        .collect();
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<title>fal-mcp</title><style>body{{font:15px/1.5 system-ui,sans-serif;max-width:40rem;margin:8vh auto;padding:0 1rem}}code{{background:#8882;padding:.1rem .3rem;border-radius:4px}}</style></head><body>\
<h1>fal-mcp {version}</h1>\
<p>An MCP server for <a href=\"https://fal.ai\">fal</a>: search, price and run fal's models from any MCP client.</p>\
<p>MCP endpoint (Streamable HTTP): <code>{url}</code></p>\
<p>Connect with your fal key as a header, <code>{key_header}</code> (create one at \
<a href=\"https://fal.ai/dashboard/keys\">fal.ai/dashboard/keys</a>), e.g. \
<code>claude mcp add --transport http fal {url} --header &quot;{key_header}&quot;</code>; clients that sign in with OAuth \
(claude.ai, ChatGPT) add the URL alone when the operator has turned sign-in on.</p>\
<p>One click, for a server with sign-in:{installs}</p>\
</body></html>"
    );
    let mut response = (StatusCode::OK, Html(html)).into_response();
    let policy = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";
    response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(policy));
    response
}

/// `/register`, `/authorize` and `/token` when the sign-in is off: what to do instead.
pub(crate) async fn sign_in_off() -> Response {
    let message = format!(
        "this server has no OAuth sign-in: send your fal API key on every request to /mcp as '{HEADER}' \
         (for Claude Code: claude mcp add --transport http fal <URL>/mcp --header \"{HEADER}\"); \
         to sign in with OAuth instead, the operator sets FAL_MCP_PUBLIC_URL"
    );
    (StatusCode::NOT_FOUND, Json(json!({"error": "sign_in_off", "error_description": message, "message": message})))
        .into_response()
}

fn is_loopback_host(host: &str) -> bool {
    let name =
        host.rsplit_once(':').filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit())).map_or(host, |(n, _)| n);
    matches!(name, "localhost" | "127.0.0.1" | "[::1]")
}
