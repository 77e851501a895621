//! run_model, submit_job and check_job against the fake queue.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{TestApp, err, fake_queue::Script, ok, spawn_app, spawn_app_with};

const KEY: &str = "jobs-id:jobs-secret";
const FLUX: &str = "fal-ai/flux/dev";

fn slow(queue_ms: u64, run_ms: u64) -> Script {
    Script {
        queue: Duration::from_millis(queue_ms),
        run: Duration::from_millis(run_ms),
        outcome: Ok(
            json!({"images": [{"url": "https://v3.fal.media/files/x/out.png", "width": 512, "height": 512, "content_type": "image/png"}]}),
        ),
    }
}

fn model_error() -> Script {
    Script {
        queue: Duration::ZERO,
        run: Duration::from_millis(50),
        outcome: Err((
            422,
            json!({"detail": [{"loc": ["body", "image_size", "width"], "msg": "Input should be less than or equal to 14142", "type": "less_than_equal"}]}),
        )),
    }
}

async fn submit(app: &TestApp, endpoint: &str) -> String {
    let submitted =
        ok(&app.call(KEY, "submit_job", json!({"endpoint_id": endpoint, "input": {"prompt": "a fox"}})).await);
    assert_eq!(submitted["status"], "IN_QUEUE");
    assert!(submitted["next"].as_str().unwrap().contains("check_job"));
    submitted["request_id"].as_str().unwrap().to_string()
}

async fn check(app: &TestApp, endpoint: &str, request_id: &str, action: &str) -> rmcp::model::CallToolResult {
    app.call(
        KEY,
        "check_job",
        json!({"endpoint_id": endpoint, "request_id": request_id, "action": action, "logs": true}),
    )
    .await
}

#[tokio::test]
async fn a_submitted_job_moves_from_queue_to_result() {
    let app = spawn_app().await;
    app.fake.script(FLUX, slow(400, 400));
    let id = submit(&app, FLUX).await;
    let queued = ok(&check(&app, FLUX, &id, "status").await);
    assert_eq!((queued["status"].clone(), queued["queue_position"].is_u64()), (json!("IN_QUEUE"), true));
    let early = ok(&check(&app, FLUX, &id, "result").await);
    assert_eq!(early["status"], "IN_QUEUE", "result before completion answers with the status");
    assert!(early.get("output").is_none());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let running = ok(&check(&app, FLUX, &id, "status").await);
    assert_eq!(running["status"], "IN_PROGRESS");
    assert!(running["logs"][0]["message"].as_str().unwrap().starts_with("step"));
    tokio::time::sleep(Duration::from_millis(450)).await;
    let done = ok(&check(&app, FLUX, &id, "status").await);
    assert_eq!(done["status"], "COMPLETED");
    let result = check(&app, FLUX, &id, "result").await;
    let answer = ok(&result);
    assert_eq!(answer["output"]["images"][0]["url"], "https://v3.fal.media/files/x/out.png");
    assert_eq!(
        answer["media"],
        json!([{"url": "https://v3.fal.media/files/x/out.png", "content_type": "image/png", "kind": "image", "width": 512, "height": 512}])
    );
    let link = result.content.iter().find_map(|c| match c {
        rmcp::model::ContentBlock::ResourceLink(r) => Some(r.clone()),
        _ => None,
    });
    assert_eq!(
        link.map(|r| (r.uri, r.mime_type)),
        Some(("https://v3.fal.media/files/x/out.png".into(), Some("image/png".into())))
    );
    let submits =
        app.fake.requests().into_iter().filter(|r| r.method == "POST" && r.path == "/queue/fal-ai/flux/dev").count();
    assert_eq!(submits, 1);
}

#[tokio::test]
async fn failed_jobs_report_fals_detail() {
    let app = spawn_app().await;
    app.fake.script(FLUX, model_error());
    let id = submit(&app, FLUX).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    let status = ok(&check(&app, FLUX, &id, "status").await);
    assert_eq!(status["status"], "FAILED", "a COMPLETED job with an error is a failure");
    assert!(status["error"].as_str().unwrap().contains("14142"));
    let (e, sentence) = err(&check(&app, FLUX, &id, "result").await);
    assert_eq!(e["status"], 422);
    assert!(sentence.contains("image_size.width: Input should be less than or equal to 14142"), "{sentence}");

    let (e, sentence) =
        err(&app.call(KEY, "run_model", json!({"endpoint_id": FLUX, "input": {"prompt": "a fox"}})).await);
    assert_eq!(e["status"], 422);
    assert!(sentence.contains("image_size.width"), "{sentence}");
}

