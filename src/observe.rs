//! Request accounting for /mcp: a request id, a concurrency limit that sheds load with 503, the
//! in-flight gauge, and one log line per request (HTTP and JSON-RPC method, tool, status, latency
//! and each fal call), written when the response body ends so streamed calls are complete.

use std::{
    borrow::Cow,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    task::{Context, Poll},
    time::Instant,
};

use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::Response,
};
use http_body::{Frame, SizeHint};
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::{fast_list::ToolsList, metrics, telemetry::CallLog};

/// Shared state of the accounting layer.
pub struct Limits {
    permits: Arc<Semaphore>,
    max_body_bytes: usize,
    tools_list: ToolsList,
}

impl Limits {
    pub fn new(max_concurrency: usize, max_body_bytes: usize, tools_list: ToolsList) -> Arc<Self> {
        Arc::new(Self { permits: Arc::new(Semaphore::new(max_concurrency.max(1))), max_body_bytes, tools_list })
    }
}

/// The id of one HTTP request, echoed in `x-request-id` and in its log line.
#[derive(Clone, Debug)]
pub struct RequestId(pub Arc<str>);

/// Outermost /mcp layer: sheds load past the limit, tags the request and logs it when it ends.
pub async fn account(State(limits): State<Arc<Limits>>, mut request: Request, next: Next) -> Response {
    let Ok(permit) = limits.permits.clone().try_acquire_owned() else {
        metrics::shed();
        let mut response = crate::http_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            "the server is at its concurrency limit; retry in a second",
        );
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return response;
    };
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 64 && v.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)))
        .map_or_else(new_request_id, Arc::from);
    let log = CallLog::default();
    request.extensions_mut().insert(RequestId(id.clone()));
    request.extensions_mut().insert(log.clone());
    let mut guard = LineGuard {
        id: id.clone(),
        http_method: request.method().to_string(),
        started: Instant::now(),
        status: 0,
        log,
        _permit: permit,
    };
    metrics::in_flight(1);
    let response = next.run(request).await;
    let (mut parts, body) = response.into_parts();
    if let Ok(value) = HeaderValue::from_str(&id) {
        parts.headers.insert("x-request-id", value);
    }
    guard.status = parts.status.as_u16();
    Response::from_parts(parts, Body::new(Logged { inner: body, _guard: guard }))
}

/// Inner /mcp layer, after auth: reads the JSON-RPC method and tool name for the log line.
/// The body is bounded here as rmcp would bound it.
pub async fn peek(State(limits): State<Arc<Limits>>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, limits.max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(_) => {
            let message = format!("the request body is over {} bytes", limits.max_body_bytes);
            return crate::http_error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message);
        }
    };
    if let Ok(call) = serde_json::from_slice::<Peek>(&bytes) {
        let tool = match call.method.as_deref() {
            Some("tools/call") => {
                call.params.and_then(|p| serde_json::from_str::<PeekParams>(p.get()).ok()).and_then(|p| p.name)
            }
            _ => None,
        };
        if let Some(log) = parts.extensions.get::<CallLog>() {
            log.set_request(call.method.as_deref().map(str::to_owned), tool);
        }
        if let Some(answer) = limits.tools_list.answer(&parts.headers, &call) {
            return answer;
        }
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// The parts of a JSON-RPC message this layer reads; the rest stays unparsed.
#[derive(Deserialize)]
pub(crate) struct Peek<'a> {
    pub jsonrpc: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub id: Option<&'a RawValue>,
    pub method: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub params: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct PeekParams {
    name: Option<String>,
}

fn new_request_id() -> Arc<str> {
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    Arc::from(format!("{:016x}", hasher.finish()))
}

/// Writes the request's log line when the response body is done (or dropped by a departing client).
struct LineGuard {
    id: Arc<str>,
    http_method: String,
    started: Instant,
    status: u16,
    log: CallLog,
    _permit: OwnedSemaphorePermit,
}

impl Drop for LineGuard {
    fn drop(&mut self) {
        metrics::in_flight(-1);
        let (rpc_method, tool) = self.log.request();
        tracing::info!(
            request_id = %self.id,
            http_method = %self.http_method,
            rpc_method = rpc_method.as_deref().unwrap_or("-"),
            tool = tool.as_deref().unwrap_or("-"),
            status = self.status,
            outcome = self.log.outcome().unwrap_or("-"),
            latency_ms = self.started.elapsed().as_millis() as u64,
            fal_calls = %self.log.summary(),
            "mcp request"
        );
    }
}

struct Logged {
    inner: Body,
    _guard: LineGuard,
}

impl http_body::Body for Logged {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
