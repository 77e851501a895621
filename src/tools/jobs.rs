//! What run_model, submit_job and check_job share: the job answer, the input check before a
//! submit, the submit itself, and the answer for a completed job. A paid job is never lost and
//! never run twice by our advice: once fal has accepted it, every answer carries its request id.

use rmcp::{RoleServer, model::CallToolResult, service::RequestContext};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};

use super::{
    FalMcp,
    failure::{Failure, ToolError, follow_hint},
    media::{self, Media},
    output,
};
use crate::fal::{EndpointId, FalError, FalKey, QueueStatus, RequestId, SubmitOptions, Submitted};

/// One log line of a running job.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct LogOut {
    pub(crate) message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) level: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) timestamp: Option<String>,
}

/// A job's state, and its output once it has completed.
#[derive(Debug, Default, Serialize, JsonSchema)]
pub(crate) struct JobOutput {
    /// IN_QUEUE, IN_PROGRESS, COMPLETED or FAILED; for cancel: CANCELLATION_REQUESTED, ALREADY_COMPLETED or NOT_FOUND.
    pub(crate) status: String,
    pub(crate) request_id: String,
    pub(crate) endpoint_id: String,
    /// Requests ahead of this one in the queue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) queue_position: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) logs: Option<Vec<LogOut>>,
    /// Why the job failed (status FAILED): fal's message and error type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<ToolError>,
    /// The model's output, whole.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) output: Option<Value>,
    /// Every file in the output (images, video, audio, meshes), also sent as resource links.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) media: Option<Vec<Media>>,
    /// false when the input went to fal unchecked because fal's catalog has no schema for this endpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) validated: Option<bool>,
    /// Why the input was not checked before submitting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) validation_skipped: Option<String>,
    /// What to do next.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) next: Option<String>,
}

impl JobOutput {
    pub(crate) fn new(id: &EndpointId, request_id: &RequestId) -> Self {
        Self { endpoint_id: id.to_string(), request_id: request_id.to_string(), ..Self::default() }
    }

    fn unchecked(mut self, check: &InputCheck) -> Self {
        if let InputCheck::Skipped(why) = check {
            self.validated = Some(false);
            self.validation_skipped = Some(why.clone());
        }
        self
    }
}

/// Whether the input was checked against the model's schema before it was submitted.
#[derive(Debug, Clone)]
pub(crate) enum InputCheck {
    Checked,
    /// fal's catalog has no usable schema (a private app, a sub-path, a schema fal cannot produce).
    Skipped(String),
}

/// A job fal has accepted.
pub(crate) struct Accepted {
    pub(crate) key: FalKey,
    pub(crate) request_id: RequestId,
    pub(crate) submitted: Submitted,
    pub(crate) check: InputCheck,
}

impl FalMcp {
    /// Checks `input` against the model's schema (when fal's catalog has one) and submits it.
    /// Nothing is queued when the check fails, and every failure says whether fal may have queued it.
    pub(crate) async fn submit_checked(
        &self,
        ctx: &RequestContext<RoleServer>,
        id: &EndpointId,
        input: Map<String, Value>,
        options: &SubmitOptions,
        action: &str,
    ) -> Result<Accepted, Failure> {
        let key = self.key(ctx, action)?;
        let input = Value::Object(input);
        let check = self.check_input(&key, id, &input, action).await?;
        let submitted = self.fal.submit(&key, id, &input, options).await.map_err(|e| submit_failure(action, &e))?;
        let request_id = RequestId::parse(&submitted.request_id).map_err(|message| {
            Failure::fal(action, &FalError::Network("fal's answer named no usable request id")).not_retryable().with_hint(
                format!("fal accepted the job but answered with {message}; look at https://fal.ai/dashboard/requests before submitting again"),
            )
        })?;
        Ok(Accepted { key, request_id, submitted, check })
    }

    /// Refuses input the model's schema says can never work. When fal's catalog cannot give a
    /// schema, the input goes to fal unchecked and fal's own answer speaks.
    async fn check_input(
        &self,
        key: &FalKey,
        id: &EndpointId,
        input: &Value,
        action: &str,
    ) -> Result<InputCheck, Failure> {
        let schema = match self.fal.model_schema(key, id).await {
            Ok(schema) => schema,
            Err(e) if e.is_key_refused() => return Err(Failure::fal(action, &e)),
            Err(e) => {
                let why = if e.is_not_found() {
                    format!(
                        "fal's public catalog does not list {id} (a private app, or a sub-path of one), so fal checks the input itself"
                    )
                } else {
                    format!(
                        "fal's catalog could not give {id}'s schema ({}), so fal checks the input itself",
                        e.message()
                    )
                };
                tracing::debug!(endpoint_id = %id, error = %e, "submitting without local validation");
                return Ok(InputCheck::Skipped(why));
            }
        };
        match schema.violations(input) {
            None => Ok(InputCheck::Checked),
            Some(problems) => Err(Failure::rejected(
                action,
                format!("the input does not match {id}'s schema: {}", problems.join("; ")),
                "nothing was submitted; fix every field listed (get_model_schema shows the schema) and try again",
            )),
        }
    }

