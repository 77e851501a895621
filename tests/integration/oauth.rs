//! The OAuth front door, end to end over HTTP: metadata, registration, the sign-in page and its
//! refusals, the token endpoint and its refusals, tokens on /mcp, rotation and expiry (two servers
//! sharing a secret, one with its clock moved), and no key, token, code or secret in any log.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use reqwest::{StatusCode, redirect::Policy};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::support::{TestApp, captured_logs, err, ok, spawn_app, spawn_app_on, spawn_app_with, text};

/// The public URL every test server gets: fixed, so two servers can share one identity.
pub(crate) const PUBLIC: &str = "http://localhost:9";
pub(crate) const SECRET: &str = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyLWJ5dGVzIQ==";
pub(crate) const OTHER_SECRET: &str = "YW5vdGhlci1zZWNyZXQtb2YtMzItYnl0ZXMtYXQtbGVhc3Qh";
pub(crate) const KEY: &str = "oauth-id:oauth-secret-9d1e";
pub(crate) const REDIRECT: &str = "http://127.0.0.1:4455/callback";
pub(crate) const VERIFIER: &str = "verifier-verifier-verifier-verifier-verifier-0001";

pub(crate) fn browser() -> reqwest::Client {
    reqwest::Client::builder().redirect(Policy::none()).build().unwrap()
}

pub(crate) fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

pub(crate) async fn oauth_app(extra: &[&str]) -> TestApp {
    let mut args = vec!["--public-url", PUBLIC, "--token-secret", SECRET];
    args.extend_from_slice(extra);
    spawn_app_with(&args).await
}

pub(crate) async fn register(app: &TestApp, body: Value) -> reqwest::Response {
    browser().post(format!("{}/register", app.base)).json(&body).send().await.unwrap()
}

pub(crate) async fn client_id(app: &TestApp, name: &str) -> String {
    let response = register(app, json!({"redirect_uris": [REDIRECT], "client_name": name})).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json::<Value>().await.unwrap()["client_id"].as_str().unwrap().to_string()
}

pub(crate) fn authorize_url(app: &TestApp, client_id: &str, redirect: &str, extra: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(&format!("{}/authorize", app.base)).unwrap();
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("response_type", "code")
            .append_pair("client_id", client_id)
            .append_pair("redirect_uri", redirect);
        q.append_pair("code_challenge", &challenge(VERIFIER)).append_pair("code_challenge_method", "S256");
        q.append_pair("state", "st-123").append_pair("resource", &format!("{PUBLIC}/mcp"));
        for (k, v) in extra {
            q.append_pair(k, v);
        }
    }
    url.to_string()
}

/// The sign-in page for a fresh authorization request, and the form token in it.
pub(crate) async fn sign_in_page(app: &TestApp, client_id: &str) -> (reqwest::Response, String) {
    let response = browser().get(authorize_url(app, client_id, REDIRECT, &[])).send().await.unwrap();
    let headers = response.headers().clone();
    let html = response.text().await.unwrap();
    let token =
        html.split("name=\"request\" value=\"").nth(1).expect("a form token").split('"').next().unwrap().to_string();
    let mut rebuilt = http::Response::builder().status(200);
    for (k, v) in &headers {
        rebuilt = rebuilt.header(k, v);
    }
    (reqwest::Response::from(rebuilt.body(html).unwrap()), token)
}

pub(crate) async fn submit(app: &TestApp, form_token: &str, key: &str, action: &str) -> reqwest::Response {
    browser()
        .post(format!("{}/authorize", app.base))
        .header("origin", "null")
        .form(&[("request", form_token), ("fal_key", key), ("action", action)])
        .send()
        .await
        .unwrap()
}

/// The query of a 303 back to the client.
pub(crate) fn back(response: &reqwest::Response) -> std::collections::HashMap<String, String> {
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "a 303 back to the client");
    let location = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    assert!(location.as_str().starts_with("http://127.0.0.1:4455/callback?"), "{location}");
    location.query_pairs().into_owned().collect()
}

