//! The MCP App view (extension `io.modelcontextprotocol/ui`, SEP-1865): one self-contained HTML
//! document built into the binary (`view.html`: inline CSS and JS, no network access but the
//! media it shows), served as a `ui://` resource, and named in the `_meta` of the tools whose
//! results a user wants to see, so hosts that render MCP Apps show images, video, audio, 3D files
//! and text inline. Clients without MCP Apps see the same results as before.

use rmcp::model::{JsonObject, MetaObject, ReadResourceResult, Resource, ResourceContents};
use serde_json::{Value, json};

/// The extension's identifier, as the server's capabilities name it.
pub(crate) const EXTENSION: &str = "io.modelcontextprotocol/ui";
/// The view's resource.
pub(crate) const URI: &str = "ui://fal-mcp/result-view.html";
/// The MIME type MCP Apps hosts render.
pub(crate) const MIME: &str = "text/html;profile=mcp-app";
const HTML: &str = include_str!("view.html");
/// Where fal serves output files.
const FAL_MEDIA: &[&str] = &["https://fal.media", "https://*.fal.media"];

/// The view and the media origins its content security policy lets it load from.
#[derive(Debug, Clone)]
pub(crate) struct View {
    media_origins: Vec<String>,
}

impl View {
    /// fal's CDN hosts plus `extra` (the operator's setting, and the fal base URLs' own origins
    /// when they point somewhere else, such as a local fake).
    pub(crate) fn new(extra: impl IntoIterator<Item = String>) -> Self {
        let mut media_origins: Vec<String> = FAL_MEDIA.iter().map(|o| o.to_string()).collect();
        for origin in extra {
            if !media_origins.contains(&origin) {
                media_origins.push(origin);
            }
        }
        Self { media_origins }
    }

    /// The resource as resources/list shows it.
    pub(crate) fn listed(&self) -> Resource {
        Resource::new(URI, "result-view")
            .with_title("fal result viewer")
            .with_description("Shows the images, video, audio, 3D files and text a fal job produced")
            .with_mime_type(MIME)
            .with_meta(self.meta())
    }

    /// The resource's contents, for resources/read.
    pub(crate) fn read(&self) -> ReadResourceResult {
        ReadResourceResult::new(vec![ResourceContents::TextResourceContents {
            uri: URI.into(),
            mime_type: Some(MIME.into()),
            text: HTML.into(),
            meta: Some(self.meta()),
        }])
    }

    /// `_meta.ui` of the resource: the origins media may come from (nothing else is fetched),
    /// the clipboard for "copy URL", and a border around the view.
    fn meta(&self) -> MetaObject {
        let ui = json!({
            "csp": { "resourceDomains": self.media_origins },
            "permissions": { "clipboardWrite": {} },
            "prefersBorder": true,
        });
        MetaObject(JsonObject::from_iter([("ui".to_string(), ui)]))
    }
}

/// `_meta` for a tool whose results the view shows.
pub(crate) fn tool_meta() -> MetaObject {
    MetaObject(JsonObject::from_iter([("ui".to_string(), json!({ "resourceUri": URI }))]))
}

/// `_meta` for a tool the view also calls itself, through the host, to follow a running job.
pub(crate) fn followed_tool_meta() -> MetaObject {
    let ui = json!({ "resourceUri": URI, "visibility": ["model", "app"] });
    MetaObject(JsonObject::from_iter([("ui".to_string(), ui)]))
}

/// The capability the server declares for the extension.
pub(crate) fn capability() -> (String, JsonObject) {
    let settings = json!({ "mimeTypes": [MIME] });
    let Value::Object(settings) = settings else { unreachable!("an object literal") };
    (EXTENSION.to_string(), settings)
}
