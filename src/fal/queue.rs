//! The queue API: submit, status, a followed job's statuses as a stream, result and cancel.

use std::{pin::Pin, time::Duration};

use futures_util::{Stream, StreamExt, stream};
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::Value;
use sse_stream::SseStream;

use super::{EndpointId, FalClient, FalError, FalKey, RequestId, join};

/// First and longest pause between status requests when the status stream cannot be used, and
/// between attempts after a transient failure.
const PAUSE_FIRST: Duration = Duration::from_millis(200);
const PAUSE_MAX: Duration = Duration::from_secs(2);
/// Longest a status stream may stay silent before a poll checks on the job.
const STREAM_SILENCE: Duration = Duration::from_secs(15);
/// Longest a fal `Retry-After` is honoured for, so a follower is never parked for minutes.
const RETRY_AFTER_MAX: Duration = Duration::from_secs(10);

/// A job fal has accepted: whose it is, where it runs, and its id. Everything the queue does
/// after a submit is about one of these.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub(crate) key: FalKey,
    pub(crate) endpoint: EndpointId,
    pub(crate) request_id: RequestId,
}

/// A request's state in fal's queue. fal has no failed state (a failed run is COMPLETED with an
/// `error`); a state fal adds later reads as `Other` and is treated as still running.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum JobState {
    #[default]
    InQueue,
    InProgress,
    Completed,
    #[serde(other)]
    Other,
}

impl JobState {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            JobState::InQueue => "IN_QUEUE",
            JobState::InProgress => "IN_PROGRESS",
            JobState::Completed => "COMPLETED",
            JobState::Other => "RUNNING",
        }
    }
}

/// fal's answer to a submit.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Submitted {
    pub(crate) request_id: String,
    #[serde(default)]
    pub(crate) status: JobState,
    #[serde(default)]
    pub(crate) queue_position: Option<u64>,
}

/// One log line of a running request.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct LogLine {
    #[serde(default)]
    pub(crate) message: String,
    #[serde(default)]
    pub(crate) level: Option<String>,
    #[serde(default)]
    pub(crate) timestamp: Option<String>,
}

/// A request's status. fal has no failed state: a failed run is COMPLETED with `error`.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct QueueStatus {
    pub(crate) status: JobState,
    #[serde(default)]
    pub(crate) queue_position: Option<u64>,
    #[serde(default)]
    pub(crate) logs: Option<Vec<LogLine>>,
    #[serde(default)]
    pub(crate) error: Option<String>,
    #[serde(default)]
    pub(crate) error_type: Option<String>,
}

impl QueueStatus {
    pub(crate) fn is_completed(&self) -> bool {
        self.status == JobState::Completed
    }

    /// COMPLETED with an error: fal's way of saying the run failed.
    pub(crate) fn is_failed(&self) -> bool {
        self.is_completed() && self.error.is_some()
    }
}

/// What a cancel achieved, in fal's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CancelOutcome {
    Requested,
    AlreadyCompleted,
    NotFound,
}

impl CancelOutcome {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "CANCELLATION_REQUESTED",
            Self::AlreadyCompleted => "ALREADY_COMPLETED",
            Self::NotFound => "NOT_FOUND",
        }
    }
}

/// Options fal takes beside the input when a job is submitted.
#[derive(Debug, Clone, Default)]
pub(crate) struct SubmitOptions {
    /// `fal_webhook`: fal POSTs the result here when the job completes.
    pub(crate) webhook: Option<String>,
    /// How long the output files stay on fal's CDN (fal's object-lifecycle preference).
    pub(crate) expiration_seconds: Option<u64>,
    /// false: fal does not keep the request and response payloads (fal's store-IO header).
    pub(crate) store_payload: Option<bool>,
}

type Events = Pin<Box<dyn Stream<Item = Result<sse_stream::Sse, sse_stream::Error>> + Send>>;

