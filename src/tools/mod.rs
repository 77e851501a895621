//! The MCP tools over the fal client, one file per tool or group with its arguments and handler;
//! this module assembles them into one server.

mod args;
pub(crate) mod catalog;
mod discovery;
mod docs;
mod failure;
mod files;
mod follow;
mod jobs;
mod media;
mod output;
mod pricing;
mod recommend;
mod run_model;
mod submit_job;

use std::{borrow::Cow, sync::Arc, time::Duration};

use rmcp::{
    ErrorData, RoleServer, ServerHandler,
    handler::server::{router::tool::ToolRouter, tool::ToolCallContext},
    model::{
        CallToolRequestParams, CallToolResponse, GetSkillRequestParams, GetSkillResult, Implementation,
        ListResourcesResult, ListSkillsResult, PaginatedRequestParams, ProtocolVersion, ReadResourceRequestParams,
        ReadResourceResponse, ServerCapabilities, ServerConfig, Tool,
    },
    service::RequestContext,
    tool_handler,
};

use crate::{
    fal::{FalClient, FalKey},
    fetch::Fetcher,
    icons, metrics, skills,
    telemetry::{self, CallLog},
    ui::{self, View},
};
use failure::Failure;

/// Marks an HTTP request that came without a key on a server that lets anyone read
/// (FAL_MCP_READ_WITHOUT_KEY): the auth layers let through only [`KEYLESS_TOOLS`] and discovery.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Keyless;

/// The tools a request without a key may call: their fal calls read only fal's public catalog
/// and docs, which fal serves to anyone. Everything that spends or reads an account asks to sign in.
pub(crate) const KEYLESS_TOOLS: &[&str] = &["search_models", "get_model_schema", "search_docs", "recommend_model"];

const INSTRUCTIONS: &str = "Tools for fal, the generative-media platform: image, video, audio, speech, 3D and LLM \
models behind one API, paid per use from the user's fal credits.

Choosing a model: describe the task to recommend_model in the user's words (any language); it ranks fal's live \
catalog and says why each fits, its unit price and run_with; pass category (text-to-speech, image-to-video…) when \
you can tell it. When the user names a model, search_models finds it. \
Before a model's first run, read its inputs with get_model_schema and pass only the fields it lists.

Cost: run_model and submit_job spend money. Price a call with get_pricing (endpoint_id and the input) and tell the \
user before anything costly or any batch; pass max_cost to refuse a run whose estimate is higher.

Running: run_model waits for the output (images, speech, short jobs). Long video, 3D and training jobs go to \
submit_job; follow them with check_job (read-only; wait poll_after_seconds between calls), take a large output \
with get_job_result, and stop unwanted work with cancel_job. Once a call returns a request_id, fal has the job: \
follow that id and never submit the same input again because a wait ended. A failed job says in next whether to \
change the input, change the content, wait, or stop.

Files: upload_file puts the user's files on fal's CDN; pass its cdn_url as the model's image_url, audio_url or \
video_url. Questions about fal itself (queues, webhooks, keys, SDKs) go to search_docs.

Skills with more detail: choosing-a-model, confirming-cost and following-long-jobs (skills/list, or resources/list \
for hosts without skills).";

/// Limits the tools apply.
#[derive(Debug, Clone)]
pub(crate) struct ToolSettings {
    /// How long run_model waits by default, and at most.
    pub(crate) run_wait: Duration,
    pub(crate) run_wait_max: Duration,
    /// Largest decoded `data` upload_file accepts.
    pub(crate) max_data_bytes: u64,
    /// Largest file upload_file copies or signs a ticket for.
    pub(crate) max_upload_bytes: u64,
    /// The operator's ceiling on one call's estimated cost, in USD.
    pub(crate) max_cost_per_call: Option<f64>,
    /// Cancelled shortly before the shutdown grace period ends: a waiting run_model then answers
    /// with its request id, so the job outlives the process.
    pub(crate) stop: tokio_util::sync::CancellationToken,
    /// The MCP App view that shows job results.
    pub(crate) view: View,
    /// Where this server is reachable (FAL_MCP_PUBLIC_URL): its icons are named under it.
    pub(crate) public_url: Option<String>,
}

