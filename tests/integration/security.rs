//! Auth, the caller's key, Host/Origin checks, id validation and per-key cache isolation.

use serde_json::{Value, json};

use crate::support::{captured_logs, err, fake::ALICE_PRIVATE, http, ok, spawn_app, spawn_app_with, text};

const LIST: &str = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;

#[tokio::test]
async fn missing_empty_or_malformed_auth_is_401_with_instructions() {
    let app = spawn_app().await;
    for headers in [
        vec![],
        vec![("authorization", "Bearer ")],
        vec![("authorization", "Bearer")],
        vec![("authorization", "Basic dXNlcjpwYXNz")],
        vec![("authorization", "Key id:secret")],
        vec![("authorization", "Bearer two words")],
        vec![("authorization", "Bearer abc123")],
        vec![("authorization", "Bearer :secret")],
        vec![("authorization", "Bearer id:")],
        vec![("authorization", "Bearer a:b:c")],
        vec![("authorization", "Bearer falmcp_at_c2lnbi1pbi1vZmY")],
    ] {
        let response = app.post(&headers, LIST).await;
        assert_eq!(response.status(), 401, "{headers:?}");
        assert!(response.headers()["www-authenticate"].to_str().unwrap().starts_with("Bearer"));
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "unauthorized");
        let message = body["message"].as_str().unwrap();
        assert!(message.contains("Authorization: Bearer <FAL_KEY>") && message.contains("key_id:key_secret"), "{body}");
    }
    let token = app.post(&[("authorization", "Bearer falmcp_at_c2lnbi1pbi1vZmY")], LIST).await;
    let body: Value = token.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("sign-in off"), "{body}");
    assert!(app.fake.requests().is_empty(), "no value that cannot be a key reached fal");
}

#[tokio::test]
async fn a_url_is_fetched_only_for_a_key_fal_accepted_and_the_check_is_remembered() {
    use std::sync::atomic::Ordering;
    let app = spawn_app_with(&["--allow-private-urls"]).await;
    let (slow, connections) = crate::support::silent_listener().await;
    let started = std::time::Instant::now();
    let (error, sentence) = err(&app.call("bad:not-a-real-key", "upload_file", json!({"url": slow})).await);
    assert!(started.elapsed() < std::time::Duration::from_secs(3), "refused at once, not after the fetch");
    assert_eq!(error["type"], "authorization_error", "{error}");
    assert!(sentence.contains("fal"), "{sentence}");
    assert_eq!(connections.load(Ordering::SeqCst), 0, "the URL was fetched for a key fal refused");

    let good = "fetch-id:fetch-secret";
    let source = format!("{}/source/10.png", app.fake.url);
    ok(&app.call(good, "upload_file", json!({"url": source})).await);
    ok(&app.call(good, "upload_file", json!({"url": source})).await);
    assert_eq!(app.fake.keyed_requests_to("/v1/models/pricing").len(), 2, "one check per key: bad once, good once");
}

#[tokio::test]
async fn the_key_reaches_fal_as_key_and_nowhere_else() {
    let app = spawn_app().await;
    let key = "canary-id-7f3a:canary-secret-91be";
    let searched = ok(&app.call(key, "search_models", json!({"query": "flux"})).await);
    assert!(searched["models"].as_array().unwrap().len() > 1);
    ok(&app.call(key, "get_pricing", json!({"endpoint_id": "fal-ai/flux/dev", "quantity": 2})).await);
    ok(&app.call(key, "search_docs", json!({"query": "webhooks"})).await);
    let failed = app.call(key, "get_model_schema", json!({"endpoint_id": "nobody/nothing"})).await;
    assert!(!text(&failed).contains("canary"));

    let requests = app.fake.requests();
    for r in requests.iter().filter(|r| r.path.starts_with("/api/")) {
        // The public catalog's listing is fetched without any key, shared by every caller.
        let catalog = r.path.ends_with("/v1/models") && !r.query.contains("q=") && !r.query.contains("endpoint_id=");
        let expected = if catalog { None } else { Some(format!("Key {key}")) };
        assert_eq!(r.authorization, expected, "{} {}", r.path, r.query);
    }
    for r in requests.iter().filter(|r| r.path.starts_with("/docs/")) {
        assert_eq!(r.authorization, None, "the key is not sent to the docs host");
        assert!(!r.body.contains("canary"));
    }
    let logs = captured_logs();
    assert!(!logs.is_empty(), "logs are being captured");
    assert!(!logs.contains("canary-secret-91be") && !logs.contains("canary-id-7f3a"), "the key was logged");
}

#[tokio::test]
async fn a_key_echoed_by_fal_is_redacted() {
    let app = spawn_app().await;
    let key = "echo:super-secret-value-123";
    let result = app.raw_call(key, "search_models", json!({"query": "flux"})).await;
    let body = result.to_string();
    assert_eq!(result["isError"], true);
    assert!(!body.contains("super-secret-value-123"), "{body}");
    assert!(body.contains("[redacted]"), "{body}");
}

