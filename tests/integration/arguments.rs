//! Every argument problem, for every tool: a missing, null, wrong-typed, unknown or out-of-range
//! argument is a tool error of type invalid_argument that names the argument, and nothing reaches fal.

use serde_json::{Value, json};

use crate::support::{err, spawn_app};

const KEY: &str = "args-id:args-secret";

/// (tool, arguments, words the message must hold)
fn cases() -> Vec<(&'static str, Value, &'static str)> {
    vec![
        ("search_models", json!({"query": 5}), "query must be a string"),
        ("search_models", json!({"limit": "ten"}), "limit must be a whole number"),
        ("search_models", json!({"limit": -1}), "limit must be a whole number"),
        ("search_models", json!({"cursor": ["a"]}), "cursor must be a string"),
        ("search_models", json!({"q": "flux"}), "there is no argument q"),
        ("get_model_schema", json!({}), "the argument endpoint_id is required"),
        ("get_model_schema", json!({"endpoint_id": null}), "endpoint_id must be a string, not null"),
        ("get_model_schema", json!({"endpoint_id": {"id": "x"}}), "endpoint_id must be a string"),
        ("get_pricing", json!({"endpoint_ids": "fal-ai/flux/dev"}), "endpoint_ids must be an array"),
        ("get_pricing", json!({"endpoint_ids": [1]}), "endpoint_ids[0] must be a string"),
        ("get_pricing", json!({"endpoint_id": "fal-ai/flux/dev", "quantity": "2"}), "quantity must be a number"),
        ("search_docs", json!({}), "the argument query is required"),
        ("search_docs", json!({"query": "webhooks", "limit": 1.5}), "limit must be a whole number"),
        ("recommend_model", json!({"task": null}), "task must be a string, not null"),
        ("recommend_model", json!({"task": "a logo", "limit": true}), "limit must be a whole number"),
        ("run_model", json!({"endpoint_id": "fal-ai/flux/dev"}), "the argument input is required"),
        ("run_model", json!({"endpoint_id": "fal-ai/flux/dev", "input": "a fox"}), "input must be an object"),
        (
            "run_model",
            json!({"endpoint_id": "fal-ai/flux/dev", "input": {}, "timeout_seconds": "soon"}),
            "timeout_seconds must be a whole number",
        ),
        ("submit_job", json!({"endpoint_id": 7, "input": {}}), "endpoint_id must be a string"),
        (
            "submit_job",
            json!({"endpoint_id": "fal-ai/flux/dev", "input": [], "webhook_url": null}),
            "input must be an object",
        ),
        (
            "submit_job",
            json!({"endpoint_id": "fal-ai/flux/dev", "input": {}, "webhook_url": 3}),
            "webhook_url must be a string",
        ),
        ("check_job", json!({"endpoint_id": null, "request_id": "abc"}), "endpoint_id must be a string, not null"),
        ("check_job", json!({"endpoint_id": "fal-ai/flux/dev"}), "the argument request_id is required"),
        (
            "check_job",
            json!({"endpoint_id": "fal-ai/flux/dev", "request_id": "abc", "action": "stop"}),
            "is a tool of its own now",
        ),
        (
            "check_job",
            json!({"endpoint_id": "fal-ai/flux/dev", "request_id": "abc", "logs": "yes"}),
            "logs must be true or false",
        ),
        ("get_job_result", json!({"endpoint_id": "fal-ai/flux/dev"}), "the argument request_id is required"),
        (
            "get_job_result",
            json!({"endpoint_id": "fal-ai/flux/dev", "request_id": "abc", "logs": true}),
            "there is no argument logs",
        ),
        ("cancel_job", json!({"endpoint_id": 3, "request_id": "abc"}), "endpoint_id must be a string"),
        ("upload_file", json!({"url": 5}), "url must be a string"),
        ("upload_file", json!({"data": "aGk=", "file_name": ["a.png"]}), "file_name must be a string"),
        ("upload_file", json!({"path": "/etc/passwd"}), "there is no argument path"),
    ]
}

#[tokio::test]
async fn every_argument_problem_names_the_argument_before_fal_is_asked() {
    let app = spawn_app().await;
    let client = app.client(KEY).await;
    let mut tools_seen = std::collections::BTreeSet::new();
    for (tool, arguments, words) in cases() {
        let (error, sentence) = err(&crate::support::call(&client, tool, arguments.clone()).await);
        assert_eq!(error["type"], "invalid_argument", "{tool} {arguments}: {sentence}");
        assert_eq!((error["retryable"].clone(), error["status"].clone()), (json!(false), Value::Null));
        assert!(error["message"].as_str().unwrap().contains(words), "{tool} {arguments}: {sentence}");
        tools_seen.insert(tool);
    }
    client.cancel().await.ok();
    assert_eq!(tools_seen.len(), 11, "every tool was given bad arguments");
    assert!(app.fake.requests().is_empty(), "a refused argument reached fal: {:?}", app.fake.requests());
}

#[tokio::test]
async fn explicit_nulls_for_optional_arguments_mean_the_default() {
    let app = spawn_app().await;
    let found = crate::support::ok(
        &app.call(KEY, "search_models", json!({"query": "flux", "limit": null, "category": null, "cursor": null}))
            .await,
    );
    assert!(found["total_shown"].as_u64().unwrap() > 0);
    let request = app.fake.keyed_requests_to("/v1/models").pop().unwrap();
    assert!(request.query.contains("limit=20"), "{}", request.query);
}
