//! submit_job: queue a job and answer at once with its request id.

use rmcp::{
    RoleServer,
    model::{CallToolResult, JsonObject},
    service::RequestContext,
    tool, tool_router,
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{
    FalMcp, args,
    failure::{FOLLOW, Failure},
    jobs::{JobOutput, Submit},
    output,
};
use crate::text::shown;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SubmitJobArgs {
    /// The model's endpoint id, e.g. "fal-ai/veo3".
    pub(crate) endpoint_id: String,
    /// The model's input.
    pub(crate) input: Map<String, Value>,
    /// An https URL fal POSTs the result to when done.
    pub(crate) webhook_url: Option<String>,
    /// Submit nothing if the estimated USD cost is higher or unknown.
    pub(crate) max_cost: Option<f64>,
    /// Seconds output files stay on fal's CDN.
    pub(crate) expiration_seconds: Option<u64>,
    /// false: fal keeps no copy of input and output.
    pub(crate) store_payload: Option<bool>,
    /// Fields to send though the model's schema lacks them.
    pub(crate) unlisted_fields: Option<Vec<String>>,
}

#[tool_router(router = submit_job_tools, vis = "pub(crate)")]
impl FalMcp {
    #[tool(
        name = "submit_job",
        title = "Submit a job to fal's queue",
        description = "Queue a fal model run and return at once with its request_id, for jobs of minutes (video, 3D, training) \
or in parallel; follow it with check_job. input is the model's API (fal.ai/models/<endpoint_id>/api, get_model_schema), checked first.",
        input_schema = output::input::<SubmitJobArgs>(),
        output_schema = output::schema::<JobOutput>(),
        meta = crate::ui::tool_meta(),
        annotations(read_only_hint = false, destructive_hint = false, idempotent_hint = false, open_world_hint = true)
    )]
    async fn submit_job(
        &self,
        arguments: JsonObject,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, Failure> {
        let args: SubmitJobArgs = args::parse("submit a job", arguments)?;
        let action = format!("submit a job to {}", shown(&args.endpoint_id));
        let id = args::endpoint_id(&action, &args.endpoint_id)?;
        let webhook = args.webhook_url.as_deref().map(|w| check_webhook(&action, w)).transpose()?;
        let submit = Submit::from_args(
            &action,
            args.max_cost,
            args.expiration_seconds,
            args.store_payload,
            webhook,
            args.unlisted_fields,
        )?;
        let accepted = self.submit_checked(&ctx, &id, args.input, &submit, &action).await?;
        Ok(output::success(&self.accepted_output(&accepted, FOLLOW.to_string())))
    }
}

fn check_webhook(action: &str, raw: &str) -> Result<String, Failure> {
    let hint = "pass an absolute http(s) URL of at most 2048 characters, or leave webhook_url out";
    let url = url::Url::parse(raw)
        .map_err(|e| Failure::invalid(action, format!("webhook_url '{}' is not a URL ({e})", shown(raw)), hint))?;
    if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() || raw.len() > 2048 {
        return Err(Failure::invalid(
            action,
            format!("webhook_url '{}' is not an absolute http(s) URL", shown(raw)),
            hint,
        ));
    }
    Ok(raw.to_string())
}