pub(crate) async fn code_for(app: &TestApp, client_id: &str, key: &str) -> String {
    let (_, form) = sign_in_page(app, client_id).await;
    let response = submit(app, &form, key, "connect").await;
    back(&response)["code"].clone()
}

pub(crate) async fn token(app: &TestApp, form: &[(&str, &str)]) -> (StatusCode, Value, reqwest::header::HeaderMap) {
    let response = browser().post(format!("{}/token", app.base)).form(form).send().await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    (status, response.json().await.unwrap(), headers)
}

pub(crate) async fn exchange(app: &TestApp, client_id: &str, code: &str) -> (StatusCode, Value) {
    let (status, body, headers) = token(
        app,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("client_id", client_id),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
            ("resource", &format!("{PUBLIC}/mcp")),
        ],
    )
    .await;
    assert_eq!(headers["cache-control"], "no-store");
    (status, body)
}

/// Signs in with `key` and returns (client_id, access token, refresh token).
pub(crate) async fn signed_in(app: &TestApp, key: &str) -> (String, String, String) {
    let client = client_id(app, "Test Client").await;
    let code = code_for(app, &client, key).await;
    let (status, tokens) = exchange(app, &client, &code).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    (client, tokens["access_token"].as_str().unwrap().into(), tokens["refresh_token"].as_str().unwrap().into())
}

