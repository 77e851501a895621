//! upload_file by URL (guarded), by data and by ticket, and hostile URLs refused with no connection made.

use base64::Engine;
use serde_json::{Value, json};

use crate::support::{err, fake::storage::source_bytes, ok, spawn_app, spawn_app_with};

const KEY: &str = "up-id:up-secret";

fn initiated(app: &crate::support::TestApp) -> usize {
    app.fake.requests_to("/storage/upload/initiate").len()
}

#[tokio::test]
async fn uploads_a_url_through_the_test_escape() {
    let app = spawn_app_with(&["--allow-private-urls"]).await;
    let url = format!("{}/source/4000.png", app.fake.url);
    let answer = ok(&app.call(KEY, "upload_file", json!({"url": url})).await);
    assert_eq!(
        (answer["file_name"].clone(), answer["content_type"].clone(), answer["size"].clone()),
        (json!("4000.png"), json!("image/png"), json!(4000))
    );
    let cdn_url = answer["cdn_url"].as_str().unwrap();
    assert_eq!(
        app.fake.uploaded(cdn_url),
        Some(("image/png".into(), source_bytes(4000))),
        "the bytes reached the CDN whole"
    );
    let initiate = app.fake.requests_to("/storage/upload/initiate").pop().unwrap();
    assert_eq!(initiate.authorization.as_deref(), Some(format!("Key {KEY}").as_str()));
    assert_eq!(initiate.query, "storage_type=fal-cdn-v3");
    let put = app.fake.requests().into_iter().find(|r| r.method == "PUT").unwrap();
    assert_eq!(put.authorization, None, "the key is not sent to the signed upload URL");

    let named = ok(&app
        .call(
            KEY,
            "upload_file",
            json!({"url": format!("{}/source/redirect/3/10.mp3", app.fake.url), "file_name": "voice.mp3"}),
        )
        .await);
    assert_eq!(
        (named["file_name"].clone(), named["content_type"].clone(), named["size"].clone()),
        (json!("voice.mp3"), json!("audio/mpeg"), json!(10))
    );

    let (e, sentence) =
        err(&app.call(KEY, "upload_file", json!({"url": format!("{}/source/redirect/6/10.png", app.fake.url)})).await);
    assert_eq!(e["type"], "invalid_argument");
    assert!(sentence.contains("more than 5"), "{sentence}");
    let (_, sentence) =
        err(&app.call(KEY, "upload_file", json!({"url": format!("{}/source/missing.png", app.fake.url)})).await);
    assert!(sentence.contains("HTTP 404"), "{sentence}");
}

#[tokio::test]
async fn oversize_downloads_are_refused() {
    let app = spawn_app_with(&["--allow-private-urls", "--max-upload-bytes", "4096"]).await;
    let (_, sentence) =
        err(&app.call(KEY, "upload_file", json!({"url": format!("{}/source/5000.png", app.fake.url)})).await);
    assert!(sentence.contains("larger than this server's limit of 4 KB"), "{sentence}");
    assert_eq!(initiated(&app), 0, "a declared oversize body is refused before fal is asked");
    let (_, sentence) =
        err(&app.call(KEY, "upload_file", json!({"url": format!("{}/source/chunked/9000", app.fake.url)})).await);
    assert!(sentence.contains("larger than this server's limit of 4 KB"), "{sentence}");
    let (_, sentence) = err(&app.call(KEY, "upload_file", json!({"data": "QUJD", "url": "http://x"})).await);
    assert!(sentence.contains("both url and data"), "{sentence}");
}

#[tokio::test]
async fn uploads_inline_data() {
    let app = spawn_app().await;
    let bytes = source_bytes(3000);
    let b64 = base64::engine::general_purpose::STANDARD.encode(&bytes);
    let plain = ok(&app.call(KEY, "upload_file", json!({"data": b64, "file_name": "a.png"})).await);
    assert_eq!((plain["size"].clone(), plain["content_type"].clone()), (json!(3000), json!("image/png")));
    assert_eq!(app.fake.uploaded(plain["cdn_url"].as_str().unwrap()).unwrap().1, bytes);
    let uri = ok(&app.call(KEY, "upload_file", json!({"data": format!("data:audio/wav;base64,{b64}")})).await);
    assert_eq!(uri["content_type"], "audio/wav");
    for (data, needle) in [
        ("not base64!!", "not valid base64"),
        ("QU JD", "character 3 is a space, which base64 does not use"),
        ("data:text/plain,hello", "only base64 data URIs"),
    ] {
        let (e, sentence) = err(&app.call(KEY, "upload_file", json!({"data": data})).await);
        assert_eq!(e["type"], "invalid_argument");
        assert!(sentence.contains(needle), "{sentence}");
    }
}

