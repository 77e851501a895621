//! `Authorization: Bearer <FAL_KEY>`, or one of the sign-in's access tokens (see `oauth/`),
//! becomes a [`FalKey`] in the request extensions; anything else is a 401 that says what to send
//! and, when the sign-in is on, where its metadata is (400 for more than one Authorization header).
//! When the operator lets anyone read (FAL_MCP_READ_WITHOUT_KEY), a request with no Authorization
//! at all goes on marked [`Keyless`]; once its body is read, [`keyless_gate`] lets it discover
//! (initialize, tools/list, the tools in `KEYLESS_TOOLS`), within a per-address rate, and answers
//! anything that would spend or read an account with the same 401, which starts a client's sign-in.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use super::{admit::Rpc, client_ip::ClientIp, counts::WindowCounts};
use crate::{
    fal::FalKey,
    oauth::{OAuth, TokenProblem},
    tools::{KEYLESS_TOOLS, Keyless},
};
use axum::{
    extract::{ConnectInfo, Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::Response,
};

/// How requests prove who they are.
pub(crate) struct Auth {
    pub(crate) oauth: Option<Arc<OAuth>>,
    /// Reading without a key, when the operator allows it.
    pub(crate) keyless: Option<KeylessReads>,
}

/// The limit on reads without a key: calls per address per minute.
pub(crate) struct KeylessReads {
    per_minute: u32,
    client_ip: Arc<ClientIp>,
    calls: WindowCounts,
}

impl KeylessReads {
    pub(crate) fn new(per_minute: u32, client_ip: Arc<ClientIp>) -> Self {
        Self { per_minute, client_ip, calls: WindowCounts::new(Duration::from_secs(60)) }
    }
}

/// Requires a key or an access token on every request it guards and hands the key to the tools.
pub(crate) async fn require_key(State(auth): State<Arc<Auth>>, mut request: Request, next: Next) -> Response {
    let oauth = auth.oauth.clone();
    if auth.keyless.is_some() && !request.headers().contains_key(header::AUTHORIZATION) {
        request.extensions_mut().insert(Keyless);
        return next.run(request).await;
    }
    let mut values = request.headers().get_all(header::AUTHORIZATION).iter();
    let (first, second) = (values.next(), values.next());
    if second.is_some() {
        return super::refusal(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "the request has more than one Authorization header; send exactly one, 'Authorization: Bearer <FAL_KEY>'",
        );
    }
    let bearer = match bearer(first) {
        Ok(bearer) => bearer,
        Err(problem) => return unauthorized(problem, oauth.as_deref(), false),
    };
    let from_token = match &oauth {
        Some(oauth) => oauth.key_from_token(bearer).await,
        None => None,
    };
    let key = match from_token {
        Some(Ok(key)) => key,
        Some(Err(problem)) => {
            let problem = match problem {
                TokenProblem::Expired => "the access token has expired (refresh it, or sign in again)",
                TokenProblem::WrongResource => "the access token was issued for another server",
                TokenProblem::Invalid => "the access token is not valid here (sign in again)",
                TokenProblem::Revoked => {
                    "the sign-in was revoked because one of its refresh tokens was used twice (sign in again)"
                }
            };
            return unauthorized(problem, oauth.as_deref(), true);
        }
        None if oauth.is_none() && bearer.starts_with("falmcp_") => {
            return unauthorized(
                "the Bearer value is a sign-in token, but this server has sign-in off and never issued it",
                None,
                false,
            );
        }
        None => match FalKey::new(bearer) {
            Some(key) => key,
            None => return unauthorized("the Bearer value is not a fal key", oauth.as_deref(), false),
        },
    };
    request.extensions_mut().insert(key);
    next.run(request).await
}

/// The Bearer value of the one Authorization header, or what is wrong with it.
fn bearer(value: Option<&HeaderValue>) -> Result<&str, &'static str> {
    let value = value.ok_or("the Authorization header is missing")?;
    let value = value.to_str().map_err(|_| "the Authorization header is not ASCII")?;
    let (scheme, token) = value.trim().split_once(' ').ok_or("the Authorization header is not 'Bearer <FAL_KEY>'")?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err("the Authorization scheme must be Bearer");
    }
    let token = token.trim();
    if token.is_empty() {
        return Err("the Bearer key is empty");
    }
    Ok(token)
}

