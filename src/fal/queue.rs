//! The queue API: submit, status (streamed, with polling as fallback), result and cancel.

use std::time::Duration;

use reqwest::{StatusCode, header::AUTHORIZATION};
use serde::Deserialize;
use serde_json::Value;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{EndpointId, FalClient, FalError, FalKey, RequestId, join, redact};

/// First and longest pause between status polls when the status stream is unavailable.
const POLL_FIRST: Duration = Duration::from_millis(200);
const POLL_MAX: Duration = Duration::from_secs(2);

/// fal's answer to a submit.
#[derive(Debug, Clone, Deserialize)]
pub struct Submitted {
    pub request_id: String,
    #[serde(default = "in_queue")]
    pub status: String,
    #[serde(default)]
    pub queue_position: Option<u64>,
}

fn in_queue() -> String {
    "IN_QUEUE".into()
}

/// One log line of a running request.
#[derive(Debug, Clone, Deserialize)]
pub struct LogLine {
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub level: Option<String>,
    #[serde(default)]
    pub timestamp: Option<String>,
}

/// A request's status. fal has no failed state: a failed run is COMPLETED with `error`.
#[derive(Debug, Clone, Deserialize)]
pub struct QueueStatus {
    pub status: String,
    #[serde(default)]
    pub queue_position: Option<u64>,
    #[serde(default)]
    pub logs: Option<Vec<LogLine>>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub error_type: Option<String>,
}

impl QueueStatus {
    pub fn is_completed(&self) -> bool {
        self.status == "COMPLETED"
    }
}

/// What a cancel achieved, in fal's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelOutcome {
    Requested,
    AlreadyCompleted,
    NotFound,
}

impl CancelOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "CANCELLATION_REQUESTED",
            Self::AlreadyCompleted => "ALREADY_COMPLETED",
            Self::NotFound => "NOT_FOUND",
        }
    }
}

/// How a wait for a request ended.
#[derive(Debug)]
pub enum Waited {
    Completed(QueueStatus),
    /// The deadline came first; the last status seen, if any.
    TimedOut(Option<QueueStatus>),
    Cancelled,
}

impl FalClient {
    fn request_url(&self, id: &EndpointId, request_id: &RequestId, tail: &str) -> url::Url {
        join(&self.urls().queue, &format!("{}/requests/{request_id}{tail}", id.app()))
    }

    /// Queues `input` for `id` (the full endpoint id, any depth).
    pub async fn submit(
        &self,
        key: &FalKey,
        id: &EndpointId,
        input: &Value,
        webhook: Option<&str>,
    ) -> Result<Submitted, FalError> {
        let mut request = self.http().post(join(&self.urls().queue, id.as_str())).json(input);
        if let Some(webhook) = webhook {
            request = request.query(&[("fal_webhook", webhook)]);
        }
        self.send_json(key, "POST queue/{endpoint}", request).await
    }

    pub async fn status(
        &self,
        key: &FalKey,
        id: &EndpointId,
        request_id: &RequestId,
        logs: bool,
    ) -> Result<QueueStatus, FalError> {
        let request = self
            .http()
            .get(self.request_url(id, request_id, "/status"))
            .query(&[("logs", if logs { "1" } else { "0" })]);
        self.send_json(key, "GET queue/{app}/requests/{id}/status", request).await
    }

    /// The model's output. A failed run answers with the model's own error (e.g. a 422 with its fields).
    pub async fn result(&self, key: &FalKey, id: &EndpointId, request_id: &RequestId) -> Result<Value, FalError> {
        let request = self.http().get(self.request_url(id, request_id, ""));
        self.send_json(key, "GET queue/{app}/requests/{id}", request).await
    }