#[tokio::test]
async fn host_and_origin_are_checked_before_auth() {
    let app = spawn_app().await;
    let auth = "Bearer id:secret";
    let evil_host = app.post(&[("host", "evil.example"), ("authorization", auth)], LIST).await;
    assert_eq!(evil_host.status(), 403);
    let body: Value = evil_host.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("FAL_MCP_ALLOWED_HOSTS"));
    let no_auth_evil_host = app.post(&[("host", "evil.example")], LIST).await;
    assert_eq!(no_auth_evil_host.status(), 403, "the guard runs before auth");

    for origin in ["https://evil.example", "null", "http://localhost.evil.example"] {
        let response = app.post(&[("origin", origin), ("authorization", auth)], LIST).await;
        assert_eq!(response.status(), 403, "{origin}");
    }
    for origin in ["http://localhost:6274", "http://127.0.0.1", "http://[::1]:3000"] {
        let response = app.post(&[("origin", origin), ("authorization", auth)], LIST).await;
        assert_eq!(response.status(), 200, "{origin}");
    }
    for host in ["localhost", "localhost:1234", "127.0.0.1", "[::1]:80"] {
        let response = app.post(&[("host", host), ("authorization", auth)], LIST).await;
        assert_eq!(response.status(), 200, "{host}");
    }
}

#[tokio::test]
async fn configured_hosts_and_origins_are_accepted() {
    let app = spawn_app_with(&[
        "--allowed-hosts",
        "mcp.example.com, other.example",
        "--allowed-origins",
        "https://app.example.com",
    ])
    .await;
    let auth = "Bearer id:secret";
    for (headers, status) in [
        (vec![("host", "mcp.example.com")], 200),
        (vec![("host", "other.example:8443")], 200),
        (vec![("host", "third.example")], 403),
        (vec![("origin", "https://app.example.com")], 200),
        (vec![("origin", "https://app.example.com:8443")], 403),
    ] {
        let mut headers = headers;
        headers.push(("authorization", auth));
        assert_eq!(app.post(&headers, LIST).await.status(), status, "{headers:?}");
    }
}

#[tokio::test]
async fn hostile_endpoint_ids_never_leave_the_server() {
    let app = spawn_app().await;
    let client = app.client("id:secret").await;
    for id in [
        "../../v1/keys",
        "fal-ai/flux?x=1",
        "fal-ai/flux#x",
        "fal-ai/%2e%2e/x",
        "flux",
        "fal-ai\\flux",
        "fal-ai/ flux",
        "",
    ] {
        for (tool, args) in [
            ("get_model_schema", json!({"endpoint_id": id})),
            ("get_pricing", json!({"endpoint_id": id})),
            ("get_pricing", json!({"endpoint_ids": ["fal-ai/flux/dev", id]})),
        ] {
            let (error, sentence) = err(&crate::support::call(&client, tool, args).await);
            assert_eq!(error["type"], "invalid_argument", "{tool} {id:?}");
            assert_eq!(error["status"], Value::Null);
            assert!(sentence.contains("endpoint_id"), "{sentence}");
        }
    }
    client.cancel().await.ok();
    assert!(app.fake.requests().is_empty(), "a refused id reached fal: {:?}", app.fake.requests());
}

#[tokio::test]
async fn caches_never_serve_one_callers_answer_to_another() {
    let app = spawn_app().await;
    let alice = "alice:alice-secret-1";
    let bob = "bob:bob-secret-2";
    let ids = |v: &Value| -> Vec<String> {
        v["models"].as_array().unwrap().iter().map(|m| m["endpoint_id"].as_str().unwrap().to_string()).collect()
    };
    let args = json!({"query": "portrait", "category": "text-to-image"});
    let first = ok(&app.call(alice, "search_models", args.clone()).await);
    assert!(ids(&first).contains(&ALICE_PRIVATE.to_string()));
    let for_bob = ok(&app.call(bob, "search_models", args.clone()).await);
    assert!(!ids(&for_bob).contains(&ALICE_PRIVATE.to_string()), "bob saw alice's cached answer");
    assert_eq!(app.fake.keyed_requests_to("/v1/models").len(), 2, "each caller asked fal once");
    let again = ok(&app.call(alice, "search_models", args).await);
    assert_eq!(ids(&again), ids(&first));
    assert_eq!(app.fake.keyed_requests_to("/v1/models").len(), 2, "alice's repeat came from the cache");

    let schema_alice = ok(&app.call(alice, "get_model_schema", json!({"endpoint_id": ALICE_PRIVATE})).await);
    assert_eq!(schema_alice["endpoint_id"], ALICE_PRIVATE);
    let (error, _) = err(&app.call(bob, "get_model_schema", json!({"endpoint_id": ALICE_PRIVATE})).await);
    assert_eq!(error["type"], "not_found", "bob must not get alice's cached schema");
}

#[tokio::test]
async fn healthz_is_not_behind_the_guard_but_mcp_is() {
    let app = spawn_app().await;
    let health = http().get(format!("{}/healthz", app.base)).header("host", "10.0.0.7:8080").send().await.unwrap();
    assert_eq!(health.status(), 200);
}
