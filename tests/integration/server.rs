//! The transport: stateless Streamable HTTP, protocol negotiation, rmcp's answers to bad requests.

use serde_json::{Value, json};

use crate::support::{http, rpc_body, spawn_app};

const KEY: &str = "server-id:server-secret";

fn init(version: &str) -> String {
    json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "curl", "version": "0"}}})
    .to_string()
}

#[tokio::test]
async fn healthz_answers_without_auth() {
    let app = spawn_app().await;
    let response = http().get(format!("{}/healthz", app.base)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "ok");
}

#[tokio::test]
async fn initialize_negotiates_2025_versions_statelessly() {
    let app = spawn_app().await;
    let auth = format!("Bearer {KEY}");
    for (asked, answered) in [
        ("2025-03-26", "2025-03-26"),
        ("2025-06-18", "2025-06-18"),
        ("2025-11-25", "2025-11-25"),
        ("2024-11-05", "2025-11-25"),
        ("2026-07-28", "2025-11-25"),
    ] {
        let response = app.post(&[("authorization", &auth), ("mcp-protocol-version", asked)], &init(asked)).await;
        assert_eq!(response.status(), 200, "{asked}");
        assert!(response.headers().get("mcp-session-id").is_none(), "stateless: no session id");
        assert_eq!(response.headers()["content-type"], "application/json");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["result"]["protocolVersion"], answered, "{asked}");
        assert_eq!(body["result"]["serverInfo"]["name"], "fal-mcp");
        assert!(body["result"]["capabilities"]["tools"].is_object());
        assert!(body["result"]["instructions"].as_str().unwrap().contains("recommend_model"));
    }
}

#[tokio::test]
async fn server_discover_works_at_2026_07_28() {
    let app = spawn_app().await;
    let meta = json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}});
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "server/discover", "params": {"_meta": meta}});
    let response = app
        .post(
            &[
                ("authorization", &format!("Bearer {KEY}")),
                ("mcp-protocol-version", "2026-07-28"),
                ("mcp-method", "server/discover"),
            ],
            &body.to_string(),
        )
        .await;
    assert_eq!(response.status(), 200);
    let json = rpc_body(&response.text().await.unwrap());
    let versions = json["result"]["supportedVersions"].as_array().unwrap();
    assert!(versions.contains(&json!("2026-07-28")) && versions.contains(&json!("2025-03-26")));
    assert!(!versions.contains(&json!("2024-11-05")));
}

