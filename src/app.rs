//! The axum application: `/mcp` (rmcp, stateless) behind CORS, accounting, the Host/Origin guard and
//! Bearer auth; `/healthz` and `/metrics` outside them. Also serves it, with a bounded graceful shutdown.

use std::{future::Future, io, sync::Arc, time::Duration};

use axum::{
    Router,
    http::{HeaderName, HeaderValue, Method, header},
    middleware,
    routing::get,
    serve::ListenerExt,
};
use rmcp::transport::streamable_http_server::{
    StreamableHttpServerConfig, StreamableHttpService, session::never::NeverSessionManager,
};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::{
    Config, auth,
    fal::{FalClient, FalSettings, FalUrls},
    fast_list,
    fetch::Fetcher,
    guard, metrics, observe,
    tools::{FalMcp, ToolSettings},
};

/// Builds the fal client the configuration describes.
pub fn fal_client(config: &Config) -> Result<FalClient, String> {
    FalClient::new(FalSettings {
        urls: FalUrls {
            api: config.fal_api_url.clone(),
            queue: config.fal_queue_url.clone(),
            rest: config.fal_rest_url.clone(),
            docs: config.fal_docs_url.clone(),
        },
        timeout: config.upstream_timeout(),
        cache_ttl: config.cache_ttl(),
    })
}

/// The MCP server (tools, fal client, fetcher) the configuration describes. `stop` ends
/// run_model's waits early (with the request id) when the process is shutting down.
pub fn mcp_server(config: &Config, stop: CancellationToken) -> Result<FalMcp, String> {
    config.validate()?;
    // A whole file streams through one fetch, so it gets several upstream timeouts' worth of time.
    let fetcher = Fetcher::new(config.allow_private_urls, config.max_upload_bytes, config.upstream_timeout() * 5)?;
    let settings = ToolSettings {
        run_wait: Duration::from_secs(config.run_wait_secs),
        run_wait_max: Duration::from_secs(config.run_wait_max_secs),
        max_data_bytes: config.max_data_bytes,
        stop,
    };
    Ok(FalMcp::new(fal_client(config)?, fetcher, settings))
}

/// The whole HTTP application, exactly as production serves it.
pub fn build_app(config: &Config, stop: CancellationToken) -> Result<Router, String> {
    let server = mcp_server(config, stop)?;
    // The fast tools/list path serves exactly what this server's router lists.
    let tools_list = fast_list::ToolsList::new(&server.listed_tools());
    let mcp_config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_max_request_body_bytes(config.max_body_bytes)
        // Host and Origin are checked by `guard`, before auth, with the configured lists.
        .disable_allowed_hosts();
    let mcp =
        StreamableHttpService::new(move || Ok(server.clone()), Arc::new(NeverSessionManager::default()), mcp_config);
    let allowed = Arc::new(guard::Allowed::new(&config.allowed_hosts(), &config.allowed_origins));
    let limits = observe::Limits::new(config.max_concurrency, config.max_body_bytes, tools_list);
    Ok(Router::new()
        .route_service("/mcp", mcp)
        .layer(middleware::from_fn_with_state(limits.clone(), observe::peek))
        .layer(middleware::from_fn(auth::require_bearer))
        .layer(middleware::from_fn_with_state(allowed.clone(), guard::check))
        .layer(middleware::from_fn_with_state(limits, observe::account))
        .layer(cors(allowed))
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/metrics",
            get(|| async { ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], metrics::render()) }),
        ))
}

/// CORS for browser clients from allowed (or loopback) origins; preflights are answered before auth.
fn cors(allowed: Arc<guard::Allowed>) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin: &HeaderValue, _| {
            origin.to_str().is_ok_and(|o| allowed.origin_allowed(o))
        }))
        .allow_methods([Method::POST, Method::GET, Method::DELETE, Method::OPTIONS])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            HeaderName::from_static("mcp-protocol-version"),
            HeaderName::from_static("mcp-session-id"),
            HeaderName::from_static("last-event-id"),
        ])
        .expose_headers([
            header::WWW_AUTHENTICATE,
            HeaderName::from_static("mcp-session-id"),
            HeaderName::from_static("x-request-id"),
        ])
        .max_age(Duration::from_secs(3600))
}

/// Serves the application on `listener` until `shutdown` resolves, then stops accepting and lets
/// in-flight requests finish for up to the configured grace period.
pub async fn serve(
    listener: TcpListener,
    config: &Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let stop = CancellationToken::new();
    let app = build_app(config, stop.clone()).map_err(io::Error::other)?;
    // Nagle plus delayed ACK adds ~40 ms to every streamed response.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let signalled = stop.clone();
    tokio::spawn(async move {
        shutdown.await;
        signalled.cancel();
    });
    let server = axum::serve(listener, app).with_graceful_shutdown(stop.clone().cancelled_owned());
    let grace = Duration::from_secs(config.shutdown_grace_secs);
    tokio::select! {
        served = server => served,
        () = async { stop.cancelled().await; tokio::time::sleep(grace).await } => {
            tracing::warn!("shutdown grace period of {} s is over; exiting with requests in flight", grace.as_secs());
            Ok(())
        }
    }
}
