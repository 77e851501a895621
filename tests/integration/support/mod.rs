//! spawn_app(): the real application on port 0 against a fresh fake fal, with an MCP client that
//! checks every tool result the way validating clients (the official Python and TypeScript SDKs,
//! and Claude Code, Cursor and the Inspector on top of them) do, raw JSON-RPC helpers, and every
//! log line of the test process captured for leak checks. A TestApp fails its test when the fake
//! saw a request it did not expect.

pub mod fake;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, OnceLock},
};

use fal_mcp::Config;
use rmcp::{
    RoleClient, ServiceExt,
    model::{CallToolRequestParams, CallToolResult},
    service::RunningService,
    transport::{StreamableHttpClientTransport, streamable_http_client::StreamableHttpClientTransportConfig},
};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

pub use fake::FakeFal;

pub struct TestApp {
    pub base: String,
    pub mcp_url: String,
    pub fake: FakeFal,
    shutdown: CancellationToken,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
        if !std::thread::panicking() {
            let unexpected = self.fake.unexpected();
            assert!(unexpected.is_empty(), "the fake fal received requests it does not know: {unexpected:?}");
        }
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// The command line a test server gets, pointing every fal base URL at `fake`.
pub fn test_args(fake: &FakeFal) -> Vec<String> {
    let mut args = vec!["fal-mcp".to_string()];
    for (flag, prefix) in
        [("--fal-api-url", "api"), ("--fal-queue-url", "queue"), ("--fal-rest-url", "rest"), ("--fal-docs-url", "docs")]
    {
        args.push(flag.into());
        args.push(format!("{}/{prefix}", fake.url));
    }
    args.extend(["--upstream-timeout-secs".to_string(), "2".to_string()]);
    args
}

/// Starts the app with extra command-line flags (e.g. `--allowed-hosts`); `{base}` in them
/// becomes the server's own base URL.
pub async fn spawn_app_with(extra: &[&str]) -> TestApp {
    spawn_app_on(FakeFal::start().await, extra).await
}

/// Starts another app against an existing fake (two servers sharing a secret, say).
pub async fn spawn_app_on(fake: FakeFal, extra: &[&str]) -> TestApp {
    capture_logs();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut args = test_args(&fake);
    args.extend(extra.iter().map(|s| s.replace("{base}", &base)));
    let config = Config::from_args(args).expect("test config parses");
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        fal_mcp::serve(listener, &config, async move { stop.cancelled().await }).await.unwrap();
    });
    TestApp { mcp_url: format!("{base}/mcp"), base, fake, shutdown }
}

impl TestApp {
    /// A handle on a server started elsewhere (e.g. the binary as a process) at `base`.
    pub fn attach(base: &str, fake: FakeFal) -> Self {
        capture_logs();
        Self { base: base.to_string(), mcp_url: format!("{base}/mcp"), fake, shutdown: CancellationToken::new() }
    }

    /// Stops the server as SIGTERM would, keeping the fake running.
    pub fn shut_down(&self) {
        self.shutdown.cancel();
    }

    /// A connected rmcp client sending `Authorization: Bearer <key>`.
    pub async fn client(&self, key: &str) -> RunningService<RoleClient, ()> {
        connect(&self.mcp_url, key).await
    }

    /// Starts a tool call on a task of its own (for calls a test drives while they run).
    pub fn spawn_call(&self, key: &str, tool: &str, arguments: Value) -> tokio::task::JoinHandle<CallToolResult> {
        let (url, key, tool) = (self.mcp_url.clone(), key.to_string(), tool.to_string());
        tokio::spawn(async move {
            let client = connect(&url, &key).await;
            let result = call(&client, &tool, arguments).await;
            client.cancel().await.ok();
            result
        })
    }

    /// Calls a tool through a fresh client and returns its result, checked as validating clients check it.
    pub async fn call(&self, key: &str, tool: &str, arguments: Value) -> CallToolResult {
        let client = self.client(key).await;
        let result = call(&client, tool, arguments).await;
        client.cancel().await.ok();
        result
    }

