//! The public edge against slow and hostile clients, over raw sockets: bounded header and body
//! reads, slots that only work takes, per-address connection caps, and malformed requests
//! answered with the right status.

use std::{net::SocketAddr, time::Duration};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpSocket, TcpStream},
    time::Instant,
};

use crate::support::{TestApp, spawn_app, spawn_app_with};

const AUTH: &str = "Authorization: Bearer edge-id:edge-secret\r\n";
const PING: &str = r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;

fn address(app: &TestApp) -> SocketAddr {
    app.base.trim_start_matches("http://").parse().unwrap()
}

/// A connection from a chosen loopback address (127.0.0.x), so tests can act as several clients.
async fn connect_from(app: &TestApp, from: [u8; 4]) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((from, 0)))?;
    socket.connect(address(app)).await
}

fn post(body: &str, extra: &str) -> String {
    format!(
        "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n{AUTH}{extra}Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// Reads until the peer closes or `within` passes; returns what arrived and whether it closed.
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> (String, bool) {
    let deadline = Instant::now() + within;
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&seen).into_owned(), true),
            Ok(Ok(n)) => seen.extend_from_slice(&buffer[..n]),
            Err(_) => return (String::from_utf8_lossy(&seen).into_owned(), false),
        }
    }
}

/// Sends `request` on a fresh connection and returns the status line's code and the whole answer.
async fn exchange(app: &TestApp, request: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(address(app)).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut seen = Vec::new();
    let mut buffer = [0u8; 8192];
    while !String::from_utf8_lossy(&seen).contains("\r\n\r\n") || !complete(&seen) {
        let n =
            tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buffer)).await.expect("an answer").unwrap();
        if n == 0 {
            break;
        }
        seen.extend_from_slice(&buffer[..n]);
    }
    let text = String::from_utf8_lossy(&seen).into_owned();
    let code = text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (code, text)
}

fn complete(seen: &[u8]) -> bool {
    let text = String::from_utf8_lossy(seen);
    let Some((head, body)) = text.split_once("\r\n\r\n") else { return false };
    let length = head.lines().find_map(|l| {
        l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap_or(0))
    });
    length.is_some_and(|n| body.len() >= n)
}

async fn ping_ok(app: &TestApp) -> Duration {
    let started = Instant::now();
    let response = app.post(&[("authorization", "Bearer edge-id:edge-secret")], PING).await;
    assert_eq!(response.status(), 200);
    started.elapsed()
}