#[tokio::test]
async fn metadata_describes_the_front_door_and_is_absent_without_a_public_url() {
    let app = oauth_app(&[]).await;
    // RFC 9728 §3.3: each document states the resource its URL was formed from.
    for (path, resource) in [
        ("/.well-known/oauth-protected-resource", PUBLIC.to_string()),
        ("/.well-known/oauth-protected-resource/mcp", format!("{PUBLIC}/mcp")),
    ] {
        let prm: Value = browser().get(format!("{}{path}", app.base)).send().await.unwrap().json().await.unwrap();
        assert_eq!(prm["resource"], resource, "{path}");
        assert_eq!(prm["authorization_servers"], json!([PUBLIC]));
        assert_eq!(prm["bearer_methods_supported"], json!(["header"]));
    }
    // RFC 8414 §3.3: the issuer has no path, so its metadata lives only at the root; and this is
    // not an OpenID provider, so OpenID's configuration (which needs much more) is not served.
    for path in [
        "/.well-known/oauth-authorization-server/mcp",
        "/.well-known/openid-configuration",
        "/.well-known/openid-configuration/mcp",
    ] {
        let status = browser().get(format!("{}{path}", app.base)).send().await.unwrap().status();
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    for path in ["/.well-known/oauth-authorization-server"] {
        let response =
            browser().get(format!("{}{path}", app.base)).header("origin", "https://claude.ai").send().await.unwrap();
        assert_eq!(response.headers()["access-control-allow-origin"], "*", "browser clients may read it");
        let meta: Value = response.json().await.unwrap();
        assert_eq!(meta["issuer"], PUBLIC);
        assert_eq!(meta["authorization_endpoint"], format!("{PUBLIC}/authorize"));
        assert_eq!(meta["token_endpoint"], format!("{PUBLIC}/token"));
        assert_eq!(meta["registration_endpoint"], format!("{PUBLIC}/register"));
        assert_eq!(meta["code_challenge_methods_supported"], json!(["S256"]));
        assert_eq!(meta["token_endpoint_auth_methods_supported"], json!(["none"]));
        assert_eq!(meta["client_id_metadata_document_supported"], true);
        assert_eq!(meta["grant_types_supported"], json!(["authorization_code", "refresh_token"]));
    }
    let plain = spawn_app().await;
    for path in ["/.well-known/oauth-authorization-server", "/register", "/authorize"] {
        let status = browser().get(format!("{}{path}", plain.base)).send().await.unwrap().status();
        assert_eq!(status, StatusCode::NOT_FOUND, "{path} exists without FAL_MCP_PUBLIC_URL");
    }
    let unauthorized = plain.post(&[], r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#).await;
    assert_eq!(unauthorized.headers()["www-authenticate"], "Bearer realm=\"fal-mcp\"");
}

#[tokio::test]
async fn registration_seals_the_client_and_refuses_unsafe_redirects() {
    let app = oauth_app(&[]).await;
    let response = register(&app, json!({"redirect_uris": ["https://claude.ai/api/mcp/auth_callback", REDIRECT], "client_name": "Claude", "token_endpoint_auth_method": "none"})).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let answer: Value = response.json().await.unwrap();
    assert!(answer["client_id"].as_str().unwrap().starts_with("falmcp_c_"));
    assert_eq!(answer["token_endpoint_auth_method"], "none");
    assert_eq!(answer["redirect_uris"].as_array().unwrap().len(), 2);
    for (body, error) in [
        (json!({"redirect_uris": ["http://evil.example/cb"]}), "invalid_redirect_uri"),
        (json!({"redirect_uris": ["https://app.example/cb#x"]}), "invalid_redirect_uri"),
        (json!({"redirect_uris": []}), "invalid_redirect_uri"),
        (
            json!({"redirect_uris": (0..11).map(|i| format!("https://a.example/{i}")).collect::<Vec<_>>()}),
            "invalid_redirect_uri",
        ),
        (json!({"redirect_uris": [REDIRECT], "grant_types": ["client_credentials"]}), "invalid_client_metadata"),
        (json!("not an object"), "invalid_client_metadata"),
    ] {
        let response = register(&app, body.clone()).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(response.json::<Value>().await.unwrap()["error"], error, "{body}");
    }
}

#[tokio::test]
async fn the_sign_in_page_is_guarded_and_says_who_asks() {
    let app = oauth_app(&[]).await;
    let client = client_id(&app, "<script>alert(1)</script> Evil & Co").await;
    let (page, form) = sign_in_page(&app, &client).await;
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(
        csp.contains("form-action 'self' http://127.0.0.1:4455"),
        "the redirect's origin may follow the form: {csp}"
    );
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    assert_eq!(page.headers()["cache-control"], "no-store");
    let html = page.text().await.unwrap();
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt; Evil &amp; Co") && !html.contains("<script>"),
        "escaped"
    );
    assert!(html.contains("localhost") && html.contains("https://fal.ai/dashboard/keys"));
    assert!(
        html.contains("type=\"password\" name=\"fal_key\"") && !html.contains("value=\"oauth"),
        "the key field is never filled"
    );
    assert!(form.starts_with("falmcp_f_"));
    // Enter in the key field submits with the form's first button, which must be Connect.
    let first_button = html.split("<button").nth(1).unwrap();
    assert!(first_button.contains("value=\"connect\""), "{first_button}");
    assert!(html.contains("<title>Connect &lt;script&gt;"), "the title names the client");

    // A loopback redirect URI matches on any port (RFC 8252 §7.3).
    let other_port =
        browser().get(authorize_url(&app, &client, "http://127.0.0.1:60001/callback", &[])).send().await.unwrap();
    assert_eq!(other_port.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_request_that_fails_its_checks_is_answered_on_the_page_never_by_a_redirect() {
    let app = oauth_app(&[]).await;
    let client = client_id(&app, "App").await;
    for (url, said) in [
        (authorize_url(&app, "falmcp_c_forged", REDIRECT, &[]), "not registered"),
        (authorize_url(&app, "nobody", REDIRECT, &[]), "neither registered"),
        (authorize_url(&app, &client, "https://evil.example/callback", &[]), "redirect_uri"),
        (authorize_url(&app, &client, "http://127.0.0.1:4455/elsewhere", &[]), "redirect_uri"),
    ] {
        let response = browser().get(&url).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{url}");
        assert!(response.headers().get("location").is_none(), "never redirected: {url}");
        assert!(response.text().await.unwrap().contains(said), "{url}");
    }
    let plain_pkce = authorize_url(&app, &client, REDIRECT, &[("code_challenge_method", "plain")])
        .replace("code_challenge_method=S256&", "");
    // Anyone can register a redirect URI, so even a registered one is never sent an error without
    // the user acting (RFC 9700 §4.11.2): an open redirector is what that would make.
    let attacker = register(&app, json!({"redirect_uris": ["https://attacker.example/landing"]})).await;
    let attacker: Value = attacker.json().await.unwrap();
    let attacker = attacker["client_id"].as_str().unwrap();
    for (url, said) in [
        (plain_pkce, "PKCE"),
        (authorize_url(&app, &client, REDIRECT, &[]).replace("code_challenge=", "x="), "PKCE"),
        (
            authorize_url(&app, &client, REDIRECT, &[]).replace("response_type=code", "response_type=token"),
            "response_type=code",
        ),
        (
            authorize_url(&app, attacker, "https://attacker.example/landing", &[])
                .replace("response_type=code", "response_type=token"),
            "response_type=code",
        ),
        (
            authorize_url(&app, &client, REDIRECT, &[])
                .replace("resource=http", "resource=https%3A%2F%2Fother.example%2Fmcp&x=http"),
            "another server",
        ),
    ] {
        let response = browser().get(&url).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{url}");
        assert!(response.headers().get("location").is_none(), "never redirected: {url}");
        assert!(response.text().await.unwrap().contains(said), "{url}");
    }
    // Cancelling, which the user does on the page, does go back, with access_denied.
    let (_, form) = sign_in_page(&app, &client).await;
    let query = back(&submit(&app, &form, "", "cancel").await);
    assert_eq!(query["error"], "access_denied");
    assert_eq!((query["state"].as_str(), query["iss"].as_str()), ("st-123", PUBLIC));
}

#[tokio::test]
async fn signing_in_checks_the_key_once_and_hands_back_a_code() {
    let app = oauth_app(&["--sign-in-attempts", "2"]).await;
    let client = client_id(&app, "App").await;
    let (_, form) = sign_in_page(&app, &client).await;
    let cancelled = submit(&app, &form, "", "cancel").await;
    assert_eq!(back(&cancelled)["error"], "access_denied");

    let refused = submit(&app, &form, "bad:wrong-secret", "connect").await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let html = refused.text().await.unwrap();
    assert!(html.contains("No user found for Key ID and Secret"), "fal's reason is shown");
    assert!(!html.contains("wrong-secret"), "the key is never written back into the page");

    let accepted = submit(&app, &form, KEY, "connect").await;
    let query = back(&accepted);
    assert!(query["code"].starts_with("falmcp_k_"));
    assert_eq!((query["state"].as_str(), query["iss"].as_str()), ("st-123", PUBLIC));
    let checks = app.fake.requests_to("/v1/models/pricing");
    assert_eq!(checks.len(), 2, "one fal call per key tried");
    assert_eq!(checks[1].authorization.as_deref(), Some(format!("Key {KEY}").as_str()));

    let limited = submit(&app, &form, KEY, "connect").await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS, "two attempts per address and window");
    assert!(limited.text().await.unwrap().contains("Too many sign-in attempts"));
    assert_eq!(app.fake.requests_to("/v1/models/pricing").len(), 2, "a limited attempt asks fal nothing");

    let forged = submit(&app, "falmcp_f_forged", KEY, "connect").await;
    assert_eq!(forged.status(), StatusCode::BAD_REQUEST);
    assert!(forged.text().await.unwrap().contains("expired or was not made by this server"));
}

#[tokio::test]
async fn the_token_endpoint_holds_to_pkce_the_client_and_single_use() {
    let app = oauth_app(&[]).await;
    let client = client_id(&app, "App").await;
    let other = client_id(&app, "Other").await;
    let code = code_for(&app, &client, KEY).await;
    let base = |verifier: &'static str, client: &str, redirect: &'static str| -> Vec<(&'static str, String)> {
        vec![
            ("grant_type", "authorization_code".into()),
            ("code", code.clone()),
            ("client_id", client.into()),
            ("redirect_uri", redirect.into()),
            ("code_verifier", verifier.into()),
        ]
    };
    for (form, error) in [
        (base("wrong-verifier-wrong-verifier-wrong-verifier-00", &client, REDIRECT), "invalid_grant"),
        (base(VERIFIER, &other, REDIRECT), "invalid_grant"),
        (base(VERIFIER, &client, "http://127.0.0.1:4455/other"), "invalid_grant"),
    ] {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, body, _) = token(&app, &form).await;
        assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some(error)), "{form:?}");
    }
    let (status, body, _) = token(&app, &[("grant_type", "password")]).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("unsupported_grant_type")));
    let (status, body, _) = token(&app, &[("grant_type", "authorization_code"), ("code", &code)]).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_request")));

    let (status, tokens) = exchange(&app, &client, &code).await;
    assert_eq!(status, StatusCode::OK, "refused attempts did not burn the code: {tokens}");
    assert_eq!((tokens["token_type"].as_str(), tokens["expires_in"].as_u64()), (Some("Bearer"), Some(3600)));
    assert!(tokens["access_token"].as_str().unwrap().starts_with("falmcp_at_"));
    let (status, again) = exchange(&app, &client, &code).await;
    assert_eq!(
        (status, again["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant")),
        "a code works once"
    );
}

