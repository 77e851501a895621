//! The fake's queue (submit, status, status stream, result, cancel), storage (initiate, signed PUT,
//! CDN GET) and a few source files for URL uploads. Jobs move through IN_QUEUE and IN_PROGRESS
//! to COMPLETED on a clock set per endpoint with `FakeFal::script`.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    Json,
    body::{Body, Bytes},
    extract::{Path, RawQuery, State},
    http::{HeaderMap, Method, StatusCode},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

use super::fake_fal::{FakeState, synthesized_openapi};

/// How jobs of one endpoint behave.
#[derive(Clone, Debug)]
pub struct Script {
    pub queue: Duration,
    pub run: Duration,
    /// The model's answer: Ok(output) or Err((status, body)) for a model error such as a 422.
    pub outcome: Result<Value, (u16, Value)>,
}

impl Script {
    pub fn quick(output: Value) -> Self {
        Self { queue: Duration::ZERO, run: Duration::from_millis(50), outcome: Ok(output) }
    }
}

pub struct Job {
    endpoint: String,
    app: String,
    submitted: Instant,
    submitted_at: std::time::SystemTime,
    pub stream_opens: u32,
    script: Script,
    cancelled_at: Option<Duration>,
    pub input: Value,
    pub status_calls: u32,
}

#[derive(Default)]
pub struct QueueState {
    pub jobs: Mutex<HashMap<String, Job>>,
    pub scripts: Mutex<HashMap<String, Script>>,
    pub stream_disabled: Mutex<bool>,
    pub uploads: Mutex<HashMap<String, (String, Vec<u8>)>>,
    next_id: Mutex<u64>,
}

enum Phase {
    Queued(u64),
    Running,
    Done(Option<String>),
}

impl Job {
    fn phase(&self) -> Phase {
        let elapsed = self.submitted.elapsed();
        if self.cancelled_at.is_some_and(|at| elapsed >= at) {
            return Phase::Done(Some("Request was cancelled".into()));
        }
        if elapsed < self.script.queue {
            let left = (self.script.queue - elapsed).as_millis() as u64;
            return Phase::Queued(left / 100);
        }
        if elapsed < self.script.queue + self.script.run {
            return Phase::Running;
        }
        Phase::Done(self.script.outcome.as_ref().err().map(|(_, body)| {
            body.get("detail")
                .map(|d| if d.is_string() { d.as_str().unwrap().to_string() } else { d.to_string() })
                .unwrap_or_default()
        }))
    }

    fn status_json(&self, id: &str, base: &str, logs: bool) -> (StatusCode, Value) {
        let urls = |tail: &str| format!("{base}/queue/{}/requests/{id}{tail}", self.app);
        let mut body = json!({
            "request_id": id, "response_url": urls(""), "status_url": urls("/status"), "cancel_url": urls("/cancel")
        });
        let log_lines = |n: usize| -> Value {
            let lines: Vec<Value> = (1..=n)
                .map(|i| json!({"message": format!("step {i}"), "level": "INFO", "source": "USER", "timestamp": "2026-11-21T00:00:00Z"}))
                .collect();
            if logs { Value::Array(lines) } else { Value::Null }
        };
        match self.phase() {
            Phase::Queued(position) => {
                body["status"] = json!("IN_QUEUE");
                body["queue_position"] = json!(position);
                (StatusCode::ACCEPTED, body)
            }
            Phase::Running => {
                let done = self.submitted.elapsed().saturating_sub(self.script.queue);
                let steps = 1 + (done.as_millis() * 4 / self.script.run.as_millis().max(1)) as usize;
                body["status"] = json!("IN_PROGRESS");
                body["logs"] = log_lines(steps.min(4));
                (StatusCode::ACCEPTED, body)
            }
            Phase::Done(error) => {
                body["status"] = json!("COMPLETED");
                body["logs"] = log_lines(4);
                body["metrics"] = json!({"inference_time": self.script.run.as_secs_f64()});
                if let Some(error) = error {
                    body["error"] = json!(error);
                    body["error_type"] =
                        json!(if self.cancelled_at.is_some() { "client_cancelled" } else { "validation_error" });
                }
                (StatusCode::OK, body)
            }
        }
    }
}

