//! Admission to /mcp once the caller is known: the body is read whole within its size and time
//! limits (a declared `Content-Length` over the limit is refused before a byte is read), and only
//! then does the request take one of the concurrency slots, which it holds until its response
//! ends. A slow or stalled body therefore never holds a slot: the concurrency limit counts work,
//! not waiting. With the slot comes the caller's fair share: one key, and one client address,
//! hold at most their share of the slots (429 beyond it), so no caller can starve the others. The JSON-RPC method and tool name are read for the log line and the tools/list fast path.

use std::{borrow::Cow, net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    body::{Body, Bytes},
    extract::{ConnectInfo, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    middleware::Next,
    response::Response,
};
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::sync::Semaphore;

use super::{account::Holding, client_ip::ClientIp, refusal, share::Shares};
use crate::{fal::FalKey, metrics, telemetry::CallLog};

/// The limits one /mcp request is admitted under.
pub(crate) struct Limits {
    pub(crate) slots: Arc<Semaphore>,
    pub(crate) body: BodyLimits,
    /// The fair shares: most slots one key, and one client address, may hold at once.
    pub(crate) per_key: usize,
    pub(crate) per_address: usize,
    pub(crate) client_ip: Arc<ClientIp>,
    pub(crate) held: Arc<Shares>,
}

/// How large a request body may be and how long it may take to arrive.
pub(crate) struct BodyLimits {
    pub(crate) max_bytes: usize,
    pub(crate) timeout: Duration,
}

/// What the JSON-RPC message asks, for the layers after this one.
#[derive(Clone, Debug)]
pub(crate) struct Rpc {
    pub(crate) method: Option<String>,
    /// The `id`, as written, when it is a number or a string.
    pub(crate) id: Option<String>,
    /// Whether `params` is absent, `{}` or `null`.
    pub(crate) plain_params: bool,
    /// The tool a `tools/call` names.
    pub(crate) tool: Option<String>,
}

/// For routes other than /mcp (the sign-in's): the body read whole within its limits, with the
/// same 408 and 413 answers, before the handler runs.
pub(crate) async fn bounded_body(State(limits): State<Arc<BodyLimits>>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    match read_body(&limits, &parts.headers, body).await {
        Ok(bytes) => next.run(Request::from_parts(parts, Body::from(bytes))).await,
        Err(refused) => refused,
    }
}

/// The whole body, or the refusal that says why it cannot be read.
async fn read_body(limits: &BodyLimits, headers: &HeaderMap, body: Body) -> Result<Bytes, Response> {
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.max_bytes as u64) {
        return Err(too_large(limits.max_bytes));
    }
    match tokio::time::timeout(limits.timeout, axum::body::to_bytes(body, limits.max_bytes)).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(e)) if is_length_limit(&e) => Err(too_large(limits.max_bytes)),
        Ok(Err(_)) => Err(refusal(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "the request body could not be read (malformed or cut off)",
        )),
        Err(_) => {
            let mut response = refusal(
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                format!("the request body did not arrive within {} s", limits.timeout.as_secs()),
            );
            response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            Err(response)
        }
    }
}

pub(crate) async fn admit(State(limits): State<Arc<Limits>>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let bytes = match read_body(&limits.body, &parts.headers, body).await {
        Ok(bytes) => bytes,
        Err(refused) => return refused,
    };
    let Ok(slot) = limits.slots.clone().try_acquire_owned() else {
        metrics::shed();
        let mut response = refusal(
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            "the server is at its concurrency limit; retry in a second",
        );
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return response;
    };
    // Then the caller's share: a caller over it gives the slot straight back.
    let key = parts.extensions.get::<FalKey>().map(FalKey::tally);
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|p| p.0);
    let address = limits.client_ip.of(&parts.headers, peer);
    let share = match limits.held.take(key, address, limits.per_key, limits.per_address) {
        Ok(share) => share,
        Err(which) => {
            metrics::shed_share(which.reason());
            let mut response = refusal(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", which.message());
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            return response;
        }
    };
    if let Ok(message) = serde_json::from_slice::<Peek>(&bytes) {
        let call = match message.method.as_deref() {
            Some("tools/call") => Some(call_params(message.params)),
            _ => None,
        };
        // rmcp answers a tools/call it cannot read as an unknown method (-32601); it is a known
        // method with invalid params (-32602), and the caller should hear which.
        if let (Some(Err(problem)), Some(id)) = (&call, message.id) {
            return invalid_params(id, problem);
        }
        let tool = call.and_then(Result::ok);
        if let Some(log) = parts.extensions.get::<CallLog>() {
            log.set_request(message.method.as_deref().map(str::to_owned), tool.clone());
        }
        let id = message
            .id
            .map(|id| id.get())
            .filter(|id| id.starts_with(|c: char| c == '"' || c == '-' || c.is_ascii_digit()));
        if message.jsonrpc.as_deref() == Some("2.0") {
            parts.extensions.insert(Rpc {
                method: message.method.map(Cow::into_owned),
                id: id.map(str::to_owned),
                plain_params: message.params.is_none_or(|p| matches!(p.get().trim(), "{}" | "null")),
                tool,
            });
        }
    }
    let response = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    let (parts, body) = response.into_parts();
    Response::from_parts(parts, Body::new(Holding { inner: body, _held: (slot, share) }))
}

/// The tool name of well-formed `tools/call` params, or what is wrong with them.
fn call_params(params: Option<&RawValue>) -> Result<String, String> {
    let params = params.ok_or("params are missing")?;
    let call: CallParams =
        serde_json::from_str(params.get()).map_err(|e| format!("params are not {{name, arguments}}: {e}"))?;
    match call.arguments.map(|a| a.get().trim_start().as_bytes().first().copied()) {
        None | Some(Some(b'{' | b'n')) => Ok(call.name.into_owned()),
        _ => Err("params.arguments must be an object".into()),
    }
}

fn invalid_params(id: &RawValue, problem: &str) -> Response {
    let body = format!(
        r#"{{"jsonrpc":"2.0","id":{},"error":{{"code":-32602,"message":{}}}}}"#,
        id.get(),
        serde_json::Value::String(format!("invalid params for tools/call: {problem}"))
    );
    let mut response = Response::new(Body::from(body));
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn too_large(max: usize) -> Response {
    refusal(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("the request body is over {}", crate::text::bytes(max as u64)),
    )
}

fn is_length_limit(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = source {
        if cause.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = cause.source();
    }
    false
}

/// The parts of a JSON-RPC message this layer reads; the rest stays unparsed.
#[derive(Deserialize)]
struct Peek<'a> {
    #[serde(borrow)]
    jsonrpc: Option<Cow<'a, str>>,
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    #[serde(borrow)]
    method: Option<Cow<'a, str>>,
    #[serde(borrow)]
    params: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct CallParams<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(borrow, default)]
    arguments: Option<&'a RawValue>,
}