/// The MCP server: the fal client plus the tool router, both shared across requests.
#[derive(Clone)]
pub(crate) struct FalMcp {
    fal: FalClient,
    fetcher: Fetcher,
    /// The live catalog's index, for recommend_model and search_models.
    catalog: Arc<catalog::Catalog>,
    settings: Arc<ToolSettings>,
    tools: Arc<ToolRouter<Self>>,
    /// The key used when a request carries none (stdio, where the key comes from the environment).
    default_key: Option<FalKey>,
}

impl FalMcp {
    pub(crate) fn new(fal: FalClient, fetcher: Fetcher, settings: ToolSettings) -> Self {
        let catalog = catalog::Catalog::new(fal.clone());
        let tools = Self::router_for(settings.public_url.as_deref());
        crate::metrics::set_tools(tools.list_all().into_iter().map(|t| t.name.into_owned()));
        Self { fal, fetcher, catalog, settings: Arc::new(settings), tools: Arc::new(tools), default_key: None }
    }

    /// Serves every request with `key` when the request itself carries none.
    pub(crate) fn with_default_key(mut self, key: FalKey) -> Self {
        self.default_key = Some(key);
        self
    }

    /// The same server with only the tools that spend nothing and change nothing (those marked
    /// read-only), for `/mcp/readonly`: a tool left out is unknown there, listed nowhere.
    pub(crate) fn read_only(mut self) -> Self {
        let mut router = Self::router_for(self.settings.public_url.as_deref());
        for tool in router.list_all() {
            if !is_read_only(&tool) {
                router.remove_route(&tool.name);
            }
        }
        self.tools = Arc::new(router);
        self
    }

    /// The tools by group: the one list the router, the README's table, the metrics' labels and
    /// the instructions' test all come from.
    fn groups() -> [(&'static str, ToolRouter<Self>); 3] {
        [
            ("discovery", Self::discovery_tools() + Self::pricing_tools() + Self::docs_tools()),
            ("execution", Self::run_model_tools() + Self::submit_job_tools() + Self::follow_tools()),
            ("utility", Self::recommend_tools() + Self::file_tools()),
        ]
    }

    fn router() -> ToolRouter<Self> {
        Self::router_for(None)
    }

    /// Every tool, each with its group's icon when the server knows its public URL.
    fn router_for(public_url: Option<&str>) -> ToolRouter<Self> {
        Self::groups().into_iter().fold(ToolRouter::new(), |all, (name, mut group)| {
            if let Some(url) = public_url {
                group.map.values_mut().for_each(|route| route.attr.icons = Some(vec![icons::bare(url, name)]));
            }
            all + group
        })
    }

    /// The tools this server lists: what the fast tools/list path serializes.
    /// The live catalog's index this server ranks with.
    pub(crate) fn catalog(&self) -> Arc<catalog::Catalog> {
        Arc::clone(&self.catalog)
    }

    pub(crate) fn listed_tools(&self) -> Vec<Tool> {
        self.tools.list_all()
    }

    /// The caller's key, or None for a request this server lets read without one (see [`Keyless`]);
    /// for the tools in [`KEYLESS_TOOLS`].
    fn reader(&self, ctx: &RequestContext<RoleServer>, action: &str) -> Result<Option<FalKey>, Failure> {
        let keyless =
            ctx.extensions.get::<http::request::Parts>().is_some_and(|p| p.extensions.get::<Keyless>().is_some());
        match self.request_key(ctx) {
            Some(key) => Ok(Some(key)),
            None if keyless => Ok(None),
            None => self.key(ctx, action).map(Some),
        }
    }

    fn request_key(&self, ctx: &RequestContext<RoleServer>) -> Option<FalKey> {
        ctx.extensions
            .get::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<FalKey>().cloned())
            .or_else(|| self.default_key.clone())
    }

