//! The sign-in's replay memory shared through a real Redis (Debian's `redis-server`, which
//! `.ci/run` installs): two instances catch a token replayed at the other, share the sign-in
//! limit, keep only digests in Redis, and a Redis stopped mid-run fails closed for codes, refreshes
//! and sign-ins while access tokens keep working. Without `redis-server` on the PATH these tests
//! say so and pass, unless FAL_MCP_TEST_REDIS=required (as in CI), where its absence fails them.

use std::{
    process::{Child, Command, Stdio},
    time::Duration,
};

use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::oauth::{KEY, PUBLIC, SECRET, client_id, code_for, exchange, sign_in_page, signed_in, token};
use crate::support::{FakeFal, TestApp, spawn_app_on};

const LIST: &str = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;

/// A redis-server of its own on a free loopback port, with nothing saved to disk.
struct Redis {
    child: Option<Child>,
    port: u16,
}

impl Redis {
    async fn start() -> Option<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut redis = Redis { child: None, port };
        if !redis.launch().await {
            assert_ne!(
                std::env::var("FAL_MCP_TEST_REDIS").as_deref(),
                Ok("required"),
                "redis-server is not installed (Debian: apt-get install redis-server)"
            );
            eprintln!("replay_memory: redis-server is not installed; the shared-memory tests did not run");
            return None;
        }
        Some(redis)
    }

    async fn launch(&mut self) -> bool {
        let spawned = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let Ok(child) = spawned else { return false };
        self.child = Some(child);
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await.is_ok() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("redis-server did not start listening within 5 s");
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The keys Redis holds, by an inline `KEYS *` over RESP.
    async fn keys(&self) -> String {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await.unwrap();
        stream.write_all(b"KEYS *\r\n").await.unwrap();
        let mut buffer = vec![0u8; 65536];
        tokio::time::sleep(Duration::from_millis(100)).await;
        let n = stream.read(&mut buffer).await.unwrap();
        String::from_utf8_lossy(&buffer[..n]).into_owned()
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn instance(fake: &FakeFal, redis: &Redis, extra: &[&str]) -> TestApp {
    let url = redis.url();
    let mut args = vec!["--public-url", PUBLIC, "--token-secret", SECRET, "--redis-url", &url];
    args.extend_from_slice(extra);
    spawn_app_on(fake.clone(), &args).await
}

async fn refresh(app: &TestApp, client: &str, refresh: &str) -> (StatusCode, serde_json::Value) {
    let (status, body, _) =
        token(app, &[("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", client)]).await;
    (status, body)
}

#[tokio::test]
async fn two_instances_behind_one_redis_catch_a_token_replayed_at_the_other() {
    let Some(redis) = Redis::start().await else { return };
    let fake = FakeFal::start().await;
    let a = instance(&fake, &redis, &[]).await;
    let b = instance(&fake, &redis, &[]).await;

    let (client, _, first_refresh) = signed_in(&a, KEY).await;
    let (status, rotated) = refresh(&a, &client, &first_refresh).await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let access = rotated["access_token"].as_str().unwrap();
    assert_eq!(b.post(&[("authorization", &format!("Bearer {access}"))], LIST).await.status(), StatusCode::OK);

    let (status, replay) = refresh(&b, &client, &first_refresh).await;
    assert_eq!((status, replay["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "{replay}");
    for app in [&a, &b] {
        let refused = app.post(&[("authorization", &format!("Bearer {access}"))], LIST).await;
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "revoked on every instance");
    }
    let (status, _) = refresh(&a, &client, rotated["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "the newer refresh token died with its sign-in");

    let code = code_for(&a, &client, KEY).await;
    assert_eq!(exchange(&a, &client, &code).await.0, StatusCode::OK);
    let (status, body) = exchange(&b, &client, &code).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "{body}");

    let stored = redis.keys().await;
    assert!(stored.contains("falmcp:refresh:") && stored.contains("falmcp:revoked:"), "{stored}");
    assert!(!stored.contains("oauth") && !stored.contains(&first_refresh[10..30]), "only digests are stored");
}

#[tokio::test]
async fn the_sign_in_limit_is_shared_by_every_instance() {
    let Some(redis) = Redis::start().await else { return };
    let fake = FakeFal::start().await;
    let a = instance(&fake, &redis, &["--sign-in-attempts", "2"]).await;
    let b = instance(&fake, &redis, &["--sign-in-attempts", "2"]).await;
    let client = client_id(&a, "App").await;
    let (_, form) = sign_in_page(&a, &client).await;
    let mut statuses = Vec::new();
    for app in [&a, &b, &a] {
        statuses.push(crate::oauth::submit(app, &form, "bad:wrong", "connect").await.status());
    }
    assert_eq!(statuses, [StatusCode::BAD_REQUEST, StatusCode::BAD_REQUEST, StatusCode::TOO_MANY_REQUESTS]);
}

#[tokio::test]
async fn a_redis_stopped_mid_run_fails_closed_for_codes_refreshes_and_sign_ins() {
    let Some(mut redis) = Redis::start().await else { return };
    let fake = FakeFal::start().await;
    let app = instance(&fake, &redis, &[]).await;
    let (client, access, refresh_token) = signed_in(&app, KEY).await;
    let code = code_for(&app, &client, KEY).await;
    let (_, form) = sign_in_page(&app, &client).await;
    redis.stop();

    let (status, body) = refresh(&app, &client, &refresh_token).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("temporarily_unavailable")));
    let (status, body) = exchange(&app, &client, &code).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("temporarily_unavailable")));
    let page = crate::oauth::submit(&app, &form, KEY, "connect").await;
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(page.text().await.unwrap().contains("Try again in a minute"));
    // Access tokens are sealed and short-lived: they keep working while Redis is away.
    let served = app.post(&[("authorization", &format!("Bearer {access}"))], LIST).await;
    assert_eq!(served.status(), StatusCode::OK);
    let metrics =
        crate::support::http().get(format!("{}/metrics", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(!metrics.contains("fal_mcp_replay_memory_failures_total 0"), "failures are counted");

    // Redis back: the same refresh token (never used) now works.
    assert!(redis.launch().await);
    let mut last = StatusCode::SERVICE_UNAVAILABLE;
    for _ in 0..50 {
        last = refresh(&app, &client, &refresh_token).await.0;
        if last != StatusCode::SERVICE_UNAVAILABLE {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(last, StatusCode::OK, "the server reconnected to Redis");
}
