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

/// The input schema of a tool taking `T`, without schemars' numeric `format`s and the implied
/// `minimum: 0` of unsigned types: noise to a model, and bytes in every tools/list.
pub fn input<T: JsonSchema + 'static>() -> Arc<JsonObject> {
    let schema = rmcp::handler::server::common::schema_for_input::<T>().expect("tool arguments are objects");
    let mut schema = Value::Object(schema.as_ref().clone());
    strip_noise(&mut schema);
    match schema {
        Value::Object(map) => Arc::new(map),
        _ => unreachable!("an object stays an object"),
    }
}

fn strip_noise(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.remove("$schema");
            let numeric = map
                .get("format")
                .and_then(Value::as_str)
                .is_some_and(|f| ["int", "uint", "float", "double"].iter().any(|p| f.starts_with(p)));
            if numeric {
                let unsigned = map.remove("format").and_then(|f| f.as_str().map(|f| f.starts_with('u'))) == Some(true);
                if unsigned && map.get("minimum") == Some(&json!(0)) {
                    map.remove("minimum");
                }
            }
            map.values_mut().for_each(strip_noise);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_noise),
        _ => {}
    }
}

/// The output schema of a tool that answers `T`: its top-level fields and their types, nested
/// shapes and field notes left to the JSON and the tool's description (this keeps tools/list
/// small: every client downloads it, and a model reads it on every turn), plus
/// `error`; `T`'s required fields apply only when `error` is absent, so clients that validate
/// structured content accept error results too.
pub fn schema<T: JsonSchema + 'static>() -> Arc<JsonObject> {
    let full = rmcp::handler::server::tool::schema_for_output::<T>();
    let defs = full.get("$defs").and_then(Value::as_object);
    let mut properties: JsonObject = full
        .get("properties")
        .and_then(Value::as_object)
        .map(|props| props.iter().map(|(name, prop)| (name.clone(), shallow(prop, defs))).collect())
        .unwrap_or_default();
    properties.insert(
        "error".into(),
        json!({
            "type": "object",
            "description": "Only when isError is true: {status, type, message, retryable, retry_after?}."
        }),
    );
    let required = full.get("required").cloned().unwrap_or_else(|| json!([]));
    let mut out = JsonObject::new();
    out.insert("type".into(), json!("object"));
    out.insert("properties".into(), Value::Object(properties));
    out.insert("anyOf".into(), json!([{ "required": required }, { "required": ["error"] }]));
    Arc::new(out)
}

/// A property's type (through `$ref`s and nullable unions), without nested detail.
fn shallow(prop: &Value, defs: Option<&JsonObject>) -> Value {
    let resolve = |p: &Value| -> Value {
        match p.get("$ref").and_then(Value::as_str) {
            Some(r) => defs.and_then(|d| d.get(r.rsplit('/').next().unwrap_or(r))).cloned().unwrap_or(json!({})),
            None => p.clone(),
        }
    };
    let mut kind = resolve(prop).get("type").cloned();
    if kind.is_none()
        && let Some(branches) = prop.get("anyOf").or_else(|| prop.get("oneOf")).and_then(Value::as_array)
    {
        let mut types: Vec<Value> = Vec::new();
        for branch in branches.iter().map(resolve) {
            match branch.get("type") {
                Some(Value::Array(many)) => types.extend(many.iter().cloned()),
                Some(one) => types.push(one.clone()),
                None => {}
            }
        }
        types.dedup();
        kind = Some(if types.len() == 1 { types.remove(0) } else { Value::Array(types) });
    }
    let mut out = JsonObject::new();
    if let Some(kind) = kind {
        out.insert("type".into(), kind);
    }
    Value::Object(out)
}