    pub async fn cancel(
        &self,
        key: &FalKey,
        id: &EndpointId,
        request_id: &RequestId,
    ) -> Result<CancelOutcome, FalError> {
        let request =
            self.http().put(self.request_url(id, request_id, "/cancel")).header(AUTHORIZATION, key.header_value());
        let response = self.send_timed("PUT queue/{app}/requests/{id}/cancel", request).await?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.unwrap_or_default();
        let said = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v.get("status").and_then(Value::as_str).map(str::to_owned));
        match (status, said.as_deref()) {
            (_, Some("ALREADY_COMPLETED")) => Ok(CancelOutcome::AlreadyCompleted),
            (_, Some("NOT_FOUND")) | (StatusCode::NOT_FOUND, _) => Ok(CancelOutcome::NotFound),
            (s, _) if s.is_success() => Ok(CancelOutcome::Requested),
            _ => Err(redact(FalError::from_response(status, &headers, &body), key)),
        }
    }

    /// Follows a request until it completes, `until` passes or `cancel` fires, calling `on_update`
    /// with each new status. Reads fal's status stream; if the stream is refused or breaks, polls
    /// with a pause that starts at 200 ms and backs off to 2 s.
    pub async fn wait(
        &self,
        key: &FalKey,
        id: &EndpointId,
        request_id: &RequestId,
        until: Instant,
        cancel: &CancellationToken,
        mut on_update: impl FnMut(&QueueStatus),
    ) -> Result<Waited, FalError> {
        let mut last: Option<QueueStatus> = None;
        let streamed = {
            let mut record = |status: QueueStatus| {
                on_update(&status);
                last = Some(status);
            };
            let stream = self.stream_status(key, id, request_id, until, &mut record);
            tokio::select! {
                () = cancel.cancelled() => None,
                () = tokio::time::sleep_until(until) => None,
                done = stream => Some(done),
            }
        };
        match streamed {
            None if cancel.is_cancelled() => return Ok(Waited::Cancelled),
            None => return Ok(Waited::TimedOut(last)),
            Some(Ok(Some(done))) => return Ok(Waited::Completed(done)),
            Some(Ok(None)) => tracing::debug!("status stream ended early; polling"),
            Some(Err(error)) => tracing::debug!(%error, "status stream unavailable; polling"),
        }
        let mut pause = POLL_FIRST;
        loop {
            let status = tokio::select! {
                () = cancel.cancelled() => return Ok(Waited::Cancelled),
                () = tokio::time::sleep_until(until) => return Ok(Waited::TimedOut(last)),
                status = self.status(key, id, request_id, true) => status?,
            };
            on_update(&status);
            if status.is_completed() {
                return Ok(Waited::Completed(status));
            }
            last = Some(status);
            tokio::select! {
                () = cancel.cancelled() => return Ok(Waited::Cancelled),
                () = tokio::time::sleep_until(until) => return Ok(Waited::TimedOut(last)),
                () = tokio::time::sleep(pause) => {}
            }
            pause = (pause * 3 / 2).min(POLL_MAX);
        }
    }

    /// Reads `…/status/stream` until a COMPLETED event (Some) or the stream's end (None).
    async fn stream_status(
        &self,
        key: &FalKey,
        id: &EndpointId,
        request_id: &RequestId,
        until: Instant,
        on_update: &mut impl FnMut(QueueStatus),
    ) -> Result<Option<QueueStatus>, FalError> {
        let request = self
            .http()
            .get(self.request_url(id, request_id, "/status/stream"))
            .query(&[("logs", "1")])
            .header(AUTHORIZATION, key.header_value())
            .timeout(until.saturating_duration_since(Instant::now()) + Duration::from_secs(1));
        let mut response = self.send_timed("GET queue/{app}/requests/{id}/status/stream", request).await?;
        if !response.status().is_success() {
            let (status, headers) = (response.status(), response.headers().clone());
            let body = response.bytes().await.unwrap_or_default();
            return Err(redact(FalError::from_response(status, &headers, &body), key));
        }
        let mut buffer = Vec::new();
        while let Some(chunk) =
            response.chunk().await.map_err(|e| FalError::from_reqwest(e, self.inner.timeout_secs))?
        {
            buffer.extend_from_slice(&chunk);
            while let Some(end) = find_event_end(&buffer) {
                let event: Vec<u8> = buffer.drain(..end.1).collect();
                let Some(status) = parse_event(&event[..end.0]) else { continue };
                let completed = status.is_completed();
                if completed {
                    return Ok(Some(status));
                }
                on_update(status);
            }
        }
        Ok(None)
    }
}

/// The end of the first complete SSE event in `buffer`: (where its text ends, where the next begins).
fn find_event_end(buffer: &[u8]) -> Option<(usize, usize)> {
    let lf = buffer.windows(2).position(|w| w == b"\n\n").map(|at| (at, at + 2));
    let crlf = buffer.windows(4).position(|w| w == b"\r\n\r\n").map(|at| (at, at + 4));
    match (lf, crlf) {
        (Some(a), Some(b)) => Some(if a.0 < b.0 { a } else { b }),
        (a, b) => a.or(b),
    }
}

fn parse_event(event: &[u8]) -> Option<QueueStatus> {
    let text = std::str::from_utf8(event).ok()?;
    let data: String = text
        .lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .map(|d| d.strip_prefix(' ').unwrap_or(d))
        .collect::<Vec<_>>()
        .join("\n");
    serde_json::from_str(&data).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_events_split_and_parse() {
        let stream =
            b"data: {\"status\":\"IN_QUEUE\",\"queue_position\":2}\n\ndata: {\"status\":\"COMPLETED\"}\r\n\r\n";
        let (end, next) = find_event_end(stream).unwrap();
        assert_eq!(parse_event(&stream[..end]).unwrap().queue_position, Some(2));
        let rest = &stream[next..];
        let (end, _) = find_event_end(rest).unwrap();
        assert!(parse_event(&rest[..end]).unwrap().is_completed());
        assert!(parse_event(b": keep-alive").is_none());
    }
}