    /// The caller's key: the one the auth middleware put in this HTTP request, else the default.
    fn key(&self, ctx: &RequestContext<RoleServer>, action: &str) -> Result<FalKey, Failure> {
        self.request_key(ctx).ok_or_else(|| {
            Failure::invalid(
                action,
                "no fal key came with this request",
                "send 'Authorization: Bearer <FAL_KEY>' with every request, or sign in",
            )
        })
    }
}

#[tool_handler(router = self.tools)]
impl ServerHandler for FalMcp {
    /// Runs the tool with the request's call log collecting its fal calls, and counts the outcome.
    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let log = context
            .extensions
            .get::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<CallLog>().cloned())
            .unwrap_or_default();
        let tool = request.name.clone();
        let call = ToolCallContext::new(self, request, context);
        let response = telemetry::scoped(log.clone(), self.tools.call(call)).await;
        let outcome = match &response {
            Ok(CallToolResponse::Complete(result)) if result.is_error == Some(true) => "error",
            Ok(_) => "ok",
            Err(_) => "protocol_error",
        };
        log.set_outcome(outcome);
        metrics::tool_call(&tool, outcome);
        response
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let skills = skills::all().into_iter().map(|s| s.listed());
        Ok(ListResourcesResult::with_all_items(std::iter::once(self.settings.view.listed()).chain(skills).collect()))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        if request.uri == ui::URI {
            return Ok(self.settings.view.read().into());
        }
        match skills::find(&request.uri) {
            Some(skill) => Ok(skill.read().into()),
            None => {
                let message =
                    format!("no resource {}; resources/list names those there are", crate::text::shown(&request.uri));
                Err(ErrorData::resource_not_found(message, None))
            }
        }
    }

    async fn list_skills(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListSkillsResult, ErrorData> {
        Ok(ListSkillsResult::with_all_items(skills::all().iter().map(skills::Guide::skill).collect()))
    }

    async fn get_skill(
        &self,
        request: GetSkillRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetSkillResult, ErrorData> {
        let skill = skills::find(&request.uri).ok_or_else(|| {
            let message = format!("no skill {}; skills/list names those there are", crate::text::shown(&request.uri));
            ErrorData::invalid_params(message, None)
        })?;
        Ok(GetSkillResult::new(skill.skill()))
    }

    fn get_info(&self) -> ServerConfig {
        let capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_resources()
            .enable_extensions_with(std::collections::BTreeMap::from([ui::capability()]))
            .enable_skills()
            .build();
        ServerConfig::new(capabilities)
            .with_server_info(server_info(self.settings.public_url.as_deref()))
            .with_instructions(INSTRUCTIONS)
    }

    /// 2025-03-26 onwards: the first revision with Streamable HTTP and tool annotations.
    fn supported_protocol_versions(&self) -> Cow<'static, [ProtocolVersion]> {
        Cow::Borrowed(&SUPPORTED_VERSIONS)
    }
}

const SUPPORTED_VERSIONS: [ProtocolVersion; 4] = [
    ProtocolVersion::V_2025_03_26,
    ProtocolVersion::V_2025_06_18,
    ProtocolVersion::V_2025_11_25,
    ProtocolVersion::V_2026_07_28,
];

/// Who this server is, for initialize and server.json: with its icon and site when it knows its public URL.
pub(crate) fn server_info(public_url: Option<&str>) -> Implementation {
    let info =
        Implementation::new("fal-mcp", env!("CARGO_PKG_VERSION")).with_title("fal").with_description(DESCRIPTION);
    match public_url {
        Some(url) => info.with_icons(vec![icons::icon(url, icons::SERVER)]).with_website_url(url.trim_end_matches('/')),
        None => info,
    }
}