#[tokio::test]
async fn access_tokens_open_mcp_and_anything_else_gets_a_401_that_points_at_the_metadata() {
    let app = oauth_app(&[]).await;
    let (client, access, refresh) = signed_in(&app, KEY).await;
    let mcp = app.client(&access).await;
    let found = ok(&crate::support::call(&mcp, "search_models", json!({"query": "flux"})).await);
    assert!(found["total_shown"].as_u64().unwrap() > 0);
    mcp.cancel().await.ok();
    let sent = app.fake.keyed_requests_to("/v1/models").pop().unwrap();
    assert_eq!(sent.authorization.as_deref(), Some(format!("Key {KEY}").as_str()), "the sealed key reaches fal");

    let list = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
    let metadata = format!("resource_metadata=\"{PUBLIC}/.well-known/oauth-protected-resource/mcp\"");
    // Without any Authorization, discovery reads (see keyless.rs); a paid call gets the challenge.
    let paid = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "run_model", "arguments": {"endpoint_id": "fal-ai/flux/dev", "input": {"prompt": "x"}}}});
    let missing = app.post(&[], &paid.to_string()).await;
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    let challenge = missing.headers()["www-authenticate"].to_str().unwrap().to_string();
    assert!(challenge.contains(&metadata) && !challenge.contains("invalid_token"), "{challenge}");
    let mut tampered = access.clone();
    tampered.replace_range(20..21, if &access[20..21] == "A" { "B" } else { "A" });
    for bad in [tampered.as_str(), refresh.as_str(), "falmcp_at_nonsense"] {
        let response = app.post(&[("authorization", &format!("Bearer {bad}"))], list).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let challenge = response.headers()["www-authenticate"].to_str().unwrap().to_string();
        assert!(challenge.contains(&metadata) && challenge.contains("error=\"invalid_token\""), "{challenge}");
        let body: Value = response.json().await.unwrap();
        assert!(
            body["message"].as_str().unwrap().contains("Authorization: Bearer <FAL_KEY>"),
            "the key alternative is explained"
        );
    }
    let raw = app.post(&[("authorization", &format!("Bearer {KEY}"))], list).await;
    assert_eq!(raw.status(), StatusCode::OK, "a raw fal key still works");

    // Refresh: a new access token and a rotated refresh token, both working.
    let (status, renewed, _) =
        token(&app, &[("grant_type", "refresh_token"), ("refresh_token", &refresh), ("client_id", &client)]).await;
    assert_eq!(status, StatusCode::OK, "{renewed}");
    assert_ne!(renewed["refresh_token"], refresh.as_str());
    assert_ne!(renewed["access_token"], access.as_str());
    let fresh = renewed["access_token"].as_str().unwrap();
    assert_eq!(app.post(&[("authorization", &format!("Bearer {fresh}"))], list).await.status(), StatusCode::OK);

    // A key fal revokes later ends as a tool error that says to sign in again.
    app.fake.fail_next(
        "/v1/models",
        401,
        &[],
        r#"{"error":{"type":"authorization_error","message":"Authentication required"}}"#,
    );
    let (e, sentence) = err(&app.call(fresh, "search_models", json!({"query": "video"})).await);
    assert_eq!(e["status"], 401);
    assert!(sentence.contains("sign in to this server again"), "{sentence}");

    // A rotated refresh token works once (RFC 9700 §4.14.2): a replay is refused and ends the whole
    // sign-in, so the tokens issued from it stop working too; another sign-in is untouched.
    let (_, other_access, _) = signed_in(&app, KEY).await;
    let (status, replay, _) =
        token(&app, &[("grant_type", "refresh_token"), ("refresh_token", &refresh), ("client_id", &client)]).await;
    assert_eq!((status, replay["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "{replay}");
    assert!(replay["error_description"].as_str().unwrap().contains("already used"), "{replay}");
    let newest = renewed["refresh_token"].as_str().unwrap();
    let (status, revoked, _) =
        token(&app, &[("grant_type", "refresh_token"), ("refresh_token", newest), ("client_id", &client)]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "the replay revoked the newer refresh token too: {revoked}");
    let refused = app.post(&[("authorization", &format!("Bearer {fresh}"))], list).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let challenge = refused.headers()["www-authenticate"].to_str().unwrap().to_string();
    assert!(challenge.contains("invalid_token") && challenge.contains("used twice"), "{challenge}");
    let untouched = app.post(&[("authorization", &format!("Bearer {other_access}"))], list).await;
    assert_eq!(untouched.status(), StatusCode::OK);
}

#[tokio::test]
async fn tokens_survive_a_restart_with_the_same_secret_expire_on_time_and_die_with_another_secret() {
    let first = oauth_app(&[]).await;
    let (client, access, refresh) = signed_in(&first, KEY).await;
    let list = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
    let bearer = format!("Bearer {access}");

    let restarted = spawn_app_on(first.fake.clone(), &["--public-url", PUBLIC, "--token-secret", SECRET]).await;
    assert_eq!(restarted.post(&[("authorization", &bearer)], list).await.status(), StatusCode::OK);
    let rotated = spawn_app_on(
        first.fake.clone(),
        &["--public-url", PUBLIC, "--token-secret", OTHER_SECRET, "--token-secret-previous", SECRET],
    )
    .await;
    assert_eq!(
        rotated.post(&[("authorization", &bearer)], list).await.status(),
        StatusCode::OK,
        "the previous secret still opens"
    );
    let replaced = spawn_app_on(first.fake.clone(), &["--public-url", PUBLIC, "--token-secret", OTHER_SECRET]).await;
    assert_eq!(
        replaced.post(&[("authorization", &bearer)], list).await.status(),
        StatusCode::UNAUTHORIZED,
        "a new secret signs everyone out"
    );
    let (status, body, _) =
        token(&replaced, &[("grant_type", "refresh_token"), ("refresh_token", &refresh), ("client_id", &client)]).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));

    // The same secret two hours on: the access token has expired, the refresh token has not.
    let later = spawn_app_on(
        first.fake.clone(),
        &["--public-url", PUBLIC, "--token-secret", SECRET, "--clock-offset-secs", "7200"],
    )
    .await;
    let expired = later.post(&[("authorization", &bearer)], list).await;
    assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);
    assert!(expired.json::<Value>().await.unwrap()["message"].as_str().unwrap().contains("expired"));
    let (status, _, _) =
        token(&later, &[("grant_type", "refresh_token"), ("refresh_token", &refresh), ("client_id", &client)]).await;
    assert_eq!(status, StatusCode::OK);
    // A code is worth 60 s: two minutes on, it no longer is; 31 days on, neither is the refresh token.
    let code = code_for(&first, &client, KEY).await;
    let two_minutes = spawn_app_on(
        first.fake.clone(),
        &["--public-url", PUBLIC, "--token-secret", SECRET, "--clock-offset-secs", "120"],
    )
    .await;
    let (status, body) = exchange(&two_minutes, &client, &code).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
    assert!(body["error_description"].as_str().unwrap().contains("expired"));
    let month = spawn_app_on(
        first.fake.clone(),
        &["--public-url", PUBLIC, "--token-secret", SECRET, "--clock-offset-secs", "2678400"],
    )
    .await;
    let (status, body, _) =
        token(&month, &[("grant_type", "refresh_token"), ("refresh_token", &refresh), ("client_id", &client)]).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
}

