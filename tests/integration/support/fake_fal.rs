//! A small stateful fake of fal's HTTP contract (../shared/docs/fal-api.md) on loopback: the
//! Platform catalog, pricing and estimate, and the docs search and index. One server serves every
//! base URL under a path prefix (/api, /queue, /rest, /docs). It records every request, can be told
//! to fail or stall, and answers anything it does not know with a loud 500 that tests check for.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    Json, Router,
    body::Bytes,
    extract::{RawQuery, Request, State},
    http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde_json::{Map, Value, json};

use super::fake_queue::{self, Job, QueueState, Script};

/// What the docs search endpoint does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocsMode {
    Sse,
    Json,
    Fail,
    Empty,
}

/// One request the fake received.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    pub authorization: Option<String>,
    pub body: String,
}

#[derive(Clone)]
struct Fault {
    path_contains: String,
    status: StatusCode,
    headers: Vec<(String, String)>,
    body: String,
    delay: Duration,
}

pub struct FakeState {
    pub catalog: Vec<Value>,
    pub openapi: HashMap<String, Value>,
    pub queue: QueueState,
    pub base_url: Mutex<String>,
    requests: Mutex<Vec<Recorded>>,
    unexpected: Mutex<Vec<String>>,
    faults: Mutex<Vec<Fault>>,
    docs_mode: Mutex<DocsMode>,
}

#[derive(Clone)]
pub struct FakeFal {
    pub url: String,
    state: Arc<FakeState>,
}

/// The private model only the key id `alice` can see: proves caches never cross callers.
pub const ALICE_PRIVATE: &str = "alice/private-portrait-model";

impl FakeFal {
    pub async fn start() -> Self {
        let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
        let catalog: Vec<Value> =
            serde_json::from_str(&std::fs::read_to_string(format!("{fixtures}/catalog.json")).unwrap()).unwrap();
        let mut openapi = HashMap::new();
        for entry in std::fs::read_dir(format!("{fixtures}/openapi")).unwrap() {
            let path = entry.unwrap().path();
            let id = path.file_stem().unwrap().to_string_lossy().replace("__", "/");
            openapi.insert(id, serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap());
        }
        let state = Arc::new(FakeState {
            catalog,
            openapi,
            requests: Mutex::default(),
            unexpected: Mutex::default(),
            faults: Mutex::default(),
            docs_mode: Mutex::new(DocsMode::Sse),
            queue: QueueState::default(),
            base_url: Mutex::default(),
        });
        let app = Router::new()
            .route("/api/v1/models", get(models))
            .route("/api/v1/models/pricing", get(pricing))
            .route("/api/v1/models/pricing/estimate", post(estimate))
            .route("/docs/mcp", post(docs_search))
            .route("/docs/llms.txt", get(llms_txt))
            .route("/queue/{*rest}", axum::routing::any(fake_queue::queue))
            .route("/rest/storage/upload/initiate", post(fake_queue::initiate_upload))
            .route("/cdn/upload/{token}", axum::routing::put(fake_queue::put_upload))
            .route("/source/{*rest}", get(fake_queue::source))
            .route("/_fake/jobs", get(fake_queue::jobs_report))
            .route("/_fake/script", post(fake_queue::set_script))
            .fallback(unexpected)
            .layer(axum::extract::DefaultBodyLimit::max(64 << 20))
            .layer(middleware::from_fn_with_state(state.clone(), record_and_inject))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        *state.base_url.lock().unwrap() = url.clone();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { url, state }
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.requests.lock().unwrap().clone()
    }

    /// Requests whose path ends with `suffix`.
    pub fn requests_to(&self, suffix: &str) -> Vec<Recorded> {
        self.requests().into_iter().filter(|r| r.path.ends_with(suffix)).collect()
    }

    pub fn unexpected(&self) -> Vec<String> {
        self.state.unexpected.lock().unwrap().clone()
    }

    /// The next request whose path contains `path_contains` gets this answer instead.
    pub fn fail_next(&self, path_contains: &str, status: u16, headers: &[(&str, &str)], body: &str) {
        self.push_fault(path_contains, status, headers, body, Duration::ZERO);
    }