/// `GET /_fake/jobs`: every job with its completion time (unix ms) and how often it was asked about.
pub async fn jobs_report(State(state): State<Arc<FakeState>>) -> Response {
    let jobs = state.queue.jobs.lock().unwrap();
    let ms = |t: std::time::SystemTime| t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64() * 1000.0;
    let report: Vec<Value> = jobs
        .iter()
        .map(|(id, job)| {
            let done = job.submitted_at + job.script.queue + job.script.run;
            json!({"request_id": id, "endpoint_id": job.endpoint, "completed_at_ms": ms(done),
                   "status_calls": job.status_calls, "stream_opens": job.stream_opens})
        })
        .collect();
    Json(report).into_response()
}

/// `POST /_fake/script {endpoint_id, queue_ms, run_ms}`: jobs of that endpoint take this long.
pub async fn set_script(State(state): State<Arc<FakeState>>, Json(body): Json<Value>) -> Response {
    let (Some(id), Some(queue), Some(run)) =
        (body["endpoint_id"].as_str(), body["queue_ms"].as_u64(), body["run_ms"].as_u64())
    else {
        return detail(StatusCode::BAD_REQUEST, "endpoint_id, queue_ms and run_ms are required");
    };
    let output = json!({"images": [{"url": "https://v3.fal.media/files/bench/out.png", "content_type": "image/png"}]});
    let script = Script { queue: Duration::from_millis(queue), run: Duration::from_millis(run), outcome: Ok(output) };
    state.queue.scripts.lock().unwrap().insert(id.to_string(), script);
    StatusCode::NO_CONTENT.into_response()
}

/// Default outputs by category, shaped like fal's.
fn default_output(category: &str, id: &str) -> Value {
    let cdn = "https://v3.fal.media/files/fake";
    match category {
        c if c.contains("to-video") => {
            json!({"video": {"url": format!("{cdn}/clip.mp4"), "content_type": "video/mp4", "file_name": "clip.mp4", "file_size": 123456}, "seed": 7})
        }
        "text-to-speech" | "text-to-audio" => {
            json!({"audio": {"url": format!("{cdn}/speech.mp3"), "content_type": "audio/mpeg", "file_name": "speech.mp3"}, "duration": 3.2})
        }
        c if c.contains("3d") => {
            json!({"model_mesh": {"url": format!("{cdn}/mesh.glb"), "content_type": "model/gltf-binary", "file_name": "mesh.glb"}, "seed": 3})
        }
        "speech-to-text" | "llm" | "vision" => json!({"text": format!("output of {id}")}),
        _ => {
            json!({"images": [{"url": format!("{cdn}/image.png"), "width": 1024, "height": 768, "content_type": "image/png"}],
                    "timings": {"inference": 0.4}, "seed": 42, "has_nsfw_concepts": [false], "prompt": "fake"})
        }
    }
}

#[allow(clippy::result_large_err)]
fn queue_auth(headers: &HeaderMap) -> Result<(), Response> {
    let value = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("");
    match value.strip_prefix("Key ").and_then(|k| k.split_once(':')) {
        Some(("bad", _)) => Err(detail(StatusCode::UNAUTHORIZED, "No user found for Key ID and Secret")),
        Some(_) => Ok(()),
        None => Err(detail(
            StatusCode::UNAUTHORIZED,
            "Invalid Key Authorization header format. Expected '<key_id>:<key_secret>'.",
        )),
    }
}

fn detail(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "detail": message }))).into_response()
}

