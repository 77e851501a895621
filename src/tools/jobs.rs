//! Execution: run_model (wait for the result), submit_job (queue and return) and check_job
//! (status, result or cancel). A paid job is never lost: every answer carries its request id.

use std::time::Duration;

use rmcp::{
    RoleServer,
    handler::server::wrapper::Parameters,
    model::{CallToolResult, ProgressNotificationParam},
    service::RequestContext,
    tool, tool_router,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tokio::time::Instant;

use super::{
    FalMcp,
    discovery::parse_id,
    media::{self, Media},
    output::{self, Failure},
};
use crate::{
    fal::{EndpointId, FalError, FalKey, QueueStatus, RequestId, Waited},
    text::shown,
};

#[derive(Debug, Deserialize, JsonSchema)]
pub struct RunModelArgs {
    /// The model's endpoint id, e.g. "fal-ai/flux/dev".
    pub endpoint_id: String,
    /// The model's input, as get_model_schema describes it, e.g. {"prompt": "a red fox in snow"}.
    pub input: Map<String, Value>,
    /// Longest wait for the result, in seconds (the server sets the default and the ceiling); the job outlives it.
    pub timeout_seconds: Option<u64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SubmitJobArgs {
    /// The model's endpoint id, e.g. "fal-ai/kling-video/v2.5-turbo/pro/image-to-video".
    pub endpoint_id: String,
    /// The model's input, as get_model_schema describes it.
    pub input: Map<String, Value>,
    /// An https URL fal will POST the result to when the job completes.
    pub webhook_url: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobAction {
    Status,
    Result,
    Cancel,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CheckJobArgs {
    /// The endpoint id the job was submitted to.
    pub endpoint_id: String,
    /// The request_id submit_job or run_model returned.
    pub request_id: String,
    /// status (default), result (the output once completed) or cancel.
    pub action: Option<JobAction>,
    /// Include the job's log lines in a status answer (default false).
    pub logs: Option<bool>,
}

/// One log line of a running job.
#[derive(Debug, Serialize, JsonSchema)]
pub struct LogOut {
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
}

/// A job's state, and its output once it has completed.
#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct JobOutput {
    /// IN_QUEUE, IN_PROGRESS, COMPLETED or FAILED; for cancel: CANCELLATION_REQUESTED, ALREADY_COMPLETED or NOT_FOUND.
    pub status: String,
    pub request_id: String,
    pub endpoint_id: String,
    /// Requests ahead of this one in the queue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue_position: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logs: Option<Vec<LogOut>>,
    /// fal's message when the job failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The model's output, whole.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<Value>,
    /// Every file in the output (images, video, audio, meshes), also sent as resource links.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media: Option<Vec<Media>>,
    /// What to do next.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

fn follow_hint(id: &EndpointId, request_id: &str) -> String {
    format!(
        "call check_job with endpoint_id \"{id}\" and request_id \"{request_id}\" (action \"status\" to follow it, \"result\" once COMPLETED)"
    )
}

#[tool_router(router = job_tools, vis = "pub(crate)")]
impl FalMcp {
    #[tool(
        name = "run_model",
        title = "Run a model and wait for the result",
        description = "Run a fal model and wait for its output (images, audio, short videos, text). The input is checked against \
the model's schema first, so nothing is spent on input that cannot work. Returns the output whole and a media list of its files. \
If the wait ends first, the job keeps running and the answer carries its request_id for check_job. For long video, 3D or training jobs use submit_job.",
        input_schema = output::input::<RunModelArgs>(),
        output_schema = output::schema::<JobOutput>(),
        annotations(read_only_hint = false, destructive_hint = false, idempotent_hint = false, open_world_hint = true)
    )]
    async fn run_model(
        &self,
        Parameters(args): Parameters<RunModelArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        let action = format!("run {}", shown(&args.endpoint_id));
        let id = match parse_id(&action, &args.endpoint_id) {
            Ok(id) => id,
            Err(failure) => return failure.into(),
        };
        let max = self.settings.run_wait_max.as_secs();
        let wait = match args.timeout_seconds {
            None => self.settings.run_wait,
            Some(s) if (1..=max).contains(&s) => Duration::from_secs(s),
            Some(s) => {
                return Failure::invalid(
                    &action,
                    format!("timeout_seconds {s} is out of range"),
                    format!("pass 1 to {max}"),
                )
                .into();
            }
        };
        let until = Instant::now() + wait;
        let (key, input) = match self.checked_input(&ctx, &id, args.input, &action).await {
            Ok(checked) => checked,
            Err(failure) => return failure.into(),
        };
        let submitted = match self.fal.submit(&key, &id, &input, None).await {
            Ok(submitted) => submitted,
            Err(e) => return Failure::fal(&action, &e).with_hint(submit_hint(&e)).into(),
        };
        let request_id = match RequestId::parse(&submitted.request_id) {
            Ok(request_id) => request_id,
            Err(message) => return Failure::invalid(&action, format!("fal answered with {message}"), "retry").into(),
        };
        let progress = Progress::start(&ctx);
        let waited = tokio::select! {
            waited = self.fal.wait(&key, &id, &request_id, until, &ctx.ct, |status| progress.update(status)) => waited,
            // Shutting down: hand back the request id now rather than lose the job with the process.
            () = self.settings.stop.cancelled() => Ok(Waited::TimedOut(None)),
        };
        progress.finish().await;
        match waited {
            Ok(Waited::Completed(status)) => self.completed(&key, &id, &request_id, status, &action).await,
            Ok(Waited::TimedOut(last)) => output::success(&JobOutput {
                status: last.as_ref().map_or_else(|| submitted.status.clone(), |s| s.status.clone()),
                queue_position: last.as_ref().map_or(submitted.queue_position, |s| s.queue_position),
                next: Some(format!("still running; nothing is lost: {}", follow_hint(&id, request_id.as_str()))),
                ..JobOutput::new(&id, &request_id)
            }),
            Ok(Waited::Cancelled) => {
                let (fal, key, id, request_id) = (self.fal.clone(), key.clone(), id.clone(), request_id.clone());
                // The client is gone; stop the paid job on a task of its own so it outlives this call.
                tokio::spawn(async move {
                    let outcome =
                        tokio::time::timeout(Duration::from_secs(10), fal.cancel(&key, &id, &request_id)).await;
                    tracing::info!(request_id = %request_id, ?outcome, "cancelled a run_model job whose caller went away");
                });
                Failure::invalid(&action, "the call was cancelled", "the fal job was asked to stop").into()
            }
            Err(e) => Failure::fal(&action, &e)
                .with_hint(format!("the job may still be running: {}", follow_hint(&id, request_id.as_str())))
                .into(),
        }
    }

    #[tool(
        name = "submit_job",
        title = "Submit a job to fal's queue",
        description = "Queue a fal model run and return at once with its request_id: for jobs that take minutes (video, 3D, training) or run in parallel. \
The input is checked against the model's schema first. Follow it with check_job.",
        input_schema = output::input::<SubmitJobArgs>(),
        output_schema = output::schema::<JobOutput>(),
        annotations(read_only_hint = false, destructive_hint = false, idempotent_hint = false, open_world_hint = true)
    )]
    async fn submit_job(
        &self,
        Parameters(args): Parameters<SubmitJobArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        let action = format!("submit a job to {}", shown(&args.endpoint_id));
        let id = match parse_id(&action, &args.endpoint_id) {
            Ok(id) => id,
            Err(failure) => return failure.into(),
        };
        if let Some(webhook) = &args.webhook_url
            && let Err(message) = check_webhook(webhook)
        {
            return Failure::invalid(&action, message, "pass an absolute https URL, or leave webhook_url out").into();
        }
        let (key, input) = match self.checked_input(&ctx, &id, args.input, &action).await {
            Ok(checked) => checked,
            Err(failure) => return failure.into(),
        };
        match self.fal.submit(&key, &id, &input, args.webhook_url.as_deref()).await {
            Ok(submitted) => output::success(&JobOutput {
                status: submitted.status,
                queue_position: submitted.queue_position,
                next: Some(follow_hint(&id, &submitted.request_id)),
                endpoint_id: id.to_string(),
                request_id: submitted.request_id,
                ..JobOutput::default()
            }),
            Err(e) => Failure::fal(&action, &e).with_hint(submit_hint(&e)).into(),
        }
    }

    #[tool(
        name = "check_job",
        title = "Check, fetch or cancel a queued job",
        description = "Follow a job from submit_job or run_model. status (default): IN_QUEUE with its position, IN_PROGRESS, COMPLETED, or FAILED with fal's message; \
result: the output and media once completed, else the status; cancel: stop it.",
        input_schema = output::input::<CheckJobArgs>(),
        output_schema = output::schema::<JobOutput>(),
        annotations(read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = true)
    )]
    async fn check_job(
        &self,
        Parameters(args): Parameters<CheckJobArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        let job_action = args.action.unwrap_or(JobAction::Status);
        let verb = match job_action {
            JobAction::Status => "check",
            JobAction::Result => "get the result of",
            JobAction::Cancel => "cancel",
        };
        let action = format!("{verb} request {} of {}", shown(&args.request_id), shown(&args.endpoint_id));
        let id = match parse_id(&action, &args.endpoint_id) {
            Ok(id) => id,
            Err(failure) => return failure.into(),
        };
        let request_id = match RequestId::parse(&args.request_id) {
            Ok(request_id) => request_id,
            Err(message) => {
                return Failure::invalid(&action, message, "pass the request_id exactly as returned").into();
            }
        };
        let key = match self.key(&ctx, &action) {
            Ok(key) => key,
            Err(failure) => return failure.into(),
        };
        let unknown = |e: &FalError| {
            let hint = if e.status() == Some(404) {
                format!(
                    "fal has no request {request_id} for {}: check both ids (results are kept about an hour after completion)",
                    id.app()
                )
            } else {
                format!("retry: {}", follow_hint(&id, request_id.as_str()))
            };
            Failure::fal(&action, e).with_hint(hint).into_result()
        };
        if let JobAction::Cancel = job_action {
            return match self.fal.cancel(&key, &id, &request_id).await {
                Ok(outcome) => {
                    output::success(&JobOutput { status: outcome.as_str().into(), ..JobOutput::new(&id, &request_id) })
                }
                Err(e) => unknown(&e),
            };
        }
        let with_logs = matches!(job_action, JobAction::Status) && args.logs.unwrap_or(false);
        let status = match self.fal.status(&key, &id, &request_id, with_logs).await {
            Ok(status) => status,
            Err(e) => return unknown(&e),
        };
        match job_action {
            JobAction::Result if status.is_completed() => self.completed(&key, &id, &request_id, status, &action).await,
            _ => output::success(&status_output(&id, &request_id, status, with_logs)),
        }
    }
}

