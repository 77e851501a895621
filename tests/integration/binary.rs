//! The real binary as a process: JSON logs at trace level with a canary key, graceful SIGTERM with
//! a job in flight, the healthcheck subcommand, and MCP over stdio.

use std::{
    process::Stdio,
    sync::{Arc, Mutex},
    time::Duration,
};

use base64::Engine;
use rmcp::{ServiceExt, transport::TokioChildProcess};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

use crate::support::{FakeFal, call, fake::Script, ok};

const BINARY: &str = env!("CARGO_BIN_EXE_fal-mcp");

fn command(fake: &FakeFal, args: &[&str]) -> Command {
    let mut command = Command::new(BINARY);
    command
        .args(args)
        .env_clear()
        .env("FAL_API_URL", format!("{}/api", fake.url))
        .env("FAL_QUEUE_URL", format!("{}/queue", fake.url))
        .env("FAL_REST_URL", format!("{}/rest", fake.url))
        .env("FAL_DOCS_URL", format!("{}/docs", fake.url))
        .kill_on_drop(true);
    command
}

/// A running binary: the process, its base URL, a live copy of its stderr lines, and the task
/// reading them (done once the process has closed stderr).
struct Running {
    child: Child,
    base: String,
    lines: Arc<Mutex<Vec<String>>>,
    reader: tokio::task::JoinHandle<()>,
}

/// Starts `fal-mcp` on a free port.
async fn start(fake: &FakeFal, env: &[(&str, &str)]) -> Running {
    let mut command = command(fake, &[]);
    command.env("PORT", "0").stderr(Stdio::piped()).stdout(Stdio::null());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().expect("the binary starts");
    let lines = Arc::new(Mutex::new(Vec::new()));
    let mut reader = BufReader::new(child.stderr.take().unwrap()).lines();
    let (found, port) = tokio::sync::oneshot::channel::<String>();
    let sink = lines.clone();
    let reader = tokio::spawn(async move {
        let mut found = Some(found);
        while let Ok(Some(line)) = reader.next_line().await {
            if let Some(at) = line.find("listening on http://") {
                let url = line[at + "listening on ".len()..].split("/mcp").next().unwrap().to_string();
                if let Some(found) = found.take() {
                    let _ = found.send(url);
                }
            }
            sink.lock().unwrap().push(line);
        }
    });
    let base =
        tokio::time::timeout(Duration::from_secs(10), port).await.expect("the server says where it listens").unwrap();
    Running { child, base, lines, reader }
}

async fn sigterm(child: &Child) {
    let pid = child.id().unwrap().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().await.unwrap().success());
}

