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
        &[
            "fal-ai/birefnet/v2",
            "fal-ai/imageutils/rembg",
            "fal-ai/bria/background/remove",
            "fal-ai/ideogram/remove-background",
        ],
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
            // "Replace your photo's background with any scene you desire, from beach sunsets…"
            "fal-ai/image-editing/background-change",
            "fal-ai/nano-banana/edit",
            "fal-ai/flux-pro/kontext",
            "fal-ai/bytedance/seedream/v4/edit",
            "fal-ai/qwen-image-edit",
        ],
    ),
    (
        "face swap me onto this movie poster",
        "image-to-image",
        &["fal-ai/face-swap", "half-moon-ai/ai-face-swap/faceswapimage", "easel-ai/advanced-face-swap"],
    ),
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
        &[
            "fal-ai/kling-video/v2.5-turbo/pro/image-to-video",
            "fal-ai/minimax/hailuo-02/standard/image-to-video",
            // "Generate short video clips from your images": its description says the request.
            "fal-ai/fast-svd-lcm",
        ],
    ),
    ("lip sync this video to a new voice track", "video-to-video", &["fal-ai/sync-lipsync/v2", "fal-ai/latentsync"]),
    ("upscale my video to 4k", "video-to-video", &["fal-ai/topaz/upscale/video"]),
    (
        "narrate my blog post in a warm voice",
        "text-to-speech",
        // Chatterbox HD: "expressive, natural speech … emotion control" (fal's real catalog).
        &[
            "fal-ai/elevenlabs/tts/multilingual-v2",
            "fal-ai/minimax/speech-02-hd",
            "resemble-ai/chatterboxhd/text-to-speech",
        ],
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
        &[
            "fal-ai/minimax-music",
            "fal-ai/ace-step",
            "fal-ai/stable-audio-25/text-to-audio",
            "fal-ai/lyria2",
            // fal's real catalog: "high quality, realistic music with fine controls".
            "fal-ai/elevenlabs/music",
        ],
    ),
    (
        "a sound effect of a creaking door",
        "text-to-audio",
        &["fal-ai/elevenlabs/sound-effects", "fal-ai/elevenlabs/sound-effects/v2"],
    ),
    (
        "make a 3d model from this photo of a chair",
        "image-to-3d",
        &[
            "fal-ai/hunyuan3d-v21",
            "fal-ai/trellis",
            "fal-ai/hunyuan3d/v2",
            // Newer general image-to-3D models of fal's real catalog.
            "fal-ai/hunyuan3d-v3/image-to-3d",
            "fal-ai/trellis-2",
            "fal-ai/reconviagen-0.5",
            "hitem3d/hi3d/image-to-3d",
            "fal-ai/meshy/v6/image-to-3d",
        ],
    ),
    (
        "a low-poly 3d mesh of a dragon for my game",
        "text-to-3d",
        // Meshy v7: "game-ready Smart Topology at a target polygon count" (fal's real catalog).
        &["fal-ai/hunyuan3d-v21/text-to-3d", "meshy/v7/text-to-3d"],
    ),
    ("fine-tune a LoRA on photos of my product", "training", &["fal-ai/flux-lora-fast-training"]),
    ("train a portrait model on 20 selfies of me", "training", &["fal-ai/flux-lora-portrait-trainer"]),
    ("describe this image in detail", "vision", &["fal-ai/any-llm/vision", "fal-ai/florence-2-large/detailed-caption"]),
    ("summarize a long article into bullet points", "llm", &["fal-ai/any-llm"]),
    // docs/tools.md's worked example.
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
        assert_eq!(answer["recommendations"][0]["category"], *category, "{task}: the first pick is in the category");
        for r in answer["recommendations"].as_array().unwrap() {
            assert!(!r["reason"].as_str().unwrap().is_empty());
            let category = r["category"].as_str().unwrap();
            let long = category.contains("video") || category.contains("3d") || category == "training";
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
async fn a_given_category_overrides_inference_and_flagships_come_first() {
    let app = spawn_app().await;
    let answer = ok(&app
        .call(KEY, "recommend_model", json!({"task": "something nice", "category": "text-to-video", "limit": 3}))
        .await);
    assert_eq!(answer["inferred_category"], "text-to-video");
    let flagships = [
        "fal-ai/veo3",
        "fal-ai/kling-video/v2.5-turbo/pro/text-to-video",
        "fal-ai/bytedance/seedance/v1/pro/text-to-video",
        "fal-ai/minimax/hailuo-02/standard/text-to-video",
        "fal-ai/wan/v2.2-a14b/text-to-video",
        "fal-ai/ltx-video",
        "fal-ai/pixverse/v4.5/text-to-video",
    ];
    let picks = ids(&answer);
    assert_eq!(picks.len(), 3);
    // Words that say nothing leave the flagships most of the top three; a description as vague as
    // the words ("Animate your ideas!") can take one place (docs/ranking.md).
    let leading = picks.iter().filter(|id| flagships.contains(&id.as_str())).count();
    assert!(leading >= 2, "words that say nothing leave the flagships: {picks:?}");
    assert!(answer["recommendations"].as_array().unwrap().iter().all(|r| r["category"] == "text-to-video"), "{answer}");
    let reasons: Vec<&str> =
        answer["recommendations"].as_array().unwrap().iter().map(|r| r["reason"].as_str().unwrap()).collect();
    assert!(reasons.iter().any(|r| r.contains("text-to-video model")), "{answer}");
    // The catalog is fetched without the caller's key (nothing private can reach another
    // caller through it); the key goes only with fal's own search for the task.
    let requests = app.fake.requests_to("/v1/models");
    assert!(requests.iter().any(|r| r.authorization.is_none() && r.query.contains("limit=100")), "keyless catalog");
    assert!(requests.iter().filter(|r| r.authorization.is_some()).all(|r| r.query.contains("q=")), "keyed search only");
}

#[tokio::test]
async fn a_given_category_holds_in_every_language() {
    let app = spawn_app().await;
    // The words name no medium the user has: the ranker's own reading of another language is not
    // trusted, but the caller's category is.
    for task in [
        "Quiero algo bonito para la tienda de mi hermana",
        "Ich möchte etwas Schönes für den Laden meiner Schwester",
        "姉のお店のために何か素敵なものが欲しいです",
    ] {
        let answer = ok(&app
            .call(KEY, "recommend_model", json!({"task": task, "category": "text-to-speech", "limit": 3}))
            .await);
        assert_eq!(answer["inferred_category"], "text-to-speech", "{task}: {answer}");
        let categories: Vec<&str> =
            answer["recommendations"].as_array().unwrap().iter().map(|r| r["category"].as_str().unwrap()).collect();
        assert_eq!(categories, ["text-to-speech"; 3], "{task}: {answer}");
    }
    // A category that begins with a vowel takes "an" in a reason.
    let answer = ok(&app
        .call(KEY, "recommend_model", json!({"task": "Quiero algo bonito", "category": "image-to-video", "limit": 10}))
        .await);
    let reasons: Vec<&str> =
        answer["recommendations"].as_array().unwrap().iter().map(|r| r["reason"].as_str().unwrap()).collect();
    assert!(reasons.iter().any(|r| r.starts_with("An image-to-video model")), "{reasons:?}");
    assert!(!reasons.iter().any(|r| r.contains("A image")), "{reasons:?}");
}

#[tokio::test]
async fn has_and_wants_hold_in_every_language() {
    let app = spawn_app().await;
    // The words name neither what the user has nor what they want; the caller's hints do, and the
    // category read from them holds in any language.
    let mut answers = Vec::new();
    for (task, hints, category) in [
        ("Quiero algo bonito para la tienda de mi hermana", json!({"wants": "speech"}), "text-to-speech"),
        ("Ich möchte etwas Schönes für den Laden meiner Schwester", json!({"wants": "video"}), "text-to-video"),
        (
            "Je voudrais quelque chose de joli pour la boutique",
            json!({"has": "image", "wants": "video"}),
            "image-to-video",
        ),
    ] {
        let mut arguments = hints.clone();
        arguments["task"] = json!(task);
        let answer = ok(&app.call(KEY, "recommend_model", arguments).await);
        assert_eq!(answer["inferred_category"], category, "{task} {hints}: {answer}");
        answers.push(answer);
    }
    // Asked for speech, every model recommended makes sound; given a photo, the first animates it.
    let made: Vec<&str> =
        answers[0]["recommendations"].as_array().unwrap().iter().map(|r| r["category"].as_str().unwrap()).collect();
    assert!(made.iter().all(|c| c.ends_with("-to-speech") || c.ends_with("-to-audio")), "{made:?}");
    assert_eq!(answers[2]["recommendations"][0]["category"], "image-to-video", "{}", answers[2]);
}

#[tokio::test]
async fn a_name_finds_its_models_and_gibberish_finds_none() {
    let app = spawn_app().await;
    // A model's name finds its family, and the family's category is the answer's.
    let answer = ok(&app.call(KEY, "recommend_model", json!({"task": "kokoro"})).await);
    let picks = ids(&answer);
    assert!(!picks.is_empty() && picks.iter().all(|id| id.starts_with("fal-ai/kokoro/")), "{picks:?}");
    assert_eq!(answer["inferred_category"], answer["recommendations"][0]["category"]);
    // So does a name with more words, and the caller's category holds over it.
    let flux = ok(&app.call(KEY, "recommend_model", json!({"task": "flux pro"})).await);
    assert!(ids(&flux).iter().all(|id| id.contains("flux")), "{flux}");
    let given = ok(&app.call(KEY, "recommend_model", json!({"task": "flux pro", "category": "text-to-image"})).await);
    assert_eq!(given["inferred_category"], "text-to-image");
    assert!(given["recommendations"].as_array().unwrap().iter().all(|r| r["category"] == "text-to-image"), "{given}");
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
    // The catalog, the search and the category page all rate-limited: nothing to rank with.
    for _ in 0..4 {
        app.fake.fail_next(
            "/v1/models",
            429,
            &[("retry-after", "3")],
            r#"{"error":{"type":"rate_limited","message":"Rate limit exceeded"}}"#,
        );
    }
    let (e, _) = err(&app.call(KEY, "recommend_model", json!({"task": "a logo"})).await);
    assert_eq!((e["status"].clone(), e["retry_after"].clone()), (json!(429), json!(3)));
    // A refused key is refused, whatever the catalog could answer.
    let (e, _) = err(&app.call("bad:secret", "recommend_model", json!({"task": "a logo"})).await);
    assert_eq!(e["status"], 401);
}

#[tokio::test]
async fn the_catalog_index_answers_when_fal_search_is_rate_limited() {
    let app = spawn_app().await;
    // A first call builds the index from the keyless catalog.
    ok(&app.call(KEY, "recommend_model", json!({"task": "a logo for a bakery"})).await);
    app.fake.fail_next(
        "/v1/models",
        429,
        &[("retry-after", "3")],
        r#"{"error":{"type":"rate_limited","message":"Rate limit exceeded"}}"#,
    );
    let answer = ok(&app.call(KEY, "recommend_model", json!({"task": "remove the background from my photo"})).await);
    assert_eq!(answer["inferred_category"], "image-to-image");
    let reason = answer["recommendations"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("background removal"), "{reason}");
}

/// A task from `tests/fixtures/recommend-*.json`: written as users write, by someone who had not
/// seen the ranking code, with every catalog model that would do the job well (the first four
/// sets' fits widened to fal's real catalog by another who saw only the catalog and the sets).
#[derive(serde::Deserialize)]
struct HeldOut {
    task: String,
    fits: Vec<String>,
    /// The writer's category and kind of request; a fresh set may judge only the fitting models.
    #[serde(default)]
    category: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    ambiguous: bool,
}

#[tokio::test]
async fn a_fitting_model_is_in_the_top_3_for_95_percent_of_real_requests() {
    let app = spawn_app().await;
    let client = app.client(KEY).await;
    let mut tasks = load("recommend-tasks.json");
    tasks.extend(TASKS.iter().map(|(task, category, fits)| HeldOut {
        task: task.to_string(),
        fits: fits.iter().map(|s| s.to_string()).collect(),
        category: category.to_string(),
        kind: "ours".into(),
        ambiguous: false,
    }));
    assert!(tasks.len() >= 90, "the studied set is whole");
    // Each set with the top-3 rate it must hold. The first four were written against the
    // 110-model fixture; the rest blind against fal's real catalog, measured once untouched
    // (docs/ranking.md), then studied. Every set's requests are also studied requests that vote for
    // what fitted them (src/ranking/studied.rs), so through the server each set is ranked with its
    // own requests among the voters: these are in-sample levels, held so that a ranking or a
    // studied memory that breaks shows here. The honest figures, each set's own requests left out,
    // are the eval's (docs/ranking.md); a fresh set's is the one that counts.
    let sets = [
        ("the studied set", tasks, 100.0),
        ("the second set", load("recommend-holdout.json"), 100.0),
        ("the blind set", load("recommend-blind.json"), 95.0),
        ("the fresh set", load("recommend-fresh.json"), 100.0),
        ("the dev set", load("recommend-dev.json"), 98.3),
        ("round 1", load("recommend-round1.json"), 100.0),
        ("round 2", load("recommend-round2.json"), 100.0),
        ("round 3", load("recommend-round3.json"), 100.0),
        ("round 4", load("recommend-round4.json"), 100.0),
        ("round 5", load("recommend-round5.json"), 100.0),
        ("round 6", load("recommend-round6.json"), 95.0),
        ("round 7", load("recommend-round7.json"), 100.0),
        ("round 8", load("recommend-round8.json"), 100.0),
        ("round 9", load("recommend-round9.json"), 97.5),
        ("round 10", load("recommend-round10.json"), 100.0),
        ("round 11", load("recommend-round11.json"), 100.0),
        ("round 12", load("recommend-round12.json"), 95.0),
        ("round 13", load("recommend-round13.json"), 95.0),
        ("round 14", load("recommend-round14.json"), 95.0),
        ("round 15", load("recommend-round15.json"), 95.0),
        ("round 16", load("recommend-round16.json"), 97.5),
        ("round 17", load("recommend-round17.json"), 100.0),
        ("round 18", load("recommend-round18.json"), 97.5),
        // Round 19 holds its hardest requests even with them among the voters.
        ("round 19", load("recommend-round19.json"), 87.5),
        ("round 20", load("recommend-round20.json"), 100.0),
        ("round 21", load("recommend-round21.json"), 97.5),
        ("round 22", load("recommend-round22.json"), 97.5),
        ("round 23", load("recommend-round23.json"), 95.0),
        ("round 24", load("recommend-round24.json"), 100.0),
    ];
    assert!(sets[1].1.len() >= 40, "the second set is whole");
    let mut measured = Vec::new();
    for (name, set, bar) in &sets {
        let ((top1, top3, category), misses) = measure(&client, set).await;
        println!(
            "recommend_model, {name} ({} tasks): top-1 {top1:.1}%, top-3 {top3:.1}%, category {category:.1}%",
            set.len()
        );
        for miss in &misses {
            println!("  miss: {miss}");
        }
        measured.push((name, top3, misses, bar));
    }
    client.cancel().await.ok();
    for (name, top3, misses, bar) in measured {
        assert!(top3 >= *bar, "{name} top-3 {top3:.1}% is under {bar}%:\n{}", misses.join("\n"));
    }
}

fn load(name: &str) -> Vec<HeldOut> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// (top-1, top-3, category) hit rates in percent, and the top-3 misses.
async fn measure(
    client: &rmcp::service::RunningService<rmcp::RoleClient, ()>,
    tasks: &[HeldOut],
) -> ((f64, f64, f64), Vec<String>) {
    let (mut top1, mut top3, mut categories) = (0, 0, 0);
    let mut misses = Vec::new();
    for t in tasks {
        let answer = ok(&crate::support::call(client, "recommend_model", json!({"task": t.task})).await);
        let picks = ids(&answer);
        let hit = |n: usize| picks.iter().take(n).any(|p| t.fits.contains(p));
        top1 += usize::from(hit(1));
        top3 += usize::from(hit(3));
        categories += usize::from(answer["inferred_category"] == t.category.as_str());
        if !hit(3) {
            misses.push(format!(
                "[{}] {} → {} {:?}",
                t.kind,
                t.task,
                answer["inferred_category"],
                &picks[..picks.len().min(3)]
            ));
        }
        for r in answer["recommendations"].as_array().unwrap() {
            assert!(!r["reason"].as_str().unwrap().is_empty(), "{}", t.task);
        }
        if t.ambiguous {
            assert!(answer["assumed"].is_string(), "an ambiguous task says what it assumed: {answer}");
        }
    }
    let rate = |hits: usize| 100.0 * hits as f64 / tasks.len() as f64;
    ((rate(top1), rate(top3), rate(categories)), misses)
}

#[tokio::test]
async fn reasons_name_the_evidence_and_hints_win_over_words() {
    let app = spawn_app().await;
    let cutout = ok(&app.call(KEY, "recommend_model", json!({"task": "cut my dog out of this photo"})).await);
    let reason = cutout["recommendations"][0]["reason"].as_str().unwrap();
    assert!(reason.starts_with("Built for background removal"), "{reason}");
    let logo =
        ok(&app.call(KEY, "recommend_model", json!({"task": "a logo for a coffee shop called Bean There"})).await);
    assert!(
        logo["recommendations"]
            .as_array()
            .unwrap()
            .iter()
            .take(3)
            .any(|r| r["reason"].as_str().unwrap().contains("strong at legible text in logos")),
        "{logo}"
    );
    // The words say nothing of a picture; the caller knows there is one.
    let hinted =
        ok(&app.call(KEY, "recommend_model", json!({"task": "make it move", "has": "image", "wants": "video"})).await);
    assert_eq!(hinted["inferred_category"], "image-to-video");
    assert!(hinted.get("assumed").is_none());
    let (e, sentence) = err(&app.call(KEY, "recommend_model", json!({"task": "x", "has": "pdf"})).await);
    assert_eq!(e["type"], "invalid_argument");
    assert!(
        sentence.contains("has 'pdf' is not a medium") && sentence.contains("nothing, text, image, video or audio"),
        "{sentence}"
    );
}

/// A request in other words and another language than any studied one, whose job the catalog's
/// words alone rank poorly (a general image editor came first without the studied requests): the
/// studied requests nearest it vote for the document dewarpers their writers judged fit, and the
/// reason quotes one of them.
#[tokio::test]
async fn the_studied_requests_nearest_a_request_vote_for_what_fitted_them() {
    let app = spawn_app().await;
    let task = "Fotografei com o celular umas folhas de um contrato que estava dobrado: saíram tortas, \
onduladas e com sombra. Quero que fiquem retas e legíveis, como se eu tivesse passado no scanner.";
    let answer = ok(&app.call(KEY, "recommend_model", json!({"task": task})).await);
    let first = &answer["recommendations"][0];
    assert!(first["endpoint_id"].as_str().unwrap().starts_with("fal-ai/docres"), "{answer}");
    let reason = first["reason"].as_str().unwrap().to_lowercase();
    assert!(reason.contains("judged a fit for requests like \""), "{reason}");
    assert!(
        !reason.contains("fotografei com o celular"),
        "the reason quotes a studied request, not the caller's: {reason}"
    );
    assert_eq!(answer["language"], "Portuguese");
    // Near transcription requests in meaning, but its English words say which way it goes: the
    // studied requests' votes for transcribers do not count.
    let speech =
        ok(&app.call(KEY, "recommend_model", json!({"task": "text to speech for a podcast intro in Spanish"})).await);
    let picks = ids(&speech);
    assert!(picks.iter().take(3).all(|p| !p.contains("speech-to-text") && !p.contains("whisper")), "{speech}");
}

#[tokio::test]
async fn an_ambiguous_task_says_what_it_assumed_and_offers_the_other_reading() {
    let app = spawn_app().await;
    let answer = ok(&app
        .call(KEY, "recommend_model", json!({"task": "a video of a red fox running through snow", "limit": 3}))
        .await);
    assert_eq!(answer["inferred_category"], "text-to-video");
    let assumed = answer["assumed"].as_str().unwrap();
    assert!(assumed.contains("from words alone") && assumed.contains("image-to-video"), "{assumed}");
    let categories: Vec<&str> =
        answer["recommendations"].as_array().unwrap().iter().map(|r| r["category"].as_str().unwrap()).collect();
    assert_eq!(categories.len(), 3);
    assert_eq!(categories[0], "text-to-video");
    assert_eq!(categories[2], "image-to-video", "the other reading's best model is offered");
    let plain = ok(&app.call(KEY, "recommend_model", json!({"task": "animate my photo of a fox"})).await);
    assert!(plain.get("assumed").is_none(), "a task that says what it has assumes nothing");
}

#[tokio::test]
#[ignore]
async fn measure_set_from_env() {
    let app = spawn_app().await;
    let client = app.client(KEY).await;
    for path in std::env::var("SETS").unwrap().split(',') {
        let tasks: Vec<HeldOut> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let ((top1, top3, category), misses) = measure(&client, &tasks).await;
        println!("{path} ({} tasks): top-1 {top1:.1}%, top-3 {top3:.1}%, category {category:.1}%", tasks.len());
        if std::env::var("SHOW").is_ok() {
            for m in misses {
                println!("  miss: {m}");
            }
        }
    }
}

#[tokio::test]
async fn the_catalog_is_fetched_once_without_a_key_and_shared_by_every_caller() {
    let app = spawn_app().await;
    let alice = ok(&app.call("alice:alice-secret-1", "recommend_model", json!({"task": "a logo for a bakery"})).await);
    let bob = ok(&app.call("bob:bob-secret-2", "recommend_model", json!({"task": "a logo for a bakery"})).await);
    assert_eq!(ids(&alice), ids(&bob), "the same public catalog ranks the same for both");
    let pages =
        app.fake.requests_to("/v1/models").into_iter().filter(|r| r.authorization.is_none()).collect::<Vec<_>>();
    let first_pages = pages.iter().filter(|r| !r.query.contains("cursor=")).count();
    assert_eq!(first_pages, 1, "one walk through the catalog for both callers");
    assert!(pages.len() > 10, "every page of fal's catalog was read: {}", pages.len());
    // A private app fal's search finds for its owner is ranked for the owner only.
    let task = json!({"task": "a private portrait model"});
    let for_alice = ok(&app.call("alice:alice-secret-1", "recommend_model", task.clone()).await);
    let for_bob = ok(&app.call("bob:bob-secret-2", "recommend_model", task).await);
    assert!(ids(&for_alice).iter().any(|id| id == crate::support::fake::ALICE_PRIVATE), "{for_alice}");
    assert!(!ids(&for_bob).iter().any(|id| id == crate::support::fake::ALICE_PRIVATE));
}

/// Studied misses of rounds 10 and 11: another language's words, matched one by one through their
/// nearest English words, hit model ids by accident (Polish "film", a video, is the FILM
/// interpolation model); the meaning, read in the language itself, finds the job.
#[tokio::test]
async fn another_language_is_ranked_by_its_meaning_more_than_by_its_words_one_by_one() {
    let app = spawn_app().await;
    let client = app.client(KEY).await;
    let cases = [
        (
            "Nagrałam rolkę na Insta, mówię w niej po polsku. Chcę, żeby napisy same się wygenerowały i były wtopione w film, tak jak na TikToku.",
            &["veed/subtitles", "fal-ai/workflow-utilities/auto-subtitle", "fal-ai/auto-caption"][..],
        ),
        (
            "Grabamos un tema con mi banda en el local de ensayo y quiero una versión sin la voz del cantante, solo con los instrumentos, para practicar encima.",
            &["fal-ai/demucs", "fal-ai/sam-audio/separate", "fal-ai/sam-audio/span-separate"][..],
        ),
    ];
    for (task, fits) in cases {
        let answer = ok(&crate::support::call(&client, "recommend_model", json!({"task": task})).await);
        let top: Vec<String> = ids(&answer).into_iter().take(3).collect();
        assert!(top.iter().any(|id| fits.contains(&id.as_str())), "{task}: {top:?}");
    }
    client.cancel().await.ok();
}

#[tokio::test]
async fn requests_in_six_languages_find_what_they_ask_for_and_the_answer_names_the_language() {
    let app = spawn_app().await;
    let client = app.client(KEY).await;
    let cases = [
        ("quita el fondo de esta foto de mi producto, la necesito con fondo transparente", "Spanish", "background"),
        ("enlève l'arrière-plan de la photo de mon produit, je veux un fond transparent", "French", "background"),
        (
            "entferne den Hintergrund von meinem Produktfoto, ich brauche einen transparenten Hintergrund",
            "German",
            "background",
        ),
        ("remova o fundo da foto do meu produto, preciso do fundo transparente", "Portuguese", "background"),
        ("rimuovi lo sfondo dalla foto del mio prodotto, mi serve lo sfondo trasparente", "Italian", "background"),
        ("remove the background from the photo of my product, I need it transparent", "English", "background"),
    ];
    for (task, language, wanted) in cases {
        let answer = ok(&crate::support::call(&client, "recommend_model", json!({"task": task})).await);
        assert_eq!(answer["language"], language, "{task}");
        let top: Vec<String> = ids(&answer).into_iter().take(3).collect();
        assert!(
            top.iter().any(|id| id.contains(wanted) || id.contains("rembg") || id.contains("birefnet")),
            "{task}: {top:?}"
        );
    }
    client.cancel().await.ok();
}
