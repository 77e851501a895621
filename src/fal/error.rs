//! One error type for every fal call: the HTTP status, fal's own message, and questions the tools
//! ask of it (was it the key, the input, a missing model; may a retry help; may fal have got it).

use reqwest::{StatusCode, header::HeaderMap};
use serde_json::Value;

use super::FalKey;

/// Longest piece of upstream text carried into an error message.
const MAX_MESSAGE: usize = 300;

#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum FalError {
    /// fal answered with a non-success status.
    #[error("{status} {message}")]
    Api {
        status: StatusCode,
        /// fal's error type (`error.type`, `error_type` or `X-Fal-Error-Type`) when it sent one.
        kind: Option<String>,
        message: String,
        retry_after: Option<u64>,
        /// fal's `X-Fal-Retryable` header, when it sent one.
        retryable: Option<bool>,
    },
    /// The request was sent but fal did not answer within the deadline.
    #[error("fal did not answer within {0} s")]
    Timeout(u64),
    /// No connection to fal could be made: nothing was sent.
    #[error("could not connect to fal")]
    Unreachable,
    /// The connection broke while the request or its answer was on the way.
    #[error("the connection to fal broke ({0})")]
    Network(&'static str),
    /// fal answered 2xx but the body was not what its contract says.
    #[error("{status} fal sent a response this server cannot read ({detail})")]
    Decode { status: StatusCode, detail: String },
    /// fal has no model with this endpoint id in its catalog.
    #[error("404 no model with endpoint_id '{0}'")]
    UnknownModel(String),
    /// fal has the model but could not produce its OpenAPI schema.
    #[error("fal could not produce the schema ({0})")]
    SchemaUnavailable(String),
}

