//! The MCP App result view: the extension in the capabilities, the ui:// resource listed and read
//! (MIME type, CSP, the HTML itself), and the tools that name it. The view's behaviour in a browser
//! is tested by tests/interop/app-view with the official host bridge.

use rmcp::model::{ReadResourceRequestParams, ResourceContents};
use serde_json::{Value, json};

use crate::support::{spawn_app, spawn_app_with};

const KEY: &str = "view-id:view-secret";
const URI: &str = "ui://fal-mcp/result-view.html";

#[tokio::test]
async fn the_server_declares_the_extension_and_lists_the_view() {
    let app = spawn_app().await;
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}});
    let answer: Value =
        app.post(&[("authorization", &format!("Bearer {KEY}"))], &init.to_string()).await.json().await.unwrap();
    let capabilities = &answer["result"]["capabilities"];
    assert_eq!(
        capabilities["extensions"]["io.modelcontextprotocol/ui"],
        json!({"mimeTypes": ["text/html;profile=mcp-app"]})
    );
    assert!(capabilities["resources"].is_object());

    let client = app.client(KEY).await;
    let resources = client.list_all_resources().await.unwrap();
    // The view, then the skills (listing.rs).
    let views: Vec<_> = resources.iter().filter(|r| r.uri.starts_with("ui://")).collect();
    assert_eq!(views.len(), 1);
    assert_eq!((views[0].uri.as_str(), views[0].mime_type.as_deref()), (URI, Some("text/html;profile=mcp-app")));
    let tools = client.list_all_tools().await.unwrap();
    for tool in &tools {
        let ui = tool.meta.as_ref().and_then(|m| m.0.get("ui"));
        let names_view = ui.is_some_and(|ui| ui["resourceUri"] == URI);
        let expected = matches!(tool.name.as_ref(), "run_model" | "submit_job" | "check_job" | "get_job_result");
        assert_eq!(names_view, expected, "{}", tool.name);
        // The view calls these itself, through the host, to follow a running job.
        let app_calls = matches!(tool.name.as_ref(), "check_job" | "get_job_result");
        let visibility = ui.map(|ui| &ui["visibility"]);
        assert_eq!(visibility == Some(&json!(["model", "app"])), app_calls, "{}", tool.name);
    }
    client.cancel().await.ok();
}

#[tokio::test]
async fn reading_the_view_gives_the_html_and_the_media_origins_it_may_load() {
    let app = spawn_app_with(&["--media-origins", "https://cdn.example.com,https://*.media.example.net"]).await;
    let client = app.client(KEY).await;
    let read = client.read_resource(ReadResourceRequestParams::new(URI)).await.unwrap();
    let [ResourceContents::TextResourceContents { uri, mime_type, text, meta }] = read.contents.as_slice() else {
        panic!("one text content: {read:?}")
    };
    assert_eq!((uri.as_str(), mime_type.as_deref()), (URI, Some("text/html;profile=mcp-app")));
    assert!(text.starts_with("<!doctype html>") || text.starts_with("<!DOCTYPE html>"), "{}", &text[..40]);
    assert!(text.contains("ui/initialize"), "the view speaks the MCP Apps protocol itself");
    for external in
        ["<script src", "<link rel=\"stylesheet\" href", "@import", "fetch(", "XMLHttpRequest", "innerHTML ="]
    {
        assert!(!text.contains(external), "the view must not use {external}");
    }
    let ui = &meta.as_ref().expect("_meta").0["ui"];
    let domains: Vec<&str> =
        ui["csp"]["resourceDomains"].as_array().unwrap().iter().map(|d| d.as_str().unwrap()).collect();
    let fake = url::Url::parse(&app.fake.url).unwrap().origin().ascii_serialization();
    for expected in
        ["https://fal.media", "https://*.fal.media", "https://cdn.example.com", "https://*.media.example.net", &fake]
    {
        assert!(domains.contains(&expected), "{expected} missing from {domains:?}");
    }
    assert!(ui["csp"].get("connectDomains").is_none(), "the view fetches nothing");
    println!("the result view is {} bytes", text.len());
    assert!(text.len() < 26_000, "the view stays small: {} bytes", text.len());

    let missing = client.read_resource(ReadResourceRequestParams::new("ui://fal-mcp/other.html")).await;
    assert!(missing.is_err(), "an unknown resource is an error");
    client.cancel().await.ok();
}

#[tokio::test]
async fn media_origins_must_be_origins() {
    for bad in ["cdn.example.com", "ftp://x.example", "https://x.example/path"] {
        let config = fal_mcp::Config::from_args(["fal-mcp", "--media-origins", bad]).unwrap();
        let refused = fal_mcp::build_app(&config, Default::default()).expect_err(bad);
        assert!(refused.contains("FAL_MCP_MEDIA_ORIGINS"), "{refused}");
    }
}
