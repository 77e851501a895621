//! fal documentation search: the docs site's `SearchFal` MCP tool first, then its `llms.txt`
//! index ranked locally. Neither needs a key, so the caller's key is never sent there.

use std::sync::Arc;

use futures_util::StreamExt;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::{Value, json};
use sse_stream::SseStream;

use super::{
    FalClient, FalError,
    cache::{CacheKey, through},
    join,
};

/// Longest snippet returned per hit, in characters.
const SNIPPET_CHARS: usize = 320;

/// One documentation page that matches a query.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DocHit {
    pub(crate) title: String,
    pub(crate) url: String,
    pub(crate) snippet: String,
}

/// Which path produced the hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DocsSource {
    /// The docs site's own search (`SearchFal`).
    Search,
    /// The `llms.txt` page index, ranked by this server.
    Index,
}

#[derive(Debug, Clone)]
pub(crate) struct DocsAnswer {
    pub(crate) results: Vec<DocHit>,
    pub(crate) source: DocsSource,
}

impl FalClient {
    /// Searches fal's docs. When the search service fails or finds nothing, the page index is used.
    pub(crate) async fn search_docs(&self, query: &str, limit: usize) -> Result<DocsAnswer, FalError> {
        let search_error = match self.search_fal(query).await {
            Ok(hits) if !hits.is_empty() => {
                return Ok(DocsAnswer { results: hits.into_iter().take(limit).collect(), source: DocsSource::Search });
            }
            Ok(_) => None,
            Err(e) => Some(e),
        };
        match self.llms_index().await {
            Ok(index) => Ok(DocsAnswer { results: rank_index(&index, query, limit), source: DocsSource::Index }),
            Err(index_error) => Err(search_error.unwrap_or(index_error)),
        }
    }

    async fn search_fal(&self, query: &str) -> Result<Vec<DocHit>, FalError> {
        let body = json!({
            "jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": { "name": "SearchFal", "arguments": { "query": query } }
        });
        let request = self
            .http()
            .post(join(&self.urls().docs, "mcp"))
            .header(ACCEPT, "application/json, text/event-stream")
            .header(CONTENT_TYPE, "application/json")
            .json(&body);
        let response = self.send("POST docs/mcp", None, request, false).await?;
        let status = response.status();
        let decode = |detail: &str| FalError::decode(status, detail, None);
        let is_sse = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        let messages: Vec<Value> = if is_sse {
            SseStream::from_bytes_stream(response.bytes_stream())
                .filter_map(|event| async move { event.ok()?.data.and_then(|d| serde_json::from_str(&d).ok()) })
                .collect()
                .await
        } else {
            let body = response.bytes().await.map_err(|e| FalError::from_reqwest(&e, self.inner.timeout.as_secs()))?;
            serde_json::from_slice(&body).into_iter().collect()
        };
        let message = messages
            .into_iter()
            .find(|m| m.get("result").is_some() || m.get("error").is_some())
            .ok_or_else(|| decode("no JSON-RPC result in the docs search answer"))?;
        if let Some(error) = message.get("error") {
            let detail = error.get("message").and_then(Value::as_str).unwrap_or("error");
            return Err(decode(&format!("docs search failed: {detail}")));
        }
        let result = &message["result"];
        if result.get("isError").and_then(Value::as_bool) == Some(true) {
            return Err(decode("docs search reported an error"));
        }
        let texts = result
            .get("content")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|c| c.get("text").and_then(Value::as_str));
        Ok(texts.flat_map(parse_search_text).collect())
    }

    async fn llms_index(&self) -> Result<Arc<str>, FalError> {
        let key = CacheKey { caller: None, what: "llms.txt".into() };
        through(&self.inner.cache.text, key, async {
            let request = self.http().get(join(&self.urls().docs, "llms.txt"));
            let (_, bytes) = self.bytes("GET docs/llms.txt", None, request).await?;
            Ok(Arc::from(String::from_utf8_lossy(&bytes).as_ref()))
        })
        .await
    }
}