    /// The next request whose path contains `path_contains` stalls for `delay` before a 200 `{}`.
    pub fn stall_next(&self, path_contains: &str, delay: Duration) {
        self.push_fault(path_contains, 200, &[("content-type", "application/json")], "{}", delay);
    }

    fn push_fault(&self, path_contains: &str, status: u16, headers: &[(&str, &str)], body: &str, delay: Duration) {
        self.state.faults.lock().unwrap().push(Fault {
            path_contains: path_contains.into(),
            status: StatusCode::from_u16(status).unwrap(),
            headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            body: body.into(),
            delay,
        });
    }

    /// Jobs submitted to `endpoint_id` from now on follow `script`.
    pub fn script(&self, endpoint_id: &str, script: Script) {
        self.state.queue.scripts.lock().unwrap().insert(endpoint_id.into(), script);
    }

    /// Makes `…/status/stream` answer 404, so clients must poll.
    pub fn disable_status_stream(&self) {
        *self.state.queue.stream_disabled.lock().unwrap() = true;
    }

    /// How many jobs were submitted, and the status calls each received.
    pub fn jobs(&self) -> Vec<(String, Value, u32)> {
        let jobs = self.state.queue.jobs.lock().unwrap();
        jobs.iter().map(|(id, job): (&String, &Job)| (id.clone(), job.input.clone(), job.status_calls)).collect()
    }

    /// The bytes and content type uploaded under a CDN file URL.
    pub fn uploaded(&self, file_url: &str) -> Option<(String, Vec<u8>)> {
        let token = file_url.split("/cdn/files/").nth(1)?.split('/').next()?;
        self.state.queue.uploads.lock().unwrap().get(token).cloned()
    }

    pub fn set_docs_mode(&self, mode: DocsMode) {
        *self.state.docs_mode.lock().unwrap() = mode;
    }

    /// The catalog entry for an id, as the fixture has it.
    pub fn fixture(&self, id: &str) -> Option<Value> {
        self.state.catalog.iter().find(|m| m["endpoint_id"] == id).cloned()
    }

    /// The raw OpenAPI document the fake serves for an id.
    pub fn openapi(&self, id: &str) -> Value {
        self.state.openapi.get(id).cloned().unwrap_or_else(|| synthesized_openapi(id))
    }
}

async fn record_and_inject(State(state): State<Arc<FakeState>>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 64 << 20).await.unwrap_or_default();
    let path = parts.uri.path().to_string();
    state.requests.lock().unwrap().push(Recorded {
        method: parts.method.to_string(),
        path: path.clone(),
        query: parts.uri.query().unwrap_or("").to_string(),
        authorization: parts.headers.get("authorization").map(|v| v.to_str().unwrap_or("<binary>").to_string()),
        body: String::from_utf8_lossy(&bytes).into_owned(),
    });
    let fault = {
        let mut faults = state.faults.lock().unwrap();
        faults.iter().position(|f| path.contains(&f.path_contains)).map(|i| faults.remove(i))
    };
    if let Some(fault) = fault {
        tokio::time::sleep(fault.delay).await;
        let mut response = (fault.status, fault.body).into_response();
        for (k, v) in fault.headers {
            response.headers_mut().insert(HeaderName::try_from(k).unwrap(), HeaderValue::try_from(v).unwrap());
        }
        return response;
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes))).await
}

async fn unexpected(State(state): State<Arc<FakeState>>, method: Method, uri: axum::http::Uri) -> Response {
    let line = format!("{method} {uri}");
    state.unexpected.lock().unwrap().push(line.clone());
    (StatusCode::INTERNAL_SERVER_ERROR, format!("fake fal: unexpected request {line}")).into_response()
}

fn platform_error(status: StatusCode, kind: &str, message: &str) -> Response {
    (status, Json(json!({ "error": { "type": kind, "message": message } }))).into_response()
}

