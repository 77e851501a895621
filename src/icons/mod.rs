//! Icons for hosts and listings: the server's and one per tool group, small SVGs built into the
//! binary and served at `/icons/<name>.svg`. Named by URL (never inline data) in initialize,
//! tools/list and server.json, and only when FAL_MCP_PUBLIC_URL says where this server is.

use axum::{
    extract::Path,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use rmcp::model::Icon;

const SVG: &str = "image/svg+xml";
/// The server's icon and each tool group's, by name.
const ICONS: [(&str, &str); 4] = [
    ("fal-mcp", include_str!("fal-mcp.svg")),
    ("discovery", include_str!("discovery.svg")),
    ("execution", include_str!("execution.svg")),
    ("utility", include_str!("utility.svg")),
];

/// The icon `name` of the server at `public_url`, described in full (for initialize and listings).
pub(crate) fn icon(public_url: &str, name: &str) -> Icon {
    let mut icon = bare(public_url, name);
    icon.mime_type = Some(SVG.into());
    icon.sizes = Some(vec!["any".into()]);
    icon
}

/// The same by its URL alone, for tools/list, which every client reads on every connection: the
/// served Content-Type says the rest.
pub(crate) fn bare(public_url: &str, name: &str) -> Icon {
    Icon::new(format!("{}/icons/{name}.svg", public_url.trim_end_matches('/')))
}

/// The server's own icon.
pub(crate) const SERVER: &str = "fal-mcp";

/// GET /icons/{file}: the SVG, cacheable for a day; a script-free document, served with a policy
/// that forbids scripts anyway, for the hosts that open it directly.
pub(crate) async fn serve(Path(file): Path<String>) -> Response {
    let found = file.strip_suffix(".svg").and_then(|name| ICONS.iter().find(|(n, _)| *n == name));
    match found {
        Some((_, svg)) => (
            [
                (header::CONTENT_TYPE, SVG),
                (header::CACHE_CONTROL, "public, max-age=86400"),
                (header::CONTENT_SECURITY_POLICY, "default-src 'none'; style-src 'unsafe-inline'"),
            ],
            *svg,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such icon").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_icon_is_a_small_svg_without_scripts() {
        for (name, svg) in ICONS {
            assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""), "{name}");
            assert!(svg.len() < 1024, "{name} is {} bytes", svg.len());
            let lower = svg.to_ascii_lowercase();
            assert!(!lower.contains("<script") && !lower.contains(" on") && !lower.contains("href"), "{name}");
        }
    }
}
