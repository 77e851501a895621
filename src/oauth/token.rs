//! The token endpoint (RFC 6749 §3.2, public clients with PKCE, RFC 7636): an authorization code
//! becomes an access token and a refresh token; a refresh token becomes a new pair (rotated).
//! Errors are RFC 6749 §5.2 JSON; nothing here is ever cached.

use std::{sync::Arc, time::Duration};

use axum::{
    Json,
    extract::{Form, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{
    AccessGrant, CODE_SECS, OAuth, client_digest,
    memory::{Space, Unavailable},
    same,
    seal::Kind,
};

/// What a code carries from the sign-in to the token request.
#[derive(Serialize, Deserialize)]
pub(super) struct CodeGrant {
    pub(super) key: String,
    pub(super) client: String,
    pub(super) redirect_uri: String,
    pub(super) challenge: String,
    pub(super) resource: String,
    pub(super) exp: u64,
    /// Remembered once used, so the code works once.
    pub(super) jti: String,
}

/// What a refresh token carries.
#[derive(Serialize, Deserialize)]
struct RefreshGrant {
    key: String,
    client: String,
    resource: String,
    exp: u64,
    /// Remembered once used: a rotated refresh token works once.
    jti: String,
    /// The sign-in it descends from (the code's jti), revoked whole when a token is replayed.
    family: String,
}

#[derive(Deserialize)]
pub(super) struct Request {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    client_id: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    resource: Option<String>,
}

pub(super) async fn token(State(oauth): State<Arc<OAuth>>, Form(request): Form<Request>) -> Response {
    let too_long = [
        &request.code,
        &request.redirect_uri,
        &request.client_id,
        &request.code_verifier,
        &request.refresh_token,
        &request.resource,
    ]
    .into_iter()
    .flatten()
    .any(|v| v.len() > 8192);
    if too_long {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "a parameter is too long");
    }
    let answer = match request.grant_type.as_deref() {
        Some("authorization_code") => oauth.exchange_code(&request).await,
        Some("refresh_token") => oauth.refresh(&request).await,
        Some(_) => Err(Refusal::Grant("unsupported_grant_type", "use authorization_code or refresh_token")),
        None => Err(Refusal::Grant("invalid_request", "grant_type is missing")),
    };
    match answer {
        Ok(tokens) => no_store((StatusCode::OK, Json(tokens)).into_response()),
        Err(Refusal::Grant(code, why)) => {
            let status = if code == "invalid_client" { StatusCode::UNAUTHORIZED } else { StatusCode::BAD_REQUEST };
            tracing::info!(error = code, "oauth: token request refused");
            oauth_error(status, code, why)
        }
        Err(Refusal::Unavailable) => {
            let mut response = oauth_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                "the server cannot reach its replay memory to check this token's single use; retry in a minute",
            );
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
            response
        }
    }
}

enum Refusal {
    Grant(&'static str, &'static str),
    /// The replay memory did not answer: nothing is issued (fail closed).
    Unavailable,
}

impl From<Unavailable> for Refusal {
    fn from(_: Unavailable) -> Self {
        Refusal::Unavailable
    }
}

impl OAuth {
    async fn exchange_code(&self, request: &Request) -> Result<serde_json::Value, Refusal> {
        let (Some(code), Some(verifier), Some(client_id), Some(redirect_uri)) =
            (&request.code, &request.code_verifier, &request.client_id, &request.redirect_uri)
        else {
            return Err(Refusal::Grant(
                "invalid_request",
                "code, code_verifier, client_id and redirect_uri are required",
            ));
        };
        let grant = self
            .sealer
            .open::<CodeGrant>(Kind::Code, code)
            .ok_or(Refusal::Grant("invalid_grant", "the code is not valid here"))?;
        if grant.exp <= self.now() {
            return Err(Refusal::Grant("invalid_grant", "the code has expired; sign in again"));
        }
        if !same(&grant.client, &client_digest(client_id)) {
            return Err(Refusal::Grant("invalid_grant", "the code was issued to another client"));
        }
        if grant.redirect_uri != *redirect_uri {
            return Err(Refusal::Grant("invalid_grant", "redirect_uri differs from the one the code was issued for"));
        }
        if !(43..=128).contains(&verifier.len()) || !same(&challenge_of(verifier), &grant.challenge) {
            return Err(Refusal::Grant("invalid_grant", "the code_verifier does not match the code_challenge"));
        }
        // A code names the resource, so the issuer, it was made for: one secret shared by two
        // public URLs does not let a code move between them.
        if grant.resource != self.resource {
            return Err(Refusal::Grant("invalid_grant", "the code was issued by another server"));
        }
        if request.resource.as_deref().is_some_and(|r| !self.is_our_resource(r)) {
            return Err(Refusal::Grant("invalid_target", "resource is not this server's"));
        }
        // Last, so a refused request does not burn the code. A second use means the code leaked:
        // the tokens of its first exchange are revoked too (RFC 9700 §4.2.4, RFC 6749 §10.5).
        if !self.memory.first_use(Space::Code, &grant.jti, Duration::from_secs(CODE_SECS + 5)).await? {
            self.memory.revoke(&grant.jti, self.family_lifetime()).await?;
            tracing::warn!("oauth: an authorization code was used twice; the tokens of its first use are revoked");
            return Err(Refusal::Grant(
                "invalid_grant",
                "the code was already used; the sign-in it started is revoked, sign in again",
            ));
        }
        tracing::info!("oauth: code exchanged for tokens");
        Ok(self.tokens(grant.key, grant.client, grant.resource, grant.jti))
    }

