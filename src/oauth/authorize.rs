//! The authorization endpoint: GET checks the request and shows the sign-in page; POST checks
//! the form token (the page's CSRF defence, bound to this authorization request and this
//! issuer), checks the key with fal once, and sends the browser back to the client with a code
//! (303, RFC 9207 `iss`). The browser is only ever sent back after the user acted on the page:
//! anyone may register a redirect URI, so a request that fails its checks is answered with an
//! error page, never a redirect (RFC 9700 §4.11.2).

use std::{net::SocketAddr, sync::Arc};

use axum::{
    Extension,
    extract::{ConnectInfo, Form, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use url::Url;

use super::{
    CODE_SECS, FORM_SECS, OAuth, client_digest,
    clients::redirect_matches,
    page::{self, SignIn},
    seal::Kind,
    token::CodeGrant,
};
use crate::fal::FalKey;

#[derive(Deserialize)]
pub(super) struct Asked {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    state: Option<String>,
    resource: Option<String>,
}

/// The authorization request, sealed into the sign-in form.
#[derive(Serialize, Deserialize)]
struct Pending {
    /// The issuer that made the form: a form moves to no other public URL sharing the secret.
    iss: String,
    client_id: String,
    client_name: String,
    redirect_uri: String,
    state: Option<String>,
    challenge: String,
    exp: u64,
}

#[derive(Deserialize)]
pub(super) struct Submitted {
    request: Option<String>,
    fal_key: Option<String>,
    action: Option<String>,
}

pub(super) async fn show(State(oauth): State<Arc<OAuth>>, Query(asked): Query<Asked>) -> Response {
    let too_long =
        [(&asked.state, 1024), (&asked.code_challenge, 128), (&asked.resource, 512), (&asked.redirect_uri, 512)]
            .iter()
            .any(|(v, max)| v.as_ref().is_some_and(|v| v.len() > *max));
    if too_long {
        return page::problem("The sign-in request carries a parameter that is too long.");
    }
    let client = match oauth.client(asked.client_id.as_deref().unwrap_or("")).await {
        Ok(client) => client,
        Err(why) => return page::problem(&why),
    };
    let Some(redirect_uri) = asked.redirect_uri.as_deref().filter(|r| redirect_matches(&client.redirect_uris, r))
    else {
        return page::problem("The redirect_uri is missing or is not one this client registered.");
    };
    if asked.response_type.as_deref() != Some("code") {
        return page::problem(
            "The app asked for a kind of sign-in this server does not offer (only response_type=code).",
        );
    }
    let challenge = asked.code_challenge.as_deref().unwrap_or("");
    let pkce_ok = asked.code_challenge_method.as_deref() == Some("S256")
        && challenge.len() == 43
        && challenge.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !pkce_ok {
        return page::problem("The app's sign-in request lacks PKCE (code_challenge with code_challenge_method=S256).");
    }
    if asked.resource.as_deref().is_some_and(|r| !oauth.is_our_resource(r)) {
        return page::problem("The app asked to sign in to another server (its resource is not this server's).");
    }
    let pending = Pending {
        iss: oauth.issuer.clone(),
        client_id: client.id.clone(),
        client_name: client.name.clone(),
        redirect_uri: redirect_uri.to_string(),
        state: asked.state.clone(),
        challenge: challenge.to_string(),
        exp: oauth.now() + FORM_SECS,
    };
    let form_token = oauth.sealer.seal(Kind::Form, &pending);
    oauth.page(&pending, &form_token, None, StatusCode::OK)
}

pub(super) async fn submit(
    State(oauth): State<Arc<OAuth>>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Form(form): Form<Submitted>,
) -> Response {
    let token = form.request.unwrap_or_default();
    let Some(pending) =
        oauth.sealer.open::<Pending>(Kind::Form, &token).filter(|p| p.exp > oauth.now() && p.iss == oauth.issuer)
    else {
        return page::problem("This sign-in form has expired or was not made by this server.");
    };
    let back = Back { redirect_uri: &pending.redirect_uri, state: pending.state.as_deref(), issuer: &oauth.issuer };
    if form.action.as_deref() != Some("connect") {
        tracing::info!("oauth: sign-in cancelled");
        return back.error("access_denied", "the user cancelled the sign-in");
    }
    match oauth.attempt(&oauth.client_address(&headers, peer)).await {
        Ok(true) => {}
        Ok(false) => {
            let why = "Too many sign-in attempts from your address. Wait a few minutes and try again.";
            return oauth.page(&pending, &token, Some(why), StatusCode::TOO_MANY_REQUESTS);
        }
        Err(_) => {
            let why =
                "Sign-in is unavailable for a moment (this server cannot reach its memory). Try again in a minute.";
            return oauth.page(&pending, &token, Some(why), StatusCode::SERVICE_UNAVAILABLE);
        }
    }
    let raw = form.fal_key.unwrap_or_default();
    let Some(key) = FalKey::new(raw.trim()) else {
        let why = format!("That is not a fal key: {}.", FalKey::SHAPE);
        let why = why.as_str();
        return oauth.page(&pending, &token, Some(why), StatusCode::BAD_REQUEST);
    };
    if let Err(e) = oauth.fal.verify_key(&key).await {
        let why = if e.is_key_refused() {
            format!("fal did not accept this key: {}", e.message())
        } else {
            "fal could not be reached to check the key. Try again in a moment.".to_string()
        };
        tracing::info!(refused = e.is_key_refused(), "oauth: sign-in key not accepted");
        return oauth.page(&pending, &token, Some(&why), StatusCode::BAD_REQUEST);
    }
    let grant = CodeGrant {
        key: raw.trim().to_string(),
        client: client_digest(&pending.client_id),
        redirect_uri: pending.redirect_uri.clone(),
        challenge: pending.challenge.clone(),
        resource: oauth.resource.clone(),
        exp: oauth.now() + CODE_SECS,
        jti: oauth.sealer.random_id(),
    };
    tracing::info!(client_name = pending.client_name.as_str(), "oauth: signed in");
    back.with(&[("code", &oauth.sealer.seal(Kind::Code, &grant))])
}

impl OAuth {
    fn page(&self, pending: &Pending, form_token: &str, problem: Option<&str>, status: StatusCode) -> Response {
        let redirect = Url::parse(&pending.redirect_uri).ok();
        let origin = redirect.as_ref().map(|u| u.origin().ascii_serialization()).unwrap_or_default();
        let redirect_host = redirect.as_ref().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or_default();
        let server = Url::parse(&self.issuer).ok().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or_default();
        let page = SignIn {
            client_name: &pending.client_name,
            server: &server,
            form_token,
            problem,
            redirect_origin: &origin,
            redirect_host: &redirect_host,
        };
        page::sign_in(&page, status)
    }
}

/// Sending the browser back to the client.
struct Back<'a> {
    redirect_uri: &'a str,
    state: Option<&'a str>,
    issuer: &'a str,
}

impl Back<'_> {
    fn error(&self, code: &str, description: &str) -> Response {
        self.with(&[("error", code), ("error_description", description)])
    }

    /// A 303 to the redirect URI with `params`, the state and the issuer.
    fn with(&self, params: &[(&str, &str)]) -> Response {
        let Ok(mut url) = Url::parse(self.redirect_uri) else {
            return page::problem("The redirect_uri is not a URL.");
        };
        {
            let mut query = url.query_pairs_mut();
            for (name, value) in params {
                query.append_pair(name, value);
            }
            if let Some(state) = self.state {
                query.append_pair("state", state);
            }
            query.append_pair("iss", self.issuer);
        }
        let mut response = StatusCode::SEE_OTHER.into_response();
        if let Ok(location) = HeaderValue::from_str(url.as_str()) {
            response.headers_mut().insert(header::LOCATION, location);
        }
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response.headers_mut().insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
        response
    }
}