pub async fn queue(
    State(state): State<Arc<FakeState>>,
    method: Method,
    Path(rest): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(response) = queue_auth(&headers) {
        return response;
    }
    let base = state.base_url.lock().unwrap().clone();
    let logs = query.as_deref().is_some_and(|q| q.contains("logs=1") || q.contains("logs=true"));
    if method == Method::POST {
        return submit(&state, &rest, &base, &body);
    }
    let Some((app, tail)) = rest.split_once("/requests/") else {
        return detail(StatusCode::NOT_FOUND, "Not found");
    };
    let (request_id, action) = tail.split_once('/').unwrap_or((tail, ""));
    let mut jobs = state.queue.jobs.lock().unwrap();
    let Some(job) = jobs.get_mut(request_id).filter(|j| j.app == app || j.endpoint == app) else {
        return match (method, action) {
            (Method::PUT, "cancel") => (StatusCode::NOT_FOUND, Json(json!({"status": "NOT_FOUND"}))).into_response(),
            _ => detail(StatusCode::NOT_FOUND, "Request not found"),
        };
    };
    match (method, action) {
        (Method::GET, "status") => {
            job.status_calls += 1;
            let (status, body) = job.status_json(request_id, &base, logs);
            (status, Json(body)).into_response()
        }
        (Method::GET, "status/stream") => {
            if *state.queue.stream_disabled.lock().unwrap() {
                return detail(StatusCode::NOT_FOUND, "Not found");
            }
            job.stream_opens += 1;
            drop(jobs);
            stream(state.clone(), request_id.to_string(), base)
        }
        (Method::GET, "") => match job.phase() {
            Phase::Done(_) if job.cancelled_at.is_some() => detail(StatusCode::BAD_REQUEST, "Request was cancelled"),
            Phase::Done(_) => match &job.script.outcome {
                Ok(output) => Json(output.clone()).into_response(),
                Err((status, body)) => (StatusCode::from_u16(*status).unwrap(), Json(body.clone())).into_response(),
            },
            _ => detail(StatusCode::BAD_REQUEST, "Request is still in progress"),
        },
        (Method::PUT, "cancel") => match job.phase() {
            Phase::Done(_) => (StatusCode::BAD_REQUEST, Json(json!({"status": "ALREADY_COMPLETED"}))).into_response(),
            _ => {
                job.cancelled_at = Some(job.submitted.elapsed());
                (StatusCode::ACCEPTED, Json(json!({"status": "CANCELLATION_REQUESTED"}))).into_response()
            }
        },
        _ => detail(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed"),
    }
}

fn submit(state: &FakeState, endpoint: &str, base: &str, body: &Bytes) -> Response {
    let Ok(input) = serde_json::from_slice::<Value>(body) else {
        return detail(StatusCode::BAD_REQUEST, "Body is not JSON");
    };
    let Some(entry) = state.catalog.iter().find(|e| e["endpoint_id"] == endpoint).cloned() else {
        return detail(StatusCode::NOT_FOUND, &format!("Application '{endpoint}' not found"));
    };
    let openapi = state.openapi.get(endpoint).cloned().unwrap_or_else(|| synthesized_openapi(endpoint));
    let required: Vec<String> = openapi
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .and_then(|s| s.iter().find(|(k, _)| k.ends_with("Input")).map(|(_, v)| v.clone()))
        .and_then(|s| s.get("required").cloned())
        .and_then(|r| serde_json::from_value(r).ok())
        .unwrap_or_default();
    let missing: Vec<Value> = required
        .iter()
        .filter(|field| input.get(field.as_str()).is_none())
        .map(|field| json!({"loc": ["body", field], "msg": "Field required", "type": "missing"}))
        .collect();
    if !missing.is_empty() {
        return (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({ "detail": missing }))).into_response();
    }
    let category = entry["category"].as_str().unwrap_or("");
    let script = state
        .queue
        .scripts
        .lock()
        .unwrap()
        .get(endpoint)
        .cloned()
        .unwrap_or_else(|| Script::quick(default_output(category, endpoint)));
    let id = {
        let mut next = state.queue.next_id.lock().unwrap();
        *next += 1;
        format!("{:08x}-fa1f-4a1e-8000-{:012x}", *next, *next * 7919)
    };
    let segments: Vec<&str> = endpoint.split('/').collect();
    let keep = if matches!(segments[0], "workflows" | "comfy") { 3 } else { 2 };
    let app = segments[..keep.min(segments.len())].join("/");
    let job = Job {
        endpoint: endpoint.into(),
        app,
        submitted: Instant::now(),
        submitted_at: std::time::SystemTime::now(),
        stream_opens: 0,
        script,
        cancelled_at: None,
        input,
        status_calls: 0,
    };
    let (_, mut body) = job.status_json(&id, base, false);
    body["status"] = json!("IN_QUEUE");
    body["queue_position"] = json!(match job.phase() {
        Phase::Queued(p) => p,
        _ => 0,
    });
    state.queue.jobs.lock().unwrap().insert(id, job);
    Json(body).into_response()
}