/// A long-running server indexes fal's whole catalog at start, seconds of work on a blocking
/// thread; a SIGTERM meanwhile ends the process at once, not when the index is done.
#[tokio::test]
async fn sigterm_during_the_catalog_index_build_exits_at_once() {
    let fake = FakeFal::start().await;
    let Running { mut child, lines, .. } = start(&fake, &[]).await;
    let logged = |what: &str| lines.lock().unwrap().iter().any(|l| l.contains(what));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !logged("indexing it") {
        assert!(tokio::time::Instant::now() < deadline, "the catalog is fetched and indexing starts");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let building = || !logged("catalog index built");
    assert!(building(), "still indexing when the signal comes");
    let signalled = tokio::time::Instant::now();
    sigterm(&child).await;
    let status = tokio::time::timeout(Duration::from_secs(15), child.wait()).await.expect("exits").unwrap();
    assert_eq!(status.code(), Some(0));
    let took = signalled.elapsed();
    assert!(took < Duration::from_secs(2), "exited {took:?} after SIGTERM");
    assert!(building(), "exited without waiting for the index");
}

#[tokio::test]
async fn trace_json_logs_hide_the_key_and_the_bytes_and_sigterm_ends_cleanly() {
    let fake = FakeFal::start().await;
    fake.script("fal-ai/veo3", Script::manual(json!({})));
    let env = [("FAL_MCP_LOG", "trace"), ("FAL_MCP_LOG_FORMAT", "json"), ("FAL_MCP_SHUTDOWN_GRACE_SECS", "2")];
    let Running { mut child, base, lines, reader } = start(&fake, &env).await;
    let key = "canaryid-5e1f9a:canarysecret-77c0d4e2";
    let payload = b"CANARY-BYTES-3b9f1c-never-log-me";
    let app = crate::support::TestApp::attach(&base, fake.clone());
    let client = app.client(key).await;
    ok(&call(&client, "search_models", json!({"query": "flux"})).await);
    ok(&call(&client, "get_pricing", json!({"endpoint_id": "fal-ai/flux/dev", "quantity": 1})).await);
    let data = base64::engine::general_purpose::STANDARD.encode(payload);
    ok(&call(&client, "upload_file", json!({"data": data, "file_name": "c.bin"})).await);
    ok(&call(&client, "run_model", json!({"endpoint_id": "fal-ai/flux/dev", "input": {"prompt": "fox"}})).await);

    let in_flight = tokio::spawn(async move {
        let result =
            call(&client, "run_model", json!({"endpoint_id": "fal-ai/veo3", "input": {"prompt": "slow"}})).await;
        client.cancel().await.ok();
        result
    });
    fake.wait_for("the veo3 status stream", |r| {
        r.path.contains("/fal-ai/veo3/requests/") && r.path.ends_with("/stream")
    })
    .await;
    sigterm(&child).await;
    let pending = tokio::time::timeout(Duration::from_secs(5), in_flight)
        .await
        .expect("run_model answered within the grace")
        .unwrap();
    let pending = ok(&pending);
    assert_eq!(pending["status"], "IN_QUEUE", "the job's request id was handed back before the grace ended, not lost");
    assert!(pending["request_id"].is_string());
    let status = tokio::time::timeout(Duration::from_secs(15), child.wait())
        .await
        .expect("exits within the grace period")
        .unwrap();
    assert_eq!(status.code(), Some(0));
    reader.await.unwrap();
    let lines = lines.lock().unwrap().clone();
    assert!(lines.len() > 20, "trace logging is on: {} lines", lines.len());
    let text = lines.join("\n");
    for secret in ["canaryid-5e1f9a", "canarysecret-77c0d4e2", "CANARY-BYTES-3b9f1c", &data[..24]] {
        assert!(!text.contains(secret), "{secret} appears in the logs");
    }
    let records: Vec<Value> =
        lines.iter().map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}"))).collect();
    let request_lines: Vec<&Value> = records.iter().filter(|r| r["message"] == "mcp request").collect();
    let upload = request_lines.iter().find(|r| r["tool"] == "upload_file").expect("a line for the upload");
    assert_eq!(upload["rpc_method"], "tools/call");
    assert!(upload["fal_calls"].as_str().unwrap().contains("POST storage/upload/initiate 200"));
    assert!(upload["request_id"].as_str().is_some_and(|id| !id.is_empty()));
}

#[tokio::test]
async fn the_healthcheck_subcommand_probes_the_server() {
    let fake = FakeFal::start().await;
    let Running { mut child, base, .. } = start(&fake, &[]).await;
    let port = base.rsplit(':').next().unwrap().to_string();
    let probe = |port: String| {
        let fake = fake.clone();
        async move { command(&fake, &["healthcheck"]).env("PORT", port).status().await.unwrap().code() }
    };
    assert_eq!(probe(port.clone()).await, Some(0));
    sigterm(&child).await;
    assert_eq!(child.wait().await.unwrap().code(), Some(0));
    assert_eq!(probe(port).await, Some(1), "nothing answers once the server is gone");
}

#[tokio::test]
async fn stdio_serves_the_tools_with_the_key_from_the_environment() {
    let fake = FakeFal::start().await;
    let mut cmd = command(&fake, &["stdio"]);
    cmd.env("FAL_KEY", "stdio-id:stdio-secret").stderr(Stdio::null());
    let client = ().serve(TokioChildProcess::new(cmd).unwrap()).await.expect("stdio handshake");
    assert_eq!(client.list_all_tools().await.unwrap().len(), 11);
    let view = client.list_all_resources().await.unwrap();
    assert_eq!(view[0].uri, "ui://fal-mcp/result-view.html", "the result view is there over stdio too");
    let read = client.read_resource(rmcp::model::ReadResourceRequestParams::new(view[0].uri.clone())).await.unwrap();
    assert_eq!(read.contents.len(), 1);
    let found = ok(&call(&client, "search_models", json!({"query": "kokoro"})).await);
    assert!(found["models"][0]["endpoint_id"].as_str().unwrap().starts_with("fal-ai/kokoro/"), "{found}");
    client.cancel().await.ok();
    let sent = fake.keyed_requests_to("/v1/models").pop().unwrap();
    assert_eq!(sent.authorization.as_deref(), Some("Key stdio-id:stdio-secret"));

    let output = command(&fake, &["stdio"]).stdin(Stdio::null()).output().await.unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("FAL_KEY is not set"));
}
