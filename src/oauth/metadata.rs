//! Discovery: protected resource metadata (RFC 9728) and authorization server metadata (RFC 8414,
//! also served at OpenID's path, where some clients look).

use std::sync::Arc;

use axum::{Json, extract::State, response::IntoResponse};
use serde_json::json;

use super::OAuth;

pub(super) async fn resource(State(oauth): State<Arc<OAuth>>) -> impl IntoResponse {
    Json(json!({
        "resource": oauth.resource,
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
