//! run_model over raw HTTP: progress notifications stream before the result, and a client that
//! goes away cancels its fal job.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{fake_queue::Script, http, spawn_app};

const KEY: &str = "prog-id:prog-secret";

fn run_body(token: Option<&str>) -> String {
    let mut params =
        json!({"name": "run_model", "arguments": {"endpoint_id": "fal-ai/flux/dev", "input": {"prompt": "a fox"}}});
    if let Some(token) = token {
        params["_meta"] = json!({"progressToken": token});
    }
    json!({"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": params}).to_string()
}

#[tokio::test]
async fn progress_notifications_arrive_in_order_before_the_result() {
    let app = spawn_app().await;
    let output = json!({"images": [{"url": "https://v3.fal.media/files/p/x.png"}]});
    app.fake.script(
        "fal-ai/flux/dev",
        Script { queue: Duration::from_millis(300), run: Duration::from_millis(400), outcome: Ok(output) },
    );
    let response = app.post(&[("authorization", &format!("Bearer {KEY}"))], &run_body(Some("tok-7"))).await;
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let text = response.text().await.unwrap();
    let messages: Vec<Value> = text
        .lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .filter_map(|d| serde_json::from_str(d.trim()).ok())
        .collect();
    let (last, notes) = messages.split_last().expect("messages");
    assert_eq!(last["result"]["structuredContent"]["status"], "COMPLETED", "the result comes last");
    assert!(notes.len() >= 3, "queue, progress and log notifications: {notes:?}");
    let mut previous = 0.0;
    for note in notes {
        assert_eq!(note["method"], "notifications/progress");
        assert_eq!(note["params"]["progressToken"], "tok-7");
        let progress = note["params"]["progress"].as_f64().unwrap();
        assert!(progress > previous, "progress increases");
        previous = progress;
    }
    let said: Vec<&str> = notes.iter().map(|n| n["params"]["message"].as_str().unwrap()).collect();
    assert!(said[0].starts_with("IN_QUEUE"), "{said:?}");
    assert!(said.iter().any(|m| m.starts_with("IN_PROGRESS: step")), "{said:?}");

    let plain = app.post(&[("authorization", &format!("Bearer {KEY}"))], &run_body(None)).await;
    assert_eq!(plain.headers()["content-type"], "application/json", "no token, no stream");
}

#[tokio::test]
async fn a_client_that_goes_away_cancels_its_fal_job() {
    let app = spawn_app().await;
    app.fake.script(
        "fal-ai/flux/dev",
        Script { queue: Duration::from_secs(20), run: Duration::from_secs(1), outcome: Ok(json!({})) },
    );
    let request = http()
        .post(&app.mcp_url)
        .header("authorization", format!("Bearer {KEY}"))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-11-25")
        .body(run_body(Some("tok-gone")))
        .send();
    let gave_up = tokio::time::timeout(Duration::from_millis(600), async {
        let response = request.await.unwrap();
        response.text().await
    })
    .await;
    assert!(gave_up.is_err(), "the call was still running when the client left");
    let mut cancelled = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if app.fake.requests().iter().any(|r| r.method == "PUT" && r.path.ends_with("/cancel")) {
            cancelled = true;
            break;
        }
    }
    assert!(cancelled, "the fal job was cancelled after the client disconnected");
    assert_eq!(app.fake.jobs().len(), 1);
}
