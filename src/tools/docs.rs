//! search_docs: fal's documentation, searched by the docs site or, failing that, ranked from its page index.

use rmcp::{
    model::{CallToolResult, JsonObject},
    tool, tool_router,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{FalMcp, args, failure::Failure, output};
use crate::fal::DocsSource;

const DEFAULT_LIMIT: usize = 5;
const MAX_LIMIT: usize = 20;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SearchDocsArgs {
    /// What to look for, e.g. "webhooks".
    pub(crate) query: String,
    /// How many, 1 to 20 (default 5).
    pub(crate) limit: Option<usize>,
}

/// One documentation page.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct DocResult {
    pub(crate) title: String,
    pub(crate) url: String,
    /// The matching passage, or the page summary.
    pub(crate) snippet: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct SearchDocsOutput {
    pub(crate) results: Vec<DocResult>,
    /// docs_search (fal's docs search) or docs_index (fal's page index, ranked by this server when the search is unavailable).
    pub(crate) source: String,
}

#[tool_router(router = docs_tools, vis = "pub(crate)")]
impl FalMcp {
    #[tool(
        name = "search_docs",
        title = "Search fal documentation",
        description = "Search fal's documentation (APIs, queue, webhooks, auth, pricing, training, SDKs). \
Returns titles, links and passages. Not for finding models.",
        input_schema = output::input::<SearchDocsArgs>(),
        output_schema = output::schema::<SearchDocsOutput>(),
        annotations(read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = true)
    )]
    async fn search_docs(&self, arguments: JsonObject) -> Result<CallToolResult, Failure> {
        const ACTION: &str = "search the docs";
        let args: SearchDocsArgs = args::parse(ACTION, arguments)?;
        let limit = args::in_range(ACTION, "limit", args.limit, DEFAULT_LIMIT, 1, MAX_LIMIT)?;
        let query = args.query.trim();
        if query.is_empty() {
            return Err(Failure::invalid(ACTION, "the query is empty", "say what to look for, e.g. 'webhooks'"));
        }
        args::text(ACTION, "query", Some(query), 300)?;
        let answer = self.fal.search_docs(query, limit).await.map_err(|e| {
            Failure::fal(ACTION, &e)
                .with_hint("fal's docs could not be reached; retry later or read https://docs.fal.ai directly")
        })?;
        Ok(output::success(&SearchDocsOutput {
            results: answer
                .results
                .into_iter()
                .map(|h| DocResult { title: h.title, url: h.url, snippet: h.snippet })
                .collect(),
            source: match answer.source {
                DocsSource::Search => "docs_search",
                DocsSource::Index => "docs_index",
            }
            .into(),
        }))
    }
}