/// One line on what the server does (server.json allows 100 characters).
pub(crate) const DESCRIPTION: &str = "Find, price and run fal's 1,000+ image, video, audio, speech and 3D models.";

/// Whether `tool` spends nothing and changes nothing, as its hints say.
fn is_read_only(tool: &Tool) -> bool {
    tool.annotations.as_ref().and_then(|a| a.read_only_hint) == Some(true)
}

/// Every tool's name and whether it is read-only.
pub(crate) fn read_only_flags() -> Vec<(String, bool)> {
    FalMcp::router().list_all().iter().map(|t| (t.name.to_string(), is_read_only(t))).collect()
}

/// The README's tool table, generated from the tool definitions.
pub fn markdown_table() -> String {
    let mut out = String::from("| tool | group | what it does | hints |\n| --- | --- | --- | --- |\n");
    let groups: Vec<(&str, Vec<Tool>)> = FalMcp::groups().into_iter().map(|(g, r)| (g, r.list_all())).collect();
    for tool in FalMcp::router().list_all() {
        let group = groups.iter().find(|(_, tools)| tools.iter().any(|t| t.name == tool.name)).map_or("", |(g, _)| *g);
        let description = tool.description.as_deref().unwrap_or("");
        let first = description.split(". ").next().unwrap_or(description).trim_end_matches('.');
        let hints = tool
            .annotations
            .as_ref()
            .map(|a| {
                [
                    (a.read_only_hint, "read-only"),
                    (a.destructive_hint, "destructive"),
                    (a.idempotent_hint, "idempotent"),
                    (a.open_world_hint, "open-world"),
                ]
                .into_iter()
                .filter(|(on, _)| *on == Some(true))
                .map(|(_, name)| name)
                .collect::<Vec<_>>()
                .join(", ")
            })
            .unwrap_or_default();
        out.push_str(&format!("| `{}` | {group} | {first}. | {hints} |\n", tool.name));
    }
    out
}

/// What a guide may name: the tools, their arguments and result fields, and a model's `*_url` inputs.
#[cfg(test)]
pub(crate) fn vocabulary() -> Vec<String> {
    let mut words: Vec<String> = read_only_flags().into_iter().map(|(name, _)| name).collect();
    for tool in FalMcp::router().list_all() {
        for schema in [Some(tool.input_schema.as_ref()), tool.output_schema.as_deref()].into_iter().flatten() {
            if let Some(serde_json::Value::Object(properties)) = schema.get("properties") {
                words.extend(properties.keys().cloned());
            }
        }
    }
    // A recommendation's fields, nested in recommend_model's answer.
    let recommendation = serde_json::to_value(schemars::schema_for!(recommend::Recommendation)).unwrap();
    words.extend(recommendation["properties"].as_object().into_iter().flat_map(|p| p.keys().cloned()));
    words.extend(["image_url", "audio_url", "video_url"].map(String::from));
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_instructions_name_every_tool_the_router_serves() {
        let served: Vec<String> = FalMcp::router().list_all().into_iter().map(|t| t.name.into_owned()).collect();
        assert_eq!(served.len(), FalMcp::groups().iter().map(|(_, r)| r.list_all().len()).sum::<usize>());
        for name in &served {
            assert!(INSTRUCTIONS.contains(name.as_str()), "the instructions never mention {name}");
        }
        let named = INSTRUCTIONS.split(|c: char| !(c.is_ascii_lowercase() || c == '_')).filter(|w| w.contains('_'));
        let known = vocabulary();
        for word in named {
            assert!(known.iter().any(|s| s == word), "the instructions name {word}, which no tool is or has");
        }
        let words = INSTRUCTIONS.split_whitespace().count();
        assert!((150..=400).contains(&words), "{words} words: a few hundred is what hosts read");
    }
}
