//! The core of paid jobs, which run_model, submit_job and check_job adapt: the input check, the
//! estimate and caps (`estimate.rs`), the submit that makes a `fal::Job`, and the answers for a
//! job in each state. A paid job is never lost and never run twice by our advice: once fal has
//! accepted it, every answer carries its request id.

use rmcp::{RoleServer, model::CallToolResult, service::RequestContext};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};

pub(crate) mod estimate;

use super::{
    FalMcp,
    failure::{Failure, ToolError},
    media::{self, Media},
    output,
};
use crate::{
    fal::{EndpointId, FalError, Job, JobState, ModelSchema, QueueStatus, RequestId, SubmitOptions, Submitted},
    text::shown,
};
use estimate::{CostEstimate, Pending};

/// Largest output a status check carries inline; a larger one is fetched with get_job_result.
pub(crate) const INLINE_OUTPUT_BYTES: usize = 64 * 1024;

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
    /// While the job runs: seconds to wait before checking it again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) poll_after_seconds: Option<u64>,
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
    /// The cost estimated before submitting (run_model and submit_job).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) estimate: Option<CostEstimate>,
    /// What to do next.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) next: Option<String>,
    /// An argument adjusted, and how.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) note: Option<String>,
}

impl JobOutput {
    pub(crate) fn new(id: &EndpointId, request_id: &RequestId) -> Self {
        Self { endpoint_id: id.to_string(), request_id: request_id.to_string(), ..Self::default() }
    }