impl JobOutput {
    fn new(id: &EndpointId, request_id: &RequestId) -> Self {
        Self { endpoint_id: id.to_string(), request_id: request_id.to_string(), ..Self::default() }
    }
}

fn status_output(id: &EndpointId, request_id: &RequestId, status: QueueStatus, with_logs: bool) -> JobOutput {
    let failed = status.is_completed() && status.error.is_some();
    let next = match status.status.as_str() {
        "COMPLETED" if failed => None,
        "COMPLETED" => Some("call check_job with action \"result\" for the output".to_string()),
        _ => Some(format!("not finished yet; check again in a few seconds ({})", follow_hint(id, request_id.as_str()))),
    };
    JobOutput {
        status: if failed { "FAILED".into() } else { status.status },
        queue_position: status.queue_position,
        logs: with_logs.then(|| {
            status
                .logs
                .unwrap_or_default()
                .into_iter()
                .map(|l| LogOut { message: l.message, level: l.level, timestamp: l.timestamp })
                .collect()
        }),
        error: status.error.map(|e| match status.error_type {
            Some(kind) => format!("{e} ({kind})"),
            None => e,
        }),
        next,
        ..JobOutput::new(id, request_id)
    }
}

impl FalMcp {
    /// The caller's key and the input, once the model's schema has had its say on the input.
    async fn checked_input(
        &self,
        ctx: &RequestContext<RoleServer>,
        id: &EndpointId,
        input: Map<String, Value>,
        action: &str,
    ) -> Result<(FalKey, Value), Failure> {
        let key = self.key(ctx, action)?;
        let input = Value::Object(input);
        self.check_input(&key, id, &input, action).await?;
        Ok((key, input))
    }

