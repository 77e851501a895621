//! The fake's queue: submit, status, the status stream, result and cancel. A job moves through
//! IN_QUEUE, IN_PROGRESS and COMPLETED when its script says: at once, when a test says (events,
//! never sleeps), or on a clock (for the benchmark and the interop run, set with `/_fake/script`).
//! The status stream sends an event each time its job changes.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, SystemTime},
};

use axum::{
    Json,
    body::{Body, Bytes},
    extract::{Path, RawQuery, State},
    http::{HeaderMap, Method, StatusCode},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};
use tokio::sync::watch;

use super::{
    FakeState, PRIVATE_APPS,
    catalog::{entry_for, synthesized_openapi},
    detail, inference_auth,
};

/// When a job moves.
#[derive(Clone, Debug)]
pub enum Plan {
    /// Completed as soon as it is submitted.
    Instant,
    /// Stays IN_QUEUE until the test calls `start_job`, `log` and `finish_job`.
    Manual,
    /// Queued for `queue`, then running for `run` with a log line every quarter.
    Timed { queue: Duration, run: Duration },
}

/// How a job ends.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// The model's output.
    Output(Value),
    /// The model's error: the result answers with this status and body, and the status reports
    /// COMPLETED with `error` (fal's message) and `error_type`.
    Error { status: u16, body: Value, error_type: &'static str },
}

/// How jobs of one endpoint behave.
#[derive(Clone, Debug)]
pub struct Script {
    pub plan: Plan,
    pub outcome: Outcome,
}

impl Script {
    pub fn instant(output: Value) -> Self {
        Self { plan: Plan::Instant, outcome: Outcome::Output(output) }
    }

    pub fn manual(output: Value) -> Self {
        Self { plan: Plan::Manual, outcome: Outcome::Output(output) }
    }

    pub fn timed(queue_ms: u64, run_ms: u64, output: Value) -> Self {
        let plan = Plan::Timed { queue: Duration::from_millis(queue_ms), run: Duration::from_millis(run_ms) };
        Self { plan, outcome: Outcome::Output(output) }
    }

    /// A job the model refuses once it runs, with fal's 422 detail.
    pub fn failing(plan: Plan, status: u16, body: Value, error_type: &'static str) -> Self {
        Self { plan, outcome: Outcome::Error { status, body, error_type } }
    }
}

#[derive(Clone, Debug)]
enum Phase {
    Queued(u64),
    Running,
    Done { cancelled: bool },
}

pub struct Job {
    endpoint: String,
    app: String,
    input: Value,
    phase: Phase,
    logs: Vec<String>,
    script: Script,
    status_calls: u32,
    stream_opens: u32,
    completed_at: Option<SystemTime>,
    changed: watch::Sender<u64>,
}

/// What a test or the benchmark learns about one job.
#[derive(Clone, Debug)]
pub struct JobReport {
    pub request_id: String,
    pub endpoint_id: String,
    pub input: Value,
    pub status_calls: u32,
    pub stream_opens: u32,
}

#[derive(Default)]
pub struct QueueState {
    jobs: Mutex<Vec<(String, Job)>>,
    pub scripts: Mutex<HashMap<String, Script>>,
    pub stream_disabled: AtomicBool,
    next_id: Mutex<u64>,
    /// Set once the fake is running, so job changes wake `FakeFal::wait_until`.
    owner: Mutex<Option<std::sync::Weak<FakeState>>>,
}

impl QueueState {
    pub fn report(&self) -> Vec<JobReport> {
        let jobs = self.jobs.lock().unwrap();
        jobs.iter()
            .map(|(id, job)| JobReport {
                request_id: id.clone(),
                endpoint_id: job.endpoint.clone(),
                input: job.input.clone(),
                status_calls: job.status_calls,
                stream_opens: job.stream_opens,
            })
            .collect()
    }

    fn with_job(&self, request_id: &str, change: impl FnOnce(&mut Job)) {
        {
            let mut jobs = self.jobs.lock().unwrap();
            let (_, job) = jobs.iter_mut().find(|(id, _)| id == request_id).expect("a job with that request id");
            change(job);
            job.changed.send_modify(|v| *v += 1);
        }
        if let Some(state) = self.owner.lock().unwrap().as_ref().and_then(std::sync::Weak::upgrade) {
            state.seen.notify_waiters();
        }
    }