    /// What the submitting call learned before fal took the job: the input check and the estimate.
    fn submitted(mut self, accepted: &Accepted) -> Self {
        if let InputCheck::Skipped(why) = &accepted.check {
            self.validated = Some(false);
            self.validation_skipped = Some(why.clone());
        }
        self.estimate = Some(accepted.estimate.clone());
        self.note = accepted.note.clone();
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

/// A job fal has accepted, with what the submitting call learned about it.
pub(crate) struct Accepted {
    pub(crate) job: Job,
    pub(crate) submitted: Submitted,
    pub(crate) check: InputCheck,
    pub(crate) estimate: CostEstimate,
    /// fal's typical run time for the model, in seconds, when its catalog says.
    pub(crate) typical_seconds: Option<f64>,
    /// An argument the call adjusted (a wait held to this server's limits).
    pub(crate) note: Option<String>,
}

/// How a submit is done: fal's job options, the caller's spending cap, and the input fields the
/// caller sends although the model's published schema does not list them.
pub(crate) struct Submit {
    pub(crate) options: SubmitOptions,
    pub(crate) max_cost: Option<f64>,
    pub(crate) unlisted: Vec<String>,
}

impl Submit {
    /// The job options and cap run_model and submit_job take (with the names of fal's hosted server).
    pub(crate) fn from_args(
        action: &str,
        max_cost: Option<f64>,
        expiration_seconds: Option<u64>,
        store_payload: Option<bool>,
        webhook: Option<String>,
        unlisted: Option<Vec<String>>,
    ) -> Result<Self, Failure> {
        let max_cost = estimate::max_cost(action, max_cost)?;
        if expiration_seconds == Some(0) {
            return Err(Failure::invalid(
                action,
                "expiration_seconds 0 would delete the output before it can be read",
                "pass a number of seconds of at least 1, or leave it out for fal's default",
            ));
        }
        Ok(Self {
            options: SubmitOptions { webhook, expiration_seconds, store_payload },
            max_cost,
            unlisted: unlisted.unwrap_or_default(),
        })
    }
}

impl FalMcp {
    /// Checks `input` against the model's schema (when fal's catalog has one), estimates its cost
    /// and holds it to the caps, and submits it. Nothing is queued when a check fails, and every
    /// failure says whether fal may have queued it.
    pub(crate) async fn submit_checked(
        &self,
        ctx: &RequestContext<RoleServer>,
        id: &EndpointId,
        input: Map<String, Value>,
        submit: &Submit,
        action: &str,
    ) -> Result<Accepted, Failure> {
        let key = self.key(ctx, action)?;
        let input = Value::Object(input);
        let (schema, price) = tokio::join!(self.fal.model_schema(Some(&key), id), self.fal.price(&key, id));
        let (schema, check) = check_input(id, schema, &input, &submit.unlisted, action)?;
        if let Err(e) = &price
            && e.is_key_refused()
        {
            return Err(Failure::fal(action, e));
        }
        let ceiling = self.settings.max_cost_per_call;
        let pending = match estimate::from_price(id, &input, schema.as_deref(), price) {
            // Under a cap the per-call average decides whether to submit; without one it is only
            // for the answer, so it is looked up while fal takes the job.
            pending @ Pending::PerCall { .. } if submit.max_cost.is_some() || ceiling.is_some() => {
                Pending::Ready(self.settle(&key, id, pending).await)
            }
            pending => pending,
        };
        if let Pending::Ready(estimate) = &pending {
            estimate::within_limits(action, estimate, submit.max_cost, ceiling)?;
        }
        let (submitted, estimate) =
            tokio::join!(self.fal.submit(&key, id, &input, &submit.options), self.settle(&key, id, pending));
        let submitted = match submitted {
            Ok(submitted) => submitted,
            Err(e) if e.is_not_found() => {
                let meant = self.did_you_mean(id.as_str()).await.map(|m| format!(" ({m})")).unwrap_or_default();
                return Err(submit_failure(action, &e).with_hint(format!(
                    "nothing was queued: fal has no app at this endpoint_id{meant}; find the exact id with search_models"
                )));
            }
            Err(e) => return Err(submit_failure(action, &e)),
        };
        let request_id = RequestId::parse(&submitted.request_id).map_err(|message| {
            Failure::fal(action, &FalError::Network("fal's answer named no usable request id")).not_retryable().with_hint(
                format!("fal accepted the job but answered with {message}; look at https://fal.ai/dashboard/requests before submitting again"),
            )
        })?;
        let typical_seconds = schema.as_ref().and_then(|s| s.typical_seconds);
        let job = Job { key, endpoint: id.clone(), request_id };
        Ok(Accepted { job, submitted, check, estimate, typical_seconds, note: None })
    }

    /// The answer for a COMPLETED job: its output and media, or why it failed, with fal's field
    /// messages when the model refused the input only once it ran. `submitted` is the job as the
    /// run_model call that submitted it knows it (None for check_job).
    pub(crate) async fn completed(
        &self,
        job: &Job,
        status: QueueStatus,
        action: &str,
        submitted: Option<&Accepted>,
    ) -> Result<CallToolResult, Failure> {
        // run_model submitted the job (and would submit again if called again); check_job did not.
        let call_submits = submitted.is_some();
        let (id, request_id) = (&job.endpoint, &job.request_id);
        let result = self.fal.result(job).await;
        let output = match result {
            Ok(output) if !status.is_failed() => output,
            Ok(_) => return Err(job_failure(action, id, request_id, &status, None)),
            // The job ended refusing its input: fal's type decides the advice; nothing is left to follow.
            Err(e) if e.is_invalid_input() => {
                return Err(Failure::fal(action, &e).for_ended_job(request_id, e.remedy()));
            }
            // fal's answer to the result carries the HTTP status a type fal added later is read by.
            Err(e) if status.is_failed() => return Err(job_failure(action, id, request_id, &status, e.status())),
            Err(e) => {
                return Err(Failure::fal(action, &e).for_job(id, request_id, call_submits));
            }
        };
        Ok(output_answer(job, output, submitted))
    }

    /// A COMPLETED job's answer for a status check: its output when that is at most
    /// [`INLINE_OUTPUT_BYTES`], else the status with the output's size and how to get it; None
    /// when the result could not be read now (the plain status answer then says to fetch it).
    pub(crate) async fn completed_inline(&self, job: &Job) -> Option<CallToolResult> {
        let (id, request_id) = (&job.endpoint, &job.request_id);
        let output = self.fal.result(job).await.ok()?;
        let size = serde_json::to_vec(&output).map_or(usize::MAX, |b| b.len());
        if size > INLINE_OUTPUT_BYTES {
            let answer = JobOutput {
                status: "COMPLETED".into(),
                next: Some(format!(
                    "the output is {}, too large to show with the status; call get_job_result to get it whole",
                    crate::text::bytes(size as u64)
                )),
                ..JobOutput::new(id, request_id)
            };
            return Some(output::success(&answer));
        }
        Some(output_answer(job, output, None))
    }

    /// The answer right after fal accepted a job.
    pub(crate) fn accepted_output(&self, accepted: &Accepted, next: String) -> JobOutput {
        let status = QueueStatus {
            status: accepted.submitted.status,
            queue_position: accepted.submitted.queue_position,
            ..QueueStatus::default()
        };
        JobOutput {
            poll_after_seconds: Some(poll_after(&status, accepted.typical_seconds)),
            status: status.status.as_str().into(),
            queue_position: status.queue_position,
            next: Some(next),
            ..JobOutput::new(&accepted.job.endpoint, &accepted.job.request_id)
        }
        .submitted(accepted)
    }
}

/// A COMPLETED job's answer with its output, its media (also as resource links) and, for the call
/// that submitted it, what that call learned before fal took it.
fn output_answer(job: &Job, output: Value, submitted: Option<&Accepted>) -> CallToolResult {
    let media = media::extract(&output);
    let mut answer = JobOutput {
        status: "COMPLETED".into(),
        output: Some(output),
        media: Some(media.clone()),
        ..JobOutput::new(&job.endpoint, &job.request_id)
    };
    if let Some(accepted) = submitted {
        answer = answer.submitted(accepted);
    }
    let mut result = output::success(&answer);
    if !media.is_empty() {
        // The files are the result's resource links: the text a model reads does not list them a
        // second time (the structured result keeps `media` for the view and for programs).
        output::leave_out_of_text(&mut result, "media");
    }
    media::with_links(result, &media)
}

/// The model's schema and whether the input was checked against it. Input the schema says can
/// never work is refused; when fal's catalog cannot give a schema, the input goes to fal
/// unchecked and fal's own answer speaks.
fn check_input(
    id: &EndpointId,
    schema: Result<std::sync::Arc<ModelSchema>, FalError>,
    input: &Value,
    unlisted: &[String],
    action: &str,
) -> Result<(Option<std::sync::Arc<ModelSchema>>, InputCheck), Failure> {
    let schema = match schema {
        Ok(schema) => schema,
        Err(e) if e.is_key_refused() => return Err(Failure::fal(action, &e)),
        Err(e) => {
            let why = if e.is_not_found() {
                format!(
                    "fal's public catalog does not list {id} (a private app, or a sub-path of one), so fal checks the input itself"
                )
            } else {
                format!("fal's catalog could not give {id}'s schema ({}), so fal checks the input itself", e.message())
            };
            tracing::debug!(endpoint_id = %id, error = %e, "submitting without local validation");
            return Ok((None, InputCheck::Skipped(why)));
        }
    };
    // fal drops a field its schema does not list: a call with one would not do what was meant.
    let strays: Vec<String> = schema
        .unlisted_fields(input)
        .into_iter()
        .filter(|(name, _)| !unlisted.iter().any(|u| u == name))
        .map(|(name, meant)| match meant {
            Some(meant) => format!("`{}` is not an input of {id}; did you mean `{meant}`?", shown(name)),
            None => format!("`{}` is not an input of {id}", shown(name)),
        })
        .collect();
    let problems: Vec<String> = strays.iter().cloned().chain(schema.violations(input).unwrap_or_default()).collect();
    if problems.is_empty() {
        return Ok((Some(schema), InputCheck::Checked));
    }
    let hint = if strays.is_empty() {
        "nothing was submitted; fix every field listed (get_model_schema shows the schema) and try again".to_string()
    } else {
        format!(
            "nothing was submitted; fal ignores fields its schema does not list, so rename them ({id} takes: {}); \
             for a field the model takes although its published schema leaves it out, name it in unlisted_fields to send it unchecked",
            crate::text::clip(&schema.input_names().join(", "), 300)
        )
    };
    Err(Failure::rejected(action, format!("the input does not match {id}'s schema: {}", problems.join("; ")), hint))
}

/// Why a COMPLETED-with-error job failed, as the structured error fal's status gave, with the
/// advice its type calls for (`fal::remedy`).
pub(crate) fn job_error(status: &QueueStatus, request_id: &RequestId, http: Option<u16>) -> ToolError {
    let kind = status.error_type.clone().unwrap_or_else(|| "job_failed".into());
    let remedy = crate::fal::remedy::remedy(&kind, http);
    ToolError {
        status: None,
        kind,
        message: crate::text::clip(status.error.as_deref().unwrap_or("the job failed"), 600),
        retryable: remedy.retryable(),
        retry_after: None,
        request_id: Some(request_id.to_string()),
        next: Some(remedy.after_job().into()),
    }
}

fn job_failure(
    action: &str,
    id: &EndpointId,
    request_id: &RequestId,
    status: &QueueStatus,
    http: Option<u16>,
) -> Failure {
    let mut error = job_error(status, request_id, http);
    error.status = http;
    let next = error.next.clone().unwrap_or_default();
    Failure::job_failed(action, error).with_hint(format!("job {request_id} of {id} failed; {next}"))
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
    typical_seconds: Option<f64>,
) -> JobOutput {
    let running = !status.is_completed();
    let next = match status.status {
        _ if status.is_failed() => Some(job_error(&status, request_id, None).next.unwrap_or_default()),
        JobState::Completed => Some("call get_job_result for the output".to_string()),
        _ => Some("not finished yet: call check_job again after poll_after_seconds".to_string()),
    };
    JobOutput {
        status: if status.is_failed() { "FAILED".into() } else { status.status.as_str().into() },
        queue_position: status.queue_position,
        poll_after_seconds: running.then(|| poll_after(&status, typical_seconds)),
        error: status.is_failed().then(|| job_error(&status, request_id, None)),
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

/// Seconds to wait before checking a running job again: a quarter of the model's typical run time
/// (20 s when fal's catalog does not say) plus 2 s per job ahead in the queue, from 1 to 60.
pub(crate) fn poll_after(status: &QueueStatus, typical_seconds: Option<f64>) -> u64 {
    let own = typical_seconds.unwrap_or(20.0) / 4.0;
    let ahead = match status.status {
        JobState::InQueue => status.queue_position.unwrap_or(0) as f64 * 2.0,
        _ => 0.0,
    };
    (own + ahead).round().clamp(1.0, 60.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(state: JobState, position: Option<u64>) -> QueueStatus {
        QueueStatus { status: state, queue_position: position, ..QueueStatus::default() }
    }

    #[test]
    fn polls_are_paced_by_the_queue_and_the_model() {
        assert_eq!(poll_after(&status(JobState::InProgress, None), Some(2.0)), 1);
        assert_eq!(poll_after(&status(JobState::InProgress, None), None), 5);
        assert_eq!(poll_after(&status(JobState::InQueue, Some(3)), Some(60.0)), 21);
        assert_eq!(poll_after(&status(JobState::InQueue, Some(500)), Some(600.0)), 60);
    }
}
