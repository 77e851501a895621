//! A small stateful fake of fal's HTTP contract (`../shared/docs/fal-api.md` in the planning
//! repository) on loopback, one module per fal API: `catalog` (models, pricing, estimate),
//! `queue` (submit, status, status stream, result, cancel), `storage` (upload initiate, signed
//! PUT, source files for URL uploads) and `docs` (docs search, llms.txt). One server serves every
//! base URL under a path prefix (/api, /queue, /rest, /docs). It records every request, can be
//! told to fail or stall the next request to a path, moves jobs when a test says so, and answers
//! anything it does not know with a loud 500 that every test checks for (see `TestApp`'s drop).

pub mod catalog;
pub mod docs;
pub mod queue;
pub mod storage;

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use axum::{
    Router,
    extract::{Request, State},
    http::{HeaderName, HeaderValue, Method, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{any, get, post, put},
};
use serde_json::Value;
use tokio::sync::Notify;

pub use docs::DocsMode;
pub use queue::{Plan, Script};

/// One request the fake received.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    pub authorization: Option<String>,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

#[derive(Clone)]
struct Fault {
    path_contains: String,
    status: StatusCode,
    headers: Vec<(String, String)>,
    body: String,
    delay: Duration,
    /// Send the headers, then break the connection.
    cut: bool,
}

pub struct FakeState {
    pub catalog: Vec<Value>,
    pub openapi: HashMap<String, Value>,
    pub queue: queue::QueueState,
    pub uploads: storage::Uploads,
    pub base_url: Mutex<String>,
    pub validate_on_submit: AtomicBool,
    requests: Mutex<Vec<Recorded>>,
    /// Woken whenever a request is recorded or a job changes.
    pub seen: Notify,
    unexpected: Mutex<Vec<String>>,
    faults: Mutex<Vec<Fault>>,
    docs_mode: Mutex<DocsMode>,
    /// Fail every nth catalog and queue request (0: never), for the soak: 503, 429, 500 and cut
    /// connections in turn.
    chaos: Mutex<(u64, u64)>,
}

#[derive(Clone)]
pub struct FakeFal {
    pub url: String,
    state: Arc<FakeState>,
}

/// The private model only the key id `alice` can see: proves caches never cross callers.
pub const ALICE_PRIVATE: &str = "alice/private-portrait-model";

/// Apps deployed on the fake that the public catalog never lists (fal serverless users' own
/// apps); the queue accepts them and any sub-path under them.
pub const PRIVATE_APPS: &[&str] = &["acme-studio/private-upscaler", "workflows/acme-studio/product-hero"];

impl FakeFal {
    pub async fn start() -> Self {
        let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
        let catalog = catalog::entries();
        let mut openapi = HashMap::new();
        for entry in std::fs::read_dir(format!("{fixtures}/openapi")).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                let id = path.file_stem().unwrap().to_string_lossy().replace("__", "/");
                openapi.insert(id, serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap());
            }
        }
        let state = Arc::new(FakeState {
            catalog,
            openapi,
            queue: queue::QueueState::default(),
            uploads: storage::Uploads::default(),
            base_url: Mutex::default(),
            validate_on_submit: AtomicBool::new(true),
            requests: Mutex::default(),
            seen: Notify::new(),
            unexpected: Mutex::default(),
            faults: Mutex::default(),
            docs_mode: Mutex::new(DocsMode::Sse),
            chaos: Mutex::new((0, 0)),
        });
        let app = Router::new()
            .route("/api/v1/models", get(catalog::models))
            .route("/api/v1/models/pricing", get(catalog::pricing))
            .route("/api/v1/models/pricing/estimate", post(catalog::estimate))
            .route("/docs/mcp", post(docs::search))
            .route("/docs/llms.txt", get(docs::llms_txt))
            .route("/queue/{*rest}", any(queue::queue))
            .route("/rest/storage/upload/initiate", post(storage::initiate))
            .route("/cdn/upload/{token}", put(storage::put))
            .route("/cdn/files/{token}/{name}", get(storage::file))
            .route("/source/{*rest}", get(storage::source))
            .route("/_fake/jobs", get(queue::jobs_report))
            .route("/_fake/script", post(queue::set_script))
            .route("/_fake/chaos", post(set_chaos))
            .route("/cimd/{name}", get(client_document))
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

    /// Requests whose path ends with `suffix` and that carried a key: the caller's, not the
    /// server's keyless fetch of the public catalog.
    pub fn keyed_requests_to(&self, suffix: &str) -> Vec<Recorded> {
        self.requests_to(suffix).into_iter().filter(|r| r.authorization.is_some()).collect()
    }

    /// Waits (at most 10 s) until the fake has received a request matching `wanted`, and returns it.
    pub async fn wait_for(&self, what: &str, wanted: impl Fn(&Recorded) -> bool) -> Recorded {
        self.wait_until(what, || self.requests().into_iter().find(|r| wanted(r))).await
    }

    /// Waits (at most 10 s) until `found` finds something, checking whenever a request arrives or a job changes.
    pub async fn wait_until<T>(&self, what: &str, found: impl Fn() -> Option<T>) -> T {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let seen = self.state.seen.notified();
            tokio::pin!(seen);
            seen.as_mut().enable();
            if let Some(found) = found() {
                return found;
            }
            if tokio::time::timeout_at(deadline, seen).await.is_err() {
                panic!("waited 10 s for {what}; the fake saw {:?}", self.paths());
            }
        }
    }

    fn paths(&self) -> Vec<String> {
        self.requests().into_iter().map(|r| format!("{} {}", r.method, r.path)).collect()
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
            cut: false,
        });
    }

    /// Jobs submitted to `endpoint_id` from now on follow `script`.
    pub fn script(&self, endpoint_id: &str, script: Script) {
        self.state.queue.scripts.lock().unwrap().insert(endpoint_id.into(), script);
    }

    /// Makes `…/status/stream` answer 404, so clients must poll.
    pub fn disable_status_stream(&self) {
        self.state.queue.stream_disabled.store(true, Ordering::SeqCst);
    }

    /// Whether submit checks required fields (fal's usual way) or leaves it to the result (some apps).
    pub fn set_validate_on_submit(&self, on: bool) {
        self.state.validate_on_submit.store(on, Ordering::SeqCst);
    }

    /// Every job: request id, input, status requests and stream opens it received.
    pub fn jobs(&self) -> Vec<queue::JobReport> {
        self.state.queue.report()
    }

    /// Waits for the `n`th job (1-based) to be submitted and returns its request id.
    pub async fn nth_job(&self, n: usize) -> String {
        self.wait_until(&format!("job #{n}"), || self.jobs().get(n - 1).map(|j| j.request_id.clone())).await
    }

    /// Moves a queued job to IN_PROGRESS.
    pub fn start_job(&self, request_id: &str) {
        self.state.queue.start(request_id);
    }

    /// Adds a log line to a running job.
    pub fn log(&self, request_id: &str, message: &str) {
        self.state.queue.log(request_id, message);
    }

    /// Completes a job with its script's outcome.
    pub fn finish_job(&self, request_id: &str) {
        self.state.queue.finish(request_id);
    }

    /// The bytes and content type uploaded under a CDN file URL.
    pub fn uploaded(&self, file_url: &str) -> Option<(String, Vec<u8>)> {
        let token = file_url.split("/cdn/files/").nth(1)?.split('/').next()?;
        self.state.uploads.get(token)
    }

    pub fn set_docs_mode(&self, mode: DocsMode) {
        *self.state.docs_mode.lock().unwrap() = mode;
    }

    /// The catalog entry for an id, as the fixture has it.
    pub fn fixture(&self, id: &str) -> Option<Value> {
        self.state.catalog.iter().find(|m| m["endpoint_id"] == id).cloned()
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
        headers: parts.headers.clone(),
        body: String::from_utf8_lossy(&bytes).into_owned(),
    });
    state.seen.notify_waiters();
    let fault = {
        let mut faults = state.faults.lock().unwrap();
        faults.iter().position(|f| path.contains(&f.path_contains)).map(|i| faults.remove(i))
    };
    if let Some(fault) = fault.or_else(|| chaos(&state, &path)) {
        tokio::time::sleep(fault.delay).await;
        if fault.cut {
            // A connection cut mid-answer: headers, then a body that fails.
            let broken =
                futures_util::stream::once(async { Err::<axum::body::Bytes, _>(std::io::Error::other("reset")) });
            return (StatusCode::OK, axum::body::Body::from_stream(broken)).into_response();
        }
        let mut response = (fault.status, fault.body).into_response();
        for (k, v) in fault.headers {
            response.headers_mut().insert(HeaderName::try_from(k).unwrap(), HeaderValue::try_from(v).unwrap());
        }
        return response;
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes))).await
}