#[tokio::test]
async fn get_and_delete_are_405_and_bad_requests_get_rmcps_answers() {
    let app = spawn_app().await;
    let auth = format!("Bearer {KEY}");
    for method in [reqwest::Method::GET, reqwest::Method::DELETE] {
        let response = http()
            .request(method.clone(), &app.mcp_url)
            .header("authorization", &auth)
            .header("accept", "text/event-stream")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 405, "{method}");
    }
    let truncated = app.post(&[("authorization", &auth)], r#"{"jsonrpc":"2.0","id":6,"method":"#).await;
    assert_eq!(truncated.status(), 415);
    let not_rpc = app.post(&[("authorization", &auth)], r#"{"hello":1}"#).await;
    assert_eq!(not_rpc.status(), 415);
    let wrong_accept = http()
        .post(&app.mcp_url)
        .header("authorization", &auth)
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .body(init("2025-11-25"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_accept.status(), 406);
    let wrong_type = http()
        .post(&app.mcp_url)
        .header("authorization", &auth)
        .header("content-type", "text/plain")
        .header("accept", "application/json, text/event-stream")
        .body(init("2025-11-25"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_type.status(), 415);
    let unknown_tool = app
        .post(
            &[("authorization", &auth)],
            r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"nope","arguments":{}}}"#,
        )
        .await;
    let body: Value = unknown_tool.json().await.unwrap();
    assert_eq!(body["error"]["code"], -32602);
    // After all of that, the server still serves.
    let ok = app.post(&[("authorization", &auth)], r#"{"jsonrpc":"2.0","id":3,"method":"ping"}"#).await;
    assert_eq!(ok.status(), 200);
    assert!(app.fake.requests().is_empty(), "nothing reached fal");
}

#[tokio::test]
async fn mcp_is_served_at_exactly_one_path() {
    let app = spawn_app().await;
    let response = http()
        .post(format!("{}/mcp/extra", app.base))
        .header("authorization", format!("Bearer {KEY}"))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(init("2025-11-25"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn every_tool_is_fully_described() {
    let app = spawn_app().await;
    let client = app.client(KEY).await;
    let tools = client.list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    assert_eq!(
        names,
        [
            "cancel_job",
            "check_job",
            "get_job_result",
            "get_model_schema",
            "get_pricing",
            "recommend_model",
            "run_model",
            "search_docs",
            "search_models",
            "submit_job",
            "upload_file"
        ]
    );
    for tool in &tools {
        assert!(tool.title.is_some(), "{} has no title", tool.name);
        assert!(tool.description.as_deref().unwrap_or("").len() > 80, "{} description too thin", tool.name);
        let a = tool.annotations.as_ref().unwrap_or_else(|| panic!("{} has no annotations", tool.name));
        for hint in [a.read_only_hint, a.destructive_hint, a.idempotent_hint, a.open_world_hint] {
            assert!(hint.is_some(), "{}: every hint is set on purpose", tool.name);
        }
        let properties = tool.input_schema.get("properties").and_then(Value::as_object).unwrap();
        for (field, schema) in properties {
            assert!(schema.get("description").is_some(), "{}.{field} has no description", tool.name);
        }
        let output = tool.output_schema.as_ref().unwrap_or_else(|| panic!("{} has no output schema", tool.name));
        // A tool error's structured content is `{error: {…}}` alone: the schema must admit it.
        let admits =
            output.get("required").is_none() && output.get("additionalProperties") != Some(&Value::Bool(false));
        assert!(admits, "{}: output schema admits tool errors", tool.name);
    }
    client.cancel().await.ok();
}

#[tokio::test]
async fn the_tools_list_fast_path_answers_exactly_as_rmcp_does() {
    let app = spawn_app().await;
    let auth = format!("Bearer {KEY}");
    for id in ["7", "\"abc\"", "-3"] {
        let fast = app
            .post(&[("authorization", &auth)], &format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/list"}}"#))
            .await;
        assert_eq!(fast.headers()["content-type"], "application/json");
        let fast = fast.bytes().await.unwrap();
        // Params with _meta are not plain, so this one goes through rmcp.
        let slow = app
            .post(
                &[("authorization", &auth)],
                &format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/list","params":{{"_meta":{{}}}}}}"#),
            )
            .await
            .bytes()
            .await
            .unwrap();
        assert_eq!(fast, slow, "id {id}: the fast path and rmcp differ");
        let parsed: Value = serde_json::from_slice(&fast).unwrap();
        assert_eq!(parsed["id"], serde_json::from_str::<Value>(id).unwrap());
        assert_eq!(parsed["result"]["tools"].as_array().unwrap().len(), 11);
    }
    let list = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
    assert_eq!(app.post(&[("authorization", &auth), ("mcp-protocol-version", "1999-01-01")], list).await.status(), 400);
    let only_json = http()
        .post(&app.mcp_url)
        .header("authorization", &auth)
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .body(list)
        .send()
        .await
        .unwrap();
    assert_eq!(only_json.status(), 406, "rmcp's Accept check still applies");
    let no_auth = app.post(&[], list).await;
    assert_eq!(no_auth.status(), 401, "the fast path sits behind auth");
}

#[tokio::test]
async fn the_root_says_what_this_is_and_how_to_connect() {
    let app = spawn_app().await;
    let response = http().get(format!("{}/", app.base)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let page = response.text().await.unwrap();
    let host = app.base.trim_start_matches("http://");
    assert!(page.contains(&format!("http://{host}/mcp")), "{page}");
    assert!(page.contains("Authorization: Bearer &lt;FAL_KEY&gt;") && page.contains(env!("CARGO_PKG_VERSION")));
    let evil = http().get(format!("{}/", app.base)).header("host", "evil.example").send().await.unwrap();
    assert_eq!(evil.status(), 403, "the page never echoes a Host the server does not serve");
}

#[tokio::test]
async fn with_sign_in_off_the_oauth_routes_say_to_send_the_key_as_a_header() {
    let app = spawn_app().await;
    for (method, path) in [("POST", "/register"), ("GET", "/authorize"), ("POST", "/token")] {
        let request = http().request(method.parse().unwrap(), format!("{}{path}", app.base));
        let response = request.json(&json!({"redirect_uris": ["http://127.0.0.1:1/cb"]})).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "sign_in_off", "{path}");
        let said = body["error_description"].as_str().unwrap();
        assert!(said.contains("Authorization: Bearer <FAL_KEY>") && said.contains("FAL_MCP_PUBLIC_URL"), "{said}");
    }
}

#[tokio::test]
async fn the_read_only_url_serves_only_tools_that_spend_and_change_nothing() {
    let app = spawn_app().await;
    let mut readonly = crate::support::TestApp::attach(&app.base, app.fake.clone());
    readonly.mcp_url = format!("{}/mcp/readonly", app.base);
    let client = readonly.client(KEY).await;
    let tools = client.list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    assert_eq!(
        names,
        [
            "check_job",
            "get_job_result",
            "get_model_schema",
            "get_pricing",
            "recommend_model",
            "search_docs",
            "search_models"
        ]
    );
    assert!(tools.iter().all(|t| t.annotations.as_ref().and_then(|a| a.read_only_hint) == Some(true)));
    let found = crate::support::call(&client, "search_models", json!({"query": "flux"})).await;
    assert_ne!(found.is_error, Some(true));
    let run = json!({"jsonrpc": "2.0", "id": 5, "method": "tools/call",
        "params": {"name": "run_model", "arguments": {"endpoint_id": "fal-ai/flux/dev", "input": {"prompt": "a fox"}}}});
    let refused = readonly.post(&[("authorization", &format!("Bearer {KEY}"))], &run.to_string()).await;
    let answer = rpc_body(&refused.text().await.unwrap());
    assert!(answer.get("error").is_some() || answer["result"]["isError"] == true, "{answer}");
    client.cancel().await.ok();
    assert!(app.fake.requests().iter().all(|r| !r.path.starts_with("/queue")), "nothing was submitted");
}

#[tokio::test]
async fn the_registry_domain_proof_is_served_as_the_operator_set_it() {
    let proof = "v=MCPv1; k=ed25519; p=dGVzdC1wdWJsaWMta2V5LW5vdC1hLXJlYWwtb25lLTMyYg==";
    let app = crate::support::spawn_app_with(&["--registry-auth", proof]).await;
    let response = http().get(format!("{}/.well-known/mcp-registry-auth", app.base)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    assert_eq!(response.text().await.unwrap(), proof);
    let without = spawn_app().await;
    let absent = http().get(format!("{}/.well-known/mcp-registry-auth", without.base)).send().await.unwrap();
    assert_eq!(absent.status(), 404, "no proof set, no route");
    let refused = fal_mcp::Config::from_args(["fal-mcp", "--registry-auth", &"x".repeat(5000)]).unwrap();
    assert!(fal_mcp::build_app(&refused, Default::default()).unwrap_err().contains("FAL_MCP_REGISTRY_AUTH"));
}
