//! check_job, get_job_result and cancel_job against the fake queue: a job's life moved by events, failed jobs as validating
//! clients read them, cancel in each state, ids refused or unknown, namespaced and deep ids.

use serde_json::{Value, json};

use crate::support::{
    TestApp, err,
    fake::{Plan, Script, queue::content_policy},
    ok, spawn_app,
};

const KEY: &str = "check-id:check-secret";
const FLUX: &str = "fal-ai/flux/dev";

fn image() -> Value {
    json!({"images": [{"url": "https://v3.fal.media/files/x/out.png", "width": 512, "height": 512, "content_type": "image/png"}]})
}

async fn submit(app: &TestApp, endpoint: &str) -> String {
    let submitted =
        ok(&app.call(KEY, "submit_job", json!({"endpoint_id": endpoint, "input": {"prompt": "a fox"}})).await);
    submitted["request_id"].as_str().unwrap().to_string()
}

/// The tool for `action`: check_job for "status", get_job_result for "result", cancel_job for "cancel".
async fn check(app: &TestApp, endpoint: &str, request_id: &str, action: &str) -> rmcp::model::CallToolResult {
    let (tool, arguments) = match action {
        "status" => ("check_job", json!({"endpoint_id": endpoint, "request_id": request_id, "logs": true})),
        "result" => ("get_job_result", json!({"endpoint_id": endpoint, "request_id": request_id})),
        "cancel" => ("cancel_job", json!({"endpoint_id": endpoint, "request_id": request_id})),
        other => panic!("no tool for {other}"),
    };
    app.call(KEY, tool, arguments).await
}

