//! The MCP Registry's `server.json` for this deployment (schema 2025-12-11), made from the code:
//! `fal-mcp server-json` prints it for FAL_MCP_PUBLIC_URL, the one fact the code cannot know.

use serde_json::json;

use crate::{Config, icons, tools};

const SCHEMA: &str = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json";

/// server.json for the server at `config.public_url`, or what to set first.
pub fn server_json(config: &Config) -> Result<String, String> {
    let url = config.public_url.as_ref().ok_or(
        "server-json needs FAL_MCP_PUBLIC_URL: the https URL clients reach this server at, e.g. https://mcp.example.com",
    )?;
    if url.scheme() != "https" {
        return Err(format!("the Registry lists only https servers; FAL_MCP_PUBLIC_URL is {url}"));
    }
    let host = match url.host() {
        Some(url::Host::Domain(host)) => host,
        _ => return Err(format!("the Registry names servers by their domain; FAL_MCP_PUBLIC_URL {url} has none")),
    };
    // The namespace the domain proof (/.well-known/mcp-registry-auth on this host) grants.
    let namespace: Vec<&str> = host.split('.').rev().collect();
    let base = url.as_str().trim_end_matches('/');
    let authorization = json!([{
        "name": "Authorization",
        "description": "Bearer <your fal key> (key_id:key_secret); leave it out to sign in instead",
        "isRequired": false,
        "isSecret": true,
    }]);
    let tools = tools::read_only_flags();
    let document = json!({
        "$schema": SCHEMA,
        "name": format!("{}/fal", namespace.join(".")),
        "title": "fal",
        "description": tools::DESCRIPTION,
        "version": env!("CARGO_PKG_VERSION"),
        "websiteUrl": base,
        "icons": [icons::icon(base, icons::SERVER)],
        "remotes": [
            { "type": "streamable-http", "url": format!("{base}/mcp"), "headers": authorization },
            { "type": "streamable-http", "url": format!("{base}/mcp/readonly"), "headers": authorization },
        ],
        "_meta": { "io.modelcontextprotocol.registry/publisher-provided": {
            "tools": tools.iter().map(|(name, _)| name).collect::<Vec<_>>(),
            "readOnlyTools": tools.iter().filter(|(_, read_only)| *read_only).map(|(name, _)| name).collect::<Vec<_>>(),
            "skills": crate::skills::all().iter().map(|s| s.uri.clone()).collect::<Vec<_>>(),
            "auth": "fal key as a Bearer header, or OAuth 2.1 sign-in (the server's protected-resource metadata)",
        }},
    });
    serde_json::to_string_pretty(&document).map_err(|e| e.to_string())
}

/// One-click installs of the server at `mcp_url`: VS Code's (through vscode.dev, which pages
/// such as GitHub's let a link reach) and Cursor's deeplink. The URL alone: the client signs in.
pub fn install_links(mcp_url: &str) -> [(&'static str, String); 2] {
    use base64::Engine;
    let encode = |text: &str| url::form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
    let vscode = json!({ "type": "http", "url": mcp_url }).to_string();
    let cursor = base64::engine::general_purpose::STANDARD.encode(json!({ "url": mcp_url }).to_string());
    [
        ("VS Code", format!("https://vscode.dev/redirect/mcp/install?name=fal&config={}", encode(&vscode))),
        ("Cursor", format!("cursor://anysphere.cursor-deeplink/mcp/install?name=fal&config={}", encode(&cursor))),
    ]
}
