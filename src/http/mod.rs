//! The HTTP edge of `/mcp`, one module per layer, in the order a request meets them:
//! `account` (request id, the request's log line) → `guard` (Host and Origin) → `auth` (the
//! caller's key) → `admit` (the body read within its limits, then a concurrency slot) →
//! `fast_list` (a plain tools/list from bytes) → rmcp. `serve` accepts the connections.

pub(crate) mod account;
pub(crate) mod admit;
pub(crate) mod auth;
pub(crate) mod client_ip;
pub(crate) mod counts;
pub(crate) mod fast_list;
pub(crate) mod guard;
pub(crate) mod home;
pub(crate) mod serve;
pub(crate) mod share;

use axum::{http::StatusCode, response::IntoResponse, response::Response};

/// The body of every HTTP-level refusal (400, 401, 403, 408, 413, 503): `{"error": code, "message": …}`.
pub(crate) fn refusal(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (status, axum::Json(serde_json::json!({ "error": code, "message": message.into() }))).into_response()
}
