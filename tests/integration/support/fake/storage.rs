//! The fake's storage: upload initiation (a signed URL and the file's CDN URL), the signed PUT,
//! and source files served for upload-by-URL tests.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use axum::{
    Json,
    body::{Body, Bytes},
    extract::{Path, RawQuery, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

use super::{FakeState, detail, inference_auth};

/// Uploads by token: the content type they were signed for and the bytes received.
#[derive(Default)]
pub struct Uploads {
    files: Mutex<HashMap<String, (String, Vec<u8>)>>,
    next: Mutex<u64>,
}

impl Uploads {
    pub fn get(&self, token: &str) -> Option<(String, Vec<u8>)> {
        self.files.lock().unwrap().get(token).cloned()
    }
}

pub async fn initiate(
    State(state): State<Arc<FakeState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    if let Err(response) = inference_auth(&headers) {
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
        let mut next = state.uploads.next.lock().unwrap();
        *next += 1;
        format!("up{:06}", *next)
    };
    let base = state.base_url.lock().unwrap().clone();
    state.uploads.files.lock().unwrap().insert(token.clone(), (content_type.to_string(), Vec::new()));
    Json(json!({
        "upload_url": format!("{base}/cdn/upload/{token}?signature=fake"),
        "file_url": format!("{base}/cdn/files/{token}/{file_name}")
    }))
    .into_response()
}

/// `GET /cdn/files/<token>/<name>`: an uploaded file, as fal's CDN serves it.
pub async fn file(State(state): State<Arc<FakeState>>, Path((token, _name)): Path<(String, String)>) -> Response {
    match state.uploads.get(&token) {
        Some((content_type, bytes)) if !bytes.is_empty() => ([("content-type", content_type)], bytes).into_response(),
        _ => detail(StatusCode::NOT_FOUND, "Not found"),
    }
}

pub async fn put(
    State(state): State<Arc<FakeState>>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut uploads = state.uploads.files.lock().unwrap();
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
