//! The fake's Platform API: the model catalog (list, search, find, OpenAPI expansion), prices and
//! cost estimates, with fal's `{"error": {"type", "message"}}` envelope for refusals.

use std::sync::{Arc, LazyLock};

use axum::{
    Json,
    body::Bytes,
    extract::{RawQuery, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use base64::Engine;
use serde_json::{Map, Value, json};

use super::{ALICE_PRIVATE, FakeState};

/// The fake's catalog: the hand-made fixture (prices, dates, kinds, the models tests name) and
/// then every other active model of fal's real catalog (`catalog-real.json`, with its sources), so
/// that ranking and search are measured on fal's own names, categories and descriptions.
pub fn entries() -> Vec<Value> {
    static ENTRIES: LazyLock<Vec<Value>> = LazyLock::new(|| {
        let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
        let read = |name: &str| std::fs::read_to_string(format!("{fixtures}/{name}")).unwrap();
        let mut entries: Vec<Value> = serde_json::from_str(&read("catalog.json")).unwrap();
        let real: Value = serde_json::from_str(&read("catalog-real.json")).unwrap();
        for model in real["models"].as_array().unwrap() {
            let id = &model["endpoint_id"];
            if model["status"] != "active" || entries.iter().any(|e| e["endpoint_id"] == *id) {
                continue;
            }
            entries.push(json!({
                "endpoint_id": id, "display_name": model["display_name"], "category": model["category"],
                "description": model["description"], "status": "active", "tags": model["tags"].as_array().cloned().unwrap_or_default(),
                "kind": if model["category"] == "training" { "training" } else { "inference" },
            }));
        }
        entries
    });
    ENTRIES.clone()
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
        // "poor" has no balance left: the catalog still answers it, the queue refuses it.
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
    if let Some(minutes) = entry.get("duration_estimate") {
        model["metadata"]["duration_estimate"] = minutes.clone();
    }
    if expand_openapi {
        model["openapi"] = if id == "acme/no-schema" {
            json!({ "error": { "code": "expansion_failed", "message": "OpenAPI schema not available for this endpoint" } })
        } else {
            let category = entry["category"].as_str().unwrap_or("");
            state.openapi.get(id).cloned().unwrap_or_else(|| synthesized_openapi(id, category))
        };
    }
    model
}

/// The catalog entry `key_id` can see for `endpoint`, if any.
pub fn entry_for(state: &FakeState, key_id: &str, endpoint: &str) -> Option<Value> {
    state.catalog.iter().cloned().chain(extra_entries(key_id)).find(|e| e["endpoint_id"] == endpoint)
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

pub async fn models(State(state): State<Arc<FakeState>>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    // fal serves its catalog without a key too (a key only raises the rate limit).
    let key_id = match platform_auth(&headers) {
        Ok(id) => id,
        Err(_) if !headers.contains_key("authorization") => String::new(),
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

/// base64 of the decimal page number, as fal's cursors are.
fn encode_cursor(page: usize) -> String {
    base64::engine::general_purpose::STANDARD.encode(page.to_string())
}

fn decode_cursor(cursor: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(cursor).ok()?;
    String::from_utf8(bytes).ok()?.parse().ok()
}

pub async fn pricing(State(state): State<Arc<FakeState>>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
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

pub async fn estimate(State(state): State<Arc<FakeState>>, headers: HeaderMap, body: Bytes) -> Response {
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
        // Historical: the fixture's average cost per call; an endpoint without one has no history.
        let price = if unit_based { &entry["unit_price"] } else { &entry["call_price"] };
        let Some(price) = price.as_f64() else {
            return platform_error(StatusCode::NOT_FOUND, "not_found", &format!("No pricing history for {id}"));
        };
        total += price * quantity;
    }
    Json(
        json!({ "estimate_type": body["estimate_type"], "total_cost": (total * 1e6).round() / 1e6, "currency": "USD" }),
    )
    .into_response()
}

/// A small but valid queue OpenAPI document for models without a fixture: a prompt, and the
/// media URL its category takes (`image_url` for image-to-…, and so on), as fal's documents name them.
pub fn synthesized_openapi(id: &str, category: &str) -> Value {
    let mut properties =
        json!({ "prompt": { "title": "Prompt", "type": "string", "description": "What to generate." } });
    for (from, field) in
        [("image", "image_url"), ("video", "video_url"), ("audio", "audio_url"), ("speech", "audio_url")]
    {
        if category.starts_with(&format!("{from}-to-")) {
            properties[field] = json!({ "title": "Url", "type": "string", "description": "The file to start from." });
        }
    }
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
            "Input": { "title": "Input", "type": "object", "required": ["prompt"], "properties": properties },
            "Output": { "title": "Output", "type": "object", "properties": {
                "result": { "title": "Result", "type": "object", "additionalProperties": true } } }
        } }
    })
}
