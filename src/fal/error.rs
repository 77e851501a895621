//! One error type for every fal call: the HTTP status, fal's own message, and whether a retry can help.

use reqwest::{StatusCode, header::HeaderMap};
use serde_json::Value;

/// Longest piece of upstream text carried into an error message.
const MAX_MESSAGE: usize = 300;

#[derive(Debug, Clone, thiserror::Error)]
pub enum FalError {
    /// fal answered with a non-success status.
    #[error("{status} {message}")]
    Api {
        status: StatusCode,
        /// fal's error type (`error.type`, `error_type` or `X-Fal-Error-Type`) when it sent one.
        kind: Option<String>,
        message: String,
        retry_after: Option<u64>,
    },
    /// fal did not answer within the configured deadline.
    #[error("fal did not answer within {0} s")]
    Timeout(u64),
    /// The connection to fal failed.
    #[error("could not reach fal ({0})")]
    Network(String),
    /// fal answered 2xx but the body was not what its contract says.
    #[error("{status} fal sent a response this server cannot read ({detail})")]
    Decode { status: StatusCode, detail: String },
    /// fal has no model with this endpoint id.
    #[error("404 no model with endpoint_id '{0}'")]
    UnknownModel(String),
    /// fal has the model but could not produce its OpenAPI schema.
    #[error("fal could not produce the schema ({0})")]
    SchemaUnavailable(String),
}

impl FalError {
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } | Self::Decode { status, .. } => Some(status.as_u16()),
            Self::UnknownModel(_) => Some(404),
            Self::Timeout(_) | Self::Network(_) | Self::SchemaUnavailable(_) => None,
        }
    }

    /// A stable, machine-readable category, close to fal's own vocabulary.
    pub fn kind(&self) -> &str {
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
            Self::Network(_) => "network_error",
            Self::Decode { .. } => "invalid_response",
            Self::UnknownModel(_) => "not_found",
            Self::SchemaUnavailable(_) => "schema_unavailable",
        }
    }

    pub fn retryable(&self) -> bool {
        match self {
            Self::Api { status, .. } => matches!(status.as_u16(), 408 | 409 | 429) || status.is_server_error(),
            Self::Timeout(_) | Self::Network(_) | Self::Decode { .. } => true,
            Self::SchemaUnavailable(_) => true,
            Self::UnknownModel(_) => false,
        }
    }

    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::Api { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The upstream message without the status code, for error sentences.
    pub fn message(&self) -> String {
        match self {
            Self::Api { message, .. } => message.clone(),
            Self::Decode { detail, .. } => {
                format!("fal sent a response this server cannot read ({detail})")
            }
            Self::UnknownModel(id) => format!("no model with endpoint_id '{id}'"),
            other => other.to_string(),
        }
    }

    pub(crate) fn from_reqwest(err: reqwest::Error, timeout_secs: u64) -> Self {
        if err.is_timeout() {
            Self::Timeout(timeout_secs)
        } else if err.is_connect() {
            Self::Network("connection failed".into())
        } else if err.is_body() || err.is_decode() {
            Self::Network("the response was cut off".into())
        } else {
            Self::Network("request failed".into())
        }
    }

    /// Builds the error for a non-success answer from fal, reading its Platform envelope
    /// (`{"error":{"type","message"}}`), FastAPI's `{"detail": …}` or plain text.
    pub(crate) fn from_response(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Self {
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
        Self::Api { status, kind: kind.or(header_kind), message: truncate(&message), retry_after }
    }
}

fn parse_error_body(json: &Value) -> (Option<String>, Option<String>) {
    let text = |v: &Value| v.as_str().map(str::to_owned);
    if let Some(error) = json.get("error").filter(|e| e.is_object()) {
        return (error.get("type").and_then(text), error.get("message").and_then(text));
    }
    let kind = json.get("error_type").and_then(text);
    let message = match json.get("detail") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .map(|item| {
                    let loc = item
                        .get("loc")
                        .and_then(Value::as_array)
                        .map(|l| {
                            l.iter()
                                .filter(|p| p.as_str() != Some("body"))
                                .map(|p| p.as_str().map_or_else(|| p.to_string(), str::to_owned))
                                .collect::<Vec<_>>()
                                .join(".")
                        })
                        .unwrap_or_default();
                    let msg = item.get("msg").and_then(Value::as_str).unwrap_or("invalid");
                    if loc.is_empty() { msg.to_string() } else { format!("{loc}: {msg}") }
                })
                .collect::<Vec<_>>()
                .join("; "),
        ),
        _ => json.get("message").and_then(text).or_else(|| json.get("error").and_then(text)),
    };
    (kind, message)
}

fn plain_text(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() || text.starts_with('<') {
        return None;
    }
    Some(text.split_whitespace().collect::<Vec<_>>().join(" "))
}

pub(crate) fn truncate(text: &str) -> String {
    crate::text::clip(text, MAX_MESSAGE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(status: u16, body: Value) -> FalError {
        FalError::from_response(StatusCode::from_u16(status).unwrap(), &HeaderMap::new(), body.to_string().as_bytes())
    }

    #[test]
    fn reads_each_of_fals_error_envelopes() {
        let platform = err(429, json!({"error": {"type": "rate_limited", "message": "Rate limit exceeded"}}));
        assert_eq!(platform.message(), "Rate limit exceeded");
        assert_eq!(platform.kind(), "rate_limited");
        assert!(platform.retryable());

        let detail = err(401, json!({"detail": "No user found for Key ID and Secret"}));
        assert_eq!(detail.kind(), "authorization_error");
        assert!(!detail.retryable());

        let fields = err(
            422,
            json!({"detail": [
                {"loc": ["body", "prompt"], "msg": "Field required", "type": "missing"},
                {"loc": ["body", "image_size", "width"], "msg": "must be ≤ 14142", "type": "value_error"}
            ]}),
        );
        assert_eq!(fields.message(), "prompt: Field required; image_size.width: must be ≤ 14142");

        let infra = err(503, json!({"detail": "Runner down", "error_type": "runner_scheduling_failure"}));
        assert_eq!(infra.kind(), "runner_scheduling_failure");
        assert!(infra.retryable());
    }

    #[test]
    fn html_and_empty_bodies_fall_back_to_the_status_reason() {
        let e = FalError::from_response(StatusCode::BAD_GATEWAY, &HeaderMap::new(), b"<html>nginx</html>");
        assert_eq!(e.message(), "Bad Gateway");
        let long = "x".repeat(1000);
        let e = FalError::from_response(StatusCode::BAD_REQUEST, &HeaderMap::new(), long.as_bytes());
        assert!(e.message().chars().count() <= MAX_MESSAGE + 1);
    }
}