    /// Refuses input the model's schema says can never work; skipped when the schema cannot be had.
    async fn check_input(&self, key: &FalKey, id: &EndpointId, input: &Value, action: &str) -> Result<(), Failure> {
        let schema = match self.fal.model_schema(key, id).await {
            Ok(schema) => schema,
            Err(FalError::UnknownModel(_)) => {
                return Err(Failure::fal(action, &FalError::UnknownModel(id.to_string()))
                    .with_hint("nothing was submitted; find the exact endpoint_id with search_models"));
            }
            Err(error) => {
                tracing::debug!(endpoint_id = %id, %error, "no schema to validate against; fal will validate");
                return Ok(());
            }
        };
        match schema.violations(input) {
            None => Ok(()),
            Some(problems) => Err(Failure::rejected(
                action,
                format!("the input does not match {id}'s schema: {}", problems.join("; ")),
                "nothing was submitted; fix every field listed (get_model_schema shows the schema) and try again",
            )),
        }
    }

    /// The answer for a COMPLETED job: its output and media, or a failure with fal's detail.
    async fn completed(
        &self,
        key: &FalKey,
        id: &EndpointId,
        request_id: &RequestId,
        status: QueueStatus,
        action: &str,
    ) -> CallToolResult {
        match self.fal.result(key, id, request_id).await {
            Ok(output) if status.error.is_none() => {
                let media = media::extract(&output);
                let answer = JobOutput {
                    status: "COMPLETED".into(),
                    output: Some(output),
                    media: Some(media.clone()),
                    ..JobOutput::new(id, request_id)
                };
                media::with_links(output::success(&answer), &media)
            }
            Ok(_) => Failure::job_failed(action, status.error.unwrap_or_default()).into(),
            Err(e) => Failure::fal(action, &e)
                .with_hint(if e.status().is_some_and(|s| s == 422 || s == 400) {
                    "the model refused the input: fix the fields named and run it again".to_string()
                } else {
                    format!("the job ran but its result could not be read; {}", follow_hint(id, request_id.as_str()))
                })
                .into(),
        }
    }
}

