//! recommend_model on the fixture catalog: category inference and ranking over 26 task descriptions.

use serde_json::{Value, json};

use crate::support::{err, ok, spawn_app};

const KEY: &str = "rec-id:rec-secret";

/// (task, inferred category, acceptable first picks)
const TASKS: &[(&str, &str, &[&str])] = &[
    (
        "a photorealistic portrait of an astronaut",
        "text-to-image",
        &["fal-ai/flux-pro/v1.1-ultra", "fal-ai/imagen4/preview"],
    ),
    (
        "a logo for a coffee shop with clean typography",
        "text-to-image",
        &["fal-ai/imagen4/preview", "fal-ai/ideogram/v3", "fal-ai/recraft/v3/text-to-image"],
    ),
    ("a cute die-cut sticker of a cat", "text-to-image", &["workflows/fal-ai/sdxl-sticker"]),
    (
        "remove the background from this product photo",
        "image-to-image",
        &["fal-ai/birefnet/v2", "fal-ai/imageutils/rembg", "fal-ai/bria/background/remove"],
    ),
    (
        "upscale my photo to 4x resolution",
        "image-to-image",
        &["fal-ai/clarity-upscaler", "fal-ai/aura-sr", "fal-ai/esrgan", "fal-ai/creative-upscaler"],
    ),
    (
        "edit this image: replace the sky with a sunset",
        "image-to-image",
        &[
            "fal-ai/nano-banana/edit",
            "fal-ai/flux-pro/kontext",
            "fal-ai/bytedance/seedream/v4/edit",
            "fal-ai/qwen-image-edit",
        ],
    ),
    ("face swap me onto this movie poster", "image-to-image", &["fal-ai/face-swap"]),
    (
        "a 10 second cinematic video of ocean waves at sunset",
        "text-to-video",
        &["fal-ai/veo3", "fal-ai/kling-video/v2.5-turbo/pro/text-to-video"],
    ),
    (
        "animate this photo of my dog running",
        "image-to-video",
        &["fal-ai/kling-video/v2.5-turbo/pro/image-to-video", "fal-ai/veo3/image-to-video"],
    ),
    (
        "turn this still image into a short video clip",
        "image-to-video",
        &["fal-ai/kling-video/v2.5-turbo/pro/image-to-video", "fal-ai/minimax/hailuo-02/standard/image-to-video"],
    ),
    ("lip sync this video to a new voice track", "video-to-video", &["fal-ai/sync-lipsync/v2", "fal-ai/latentsync"]),
    ("upscale my video to 4k", "video-to-video", &["fal-ai/topaz/upscale/video"]),
    (
        "narrate my blog post in a warm voice",
        "text-to-speech",
        &["fal-ai/elevenlabs/tts/multilingual-v2", "fal-ai/minimax/speech-02-hd"],
    ),
    (
        "text to speech for a podcast intro in Spanish",
        "text-to-speech",
        &["fal-ai/elevenlabs/tts/multilingual-v2", "fal-ai/minimax/speech-02-hd"],
    ),
    (
        "transcribe a podcast episode with speaker labels",
        "speech-to-text",
        &["fal-ai/wizper", "fal-ai/whisper", "fal-ai/elevenlabs/speech-to-text"],
    ),
    (
        "generate subtitles for my lecture recording",
        "speech-to-text",
        &["fal-ai/wizper", "fal-ai/whisper", "fal-ai/elevenlabs/speech-to-text"],
    ),
    (
        "write a lo-fi hip hop song for studying",
        "text-to-audio",
        &["fal-ai/minimax-music", "fal-ai/ace-step", "fal-ai/stable-audio-25/text-to-audio", "fal-ai/lyria2"],
    ),
    ("a sound effect of a creaking door", "text-to-audio", &["fal-ai/elevenlabs/sound-effects"]),
    (
        "make a 3d model from this photo of a chair",
        "image-to-3d",
        &["fal-ai/hunyuan3d-v21", "fal-ai/trellis", "fal-ai/hunyuan3d/v2"],
    ),
    ("a low-poly 3d mesh of a dragon for my game", "text-to-3d", &["fal-ai/hunyuan3d-v21/text-to-3d"]),
    ("fine-tune a LoRA on photos of my product", "training", &["fal-ai/flux-lora-fast-training"]),
    ("train a portrait model on 20 selfies of me", "training", &["fal-ai/flux-lora-portrait-trainer"]),
    ("describe this image in detail", "vision", &["fal-ai/any-llm/vision", "fal-ai/florence-2-large/detailed-caption"]),
    ("summarize a long article into bullet points", "llm", &["fal-ai/any-llm"]),
    // The README's worked example.
    ("photorealistic picture of a red fox in snow", "text-to-image", &["fal-ai/flux-pro/v1.1-ultra"]),
    (
        "animate this photo into a 5 second video",
        "image-to-video",
        &["fal-ai/kling-video/v2.5-turbo/pro/image-to-video"],
    ),
];

