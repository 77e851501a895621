//! The first layer of /mcp: gives the request an id (the caller's `x-request-id` when it is
//! sane, else a new one), echoes it, counts the request in flight, and writes the request's one
//! log line when its response body ends, so streamed calls are logged complete. The later layers
//! and the tools fill in the [`CallLog`] it puts in the request's extensions.

use std::{
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
    extract::Request,
    http::HeaderValue,
    middleware::Next,
    response::Response,
};
use http_body::{Frame, SizeHint};

use crate::{metrics, telemetry::CallLog};

pub(crate) async fn account(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64 && v.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)))
        .map_or_else(new_request_id, Arc::from);
    let log = CallLog::default();
    request.extensions_mut().insert(log.clone());
    let mut line = LineGuard {
        id: id.clone(),
        http_method: request.method().to_string(),
        started: Instant::now(),
        status: 0,
        log,
    };
    metrics::in_flight(1);
    let response = next.run(request).await;
    let (mut parts, body) = response.into_parts();
    if let Ok(value) = HeaderValue::from_str(&id) {
        parts.headers.insert("x-request-id", value);
    }
    line.status = parts.status.as_u16();
    Response::from_parts(parts, Body::new(Holding { inner: body, _held: line }))
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
}

/// The request's line, at the level given; the fields are the same at every level.
macro_rules! request_line {
    ($level:ident, $line:expr) => {{
        let line = $line;
        let (rpc_method, tool) = line.log.request();
        tracing::$level!(
            request_id = %line.id,
            http_method = %line.http_method,
            rpc_method = rpc_method.as_deref().unwrap_or("-"),
            tool = tool.as_deref().unwrap_or("-"),
            status = line.status,
            outcome = line.log.outcome().unwrap_or("-"),
            latency_ms = line.started.elapsed().as_millis() as u64,
            fal_calls = %line.log.summary(),
            "mcp request"
        );
    }};
}

impl Drop for LineGuard {
    fn drop(&mut self) {
        metrics::in_flight(-1);
        // A plain tools/list answered from bytes (see fast_list.rs) carries no call, no fal request
        // and nothing of the caller's: its line is kept for debug logs, off the commonest path.
        if self.log.outcome() == Some(CallLog::FROM_BYTES) {
            request_line!(debug, self);
        } else {
            request_line!(info, self);
        }
    }
}

/// A response body that keeps something alive (a log line, a concurrency slot) until it ends.
pub(crate) struct Holding<G> {
    pub(crate) inner: Body,
    pub(crate) _held: G,
}

impl<G: Unpin> http_body::Body for Holding<G> {
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