fn submit_hint(e: &FalError) -> String {
    match e.status() {
        Some(422) => {
            "fal refused the input: fix the fields named (get_model_schema shows the schema) and try again".into()
        }
        Some(404) => "fal has no such endpoint; find the exact endpoint_id with search_models".into(),
        _ if e.retryable() => "nothing was queued; retry in a few seconds".into(),
        _ => "nothing was queued; check the arguments".into(),
    }
}

fn check_webhook(raw: &str) -> Result<(), String> {
    let url = url::Url::parse(raw).map_err(|e| format!("webhook_url is not a URL ({e})"))?;
    if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() || raw.len() > 2048 {
        return Err(format!("webhook_url '{}' must be an absolute http(s) URL of at most 2048 characters", shown(raw)));
    }
    Ok(())
}

/// Turns status updates into `notifications/progress` in order, when the client asked for progress.
struct Progress {
    sender: Option<tokio::sync::mpsc::UnboundedSender<String>>,
    forwarder: Option<tokio::task::JoinHandle<()>>,
    last: std::sync::Mutex<String>,
}

impl Progress {
    fn start(ctx: &RequestContext<RoleServer>) -> Self {
        let Some(token) = ctx.meta.get_progress_token() else {
            return Self { sender: None, forwarder: None, last: Default::default() };
        };
        let peer = ctx.peer.clone();
        let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel::<String>();
        let forwarder = tokio::spawn(async move {
            let mut step = 0.0;
            while let Some(message) = receiver.recv().await {
                step += 1.0;
                let param = ProgressNotificationParam::new(token.clone(), step).with_message(message);
                if peer.notify_progress(param).await.is_err() {
                    break;
                }
            }
        });
        Self { sender: Some(sender), forwarder: Some(forwarder), last: Default::default() }
    }

    fn update(&self, status: &QueueStatus) {
        let Some(sender) = &self.sender else { return };
        let message = match (status.status.as_str(), status.queue_position) {
            ("IN_QUEUE", Some(position)) => format!("IN_QUEUE: position {position}"),
            (state, _) => match status.logs.as_ref().and_then(|l| l.last()) {
                Some(line) => format!("{state}: {}", line.message),
                None => state.to_string(),
            },
        };
        let mut last = self.last.lock().expect("progress lock");
        if *last != message {
            let _ = sender.send(message.clone());
            *last = message;
        }
    }

    /// Waits until every notification has been handed to the transport, so they precede the result.
    async fn finish(mut self) {
        self.sender.take();
        if let Some(forwarder) = self.forwarder.take() {
            let _ = forwarder.await;
        }
    }
}
