//! run_model against the fake queue: every kind of output, progress, polling, the wait's end,
//! unlisted apps and explicit nulls, failures before and after fal accepted the job, status blips,
//! a departing client and a shutting-down server. Jobs move when the test says, never on a clock.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::support::{
    TestApp, err,
    fake::{Plan, Script, queue::content_policy},
    http, ok, spawn_app, spawn_app_with,
};

const KEY: &str = "run-id:run-secret";
const FLUX: &str = "fal-ai/flux/dev";

fn image() -> Value {
    json!({"images": [{"url": "https://v3.fal.media/files/x/out.png", "width": 512, "height": 512, "content_type": "image/png"}]})
}

fn start_run(app: &TestApp, arguments: Value) -> tokio::task::JoinHandle<rmcp::model::CallToolResult> {
    app.spawn_call(KEY, "run_model", arguments)
}

#[tokio::test]
async fn returns_output_and_media_for_every_kind() {
    let app = spawn_app().await;
    for (endpoint, kind, content_type) in [
        (FLUX, "image", "image/png"),
        ("fal-ai/veo3", "video", "video/mp4"),
        ("fal-ai/kokoro/american-english", "audio", "audio/mpeg"),
        ("fal-ai/trellis", "3d", "model/gltf-binary"),
    ] {
        let input = match endpoint {
            "fal-ai/trellis" => json!({"prompt": "chair", "image_url": "https://x/y.png"}),
            "fal-ai/veo3" => json!({"prompt": "waves at dawn"}),
            _ => json!({"prompt": "hi"}),
        };
        let result = app.call(KEY, "run_model", json!({"endpoint_id": endpoint, "input": input})).await;
        let answer = ok(&result);
        assert_eq!(answer["status"], "COMPLETED", "{endpoint}");
        assert!(answer["request_id"].is_string() && answer["endpoint_id"] == endpoint);
        assert!(answer.get("validated").is_none(), "{endpoint}: the input was checked");
        assert_eq!(
            (answer["media"][0]["kind"].clone(), answer["media"][0]["content_type"].clone()),
            (json!(kind), json!(content_type)),
            "{endpoint}"
        );
        assert_eq!(result.content.len(), 2, "{endpoint}: the JSON text and one resource link");
    }
    assert!(app.fake.jobs().iter().all(|j| j.status_calls == 0), "the status stream was used, not polling");
}

#[tokio::test]
async fn progress_notifications_arrive_in_order_before_the_result() {
    let app = spawn_app().await;
    app.fake.script(FLUX, Script::manual(image()));
    let body = json!({"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": {
        "name": "run_model", "arguments": {"endpoint_id": FLUX, "input": {"prompt": "a fox"}},
        "_meta": {"progressToken": "tok-7"}}});
    let (auth, body) = (format!("Bearer {KEY}"), body.to_string());
    let headers = [("authorization", auth.as_str())];
    let response = app.post(&headers, &body);
    let driver = async {
        let id = app.fake.nth_job(1).await;
        app.fake.wait_for("the status stream", |r| r.path.ends_with("/status/stream")).await;
        (app.fake.clone(), id)
    };
    let (response, (fake, id)) = tokio::join!(response, driver);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut events = response.bytes_stream();
    let mut text = String::new();
    let mut next_message = async |text: &mut String, wanted: &str| {
        while !text.contains(wanted) {
            let chunk = tokio::time::timeout(Duration::from_secs(10), events.next()).await.expect("an event").unwrap();
            text.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
        }
    };
    next_message(&mut text, "IN_QUEUE: position 2").await;
    fake.start_job(&id);
    fake.log(&id, "step 1");
    next_message(&mut text, "IN_PROGRESS: step 1").await;
    fake.log(&id, "step 2");
    next_message(&mut text, "IN_PROGRESS: step 2").await;
    fake.finish_job(&id);
    next_message(&mut text, "\"result\"").await;
    let messages: Vec<Value> = text
        .lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .filter_map(|d| serde_json::from_str(d.trim()).ok())
        .collect();
    let (last, notes) = messages.split_last().expect("messages");
    assert_eq!(last["result"]["structuredContent"]["status"], "COMPLETED", "the result comes last");
    let said: Vec<&str> = notes.iter().map(|n| n["params"]["message"].as_str().unwrap()).collect();
    assert_eq!(said, ["IN_QUEUE: position 2", "IN_PROGRESS: step 1", "IN_PROGRESS: step 2"]);
    let steps: Vec<f64> = notes.iter().map(|n| n["params"]["progress"].as_f64().unwrap()).collect();
    assert_eq!(steps, [1.0, 2.0, 3.0]);
    assert!(notes.iter().all(|n| n["method"] == "notifications/progress" && n["params"]["progressToken"] == "tok-7"));

    let plain = app
        .post(
            &[("authorization", &format!("Bearer {KEY}"))],
            &json!({"jsonrpc": "2.0", "id": 10, "method": "tools/call", "params": {"name": "run_model", "arguments": {"endpoint_id": "fal-ai/flux/schnell", "input": {"prompt": "x"}}}}).to_string(),
        )
        .await;
    assert_eq!(plain.headers()["content-type"], "application/json", "no token, no stream");
}

