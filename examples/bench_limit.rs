//! The benchmark's "limit": a bare axum handler that answers every POST with the bytes of a file
//! (the server's own tools/list response), built in the same release profile as fal-mcp.
//! usage: bench_limit <response-file>   (prints its base URL; loopback only)

use std::io::Write;

use axum::{Router, http::header, routing::post, serve::ListenerExt};

#[tokio::main]
async fn main() {
    let path = std::env::args().nth(1).expect("usage: bench_limit <response-file>");
    let body = bytes::Bytes::from(std::fs::read(path).expect("the response file is readable"));
    let app = Router::new().route(
        "/mcp",
        post(move || {
            let body = body.clone();
            async move { ([(header::CONTENT_TYPE, "application/json")], body) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    println!("http://{}", listener.local_addr().unwrap());
    std::io::stdout().flush().unwrap();
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app).await.unwrap();
}