    pub fn start(&self, request_id: &str) {
        self.with_job(request_id, |job| {
            if matches!(job.phase, Phase::Queued(_)) {
                job.phase = Phase::Running;
            }
        });
    }

    pub fn log(&self, request_id: &str, message: &str) {
        self.with_job(request_id, |job| job.logs.push(message.to_string()));
    }

    pub fn finish(&self, request_id: &str) {
        self.with_job(request_id, |job| {
            if !matches!(job.phase, Phase::Done { .. }) {
                job.phase = Phase::Done { cancelled: false };
                job.completed_at = Some(SystemTime::now());
            }
        });
    }
}

impl Job {
    fn status_json(&self, id: &str, base: &str, logs: bool) -> (StatusCode, Value) {
        let urls = format!("{base}/queue/{}/requests/{id}", self.app);
        let mut body = json!({
            "request_id": id,
            "response_url": urls,
            "status_url": format!("{urls}/status"),
            "cancel_url": format!("{urls}/cancel"),
        });
        let lines = || -> Value {
            if !logs {
                return Value::Null;
            }
            let lines: Vec<Value> = self
                .logs
                .iter()
                .map(|m| json!({"message": m, "level": "INFO", "source": "USER", "timestamp": "2026-11-21T00:00:00Z"}))
                .collect();
            Value::Array(lines)
        };
        match &self.phase {
            Phase::Queued(position) => {
                body["status"] = json!("IN_QUEUE");
                body["queue_position"] = json!(position);
                (StatusCode::ACCEPTED, body)
            }
            Phase::Running => {
                body["status"] = json!("IN_PROGRESS");
                body["logs"] = lines();
                (StatusCode::ACCEPTED, body)
            }
            Phase::Done { cancelled } => {
                body["status"] = json!("COMPLETED");
                body["logs"] = lines();
                body["metrics"] = json!({"inference_time": 0.4});
                if *cancelled {
                    body["error"] = json!("Request was cancelled");
                    body["error_type"] = json!("client_cancelled");
                } else if let Outcome::Error { body: error, error_type, .. } = &self.script.outcome {
                    body["error"] = json!(message_of(error));
                    body["error_type"] = json!(error_type);
                }
                (StatusCode::OK, body)
            }
        }
    }
}

/// fal's one-line message for a model error body: `detail` as text, or its first entry's `msg`.
fn message_of(error: &Value) -> String {
    match &error["detail"] {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().filter_map(|i| i["msg"].as_str()).collect::<Vec<_>>().join("; "),
        other => other.to_string(),
    }
}

/// `GET /_fake/jobs`: every job with its completion time (unix ms) and how often it was asked about.
pub async fn jobs_report(State(state): State<Arc<FakeState>>) -> Response {
    let jobs = state.queue.jobs.lock().unwrap();
    let ms = |t: SystemTime| t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64() * 1000.0;
    let report: Vec<Value> = jobs
        .iter()
        .map(|(id, job)| {
            json!({"request_id": id, "endpoint_id": job.endpoint, "completed_at_ms": job.completed_at.map(ms),
                   "status_calls": job.status_calls, "stream_opens": job.stream_opens})
        })
        .collect();
    Json(report).into_response()
}

/// `POST /_fake/script {endpoint_id, queue_ms, run_ms, error?, output?}`: jobs of that endpoint
/// take this long and answer `output` (an image by default), or end with a model error (fal's
/// `content_policy_violation` 422) when `error` is true.
pub async fn set_script(State(state): State<Arc<FakeState>>, Json(body): Json<Value>) -> Response {
    let (Some(id), Some(queue), Some(run)) =
        (body["endpoint_id"].as_str(), body["queue_ms"].as_u64(), body["run_ms"].as_u64())
    else {
        return detail(StatusCode::BAD_REQUEST, "endpoint_id, queue_ms and run_ms are required");
    };
    let output = match &body["output"] {
        Value::Null => {
            json!({"images": [{"url": "https://v3.fal.media/files/bench/out.png", "content_type": "image/png"}]})
        }
        given => given.clone(),
    };
    let mut script = Script::timed(queue, run, output);
    // `"error": true` is a content-policy refusal; `"error": "<fal error type>"` fails the job with that type.
    match &body["error"] {
        Value::Bool(true) => script = Script::failing(script.plan, 422, content_policy(), "content_policy_violation"),
        Value::String(kind) => {
            let kind: &'static str = Box::leak(kind.clone().into_boxed_str());
            let status = if kind.starts_with("runner_") || kind.ends_with("_error") { 500 } else { 422 };
            let body = json!({"detail": format!("the job failed with {kind}"), "error_type": kind});
            script = Script::failing(script.plan, status, body, kind);
        }
        _ => {}
    }
    state.queue.scripts.lock().unwrap().insert(id.to_string(), script);
    StatusCode::NO_CONTENT.into_response()
}

