//! `Authorization: Bearer <FAL_KEY>` → a [`FalKey`] in the request extensions, or a 401 that says
//! what to send (400 when the request carries more than one Authorization header).

use axum::{
    extract::Request,
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::Response,
};

use crate::fal::FalKey;

/// Requires a Bearer key on every request it guards and hands it to the tools as a [`FalKey`].
pub(crate) async fn require_bearer(mut request: Request, next: Next) -> Response {
    let mut values = request.headers().get_all(header::AUTHORIZATION).iter();
    let (first, second) = (values.next(), values.next());
    if second.is_some() {
        return super::refusal(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "the request has more than one Authorization header; send exactly one, 'Authorization: Bearer <FAL_KEY>'",
        );
    }
    match bearer_key(first) {
        Ok(key) => {
            request.extensions_mut().insert(key);
            next.run(request).await
        }
        Err(problem) => unauthorized(problem),
    }
}

fn bearer_key(value: Option<&HeaderValue>) -> Result<FalKey, &'static str> {
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
    FalKey::new(token).ok_or("the Bearer key has characters a fal key cannot have")
}

fn unauthorized(problem: &str) -> Response {
    let message = format!(
        "{problem}. Send your fal API key on every request as 'Authorization: Bearer <FAL_KEY>' \
         (create one at https://fal.ai/dashboard/keys; it looks like key_id:key_secret)."
    );
    let mut response = super::refusal(StatusCode::UNAUTHORIZED, "unauthorized", message);
    response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"fal-mcp\""));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bearer_keys_and_names_each_problem() {
        let ok = |v: &str| bearer_key(Some(&HeaderValue::from_str(v).unwrap()));
        assert!(ok("Bearer id:secret").is_ok());
        assert!(ok("bearer id:secret").is_ok());
        assert_eq!(bearer_key(None).unwrap_err(), "the Authorization header is missing");
        assert_eq!(ok("Bearer ").unwrap_err(), "the Authorization header is not 'Bearer <FAL_KEY>'");
        assert_eq!(ok("Bearer    ").unwrap_err(), "the Authorization header is not 'Bearer <FAL_KEY>'");
        assert_eq!(ok("Basic abc").unwrap_err(), "the Authorization scheme must be Bearer");
        assert_eq!(ok("Key id:secret").unwrap_err(), "the Authorization scheme must be Bearer");
        assert_eq!(ok("Bearer a b").unwrap_err(), "the Bearer key has characters a fal key cannot have");
        assert_eq!(ok("id:secret").unwrap_err(), "the Authorization header is not 'Bearer <FAL_KEY>'");
    }
}
