//! fal-mcp: a stateless Streamable-HTTP MCP server for fal. The library does the work; the binary only wires.

pub mod app;
pub mod auth;
pub mod config;
pub mod fal;
pub mod fast_list;
pub mod fetch;
pub mod guard;
pub mod local;
pub mod metrics;
pub mod observe;
pub mod ranking;
pub mod telemetry;
pub mod text;
pub mod tools;

pub use app::{build_app, serve};

/// The body of every HTTP-level refusal (401, 403, 413, 503): `{"error": code, "message": …}`.
pub(crate) fn http_error(
    status: axum::http::StatusCode,
    code: &str,
    message: impl Into<String>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    (status, axum::Json(serde_json::json!({ "error": code, "message": message.into() }))).into_response()
}

/// reqwest is built without a default TLS provider (ring builds faster and smaller than aws-lc);
/// every client constructor calls this first. Installing twice is harmless.
pub(crate) fn install_tls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
pub use config::Config;