#[tokio::test]
async fn cancel_in_each_state() {
    let app = spawn_app().await;
    app.fake.script(FLUX, slow(2_000, 2_000));
    let queued = submit(&app, FLUX).await;
    assert_eq!(ok(&check(&app, FLUX, &queued, "cancel").await)["status"], "CANCELLATION_REQUESTED");
    let after = ok(&check(&app, FLUX, &queued, "status").await);
    assert_eq!(after["status"], "FAILED");
    assert!(after["error"].as_str().unwrap().contains("cancelled"));

    app.fake.script(FLUX, slow(0, 2_000));
    let running = submit(&app, FLUX).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(ok(&check(&app, FLUX, &running, "status").await)["status"], "IN_PROGRESS");
    assert_eq!(ok(&check(&app, FLUX, &running, "cancel").await)["status"], "CANCELLATION_REQUESTED");

    app.fake.script(FLUX, slow(0, 10));
    let done = submit(&app, FLUX).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(ok(&check(&app, FLUX, &done, "cancel").await)["status"], "ALREADY_COMPLETED");
    assert_eq!(ok(&check(&app, FLUX, "00000000-0000-0000-0000-000000000000", "cancel").await)["status"], "NOT_FOUND");
}

#[tokio::test]
async fn unknown_and_malformed_request_ids() {
    let app = spawn_app().await;
    let (e, sentence) = err(&check(&app, FLUX, "00000000-dead-beef-0000-000000000000", "status").await);
    assert_eq!(e["status"], 404);
    assert!(sentence.contains("fal has no request 00000000-dead-beef-0000-000000000000 for fal-ai/flux"), "{sentence}");
    let before = app.fake.requests().len();
    for bad in ["../../v1/keys", "abc/def", "a?b=1", "x y", ""] {
        let (e, _) = err(&check(&app, FLUX, bad, "status").await);
        assert_eq!(e["type"], "invalid_argument", "{bad:?}");
    }
    assert_eq!(app.fake.requests().len(), before, "a refused request id never reaches fal");
}

#[tokio::test]
async fn namespaced_and_deep_ids_use_their_app_in_request_urls() {
    let app = spawn_app().await;
    for (endpoint, app_path) in [
        ("workflows/fal-ai/sdxl-sticker", "workflows/fal-ai/sdxl-sticker"),
        ("comfy/fal-ai/upscale-workflow", "comfy/fal-ai/upscale-workflow"),
        ("fal-ai/kling-video/v2.5-turbo/pro/image-to-video", "fal-ai/kling-video"),
        ("fal-ai/bytedance/seedream/v4/text-to-image", "fal-ai/bytedance"),
    ] {
        let input = if endpoint.contains("upscale") {
            json!({"prompt": "x", "image_url": "https://x/y.png"})
        } else {
            json!({"prompt": "x"})
        };
        let submitted = ok(&app.call(KEY, "submit_job", json!({"endpoint_id": endpoint, "input": input})).await);
        let id = submitted["request_id"].as_str().unwrap();
        ok(&check(&app, endpoint, id, "status").await);
        ok(&check(&app, endpoint, id, "cancel").await);
        let paths: Vec<String> = app.fake.requests().into_iter().map(|r| format!("{} {}", r.method, r.path)).collect();
        assert!(paths.contains(&format!("POST /queue/{endpoint}")), "{paths:?}");
        assert!(paths.contains(&format!("GET /queue/{app_path}/requests/{id}/status")), "{paths:?}");
        assert!(paths.contains(&format!("PUT /queue/{app_path}/requests/{id}/cancel")), "{paths:?}");
    }
}

#[tokio::test]
async fn run_model_waits_and_returns_output_and_media_for_every_kind() {
    let app = spawn_app().await;
    for (endpoint, kind, content_type) in [
        (FLUX, "image", "image/png"),
        ("fal-ai/veo3", "video", "video/mp4"),
        ("fal-ai/kokoro/american-english", "audio", "audio/mpeg"),
        ("fal-ai/trellis", "3d", "model/gltf-binary"),
    ] {
        let input = if endpoint == "fal-ai/trellis" {
            json!({"prompt": "chair", "image_url": "https://x/y.png"})
        } else {
            json!({"prompt": "hi"})
        };
        let result = app.call(KEY, "run_model", json!({"endpoint_id": endpoint, "input": input})).await;
        let answer = ok(&result);
        assert_eq!(answer["status"], "COMPLETED", "{endpoint}");
        assert!(answer["request_id"].is_string() && answer["endpoint_id"] == endpoint);
        assert_eq!(
            (answer["media"][0]["kind"].clone(), answer["media"][0]["content_type"].clone()),
            (json!(kind), json!(content_type)),
            "{endpoint}"
        );
        assert_eq!(result.content.len(), 2, "{endpoint}: the JSON text and one resource link");
    }
    assert!(app.fake.jobs().iter().all(|(_, _, polls)| *polls == 0), "the status stream was used, not polling");
}