/// Where a follower is: reading the status stream, about to (re)open it, or polling for good.
enum Follow {
    Stream(Events),
    Open,
    Poll,
    Done,
}

struct Follower {
    at: Follow,
    /// False once fal refused the stream outright (then only polls follow the job).
    stream_usable: bool,
    pause: Duration,
    /// Pause before the next request (after a poll, so requests never come back to back).
    wait_first: bool,
}

impl Follower {
    /// The state after handing out `status`: done once it is final.
    fn after(mut self, status: &QueueStatus) -> Self {
        if status.is_completed() {
            self.at = Follow::Done;
        }
        self
    }

    fn yielded(self, answer: Result<QueueStatus, FalError>) -> (Result<QueueStatus, FalError>, Self) {
        match answer {
            Ok(status) => {
                let next = self.after(&status);
                (Ok(status), next)
            }
            Err(e) => (Err(e), Self { at: Follow::Done, ..self }),
        }
    }
}

impl FalClient {
    fn request_url(&self, job: &Job, tail: &str) -> url::Url {
        join(&self.urls().queue, &format!("{}/requests/{}{tail}", job.endpoint.app(), job.request_id))
    }

    /// Queues `input` for `id` (the full endpoint id, any depth).
    pub(crate) async fn submit(
        &self,
        key: &FalKey,
        id: &EndpointId,
        input: &Value,
        options: &SubmitOptions,
    ) -> Result<Submitted, FalError> {
        let mut request = self.http().post(join(&self.urls().queue, id.as_str())).json(input);
        if let Some(webhook) = &options.webhook {
            request = request.query(&[("fal_webhook", webhook)]);
        }
        if let Some(seconds) = options.expiration_seconds {
            let preference = serde_json::json!({ "expiration_duration_seconds": seconds });
            request = request.header("X-Fal-Object-Lifecycle-Preference", preference.to_string());
        }
        if let Some(store) = options.store_payload {
            request = request.header("X-Fal-Store-IO", if store { "1" } else { "0" });
        }
        self.json("POST queue/{endpoint}", Some(key), request).await
    }

    pub(crate) async fn status(&self, job: &Job, logs: bool) -> Result<QueueStatus, FalError> {
        let request =
            self.http().get(self.request_url(job, "/status")).query(&[("logs", if logs { "1" } else { "0" })]);
        self.json("GET queue/{app}/requests/{id}/status", Some(&job.key), request).await
    }

    /// The model's output. A failed run answers with the model's own error (e.g. a 422 with its fields).
    pub(crate) async fn result(&self, job: &Job) -> Result<Value, FalError> {
        let request = self.http().get(self.request_url(job, ""));
        self.json("GET queue/{app}/requests/{id}", Some(&job.key), request).await
    }

