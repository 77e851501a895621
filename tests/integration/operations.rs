//! Operating the server: metrics, load shedding, CORS, request ids and per-request log lines.

use serde_json::json;

use crate::support::{fake::Script, ok, spawn_app, spawn_app_with, wait_for_log};

const KEY: &str = "ops-id:ops-secret";

#[tokio::test]
async fn metrics_count_tool_calls_and_time_fal_routes_without_user_labels() {
    let app = spawn_app().await;
    ok(&app.call(KEY, "search_models", json!({"query": "flux"})).await);
    let _ = app.call(KEY, "get_model_schema", json!({"endpoint_id": "nobody/nothing"})).await;
    let response = crate::support::http().get(format!("{}/metrics", app.base)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = response.text().await.unwrap();
    let value = |prefix: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in\n{text}"))
            .rsplit(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(value(r#"fal_mcp_tool_calls_total{tool="search_models",outcome="ok"}"#) >= 1.0);
    assert!(value(r#"fal_mcp_tool_calls_total{tool="get_model_schema",outcome="error"}"#) >= 1.0);
    assert!(value(r#"fal_mcp_fal_request_duration_seconds_count{route="GET /v1/models"}"#) >= 1.0);
    assert!(text.contains("fal_mcp_http_requests_in_flight"));
    assert!(!text.contains("ops-id") && !text.contains("ops-secret"), "no per-user labels");
}

#[tokio::test]
async fn requests_past_the_concurrency_limit_get_503_with_retry_after() {
    let app = spawn_app_with(&["--max-concurrency", "1"]).await;
    app.fake.script("fal-ai/flux/dev", Script::manual(json!({})));
    let busy = app.spawn_call(KEY, "run_model", json!({"endpoint_id": "fal-ai/flux/dev", "input": {"prompt": "x"}}));
    let id = app.fake.nth_job(1).await;
    app.fake.wait_for("the status stream", |r| r.path.ends_with("/status/stream")).await;
    let shed =
        app.post(&[("authorization", &format!("Bearer {KEY}"))], r#"{"jsonrpc":"2.0","id":2,"method":"ping"}"#).await;
    assert_eq!(shed.status(), 503);
    assert_eq!(shed.headers()["retry-after"], "1");
    app.fake.finish_job(&id);
    assert_eq!(ok(&busy.await.unwrap())["status"], "COMPLETED", "the request holding the slot completes");
    let after =
        app.post(&[("authorization", &format!("Bearer {KEY}"))], r#"{"jsonrpc":"2.0","id":3,"method":"ping"}"#).await;
    assert_eq!(after.status(), 200, "the slot is free again once the first response ended");
    let metrics =
        crate::support::http().get(format!("{}/metrics", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains(r#"fal_mcp_requests_shed_total{reason="concurrency"}"#));
}

#[tokio::test]
async fn cors_preflight_is_answered_for_allowed_origins_only() {
    let app = spawn_app_with(&["--allowed-origins", "https://app.example.com"]).await;
    let preflight = |origin: &'static str| {
        crate::support::http()
            .request(reqwest::Method::OPTIONS, &app.mcp_url)
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization, content-type, mcp-protocol-version")
            .send()
    };
    let allowed = preflight("https://app.example.com").await.unwrap();
    assert!(allowed.status().is_success(), "{}", allowed.status());
    assert_eq!(allowed.headers()["access-control-allow-origin"], "https://app.example.com");
    let allow_headers = allowed.headers()["access-control-allow-headers"].to_str().unwrap().to_ascii_lowercase();
    for header in ["authorization", "content-type", "accept", "mcp-protocol-version"] {
        assert!(allow_headers.contains(header), "{allow_headers}");
    }
    let refused = preflight("https://evil.example").await.unwrap();
    assert!(refused.headers().get("access-control-allow-origin").is_none());
    let call = app
        .post(
            &[("origin", "https://app.example.com"), ("authorization", &format!("Bearer {KEY}"))],
            r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#,
        )
        .await;
    assert_eq!(call.headers()["access-control-allow-origin"], "https://app.example.com");
    assert!(call.headers()["access-control-expose-headers"].to_str().unwrap().contains("x-request-id"));
}

#[tokio::test]
async fn each_request_gets_an_id_and_one_log_line_with_its_fal_calls() {
    let app = spawn_app().await;
    let body = json!({"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {"name": "get_pricing", "arguments": {"endpoint_id": "fal-ai/flux/dev", "quantity": 2}}});
    let response = app
        .post(&[("authorization", &format!("Bearer {KEY}")), ("x-request-id", "trace-me-42")], &body.to_string())
        .await;
    assert_eq!(response.headers()["x-request-id"], "trace-me-42");
    response.text().await.unwrap();
    let generated =
        app.post(&[("authorization", &format!("Bearer {KEY}"))], r#"{"jsonrpc":"2.0","id":5,"method":"ping"}"#).await;
    assert_eq!(generated.headers()["x-request-id"].len(), 16);
    // The line is written when the response body ends, a moment after the client has read it.
    let logs = wait_for_log("request_id=trace-me-42").await;
    let line = logs.lines().find(|l| l.contains("request_id=trace-me-42")).expect("a log line for the request");
    for part in [
        "http_method=POST",
        "rpc_method=\"tools/call\"",
        "tool=\"get_pricing\"",
        "status=200",
        "outcome=\"ok\"",
        "GET /v1/models/pricing 200",
        "POST /v1/models/pricing/estimate 200",
        "latency_ms=",
    ] {
        assert!(line.contains(part), "{part} missing from: {line}");
    }
    assert_eq!(logs.lines().filter(|l| l.contains("request_id=trace-me-42")).count(), 1, "one line per request");
}