impl FalError {
    pub(crate) fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } | Self::Decode { status, .. } => Some(status.as_u16()),
            Self::UnknownModel(_) => Some(404),
            Self::Timeout(_) | Self::Unreachable | Self::Network(_) | Self::SchemaUnavailable(_) => None,
        }
    }

    fn api_status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } => Some(status.as_u16()),
            _ => None,
        }
    }

    /// fal refused the key (401) or the account behind it (403: locked, out of balance, scope).
    pub(crate) fn is_key_refused(&self) -> bool {
        matches!(self.api_status(), Some(401 | 403))
    }

    /// The account, not the key: 403.
    pub(crate) fn is_account_refused(&self) -> bool {
        self.api_status() == Some(403)
    }

    pub(crate) fn is_not_found(&self) -> bool {
        matches!(self, Self::UnknownModel(_)) || self.api_status() == Some(404)
    }

    /// The permission fal said the key lacks ("Missing permission models:requests:submit").
    pub(crate) fn missing_permission(&self) -> Option<&str> {
        match self {
            Self::Api { status, message, .. } if status.as_u16() == 403 => {
                let rest = message.split("Missing permission").nth(1)?;
                rest.split_whitespace()
                    .next()
                    .map(|p| p.trim_matches(|c: char| c == ':' || c == '.' || c == '\'' || c == '"'))
            }
            _ => None,
        }
    }

    /// fal (or the model) refused the input: 400 or 422 with fal's field messages.
    pub(crate) fn is_invalid_input(&self) -> bool {
        matches!(self.api_status(), Some(400 | 422))
    }

    /// Whether the same request may succeed later: rate limits, fal's 5xx, timeouts, broken connections.
    pub(crate) fn is_transient(&self) -> bool {
        match self {
            Self::Api { retryable: Some(said), .. } => *said,
            Self::Api { status, .. } => matches!(status.as_u16(), 408 | 409 | 429) || status.is_server_error(),
            Self::Timeout(_) | Self::Unreachable | Self::Network(_) | Self::Decode { .. } => true,
            Self::SchemaUnavailable(_) => true,
            Self::UnknownModel(_) => false,
        }
    }

    /// Whether fal may have received and acted on the request although no usable answer came back:
    /// after a timeout, a broken connection, or an unreadable success. Resending could do it twice.
    pub(crate) fn may_have_reached_fal(&self) -> bool {
        matches!(self, Self::Timeout(_) | Self::Network(_) | Self::Decode { .. })
    }

    /// A stable, machine-readable category, close to fal's own vocabulary.
    pub(crate) fn kind(&self) -> &str {
        match self {
            Self::Api { status, kind, .. } => match status.as_u16() {
                401 | 403 => "authorization_error",
                404 => "not_found",
                429 => "rate_limited",
                400 | 422 => kind.as_deref().unwrap_or("validation_error"),
                s if s >= 500 => kind.as_deref().unwrap_or("server_error"),
                _ => kind.as_deref().unwrap_or("request_error"),
            },
            Self::Timeout(_) => "timeout",
            Self::Unreachable | Self::Network(_) => "network_error",
            Self::Decode { .. } => "invalid_response",
            Self::UnknownModel(_) => "not_found",
            Self::SchemaUnavailable(_) => "schema_unavailable",
        }
    }

    /// What the failure asks of the caller, by fal's error type (see `remedy.rs`).
    pub(crate) fn remedy(&self) -> super::remedy::Remedy {
        match self {
            Self::Timeout(_) | Self::Unreachable | Self::Network(_) | Self::Decode { .. } => {
                super::remedy::Remedy::RetryLater
            }
            _ => super::remedy::remedy(self.kind(), self.status()),
        }
    }

    pub(crate) fn retry_after(&self) -> Option<u64> {
        match self {
            Self::Api { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The upstream message without the status code, for error sentences.
    pub(crate) fn message(&self) -> String {
        match self {
            Self::Api { message, .. } => message.clone(),
            Self::Decode { detail, .. } => format!("fal sent a response this server cannot read ({detail})"),
            Self::UnknownModel(id) => format!("no model with endpoint_id '{id}'"),
            other => other.to_string(),
        }
    }

    pub(super) fn from_reqwest(err: &reqwest::Error, timeout_secs: u64) -> Self {
        if err.is_timeout() {
            Self::Timeout(timeout_secs)
        } else if err.is_connect() {
            Self::Unreachable
        } else if err.is_body() || err.is_decode() {
            Self::Network("the answer was cut off")
        } else {
            Self::Network("the request failed")
        }
    }

    /// The error for a non-success answer from fal, read from its Platform envelope
    /// (`{"error":{"type","message"}}`), FastAPI's `{"detail": …}` or plain text, with the
    /// caller's key taken out of anything fal echoed.
    pub(super) fn from_response(status: StatusCode, headers: &HeaderMap, body: &[u8], key: Option<&FalKey>) -> Self {
        let header_kind = headers.get("x-fal-error-type").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let retry_after = headers
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let (kind, message) = match serde_json::from_slice::<Value>(body) {
            Ok(json) => parse_error_body(&json),
            Err(_) => (None, plain_text(body)),
        };
        let message = message
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_string());
        let message = truncate(&redact(&message, key));
        let retryable = headers.get("x-fal-retryable").and_then(|v| v.to_str().ok()).and_then(|v| match v.trim() {
            v if v.eq_ignore_ascii_case("true") => Some(true),
            v if v.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        });
        Self::Api { status, kind: kind.or(header_kind), message, retry_after, retryable }
    }

    /// A 2xx answer whose body could not be read, with the key taken out of the detail.
    pub(super) fn decode(status: StatusCode, detail: &str, key: Option<&FalKey>) -> Self {
        Self::Decode { status, detail: truncate(&redact(detail, key)) }
    }
}

fn redact(text: &str, key: Option<&FalKey>) -> String {
    key.map_or_else(|| text.to_string(), |key| key.redact(text))
}

/// fal's message from any of its error bodies; queue answers may carry a bare `{"status": …}`.
fn parse_error_body(json: &Value) -> (Option<String>, Option<String>) {
    let text = |v: &Value| v.as_str().map(str::to_owned);
    if let Some(error) = json.get("error").filter(|e| e.is_object()) {
        return (error.get("type").and_then(text), error.get("message").and_then(text));
    }
    // A model error's entries carry fal's type (content_policy_violation, image_too_small…);
    // pydantic's own field types (missing, enum…) stay a validation_error.
    let typed = json
        .get("detail")
        .and_then(Value::as_array)
        .and_then(|items| items.iter().filter_map(|i| i.get("type")?.as_str()).find(|t| super::remedy::is_typed(t)))
        .map(str::to_owned);
    let kind = json.get("error_type").and_then(text).or(typed);
    let message = match json.get("detail") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Array(items)) => Some(items.iter().map(field_problem).collect::<Vec<_>>().join("; ")),
        _ => json
            .get("message")
            .and_then(text)
            .or_else(|| json.get("error").and_then(text))
            .or_else(|| json.get("status").and_then(text)),
    };
    (kind, message)
}

