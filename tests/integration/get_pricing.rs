//! get_pricing against the fake fal: one or many prices, fal's form of a list, estimates for a
//! quantity and for the exact input of a call (every unit kind), refusals.

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
    assert_eq!(many["unpriced"], json!(["nobody/nothing"]), "no catalog id is near: it may be a private app");
    let expected = flux["unit_price"].as_f64().unwrap() * 4.0 + veo["unit_price"].as_f64().unwrap() * 4.0;
    let total = many["estimate"]["total_cost"].as_f64().unwrap();
    assert!((total - expected).abs() < 1e-6, "{total} vs {expected}");
    assert_eq!(many["estimate"]["unit_quantity"], 4.0);
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

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

/// The estimate get_pricing gives for `input` to `endpoint`.
async fn estimate_for(app: &crate::support::TestApp, endpoint: &str, input: Value) -> Value {
    let answer = ok(&app.call(KEY, "get_pricing", json!({"endpoint_id": endpoint, "input": input})).await);
    answer["estimate"].clone()
}

#[tokio::test]
async fn the_cost_of_a_call_is_derived_from_its_input_for_every_unit_kind() {
    let app = spawn_app().await;
    let long_text = "word ".repeat(500);
    // (endpoint, input, units the input asks for, words the basis must name). The schemas are fal's
    // real documents where the fake has one (flux/dev, ideogram, recraft, kling, veo3, sora-2, wan).
    let cases = [
        (
            "fal-ai/flux/dev",
            json!({"prompt": "x", "num_images": 2, "image_size": "landscape_16_9"}),
            2.0,
            "landscape_16_9 = 1024×576 = 0.56 MP",
        ),
        ("fal-ai/flux/dev", json!({"prompt": "x"}), 1.0, "landscape_4_3 = 1024×768 = 0.75 MP, the model's default"),
        (
            "fal-ai/flux/dev",
            json!({"prompt": "x", "image_size": {"width": 2048, "height": 1536}, "num_images": null}),
            3.0,
            "2048×1536 = 3.00 MP",
        ),
        ("fal-ai/ideogram/v3", json!({"prompt": "x", "num_images": 3}), 3.0, "3 images (num_images from the input)"),
        ("fal-ai/recraft/v3/text-to-image", json!({"prompt": "x"}), 1.0, "1 image (one per call)"),
        (
            "fal-ai/kling-video/v2.5-turbo/pro/image-to-video",
            json!({"prompt": "x", "image_url": "https://x/y.png"}),
            5.0,
            "duration \"5\" the model's default",
        ),
        (
            "fal-ai/kling-video/v2.5-turbo/pro/image-to-video",
            json!({"prompt": "x", "duration": "10"}),
            10.0,
            "duration \"10\" from the input",
        ),
        ("fal-ai/veo3", json!({"prompt": "x"}), 8.0, "duration \"8s\""),
        ("fal-ai/sora-2/text-to-video/pro", json!({"prompt": "x", "duration": 12}), 12.0, "duration 12"),
        (
            "fal-ai/wan/v2.2-a14b/image-to-video",
            json!({"prompt": "x"}),
            81.0 / 16.0,
            "num_frames 81 ÷ frames_per_second 16",
        ),
        ("fal-ai/elevenlabs/tts/multilingual-v2", json!({"text": long_text}), 2.5, "2500 characters of text"),
        ("fal-ai/bytedance/seedance/v1/pro/text-to-video", json!({"prompt": "x"}), 1.0, "1 video per call"),
        ("fal-ai/hunyuan3d-v21", json!({"prompt": "x"}), 1.0, "1 request per call"),
        ("fal-ai/minimax-music/v1.5", json!({"prompt": "x"}), 1.0, "1 generation per call"),
        ("fal-ai/flux-lora-portrait-trainer", json!({"prompt": "x", "steps": 1000}), 1000.0, "1000 steps"),
    ];
    for (endpoint, input, units, words) in cases {
        let fixture = app.fake.fixture(endpoint).unwrap();
        let unit_price = fixture["unit_price"].as_f64().unwrap();
        let estimate = estimate_for(&app, endpoint, input).await;
        let basis = estimate["basis"].as_str().unwrap();
        assert!(close(estimate["unit_quantity"].as_f64().unwrap(), units), "{endpoint}: {estimate}");
        assert!(close(estimate["total_cost"].as_f64().unwrap(), unit_price * units), "{endpoint}: {estimate}");
        assert_eq!((estimate["unit"].clone(), estimate["currency"].clone()), (fixture["unit"].clone(), json!("USD")));
        assert!(basis.contains(words), "{endpoint}: {basis}");
        let unit = fixture["unit"].as_str().unwrap();
        let per_unit = match unit.split_once(' ') {
            Some((count, rest)) if count.parse::<u32>().is_ok_and(|n| n >= 1000) => {
                format!("{},{} {rest}", &count[..count.len() - 3], &count[count.len() - 3..])
            }
            _ => unit.trim_end_matches('s').to_string(),
        };
        assert!(basis.contains(&format!("per {per_unit}")), "{basis}");
    }
    assert!(app.fake.requests_to("/pricing/estimate").is_empty(), "unit prices are multiplied here, not asked for");
}