    async fn refresh(&self, request: &Request) -> Result<serde_json::Value, Refusal> {
        let token =
            request.refresh_token.as_deref().ok_or(Refusal::Grant("invalid_request", "refresh_token is missing"))?;
        let grant = self
            .sealer
            .open::<RefreshGrant>(Kind::Refresh, token)
            .ok_or(Refusal::Grant("invalid_grant", "the refresh token is not valid here; sign in again"))?;
        if grant.exp <= self.now() {
            return Err(Refusal::Grant("invalid_grant", "the refresh token has expired; sign in again"));
        }
        // Public clients authenticate by their client_id alone (RFC 6749 §6): it must be sent and match.
        let client_id =
            request.client_id.as_deref().ok_or(Refusal::Grant("invalid_request", "client_id is required"))?;
        if !same(&grant.client, &client_digest(client_id)) {
            return Err(Refusal::Grant("invalid_grant", "the refresh token was issued to another client"));
        }
        if grant.resource != self.resource {
            return Err(Refusal::Grant("invalid_grant", "the refresh token is for another server"));
        }
        // RFC 8707 §2.2: a resource named on refresh must be one the grant covers.
        if request.resource.as_deref().is_some_and(|r| !self.is_our_resource(r)) {
            return Err(Refusal::Grant("invalid_target", "resource is not this server's"));
        }
        if self.memory.is_revoked(&grant.family).await? {
            return Err(Refusal::Grant("invalid_grant", "this sign-in was revoked; sign in again"));
        }
        // A second use means the token leaked or a client kept an old one: end the whole sign-in.
        if !self.memory.first_use(Space::Refresh, &grant.jti, self.family_lifetime()).await? {
            self.memory.revoke(&grant.family, self.family_lifetime()).await?;
            tracing::warn!("oauth: a rotated refresh token was used again; its sign-in is revoked");
            return Err(Refusal::Grant(
                "invalid_grant",
                "the refresh token was already used and has been replaced; this sign-in is revoked, sign in again",
            ));
        }
        tracing::info!("oauth: tokens refreshed");
        Ok(self.tokens(grant.key, grant.client, grant.resource, grant.family))
    }

    /// A fresh access token and a fresh refresh token for `key`, of the sign-in `family`.
    fn tokens(&self, key: String, client: String, resource: String, family: String) -> serde_json::Value {
        let now = self.now();
        let access = AccessGrant {
            key: key.clone(),
            client: client.clone(),
            resource: resource.clone(),
            exp: now + self.access_secs,
            family: family.clone(),
        };
        let refresh =
            RefreshGrant { key, client, resource, exp: now + self.refresh_secs, jti: self.sealer.random_id(), family };
        json!({
            "access_token": self.sealer.seal(Kind::Access, &access),
            "token_type": "Bearer",
            "expires_in": self.access_secs,
            "refresh_token": self.sealer.seal(Kind::Refresh, &refresh),
        })
    }

    /// How long a sign-in's memory is kept: as long as its last refresh token could live.
    fn family_lifetime(&self) -> Duration {
        Duration::from_secs(self.refresh_secs + 5)
    }

    /// Whether `resource` names this server (its /mcp URL, or the public URL itself, which some clients send).
    pub(super) fn is_our_resource(&self, resource: &str) -> bool {
        let resource = resource.trim_end_matches('/');
        resource == self.resource || resource == self.issuer
    }
}

/// PKCE S256: base64url(SHA-256(verifier)).
pub(super) fn challenge_of(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// An RFC 6749 §5.2 error body.
pub(super) fn oauth_error(status: StatusCode, code: &str, description: &str) -> Response {
    no_store((status, Json(json!({ "error": code, "error_description": description }))).into_response())
}

fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}