#[tokio::test]
async fn five_hundred_stalled_bodies_leave_normal_callers_unaffected() {
    let app =
        spawn_app_with(&["--max-concurrency", "4", "--max-connections-per-address", "0", "--body-timeout-secs", "3"])
            .await;
    let mut stalled = Vec::new();
    for _ in 0..500 {
        let mut stream = connect_from(&app, [127, 0, 0, 2]).await.unwrap();
        let head = format!(
            "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n{AUTH}Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: 1000\r\n\r\n{{\"jsonrpc\":\"2.0\""
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        stalled.push(stream);
    }
    for _ in 0..8 {
        let took = ping_ok(&app).await;
        assert!(took < Duration::from_secs(2), "a normal call took {took:?} beside 500 stalled bodies");
    }
    // Each stalled body is answered 408 once its time is up, and its connection closed.
    for stream in stalled.iter_mut().take(20) {
        let (answer, closed) = read_until_closed(stream, Duration::from_secs(15)).await;
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(closed);
    }
}

#[tokio::test]
async fn one_address_cannot_hold_more_than_its_share_of_connections() {
    let app = spawn_app_with(&["--max-connections-per-address", "8"]).await;
    let mut held = Vec::new();
    for _ in 0..8 {
        held.push(connect_from(&app, [127, 0, 0, 3]).await.unwrap());
    }
    let mut ninth = connect_from(&app, [127, 0, 0, 3]).await.unwrap();
    let (answer, closed) = read_until_closed(&mut ninth, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 429") && answer.contains("too_many_connections"), "{answer}");
    assert!(closed);
    ping_ok(&app).await;
    drop(held);
    // Once they close, the address may connect again.
    let mut again = None;
    for _ in 0..100 {
        let mut stream = connect_from(&app, [127, 0, 0, 3]).await.unwrap();
        stream.write_all(post(PING, "").as_bytes()).await.unwrap();
        let (answer, _) = read_until_closed(&mut stream, Duration::from_millis(500)).await;
        if answer.starts_with("HTTP/1.1 200") {
            again = Some(answer);
            break;
        }
    }
    assert!(again.is_some(), "the address never got its connections back");
}

#[tokio::test]
async fn slow_or_silent_headers_and_idle_connections_are_closed() {
    let app = spawn_app_with(&["--header-timeout-secs", "1"]).await;
    for opening in ["", "POST /mcp HT", "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty"] {
        let mut stream = TcpStream::connect(address(&app)).await.unwrap();
        stream.write_all(opening.as_bytes()).await.unwrap();
        let started = Instant::now();
        let (_, closed) = read_until_closed(&mut stream, Duration::from_secs(6)).await;
        assert!(closed, "{opening:?}: still open after 6 s");
        assert!(started.elapsed() >= Duration::from_millis(900), "{opening:?}: closed before its time");
    }
    // A kept-alive connection that goes quiet after a complete exchange is closed too.
    let mut stream = TcpStream::connect(address(&app)).await.unwrap();
    stream.write_all(post(PING, "").as_bytes()).await.unwrap();
    let (answer, closed) = read_until_closed(&mut stream, Duration::from_secs(6)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(closed, "the idle keep-alive connection was not reaped");
}

#[tokio::test]
async fn declared_oversize_bodies_are_refused_before_they_are_read() {
    let app = spawn_app_with(&["--max-body-bytes", "14000000", "--max-data-bytes", "10000000"]).await;
    for declared in ["104857600", "1099511627776"] {
        let head = format!(
            "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n{AUTH}Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: {declared}\r\n\r\n"
        );
        let (code, answer) = exchange(&app, head.as_bytes()).await;
        assert_eq!(code, 413, "{answer}");
        assert!(answer.contains("payload_too_large"), "{answer}");
    }
}

#[tokio::test]
async fn malformed_requests_get_the_status_that_names_the_problem() {
    let app = spawn_app().await;
    let (code, answer) = exchange(&app, post(PING, AUTH).as_bytes()).await;
    assert_eq!(code, 400, "two Authorization headers: {answer}");
    assert!(answer.contains("more than one Authorization header"), "{answer}");

    let absolute = post(PING, "").replacen("POST /mcp HTTP/1.1", "POST http://evil.example/mcp HTTP/1.1", 1);
    let (code, answer) = exchange(&app, absolute.as_bytes()).await;
    assert_eq!(code, 403, "the target's own authority is checked: {answer}");
    let empty_host = post(PING, "").replacen("Host: 127.0.0.1", "Host: ", 1);
    let (code, answer) = exchange(&app, empty_host.as_bytes()).await;
    assert!(code == 403 || code == 400, "an empty Host is refused: {answer}");

    let chunked = format!(
        "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n{AUTH}Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nnot a chunk\r\n0\r\n\r\n"
    );
    let (code, answer) = exchange(&app, chunked.as_bytes()).await;
    assert_eq!(code, 400, "a broken chunked body is malformed, not too large: {answer}");

    let bad_params = r#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":5}}"#;
    let (code, answer) = exchange(&app, post(bad_params, "").as_bytes()).await;
    assert_eq!(code, 200, "{answer}");
    let body: serde_json::Value = serde_json::from_str(answer.split_once("\r\n\r\n").unwrap().1).unwrap();
    assert_eq!(body["error"]["code"], -32602, "malformed params are invalid params: {body}");
    assert!(app.fake.requests().is_empty());
}

#[tokio::test]
async fn a_body_that_stops_arriving_is_answered_408() {
    let app = spawn_app_with(&["--body-timeout-secs", "1"]).await;
    let mut stream = TcpStream::connect(address(&app)).await.unwrap();
    let head = format!(
        "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n{AUTH}Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: 1000\r\n\r\n{{\"jsonrpc\""
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let (answer, closed) = read_until_closed(&mut stream, Duration::from_secs(6)).await;
    assert!(answer.starts_with("HTTP/1.1 408") && answer.contains("did not arrive within 1 s"), "{answer}");
    assert!(closed);
}

/// A tools/call of upload_file from `from`, whose URL never answers: it holds its slot until the
/// fetch's deadline. Returns the stream, to keep the request open.
async fn hold_a_slot(app: &TestApp, from: [u8; 4], key: &str, slow_url: &str) -> TcpStream {
    let body = format!(
        r#"{{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{{"name":"upload_file","arguments":{{"url":"{slow_url}"}}}}}}"#
    );
    let mut stream = connect_from(app, from).await.unwrap();
    let request = post(&body, "").replace(AUTH, &format!("Authorization: Bearer {key}\r\n"));
    stream.write_all(request.as_bytes()).await.unwrap();
    stream
}

/// The status line's code of a tools/list sent with `key` from `from`, and the answer.
async fn list_from(app: &TestApp, from: [u8; 4], key: &str) -> (u16, String) {
    let mut stream = connect_from(app, from).await.unwrap();
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
    let request = post(body, "").replace(AUTH, &format!("Authorization: Bearer {key}\r\n"));
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut buffer = vec![0u8; 65536];
    let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buffer)).await.expect("an answer").unwrap();
    let answer = String::from_utf8_lossy(&buffer[..n]).into_owned();
    (answer[9..12].parse().unwrap(), answer)
}

#[tokio::test]
async fn no_key_and_no_address_can_hold_more_than_its_share_of_the_slots() {
    let (slow_url, accepted) = crate::support::silent_listener().await;
    let app = spawn_app_with(&[
        "--allow-private-urls",
        "--max-concurrency",
        "6",
        "--max-concurrency-per-key",
        "2",
        "--max-concurrency-per-address",
        "3",
    ])
    .await;
    let hogger = "hog-id:hog-secret";
    let _a = hold_a_slot(&app, [127, 0, 0, 2], hogger, &slow_url).await;
    let _b = hold_a_slot(&app, [127, 0, 0, 3], hogger, &slow_url).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while accepted.load(std::sync::atomic::Ordering::SeqCst) < 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 2, "both calls are fetching, holding slots");

    let (status, answer) = list_from(&app, [127, 0, 0, 4], hogger).await;
    assert_eq!(status, 429, "a third request of the same key: {answer}");
    assert!(answer.contains("this fal key already has 2 requests in progress"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("retry-after: 1"), "{answer}");

    // One address with many keys: its share is 3.
    let _c = hold_a_slot(&app, [127, 0, 0, 2], "other-1:s", &slow_url).await;
    let _d = hold_a_slot(&app, [127, 0, 0, 2], "other-2:s", &slow_url).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while accepted.load(std::sync::atomic::Ordering::SeqCst) < 4 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (status, answer) = list_from(&app, [127, 0, 0, 2], "other-3:s").await;
    assert_eq!(status, 429, "a fourth request from one address: {answer}");
    assert!(answer.contains("your address already has 3"), "{answer}");

    // Everyone else is served at once, however the hogs wait.
    let (status, answer) = list_from(&app, [127, 0, 0, 9], "fair-id:fair-secret").await;
    assert_eq!(status, 200, "{answer}");
}
