//! How a tool fails: an `isError` result with one sentence to act on ("failed to <verb> <object>:
//! <reason>. <what to try>") and `{error: {…}}`. This is the one place that words fal's refusals
//! (a rejected key, a locked account) and what a caller may do once fal has accepted a job.

use rmcp::model::{CallToolResponse, CallToolResult, ContentBlock};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::json;

use crate::fal::{EndpointId, FalError, RequestId};

/// The structured part of a failed call, and of a job that failed at fal.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct ToolError {
    /// HTTP status fal answered with, or null when fal was not reached or the input was refused first.
    pub(crate) status: Option<u16>,
    /// Machine-readable category, e.g. authorization_error, rate_limited, not_found, invalid_argument, cost_limit, timeout, job_failed.
    #[serde(rename = "type")]
    pub(crate) kind: String,
    /// What went wrong, in words.
    pub(crate) message: String,
    /// Whether the same call may succeed if made again later. False whenever making it again could pay twice.
    pub(crate) retryable: bool,
    /// Seconds to wait before retrying, when fal said so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) retry_after: Option<u64>,
    /// The job fal accepted, when there is one: follow it with check_job rather than running it again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) request_id: Option<String>,
    /// What to do next.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) next: Option<String>,
}

/// A failed call on its way to becoming a tool result (boxed: handlers pass it up with `?`).
#[derive(Debug)]
pub(crate) struct Failure(Box<Parts>);

#[derive(Debug)]
struct Parts {
    action: String,
    error: ToolError,
    hint: String,
    /// A refused key keeps the words [`general_hint`] gives it, whatever the tool would add.
    key_refused: bool,
}

impl Failure {
    fn new(action: impl Into<String>, error: ToolError, hint: impl Into<String>) -> Self {
        Self(Box::new(Parts { action: action.into(), error, hint: hint.into(), key_refused: false }))
    }

    /// An argument refused before anything was sent to fal.
    pub(crate) fn invalid(action: impl Into<String>, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self::new(action, local_error("invalid_argument", message), hint)
    }

    /// Input the model's schema refuses, caught before anything was submitted.
    pub(crate) fn rejected(action: impl Into<String>, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self::new(action, local_error("validation_error", message), hint)
    }

    /// A call refused before submitting because of what it would cost.
    pub(crate) fn over_limit(action: impl Into<String>, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self::new(action, local_error("cost_limit", message), hint)
    }

    /// A place other than fal (a URL to copy from) could not be reached; trying again may work.
    pub(crate) fn unreachable(action: impl Into<String>, message: impl Into<String>, hint: impl Into<String>) -> Self {
        let mut error = local_error("network_error", message);
        error.retryable = true;
        Self::new(action, error, hint)
    }

    /// A job that ran on fal and failed there, with fal's own error.
    pub(crate) fn job_failed(action: impl Into<String>, error: ToolError) -> Self {
        Self::new(action, error, "")
    }

    /// Marks the failure as not safe to repeat as it is (fal may have acted on the call).
    pub(crate) fn not_retryable(mut self) -> Self {
        self.0.error.retryable = false;
        self
    }

    /// The caller went away while the tool was working.
    pub(crate) fn cancelled(action: impl Into<String>, hint: impl Into<String>) -> Self {
        Self::new(action, local_error("cancelled", "the call was cancelled by the client"), hint)
    }

    /// A fal failure while trying to `action`, with the hint that fits what fal said.
    pub(crate) fn fal(action: impl Into<String>, err: &FalError) -> Self {
        let error = ToolError {
            status: err.status(),
            kind: err.kind().to_string(),
            message: err.message(),
            retryable: err.is_transient(),
            retry_after: err.retry_after(),
            request_id: None,
            next: None,
        };
        let mut failure = Self::new(action, error, general_hint(err));
        failure.0.key_refused = err.is_key_refused();
        failure
    }

    /// Replaces the hint with one that fits the tool, except for a refused key, whose words are fixed.
    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Self {
        if !self.0.key_refused {
            self.0.hint = hint.into();
        }
        self
    }

    /// The failure concerns a job fal has accepted: the answer carries its request id, says how to
    /// follow it, and is never flagged as safe to make again when that would submit it again.
    pub(crate) fn for_job(mut self, id: &EndpointId, request_id: &RequestId, call_submits: bool) -> Self {
        let follow = follow_hint(id, request_id);
        self.0.error.request_id = Some(request_id.to_string());
        self.0.error.next = Some(follow.clone());
        if call_submits {
            self.0.error.retryable = false;
            self.0.hint = format!(
                "{}fal accepted the job {request_id} and it may still be running or done: do not run it again; {follow}",
                if self.0.key_refused { format!("{}. ", self.0.hint) } else { String::new() }
            );
        } else if !self.0.key_refused {
            self.0.hint = if self.0.error.retryable {
                format!("the job is unaffected; retry in a few seconds: {follow}")
            } else {
                format!("{}; the job itself is unaffected", self.0.hint)
            };
        }
        self
    }

    /// The failure is the end of a job fal accepted and ran: the answer carries its request id,
    /// and `next` is what `remedy` asks (never to follow a job that is over).
    pub(crate) fn for_ended_job(mut self, request_id: &RequestId, remedy: crate::fal::remedy::Remedy) -> Self {
        self.0.error.request_id = Some(request_id.to_string());
        self.0.error.retryable = remedy.retryable();
        self.0.error.next = Some(remedy.after_job().into());
        if !self.0.key_refused {
            self.0.hint = format!("job {request_id} ended without output; {}", remedy.after_job());
        }
        self
    }