#[tokio::test]
async fn a_job_moves_from_queue_to_result() {
    let app = spawn_app().await;
    app.fake.script(FLUX, Script::manual(image()));
    let id = submit(&app, FLUX).await;
    let queued = ok(&check(&app, FLUX, &id, "status").await);
    assert_eq!((queued["status"].clone(), queued["queue_position"].clone()), (json!("IN_QUEUE"), json!(2)));
    let early = ok(&check(&app, FLUX, &id, "result").await);
    assert_eq!(early["status"], "IN_QUEUE", "result before completion answers with the status");
    assert!(early.get("output").is_none());

    app.fake.start_job(&id);
    app.fake.log(&id, "step 1");
    let running = ok(&check(&app, FLUX, &id, "status").await);
    assert_eq!(running["status"], "IN_PROGRESS");
    assert_eq!(running["logs"][0]["message"], "step 1");

    app.fake.finish_job(&id);
    let done = ok(&check(&app, FLUX, &id, "status").await);
    assert_eq!(done["status"], "COMPLETED");
    assert_eq!(done["output"], image(), "the status carries the output it fits");
    let result = check(&app, FLUX, &id, "result").await;
    let answer = ok(&result);
    assert_eq!(answer["output"], image());
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
async fn a_failed_job_reads_cleanly_in_a_validating_client() {
    let app = spawn_app().await;
    app.fake.script(FLUX, Script::failing(Plan::Instant, 422, content_policy(), "content_policy_violation"));
    let id = submit(&app, FLUX).await;
    // `call` checks every result against the tool's output schema, as the official SDKs do.
    let status = check(&app, FLUX, &id, "status").await;
    assert_ne!(status.is_error, Some(true), "the check worked; the job failed");
    let status = ok(&status);
    assert_eq!(status["status"], "FAILED");
    let error = &status["error"];
    assert_eq!((error["type"].clone(), error["retryable"].clone()), (json!("content_policy_violation"), json!(false)));
    assert!(error["message"].as_str().unwrap().contains("content checker"), "{error}");
    assert_eq!(error["request_id"], id.as_str());
    let next = status["next"].as_str().unwrap();
    assert!(next.contains("change the flagged input") && !next.contains("check_job"), "the job is over: {next}");

    let (e, sentence) = err(&check(&app, FLUX, &id, "result").await);
    assert_eq!((e["status"].clone(), e["request_id"].clone()), (json!(422), json!(id)));
    assert!(sentence.contains("prompt: The content could not be processed"), "{sentence}");
}

#[tokio::test]
async fn input_refused_when_the_job_ran_reads_like_a_submit_refusal() {
    let app = spawn_app().await;
    app.fake.set_validate_on_submit(false);
    let submitted = ok(&app.call(KEY, "submit_job", json!({"endpoint_id": "acme/no-schema", "input": {}})).await);
    assert_eq!(submitted["validated"], false);
    let id = submitted["request_id"].as_str().unwrap();
    let status = ok(&check(&app, "acme/no-schema", id, "status").await);
    assert_eq!(
        (status["status"].clone(), status["error"]["type"].clone()),
        (json!("FAILED"), json!("validation_error"))
    );
    let (e, sentence) = err(&check(&app, "acme/no-schema", id, "result").await);
    assert_eq!((e["status"].clone(), e["type"].clone()), (json!(422), json!("validation_error")));
    assert!(sentence.contains("prompt: Field required") && sentence.contains("fix the input fal names"), "{sentence}");
    assert_eq!(e["request_id"], id);
    assert!(!e["next"].as_str().unwrap().contains("check_job"), "the job is over: {e}");
}

#[tokio::test]
async fn cancel_in_each_state() {
    let app = spawn_app().await;
    app.fake.script(FLUX, Script::manual(image()));
    let queued = submit(&app, FLUX).await;
    assert_eq!(ok(&check(&app, FLUX, &queued, "cancel").await)["status"], "CANCELLATION_REQUESTED");
    let after = ok(&check(&app, FLUX, &queued, "status").await);
    assert_eq!(after["status"], "FAILED");
    assert_eq!(after["error"]["type"], "client_cancelled");

    let running = submit(&app, FLUX).await;
    app.fake.start_job(&running);
    assert_eq!(ok(&check(&app, FLUX, &running, "status").await)["status"], "IN_PROGRESS");
    assert_eq!(ok(&check(&app, FLUX, &running, "cancel").await)["status"], "CANCELLATION_REQUESTED");

    let done = submit(&app, FLUX).await;
    app.fake.finish_job(&done);
    assert_eq!(ok(&check(&app, FLUX, &done, "cancel").await)["status"], "ALREADY_COMPLETED");
    assert_eq!(ok(&check(&app, FLUX, "00000000-0000-0000-0000-000000000000", "cancel").await)["status"], "NOT_FOUND");
}

#[tokio::test]
async fn unknown_malformed_and_unreachable_requests() {
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

    let id = submit(&app, FLUX).await;
    app.fake.fail_next("/status", 503, &[], r#"{"detail":"Service Unavailable"}"#);
    let (e, sentence) = err(&check(&app, FLUX, &id, "status").await);
    assert_eq!((e["retryable"].clone(), e["request_id"].clone()), (json!(true), json!(id)), "checking again is safe");
    assert!(sentence.contains("the job is unaffected") && !sentence.contains("run it again"), "{sentence}");
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
        let input = if endpoint.contains("upscale") || endpoint.contains("image-to-video") {
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
async fn a_completed_status_carries_the_output() {
    let app = spawn_app().await;
    app.fake.script(FLUX, Script::instant(image()));
    let id = submit(&app, FLUX).await;
    let status = ok(&check(&app, FLUX, &id, "status").await);
    assert_eq!(status["status"], "COMPLETED");
    assert_eq!(status["output"], image(), "no second call needed");
    assert_eq!(status["media"][0]["url"], "https://v3.fal.media/files/x/out.png");
}

#[tokio::test]
async fn every_failure_the_fake_can_produce_gets_the_advice_its_type_calls_for() {
    let app = spawn_app().await;
    let typed = |kind: &str| json!({"detail": format!("failed with {kind}"), "error_type": kind});
    for (status, body, kind, retryable, advice) in [
        (422, content_policy(), "content_policy_violation", false, "change the flagged input"),
        (422, typed("image_too_small"), "image_too_small", false, "fix the input"),
        (422, typed("file_download_error"), "file_download_error", false, "fix the input"),
        (500, typed("runner_server_error"), "runner_server_error", true, "fal's side"),
        (504, typed("generation_timeout"), "generation_timeout", true, "fal's side"),
        (503, typed("runner_scheduling_failure"), "runner_scheduling_failure", true, "fal's side"),
    ] {
        app.fake.script(FLUX, Script::failing(Plan::Instant, status, body, kind));
        let id = submit(&app, FLUX).await;
        let answer = ok(&check(&app, FLUX, &id, "status").await);
        assert_eq!(answer["status"], "FAILED", "{kind}");
        let error = &answer["error"];
        assert_eq!((error["type"].as_str(), error["retryable"].as_bool()), (Some(kind), Some(retryable)), "{kind}");
        let next = answer["next"].as_str().unwrap();
        assert!(next.contains(advice) && !next.contains("check_job"), "{kind}: {next}");
        let (e, _) = err(&check(&app, FLUX, &id, "result").await);
        assert_eq!(
            (e["request_id"].as_str(), e["retryable"].as_bool()),
            (Some(id.as_str()), Some(retryable)),
            "{kind}: {e}"
        );
        assert!(!e["next"].as_str().unwrap().contains("check_job"), "{kind}: the job is over: {e}");
    }
    // A type fal adds later: the status (which carries no HTTP status) does not claim a retry can
    // succeed; the result, which carries fal's 500, is read by that status.
    app.fake.script(FLUX, Script::failing(Plan::Instant, 500, typed("a_type_fal_adds_later"), "a_type_fal_adds_later"));
    let id = submit(&app, FLUX).await;
    let answer = ok(&check(&app, FLUX, &id, "status").await);
    assert_eq!(answer["error"]["retryable"], false);
    let (e, _) = err(&check(&app, FLUX, &id, "result").await);
    assert_eq!((e["status"].as_u64(), e["retryable"].as_bool()), (Some(500), Some(true)), "{e}");
    // A job cancelled before it finished: fal reports client_cancelled.
    app.fake.script(FLUX, Script::manual(image()));
    let id = submit(&app, FLUX).await;
    ok(&check(&app, FLUX, &id, "cancel").await);
    let answer = ok(&check(&app, FLUX, &id, "status").await);
    assert_eq!(answer["error"]["type"], "client_cancelled");
    assert!(answer["next"].as_str().unwrap().contains("cancelled"), "{answer}");
}

#[tokio::test]
async fn reading_a_job_and_stopping_it_are_separate_tools_a_host_can_tell_apart() {
    let app = spawn_app().await;
    let client = app.client(KEY).await;
    let tools = client.list_all_tools().await.unwrap();
    client.cancel().await.ok();
    let hints = |name: &str| {
        let tool = tools.iter().find(|t| t.name == name).unwrap_or_else(|| panic!("no {name}"));
        let a = tool.annotations.as_ref().unwrap();
        (a.read_only_hint, a.destructive_hint, a.idempotent_hint, a.open_world_hint)
    };
    assert_eq!(hints("check_job"), (Some(true), Some(false), Some(true), Some(true)), "polling never asks permission");
    assert_eq!(hints("get_job_result"), (Some(true), Some(false), Some(true), Some(true)));
    assert_eq!(hints("cancel_job"), (Some(false), Some(true), Some(true), Some(true)), "stopping a job always asks");
    for tool in &tools {
        let a = tool.annotations.as_ref().unwrap_or_else(|| panic!("{} has no hints", tool.name));
        assert!(a.title.is_some() || tool.title.is_some(), "{} has no title", tool.name);
        let set = [a.read_only_hint, a.destructive_hint, a.idempotent_hint, a.open_world_hint];
        assert!(set.iter().all(Option::is_some), "{} leaves a hint unset: {a:?}", tool.name);
    }

    // The old action argument points at the tool that does it now; nothing is cancelled by check_job.
    app.fake.script(FLUX, Script::manual(image()));
    let id = submit(&app, FLUX).await;
    let asked = app.call(KEY, "check_job", json!({"endpoint_id": FLUX, "request_id": id, "action": "cancel"})).await;
    let (e, sentence) = err(&asked);
    assert_eq!(e["type"], "invalid_argument");
    assert!(sentence.contains("call cancel_job"), "{sentence}");
    assert_eq!(ok(&check(&app, FLUX, &id, "status").await)["status"], "IN_QUEUE", "still queued");
    let status =
        ok(&app.call(KEY, "check_job", json!({"endpoint_id": FLUX, "request_id": id, "action": "status"})).await);
    assert_eq!(status["status"], "IN_QUEUE", "action status is what check_job does");
}