#[tokio::test]
async fn polls_when_the_stream_is_refused() {
    let app = spawn_app().await;
    app.fake.disable_status_stream();
    app.fake.script(FLUX, Script::manual(image()));
    let run = start_run(&app, json!({"endpoint_id": FLUX, "input": {"prompt": "a fox"}}));
    let id = app.fake.nth_job(1).await;
    app.fake.wait_until("two status polls", || (app.fake.jobs()[0].status_calls >= 2).then_some(())).await;
    app.fake.finish_job(&id);
    let answer = ok(&run.await.unwrap());
    assert_eq!(answer["status"], "COMPLETED");
    let job = &app.fake.jobs()[0];
    assert_eq!(job.stream_opens, 0);
    assert!(job.status_calls >= 3, "{} polls", job.status_calls);
    let polls = app.fake.requests_to("/status").len();
    assert_eq!(polls as u32, job.status_calls, "a refused stream is not reopened");
}

#[tokio::test]
async fn rides_out_status_blips_until_the_job_completes() {
    let app = spawn_app().await;
    app.fake.script(FLUX, Script::manual(image()));
    app.fake.fail_next("/status/stream", 503, &[], r#"{"detail":"Service Unavailable"}"#);
    app.fake.fail_next("/status", 503, &[], r#"{"detail":"Service Unavailable"}"#);
    app.fake.fail_next("/status", 429, &[("retry-after", "1")], r#"{"detail":"Too many requests"}"#);
    app.fake.fail_next("/status", 500, &[], "<html>oops</html>");
    let run = start_run(&app, json!({"endpoint_id": FLUX, "input": {"prompt": "a fox"}, "timeout_seconds": 30}));
    let id = app.fake.nth_job(1).await;
    let status_requests = || app.fake.requests().into_iter().filter(|r| r.path.contains("/status")).collect::<Vec<_>>();
    app.fake.wait_until("five status requests", || (status_requests().len() >= 5).then_some(())).await;
    app.fake.finish_job(&id);
    let answer = ok(&run.await.unwrap());
    assert_eq!(answer["status"], "COMPLETED", "four failures in a row did not end the wait");
    assert_eq!(answer["output"], image());
    assert_eq!(app.fake.jobs().len(), 1, "one job, paid once");
}

#[tokio::test]
async fn a_failure_after_acceptance_never_invites_a_second_run() {
    let app = spawn_app().await;
    app.fake.script(FLUX, Script::manual(image()));
    app.fake.fail_next("/status/stream", 401, &[], r#"{"detail":"No user found for Key ID and Secret"}"#);
    app.fake.fail_next("/status", 401, &[], r#"{"detail":"No user found for Key ID and Secret"}"#);
    let (e, sentence) =
        err(&app.call(KEY, "run_model", json!({"endpoint_id": FLUX, "input": {"prompt": "a fox"}})).await);
    let id = app.fake.jobs()[0].request_id.clone();
    assert_eq!((e["type"].clone(), e["retryable"].clone()), (json!("authorization_error"), json!(false)));
    assert_eq!(e["request_id"], id.as_str());
    assert!(e["next"].as_str().unwrap().contains("check_job"), "{e}");
    assert!(sentence.contains("fal rejected the key") && sentence.contains("do not run it again"), "{sentence}");
    assert!(sentence.contains(&id), "{sentence}");
}

#[tokio::test]
async fn hands_back_the_request_id_when_its_wait_ends() {
    let app = spawn_app_with(&["--run-wait-secs", "5", "--run-wait-max-secs", "5"]).await;
    app.fake.script(FLUX, Script::manual(image()));
    let answer = ok(&app
        .call(KEY, "run_model", json!({"endpoint_id": FLUX, "input": {"prompt": "a fox"}, "timeout_seconds": 1}))
        .await);
    assert_eq!(answer["status"], "IN_QUEUE");
    let id = answer["request_id"].as_str().unwrap();
    // The ids are in the answer; next says what to do with them, without saying them twice.
    assert!(answer["next"].as_str().unwrap().contains("check_job (this endpoint_id and request_id)"), "{answer}");
    assert!(!answer["next"].as_str().unwrap().contains("run it again"));
    let status = ok(&app.call(KEY, "check_job", json!({"endpoint_id": FLUX, "request_id": id})).await);
    assert_eq!(status["status"], "IN_QUEUE", "the job is still there");
    // A longer wait than the server allows is held to its limit, and the answer says so.
    let capped = ok(&app
        .call(KEY, "run_model", json!({"endpoint_id": FLUX, "input": {"prompt": "a"}, "timeout_seconds": 0}))
        .await);
    assert_eq!(capped["note"], "timeout_seconds 0 is less than 1; 1 was used");
    assert!(capped["request_id"].is_string());
}

#[tokio::test]
async fn invalid_input_is_refused_before_anything_is_submitted() {
    let app = spawn_app().await;
    let (e, sentence) = err(&app
        .call(
            KEY,
            "run_model",
            json!({"endpoint_id": FLUX, "input": {"num_images": 9, "output_format": "gif", "guidance_scale": "high"}}),
        )
        .await);
    assert_eq!((e["type"].clone(), e["status"].clone()), (json!("validation_error"), Value::Null));
    for needle in ["prompt", "num_images", "output_format", "guidance_scale", "nothing was submitted"] {
        assert!(sentence.contains(needle), "{needle} missing from: {sentence}");
    }
    let (_, sentence) = err(&app.call(KEY, "run_model", json!({"endpoint_id": FLUX, "input": {"prompt": null}})).await);
    assert!(sentence.contains("prompt"), "a required field is not nullable: {sentence}");
    assert!(app.fake.requests().iter().all(|r| !r.path.starts_with("/queue/")), "nothing reached the queue");
}

#[tokio::test]
async fn explicit_nulls_pass_where_fals_document_allows_them() {
    let app = spawn_app().await;
    for (endpoint, input) in [
        (FLUX, json!({"prompt": "a fox", "seed": null})),
        ("fal-ai/ideogram/v3", json!({"prompt": "a logo", "seed": null, "style": null, "image_size": null})),
        (
            "tripo3d/tripo/v2.5/image-to-3d",
            json!({"image_url": "https://x/chair.png", "style": null, "pbr": null, "seed": null}),
        ),
    ] {
        let answer = ok(&app.call(KEY, "run_model", json!({"endpoint_id": endpoint, "input": input.clone()})).await);
        assert_eq!(answer["status"], "COMPLETED", "{endpoint}");
        assert!(answer.get("validated").is_none(), "{endpoint}: validated, and null passed");
    }
    assert_eq!(app.fake.jobs().len(), 3);
}

#[tokio::test]
async fn apps_the_catalog_does_not_list_run_unchecked_and_fal_decides() {
    let app = spawn_app().await;
    for endpoint in ["acme-studio/private-upscaler", "workflows/acme-studio/product-hero/fast"] {
        let answer = ok(&app
            .call(
                KEY,
                "run_model",
                json!({"endpoint_id": endpoint, "input": {"prompt": "hero shot", "image_url": "https://x/p.png"}}),
            )
            .await);
        assert_eq!(answer["status"], "COMPLETED", "{endpoint}");
        assert_eq!(answer["validated"], false, "{endpoint}");
        assert!(answer["validation_skipped"].as_str().unwrap().contains("does not list"), "{answer}");
    }
    let submitted: Vec<String> = app.fake.jobs().into_iter().map(|j| j.endpoint_id).collect();
    assert_eq!(submitted, ["acme-studio/private-upscaler", "workflows/acme-studio/product-hero/fast"]);

    let (e, sentence) =
        err(&app.call(KEY, "run_model", json!({"endpoint_id": "nobody/nothing", "input": {"prompt": "x"}})).await);
    assert_eq!((e["type"].clone(), e["status"].clone()), (json!("not_found"), json!(404)));
    assert!(sentence.contains("nothing was queued") && sentence.contains("search_models"), "{sentence}");
    assert_eq!(app.fake.jobs().len(), 2, "fal itself refused the unknown app");
}

#[tokio::test]
async fn input_fal_refuses_only_when_the_job_runs_is_reported_field_by_field() {
    let app = spawn_app().await;
    app.fake.set_validate_on_submit(false);
    // No schema to check against, so the empty input goes to fal, which takes it and fails it later.
    let (e, sentence) = err(&app.call(KEY, "run_model", json!({"endpoint_id": "acme/no-schema", "input": {}})).await);
    assert_eq!((e["status"].clone(), e["type"].clone()), (json!(422), json!("validation_error")));
    assert!(sentence.contains("prompt: Field required") && sentence.contains("fix the input fal names"), "{sentence}");
    assert!(e["request_id"].is_string());
    assert_eq!(e["retryable"], false, "the same input fails the same way");

    app.fake.script(FLUX, Script::failing(Plan::Instant, 422, content_policy(), "content_policy_violation"));
    let (e, sentence) =
        err(&app.call(KEY, "run_model", json!({"endpoint_id": FLUX, "input": {"prompt": "something flagged"}})).await);
    assert_eq!(e["status"], 422);
    assert!(sentence.contains("content checker"), "{sentence}");
}

#[tokio::test]
async fn a_client_that_goes_away_cancels_its_fal_job() {
    let app = spawn_app().await;
    app.fake.script(FLUX, Script::manual(image()));
    let body = json!({"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": {
        "name": "run_model", "arguments": {"endpoint_id": FLUX, "input": {"prompt": "a fox"}},
        "_meta": {"progressToken": "tok-gone"}}});
    let request = http()
        .post(&app.mcp_url)
        .header("authorization", format!("Bearer {KEY}"))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-11-25")
        .body(body.to_string())
        .send();
    let caller = tokio::spawn(async move { request.await.unwrap().text().await });
    app.fake.wait_for("the status stream", |r| r.path.ends_with("/status/stream")).await;
    caller.abort();
    let cancel = app.fake.wait_for("a cancel", |r| r.method == "PUT" && r.path.ends_with("/cancel")).await;
    assert!(cancel.path.contains(&app.fake.jobs()[0].request_id));
}

/// Waits until the server no longer accepts connections (its shutdown has begun).
async fn wait_until_closed(app: &TestApp) {
    let address = app.base.trim_start_matches("http://").to_string();
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(&address).await.is_err() {
            return;
        }
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the server kept accepting connections after shutdown");
}

#[tokio::test]
async fn a_run_in_flight_at_shutdown_finishes_within_the_grace_period() {
    let app = spawn_app_with(&["--shutdown-grace-secs", "8"]).await;
    app.fake.script(FLUX, Script::manual(image()));
    let run = start_run(&app, json!({"endpoint_id": FLUX, "input": {"prompt": "a fox"}}));
    let id = app.fake.nth_job(1).await;
    app.fake.wait_for("the status stream", |r| r.path.ends_with("/status/stream")).await;
    app.shut_down();
    wait_until_closed(&app).await;
    app.fake.finish_job(&id);
    let answer = ok(&run.await.unwrap());
    assert_eq!(answer["status"], "COMPLETED", "the job finished during the grace period and its output arrived");
}

#[tokio::test]
async fn a_run_still_waiting_when_the_grace_period_ends_hands_back_its_request_id() {
    let app = spawn_app_with(&["--shutdown-grace-secs", "2"]).await;
    app.fake.script(FLUX, Script::manual(image()));
    let run = start_run(&app, json!({"endpoint_id": FLUX, "input": {"prompt": "a fox"}}));
    let id = app.fake.nth_job(1).await;
    app.fake.wait_for("the status stream", |r| r.path.ends_with("/status/stream")).await;
    app.shut_down();
    let answer = ok(&tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .expect("answered before the grace ended")
        .unwrap());
    assert_eq!(answer["status"], "IN_QUEUE");
    assert_eq!(answer["request_id"], id.as_str(), "nothing is lost: the job can be followed after the restart");
}

/// What poll_after_seconds should be for a job in `status` at `position` of a model whose catalog
/// entry says `minutes` (README: a quarter of the typical time, 20 s without one, plus 2 s per job ahead).
fn expected_poll(status: &str, position: Option<u64>, minutes: Option<f64>) -> u64 {
    let own = minutes.map_or(20.0, |m| m * 60.0) / 4.0;
    let ahead = if status == "IN_QUEUE" { position.unwrap_or(0) as f64 * 2.0 } else { 0.0 };
    (own + ahead).round().clamp(1.0, 60.0) as u64
}

#[tokio::test]
async fn the_answer_carries_the_estimate_and_a_pending_one_says_when_to_poll() {
    let app = spawn_app().await;
    let flux_price = app.fake.fixture(FLUX).unwrap()["unit_price"].as_f64().unwrap();
    let done = ok(&app
        .call(
            KEY,
            "run_model",
            json!({"endpoint_id": FLUX, "input": {"prompt": "a fox", "num_images": 2, "image_size": "square_hd"}}),
        )
        .await);
    assert_eq!(done["status"], "COMPLETED");
    assert!((done["estimate"]["total_cost"].as_f64().unwrap() - 2.0 * flux_price).abs() < 1e-9, "{done}");
    assert_eq!(
        (done["estimate"]["unit"].clone(), done["estimate"]["unit_quantity"].clone()),
        (json!("megapixel"), json!(2.0))
    );

    // Priced per call (GPU seconds): fal's average, looked up while fal takes the job.
    let sdxl =
        ok(&app.call(KEY, "run_model", json!({"endpoint_id": "fal-ai/fast-sdxl", "input": {"prompt": "x"}})).await);
    let call_price = app.fake.fixture("fal-ai/fast-sdxl").unwrap()["call_price"].clone();
    assert_eq!((sdxl["estimate"]["unit"].clone(), sdxl["estimate"]["total_cost"].clone()), (json!("call"), call_price));

    app.fake.script("fal-ai/veo3", Script::manual(json!({"video": {"url": "https://v3.fal.media/files/x/v.mp4"}})));
    let pending = ok(&app
        .call(
            KEY,
            "run_model",
            json!({"endpoint_id": "fal-ai/veo3", "input": {"prompt": "waves"}, "timeout_seconds": 1}),
        )
        .await);
    let minutes = app.fake.fixture("fal-ai/veo3").unwrap()["duration_estimate"].as_f64();
    assert_eq!(pending["status"], "IN_QUEUE");
    let position = pending["queue_position"].as_u64();
    assert_eq!(pending["poll_after_seconds"], expected_poll("IN_QUEUE", position, minutes), "{pending}");
    assert_eq!(pending["estimate"]["unit_quantity"], 8.0, "veo3's default duration, 8s");
    let id = pending["request_id"].as_str().unwrap();
    app.fake.start_job(id);
    let running = ok(&app.call(KEY, "check_job", json!({"endpoint_id": "fal-ai/veo3", "request_id": id})).await);
    assert_eq!(running["status"], "IN_PROGRESS");
    assert_eq!(running["poll_after_seconds"], expected_poll("IN_PROGRESS", None, minutes), "{running}");
    assert!(running["next"].as_str().unwrap().contains("poll_after_seconds"));
    app.fake.finish_job(id);
    let finished = ok(&app.call(KEY, "check_job", json!({"endpoint_id": "fal-ai/veo3", "request_id": id})).await);
    assert!(finished.get("poll_after_seconds").is_none(), "a finished job needs no more polling: {finished}");
}

#[tokio::test]
async fn max_cost_refuses_before_anything_is_queued() {
    let app = spawn_app().await;
    let four = json!({"prompt": "a fox", "num_images": 4, "image_size": "square_hd"});
    let (e, sentence) =
        err(&app.call(KEY, "run_model", json!({"endpoint_id": FLUX, "input": four, "max_cost": 0.05})).await);
    assert_eq!((e["type"].clone(), e["retryable"].clone()), (json!("cost_limit"), json!(false)));
    assert!(sentence.contains("$0.10 is above max_cost $0.05") && sentence.contains("4 images"), "{sentence}");
    assert!(sentence.contains("nothing was submitted") && sentence.contains("raise max_cost"), "{sentence}");
    // No estimate under a cap: refused too, saying why.
    let (e, sentence) = err(&app
        .call(
            KEY,
            "run_model",
            json!({"endpoint_id": "fal-ai/stable-diffusion-v15", "input": {"prompt": "x"}, "max_cost": 5}),
        )
        .await);
    assert_eq!(e["type"], "cost_limit");
    assert!(sentence.contains("cannot be estimated") && sentence.contains("without max_cost"), "{sentence}");
    for bad in [json!(-1), json!("cheap")] {
        let (e, sentence) =
            err(&app.call(KEY, "run_model", json!({"endpoint_id": FLUX, "input": four, "max_cost": bad})).await);
        assert_eq!(e["type"], "invalid_argument");
        assert!(sentence.contains("max_cost"), "{sentence}");
    }
    assert!(app.fake.jobs().is_empty(), "nothing reached fal's queue");
    assert!(app.fake.requests().iter().all(|r| !(r.method == "POST" && r.path.starts_with("/queue/"))));

    let within = ok(&app.call(KEY, "run_model", json!({"endpoint_id": FLUX, "input": four, "max_cost": 0.1})).await);
    assert_eq!(within["status"], "COMPLETED", "an estimate equal to the cap runs");
    // Without a cap, a call that cannot be estimated runs and says so.
    let unknown = ok(&app
        .call(KEY, "run_model", json!({"endpoint_id": "fal-ai/stable-diffusion-v15", "input": {"prompt": "x"}}))
        .await);
    assert_eq!(unknown["estimate"]["total_cost"], Value::Null);
    assert!(unknown["estimate"]["basis"].as_str().unwrap().starts_with("no estimate"), "{unknown}");
}

#[tokio::test]
async fn the_operator_ceiling_holds_every_call() {
    let app = spawn_app_with(&["--max-cost-per-call", "0.2"]).await;
    let (e, sentence) =
        err(&app.call(KEY, "run_model", json!({"endpoint_id": "fal-ai/veo3", "input": {"prompt": "x"}})).await);
    assert_eq!(e["type"], "cost_limit");
    assert!(sentence.contains("$3.20 is above this server's per-call ceiling $0.20"), "{sentence}");
    assert!(!sentence.contains("raise max_cost"), "the caller cannot lift the operator's ceiling: {sentence}");
    let (e, _) = err(&app
        .call(KEY, "submit_job", json!({"endpoint_id": FLUX, "input": {"prompt": "x", "num_images": 4, "image_size": {"width": 2048, "height": 2048}}, "max_cost": 5}))
        .await);
    assert_eq!(e["type"], "cost_limit", "a higher max_cost does not lift the ceiling");
    let (_, sentence) = err(&app
        .call(
            KEY,
            "run_model",
            json!({"endpoint_id": "workflows/acme-studio/product-hero/fast", "input": {"prompt": "x"}}),
        )
        .await);
    assert!(sentence.contains("only runs calls it can price"), "{sentence}");
    assert!(app.fake.jobs().is_empty());
    let cheap = ok(&app.call(KEY, "run_model", json!({"endpoint_id": FLUX, "input": {"prompt": "x"}})).await);
    assert_eq!(cheap["status"], "COMPLETED");
}

#[tokio::test]
async fn job_options_reach_fal_as_its_headers() {
    let app = spawn_app().await;
    let args =
        json!({"endpoint_id": FLUX, "input": {"prompt": "x"}, "expiration_seconds": 3600, "store_payload": false});
    ok(&app.call(KEY, "run_model", args).await);
    let mut submit = args_of_submit(&app);
    assert_eq!(submit["x-fal-object-lifecycle-preference"], json!({"expiration_duration_seconds": 3600}));
    assert_eq!(submit["x-fal-store-io"], "0");
    ok(&app
        .call(KEY, "submit_job", json!({"endpoint_id": FLUX, "input": {"prompt": "x"}, "store_payload": true}))
        .await);
    submit = args_of_submit(&app);
    assert_eq!(
        (submit["x-fal-store-io"].clone(), submit["x-fal-object-lifecycle-preference"].clone()),
        (json!("1"), Value::Null)
    );
    ok(&app.call(KEY, "run_model", json!({"endpoint_id": FLUX, "input": {"prompt": "x"}})).await);
    submit = args_of_submit(&app);
    assert_eq!(
        (submit["x-fal-store-io"].clone(), submit["x-fal-object-lifecycle-preference"].clone()),
        (Value::Null, Value::Null)
    );
    let (e, sentence) = err(&app
        .call(KEY, "submit_job", json!({"endpoint_id": FLUX, "input": {"prompt": "x"}, "expiration_seconds": 0}))
        .await);
    assert_eq!(e["type"], "invalid_argument");
    assert!(sentence.contains("expiration_seconds"), "{sentence}");
    assert_eq!(app.fake.jobs().len(), 3);
}

/// The job-option headers of the last submit the fake received (lifecycle parsed as JSON).
fn args_of_submit(app: &TestApp) -> Value {
    let submit =
        app.fake.requests().into_iter().rev().find(|r| r.method == "POST" && r.path.starts_with("/queue/")).unwrap();
    let header = |name: &str| submit.headers.get(name).map(|v| v.to_str().unwrap().to_string());
    json!({
        "x-fal-store-io": header("x-fal-store-io"),
        "x-fal-object-lifecycle-preference": header("x-fal-object-lifecycle-preference").map(|v| serde_json::from_str::<Value>(&v).unwrap()),
    })
}

#[tokio::test]
async fn a_misspelled_field_is_refused_before_anything_is_queued_and_can_be_sent_on_purpose() {
    let app = spawn_app().await;
    let input = json!({"prompt": "a red fox", "num_image": 3});
    let (e, sentence) = err(&app.call(KEY, "run_model", json!({"endpoint_id": FLUX, "input": input})).await);
    assert_eq!(e["type"], "validation_error");
    assert!(
        sentence.contains("`num_image` is not an input of fal-ai/flux/dev; did you mean `num_images`?"),
        "{sentence}"
    );
    assert!(sentence.contains("nothing was submitted") && sentence.contains("unlisted_fields"), "{sentence}");
    assert!(app.fake.jobs().is_empty(), "nothing was queued");

    let on_purpose = json!({"endpoint_id": FLUX, "input": input, "unlisted_fields": ["num_image"]});
    let done = ok(&app.call(KEY, "run_model", on_purpose).await);
    assert_eq!(done["status"], "COMPLETED");
    let sent =
        app.fake.requests().into_iter().find(|r| r.method == "POST" && r.path == "/queue/fal-ai/flux/dev").unwrap();
    assert!(sent.body.contains("\"num_image\":3"), "sent as asked: {}", sent.body);
}

#[tokio::test]
async fn an_enum_value_fal_would_refuse_is_answered_with_the_allowed_values() {
    let app = spawn_app().await;
    let input = json!({"prompt": "a fox", "image_size": "huge"});
    let (_, sentence) = err(&app.call(KEY, "run_model", json!({"endpoint_id": FLUX, "input": input})).await);
    assert!(sentence.contains("image_size: \"huge\" is not allowed here; use one of"), "{sentence}");
    assert!(sentence.contains("\"square_hd\"") && sentence.contains("an object"), "{sentence}");
    assert!(!sentence.contains("anyOf"), "{sentence}");
    assert!(app.fake.jobs().is_empty());
}

#[tokio::test]
async fn a_failed_job_keeps_fals_reason_and_the_advice_it_calls_for() {
    let app = spawn_app().await;
    app.fake.script(FLUX, Script::failing(Plan::Instant, 422, content_policy(), "content_policy_violation"));
    let (e, sentence) = err(&app.call(KEY, "run_model", json!({"endpoint_id": FLUX, "input": {"prompt": "x"}})).await);
    assert_eq!((e["type"].clone(), e["retryable"].clone()), (json!("content_policy_violation"), json!(false)));
    assert!(e["request_id"].is_string());
    let next = e["next"].as_str().unwrap();
    assert!(next.contains("change the flagged input") && !next.contains("check_job"), "{next}");
    assert!(sentence.contains("content checker") && !sentence.contains("fix the fields"), "{sentence}");

    let runner = json!({"detail": "Runner crashed while processing the request", "error_type": "runner_server_error"});
    app.fake.script(FLUX, Script::failing(Plan::Instant, 500, runner, "runner_server_error"));
    let (e, sentence) = err(&app.call(KEY, "run_model", json!({"endpoint_id": FLUX, "input": {"prompt": "x"}})).await);
    assert_eq!((e["type"].clone(), e["retryable"].clone()), (json!("runner_server_error"), json!(true)), "{e}");
    let next = e["next"].as_str().unwrap();
    assert!(next.contains("fal's side") && !next.contains("check_job"), "{next}");
    assert!(!sentence.contains("adjust the input"), "{sentence}");
}

#[tokio::test]
async fn a_wait_beyond_the_servers_limit_is_capped_with_a_note() {
    let app = spawn_app().await;
    let args = json!({"endpoint_id": FLUX, "input": {"prompt": "a fox"}, "timeout_seconds": 900});
    let done = ok(&app.call(KEY, "run_model", args).await);
    assert_eq!(done["status"], "COMPLETED");
    let note = done["note"].as_str().unwrap();
    assert!(note.contains("timeout_seconds 900") && note.contains("280 was used"), "{note}");
}

#[tokio::test]
async fn a_key_without_the_permission_says_which_and_the_preset_that_has_it() {
    let app = spawn_app().await;
    let (e, sentence) = err(&app
        .call("readonly:secret", "run_model", json!({"endpoint_id": FLUX, "input": {"prompt": "a fox"}}))
        .await);
    assert_eq!((e["status"].clone(), e["type"].clone()), (json!(403), json!("authorization_error")));
    assert!(sentence.contains("lacks the permission models:requests:submit"), "{sentence}");
    assert!(sentence.contains("API preset") && sentence.contains("fal.ai/dashboard/keys"), "{sentence}");
    assert!(app.fake.jobs().is_empty());
}
