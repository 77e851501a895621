//! Dynamic client registration (RFC 7591), stateless: the `client_id` handed back is the sealed
//! registration itself (redirect URIs, name, time), so any instance knows the client later; it
//! starts new sign-ins for `CLIENT_DAYS` days.

use std::sync::Arc;

use axum::{
    Json,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use serde_json::json;

use super::{
    OAuth,
    clients::{MAX_CLIENT_ID, MAX_REDIRECTS, Registration, check_redirect_uri, clean_name},
    seal::Kind,
    token::oauth_error,
};

#[derive(Deserialize)]
pub(super) struct Request {
    #[serde(default)]
    redirect_uris: Vec<String>,
    client_name: Option<String>,
    #[serde(default)]
    grant_types: Vec<String>,
    #[serde(default)]
    response_types: Vec<String>,
}

pub(super) async fn register(State(oauth): State<Arc<OAuth>>, body: axum::body::Bytes) -> Response {
    let invalid = |why: String| oauth_error(StatusCode::BAD_REQUEST, "invalid_client_metadata", &why);
    let request: Request = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) => return invalid(format!("the body is not client metadata JSON ({e})")),
    };
    if request.redirect_uris.is_empty() || request.redirect_uris.len() > MAX_REDIRECTS {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_redirect_uri",
            &format!("register 1 to {MAX_REDIRECTS} redirect_uris"),
        );
    }
    for uri in &request.redirect_uris {
        if let Err(why) = check_redirect_uri(uri) {
            return oauth_error(StatusCode::BAD_REQUEST, "invalid_redirect_uri", &why);
        }
    }
    if let Some(bad) =
        request.grant_types.iter().find(|g| !matches!(g.as_str(), "authorization_code" | "refresh_token"))
    {
        return invalid(format!(
            "grant type {} is not supported; use authorization_code and refresh_token",
            crate::text::shown(bad)
        ));
    }
    if request.response_types.iter().any(|r| r != "code") {
        return invalid("only the response type code is supported".into());
    }
    let name = request.client_name.as_deref().and_then(clean_name);
    let issued_at = oauth.now();
    let client_id = oauth.sealer.seal(
        Kind::Client,
        &Registration { redirect_uris: request.redirect_uris.clone(), client_name: name.clone(), iat: issued_at },
    );
    // The id is the sealed registration: it must stay short enough for /authorize to read.
    if client_id.len() > MAX_CLIENT_ID {
        return invalid(format!(
            "the registration would make a client_id longer than the {MAX_CLIENT_ID} characters sign-in reads; \
             register fewer or shorter redirect_uris"
        ));
    }
    tracing::info!(client_name = name.as_deref().unwrap_or("-"), "oauth: client registered");
    let answer = json!({
        "client_id": client_id,
        "client_id_issued_at": issued_at,
        "client_name": name,
        "redirect_uris": request.redirect_uris,
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    });
    (StatusCode::CREATED, Json(answer)).into_response()
}