#[tokio::test]
async fn run_model_polls_when_the_stream_is_unavailable() {
    let app = spawn_app().await;
    app.fake.disable_status_stream();
    app.fake.script(FLUX, slow(200, 300));
    let answer = ok(&app.call(KEY, "run_model", json!({"endpoint_id": FLUX, "input": {"prompt": "a fox"}})).await);
    assert_eq!(answer["status"], "COMPLETED");
    let polls = app.fake.jobs()[0].2;
    assert!((2..=6).contains(&polls), "{polls} polls for a 0.5 s job");
}

#[tokio::test]
async fn run_model_hands_back_the_request_id_when_its_wait_ends() {
    let app = spawn_app_with(&["--run-wait-secs", "5", "--run-wait-max-secs", "5"]).await;
    app.fake.script(FLUX, slow(3_000, 100));
    let started = std::time::Instant::now();
    let answer = ok(&app
        .call(KEY, "run_model", json!({"endpoint_id": FLUX, "input": {"prompt": "a fox"}, "timeout_seconds": 1}))
        .await);
    assert!(started.elapsed() < Duration::from_millis(2_500));
    assert_eq!(answer["status"], "IN_QUEUE");
    let id = answer["request_id"].as_str().unwrap();
    assert!(answer["next"].as_str().unwrap().contains(id));
    assert_eq!(ok(&check(&app, FLUX, id, "status").await)["status"], "IN_QUEUE", "the job is still there");
    let (e, sentence) = err(&app
        .call(KEY, "run_model", json!({"endpoint_id": FLUX, "input": {"prompt": "a"}, "timeout_seconds": 6}))
        .await);
    assert_eq!(e["type"], "invalid_argument");
    assert!(sentence.contains("pass 1 to 5"), "{sentence}");
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
    let (_, sentence) = err(&app.call(KEY, "submit_job", json!({"endpoint_id": FLUX, "input": {}})).await);
    assert!(sentence.contains("prompt"), "{sentence}");
    let (e, _) =
        err(&app.call(KEY, "run_model", json!({"endpoint_id": "nobody/nothing", "input": {"prompt": "x"}})).await);
    assert_eq!(e["type"], "not_found");
    assert!(app.fake.requests().iter().all(|r| !r.path.starts_with("/queue/")), "nothing reached the queue");
    assert!(app.fake.jobs().is_empty());
}

#[tokio::test]
async fn fal_refusals_at_submit_are_actionable() {
    let app = spawn_app().await;
    app.fake.fail_next(
        "/queue/fal-ai/flux/dev",
        429,
        &[("retry-after", "12")],
        r#"{"detail":"Too many concurrent requests"}"#,
    );
    let (e, sentence) = err(&app.call(KEY, "submit_job", json!({"endpoint_id": FLUX, "input": {"prompt": "x"}})).await);
    assert_eq!(
        (e["status"].clone(), e["retry_after"].clone(), e["retryable"].clone()),
        (json!(429), json!(12), json!(true))
    );
    assert!(sentence.contains("Too many concurrent requests"), "{sentence}");
    let (e, _) = err(&app
        .call(KEY, "submit_job", json!({"endpoint_id": FLUX, "input": {"prompt": "x"}, "webhook_url": "ftp://x"}))
        .await);
    assert_eq!(e["type"], "invalid_argument");
    let ok_hook = ok(&app
        .call(
            KEY,
            "submit_job",
            json!({"endpoint_id": FLUX, "input": {"prompt": "x"}, "webhook_url": "https://hooks.example.com/fal?x=1"}),
        )
        .await);
    assert_eq!(ok_hook["status"], "IN_QUEUE");
    let submit = app.fake.requests().into_iter().rfind(|r| r.method == "POST").unwrap();
    assert_eq!(submit.query, "fal_webhook=https%3A%2F%2Fhooks.example.com%2Ffal%3Fx%3D1");
}
