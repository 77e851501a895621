//! search_models against the fake fal: pages, refusals, and fal's failures as tool errors.

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
    // Said once: an active model's status and empty fields are left out.
    assert_eq!(fixture["status"], "active");
    assert!(models[0].get("status").is_none());
    assert_eq!(models[0].get("tags").unwrap_or(&json!([])), &fixture["tags"]);
    assert!(models.iter().all(|m| m["category"] == "text-to-image"));

    let cursor = first["next_cursor"].as_str().unwrap().to_string();
    let second =
        ok(&app.call(KEY, "search_models", json!({"category": "text-to-image", "limit": 5, "cursor": cursor})).await);
    let ids = |v: &Value| v["models"].as_array().unwrap().iter().map(|m| m["endpoint_id"].clone()).collect::<Vec<_>>();
    assert!(ids(&second).iter().all(|id| !ids(&first).contains(id)), "page 2 repeats page 1");

    let request = app.fake.requests_to("/v1/models").pop().unwrap();
    assert!(request.query.contains("category=text-to-image") && request.query.contains("limit=5"), "{}", request.query);

    let by_text = ok(&app.call(KEY, "search_models", json!({"query": "lip sync", "limit": 10})).await);
    let found = ids(&by_text);
    assert!(found.contains(&json!("fal-ai/sync-lipsync/v2")), "{found:?}");
    // More lip-sync models than one page: this server's own cursor pages its ranking.
    assert_eq!(by_text["has_more"], true);
    let cursor = by_text["next_cursor"].as_str().unwrap();
    assert_eq!(cursor, "fm:10");
    let more = ok(&app.call(KEY, "search_models", json!({"query": "lip sync", "limit": 10, "cursor": cursor})).await);
    assert!(!ids(&more).is_empty() && ids(&more).iter().all(|id| !found.contains(id)), "page 2 repeats page 1");
    let (e, sentence) = err(&app.call(KEY, "search_models", json!({"query": "lip sync", "cursor": "fm:x"})).await);
    assert_eq!(e["type"], "invalid_argument");
    assert!(sentence.contains("cursor"), "{sentence}");

    let nothing = ok(&app.call(KEY, "search_models", json!({"query": "qwxzv-plorbt"})).await);
    assert_eq!(nothing["total_shown"], 0);
    assert!(app.fake.unexpected().is_empty());
}

#[tokio::test]
async fn search_models_reads_what_a_model_should_do_and_still_finds_names_first() {
    let app = spawn_app().await;
    let top = |answer: &Value, n: usize| -> Vec<(String, String)> {
        answer["models"]
            .as_array()
            .unwrap()
            .iter()
            .take(n)
            .map(|m| (m["endpoint_id"].as_str().unwrap().to_string(), m["category"].as_str().unwrap().to_string()))
            .collect()
    };
    // fal's own search (the fake's: every word must appear) finds nothing for this sentence.
    for query in
        ["remove the background from a video", "quitar el fondo de un vídeo", "Hintergrund aus einem Video entfernen"]
    {
        let answer = ok(&app.call(KEY, "search_models", json!({"query": query})).await);
        let found = top(&answer, 3);
        assert!(
            found.iter().any(|(id, category)| category == "video-to-video" && id.contains("background")),
            "{query}: {found:?}"
        );
    }
    let by_id = ok(&app.call(KEY, "search_models", json!({"query": "fal-ai/flux/dev"})).await);
    assert_eq!(top(&by_id, 1)[0].0, "fal-ai/flux/dev");
    let by_name = ok(&app.call(KEY, "search_models", json!({"query": "Nano Banana"})).await);
    assert_eq!(top(&by_name, 1)[0].0, "fal-ai/nano-banana");
    let in_category =
        ok(&app.call(KEY, "search_models", json!({"query": "upscale", "category": "video-to-video"})).await);
    assert!(in_category["models"].as_array().unwrap().iter().all(|m| m["category"] == "video-to-video"));
    assert!(in_category["total_shown"].as_u64().unwrap() > 0);
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
    let (error, sentence) = err(&app.call(KEY, "search_models", json!({"limit": "ten"})).await);
    assert_eq!(error["type"], "invalid_argument");
    assert!(sentence.contains("limit must be a whole number"), "{sentence}");
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
        "failed to search models: 401 No user found for Key ID and Secret. fal rejected the key: sign in to this server again, or send a valid fal key as 'Authorization: Bearer <FAL_KEY>' (keys look like key_id:key_secret; see https://fal.ai/dashboard/keys)"
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