fn stream(state: Arc<FakeState>, id: String, base: String) -> Response {
    let events = async_stream(move |sender: tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>| async move {
        loop {
            let event = {
                let jobs = state.queue.jobs.lock().unwrap();
                let Some(job) = jobs.get(&id) else { return };
                job.status_json(&id, &base, true).1
            };
            let done = event["status"] == "COMPLETED";
            if sender.send(Ok(Bytes::from(format!("data: {event}\n\n")))).await.is_err() || done {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    ([("content-type", "text/event-stream")], Body::from_stream(events)).into_response()
}

fn async_stream<F, Fut>(producer: F) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>>
where
    F: FnOnce(tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (sender, receiver) = tokio::sync::mpsc::channel(16);
    tokio::spawn(producer(sender));
    futures_util::stream::unfold(receiver, |mut r| async move { r.recv().await.map(|item| (item, r)) })
}

pub async fn initiate_upload(
    State(state): State<Arc<FakeState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    if let Err(response) = queue_auth(&headers) {
        return response;
    }
    if query.as_deref() != Some("storage_type=fal-cdn-v3") {
        return detail(StatusCode::BAD_REQUEST, "storage_type must be fal-cdn-v3");
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return detail(StatusCode::BAD_REQUEST, "Body is not JSON");
    };
    let (Some(content_type), Some(file_name)) = (request["content_type"].as_str(), request["file_name"].as_str())
    else {
        return detail(StatusCode::UNPROCESSABLE_ENTITY, "content_type and file_name are required");
    };
    let token = {
        let mut next = state.queue.next_id.lock().unwrap();
        *next += 1;
        format!("up{:06}", *next)
    };
    let base = state.base_url.lock().unwrap().clone();
    state.queue.uploads.lock().unwrap().insert(token.clone(), (content_type.to_string(), Vec::new()));
    Json(json!({
        "upload_url": format!("{base}/cdn/upload/{token}?signature=fake"),
        "file_url": format!("{base}/cdn/files/{token}/{file_name}")
    }))
    .into_response()
}

pub async fn put_upload(
    State(state): State<Arc<FakeState>>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut uploads = state.queue.uploads.lock().unwrap();
    let Some(entry) = uploads.get_mut(&token) else { return detail(StatusCode::FORBIDDEN, "Invalid signature") };
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    if content_type != entry.0 {
        return detail(StatusCode::BAD_REQUEST, "Content-Type differs from the one the upload was signed for");
    }
    entry.1 = body.to_vec();
    StatusCode::OK.into_response()
}

/// Source files for upload-by-URL tests: `/source/<n>.<ext>` is n bytes; `/source/chunked/<n>` streams n
/// bytes without a length; `/source/redirect/<k>/<name>` redirects k times before serving `name`.
pub async fn source(State(state): State<Arc<FakeState>>, Path(rest): Path<String>) -> Response {
    let base = state.base_url.lock().unwrap().clone();
    let parts: Vec<&str> = rest.splitn(3, '/').collect();
    match parts.as_slice() {
        ["redirect", hops, name] => {
            let hops: u32 = hops.parse().unwrap_or(0);
            let next = if hops <= 1 {
                format!("{base}/source/{name}")
            } else {
                format!("{base}/source/redirect/{}/{name}", hops - 1)
            };
            (StatusCode::FOUND, [("location", next)]).into_response()
        }
        ["chunked", n] => {
            let n: usize = n.parse().unwrap_or(0);
            let chunks: Vec<Result<Bytes, std::io::Error>> =
                (0..n.div_ceil(1024)).map(|i| Ok(Bytes::from(vec![b'x'; 1024.min(n - i * 1024)]))).collect();
            ([("content-type", "application/octet-stream")], Body::from_stream(futures_util::stream::iter(chunks)))
                .into_response()
        }
        ["missing.png"] => detail(StatusCode::NOT_FOUND, "Not found"),
        [name] => {
            let (size, ext) = name.split_once('.').unwrap_or((name, "bin"));
            let size: usize = size.parse().unwrap_or(16);
            let content_type = match ext {
                "png" => "image/png",
                "mp3" => "audio/mpeg",
                _ => "application/octet-stream",
            };
            ([("content-type", content_type)], source_bytes(size)).into_response()
        }
        _ => detail(StatusCode::NOT_FOUND, "Not found"),
    }
}

/// The deterministic bytes `/source/<n>.<ext>` serves.
pub fn source_bytes(size: usize) -> Vec<u8> {
    (0..size).map(|i| (i % 251) as u8).collect()
}
