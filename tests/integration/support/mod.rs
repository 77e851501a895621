//! spawn_app(): the real application on port 0 against a fresh fake fal, with an MCP client and
//! raw JSON-RPC helpers, and every log line of the test process captured for leak checks.

pub mod fake_fal;
pub mod fake_queue;

use std::sync::{Arc, Mutex, OnceLock};

use fal_mcp::Config;
use rmcp::{
    RoleClient, ServiceExt,
    model::{CallToolRequestParams, CallToolResult},
    service::RunningService,
    transport::{StreamableHttpClientTransport, streamable_http_client::StreamableHttpClientTransportConfig},
};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

pub use fake_fal::FakeFal;

pub struct TestApp {
    pub base: String,
    pub mcp_url: String,
    pub fake: FakeFal,
    shutdown: CancellationToken,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Starts the app with extra command-line flags (e.g. `--allowed-hosts`).
pub async fn spawn_app_with(extra: &[&str]) -> TestApp {
    capture_logs();
    let fake = FakeFal::start().await;
    let api = format!("{}/api", fake.url);
    let queue = format!("{}/queue", fake.url);
    let rest = format!("{}/rest", fake.url);
    let docs = format!("{}/docs", fake.url);
    let mut args = vec![
        "fal-mcp",
        "--fal-api-url",
        &api,
        "--fal-queue-url",
        &queue,
        "--fal-rest-url",
        &rest,
        "--fal-docs-url",
        &docs,
        "--upstream-timeout-secs",
        "2",
    ];
    args.extend_from_slice(extra);
    let config = Config::from_args(args).expect("test config parses");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
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

    /// A connected rmcp client sending `Authorization: Bearer <key>`.
    pub async fn client(&self, key: &str) -> RunningService<RoleClient, ()> {
        let transport = StreamableHttpClientTransport::from_config(
            StreamableHttpClientTransportConfig::with_uri(self.mcp_url.clone()).auth_header(key),
        );
        ().serve(transport).await.expect("MCP client connects")
    }

    /// Calls a tool through a fresh client and returns its result.
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

    /// A raw `tools/call` with a Bearer key; returns the JSON-RPC `result`.
    pub async fn raw_call(&self, key: &str, tool: &str, arguments: Value) -> Value {
        let body = json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": tool, "arguments": arguments}});
        let response = self.post(&[("authorization", &format!("Bearer {key}"))], &body.to_string()).await;
        assert_eq!(response.status(), 200);
        let json: Value = response.json().await.unwrap();
        json["result"].clone()
    }
}

pub async fn call(client: &RunningService<RoleClient, ()>, tool: &str, arguments: Value) -> CallToolResult {
    let Value::Object(arguments) = arguments else { panic!("arguments must be an object") };
    client
        .call_tool(CallToolRequestParams::new(tool.to_string()).with_arguments(arguments))
        .await
        .unwrap_or_else(|e| panic!("tools/call {tool} failed at the protocol level: {e}"))
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

/// The structured content of a successful result (and the text block says the same JSON).
pub fn ok(result: &CallToolResult) -> Value {
    assert_ne!(result.is_error, Some(true), "expected success, got {:?}", text(result));
    let structured = result.structured_content.clone().expect("structuredContent");
    let text: Value = serde_json::from_str(&text(result)).expect("text block is JSON");
    assert_eq!(text, structured, "text and structuredContent differ");
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