#[tokio::test]
async fn a_client_can_name_itself_by_its_metadata_document() {
    let app = oauth_app(&["--allow-private-urls"]).await;
    let document = format!("{}/cimd/good.json", app.fake.url);
    let page = browser().get(authorize_url(&app, &document, "http://127.0.0.1:1/callback", &[])).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("Connect Document Client to fal"));
    let liar = format!("{}/cimd/liar.json", app.fake.url);
    let refused = browser().get(authorize_url(&app, &liar, "http://127.0.0.1:1/callback", &[])).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(refused.text().await.unwrap().contains("client_id is not its own URL"));
    let strict = oauth_app(&[]).await;
    let refused =
        browser().get(authorize_url(&strict, &document, "http://127.0.0.1:1/callback", &[])).send().await.unwrap();
    assert!(refused.text().await.unwrap().contains("must be https"), "an http document only for local trials");
}

#[tokio::test]
async fn the_key_tokens_codes_and_secret_never_reach_a_log() {
    let key = "logcanary-4f1e:logcanary-secret-77aa";
    let app = oauth_app(&[]).await;
    let (client, access, refresh) = signed_in(&app, key).await;
    let code = code_for(&app, &client, key).await;
    let (_, form) = sign_in_page(&app, &client).await;
    let refused = submit(&app, &form, "bad:logcanary-wrong-9c", "connect").await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    ok(&app.call(&access, "search_models", json!({"query": "flux"})).await);
    let logs = captured_logs();
    assert!(logs.contains("oauth: signed in"), "the sign-in is logged");
    for secret in
        ["logcanary", &access[10..40], &refresh[10..40], &code[9..40], &client[9..40], &form[9..40], SECRET, "c2VjcmV0"]
    {
        assert!(!logs.contains(secret), "{secret} appears in the logs");
    }
    let body = text(&app.call(&access, "get_model_schema", json!({"endpoint_id": "nobody/nothing"})).await);
    assert!(!body.contains("logcanary"));
}