/// Checks `Authorization: Key <id>:<secret>` the way fal's Platform API does; returns the key id.
#[allow(clippy::result_large_err)]
fn platform_auth(headers: &HeaderMap) -> Result<String, Response> {
    let value = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("");
    let Some(key) = value.strip_prefix("Key ") else {
        return Err(platform_error(StatusCode::UNAUTHORIZED, "authorization_error", "Authentication required"));
    };
    let Some((id, _secret)) = key.split_once(':') else {
        return Err(platform_error(
            StatusCode::UNAUTHORIZED,
            "authorization_error",
            "Invalid Key Authorization header format. Expected '<key_id>:<key_secret>'.",
        ));
    };
    match id {
        "bad" => {
            Err(platform_error(StatusCode::UNAUTHORIZED, "authorization_error", "No user found for Key ID and Secret"))
        }
        "locked" => Err(platform_error(
            StatusCode::FORBIDDEN,
            "authorization_error",
            "User is locked. Reason: Exhausted balance. Top up your balance at fal.ai/dashboard/billing.",
        )),
        // A broken gateway that echoes the key it was sent.
        "echo" => Err(platform_error(StatusCode::BAD_REQUEST, "validation_error", &format!("bad key {key}"))),
        _ => Ok(id.to_string()),
    }
}

fn pairs(query: &Option<String>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes()).into_owned().collect()
}

fn values(pairs: &[(String, String)], name: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, _)| k == name)
        .flat_map(|(_, v)| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect::<Vec<_>>())
        .collect()
}

fn model_json(entry: &Value, expand_openapi: bool, state: &FakeState) -> Value {
    let id = entry["endpoint_id"].as_str().unwrap();
    let mut model = json!({
        "endpoint_id": id,
        "metadata": {
            "display_name": entry["display_name"], "category": entry["category"], "description": entry["description"],
            "status": entry["status"], "tags": entry["tags"], "updated_at": entry["updated_at"], "is_favorited": null,
            "thumbnail_url": format!("https://fal.media/thumbs/{id}.webp"), "model_url": format!("https://fal.run/{id}"),
            "date": entry["date"], "highlighted": false, "pinned": false, "kind": entry["kind"], "license_type": "commercial"
        }
    });
    if expand_openapi {
        model["openapi"] = if id == "acme/no-schema" {
            json!({ "error": { "code": "expansion_failed", "message": "OpenAPI schema not available for this endpoint" } })
        } else {
            state.openapi.get(id).cloned().unwrap_or_else(|| synthesized_openapi(id))
        };
    }
    model
}

fn extra_entries(key_id: &str) -> Vec<Value> {
    let mut extra = vec![json!({
        "endpoint_id": "acme/no-schema", "display_name": "No Schema", "category": "text-to-image",
        "description": "An endpoint whose OpenAPI expansion fails.", "status": "active", "tags": [],
        "date": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z", "kind": "inference"
    })];
    if key_id == "alice" {
        extra.push(json!({
            "endpoint_id": ALICE_PRIVATE, "display_name": "Alice's private portrait model", "category": "text-to-image",
            "description": "A private LoRA portrait model only its owner can see.", "status": "active", "tags": ["lora"],
            "date": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z", "kind": "inference"
        }));
    }
    extra
}

fn matches_q(entry: &Value, q: &str) -> bool {
    let haystack = format!(
        "{} {} {} {} {}",
        entry["endpoint_id"], entry["display_name"], entry["description"], entry["category"], entry["tags"]
    )
    .to_lowercase();
    q.split_whitespace().all(|term| haystack.contains(&term.to_lowercase()))
}

