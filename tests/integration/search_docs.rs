//! search_docs: the docs site's search (SSE or JSON), and the llms.txt index when it fails.

use serde_json::json;

use crate::support::{err, fake::DocsMode, ok, spawn_app};

const KEY: &str = "docs-id:docs-secret";

#[tokio::test]
async fn search_docs_reads_sse_and_json_replies() {
    let app = spawn_app().await;
    for mode in [DocsMode::Sse, DocsMode::Json] {
        app.fake.set_docs_mode(mode);
        let found = ok(&app.call(KEY, "search_docs", json!({"query": "webhooks", "limit": 1})).await);
        assert_eq!(found["source"], "docs_search", "{mode:?}");
        assert_eq!(
            found["results"],
            json!([{"title": "Webhooks", "url": "https://docs.fal.ai/model-apis/webhooks",
                    "snippet": "Pass fal_webhook when you submit a request and fal POSTs the result to your URL when it completes, signed with ED25519."}])
        );
    }
    let sent = app.fake.requests_to("/docs/mcp").pop().unwrap();
    let body: serde_json::Value = serde_json::from_str(&sent.body).unwrap();
    assert_eq!(body["params"]["name"], "SearchFal");
    assert_eq!(body["params"]["arguments"]["query"], "webhooks");
}

#[tokio::test]
async fn search_docs_falls_back_to_the_page_index() {
    let app = spawn_app().await;
    for mode in [DocsMode::Fail, DocsMode::Empty] {
        app.fake.set_docs_mode(mode);
        let found = ok(&app.call(KEY, "search_docs", json!({"query": "upload a file"})).await);
        assert_eq!(found["source"], "docs_index", "{mode:?}");
        let first = &found["results"][0];
        assert_eq!(first["title"], "File uploads");
        assert_eq!(first["url"], "https://docs.fal.ai/model-apis/file-uploads.md");
        assert!(first["snippet"].as_str().unwrap().contains("CDN"));
    }
    assert_eq!(app.fake.requests_to("/docs/llms.txt").len(), 1, "the index is cached");
}

#[tokio::test]
async fn search_docs_errors_are_clear() {
    let app = spawn_app().await;
    for (args, needle) in [
        (json!({"query": "   "}), "the query is empty"),
        (json!({"query": "webhooks", "limit": 0}), "limit 0"),
        (json!({"query": "webhooks", "limit": 21}), "limit 21"),
    ] {
        let (e, sentence) = err(&app.call(KEY, "search_docs", args).await);
        assert_eq!(e["type"], "invalid_argument");
        assert!(sentence.contains(needle), "{sentence}");
    }
    assert!(app.fake.requests().is_empty());

    app.fake.set_docs_mode(DocsMode::Fail);
    app.fake.fail_next("/docs/llms.txt", 503, &[], "");
    let (e, sentence) = err(&app.call(KEY, "search_docs", json!({"query": "webhooks"})).await);
    assert_eq!(e["retryable"], true);
    assert!(sentence.starts_with("failed to search the docs: 502"), "{sentence}");
    assert!(sentence.contains("https://docs.fal.ai"), "{sentence}");
}