    /// POSTs a raw JSON-RPC body with the usual MCP headers plus `headers`.
    pub async fn post(&self, headers: &[(&str, &str)], body: &str) -> reqwest::Response {
        let mut request = http()
            .post(&self.mcp_url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream");
        if !headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("mcp-protocol-version")) {
            request = request.header("mcp-protocol-version", "2025-11-25");
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.body(body.to_string()).send().await.unwrap()
    }

    /// A raw `tools/call` with a Bearer key; returns the JSON-RPC `result`, checked against the tool's output schema.
    pub async fn raw_call(&self, key: &str, tool: &str, arguments: Value) -> Value {
        let body = json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": tool, "arguments": arguments}});
        let response = self.post(&[("authorization", &format!("Bearer {key}"))], &body.to_string()).await;
        assert_eq!(response.status(), 200);
        let json = rpc_body(&response.text().await.unwrap());
        let result = json["result"].clone();
        let schemas = output_schemas(self).await;
        check_result(tool, &result, schemas.get(tool));
        result
    }
}

async fn connect(url: &str, key: &str) -> RunningService<RoleClient, ()> {
    let transport = StreamableHttpClientTransport::from_config(
        StreamableHttpClientTransportConfig::with_uri(url.to_string()).auth_header(key),
    );
    ().serve(transport).await.expect("MCP client connects")
}

/// Calls a tool and checks its result as the official SDKs' clients do.
pub async fn call(client: &RunningService<RoleClient, ()>, tool: &str, arguments: Value) -> CallToolResult {
    let Value::Object(arguments) = arguments else { panic!("arguments must be an object") };
    let result = client
        .call_tool(CallToolRequestParams::new(tool.to_string()).with_arguments(arguments))
        .await
        .unwrap_or_else(|e| panic!("tools/call {tool} failed at the protocol level: {e}"));
    let schemas = SCHEMAS.get().cloned();
    let schemas = match schemas {
        Some(schemas) => schemas,
        None => {
            let tools = client.list_all_tools().await.expect("tools/list");
            let map: HashMap<String, Value> = tools
                .into_iter()
                .filter_map(|t| Some((t.name.to_string(), Value::Object(t.output_schema?.as_ref().clone()))))
                .collect();
            SCHEMAS.get_or_init(|| Arc::new(map)).clone()
        }
    };
    check_result(tool, &serde_json::to_value(&result).unwrap(), schemas.get(tool));
    result
}

/// Every tool's output schema, as tools/list gives it (fetched once per test process).
static SCHEMAS: OnceLock<Arc<HashMap<String, Value>>> = OnceLock::new();

async fn output_schemas(app: &TestApp) -> Arc<HashMap<String, Value>> {
    if let Some(schemas) = SCHEMAS.get() {
        return schemas.clone();
    }
    let client = app.client("schema-id:schema-secret").await;
    let tools = client.list_all_tools().await.expect("tools/list");
    client.cancel().await.ok();
    let map = tools
        .into_iter()
        .filter_map(|t| Some((t.name.to_string(), Value::Object(t.output_schema?.as_ref().clone()))))
        .collect();
    SCHEMAS.get_or_init(|| Arc::new(map)).clone()
}

/// What the TypeScript SDK's client (1.x) and the Python SDK's client check on every result of a
/// tool with an output schema: structuredContent is present (on success) and valid against the
/// schema (the TypeScript client checks error results too), and the content is well-formed.
pub fn check_result(tool: &str, result: &Value, schema: Option<&Value>) {
    let is_error = result["isError"] == true;
    assert!(result["content"].is_array(), "{tool}: content is not an array: {result}");
    let Some(schema) = schema else { return };
    let structured = result.get("structuredContent");
    if !is_error {
        assert!(
            structured.is_some_and(Value::is_object),
            "{tool}: a tool with an output schema answered without structuredContent: {result}"
        );
    }
    if let Some(structured) = structured {
        let validator = jsonschema::validator_for(schema)
            .unwrap_or_else(|e| panic!("{tool}: its output schema is not valid JSON Schema: {e}"));
        let problems: Vec<String> =
            validator.iter_errors(structured).map(|e| format!("{}: {e}", e.instance_path())).collect();
        assert!(
            problems.is_empty(),
            "{tool}: structuredContent does not match the output schema: {problems:?}\n{structured}"
        );
        if let Some(error) = structured.get("error") {
            for field in ["type", "message"] {
                assert!(error[field].is_string(), "{tool}: error.{field} is not a string: {error}");
            }
            assert!(error["retryable"].is_boolean(), "{tool}: error.retryable is not a boolean: {error}");
        }
    }
}

/// The JSON-RPC message in a reply that is plain JSON or SSE `data:` lines (the last message wins).
pub fn rpc_body(text: &str) -> Value {
    if let Ok(json) = serde_json::from_str(text) {
        return json;
    }
    let line = text.lines().rfind(|l| l.starts_with("data:")).expect("an SSE data line");
    serde_json::from_str(line.trim_start_matches("data:").trim()).unwrap()
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder().build().unwrap()
}

/// The structured content of a successful result. The text block says the same JSON, once: a
/// job's files are its resource links, so there the text leaves `media` out and the links are the media.
pub fn ok(result: &CallToolResult) -> Value {
    assert_ne!(result.is_error, Some(true), "expected success, got {:?}", text(result));
    let structured = result.structured_content.clone().expect("structuredContent");
    let text: Value = serde_json::from_str(&text(result)).expect("text block is JSON");
    let links: Vec<String> = result
        .content
        .iter()
        .filter_map(|c| match c {
            rmcp::model::ContentBlock::ResourceLink(r) => Some(r.uri.clone()),
            _ => None,
        })
        .collect();
    let mut expected = structured.clone();
    if !links.is_empty() {
        expected.as_object_mut().unwrap().remove("media");
    }
    assert_eq!(text, expected, "text and structuredContent differ");
    let media: Vec<String> =
        structured["media"].as_array().into_iter().flatten().map(|m| m["url"].as_str().unwrap().to_string()).collect();
    assert_eq!(media, links, "the resource links are the media");
    structured
}

/// The `{error: …}` object and sentence of a failed result.
pub fn err(result: &CallToolResult) -> (Value, String) {
    assert_eq!(result.is_error, Some(true), "expected a tool error, got {:?}", text(result));
    let structured = result.structured_content.clone().expect("structuredContent on errors");
    let sentence = text(result);
    assert!(sentence.starts_with("failed to "), "{sentence}");
    (structured["error"].clone(), sentence)
}

pub fn text(result: &CallToolResult) -> String {
    result.content.iter().filter_map(|c| c.as_text().map(|t| t.text.clone())).collect::<Vec<_>>().join("\n")
}

static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

/// Everything logged by this test process so far, at trace level.
pub fn captured_logs() -> String {
    String::from_utf8_lossy(&LOGS.get().expect("logs are captured").lock().unwrap()).into_owned()
}

/// Waits (at most 5 s) until the captured logs hold `needle`, and returns them.
pub async fn wait_for_log(needle: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let logs = captured_logs();
        if logs.contains(needle) {
            return logs;
        }
        assert!(std::time::Instant::now() < deadline, "no log line with {needle}");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

fn capture_logs() {
    LOGS.get_or_init(|| {
        // reqwest is built without a default TLS provider; the server installs ring, and so do the tests.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = buffer.clone();
        tracing_subscriber::fmt()
            .with_env_filter("trace")
            .with_ansi(false)
            .with_writer(move || LogWriter(writer.clone()))
            .init();
        buffer
    });
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A listener that accepts connections and never answers, counting them: a slow URL.
pub async fn silent_listener() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/slow.png", listener.local_addr().unwrap());
    let seen = Arc::new(AtomicUsize::new(0));
    let counted = seen.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            held.push(stream);
        }
    });
    (url, seen)
}