/// fal's answer for a prompt its safety checker refuses.
pub fn content_policy() -> Value {
    json!({"detail": [{"loc": ["body", "prompt"], "msg": "The content could not be processed because it contained material flagged by a content checker.", "type": "content_policy_violation"}]})
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

pub async fn queue(
    State(state): State<Arc<FakeState>>,
    method: Method,
    Path(rest): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let key_id = match inference_auth(&headers) {
        Ok(id) => id,
        Err(response) => return response,
    };
    let base = state.base_url.lock().unwrap().clone();
    let logs = query.as_deref().is_some_and(|q| q.contains("logs=1") || q.contains("logs=true"));
    if method == Method::POST {
        return submit(&state, &key_id, &rest, &base, &body);
    }
    let Some((app, tail)) = rest.split_once("/requests/") else {
        return detail(StatusCode::NOT_FOUND, "Not found");
    };
    let (request_id, action) = tail.split_once('/').unwrap_or((tail, ""));
    let mut jobs = state.queue.jobs.lock().unwrap();
    let Some((_, job)) = jobs.iter_mut().find(|(id, j)| id == request_id && (j.app == app || j.endpoint == app)) else {
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
            if state.queue.stream_disabled.load(Ordering::SeqCst) {
                return detail(StatusCode::NOT_FOUND, "Not found");
            }
            job.stream_opens += 1;
            let changes = job.changed.subscribe();
            drop(jobs);
            stream(state.clone(), request_id.to_string(), base, changes)
        }
        (Method::GET, "") => match (&job.phase, &job.script.outcome) {
            (Phase::Done { cancelled: true }, _) => detail(StatusCode::BAD_REQUEST, "Request was cancelled"),
            (Phase::Done { .. }, Outcome::Output(output)) => Json(output.clone()).into_response(),
            (Phase::Done { .. }, Outcome::Error { status, body, .. }) => {
                (StatusCode::from_u16(*status).unwrap(), Json(body.clone())).into_response()
            }
            _ => detail(StatusCode::BAD_REQUEST, "Request is still in progress"),
        },
        (Method::PUT, "cancel") => match job.phase {
            Phase::Done { .. } => {
                (StatusCode::BAD_REQUEST, Json(json!({"status": "ALREADY_COMPLETED"}))).into_response()
            }
            _ => {
                job.phase = Phase::Done { cancelled: true };
                job.changed.send_modify(|v| *v += 1);
                drop(jobs);
                state.seen.notify_waiters();
                (StatusCode::ACCEPTED, Json(json!({"status": "CANCELLATION_REQUESTED"}))).into_response()
            }
        },
        _ => detail(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed"),
    }
}

/// `[namespace/]owner/alias` of an endpoint id, as fal's queue routes use it.
fn app_of(endpoint: &str) -> String {
    let segments: Vec<&str> = endpoint.split('/').collect();
    let keep = if matches!(segments[0], "workflows" | "comfy") { 3 } else { 2 };
    segments[..keep.min(segments.len())].join("/")
}

fn submit(state: &Arc<FakeState>, key_id: &str, endpoint: &str, base: &str, body: &Bytes) -> Response {
    let Ok(input) = serde_json::from_slice::<Value>(body) else {
        return detail(StatusCode::BAD_REQUEST, "Body is not JSON");
    };
    let app = app_of(endpoint);
    let entry = entry_for(state, key_id, endpoint);
    if entry.is_none() && !PRIVATE_APPS.contains(&app.as_str()) {
        return detail(StatusCode::NOT_FOUND, &format!("Application '{app}' not found"));
    }
    let category = entry.as_ref().and_then(|e| e["category"].as_str()).unwrap_or("");
    let openapi = state.openapi.get(endpoint).cloned().unwrap_or_else(|| synthesized_openapi(endpoint, category));
    let missing: Vec<Value> = required_fields(&openapi)
        .iter()
        .filter(|field| input.get(field.as_str()).is_none_or(Value::is_null))
        .map(|field| json!({"loc": ["body", field], "msg": "Field required", "type": "missing"}))
        .collect();
    let validate = state.validate_on_submit.load(Ordering::SeqCst);
    if validate && !missing.is_empty() {
        return (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({ "detail": missing }))).into_response();
    }
    let category = entry.as_ref().and_then(|e| e["category"].as_str()).unwrap_or("text-to-image").to_string();
    let mut script = state
        .queue
        .scripts
        .lock()
        .unwrap()
        .get(endpoint)
        .cloned()
        .unwrap_or_else(|| Script::instant(default_output(&category, endpoint)));
    if !missing.is_empty() {
        // Accepted unchecked: the model refuses the input only once it runs.
        script.outcome =
            Outcome::Error { status: 422, body: json!({ "detail": missing }), error_type: "validation_error" };
    }
    let id = {
        let mut next = state.queue.next_id.lock().unwrap();
        *next += 1;
        format!("{:08x}-fa1f-4a1e-8000-{:012x}", *next, *next * 7919)
    };
    let plan = script.plan.clone();
    let (changed, _) = watch::channel(0);
    let mut job = Job {
        endpoint: endpoint.into(),
        app,
        input,
        phase: Phase::Queued(2),
        logs: Vec::new(),
        script,
        status_calls: 0,
        stream_opens: 0,
        completed_at: None,
        changed,
    };
    let (_, mut answer) = job.status_json(&id, base, false);
    if let Plan::Instant = plan {
        job.phase = Phase::Done { cancelled: false };
        job.completed_at = Some(SystemTime::now());
    }
    answer["queue_position"] = json!(2);
    state.queue.jobs.lock().unwrap().push((id.clone(), job));
    *state.queue.owner.lock().unwrap() = Some(Arc::downgrade(state));
    state.seen.notify_waiters();
    if let Plan::Timed { queue, run } = plan {
        let state = state.clone();
        tokio::spawn(async move {
            tokio::time::sleep(queue).await;
            state.queue.start(&id);
            for step in 1..=4 {
                state.queue.log(&id, &format!("step {step}"));
                tokio::time::sleep(run / 4).await;
            }
            state.queue.finish(&id);
        });
    }
    Json(answer).into_response()
}

