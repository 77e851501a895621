//! Discovery: protected resource metadata (RFC 9728) and authorization server metadata (RFC 8414).
//! Each document states exactly the identifier its URL was formed from (RFC 9728 §3.3, RFC 8414 §3.3).

use std::sync::Arc;

use axum::{Json, extract::State, response::IntoResponse};
use serde_json::json;

use super::OAuth;

/// At `/.well-known/oauth-protected-resource/mcp`: the `/mcp` resource.
pub(super) async fn resource(State(oauth): State<Arc<OAuth>>) -> impl IntoResponse {
    resource_document(&oauth.resource, &oauth)
}

/// At the root `/.well-known/oauth-protected-resource`: the server's base URL, which this server
/// also accepts as a resource indicator.
pub(super) async fn root_resource(State(oauth): State<Arc<OAuth>>) -> impl IntoResponse {
    resource_document(&oauth.issuer, &oauth)
}

fn resource_document(resource: &str, oauth: &OAuth) -> Json<serde_json::Value> {
    Json(json!({
        "resource": resource,
        "authorization_servers": [oauth.issuer],
        "bearer_methods_supported": ["header"],
        "resource_name": "fal-mcp",
    }))
}

pub(super) async fn server(State(oauth): State<Arc<OAuth>>) -> impl IntoResponse {
    let issuer = &oauth.issuer;
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "registration_endpoint": format!("{issuer}/register"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none"],
        "client_id_metadata_document_supported": true,
        "authorization_response_iss_parameter_supported": true,
    }))
}
