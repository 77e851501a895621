//! The sign-in held to the OAuth security BCP (RFC 9700) and the client-metadata-document draft:
//! each test is an attack a reviewer made against the front door, and what stops it.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::oauth::{
    KEY, PUBLIC, REDIRECT, SECRET, authorize_url, browser, client_id, code_for, exchange, oauth_app, register,
    sign_in_page, signed_in, submit, token,
};
use crate::support::spawn_app_on;

const LIST: &str = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;

#[tokio::test]
async fn a_replayed_code_revokes_the_tokens_of_its_first_exchange() {
    let app = oauth_app(&[]).await;
    let client = client_id(&app, "App").await;
    let code = code_for(&app, &client, KEY).await;
    let (status, first) = exchange(&app, &client, &code).await;
    assert_eq!(status, StatusCode::OK);
    let access = first["access_token"].as_str().unwrap();
    let refresh = first["refresh_token"].as_str().unwrap();
    assert_eq!(app.post(&[("authorization", &format!("Bearer {access}"))], LIST).await.status(), StatusCode::OK);

    let (status, replay) = exchange(&app, &client, &code).await;
    assert_eq!((status, replay["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
    assert!(replay["error_description"].as_str().unwrap().contains("revoked"), "{replay}");
    let refused = app.post(&[("authorization", &format!("Bearer {access}"))], LIST).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "the first exchange's access token is revoked");
    let (status, body, _) =
        token(&app, &[("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", &client)]).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "{body}");
}

#[tokio::test]
async fn a_refresh_names_its_client_and_no_other_resource() {
    let app = oauth_app(&[]).await;
    let (client, _, refresh) = signed_in(&app, KEY).await;
    let (status, body, _) = token(&app, &[("grant_type", "refresh_token"), ("refresh_token", &refresh)]).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_request")), "{body}");
    assert!(body["error_description"].as_str().unwrap().contains("client_id"));
    let (status, body, _) = token(
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("client_id", &client),
            ("resource", "https://other.example/mcp"),
        ],
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_target")), "{body}");
    // Neither refusal used the token up: with its client and this server's resource it still works.
    let (status, body, _) = token(
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("client_id", &client),
            ("resource", &format!("{PUBLIC}/mcp")),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn codes_and_forms_do_not_move_between_public_urls_sharing_a_secret() {
    let first = oauth_app(&[]).await;
    let second =
        spawn_app_on(first.fake.clone(), &["--public-url", "http://localhost:10", "--token-secret", SECRET]).await;
    let client = client_id(&first, "App").await;
    let code = code_for(&first, &client, KEY).await;
    let (status, body) = exchange(&second, &client, &code).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "{body}");
    assert!(body["error_description"].as_str().unwrap().contains("another server"));
    let (_, form) = sign_in_page(&first, &client).await;
    let moved = submit(&second, &form, KEY, "connect").await;
    assert_eq!(moved.status(), StatusCode::BAD_REQUEST);
    assert!(moved.headers().get("location").is_none());
    assert!(moved.text().await.unwrap().contains("not made by this server"));
    // At home, both still work.
    assert_eq!(exchange(&first, &client, &code).await.0, StatusCode::OK);
}

#[tokio::test]
async fn registered_client_ids_expire_after_180_days() {
    let now = oauth_app(&[]).await;
    let client = client_id(&now, "App").await;
    let later = |days: i64| {
        let offset = (days * 86_400).to_string();
        let fake = now.fake.clone();
        async move {
            spawn_app_on(fake, &["--public-url", PUBLIC, "--token-secret", SECRET, "--clock-offset-secs", &offset])
                .await
        }
    };
    let day_179 = later(179).await;
    let page = browser().get(authorize_url(&day_179, &client, REDIRECT, &[])).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let day_181 = later(181).await;
    let page = browser().get(authorize_url(&day_181, &client, REDIRECT, &[])).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
    assert!(page.headers().get("location").is_none());
    let html = page.text().await.unwrap();
    assert!(html.contains("180 days") && html.contains("add it again"), "{html}");
}

#[tokio::test]
async fn registration_never_answers_a_client_id_that_sign_in_would_refuse() {
    let app = oauth_app(&[]).await;
    let uris: Vec<String> = (0..10).map(|i| format!("https://app.example/{i}/{}", "p".repeat(480))).collect();
    let response = register(&app, json!({"redirect_uris": uris, "client_name": "Big"})).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client_metadata");
    assert!(body["error_description"].as_str().unwrap().contains("4096"), "{body}");
    let fits: Vec<String> = (0..10).map(|i| format!("https://app.example/{i}/cb")).collect();
    let response = register(&app, json!({"redirect_uris": fits, "client_name": "Fits"})).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let id = response.json::<Value>().await.unwrap()["client_id"].as_str().unwrap().to_string();
    assert!(id.len() <= 4096);
}

#[tokio::test]
async fn the_consent_page_shows_where_the_browser_goes_and_what_connecting_allows() {
    let app = oauth_app(&[]).await;
    let response = register(
        &app,
        json!({"redirect_uris": ["https://attacker.example/cb"], "client_name": "Claude\u{202E}edualC \u{200B}Official"}),
    )
    .await;
    let client = response.json::<Value>().await.unwrap()["client_id"].as_str().unwrap().to_string();
    let page = browser().get(authorize_url(&app, &client, "https://attacker.example/cb", &[])).send().await.unwrap();
    let html = page.text().await.unwrap();
    assert!(html.contains("<strong>attacker.example</strong>"), "the redirect's host is named");
    assert!(html.contains("spend your fal balance"), "what connecting allows is said");
    assert!(html.contains("<strong>API</strong> preset"), "the key preset to create is named");
    assert!(!html.contains('\u{202E}') && !html.contains('\u{200B}'), "no bidi override or hidden character");
    assert!(html.contains("ClaudeedualC Official"));
}

#[tokio::test]
async fn a_client_metadata_document_is_read_only_as_served_at_its_own_url_within_its_deadline() {
    let app = oauth_app(&["--allow-private-urls"]).await;
    let base = app.fake.url.clone();
    let authorize =
        |name: &str| authorize_url(&app, &format!("{base}/cimd/{name}"), "http://127.0.0.1:1/callback", &[]);
    for (name, said) in [("moved.json", "redirect"), ("page.json", "application/json"), ("created.json", "HTTP 201")] {
        let page = browser().get(authorize(name)).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::BAD_REQUEST, "{name}");
        let html = page.text().await.unwrap();
        assert!(html.contains(said), "{name}: {html}");
    }
    assert!(app.fake.requests_to("/cimd/good.json").is_empty(), "the redirect was not followed");

    let started = std::time::Instant::now();
    let page = browser().get(authorize("slow.json")).send().await.unwrap();
    let took = started.elapsed();
    assert!(took < std::time::Duration::from_secs(7), "a slow document held the sign-in {took:?}");
    assert!(page.text().await.unwrap().contains("within 5 s"));
    // The failure is remembered for a minute: the second try neither waits nor fetches.
    let fetched = app.fake.requests_to("/cimd/slow.json").len();
    let started = std::time::Instant::now();
    let again = browser().get(authorize("slow.json")).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
    assert_eq!(app.fake.requests_to("/cimd/slow.json").len(), fetched);

    let page = browser().get(authorize("bidi.json")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    let title = html.split("<title>").nth(1).unwrap().split("</title>").next().unwrap();
    assert!(!title.contains('\u{202E}') && title.chars().count() < 100, "{title}");
}

#[tokio::test]
async fn a_rotating_client_ip_header_from_an_untrusted_peer_does_not_reset_the_sign_in_limit() {
    let app =
        oauth_app(&["--sign-in-attempts", "2", "--client-ip-header", "x-real-ip", "--trusted-proxies", "192.0.2.0/24"])
            .await;
    let client = client_id(&app, "App").await;
    let (_, form) = sign_in_page(&app, &client).await;
    let mut statuses = Vec::new();
    for n in 0..3 {
        let response = browser()
            .post(format!("{}/authorize", app.base))
            .header("x-real-ip", format!("198.51.100.{n}"))
            .form(&[("request", form.as_str()), ("fal_key", "bad:wrong"), ("action", "connect")])
            .send()
            .await
            .unwrap();
        statuses.push(response.status());
    }
    assert_eq!(statuses[2], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");

    let refused = fal_mcp::Config::from_args(["fal-mcp", "--client-ip-header", "x-real-ip"]).unwrap();
    let why = fal_mcp::build_app(&refused, Default::default()).expect_err("a header with no trusted proxy");
    assert!(why.contains("FAL_MCP_TRUSTED_PROXIES"), "{why}");
}

#[tokio::test]
async fn every_sign_in_route_reads_its_body_within_the_same_limits_as_mcp() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = oauth_app(&["--body-timeout-secs", "1"]).await;
    let address = app.base.trim_start_matches("http://").to_string();
    for path in ["/register", "/token", "/authorize"] {
        let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        let read = tokio::time::timeout(std::time::Duration::from_secs(6), stream.read_to_end(&mut answer)).await;
        assert!(read.is_ok(), "{path} held a stalled body past 6 s");
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 408") && answer.contains("within 1 s"), "{path}: {answer}");

        let large = browser()
            .post(format!("{}{path}", app.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("x".repeat(20_000))
            .send()
            .await
            .unwrap();
        assert_eq!(large.status(), StatusCode::PAYLOAD_TOO_LARGE, "{path}");
    }
}

#[tokio::test]
async fn a_refused_secret_or_key_is_never_printed() {
    let secret_canary = "c2VjcmV0LWNhbmFyeQ";
    let key_canary = "key canary with spaces";
    for (name, value) in [
        ("FAL_MCP_TOKEN_SECRET", secret_canary),
        ("FAL_MCP_TOKEN_SECRET_PREVIOUS", secret_canary),
        ("FAL_KEY", key_canary),
    ] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_fal-mcp"))
            .args(if name == "FAL_KEY" { vec!["stdio"] } else { vec![] })
            .env(name, value)
            .env("FAL_MCP_PUBLIC_URL", "http://127.0.0.1:9")
            .env("PORT", "0")
            .output()
            .unwrap();
        assert!(!output.status.success(), "{name}");
        let printed = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        assert!(printed.contains(name), "{name}: {printed}");
        assert!(!printed.contains(value) && !printed.contains("canary"), "{name} was echoed: {printed}");
    }
}