    pub(crate) fn into_result(self) -> CallToolResult {
        let status = self.0.error.status.map(|s| format!("{s} ")).unwrap_or_default();
        let message = self.0.error.message.trim_end_matches('.');
        let text = format!("failed to {}: {status}{message}. {}", self.0.action, self.0.hint);
        let mut result = CallToolResult::error(vec![ContentBlock::text(text)]);
        result.structured_content = Some(json!({ "error": self.0.error }));
        result
    }
}

/// A handler's `Err(Failure)` becomes an `isError` result the model can read, never a protocol error.
impl rmcp::handler::server::tool::IntoCallToolResult for Failure {
    fn into_call_tool_result(self) -> Result<CallToolResponse, rmcp::ErrorData> {
        Ok(self.into_result().into())
    }
}

fn local_error(kind: &str, message: impl Into<String>) -> ToolError {
    ToolError {
        status: None,
        kind: kind.into(),
        message: message.into(),
        retryable: false,
        retry_after: None,
        request_id: None,
        next: None,
    }
}

/// How to follow a job from an answer that carries its endpoint_id and request_id already.
pub(crate) const FOLLOW: &str =
    "follow it with check_job (this endpoint_id and request_id); it carries the output once COMPLETED";

/// How to follow a job from an answer that may not carry its ids (an error): the exact check_job call.
pub(crate) fn follow_hint(id: &EndpointId, request_id: &RequestId) -> String {
    format!(
        "call check_job with endpoint_id \"{id}\" and request_id \"{request_id}\" to follow it (it carries the output once COMPLETED)"
    )
}

/// What to try after a fal failure, by what fal said; the words for a refused key live only here.
fn general_hint(err: &FalError) -> String {
    if let Some(permission) = err.missing_permission() {
        return format!(
            "this fal key lacks the permission {permission}: create a key with the API preset (\"run models and upload \
             files\", which has every permission this server uses) or FULL at https://fal.ai/dashboard/keys, and sign \
             in or send it instead; the call's arguments are not the problem"
        );
    }
    if err.is_account_refused() {
        return "fal refused this key's account: it may be locked or out of balance (top up at \
                https://fal.ai/dashboard/billing), or the key lacks the scope this needs; the call's arguments are not the problem"
            .into();
    }
    if err.is_key_refused() {
        return "fal rejected the key: sign in to this server again, or send a valid fal key as \
                'Authorization: Bearer <FAL_KEY>' (keys look like key_id:key_secret; see https://fal.ai/dashboard/keys)"
            .into();
    }
    match err {
        FalError::Timeout(_) => "fal was too slow to answer; retry in a few seconds".into(),
        FalError::Unreachable | FalError::Network(_) => "the server could not reach fal; retry in a few seconds".into(),
        FalError::Decode { .. } => "fal sent an unexpected answer; retry, and report it if it persists".into(),
        FalError::SchemaUnavailable(_) => "retry later; the model may still run without its schema".into(),
        _ if err.is_not_found() => "check the endpoint_id with search_models".into(),
        _ if err.kind() == "rate_limited" => match err.retry_after() {
            Some(seconds) => format!("fal is rate limiting this key; retry after {seconds} seconds"),
            None => "fal is rate limiting this key; wait a few seconds and retry".into(),
        },
        _ if err.is_transient() => "this is on fal's side; retry in a few seconds".into(),
        _ if err.is_invalid_input() => "fal refused the request: fix what it names and try again".into(),
        _ => "fal refused the request; read its message above".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, message: &str) -> FalError {
        FalError::Api {
            status: reqwest::StatusCode::from_u16(status).unwrap(),
            kind: None,
            message: message.into(),
            retry_after: None,
            retryable: None,
        }
    }

    fn sentence(failure: Failure) -> (String, serde_json::Value) {
        let result = failure.into_result();
        let text = result.content[0].as_text().unwrap().text.clone();
        (text, result.structured_content.unwrap()["error"].clone())
    }

    #[test]
    fn a_refused_key_or_account_is_never_blamed_on_the_arguments() {
        let (locked, _) = sentence(
            Failure::fal("submit a job to fal-ai/flux/dev", &api(403, "User is locked"))
                .with_hint("nothing was queued; check the arguments"),
        );
        assert!(locked.contains("locked or out of balance") && !locked.contains("check the arguments"), "{locked}");
        let (rejected, error) = sentence(Failure::fal("search models", &api(401, "No user found")));
        assert!(rejected.contains("fal rejected the key"), "{rejected}");
        assert_eq!(error["type"], "authorization_error");
    }

    #[test]
    fn after_acceptance_nothing_invites_a_second_run() {
        let id = EndpointId::parse("fal-ai/flux/dev").unwrap();
        let request_id = RequestId::parse("abc-123").unwrap();
        let (text, error) =
            sentence(Failure::fal("run fal-ai/flux/dev", &api(503, "down")).for_job(&id, &request_id, true));
        assert_eq!(error["retryable"], false);
        assert_eq!(error["request_id"], "abc-123");
        assert!(error["next"].as_str().unwrap().contains("check_job"));
        assert!(text.contains("do not run it again") && text.contains("abc-123"), "{text}");
        let (_, error) = sentence(Failure::fal("check", &api(503, "down")).for_job(&id, &request_id, false));
        assert_eq!(error["retryable"], true, "checking again is safe");
    }
}