fn ids(answer: &Value) -> Vec<String> {
    answer["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["endpoint_id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn recommends_sensible_models_for_26_tasks() {
    let app = spawn_app().await;
    let client = app.client(KEY).await;
    let mut failures = Vec::new();
    for (task, category, acceptable) in TASKS {
        let answer = ok(&crate::support::call(&client, "recommend_model", json!({"task": task})).await);
        let picks = ids(&answer);
        if answer["inferred_category"] != *category || !acceptable.contains(&picks[0].as_str()) {
            failures.push(format!("{task}: {} {picks:?}", answer["inferred_category"]));
            continue;
        }
        for r in answer["recommendations"].as_array().unwrap() {
            assert_eq!(r["category"], *category, "{task}: recommendations stay in the inferred category");
            assert!(!r["reason"].as_str().unwrap().is_empty());
            let long = category.contains("video") || category.contains("3d") || *category == "training";
            assert_eq!(r["run_with"], if long { "submit_job" } else { "run_model" }, "{task}");
        }
        assert!(picks.len() <= 5);
        for r in answer["recommendations"].as_array().unwrap() {
            let fixture = app.fake.fixture(r["endpoint_id"].as_str().unwrap()).unwrap();
            assert_eq!(
                (r["unit_price"].clone(), r["unit"].clone()),
                (fixture["unit_price"].clone(), fixture["unit"].clone())
            );
        }
    }
    client.cancel().await.ok();
    assert!(failures.is_empty(), "unexpected recommendations:\n{}", failures.join("\n"));
}

#[tokio::test]
async fn deprecated_models_rank_below_active_ones_and_say_so() {
    let app = spawn_app().await;
    // The deprecated SD 1.5 entry's description matches these words as well as any active model's.
    let answer = ok(&app
        .call(KEY, "recommend_model", json!({"task": "photorealistic images, logos and illustrations", "limit": 20}))
        .await);
    let recommendations = answer["recommendations"].as_array().unwrap();
    let position =
        recommendations.iter().position(|r| r["endpoint_id"] == "fal-ai/stable-diffusion-v15").expect("listed");
    assert_eq!(position, recommendations.len() - 1, "deprecated ranks last");
    assert!(recommendations[position]["reason"].as_str().unwrap().contains("deprecated"));
}

#[tokio::test]
async fn a_given_category_overrides_inference_and_flagships_come_first() {
    let app = spawn_app().await;
    let answer = ok(&app
        .call(KEY, "recommend_model", json!({"task": "something nice", "category": "text-to-video", "limit": 3}))
        .await);
    assert_eq!(answer["inferred_category"], "text-to-video");
    assert_eq!(
        ids(&answer),
        [
            "fal-ai/veo3",
            "fal-ai/kling-video/v2.5-turbo/pro/text-to-video",
            "fal-ai/bytedance/seedance/v1/pro/text-to-video"
        ]
    );
    assert!(answer["recommendations"][0]["reason"].as_str().unwrap().starts_with("A flagship text-to-video model"));
    let requests = app.fake.requests_to("/v1/models");
    assert_eq!(requests.len(), 2, "one category page and one flagship lookup");
    assert!(requests.iter().any(|r| r.query.contains("category=text-to-video") && r.query.contains("limit=100")));
    assert!(requests.iter().any(|r| r.query.contains("endpoint_id=fal-ai%2Fveo3")));
}

#[tokio::test]
async fn tasks_without_a_category_search_the_catalog() {
    let app = spawn_app().await;
    let answer = ok(&app.call(KEY, "recommend_model", json!({"task": "kokoro"})).await);
    assert_eq!(answer["inferred_category"], Value::Null);
    assert_eq!(ids(&answer), ["fal-ai/kokoro/american-english"]);
    let nothing = ok(&app.call(KEY, "recommend_model", json!({"task": "qwertyuiop"})).await);
    assert_eq!(nothing["recommendations"], json!([]));
}

#[tokio::test]
async fn recommend_model_errors_are_clear() {
    let app = spawn_app().await;
    for (args, needle) in [
        (json!({"task": ""}), "the task is empty"),
        (json!({"task": "a logo", "limit": 0}), "limit 0"),
        (json!({"task": "a logo", "category": "Text To Image!"}), "category"),
    ] {
        let (e, sentence) = err(&app.call(KEY, "recommend_model", args).await);
        assert_eq!(e["type"], "invalid_argument");
        assert!(sentence.contains(needle), "{sentence}");
    }
    assert!(app.fake.requests().is_empty());
    app.fake.fail_next(
        "/v1/models",
        429,
        &[("retry-after", "3")],
        r#"{"error":{"type":"rate_limited","message":"Rate limit exceeded"}}"#,
    );
    app.fake.fail_next(
        "/v1/models",
        429,
        &[("retry-after", "3")],
        r#"{"error":{"type":"rate_limited","message":"Rate limit exceeded"}}"#,
    );
    let (e, _) = err(&app.call(KEY, "recommend_model", json!({"task": "a logo"})).await);
    assert_eq!((e["status"].clone(), e["retry_after"].clone()), (json!(429), json!(3)));
}