/// Splits `Title: …\nLink: …\nContent: …` blocks into hits.
fn parse_search_text(text: &str) -> Vec<DocHit> {
    let mut hits = Vec::new();
    let mut current: Option<(String, String, String)> = None;
    for line in text.lines() {
        if let Some(title) = line.strip_prefix("Title:") {
            hits.extend(current.take().map(to_hit));
            current = Some((title.trim().to_string(), String::new(), String::new()));
        } else if let Some((_, url, content)) = current.as_mut() {
            if let Some(link) = line.strip_prefix("Link:") {
                *url = link.trim().to_string();
            } else {
                let line = line.strip_prefix("Content:").unwrap_or(line);
                content.push(' ');
                content.push_str(line.trim());
            }
        }
    }
    hits.extend(current.map(to_hit));
    hits.retain(|h| !h.url.is_empty() || !h.title.is_empty());
    hits
}

fn to_hit((title, url, content): (String, String, String)) -> DocHit {
    DocHit { title, url, snippet: snippet(&content) }
}

fn snippet(text: &str) -> String {
    crate::text::clip(&text.split_whitespace().collect::<Vec<_>>().join(" "), SNIPPET_CHARS)
}

/// Ranks `- [Title](url): description` lines of an llms.txt by how many query words they contain,
/// weighting the title over the URL over the description.
fn rank_index(index: &str, query: &str, limit: usize) -> Vec<DocHit> {
    let words: Vec<String> =
        query.split(|c: char| !c.is_alphanumeric()).filter(|w| w.len() > 1).map(str::to_lowercase).collect();
    let mut scored: Vec<(u32, usize, DocHit)> = index
        .lines()
        .filter_map(parse_index_line)
        .enumerate()
        .filter_map(|(position, hit)| {
            let (title, url, text) = (hit.title.to_lowercase(), hit.url.to_lowercase(), hit.snippet.to_lowercase());
            let score: u32 = words
                .iter()
                .map(|w| {
                    3 * title.contains(w.as_str()) as u32
                        + 2 * url.contains(w.as_str()) as u32
                        + text.contains(w.as_str()) as u32
                })
                .sum();
            (score > 0).then_some((score, position, hit))
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().take(limit).map(|(_, _, hit)| hit).collect()
}

fn parse_index_line(line: &str) -> Option<DocHit> {
    let rest = line.trim().strip_prefix("- [")?;
    let (title, rest) = rest.split_once("](")?;
    let (url, rest) = rest.split_once(')')?;
    let description = rest.trim_start_matches(':').trim();
    Some(DocHit { title: title.to_string(), url: url.to_string(), snippet: snippet(description) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_search_blocks() {
        let text = "Title: Webhooks\nLink: https://docs.fal.ai/webhooks\nContent: Get notified\nwhen done.\n\nTitle: Queue\nLink: https://docs.fal.ai/queue\nContent: Submit jobs.";
        let hits = parse_search_text(text);
        assert_eq!(hits.len(), 2);
        assert_eq!(
            hits[0],
            DocHit {
                title: "Webhooks".into(),
                url: "https://docs.fal.ai/webhooks".into(),
                snippet: "Get notified when done.".into()
            }
        );
        assert_eq!(hits[1].url, "https://docs.fal.ai/queue");
    }

    #[test]
    fn ranks_index_lines_title_first() {
        let index = "# fal\n\n## Docs\n\n- [Queue](https://docs.fal.ai/queue.md): submit and poll; webhooks supported\n- [Webhooks](https://docs.fal.ai/webhooks.md): callbacks when a request completes\n- [Pricing](https://docs.fal.ai/pricing.md): what things cost\n";
        let hits = rank_index(index, "webhooks", 5);
        assert_eq!(hits.iter().map(|h| h.title.as_str()).collect::<Vec<_>>(), ["Webhooks", "Queue"]);
        assert!(rank_index(index, "zzz", 5).is_empty());
    }
}