/// The chaos fault for this request, when its turn has come.
fn chaos(state: &FakeState, path: &str) -> Option<Fault> {
    if !(path.starts_with("/api/") || path.starts_with("/queue/")) {
        return None;
    }
    let mut chaos = state.chaos.lock().unwrap();
    let (every, seen) = &mut *chaos;
    if *every == 0 {
        return None;
    }
    *seen += 1;
    if *seen % *every != 0 {
        return None;
    }
    let (status, headers, body): (u16, Vec<(String, String)>, &str) = match (*seen / *every) % 4 {
        0 => (
            503,
            vec![("x-fal-error-type".into(), "runner_scheduling_failure".into())],
            r#"{"detail":"No runners available"}"#,
        ),
        1 => (429, vec![("retry-after".into(), "1".into())], r#"{"detail":"Too many concurrent requests"}"#),
        2 => (500, vec![], "<html>Internal Server Error</html>"),
        _ => (200, vec![], ""),
    };
    let cut = status == 200;
    Some(Fault {
        path_contains: String::new(),
        status: StatusCode::from_u16(status).unwrap(),
        headers,
        body: body.into(),
        delay: Duration::ZERO,
        cut,
    })
}

/// `GET /cimd/<name>`: OAuth client metadata documents (CIMD). `good.json` names itself by its own
/// URL; `liar.json` claims another client's id; the rest are what a hostile host serves:
/// `moved.json` redirects to `good.json`, `page.json` is text/html, `created.json` answers 201,
/// `slow.json` takes 8 s, `bidi.json` has a 10,000-character name with U+202E.
async fn client_document(
    State(state): State<Arc<FakeState>>,
    axum::extract::Path(name): axum::extract::Path<String>,
) -> Response {
    let base = state.base_url.lock().unwrap().clone();
    let own = format!("{base}/cimd/{name}");
    let client_id =
        if name == "liar.json" { "https://claude.ai/oauth/mcp-oauth-client-metadata".to_string() } else { own };
    let client_name = match name.as_str() {
        "bidi.json" => format!("Trusted\u{202E}tneilC{}", "A".repeat(10_000)),
        _ => "Document Client".to_string(),
    };
    let document = serde_json::json!({
        "client_id": client_id,
        "client_name": client_name,
        "redirect_uris": ["http://127.0.0.1:1/callback"],
        "token_endpoint_auth_method": "none"
    });
    match name.as_str() {
        "moved.json" => (StatusCode::FOUND, [(header::LOCATION, format!("{base}/cimd/good.json"))]).into_response(),
        "page.json" => ([(header::CONTENT_TYPE, "text/html")], document.to_string()).into_response(),
        "created.json" => (StatusCode::CREATED, axum::Json(document)).into_response(),
        "slow.json" => {
            tokio::time::sleep(std::time::Duration::from_secs(8)).await;
            axum::Json(document).into_response()
        }
        _ => axum::Json(document).into_response(),
    }
}

/// `POST /_fake/chaos {"fail_every": n}`: fail every nth catalog and queue request from now on (0: stop).
async fn set_chaos(State(state): State<Arc<FakeState>>, axum::Json(body): axum::Json<Value>) -> Response {
    *state.chaos.lock().unwrap() = (body["fail_every"].as_u64().unwrap_or(0), 0);
    StatusCode::NO_CONTENT.into_response()
}

async fn unexpected(State(state): State<Arc<FakeState>>, method: Method, uri: axum::http::Uri) -> Response {
    let line = format!("{method} {uri}");
    state.unexpected.lock().unwrap().push(line.clone());
    (StatusCode::INTERNAL_SERVER_ERROR, format!("fake fal: unexpected request {line}")).into_response()
}

/// FastAPI's error body, as fal's inference hosts send it.
pub fn detail(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(serde_json::json!({ "detail": message }))).into_response()
}

/// Checks `Authorization: Key <id>:<secret>` the way fal's inference hosts do.
#[allow(clippy::result_large_err)]
pub fn inference_auth(headers: &axum::http::HeaderMap) -> Result<String, Response> {
    let value = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("");
    match value.strip_prefix("Key ").and_then(|k| k.split_once(':')) {
        Some(("bad", _)) => Err(detail(StatusCode::UNAUTHORIZED, "No user found for Key ID and Secret")),
        // A READONLY key: it may read the catalog, not submit or read requests (fal's 403 for a missing permission).
        Some(("readonly", _)) => Err((
            StatusCode::FORBIDDEN,
            axum::Json(serde_json::json!({"error": {"type": "authorization_error", "message": "Missing permission models:requests:submit"}})),
        )
            .into_response()),
        Some(("locked" | "poor", _)) => Err(detail(
            StatusCode::FORBIDDEN,
            "User is locked. Reason: Exhausted balance. Top up your balance at fal.ai/dashboard/billing.",
        )),
        Some((id, _)) => Ok(id.to_string()),
        None => Err(detail(
            StatusCode::UNAUTHORIZED,
            "Invalid Key Authorization header format. Expected '<key_id>:<key_secret>'.",
        )),
    }
}