/// One entry of a 422's `detail`: `image_size.width: Input should be …`.
fn field_problem(item: &Value) -> String {
    let at: Vec<String> = item
        .get("loc")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|p| p.as_str() != Some("body"))
        .map(|p| p.as_str().map_or_else(|| p.to_string(), str::to_owned))
        .collect();
    let msg = item.get("msg").and_then(Value::as_str).unwrap_or("invalid");
    if at.is_empty() { msg.to_string() } else { format!("{}: {msg}", at.join(".")) }
}

fn plain_text(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() || text.starts_with('<') {
        return None;
    }
    Some(text.split_whitespace().collect::<Vec<_>>().join(" "))
}

fn truncate(text: &str) -> String {
    crate::text::clip(text, MAX_MESSAGE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(status: u16, body: Value) -> FalError {
        let status = StatusCode::from_u16(status).unwrap();
        FalError::from_response(status, &HeaderMap::new(), body.to_string().as_bytes(), None)
    }

    #[test]
    fn reads_each_of_fals_error_envelopes() {
        let platform = err(429, json!({"error": {"type": "rate_limited", "message": "Rate limit exceeded"}}));
        assert_eq!(platform.message(), "Rate limit exceeded");
        assert_eq!(platform.kind(), "rate_limited");
        assert!(platform.is_transient());

        let detail = err(401, json!({"detail": "No user found for Key ID and Secret"}));
        assert_eq!(detail.kind(), "authorization_error");
        assert!(detail.is_key_refused() && !detail.is_account_refused() && !detail.is_transient());

        let fields = err(
            422,
            json!({"detail": [
                {"loc": ["body", "prompt"], "msg": "Field required", "type": "missing"},
                {"loc": ["body", "image_size", "width"], "msg": "must be ≤ 14142", "type": "value_error"}
            ]}),
        );
        assert_eq!(fields.message(), "prompt: Field required; image_size.width: must be ≤ 14142");
        assert!(fields.is_invalid_input());

        let infra = err(503, json!({"detail": "Runner down", "error_type": "runner_scheduling_failure"}));
        assert_eq!(infra.kind(), "runner_scheduling_failure");
        assert!(infra.is_transient());

        assert_eq!(err(400, json!({"status": "ALREADY_COMPLETED"})).message(), "ALREADY_COMPLETED");
    }

    #[test]
    fn html_and_empty_bodies_fall_back_to_the_status_reason() {
        let e = FalError::from_response(StatusCode::BAD_GATEWAY, &HeaderMap::new(), b"<html>nginx</html>", None);
        assert_eq!(e.message(), "Bad Gateway");
        let long = "x".repeat(1000);
        let e = FalError::from_response(StatusCode::BAD_REQUEST, &HeaderMap::new(), long.as_bytes(), None);
        assert!(e.message().chars().count() <= MAX_MESSAGE + 1);
    }

    #[test]
    fn an_echoed_key_is_redacted_where_the_error_is_made() {
        let key = FalKey::new("0123456789ab:fedcba9876543210").unwrap();
        let body = json!({"detail": "bad key 0123456789ab:fedcba9876543210"}).to_string();
        let e = FalError::from_response(StatusCode::BAD_REQUEST, &HeaderMap::new(), body.as_bytes(), Some(&key));
        assert!(!e.message().contains("fedcba9876543210"), "{}", e.message());
        let d = FalError::decode(StatusCode::OK, "invalid type: string \"0123456789ab\"", Some(&key));
        assert!(!d.message().contains("0123456789ab"));
    }

    #[test]
    fn only_unanswered_requests_may_have_reached_fal() {
        assert!(FalError::Timeout(5).may_have_reached_fal());
        assert!(FalError::Network("the answer was cut off").may_have_reached_fal());
        assert!(!FalError::Unreachable.may_have_reached_fal());
        assert!(!err(503, json!({"detail": "down"})).may_have_reached_fal());
    }
}