async fn models(State(state): State<Arc<FakeState>>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    let key_id = match platform_auth(&headers) {
        Ok(id) => id,
        Err(response) => return response,
    };
    let pairs = pairs(&query);
    let first = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let expand = values(&pairs, "expand").iter().any(|e| e == "openapi-3.0");
    let limit = match first("limit").map(|l| l.parse::<usize>()) {
        None => 20,
        Some(Ok(l)) if l >= 1 => l.min(if expand { 10 } else { 100 }),
        Some(_) => {
            return platform_error(StatusCode::BAD_REQUEST, "validation_error", "Invalid request parameters");
        }
    };
    let page = match first("cursor") {
        None => 1,
        Some(cursor) => match decode_cursor(&cursor) {
            Some(page) if page >= 1 => page,
            _ => {
                return platform_error(StatusCode::BAD_REQUEST, "validation_error", "Invalid cursor");
            }
        },
    };
    let mut entries: Vec<Value> = state.catalog.clone();
    entries.extend(extra_entries(&key_id));
    let ids = values(&pairs, "endpoint_id");
    if ids.len() > 50 {
        return platform_error(StatusCode::BAD_REQUEST, "validation_error", "At most 50 endpoint_id values");
    }
    let selected: Vec<&Value> = if ids.is_empty() {
        entries
            .iter()
            .filter(|e| first("q").is_none_or(|q| matches_q(e, &q)))
            .filter(|e| first("category").is_none_or(|c| e["category"] == c.as_str()))
            .filter(|e| first("status").is_none_or(|s| e["status"] == s.as_str()))
            .collect()
    } else {
        ids.iter().filter_map(|id| entries.iter().find(|e| e["endpoint_id"] == id.as_str())).collect()
    };
    let start = (page - 1) * limit;
    let chunk: Vec<Value> = selected.iter().skip(start).take(limit).map(|e| model_json(e, expand, &state)).collect();
    let has_more = start + limit < selected.len();
    Json(json!({
        "models": chunk,
        "next_cursor": has_more.then(|| encode_cursor(page + 1)),
        "has_more": has_more
    }))
    .into_response()
}

