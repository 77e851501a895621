//! What a model reads for fal's five documented flows (an image, a video from an image with its
//! polls, a price, a recommendation, a docs search): each thing said once, nothing it needs lost.
//! The figures per flow are in BENCHMARKS.md; the whole must stay within 10 KB.

use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::{Value, json};

use crate::support::{TestApp, fake::Script, ok, spawn_app};

const KEY: &str = "size-id:size-secret";
const FLUX: &str = "fal-ai/flux/dev";
const VIDEO: &str = "fal-ai/kling-video/v2.5-turbo/pro/image-to-video";
const IMAGE_URL: &str = "https://v3.fal.media/files/penguin/zV3wOz7kDq2pXn5bHf9Lc_out.png";
const VIDEO_URL: &str = "https://v3.fal.media/files/koala/Yb7cH2Lq9WzR4tNs1Kd8e_output.mp4";

/// The bytes of what the model reads: the result's content blocks as the wire carries them.
fn text_bytes(result: &CallToolResult) -> usize {
    serde_json::to_string(&result.content).unwrap().len()
}

fn texts(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .map(|c| match c {
            ContentBlock::Text(t) => t.text.clone(),
            other => serde_json::to_string(other).unwrap(),
        })
        .collect()
}

/// One call: its result text's size, and what it says.
async fn step(app: &TestApp, tool: &str, arguments: Value) -> (usize, String) {
    let result = app.call(KEY, tool, arguments).await;
    (text_bytes(&result), texts(&result))
}

#[tokio::test]
async fn the_five_documented_flows_fit_in_10_kb_and_keep_what_a_model_needs() {
    let app = spawn_app().await;
    let image = json!({"images": [{"url": IMAGE_URL, "width": 1024, "height": 768, "content_type": "image/jpeg"}],
        "seed": 42, "has_nsfw_concepts": [false], "prompt": "a red fox in snow", "timings": {"inference": 1.9}});
    app.fake.script(FLUX, Script::instant(image));
    let (image_bytes, answer) =
        step(&app, "run_model", json!({"endpoint_id": FLUX, "input": {"prompt": "a red fox in snow"}})).await;
    assert!(answer.contains(IMAGE_URL) && answer.contains("COMPLETED") && answer.contains("estimate"), "{answer}");

    // A video from an image: submit, three polls while it queues and runs, the result.
    let video = json!({"video": {"url": VIDEO_URL, "content_type": "video/mp4", "file_size": 2_837_114}});
    app.fake.script(VIDEO, Script::manual(video));
    let input = json!({"prompt": "the fox turns its head", "image_url": IMAGE_URL, "duration": "5"});
    let submitted = app.call(KEY, "submit_job", json!({"endpoint_id": VIDEO, "input": input})).await;
    let id = ok(&submitted)["request_id"].as_str().unwrap().to_string();
    let poll = json!({"endpoint_id": VIDEO, "request_id": id});
    let queued = app.call(KEY, "check_job", poll.clone()).await;
    app.fake.start_job(&id);
    app.fake.log(&id, "Generating frames 40/120");
    let running = app.call(KEY, "check_job", poll.clone()).await;
    app.fake.log(&id, "Generating frames 120/120");
    let running_later = app.call(KEY, "check_job", poll.clone()).await;
    app.fake.finish_job(&id);
    let done = app.call(KEY, "check_job", poll.clone()).await;
    let video_results = [submitted, queued, running, running_later, done];
    let video_steps: Vec<usize> = video_results.iter().map(text_bytes).collect();
    let video_bytes: usize = video_steps.iter().sum();
    let video_steps = video_steps.iter().map(usize::to_string).collect::<Vec<_>>().join(" + ");
    for result in &video_results {
        assert!(texts(result).contains(&id), "every answer after acceptance carries the request id");
    }
    assert!(texts(&video_results[4]).contains(VIDEO_URL));

    let (price_bytes, answer) =
        step(&app, "get_pricing", json!({"endpoint_id": FLUX, "input": {"prompt": "a fox", "num_images": 2}})).await;
    assert!(answer.contains("unit_price"));
    let (recommend_bytes, answer) = step(&app, "recommend_model", json!({"task": "a logo for a coffee shop"})).await;
    assert!(answer.contains("run_with"));
    let (docs_bytes, answer) = step(&app, "search_docs", json!({"query": "webhooks"})).await;
    assert!(answer.contains("https://"));

    let total = image_bytes + video_bytes + price_bytes + recommend_bytes + docs_bytes;
    println!(
        "result text: image {image_bytes} B, video with polls {video_bytes} B ({video_steps}), price {price_bytes} B, \
         recommendation {recommend_bytes} B, docs search {docs_bytes} B; total {total} B"
    );
    if std::env::var_os("BENCH_RECORD").is_some() {
        let record = json!({
            "flows": {"an image (run_model)": image_bytes, "a video from an image, with its polls": video_bytes,
                "a price (get_pricing with input)": price_bytes, "a recommendation": recommend_bytes,
                "a docs search": docs_bytes},
            "total": total,
            "commit": std::process::Command::new("git")
                .args(["-C", env!("CARGO_MANIFEST_DIR"), "rev-parse", "--short", "HEAD"])
                .output()
                .ok()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string()),
            "video_steps": format!("submit_job then check_job four times (queued, running, running, completed): {video_steps} B"),
        });
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/bench/results/result_sizes.json");
        std::fs::write(path, serde_json::to_string_pretty(&record).unwrap()).unwrap();
    }
    assert!(total <= 10 * 1024, "the five flows cost {total} bytes of result text; the budget is 10 KB");
}