#[tokio::test]
async fn the_body_limit_admits_the_largest_data_and_the_data_cap_holds() {
    let app = spawn_app().await;
    let big = base64::engine::general_purpose::STANDARD.encode(vec![7u8; 10 * 1024 * 1024 - 16]);
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "upload_file", "arguments": {"data": big, "file_name": "big.bin"}}});
    let response = app.post(&[("authorization", &format!("Bearer {KEY}"))], &body.to_string()).await;
    assert_eq!(response.status(), 200, "a 10 MiB upload fits under the HTTP body limit");
    let result: Value = response.json().await.unwrap();
    assert_eq!(
        result["result"]["structuredContent"]["size"],
        10 * 1024 * 1024 - 16,
        "{}",
        &result.to_string()[..result.to_string().len().min(600)]
    );

    let small = spawn_app_with(&["--max-data-bytes", "1000"]).await;
    let (_, sentence) = err(&small
        .call(KEY, "upload_file", json!({"data": base64::engine::general_purpose::STANDARD.encode(vec![1u8; 2000])}))
        .await);
    assert!(sentence.contains("larger than this server's limit of 1000 bytes"), "{sentence}");
    assert_eq!(initiated(&small), 0);
}

#[tokio::test]
async fn a_ticket_uploads_a_local_file_with_its_curl_command() {
    let app = spawn_app().await;
    let ticket = ok(&app.call(KEY, "upload_file", json!({"file_name": "photo.png"})).await);
    assert_eq!(ticket["content_type"], "image/png");
    let curl = ticket["curl"].as_str().unwrap();
    assert!(curl.contains(ticket["upload_url"].as_str().unwrap()));
    let dir = std::env::temp_dir().join(format!("fal-mcp-ticket-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("photo.png"), source_bytes(777)).unwrap();
    let status = tokio::process::Command::new("sh").arg("-c").arg(curl).current_dir(&dir).status().await.unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert!(status.success(), "the ticket's curl command ran");
    assert_eq!(app.fake.uploaded(ticket["cdn_url"].as_str().unwrap()), Some(("image/png".into(), source_bytes(777))));
}

#[tokio::test]
async fn hostile_urls_are_refused_without_connecting() {
    let app = spawn_app().await;
    let port = app.fake.url.rsplit(':').next().unwrap().to_string();
    let hostile: Vec<String> = [
        "http://127.0.0.1:{p}/source/10.png",
        "http://localhost:{p}/source/10.png",
        "http://LOCALHOST.:{p}/source/10.png",
        "http://2130706433:{p}/source/10.png",
        "http://0x7f000001:{p}/source/10.png",
        "http://0177.0.0.1:{p}/source/10.png",
        "http://127.1:{p}/source/10.png",
        "http://[::1]:{p}/source/10.png",
        "http://[::ffff:127.0.0.1]:{p}/source/10.png",
        "http://[::ffff:7f00:1]:{p}/source/10.png",
        "http://0.0.0.0:{p}/source/10.png",
        "http://sub.localhost:{p}/source/10.png",
        "file:///etc/passwd",
        "ftp://127.0.0.1:{p}/x",
        "gopher://127.0.0.1:{p}/_x",
        "not a url",
    ]
    .iter()
    .map(|u| u.replace("{p}", &port))
    .collect();
    for url in &hostile {
        let (e, sentence) = err(&app.call(KEY, "upload_file", json!({"url": url})).await);
        assert_eq!(e["type"], "invalid_argument", "{url}");
        assert!(sentence.contains("public http(s)"), "{url}: {sentence}");
    }
    assert!(app.fake.requests_to("/source/10.png").is_empty(), "no connection reached a refused address");
    assert_eq!(initiated(&app), 0);
}

#[tokio::test]
async fn prepare_upload_is_fal_s_name_for_a_ticket_and_file_size_is_checked_first() {
    let app = spawn_app_with(&["--max-upload-bytes", "1000"]).await;
    let ticket = ok(&app
        .call(KEY, "upload_file", json!({"prepare_upload": true, "file_name": "a.wav", "file_size": 1000}))
        .await);
    assert!(ticket["upload_url"].is_string() && ticket["curl"].is_string(), "{ticket}");
    assert_eq!(ticket["content_type"], "audio/wav");
    assert_eq!(initiated(&app), 1);
    for (args, needle) in [
        (json!({"prepare_upload": true, "file_size": 1001}), "file_size 1001 is outside 1 byte to 1000 bytes"),
        (json!({"prepare_upload": true, "file_size": 0}), "file_size 0"),
        (json!({"prepare_upload": true, "url": "https://example.com/a.png"}), "prepare_upload asks for a ticket"),
        (json!({"prepare_upload": false}), "neither url nor data"),
        (json!({"data": "AAAA", "file_size": 3}), "file_size goes with prepare_upload"),
    ] {
        let (e, sentence) = err(&app.call(KEY, "upload_file", args).await);
        assert_eq!(e["type"], "invalid_argument");
        assert!(sentence.contains(needle), "{sentence}");
    }
    assert_eq!(initiated(&app), 1, "nothing was signed for a refused call");
}
