//! get_pricing against the fake fal: one or many prices, estimates, refusals.

use serde_json::{Value, json};

use crate::support::{err, ok, spawn_app};

const KEY: &str = "disc-id:disc-secret";

#[tokio::test]
async fn get_pricing_prices_one_or_many_and_estimates() {
    let app = spawn_app().await;
    let flux = app.fake.fixture("fal-ai/flux/dev").unwrap();
    let one = ok(&app.call(KEY, "get_pricing", json!({"endpoint_id": "fal-ai/flux/dev"})).await);
    assert_eq!(
        one["prices"],
        json!([{"endpoint_id": "fal-ai/flux/dev", "unit_price": flux["unit_price"], "unit": flux["unit"], "currency": "USD"}])
    );
    assert!(one.get("estimate").is_none());

    let veo = app.fake.fixture("fal-ai/veo3").unwrap();
    let many = ok(&app
        .call(
            KEY,
            "get_pricing",
            json!({"endpoint_ids": ["fal-ai/flux/dev", "fal-ai/veo3", "nobody/nothing"], "quantity": 4}),
        )
        .await);
    assert_eq!(many["prices"].as_array().unwrap().len(), 2);
    assert_eq!(many["unpriced"], json!(["nobody/nothing"]));
    let expected = flux["unit_price"].as_f64().unwrap() * 4.0 + veo["unit_price"].as_f64().unwrap() * 4.0;
    let total = many["estimate"]["total_cost"].as_f64().unwrap();
    assert!((total - expected).abs() < 1e-6, "{total} vs {expected}");
    assert_eq!(many["estimate"]["quantity"], 4.0);
    let estimate = app.fake.requests_to("/pricing/estimate").pop().unwrap();
    let body: Value = serde_json::from_str(&estimate.body).unwrap();
    assert_eq!(body["estimate_type"], "unit_price");
    assert_eq!(body["endpoints"]["fal-ai/veo3"]["unit_quantity"], 4.0);
    let prices = app.fake.requests_to("/v1/models/pricing").pop().unwrap();
    assert_eq!(prices.query.matches("endpoint_id=").count(), 3);
}

#[tokio::test]
async fn get_pricing_refuses_bad_input_and_reports_fal_errors() {
    let app = spawn_app().await;
    let fifty_one: Vec<String> = (0..51).map(|i| format!("owner/model-{i}")).collect();
    for (args, needle) in [
        (json!({}), "no endpoint given"),
        (json!({"endpoint_ids": fifty_one}), "at most 50"),
        (json!({"endpoint_id": "fal-ai/flux/dev", "quantity": 0}), "quantity 0"),
        (json!({"endpoint_id": "fal-ai/flux/dev", "quantity": -3}), "quantity -3"),
    ] {
        let (e, sentence) = err(&app.call(KEY, "get_pricing", args).await);
        assert_eq!(e["type"], "invalid_argument");
        assert!(sentence.contains(needle), "{sentence}");
    }
    assert!(app.fake.requests().is_empty());

    app.fake.fail_next(
        "/pricing/estimate",
        500,
        &[],
        r#"{"error":{"type":"server_error","message":"estimator down"}}"#,
    );
    let (e, sentence) =
        err(&app.call(KEY, "get_pricing", json!({"endpoint_id": "fal-ai/flux/dev", "quantity": 1})).await);
    assert_eq!((e["status"].clone(), e["retryable"].clone()), (json!(500), json!(true)));
    assert!(sentence.starts_with("failed to estimate the cost: 500 estimator down."), "{sentence}");
}
