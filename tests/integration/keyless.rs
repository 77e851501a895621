//! Reading before sign-in: with FAL_MCP_READ_WITHOUT_KEY (on by default with sign-in), a request
//! with no Authorization may initialize, list the tools and call the ones that read only fal's
//! public catalog and docs; a tool that spends or reads an account answers the 401 that starts a
//! client's sign-in, and nothing reaches fal for it; keyless calls are rate-limited per address.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    oauth::{PUBLIC, SECRET},
    support::{TestApp, rpc_body, spawn_app_with},
};

fn call(tool: &str, arguments: Value) -> String {
    json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": tool, "arguments": arguments}})
        .to_string()
}

async fn keyless(app: &TestApp, body: &str) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let response = app.post(&[], body).await;
    (response.status(), response.headers().clone(), response.text().await.unwrap())
}

#[tokio::test]
async fn with_sign_in_on_anyone_may_discover_and_a_paid_call_asks_to_sign_in() {
    let app = spawn_app_with(&["--public-url", PUBLIC, "--token-secret", SECRET]).await;
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "directory-review", "version": "1"}}});
    let (status, _, body) = keyless(&app, &init.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(rpc_body(&body)["result"]["serverInfo"]["name"], "fal-mcp");
    let (status, _, body) = keyless(&app, r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#).await;
    assert_eq!(status, StatusCode::OK);
    assert!(rpc_body(&body)["result"]["tools"].as_array().unwrap().len() >= 9);

    for (tool, arguments) in [
        ("search_models", json!({"query": "flux"})),
        ("get_model_schema", json!({"endpoint_id": "fal-ai/flux/dev"})),
        ("search_docs", json!({"query": "webhooks"})),
        ("recommend_model", json!({"task": "a logo for a coffee shop"})),
    ] {
        let (status, _, body) = keyless(&app, &call(tool, arguments)).await;
        assert_eq!(status, StatusCode::OK, "{tool}: {body}");
        let result = &rpc_body(&body)["result"];
        assert_ne!(result["isError"], true, "{tool}: {result}");
        if tool == "recommend_model" {
            let first = &result["structuredContent"]["recommendations"][0];
            assert!(
                first["endpoint_id"].is_string() && first.get("unit_price").is_none(),
                "prices need a key: {first}"
            );
        }
    }
    assert!(app.fake.requests().iter().all(|r| r.authorization.is_none()), "nothing keyed reached fal");

    for (tool, arguments) in [
        ("run_model", json!({"endpoint_id": "fal-ai/flux/dev", "input": {"prompt": "a fox"}})),
        ("submit_job", json!({"endpoint_id": "fal-ai/flux/dev", "input": {"prompt": "a fox"}})),
        ("get_pricing", json!({"endpoint_id": "fal-ai/flux/dev"})),
        ("upload_file", json!({"data": "aGk="})),
        ("check_job", json!({"endpoint_id": "fal-ai/flux/dev", "request_id": "00000001-fa1f-4a1e-8000-000000001eef"})),
    ] {
        let (status, headers, body) = keyless(&app, &call(tool, arguments)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{tool}: {body}");
        let challenge = headers["www-authenticate"].to_str().unwrap();
        assert!(
            challenge.contains("resource_metadata=\"http://localhost:9/.well-known/oauth-protected-resource/mcp\"")
        );
        assert!(body.contains(&format!("{tool} needs your fal key")), "{body}");
    }
    assert!(app.fake.requests().iter().all(|r| !r.path.starts_with("/queue") && !r.path.contains("pricing")));

    // A Bearer value is still checked: only a request with no Authorization reads keyless.
    let (status, _, _) = {
        let response = app.post(&[("authorization", "Bearer not-a-key")], &call("search_models", json!({}))).await;
        (response.status(), (), ())
    };
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn keyless_reads_are_off_without_sign_in_unless_turned_on_and_limited_per_address() {
    let plain = spawn_app_with(&[]).await;
    assert_eq!(keyless(&plain, &call("search_models", json!({"query": "flux"}))).await.0, StatusCode::UNAUTHORIZED);
    let off = spawn_app_with(&["--public-url", PUBLIC, "--token-secret", SECRET, "--read-without-key", "false"]).await;
    assert_eq!(keyless(&off, r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#).await.0, StatusCode::UNAUTHORIZED);

    let open = spawn_app_with(&["--read-without-key", "--keyless-calls-per-minute", "2"]).await;
    for _ in 0..3 {
        let (status, _, _) = keyless(&open, r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#).await;
        assert_eq!(status, StatusCode::OK, "listing is not a call");
    }
    for n in 0..2 {
        let (status, _, body) = keyless(&open, &call("search_models", json!({"query": "flux"}))).await;
        assert_eq!(status, StatusCode::OK, "call {n}: {body}");
    }
    let (status, headers, body) = keyless(&open, &call("search_models", json!({"query": "flux"}))).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(headers["retry-after"], "60");
    assert!(body.contains("2 calls a minute") && body.contains("sign in"), "{body}");
    let (status, headers, _) =
        keyless(&open, &call("run_model", json!({"endpoint_id": "fal-ai/flux/dev", "input": {}}))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(headers["www-authenticate"], "Bearer realm=\"fal-mcp\"", "no sign-in to point at");
}

#[tokio::test]
async fn a_keyless_get_of_the_stream_is_answered_as_for_anyone_not_with_a_challenge() {
    let app = spawn_app_with(&["--public-url", PUBLIC, "--token-secret", SECRET]).await;
    let response = crate::support::http()
        .get(&app.mcp_url)
        .header("accept", "text/event-stream")
        .header("mcp-protocol-version", "2025-11-25")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED, "a stateless server has no stream to open");
    assert!(response.headers().get("www-authenticate").is_none(), "no sign-in starts before a paid call");
}