#[tokio::test]
async fn a_call_whose_input_does_not_state_its_units_is_priced_per_call_or_not_at_all() {
    let app = spawn_app().await;
    // GPU seconds, minutes of an input video, megapixels of an input image: fal's average per call.
    for (endpoint, input, why) in [
        ("fal-ai/fast-sdxl", json!({"prompt": "x"}), "no duration"),
        ("fal-ai/sync-lipsync/v2", json!({"prompt": "x"}), "no duration"),
        (
            "fal-ai/qwen-image-edit-plus-lora",
            json!({"prompt": "x", "image_urls": ["https://x/y.png"]}),
            "no image_size",
        ),
    ] {
        let call_price = app.fake.fixture(endpoint).unwrap()["call_price"].as_f64().unwrap();
        let estimate = estimate_for(&app, endpoint, input).await;
        assert_eq!(
            (estimate["unit"].clone(), estimate["unit_quantity"].clone()),
            (json!("call"), json!(1.0)),
            "{endpoint}"
        );
        assert!(close(estimate["total_cost"].as_f64().unwrap(), call_price), "{endpoint}: {estimate}");
        let basis = estimate["basis"].as_str().unwrap();
        assert!(basis.contains(why) && basis.contains("average cost per call"), "{endpoint}: {basis}");
    }
    let asked = app.fake.requests_to("/pricing/estimate");
    let body: Value = serde_json::from_str(&asked[0].body).unwrap();
    assert_eq!(body["estimate_type"], "historical_api_price");
    assert_eq!(body["endpoints"]["fal-ai/fast-sdxl"]["call_quantity"], 1);

    // No unit the input states and no history; no price at all: total_cost is null and basis says why.
    let none = estimate_for(&app, "fal-ai/stable-diffusion-v15", json!({"prompt": "x"})).await;
    assert_eq!((none["total_cost"].clone(), none["unit"].clone()), (Value::Null, json!("second")), "{none}");
    assert!(none["basis"].as_str().unwrap().starts_with("no estimate: "), "{none}");
    let answer = ok(&app
        .call(
            KEY,
            "get_pricing",
            json!({"endpoint_id": "workflows/acme-studio/product-hero/fast", "input": {"prompt": "x"}}),
        )
        .await);
    assert_eq!(answer["unpriced"], json!(["workflows/acme-studio/product-hero/fast"]));
    assert_eq!(answer["estimate"]["total_cost"], Value::Null);
    assert!(answer["estimate"]["basis"].as_str().unwrap().contains("fal lists no unit price"), "{answer}");
}

#[tokio::test]
async fn endpoint_id_takes_fal_s_comma_separated_form() {
    let app = spawn_app().await;
    let answer = ok(&app
        .call(
            KEY,
            "get_pricing",
            json!({"endpoint_id": "fal-ai/flux/dev, fal-ai/veo3,", "endpoint_ids": ["fal-ai/veo3", "fal-ai/trellis"]}),
        )
        .await);
    let ids: Vec<&str> =
        answer["prices"].as_array().unwrap().iter().map(|p| p["endpoint_id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 3, "{answer}");
    let asked = app.fake.requests_to("/v1/models/pricing").pop().unwrap();
    assert_eq!(asked.query.matches("endpoint_id=").count(), 3, "deduplicated: {}", asked.query);

    let fifty_one = (0..51).map(|i| format!("owner/model-{i}")).collect::<Vec<_>>().join(",");
    let before = app.fake.requests().len();
    for (args, needle) in [
        (json!({"endpoint_id": fifty_one}), "at most 50"),
        (json!({"endpoint_id": "fal-ai/flux/dev,../etc"}), "endpoint"),
        (
            json!({"endpoint_id": "fal-ai/flux/dev,fal-ai/veo3", "input": {"prompt": "x"}}),
            "input was given with more than one endpoint",
        ),
        (json!({"endpoint_id": "fal-ai/flux/dev", "input": {"prompt": "x"}, "quantity": 2}), "with quantity"),
    ] {
        let (e, sentence) = err(&app.call(KEY, "get_pricing", args).await);
        assert_eq!(e["type"], "invalid_argument");
        assert!(sentence.contains(needle), "{sentence}");
    }
    assert_eq!(app.fake.requests().len(), before, "refused before reaching fal");
}

#[tokio::test]
async fn an_id_fal_does_not_know_is_an_error_alone_and_listed_apart_in_a_batch() {
    let app = spawn_app().await;
    let (e, sentence) = err(&app.call(KEY, "get_pricing", json!({"endpoint_id": "fal-ai/flux/dvv"})).await);
    assert_eq!(e["type"], "not_found");
    assert!(sentence.contains("did you mean fal-ai/flux/dev"), "{sentence}");

    let both = ok(&app.call(KEY, "get_pricing", json!({"endpoint_ids": ["fal-ai/flux/dev", "fal-ai/flux/dvv"]})).await);
    assert_eq!(both["prices"][0]["endpoint_id"], "fal-ai/flux/dev");
    assert_eq!(both["unknown"][0]["endpoint_id"], "fal-ai/flux/dvv");
    assert!(both["unknown"][0]["did_you_mean"].as_array().unwrap().contains(&json!("fal-ai/flux/dev")), "{both}");
    assert!(both.get("unpriced").is_none(), "an unknown id is not an unpriced one: {both}");
}
