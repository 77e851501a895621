//! submit_job against the fake queue: what fal refuses, what fal may have queued, unlisted apps, webhooks.

use std::time::Duration;

use serde_json::json;

use crate::support::{err, ok, spawn_app};

const KEY: &str = "submit-id:submit-secret";
const FLUX: &str = "fal-ai/flux/dev";

#[tokio::test]
async fn a_submitted_job_answers_at_once_with_how_to_follow_it() {
    let app = spawn_app().await;
    let answer = ok(&app.call(KEY, "submit_job", json!({"endpoint_id": FLUX, "input": {"prompt": "a fox"}})).await);
    let id = answer["request_id"].as_str().unwrap();
    assert_eq!(id.len(), 36, "a fal request id: {answer}");
    assert_eq!((answer["status"].clone(), answer["queue_position"].clone()), (json!("IN_QUEUE"), json!(2)));
    assert_eq!(answer["endpoint_id"], FLUX);
    assert!(answer["next"].as_str().unwrap().contains("check_job (this endpoint_id and request_id)"), "{answer}");
    assert_eq!(app.fake.jobs()[0].input, json!({"prompt": "a fox"}));
}

#[tokio::test]
async fn fal_refusals_at_submit_say_nothing_was_queued() {
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
    assert!(
        sentence.contains("Too many concurrent requests") && sentence.contains("retry after 12 seconds"),
        "{sentence}"
    );

    let (e, sentence) =
        err(&app.call("poor:no-balance", "submit_job", json!({"endpoint_id": FLUX, "input": {"prompt": "x"}})).await);
    assert_eq!((e["status"].clone(), e["type"].clone()), (json!(403), json!("authorization_error")));
    assert!(sentence.contains("locked or out of balance") && sentence.contains("not the problem"), "{sentence}");
    assert!(
        !sentence.contains("check the arguments"),
        "a refused account is never blamed on the arguments: {sentence}"
    );
    assert!(app.fake.jobs().is_empty());
}

#[tokio::test]
async fn a_submit_fal_may_have_received_is_not_flagged_for_a_retry() {
    let app = spawn_app().await;
    // Longer than the test server's 2 s upstream timeout: fal may have queued it, no answer came back.
    app.fake.stall_next("/queue/fal-ai/flux/dev", Duration::from_secs(3));
    let (e, sentence) = err(&app.call(KEY, "submit_job", json!({"endpoint_id": FLUX, "input": {"prompt": "x"}})).await);
    assert_eq!((e["type"].clone(), e["retryable"].clone()), (json!("timeout"), json!(false)));
    assert!(sentence.contains("fal may have queued the job") && sentence.contains("dashboard/requests"), "{sentence}");
}

#[tokio::test]
async fn unlisted_apps_and_their_sub_paths_are_submitted_unchecked() {
    let app = spawn_app().await;
    let answer = ok(&app
        .call(
            KEY,
            "submit_job",
            json!({"endpoint_id": "workflows/acme-studio/product-hero/fast", "input": {"prompt": "hero"}}),
        )
        .await);
    assert_eq!((answer["validated"].clone(), answer["status"].clone()), (json!(false), json!("IN_QUEUE")));
    assert!(answer["validation_skipped"].as_str().unwrap().contains("workflows/acme-studio/product-hero/fast"));
    let submit = app.fake.requests().into_iter().find(|r| r.method == "POST" && r.path.starts_with("/queue/")).unwrap();
    assert_eq!(submit.path, "/queue/workflows/acme-studio/product-hero/fast", "the full id, sub-path included");

    let (e, sentence) =
        err(&app.call(KEY, "submit_job", json!({"endpoint_id": "nobody/nothing", "input": {"prompt": "x"}})).await);
    assert_eq!(e["status"], 404);
    assert!(
        sentence.contains("Application 'nobody/nothing' not found") && sentence.contains("search_models"),
        "{sentence}"
    );
}

#[tokio::test]
async fn webhooks_are_checked_and_sent_as_fal_expects() {
    let app = spawn_app().await;
    let (e, _) = err(&app
        .call(KEY, "submit_job", json!({"endpoint_id": FLUX, "input": {"prompt": "x"}, "webhook_url": "ftp://x"}))
        .await);
    assert_eq!(e["type"], "invalid_argument");
    ok(&app
        .call(
            KEY,
            "submit_job",
            json!({"endpoint_id": FLUX, "input": {"prompt": "x"}, "webhook_url": "https://hooks.example.com/fal?x=1"}),
        )
        .await);
    let submit = app.fake.requests().into_iter().rfind(|r| r.method == "POST").unwrap();
    assert_eq!(submit.query, "fal_webhook=https%3A%2F%2Fhooks.example.com%2Ffal%3Fx%3D1");
}