#[tokio::test]
async fn a_public_url_needs_a_secret_unless_it_is_loopback() {
    let args = |url: &str| vec!["fal-mcp".to_string(), "--public-url".into(), url.into()];
    let public = fal_mcp::Config::from_args(args("https://mcp.example.com")).unwrap();
    let refused = fal_mcp::build_app(&public, Default::default()).expect_err("refused");
    assert!(refused.contains("FAL_MCP_TOKEN_SECRET") && refused.contains("openssl rand -base64 32"), "{refused}");
    let local = fal_mcp::Config::from_args(args("http://127.0.0.1:8080")).unwrap();
    assert!(fal_mcp::build_app(&local, Default::default()).is_ok(), "a loopback trial makes its own secret");
    let plain_http = fal_mcp::Config::from_args(args("http://mcp.example.com")).unwrap();
    assert!(fal_mcp::build_app(&plain_http, Default::default()).expect_err("refused").contains("https"));
    for flag in ["--token-secret", "--token-secret-previous"] {
        let short =
            fal_mcp::Config::from_args(["fal-mcp", "--public-url", "https://mcp.example.com", flag, "c2hvcnQ="])
                .expect("a secret is read later, so that no refusal can print it");
        let refused = fal_mcp::build_app(&short, Default::default()).expect_err("refused");
        assert!(refused.contains("at least 32") && refused.contains("FAL_MCP_TOKEN_SECRET"), "{refused}");
        assert!(!refused.contains("c2hvcnQ") && !format!("{short:?}").contains("c2hvcnQ"), "the secret was echoed");
    }
}
