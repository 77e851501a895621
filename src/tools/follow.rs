//! Following a job, one tool per effect so hosts can tell reading from acting: check_job (its
//! status, with the output once completed when it fits), get_job_result (the whole output) and
//! cancel_job (stop it; the only one that changes anything).

use rmcp::{
    RoleServer,
    model::{CallToolResult, JsonObject},
    service::RequestContext,
    tool, tool_router,
};
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{
    FalMcp, args,
    failure::Failure,
    jobs::{JobOutput, status_output},
    output,
};
use crate::{
    fal::{EndpointId, FalError, FalKey, Job, RequestId},
    text::shown,
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CheckJobArgs {
    /// The job's endpoint id.
    pub(crate) endpoint_id: String,
    /// From submit_job or run_model.
    pub(crate) request_id: String,
    /// Add the job's log lines.
    pub(crate) logs: Option<bool>,
}

/// A job, by the ids submit_job or run_model returned.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct JobArgs {
    /// The job's endpoint id.
    pub(crate) endpoint_id: String,
    /// From submit_job or run_model.
    pub(crate) request_id: String,
}

/// What a cancel achieved.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct CancelOutput {
    /// CANCELLATION_REQUESTED, ALREADY_COMPLETED or NOT_FOUND.
    pub(crate) status: String,
    pub(crate) request_id: String,
    pub(crate) endpoint_id: String,
}

#[tool_router(router = follow_tools, vis = "pub(crate)")]
impl FalMcp {
    #[tool(
        name = "check_job",
        title = "Check a job's status",
        description = "A job's status: IN_QUEUE with its position, IN_PROGRESS, \
COMPLETED with the output, or FAILED with fal's reason.",
        input_schema = output::input::<CheckJobArgs>(),
        output_schema = output::schema::<JobOutput>(),
        meta = crate::ui::followed_tool_meta(),
        annotations(read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = true)
    )]
    async fn check_job(
        &self,
        arguments: JsonObject,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, Failure> {
        if let Some(asked) = arguments.get("action").and_then(|a| a.as_str()).filter(|a| *a != "status") {
            let instead = if asked == "cancel" { "cancel_job" } else { "get_job_result" };
            return Err(Failure::invalid(
                "check the job",
                format!("check_job only reads a job's status; action \"{}\" is a tool of its own now", shown(asked)),
                format!("call {instead} with the same endpoint_id and request_id"),
            ));
        }
        let mut arguments = arguments;
        arguments.remove("action");
        let args: CheckJobArgs = args::parse("check the job", arguments)?;
        let (job, action) = self.job(&ctx, "check", &args.endpoint_id, &args.request_id)?;
        let with_logs = args.logs.unwrap_or(false);
        let failed = |e: FalError| unknown_or_failed(&action, &job, &e);
        let (status, typical) =
            tokio::join!(self.fal.status(&job, with_logs), self.typical_seconds(&job.key, &job.endpoint));
        let status = status.map_err(failed)?;
        // Done: the output comes with the status when it fits, so no second call is needed.
        if status.is_completed()
            && !status.is_failed()
            && let Some(answer) = self.completed_inline(&job).await
        {
            return Ok(answer);
        }
        Ok(output::success(&status_output(&job.endpoint, &job.request_id, status, with_logs, typical)))
    }

    #[tool(
        name = "get_job_result",
        title = "Get a job's result",
        description = "The whole output of a job once COMPLETED (else its status), or why it failed, in fal's words.",
        input_schema = output::input::<JobArgs>(),
        output_schema = output::schema::<JobOutput>(),
        meta = crate::ui::followed_tool_meta(),
        annotations(read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = true)
    )]
    async fn get_job_result(
        &self,
        arguments: JsonObject,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, Failure> {
        let args: JobArgs = args::parse("get the job's result", arguments)?;
        let (job, action) = self.job(&ctx, "get the result of", &args.endpoint_id, &args.request_id)?;
        let (status, typical) =
            tokio::join!(self.fal.status(&job, false), self.typical_seconds(&job.key, &job.endpoint));
        let status = status.map_err(|e| unknown_or_failed(&action, &job, &e))?;
        if status.is_completed() {
            return self.completed(&job, status, &action, None).await;
        }
        Ok(output::success(&status_output(&job.endpoint, &job.request_id, status, false, typical)))
    }

    #[tool(
        name = "cancel_job",
        title = "Cancel a job",
        description = "Stop a job from its request_id: a queued one never runs; a running one is asked to stop.",
        input_schema = output::input::<JobArgs>(),
        output_schema = output::schema::<CancelOutput>(),
        annotations(read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = true)
    )]
    async fn cancel_job(
        &self,
        arguments: JsonObject,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, Failure> {
        let args: JobArgs = args::parse("cancel the job", arguments)?;
        let (job, action) = self.job(&ctx, "cancel", &args.endpoint_id, &args.request_id)?;
        let outcome = self.fal.cancel(&job).await.map_err(|e| unknown_or_failed(&action, &job, &e))?;
        Ok(output::success(&CancelOutput {
            status: outcome.as_str().into(),
            request_id: job.request_id.to_string(),
            endpoint_id: job.endpoint.to_string(),
        }))
    }
}

impl FalMcp {
    /// The job the ids name, with the caller's key, and the action's words for errors; ids are
    /// checked before anything is asked of fal.
    fn job(
        &self,
        ctx: &RequestContext<RoleServer>,
        verb: &str,
        endpoint_id: &str,
        request_id: &str,
    ) -> Result<(Job, String), Failure> {
        let action = format!("{verb} request {} of {}", shown(request_id), shown(endpoint_id));
        let endpoint = args::endpoint_id(&action, endpoint_id)?;
        let request_id = RequestId::parse(request_id)
            .map_err(|message| Failure::invalid(&action, message, "pass the request_id exactly as it was returned"))?;
        Ok((Job { key: self.key(ctx, &action)?, endpoint, request_id }, action))
    }
}

impl FalMcp {
    /// fal's typical run time for `id`, for pacing the caller's polls; None when the catalog does
    /// not say, or does not answer within two seconds (the status matters more than the pace).
    async fn typical_seconds(&self, key: &FalKey, id: &EndpointId) -> Option<f64> {
        let lookup = self.fal.find_models(Some(key), std::slice::from_ref(id));
        let models = tokio::time::timeout(Duration::from_secs(2), lookup).await.ok()?.ok()?;
        models.iter().find(|m| m.endpoint_id == id.as_str())?.typical_seconds()
    }
}

fn unknown_or_failed(action: &str, job: &Job, e: &FalError) -> Failure {
    let failure = Failure::fal(action, e);
    if e.is_not_found() {
        return failure.with_hint(format!(
            "fal has no request {} for {}: check both ids (results are kept about an hour after completion)",
            job.request_id,
            job.endpoint.app()
        ));
    }
    failure.for_job(&job.endpoint, &job.request_id, false)
}
