//! The fake's documentation host: the `SearchFal` tool of its MCP endpoint (SSE or JSON replies,
//! or a failure) and the `llms.txt` page index.

use std::sync::Arc;

use axum::{
    Json,
    body::Bytes,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

use super::FakeState;

/// What the docs search endpoint does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocsMode {
    Sse,
    Json,
    Fail,
    Empty,
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

pub async fn search(State(state): State<Arc<FakeState>>, body: Bytes) -> Response {
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

pub async fn llms_txt() -> Response {
    let mut text = String::from("# fal\n\n> fal is a generative media platform.\n\n## Docs\n\n");
    for (title, url, summary) in DOC_PAGES {
        text.push_str(&format!("- [{title}]({url}.md): {summary}\n"));
    }
    text.into_response()
}
