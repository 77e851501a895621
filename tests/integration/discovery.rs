//! search_models, get_model_schema and get_pricing against the fake fal, success and failure.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{err, ok, spawn_app};

const KEY: &str = "disc-id:disc-secret";

#[tokio::test]
async fn search_models_returns_catalog_entries_and_pages() {
    let app = spawn_app().await;
    let first = ok(&app.call(KEY, "search_models", json!({"category": "text-to-image", "limit": 5})).await);
    let models = first["models"].as_array().unwrap();
    assert_eq!(models.len(), 5);
    assert_eq!(first["total_shown"], 5);
    assert_eq!(first["has_more"], true);
    let fixture = app.fake.fixture(models[0]["endpoint_id"].as_str().unwrap()).unwrap();
    assert_eq!(models[0]["name"], fixture["display_name"]);
    assert_eq!(models[0]["status"], fixture["status"]);
    assert_eq!(models[0]["tags"], fixture["tags"]);
    assert!(models.iter().all(|m| m["category"] == "text-to-image"));

    let cursor = first["next_cursor"].as_str().unwrap().to_string();
    let second =
        ok(&app.call(KEY, "search_models", json!({"category": "text-to-image", "limit": 5, "cursor": cursor})).await);
    let ids = |v: &Value| v["models"].as_array().unwrap().iter().map(|m| m["endpoint_id"].clone()).collect::<Vec<_>>();
    assert!(ids(&second).iter().all(|id| !ids(&first).contains(id)), "page 2 repeats page 1");

    let request = app.fake.requests_to("/v1/models").pop().unwrap();
    assert!(request.query.contains("category=text-to-image") && request.query.contains("limit=5"), "{}", request.query);

    let by_text = ok(&app.call(KEY, "search_models", json!({"query": "lip sync"})).await);
    let found = ids(&by_text);
    assert!(found.contains(&json!("fal-ai/sync-lipsync/v2")), "{found:?}");
    assert_eq!(by_text["has_more"], false);
    assert_eq!(by_text["next_cursor"], Value::Null);

    let nothing = ok(&app.call(KEY, "search_models", json!({"query": "no-such-model-anywhere"})).await);
    assert_eq!(nothing["total_shown"], 0);
    assert!(app.fake.unexpected().is_empty());
}

#[tokio::test]
async fn search_models_refuses_bad_arguments_without_calling_fal() {
    let app = spawn_app().await;
    for (args, needle) in [
        (json!({"limit": 0}), "limit 0"),
        (json!({"limit": 101}), "limit 101"),
        (json!({"category": "text to image"}), "category"),
        (json!({"query": "x".repeat(201)}), "longer than 200"),
        (json!({"query": "a\u{0}b"}), "control characters"),
    ] {
        let (error, sentence) = err(&app.call(KEY, "search_models", args).await);
        assert_eq!(error["type"], "invalid_argument");
        assert_eq!(error["retryable"], false);
        assert!(sentence.contains(needle), "{sentence}");
    }
    let wrong_type = app.call(KEY, "search_models", json!({"limit": "ten"})).await;
    assert_eq!(wrong_type.is_error, Some(true));
    assert!(app.fake.requests().is_empty());
}