    /// The answer for a COMPLETED job: its output and media, or why it failed, with fal's field
    /// messages when the model refused the input only once it ran. `submitted` is the input check
    /// of the run_model call that submitted the job (None for check_job).
    pub(crate) async fn completed(
        &self,
        key: &FalKey,
        id: &EndpointId,
        request_id: &RequestId,
        status: QueueStatus,
        action: &str,
        submitted: Option<&InputCheck>,
    ) -> Result<CallToolResult, Failure> {
        // run_model submitted the job (and would submit again if called again); check_job did not.
        let call_submits = submitted.is_some();
        let result = self.fal.result(key, id, request_id).await;
        let output = match result {
            Ok(output) if !status.is_failed() => output,
            Ok(_) => return Err(job_failure(action, id, request_id, &status)),
            Err(e) if e.is_invalid_input() => {
                return Err(Failure::fal(action, &e)
                    .for_job(id, request_id, false)
                    .with_hint("fal refused the input when the job ran: fix the fields named (get_model_schema shows the schema) and run it again"));
            }
            Err(_) if status.is_failed() => return Err(job_failure(action, id, request_id, &status)),
            Err(e) => {
                return Err(Failure::fal(action, &e).for_job(id, request_id, call_submits));
            }
        };
        let media = media::extract(&output);
        let mut answer = JobOutput {
            status: "COMPLETED".into(),
            output: Some(output),
            media: Some(media.clone()),
            ..JobOutput::new(id, request_id)
        };
        if let Some(check) = submitted {
            answer = answer.unchecked(check);
        }
        Ok(media::with_links(output::success(&answer), &media))
    }

    /// The answer right after fal accepted a job.
    pub(crate) fn accepted_output(&self, id: &EndpointId, accepted: &Accepted, next: String) -> JobOutput {
        JobOutput {
            status: accepted.submitted.status.clone(),
            queue_position: accepted.submitted.queue_position,
            next: Some(next),
            ..JobOutput::new(id, &accepted.request_id)
        }
        .unchecked(&accepted.check)
    }
}

/// Why a COMPLETED-with-error job failed, as the structured error fal's status gave.
pub(crate) fn job_error(status: &QueueStatus, request_id: &RequestId) -> ToolError {
    ToolError {
        status: None,
        kind: status.error_type.clone().unwrap_or_else(|| "job_failed".into()),
        message: crate::text::clip(status.error.as_deref().unwrap_or("the job failed"), 600),
        retryable: false,
        retry_after: None,
        request_id: Some(request_id.to_string()),
        next: Some("read fal's message, adjust the input and run the model again".into()),
    }
}

fn job_failure(action: &str, id: &EndpointId, request_id: &RequestId, status: &QueueStatus) -> Failure {
    let error = job_error(status, request_id);
    Failure::job_failed(action, error)
        .with_hint(format!("the model failed on this input (job {request_id} of {id}); read fal's message, adjust the input and run it again"))
}

/// How a failed submit is worded: nothing was queued, unless fal may have got it.
fn submit_failure(action: &str, e: &FalError) -> Failure {
    let failure = Failure::fal(action, e);
    if e.may_have_reached_fal() {
        return failure.not_retryable().with_hint(
            "fal may have queued the job although no answer came back; look at https://fal.ai/dashboard/requests before submitting again",
        );
    }
    let hint = if e.is_invalid_input() {
        "nothing was queued: fal refused the input; fix the fields named (get_model_schema shows the schema) and try again".into()
    } else if e.is_not_found() {
        "nothing was queued: fal has no app at this endpoint_id; find the exact id with search_models".into()
    } else if e.is_transient() {
        match e.retry_after() {
            Some(seconds) => format!("nothing was queued; retry after {seconds} seconds"),
            None => "nothing was queued; retry in a few seconds".to_string(),
        }
    } else {
        "nothing was queued; fal refused the request (its message is above)".to_string()
    };
    failure.with_hint(hint)
}

pub(crate) fn status_output(
    id: &EndpointId,
    request_id: &RequestId,
    status: QueueStatus,
    with_logs: bool,
) -> JobOutput {
    let next = match status.status.as_str() {
        _ if status.is_failed() => None,
        "COMPLETED" => Some("call check_job with action \"result\" for the output".to_string()),
        _ => Some(format!("not finished yet; check again in a few seconds ({})", follow_hint(id, request_id))),
    };
    JobOutput {
        status: if status.is_failed() { "FAILED".into() } else { status.status.clone() },
        queue_position: status.queue_position,
        error: status.is_failed().then(|| job_error(&status, request_id)),
        logs: with_logs.then(|| {
            status
                .logs
                .unwrap_or_default()
                .into_iter()
                .map(|l| LogOut { message: l.message, level: l.level, timestamp: l.timestamp })
                .collect()
        }),
        next,
        ..JobOutput::new(id, request_id)
    }
}
