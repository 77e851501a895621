//! run_model: submit a job, follow it (with progress notifications when the client asked for
//! them) until it completes, the wait ends, the client leaves or the server shuts down.

use std::time::Duration;

use futures_util::StreamExt;
use rmcp::{
    Peer, RoleServer,
    model::{CallToolResult, JsonObject, ProgressNotificationParam, ProgressToken},
    service::RequestContext,
    tool, tool_router,
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value};
use tokio::time::Instant;

use super::{
    FalMcp, args,
    failure::{FOLLOW, Failure},
    jobs::{JobOutput, Submit, poll_after},
    output,
};
use crate::{
    fal::{FalError, JobState, QueueStatus},
    text::shown,
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RunModelArgs {
    /// The model's endpoint id, e.g. "fal-ai/flux/dev".
    pub(crate) endpoint_id: String,
    /// The model's input, e.g. {"prompt": "a red fox"}.
    pub(crate) input: Map<String, Value>,
    /// Longest wait in seconds (capped); the job outlives it.
    pub(crate) timeout_seconds: Option<u64>,
    /// Submit nothing if the estimated USD cost is higher or unknown.
    pub(crate) max_cost: Option<f64>,
    /// Seconds output files stay on fal's CDN.
    pub(crate) expiration_seconds: Option<u64>,
    /// false: fal keeps no copy of input and output.
    pub(crate) store_payload: Option<bool>,
    /// Fields to send though the model's schema lacks them.
    pub(crate) unlisted_fields: Option<Vec<String>>,
}

/// How a wait for a job ended.
enum Waited {
    Completed(QueueStatus),
    /// The wait's deadline came, or the server is shutting down; the last status seen, if any.
    Pending(Option<QueueStatus>),
    /// The client went away.
    Cancelled,
    /// A failure no retry could mend (a revoked key, a vanished request).
    Failed(FalError),
}

#[tool_router(router = run_model_tools, vis = "pub(crate)")]
impl FalMcp {
    #[tool(
        name = "run_model",
        title = "Run a model and wait for the result",
        description = "Run a fal model and wait for its output, media files and cost estimate. input is the model's API \
(fal.ai/models/<endpoint_id>/api, get_model_schema), checked first. If the wait ends, the job runs on: follow it with check_job. \
Long video, 3D, training: submit_job.",
        input_schema = output::input::<RunModelArgs>(),
        output_schema = output::schema::<JobOutput>(),
        meta = crate::ui::tool_meta(),
        annotations(read_only_hint = false, destructive_hint = false, idempotent_hint = false, open_world_hint = true)
    )]
    async fn run_model(
        &self,
        arguments: JsonObject,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, Failure> {
        let args: RunModelArgs = args::parse("run the model", arguments)?;
        let action = format!("run {}", shown(&args.endpoint_id));
        let id = args::endpoint_id(&action, &args.endpoint_id)?;
        let max = self.settings.run_wait_max.as_secs();
        let (wait, note) =
            args::capped("timeout_seconds", args.timeout_seconds, self.settings.run_wait.as_secs(), 1, max);
        let until = Instant::now() + Duration::from_secs(wait);
        let submit = Submit::from_args(
            &action,
            args.max_cost,
            args.expiration_seconds,
            args.store_payload,
            None,
            args.unlisted_fields,
        )?;
        let accepted = self.submit_checked(&ctx, &id, args.input, &submit, &action).await?;
        let accepted = super::jobs::Accepted { note, ..accepted };
        let job = &accepted.job;
        match self.wait(&ctx, &accepted, until).await {
            Waited::Completed(status) => self.completed(job, status, &action, Some(&accepted)).await,
            Waited::Pending(last) => {
                let mut answer = self.accepted_output(&accepted, format!("still running; nothing is lost: {FOLLOW}"));
                if let Some(last) = last {
                    answer.poll_after_seconds = Some(poll_after(&last, accepted.typical_seconds));
                    answer.status = last.status.as_str().into();
                    answer.queue_position = last.queue_position;
                }
                Ok(output::success(&answer))
            }
            Waited::Cancelled => {
                let (fal, job) = (self.fal.clone(), job.clone());
                // The client is gone; stop the paid job on a task of its own so it outlives this call.
                tokio::spawn(async move {
                    let outcome = tokio::time::timeout(Duration::from_secs(10), fal.cancel(&job)).await;
                    tracing::info!(request_id = %job.request_id, ?outcome, "cancelled a run_model job whose caller went away");
                });
                Err(Failure::cancelled(&action, "the fal job was asked to stop"))
            }
            Waited::Failed(e) => Err(Failure::fal(&action, &e).for_job(&id, &job.request_id, true)),
        }
    }
}

impl FalMcp {
    /// Follows an accepted job until it completes or `until`, the client or the server's shutdown ends the wait.
    async fn wait(&self, ctx: &RequestContext<RoleServer>, accepted: &super::jobs::Accepted, until: Instant) -> Waited {
        let statuses = self.fal.follow(&accepted.job);
        tokio::pin!(statuses);
        let mut progress = Progress::start(ctx);
        let mut last = None;
        loop {
            let next = tokio::select! {
                biased;
                () = ctx.ct.cancelled() => return Waited::Cancelled,
                // Shutting down: hand back the request id now rather than lose the job with the process.
                () = self.settings.stop.cancelled() => return Waited::Pending(last),
                () = tokio::time::sleep_until(until) => return Waited::Pending(last),
                next = statuses.next() => next,
            };
            match next {
                Some(Ok(status)) if status.is_completed() => return Waited::Completed(status),
                Some(Ok(status)) => {
                    if let Some(progress) = progress.as_mut() {
                        progress.update(&status).await;
                    }
                    last = Some(status);
                }
                Some(Err(e)) => return Waited::Failed(e),
                None => return Waited::Pending(last),
            }
        }
    }
}

/// `notifications/progress` for a client that sent a progress token: one per new status line, in order.
struct Progress {
    peer: Peer<RoleServer>,
    token: ProgressToken,
    step: f64,
    last: String,
}

impl Progress {
    fn start(ctx: &RequestContext<RoleServer>) -> Option<Self> {
        let token = ctx.meta.get_progress_token()?;
        Some(Self { peer: ctx.peer.clone(), token, step: 0.0, last: String::new() })
    }

    async fn update(&mut self, status: &QueueStatus) {
        let message = match (status.status, status.queue_position) {
            (JobState::InQueue, Some(position)) => format!("IN_QUEUE: position {position}"),
            (state, _) => match status.logs.as_ref().and_then(|l| l.last()) {
                Some(line) => format!("{}: {}", state.as_str(), line.message),
                None => state.as_str().to_string(),
            },
        };
        if message == self.last {
            return;
        }
        self.step += 1.0;
        let param = ProgressNotificationParam::new(self.token.clone(), self.step).with_message(message.clone());
        // A client that stopped listening still gets its result; a lost notification changes nothing.
        let _ = self.peer.notify_progress(param).await;
        self.last = message;
    }
}
