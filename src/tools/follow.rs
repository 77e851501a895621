//! check_job: a job's status, its result once completed, or its cancellation.

use rmcp::{
    RoleServer,
    model::{CallToolResult, JsonObject},
    service::RequestContext,
    tool, tool_router,
};
use std::time::Duration;

use schemars::JsonSchema;
use serde::Deserialize;

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
#[serde(rename_all = "lowercase")]
#[schemars(inline)]
pub(crate) enum JobAction {
    Status,
    Result,
    Cancel,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CheckJobArgs {
    /// The job's endpoint id.
    pub(crate) endpoint_id: String,
    /// The request_id submit_job or run_model returned.
    pub(crate) request_id: String,
    /// status (default), result (the output once completed) or cancel.
    pub(crate) action: Option<JobAction>,
    /// Add the job's log lines to a status answer.
    pub(crate) logs: Option<bool>,
}

#[tool_router(router = check_job_tools, vis = "pub(crate)")]
impl FalMcp {
    #[tool(
        name = "check_job",
        title = "Check, fetch or cancel a job",
        description = "Follow a job from submit_job or run_model. status (default): IN_QUEUE with its position, IN_PROGRESS, \
COMPLETED with the output, or FAILED with fal's reason; result: the output; cancel: stop it.",
        input_schema = output::input::<CheckJobArgs>(),
        output_schema = output::schema::<JobOutput>(),
        meta = crate::ui::tool_meta(),
        annotations(read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = true)
    )]
    async fn check_job(
        &self,
        arguments: JsonObject,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, Failure> {
        let args: CheckJobArgs = args::parse("check the job", arguments)?;
        let job_action = args.action.unwrap_or(JobAction::Status);
        let verb = match job_action {
            JobAction::Status => "check",
            JobAction::Result => "get the result of",
            JobAction::Cancel => "cancel",
        };
        let action = format!("{verb} request {} of {}", shown(&args.request_id), shown(&args.endpoint_id));
        let id = args::endpoint_id(&action, &args.endpoint_id)?;
        let request_id = RequestId::parse(&args.request_id)
            .map_err(|message| Failure::invalid(&action, message, "pass the request_id exactly as it was returned"))?;
        let job = Job { key: self.key(&ctx, &action)?, endpoint: id.clone(), request_id: request_id.clone() };
        let failed = |e: FalError| unknown_or_failed(&action, &id, &request_id, &e);
        if let JobAction::Cancel = job_action {
            let outcome = self.fal.cancel(&job).await.map_err(failed)?;
            return Ok(output::success(&JobOutput {
                status: outcome.as_str().into(),
                ..JobOutput::new(&id, &request_id)
            }));
        }
        let with_logs = matches!(job_action, JobAction::Status) && args.logs.unwrap_or(false);
        let (status, typical) = tokio::join!(self.fal.status(&job, with_logs), self.typical_seconds(&job.key, &id));
        let status = status.map_err(failed)?;
        match job_action {
            JobAction::Result if status.is_completed() => self.completed(&job, status, &action, None).await,
            // Done: the output comes with the status when it fits, so no second call is needed.
            JobAction::Status if status.is_completed() && !status.is_failed() => {
                let answer = self.completed_inline(&job).await;
                Ok(answer
                    .unwrap_or_else(|| output::success(&status_output(&id, &request_id, status, with_logs, typical))))
            }
            _ => Ok(output::success(&status_output(&id, &request_id, status, with_logs, typical))),
        }
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

fn unknown_or_failed(action: &str, id: &EndpointId, request_id: &RequestId, e: &FalError) -> Failure {
    let failure = Failure::fal(action, e);
    if e.is_not_found() {
        return failure.with_hint(format!(
            "fal has no request {request_id} for {}: check both ids (results are kept about an hour after completion)",
            id.app()
        ));
    }
    failure.for_job(id, request_id, false)
}
