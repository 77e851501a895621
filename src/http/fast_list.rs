//! A fast path for the commonest request: a plain `tools/list` is answered from bytes serialized
//! once at start-up, because serializing the tool list was most of that request's cost (see
//! BENCHMARKS.md). Anything else, or anything unusual about the request, goes to rmcp unchanged.

use std::sync::Arc;

use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::Response,
};
use http_body::{Frame, SizeHint};
use rmcp::model::Tool;

use super::admit::Rpc;
use crate::telemetry::CallLog;

/// Protocol versions whose tools/list answer is exactly `{"tools": [...]}` (2026-07-28 adds cache hints).
const PLAIN_VERSIONS: &[&str] = &["2025-03-26", "2025-06-18", "2025-11-25"];

/// The serialized `{"tools": [...]}` result.
pub(crate) struct ToolsList {
    result: Bytes,
}

impl ToolsList {
    pub(crate) fn new(tools: &[Tool]) -> Self {
        let result = serde_json::to_vec(&serde_json::json!({ "tools": tools })).expect("tools serialize");
        Self { result: Bytes::from(result) }
    }
}

pub(crate) async fn answer(State(list): State<Arc<ToolsList>>, request: Request, next: Next) -> Response {
    match list.reply(&request) {
        Some(response) => {
            if let Some(log) = request.extensions().get::<CallLog>() {
                log.set_outcome(CallLog::FROM_BYTES);
            }
            response
        }
        None => next.run(request).await,
    }
}

impl ToolsList {
    /// The answer to `request` when it is a plain tools/list that rmcp would accept as it is.
    fn reply(&self, request: &Request) -> Option<Response> {
        let rpc = request.extensions().get::<Rpc>()?;
        let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok());
        let accepts = header(header::ACCEPT.as_str())
            .is_some_and(|a| a.contains("application/json") && a.contains("text/event-stream"));
        let json_body = header(header::CONTENT_TYPE.as_str()).is_some_and(|c| c.starts_with("application/json"));
        let version_ok = header("mcp-protocol-version").is_none_or(|v| PLAIN_VERSIONS.contains(&v));
        let id = rpc.id.as_deref()?;
        if !(rpc.method.as_deref() == Some("tools/list") && rpc.plain_params && accepts && json_body && version_ok) {
            return None;
        }
        // Three pieces written together: the 12 KB list is never copied per request.
        let head = Bytes::from(format!(r#"{{"jsonrpc":"2.0","id":{id},"result":"#));
        let body = Pieces([head, self.result.clone(), Bytes::from_static(b"}")], 0);
        let mut response = Response::new(Body::new(body));
        *response.status_mut() = StatusCode::OK;
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        Some(response)
    }
}

/// A body of a few ready pieces with an exact length (so it goes out with a Content-Length).
struct Pieces([Bytes; 3], usize);

impl http_body::Body for Pieces {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let next = self.1;
        self.1 += 1;
        std::task::Poll::Ready(self.0.get_mut(next).map(|piece| Ok(Frame::data(std::mem::take(piece)))))
    }

    fn is_end_stream(&self) -> bool {
        self.1 >= self.0.len()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.0[self.1.min(3)..].iter().map(|p| p.len() as u64).sum())
    }
}