#[tokio::test]
async fn fal_failures_become_actionable_tool_errors() {
    let app = spawn_app().await;
    let search = json!({"query": "flux"});

    let (e, sentence) = err(&app.call("bad:key-secret", "search_models", search.clone()).await);
    assert_eq!(
        (e["status"].clone(), e["type"].clone(), e["retryable"].clone()),
        (json!(401), json!("authorization_error"), json!(false))
    );
    assert_eq!(
        sentence,
        "failed to search models: 401 No user found for Key ID and Secret. fal rejected the key: send a valid fal key to this server as 'Authorization: Bearer <FAL_KEY>' (keys look like key_id:key_secret; see https://fal.ai/dashboard/keys)"
    );

    let (e, sentence) = err(&app.call("locked:key-secret", "search_models", search.clone()).await);
    assert_eq!(e["status"], 403);
    assert!(sentence.contains("User is locked") && sentence.contains("balance"), "{sentence}");

    app.fake.fail_next(
        "/v1/models",
        429,
        &[("retry-after", "7")],
        r#"{"error":{"type":"rate_limited","message":"Rate limit exceeded"}}"#,
    );
    let (e, sentence) = err(&app.call(KEY, "search_models", search.clone()).await);
    assert_eq!(
        e,
        json!({"status": 429, "type": "rate_limited", "message": "Rate limit exceeded", "retryable": true, "retry_after": 7})
    );
    assert!(sentence.ends_with("retry after 7 seconds"), "{sentence}");

    app.fake.fail_next(
        "/v1/models",
        503,
        &[("x-fal-error-type", "runner_scheduling_failure")],
        r#"{"detail":"No runners available"}"#,
    );
    let (e, sentence) = err(&app.call(KEY, "search_models", search.clone()).await);
    assert_eq!(
        (e["status"].clone(), e["type"].clone(), e["retryable"].clone()),
        (json!(503), json!("runner_scheduling_failure"), json!(true))
    );
    assert!(sentence.starts_with("failed to search models: 503 No runners available. "), "{sentence}");

    app.fake.fail_next("/v1/models", 500, &[], "<html><body>Internal Server Error</body></html>");
    let (e, _) = err(&app.call(KEY, "search_models", search.clone()).await);
    assert_eq!((e["message"].clone(), e["retryable"].clone()), (json!("Internal Server Error"), json!(true)));

    app.fake.fail_next("/v1/models", 200, &[("content-type", "application/json")], "{\"models\": [garbage");
    let (e, sentence) = err(&app.call(KEY, "search_models", search.clone()).await);
    assert_eq!(e["type"], "invalid_response");
    assert!(sentence.contains("cannot read"), "{sentence}");

    app.fake.stall_next("/v1/models", Duration::from_secs(4));
    let started = std::time::Instant::now();
    let (e, sentence) = err(&app.call(KEY, "search_models", search.clone()).await);
    assert!(started.elapsed() < Duration::from_secs(4), "the upstream timeout (2 s in tests) bounds the call");
    assert_eq!(
        (e["type"].clone(), e["retryable"].clone(), e["status"].clone()),
        (json!("timeout"), json!(true), Value::Null)
    );
    assert!(sentence.contains("retry"), "{sentence}");

    // Failures are not cached: the same search now succeeds.
    assert!(ok(&app.call(KEY, "search_models", search).await)["total_shown"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn get_model_schema_is_compact_and_complete() {
    let app = spawn_app().await;
    let schema = ok(&app.call(KEY, "get_model_schema", json!({"endpoint_id": "fal-ai/flux/dev"})).await);
    assert_eq!(schema["endpoint_id"], "fal-ai/flux/dev");
    assert_eq!(schema["category"], "text-to-image");
    let input = &schema["input"];
    assert_eq!(input["type"], "object");
    assert!(input["required"].as_array().unwrap().contains(&json!("prompt")));
    let props = input["properties"].as_object().unwrap();
    assert_eq!(props.keys().next().map(String::as_str), Some("prompt"), "fal's field order is kept");
    let steps = &props["num_inference_steps"];
    assert_eq!(
        (steps["type"].clone(), steps["minimum"].clone(), steps["maximum"].clone()),
        (json!("integer"), json!(1), json!(50))
    );
    assert!(steps["default"].is_number() && steps["description"].is_string());
    let size = props["image_size"].to_string();
    assert!(size.contains("landscape_4_3") && size.contains("width"), "ImageSize was resolved: {size}");
    assert!(schema["output"]["properties"]["images"]["items"]["properties"]["url"].is_object());

    let compact = format!("{}{}", schema["input"], schema["output"]);
    for noise in ["$ref", "\"title\"", "x-fal", "QueueStatus", "securitySchemes"] {
        assert!(!compact.contains(noise), "{noise} left in the schema");
    }
    let raw = serde_json::to_vec(&app.fake.openapi("fal-ai/flux/dev")).unwrap().len();
    let ours = serde_json::to_vec(&schema).unwrap().len();
    assert!(ours * 2 < raw, "compact schema {ours} B is not under half the raw {raw} B");
    println!(
        "get_model_schema fal-ai/flux/dev: {ours} bytes vs raw OpenAPI {raw} bytes ({:.0}% smaller)",
        100.0 * (1.0 - ours as f64 / raw as f64)
    );
}

#[tokio::test]
async fn unknown_or_schemaless_models_say_what_to_do() {
    let app = spawn_app().await;
    let (e, sentence) = err(&app.call(KEY, "get_model_schema", json!({"endpoint_id": "nobody/nothing"})).await);
    assert_eq!((e["status"].clone(), e["type"].clone()), (json!(404), json!("not_found")));
    assert!(sentence.contains("search_models"), "{sentence}");

    let (e, sentence) = err(&app.call(KEY, "get_model_schema", json!({"endpoint_id": "acme/no-schema"})).await);
    assert_eq!(e["type"], "schema_unavailable");
    assert!(sentence.contains("OpenAPI schema not available"), "{sentence}");

    let request = app.fake.requests_to("/v1/models").pop().unwrap();
    assert!(
        request.query.contains("expand=openapi-3.0") && request.query.contains("endpoint_id=acme%2Fno-schema"),
        "{}",
        request.query
    );
}

#[tokio::test]
async fn get_pricing_prices_one_or_many_and_estimates() {
    let app = spawn_app().await;
    let flux = app.fake.fixture("fal-ai/flux/dev").unwrap();
    let one = ok(&app.call(KEY, "get_pricing", json!({"endpoint_id": "fal-ai/flux/dev"})).await);
    assert_eq!(
        one["prices"],
        json!([{"endpoint_id": "fal-ai/flux/dev", "unit_price": flux["unit_price"], "unit": flux["unit"], "currency": "USD"}])
    );
    assert!(one.get("estimate").is_none());

    let veo = app.fake.fixture("fal-ai/veo3").unwrap();
    let many = ok(&app
        .call(
            KEY,
            "get_pricing",
            json!({"endpoint_ids": ["fal-ai/flux/dev", "fal-ai/veo3", "nobody/nothing"], "quantity": 4}),
        )
        .await);
    assert_eq!(many["prices"].as_array().unwrap().len(), 2);
    assert_eq!(many["unpriced"], json!(["nobody/nothing"]));
    let expected = flux["unit_price"].as_f64().unwrap() * 4.0 + veo["unit_price"].as_f64().unwrap() * 4.0;
    let total = many["estimate"]["total_cost"].as_f64().unwrap();
    assert!((total - expected).abs() < 1e-6, "{total} vs {expected}");
    assert_eq!(many["estimate"]["quantity"], 4.0);
    let estimate = app.fake.requests_to("/pricing/estimate").pop().unwrap();
    let body: Value = serde_json::from_str(&estimate.body).unwrap();
    assert_eq!(body["estimate_type"], "unit_price");
    assert_eq!(body["endpoints"]["fal-ai/veo3"]["unit_quantity"], 4.0);
    let prices = app.fake.requests_to("/v1/models/pricing").pop().unwrap();
    assert_eq!(prices.query.matches("endpoint_id=").count(), 3);
}

#[tokio::test]
async fn get_pricing_refuses_bad_input_and_reports_fal_errors() {
    let app = spawn_app().await;
    let fifty_one: Vec<String> = (0..51).map(|i| format!("owner/model-{i}")).collect();
    for (args, needle) in [
        (json!({}), "no endpoint given"),
        (json!({"endpoint_ids": fifty_one}), "at most 50"),
        (json!({"endpoint_id": "fal-ai/flux/dev", "quantity": 0}), "quantity 0"),
        (json!({"endpoint_id": "fal-ai/flux/dev", "quantity": -3}), "quantity -3"),
    ] {
        let (e, sentence) = err(&app.call(KEY, "get_pricing", args).await);
        assert_eq!(e["type"], "invalid_argument");
        assert!(sentence.contains(needle), "{sentence}");
    }
    assert!(app.fake.requests().is_empty());

    app.fake.fail_next(
        "/pricing/estimate",
        500,
        &[],
        r#"{"error":{"type":"server_error","message":"estimator down"}}"#,
    );
    let (e, sentence) =
        err(&app.call(KEY, "get_pricing", json!({"endpoint_id": "fal-ai/flux/dev", "quantity": 1})).await);
    assert_eq!((e["status"].clone(), e["retryable"].clone()), (json!(500), json!(true)));
    assert!(sentence.starts_with("failed to estimate the cost: 500 estimator down."), "{sentence}");
}
