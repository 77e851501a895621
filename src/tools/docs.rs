//! search_docs: fal's documentation, searched by the docs site or, failing that, ranked from its page index.

use rmcp::{handler::server::wrapper::Parameters, model::CallToolResult, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{
    FalMcp,
    discovery::check_text,
    output::{self, Failure},
};
use crate::fal::DocsSource;

const DEFAULT_LIMIT: usize = 5;
const MAX_LIMIT: usize = 20;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SearchDocsArgs {
    /// What to look for, e.g. "webhooks", "queue request timeout", "upload a file", "LoRA training".
    pub query: String,
    /// How many pages to return, 1 to 20 (default 5).
    pub limit: Option<usize>,
}

/// One documentation page.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DocResult {
    pub title: String,
    pub url: String,
    /// The matching passage, or the page summary.
    pub snippet: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct SearchDocsOutput {
    pub results: Vec<DocResult>,
    /// docs_search (fal's docs search) or docs_index (fal's page index, ranked by this server when the search is unavailable).
    pub source: String,
}

#[tool_router(router = docs_tools, vis = "pub(crate)")]
impl FalMcp {
    #[tool(
        name = "search_docs",
        title = "Search fal documentation",
        description = "Search fal's documentation (APIs, queue, webhooks, uploads, auth, pricing, training, SDKs) for how-to questions about fal. \
Returns page titles, links and matching passages. Not for finding models.",
        input_schema = output::input::<SearchDocsArgs>(),
        output_schema = output::schema::<SearchDocsOutput>(),
        annotations(read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = true)
    )]
    async fn search_docs(&self, Parameters(args): Parameters<SearchDocsArgs>) -> CallToolResult {
        const ACTION: &str = "search the docs";
        let limit = args.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Failure::invalid(ACTION, format!("limit {limit} is out of range"), "pass a limit from 1 to 20")
                .into();
        }
        let query = args.query.trim();
        if query.is_empty() {
            return Failure::invalid(ACTION, "the query is empty", "say what to look for, e.g. 'webhooks'").into();
        }
        if let Err(message) = check_text("query", Some(query), 300) {
            return Failure::invalid(ACTION, message, "shorten the query").into();
        }
        match self.fal.search_docs(query, limit).await {
            Ok(answer) => output::success(&SearchDocsOutput {
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
            }),
            Err(e) => Failure::fal(ACTION, &e)
                .with_hint("fal's docs could not be reached; retry later or read https://docs.fal.ai directly")
                .into(),
        }
    }
}
