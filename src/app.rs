//! The axum application: `/mcp` (rmcp, stateless) behind the Host/Origin guard and Bearer auth, and `/healthz`.

use std::{future::Future, io, sync::Arc, time::Duration};

use axum::{Router, middleware, routing::get, serve::ListenerExt};
use rmcp::transport::streamable_http_server::{
    StreamableHttpServerConfig, StreamableHttpService, session::never::NeverSessionManager,
};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::trace::TraceLayer;

use crate::{
    Config, auth,
    fal::{FalClient, FalSettings, FalUrls},
    fetch::Fetcher,
    guard,
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

/// The MCP server (tools, fal client, fetcher) the configuration describes.
pub fn mcp_server(config: &Config) -> Result<FalMcp, String> {
    config.validate()?;
    // A whole file streams through one fetch, so it gets several upstream timeouts' worth of time.
    let fetcher = Fetcher::new(config.allow_private_urls, config.max_upload_bytes, config.upstream_timeout() * 5)?;
    let settings = ToolSettings {
        run_wait: Duration::from_secs(config.run_wait_secs),
        run_wait_max: Duration::from_secs(config.run_wait_max_secs),
        max_data_bytes: config.max_data_bytes,
    };
    Ok(FalMcp::new(fal_client(config)?, fetcher, settings))
}

/// The whole HTTP application, exactly as production serves it.
pub fn build_app(config: &Config, shutdown: CancellationToken) -> Result<Router, String> {
    let server = mcp_server(config)?;
    let mcp_config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_max_request_body_bytes(config.max_body_bytes)
        .with_cancellation_token(shutdown)
        // Host and Origin are checked by `guard`, before auth, with the configured lists.
        .disable_allowed_hosts();
    let mcp =
        StreamableHttpService::new(move || Ok(server.clone()), Arc::new(NeverSessionManager::default()), mcp_config);
    let allowed = Arc::new(guard::Allowed::new(&config.allowed_hosts, &config.allowed_origins));
    Ok(Router::new()
        .route_service("/mcp", mcp)
        .layer(middleware::from_fn(auth::require_bearer))
        .layer(middleware::from_fn_with_state(allowed, guard::check))
        .route("/healthz", get(|| async { "ok" }))
        .layer(TraceLayer::new_for_http()))
}

/// Serves the application on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    config: &Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let token = CancellationToken::new();
    let app = build_app(config, token.clone()).map_err(io::Error::other)?;
    // Nagle plus delayed ACK adds ~40 ms to every streamed response.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            token.cancel();
        })
        .await
}
