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
        CallToolRequestParams, CallToolResponse, Implementation, ListResourcesResult, PaginatedRequestParams,
        ProtocolVersion, ReadResourceRequestParams, ReadResourceResponse, ServerCapabilities, ServerConfig, Tool,
    },
    service::RequestContext,
    tool_handler,
};

use crate::{
    fal::{FalClient, FalKey},
    fetch::Fetcher,
    metrics,
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

const INSTRUCTIONS: &str = "Tools for fal, the generative-media platform (image, video, audio, speech, 3D and LLM models). \
Find a model with recommend_model (describe the task) or search_models, read its inputs with get_model_schema, \
and check its price with get_pricing before running it. run_model waits for a result; submit_job queues long \
video, 3D and training jobs: follow them with check_job, fetch a whole output with get_job_result, stop one with \
cancel_job. upload_file puts your files on fal's CDN for use as inputs. search_docs answers questions about fal's APIs.";

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
        let tools = Self::router();
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
        let mut router = Self::router();
        for tool in router.list_all() {
            if tool.annotations.as_ref().and_then(|a| a.read_only_hint) != Some(true) {
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
        Self::groups().into_iter().fold(ToolRouter::new(), |all, (_, group)| all + group)
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
        Ok(ListResourcesResult::with_all_items(vec![self.settings.view.listed()]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        if request.uri != ui::URI {
            let message =
                format!("no resource {}; resources/list names the one there is", crate::text::shown(&request.uri));
            return Err(ErrorData::resource_not_found(message, None));
        }
        Ok(self.settings.view.read().into())
    }

    fn get_info(&self) -> ServerConfig {
        let capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_resources()
            .enable_extensions_with(std::collections::BTreeMap::from([ui::capability()]))
            .build();
        ServerConfig::new(capabilities)
            .with_server_info(Implementation::new("fal-mcp", env!("CARGO_PKG_VERSION")))
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
        for word in named {
            assert!(served.iter().any(|s| s == word), "the instructions name {word}, which no router serves");
        }
    }
}