/// For a request marked [`Keyless`]: discovery and the keyless tools pass, within the address's
/// rate; a tool that spends or reads an account gets the 401 that starts sign-in.
pub(crate) async fn keyless_gate(State(auth): State<Arc<Auth>>, request: Request, next: Next) -> Response {
    let (Some(reads), Some(_)) = (&auth.keyless, request.extensions().get::<Keyless>()) else {
        return next.run(request).await;
    };
    let rpc = request.extensions().get::<Rpc>();
    // GET (a stream) and DELETE (a session) carry no call: the transport answers them as for anyone.
    let allowed = request.method() != axum::http::Method::POST
        || match rpc {
            Some(rpc) if rpc.method.as_deref() == Some("tools/call") => {
                rpc.tool.as_deref().is_some_and(|tool| KEYLESS_TOOLS.contains(&tool))
            }
            Some(_) => true,
            // Not one JSON-RPC message (a batch, or unreadable): only a keyed caller may send it.
            None => false,
        };
    if !allowed {
        let tool = rpc.and_then(|r| r.tool.as_deref()).unwrap_or("this request");
        let problem = format!(
            "{} needs your fal key (it runs models, uploads files or reads your account)",
            crate::text::shown(tool)
        );
        return unauthorized(&problem, auth.oauth.as_deref(), false);
    }
    if rpc.and_then(|r| r.method.as_deref()) == Some("tools/call") {
        let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
        let address = reads.client_ip.of(request.headers(), peer).map_or_else(|| "unknown".into(), |ip| ip.to_string());
        if reads.calls.add(address).await > reads.per_minute {
            let mut response = super::refusal(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                format!(
                    "{} calls a minute may be made from one address without a key; wait a minute, or sign in \
                     (or send 'Authorization: Bearer <FAL_KEY>') for more",
                    reads.per_minute
                ),
            );
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
            return response;
        }
    }
    next.run(request).await
}

fn unauthorized(problem: &str, oauth: Option<&OAuth>, token_refused: bool) -> Response {
    let sign_in = if oauth.is_some() { "Sign in through your client (OAuth), or send" } else { "Send" };
    let message = format!(
        "{problem}. {sign_in} your fal API key on every request as 'Authorization: Bearer <FAL_KEY>'; {}.",
        FalKey::SHAPE
    );
    let mut response = super::refusal(StatusCode::UNAUTHORIZED, "unauthorized", message);
    let challenge = match oauth {
        Some(oauth) => {
            // RFC 6750 §3: the description is plain ASCII without quotes, as every `problem` here is.
            let error = if token_refused {
                format!(", error=\"invalid_token\", error_description=\"{problem}\"")
            } else {
                String::new()
            };
            format!("Bearer realm=\"fal-mcp\", resource_metadata=\"{}\"{error}", oauth.resource_metadata_url())
        }
        None => "Bearer realm=\"fal-mcp\"".to_string(),
    };
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_bearer_values_and_names_each_problem() {
        let ok = |v: &str| bearer(Some(&HeaderValue::from_str(v).unwrap())).map(str::to_owned);
        assert_eq!(ok("Bearer id:secret").unwrap(), "id:secret");
        assert_eq!(ok("bearer id:secret").unwrap(), "id:secret");
        assert_eq!(bearer(None).unwrap_err(), "the Authorization header is missing");
        assert_eq!(ok("Bearer ").unwrap_err(), "the Authorization header is not 'Bearer <FAL_KEY>'");
        assert_eq!(ok("Bearer    ").unwrap_err(), "the Authorization header is not 'Bearer <FAL_KEY>'");
        assert_eq!(ok("Basic abc").unwrap_err(), "the Authorization scheme must be Bearer");
        assert_eq!(ok("Key id:secret").unwrap_err(), "the Authorization scheme must be Bearer");
        assert_eq!(ok("id:secret").unwrap_err(), "the Authorization header is not 'Bearer <FAL_KEY>'");
    }
}
