//! How every tool answers: success JSON as `structuredContent` plus the same JSON as text;
//! failures as `isError` results with a sentence to act on and `{error: {…}}`; and output schemas
//! that admit both shapes, so clients that validate structured content accept error results too.

use std::sync::Arc;

use rmcp::model::{CallToolResult, ContentBlock, JsonObject};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Value, json};

use crate::fal::FalError;

/// The structured part of a failed call.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ToolError {
    /// HTTP status fal answered with, or null when fal was not reached or the input was refused first.
    pub status: Option<u16>,
    /// Machine-readable category, e.g. authorization_error, rate_limited, not_found, invalid_argument, timeout.
    #[serde(rename = "type")]
    pub kind: String,
    /// What went wrong, in words.
    pub message: String,
    /// Whether the same call may succeed if retried later.
    pub retryable: bool,
    /// Seconds to wait before retrying, when fal said so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

/// A failed call on its way to becoming a tool result.
#[derive(Debug)]
pub struct Failure {
    action: String,
    error: ToolError,
    hint: String,
}

impl Failure {
    /// A fal failure while trying to `action` (e.g. "search models").
    pub fn fal(action: impl Into<String>, err: &FalError) -> Self {
        Self {
            action: action.into(),
            hint: hint_for(err),
            error: ToolError {
                status: err.status(),
                kind: err.kind().to_string(),
                message: err.message(),
                retryable: err.retryable(),
                retry_after: err.retry_after(),
            },
        }
    }

    /// Input refused before anything was sent to fal.
    pub fn invalid(action: impl Into<String>, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self {
            action: action.into(),
            hint: hint.into(),
            error: ToolError {
                status: None,
                kind: "invalid_argument".into(),
                message: message.into(),
                retryable: false,
                retry_after: None,
            },
        }
    }

    /// Input the model's schema refuses, caught before anything was submitted.
    pub fn rejected(action: impl Into<String>, message: impl Into<String>, hint: impl Into<String>) -> Self {
        let mut failure = Self::invalid(action, message, hint);
        failure.error.kind = "validation_error".into();
        failure
    }

    /// A job that ran on fal and failed there.
    pub fn job_failed(action: impl Into<String>, message: impl Into<String>) -> Self {
        let mut failure = Self::invalid(
            action,
            message,
            "the model failed on this input; read fal's message, adjust the input and run it again",
        );
        failure.error.kind = "job_failed".into();
        failure
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = hint.into();
        self
    }

    pub fn into_result(self) -> CallToolResult {
        let status = self.error.status.map(|s| format!("{s} ")).unwrap_or_default();
        let message = self.error.message.trim_end_matches('.');
        let text = format!("failed to {}: {status}{message}. {}", self.action, self.hint);
        let mut result = CallToolResult::error(vec![ContentBlock::text(text)]);
        result.structured_content = Some(json!({ "error": self.error }));
        result
    }
}

impl From<Failure> for CallToolResult {
    fn from(failure: Failure) -> Self {
        failure.into_result()
    }
}

fn hint_for(err: &FalError) -> String {
    match (err.kind(), err.status()) {
        ("authorization_error", Some(403)) => "fal refused this key: the account may be locked or out of balance \
             (see https://fal.ai/dashboard/billing), or the key lacks the scope this needs"
            .into(),
        ("authorization_error", _) => "fal rejected the key: send a valid fal key to this server as \
             'Authorization: Bearer <FAL_KEY>' (keys look like key_id:key_secret; see https://fal.ai/dashboard/keys)"
            .into(),
        ("rate_limited", _) => match err.retry_after() {
            Some(seconds) => format!("fal is rate limiting this key; retry after {seconds} seconds"),
            None => "fal is rate limiting this key; wait a few seconds and retry".into(),
        },
        ("not_found", _) => "check the endpoint_id with search_models".into(),
        ("timeout", _) => "fal was too slow to answer; retry in a few seconds".into(),
        ("network_error", _) => "the server could not reach fal; retry in a few seconds".into(),
        ("invalid_response", _) => "fal sent an unexpected answer; retry, and report it if it persists".into(),
        ("schema_unavailable", _) => "retry later; the model may still run without its schema".into(),
        _ if err.retryable() => "this is on fal's side; retry in a few seconds".into(),
        _ => "check the arguments and try again".into(),
    }
}

/// Any serializable value as a successful result.
pub fn success<T: Serialize>(value: &T) -> CallToolResult {
    match serde_json::to_value(value) {
        Ok(value) => CallToolResult::structured(value),
        Err(e) => Failure::invalid("encode the result", e.to_string(), "this is a bug in fal-mcp; please report it")
            .into_result(),
    }
}

/// The output schema of a tool that answers `T`: `T`'s fields plus `error`, with `T`'s required
/// fields applying only when `error` is absent.
pub fn schema<T: JsonSchema + 'static>() -> Arc<JsonObject> {
    let mut out = rmcp::handler::server::tool::schema_for_output::<T>().as_ref().clone();
    let error = rmcp::handler::server::tool::schema_for_output::<ToolError>();
    let required = out.remove("required").unwrap_or_else(|| json!([]));
    let mut error_schema = error.as_ref().clone();
    error_schema.remove("$schema");
    error_schema.insert(
        "description".into(),
        json!("Present only on failed calls (isError: true), in place of the fields above."),
    );
    if let Some(Value::Object(properties)) = out.get_mut("properties") {
        properties.insert("error".into(), Value::Object(error_schema));
    }
    out.insert("anyOf".into(), json!([{ "required": required }, { "required": ["error"] }]));
    Arc::new(out)
}
