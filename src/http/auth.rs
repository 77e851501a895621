//! `Authorization: Bearer <FAL_KEY>`, or one of the sign-in's access tokens (see `oauth/`),
//! becomes a [`FalKey`] in the request extensions; anything else is a 401 that says what to send
//! and, when the sign-in is on, where its metadata is (400 for more than one Authorization header).

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::Response,
};

use crate::{
    fal::FalKey,
    oauth::{OAuth, TokenProblem},
};

/// Requires a key or an access token on every request it guards and hands the key to the tools.
pub(crate) async fn require_key(State(oauth): State<Option<Arc<OAuth>>>, mut request: Request, next: Next) -> Response {
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