    pub(crate) async fn cancel(&self, job: &Job) -> Result<CancelOutcome, FalError> {
        let request = self.http().put(self.request_url(job, "/cancel"));
        let route = "PUT queue/{app}/requests/{id}/cancel";
        let response = self.send(route, Some(&job.key), request, true).await?;
        let (status, headers) = (response.status(), response.headers().clone());
        let body = response.bytes().await.unwrap_or_default();
        let said = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v.get("status").and_then(Value::as_str).map(str::to_owned));
        match (status, said.as_deref()) {
            (_, Some("ALREADY_COMPLETED")) => Ok(CancelOutcome::AlreadyCompleted),
            (_, Some("NOT_FOUND")) | (StatusCode::NOT_FOUND, _) => Ok(CancelOutcome::NotFound),
            (s, _) if s.is_success() => Ok(CancelOutcome::Requested),
            _ => Err(FalError::from_response(status, &headers, &body, Some(&job.key))),
        }
    }

    /// The statuses of a request until it completes: read from fal's status stream, reopened when
    /// it breaks (with a poll in between, so a completion is never missed), or polled from 200 ms
    /// backing off to 2 s when the stream is refused. Transient failures (fal's 5xx and 429,
    /// timeouts, resets) are retried with the same backoff, honouring `Retry-After`; only a
    /// failure that no retry can mend (a refused key, an unknown request) ends the stream with
    /// an error. The stream never ends on its own before COMPLETED, so callers bound it with
    /// their own deadline.
    pub(crate) fn follow<'a>(&'a self, job: &'a Job) -> impl Stream<Item = Result<QueueStatus, FalError>> + Send + 'a {
        let start = Follower { at: Follow::Open, stream_usable: true, pause: PAUSE_FIRST, wait_first: false };
        stream::unfold(start, move |mut f| async move {
            loop {
                if f.wait_first {
                    tokio::time::sleep(f.pause).await;
                    f.pause = grow(f.pause);
                    f.wait_first = false;
                }
                match f.at {
                    Follow::Done => return None,
                    Follow::Stream(ref mut events) => match tokio::time::timeout(STREAM_SILENCE, events.next()).await {
                        Ok(Some(Ok(event))) => {
                            let Some(status) = event.data.and_then(|d| serde_json::from_str(&d).ok()) else {
                                continue;
                            };
                            f.pause = PAUSE_FIRST;
                            return Some(f.yielded(Ok(status)));
                        }
                        // A broken, ended or silent stream: poll once so nothing is missed, then reopen.
                        _ => {
                            f.at = Follow::Open;
                            if let Some(answer) = self.poll_once(job, &mut f.pause).await {
                                f.wait_first = true;
                                return Some(f.yielded(answer));
                            }
                        }
                    },
                    Follow::Open => match self.status_stream(job).await {
                        Ok(events) => f.at = Follow::Stream(events),
                        Err(e) => {
                            tracing::debug!(error = %e, "status stream unavailable; polling");
                            if e.is_transient() {
                                backoff(&e, &mut f.pause).await;
                            } else {
                                f.stream_usable = false;
                            }
                            f.at = Follow::Poll;
                        }
                    },
                    Follow::Poll => {
                        if let Some(answer) = self.poll_once(job, &mut f.pause).await {
                            f.wait_first = true;
                            if f.stream_usable {
                                f.at = Follow::Open;
                            }
                            return Some(f.yielded(answer));
                        }
                    }
                }
            }
        })
    }

    /// One status request. `None` after a transient failure (already waited out), so the caller
    /// simply tries again; `Some(Err)` for a failure no retry can mend.
    async fn poll_once(&self, job: &Job, pause: &mut Duration) -> Option<Result<QueueStatus, FalError>> {
        match self.status(job, true).await {
            Ok(status) => Some(Ok(status)),
            Err(e) if e.is_transient() => {
                tracing::debug!(error = %e, "status request failed; retrying");
                backoff(&e, pause).await;
                None
            }
            Err(e) => Some(Err(e)),
        }
    }

    async fn status_stream(&self, job: &Job) -> Result<Events, FalError> {
        let request = self
            .http()
            .get(self.request_url(job, "/status/stream"))
            .query(&[("logs", "1")])
            // The stream lives as long as the job; its follower's deadline ends it, not the client's.
            .timeout(Duration::from_secs(24 * 3600));
        let response = self.send("GET queue/{app}/requests/{id}/status/stream", Some(&job.key), request, false).await?;
        Ok(Box::pin(SseStream::from_bytes_stream(response.bytes_stream())))
    }
}

/// Waits before the next attempt: fal's `Retry-After` when it sent one (bounded), else `pause`, which grows.
async fn backoff(error: &FalError, pause: &mut Duration) {
    let wait = match error.retry_after() {
        Some(seconds) => Duration::from_secs(seconds).min(RETRY_AFTER_MAX),
        None => *pause,
    };
    tokio::time::sleep(wait).await;
    *pause = grow(*pause);
}

fn grow(pause: Duration) -> Duration {
    (pause * 3 / 2).min(PAUSE_MAX)
}