fn encode_cursor(page: usize) -> String {
    use std::fmt::Write;
    // base64 of the decimal page number, as fal's cursors are.
    let digits = page.to_string();
    let table = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in digits.as_bytes().chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                let _ = write!(out, "{}", table[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn decode_cursor(cursor: &str) -> Option<usize> {
    (1..10_000).find(|page| encode_cursor(*page) == cursor)
}

async fn pricing(State(state): State<Arc<FakeState>>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    if let Err(response) = platform_auth(&headers) {
        return response;
    }
    let ids = values(&pairs(&query), "endpoint_id");
    if ids.is_empty() || ids.len() > 50 {
        return platform_error(StatusCode::BAD_REQUEST, "validation_error", "endpoint_id must be given 1 to 50 times");
    }
    let prices: Vec<Value> = ids
        .iter()
        .filter_map(|id| state.catalog.iter().find(|e| e["endpoint_id"] == id.as_str()))
        .filter(|e| e["unit_price"].is_number())
        .map(|e| json!({ "endpoint_id": e["endpoint_id"], "unit_price": e["unit_price"], "unit": e["unit"], "currency": "USD" }))
        .collect();
    Json(json!({ "prices": prices, "next_cursor": null, "has_more": false })).into_response()
}

async fn estimate(State(state): State<Arc<FakeState>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(response) = platform_auth(&headers) {
        return response;
    }
    let invalid = |m: &str| platform_error(StatusCode::BAD_REQUEST, "validation_error", m);
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return invalid("body is not JSON");
    };
    let Some(endpoints) = body["endpoints"].as_object() else {
        return invalid("endpoints is required");
    };
    let unit_based = match body["estimate_type"].as_str() {
        Some("unit_price") => true,
        Some("historical_api_price") => false,
        _ => return invalid("estimate_type must be unit_price or historical_api_price"),
    };
    let mut total = 0.0;
    for (id, spec) in endpoints {
        let Some(entry) = state.catalog.iter().find(|e| e["endpoint_id"] == id.as_str()) else {
            return platform_error(StatusCode::NOT_FOUND, "not_found", &format!("Unknown endpoint {id}"));
        };
        let field = if unit_based { "unit_quantity" } else { "call_quantity" };
        let Some(quantity) = spec[field].as_f64().filter(|q| *q >= 1e-6) else {
            return invalid(&format!("{field} must be a positive number"));
        };
        total += entry["unit_price"].as_f64().unwrap_or(0.0) * quantity;
    }
    Json(
        json!({ "estimate_type": body["estimate_type"], "total_cost": (total * 1e6).round() / 1e6, "currency": "USD" }),
    )
    .into_response()
}

const DOC_PAGES: &[(&str, &str, &str)] = &[
    (
        "Webhooks",
        "https://docs.fal.ai/model-apis/webhooks",
        "Pass fal_webhook when you submit a request and fal POSTs the result to your URL when it completes, signed with ED25519.",
    ),
    (
        "Queue",
        "https://docs.fal.ai/model-apis/queue",
        "Submit requests to the queue, poll their status, stream logs, fetch the result or cancel them.",
    ),
    (
        "File uploads",
        "https://docs.fal.ai/model-apis/file-uploads",
        "Upload local files to the fal CDN and pass the returned URL as image_url or audio_url.",
    ),
    (
        "Authentication",
        "https://docs.fal.ai/authentication",
        "Send your key as Authorization: Key <FAL_KEY>. Keys have API or ADMIN scope.",
    ),
    (
        "Pricing",
        "https://docs.fal.ai/pricing",
        "Models are billed per output unit such as images, megapixels or video seconds.",
    ),
    (
        "LoRA training",
        "https://docs.fal.ai/training/lora",
        "Fine-tune FLUX on your own images with the LoRA trainers and use the weights with flux-lora.",
    ),
];

async fn docs_search(State(state): State<Arc<FakeState>>, body: Bytes) -> Response {
    let mode = *state.docs_mode.lock().unwrap();
    if mode == DocsMode::Fail {
        return (StatusCode::BAD_GATEWAY, "<html>upstream unavailable</html>").into_response();
    }
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if request["method"] != "tools/call" || request["params"]["name"] != "SearchFal" {
        return (StatusCode::BAD_REQUEST, "fake docs: expected tools/call SearchFal").into_response();
    }
    let query = request["params"]["arguments"]["query"].as_str().unwrap_or("").to_lowercase();
    let blocks: Vec<String> = DOC_PAGES
        .iter()
        .filter(|(title, _, text)| {
            mode != DocsMode::Empty
                && query.split_whitespace().any(|w| title.to_lowercase().contains(w) || text.to_lowercase().contains(w))
        })
        .map(|(title, url, text)| format!("Title: {title}\nLink: {url}\nContent: {text}"))
        .collect();
    let content: Vec<Value> = blocks.iter().map(|b| json!({ "type": "text", "text": b })).collect();
    let reply = json!({ "jsonrpc": "2.0", "id": request["id"], "result": { "content": content } });
    if mode == DocsMode::Json {
        return Json(reply).into_response();
    }
    ([("content-type", "text/event-stream")], format!("event: message\ndata: {reply}\n\n")).into_response()
}

async fn llms_txt() -> Response {
    let mut text = String::from("# fal\n\n> fal is a generative media platform.\n\n## Docs\n\n");
    for (title, url, summary) in DOC_PAGES {
        text.push_str(&format!("- [{title}]({url}.md): {summary}\n"));
    }
    text.into_response()
}

/// A small but valid queue OpenAPI document for models without a fixture.
pub fn synthesized_openapi(id: &str) -> Value {
    let mut paths = Map::new();
    paths.insert(
        format!("/{id}"),
        json!({ "post": { "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Input" } } } } } }),
    );
    paths.insert(
        format!("/{id}/requests/{{request_id}}"),
        json!({ "get": { "responses": { "200": { "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Output" } } } } } } }),
    );
    json!({
        "openapi": "3.0.4",
        "info": { "title": format!("Queue OpenAPI for {id}"), "version": "1.0.0" },
        "paths": paths,
        "components": { "schemas": {
            "Input": { "title": "Input", "type": "object", "required": ["prompt"], "properties": {
                "prompt": { "title": "Prompt", "type": "string", "description": "What to generate." } } },
            "Output": { "title": "Output", "type": "object", "properties": {
                "result": { "title": "Result", "type": "object", "additionalProperties": true } } }
        } }
    })
}