fn required_fields(openapi: &Value) -> Vec<String> {
    openapi
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .and_then(|s| s.iter().find(|(k, _)| k.ends_with("Input")).map(|(_, v)| v.clone()))
        .and_then(|s| s.get("required").cloned())
        .and_then(|r| serde_json::from_value(r).ok())
        .unwrap_or_default()
}

/// The status stream: the current status at once, then one event per change, ending at COMPLETED.
fn stream(state: Arc<FakeState>, id: String, base: String, changes: watch::Receiver<u64>) -> Response {
    let events = futures_util::stream::unfold(Some((changes, true)), move |next| {
        let (state, id, base) = (state.clone(), id.clone(), base.clone());
        async move {
            let (mut changes, first) = next?;
            if !first && changes.changed().await.is_err() {
                return None;
            }
            let event = {
                let jobs = state.queue.jobs.lock().unwrap();
                let (_, job) = jobs.iter().find(|(j, _)| *j == id)?;
                // Under the jobs lock, so a change after this read always wakes the next wait.
                changes.mark_unchanged();
                job.status_json(&id, &base, true).1
            };
            let done = event["status"] == "COMPLETED";
            let chunk: Result<Bytes, std::io::Error> = Ok(Bytes::from(format!("data: {event}\n\n")));
            Some((chunk, (!done).then_some((changes, false))))
        }
    });
    ([("content-type", "text/event-stream")], Body::from_stream(events)).into_response()
}
