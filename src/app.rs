//! The application: public routes (`/`, `/healthz`, `/metrics`), the sign-in's routes when a
//! public URL turns it on (`oauth/`), and the protected MCP paths (`/mcp`, every tool, and
//! `/mcp/readonly`, the read-only ones), whose layers are listed in the order a request meets
//! them; and serving it.

use std::{future::Future, io, sync::Arc};

use axum::{
    Router,
    http::{HeaderName, HeaderValue, Method, header},
    middleware::{from_fn, from_fn_with_state},
    routing::{any, get},
};
use rmcp::transport::streamable_http_server::{
    StreamableHttpServerConfig, StreamableHttpService, session::never::NeverSessionManager,
};
use tokio::{net::TcpListener, sync::Semaphore};
use tokio_util::sync::CancellationToken;
use tower::ServiceBuilder;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::{
    Config,
    fal::{FalClient, FalSettings, FalUrls},
    fetch::Fetcher,
    http::{account, admit, auth, fast_list, guard, home, serve},
    icons, metrics,
    oauth::{self, OAuth},
    tools::{FalMcp, ToolSettings, catalog::Catalog},
    ui::View,
};

/// The fal client and the guarded fetcher the configuration describes.
pub(crate) fn clients(config: &Config) -> Result<(FalClient, Fetcher), String> {
    config.validate()?;
    let fal = FalClient::new(FalSettings {
        urls: FalUrls {
            api: config.fal_api_url.clone(),
            queue: config.fal_queue_url.clone(),
            rest: config.fal_rest_url.clone(),
            docs: config.fal_docs_url.clone(),
        },
        timeout: config.upstream_timeout(),
        cache_ttl: config.cache_ttl(),
    })?;
    // A whole file streams through one fetch, so it gets several upstream timeouts' worth of time.
    let fetcher = Fetcher::new(config.allow_private_urls, config.max_upload_bytes, config.upstream_timeout() * 5)?;
    Ok((fal, fetcher))
}

/// The sign-in's settings, when a public URL turns it on. With a loopback public URL and no
/// secret, a secret is made for this process (sign-ins end with it) and the log says so.
fn oauth_settings(config: &Config) -> Result<Option<oauth::Settings>, String> {
    let Some(public_url) = config.public_url.clone() else { return Ok(None) };
    let (current, previous) = config.secrets()?;
    let secret = current.unwrap_or_else(|| {
        tracing::warn!("FAL_MCP_TOKEN_SECRET is not set: this process made its own; sign-ins end when it stops");
        oauth::seal::Secret::random()
    });
    Ok(Some(oauth::Settings {
        public_url,
        sealer: oauth::seal::Sealer::new(&secret, previous.as_ref()),
        access_secs: config.access_token_secs.max(1),
        refresh_secs: config.refresh_token_days.max(1) * 86_400,
        attempts_per_window: config.sign_in_attempts,
        client_ip: Arc::new(config.client_ip()),
        redis_url: config.redis_url().map(str::to_owned),
        body_timeout: config.body_timeout(),
        clock_offset: config.clock_offset_secs,
        allow_http_documents: config.allow_private_urls,
    }))
}

/// The MCP server (tools over the fal client). `hand_back` ends run_model's waits (with the
/// request id) when the process is about to exit.
pub(crate) fn mcp_server(config: &Config, fal: FalClient, fetcher: Fetcher, hand_back: CancellationToken) -> FalMcp {
    let settings = ToolSettings {
        run_wait: config.run_wait(),
        run_wait_max: config.run_wait_max(),
        max_data_bytes: config.max_data_bytes,
        max_upload_bytes: config.max_upload_bytes,
        max_cost_per_call: config.max_cost_per_call,
        stop: hand_back,
        view: View::new(crate::config::view_media_origins(config)),
        public_url: config.public_url.as_ref().map(|u| u.as_str().trim_end_matches('/').to_string()),
    };
    FalMcp::new(fal, fetcher, settings)
}

/// The whole HTTP application, exactly as production serves it.
pub fn build_app(config: &Config, hand_back: CancellationToken) -> Result<Router, String> {
    build(config, hand_back).map(|(app, _)| app)
}

/// The application and its catalog index, which a long-running server builds at start.
fn build(config: &Config, hand_back: CancellationToken) -> Result<(Router, Arc<Catalog>), String> {
    let (fal, fetcher) = clients(config)?;
    let oauth =
        oauth_settings(config)?.map(|settings| OAuth::new(settings, fal.clone(), fetcher.clone())).transpose()?;
    let server = mcp_server(config, fal, fetcher, hand_back);
    let catalog = server.catalog();
    let allowed = Arc::new(guard::Allowed::new(&config.allowed_hosts(), &config.allowed_origins));
    let client_ip = Arc::new(config.client_ip());
    let keyless =
        config.reads_without_key().then(|| auth::KeylessReads::new(config.keyless_calls_per_minute, client_ip.clone()));
    let auth = Arc::new(auth::Auth { oauth: oauth.clone(), keyless });
    let (per_key, per_address) = config.shares();
    let limits = Arc::new(admit::Limits {
        slots: Arc::new(Semaphore::new(config.max_concurrency.max(1))),
        body: admit::BodyLimits { max_bytes: config.max_body_bytes, timeout: config.body_timeout() },
        per_key,
        per_address,
        client_ip,
        held: Arc::default(),
    });
    // /mcp serves every tool; /mcp/readonly only those that spend and change nothing. Both share
    // the slots, the shares and the auth.
    let edge = Edge { allowed: allowed.clone(), auth, limits, max_body_bytes: config.max_body_bytes };
    let protected =
        mcp_route("/mcp", server.clone(), &edge).merge(mcp_route("/mcp/readonly", server.read_only(), &edge));
    let public = Router::new().route("/healthz", get(|| async { "ok" })).route(
        "/metrics",
        get(|| async { ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], metrics::render()) }),
    );
    let front = match oauth {
        Some(oauth) => oauth.routes(),
        None => Router::new()
            .route("/register", any(home::sign_in_off))
            .route("/authorize", any(home::sign_in_off))
            .route("/token", any(home::sign_in_off)),
    };
    let mut front = front.route("/", get(home::home)).route("/icons/{file}", get(icons::serve));
    if let Some(proof) = config.registry_auth.clone() {
        // The MCP Registry reads the domain proof here: 200, text, no redirect.
        let proof = proof.trim().to_string();
        front = front.route(
            "/.well-known/mcp-registry-auth",
            get(move || std::future::ready(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], proof.clone()))),
        );
    }
    let front = front.layer(from_fn_with_state(allowed, guard::check_host));
    let app = public.merge(protected).merge(front);
    Ok((app, catalog))
}

/// What every MCP path is guarded by.
struct Edge {
    allowed: Arc<guard::Allowed>,
    auth: Arc<auth::Auth>,
    limits: Arc<admit::Limits>,
    max_body_bytes: usize,
}

/// `server` at `path`, behind the layers in the order a request meets them; route_layer: the
/// layers guard this path only, not the 404 of paths that do not exist.
fn mcp_route(path: &str, server: FalMcp, edge: &Edge) -> Router {
    // The fast tools/list path serves exactly what this server's router lists.
    let tools_list = Arc::new(fast_list::ToolsList::new(&server.listed_tools()));
    let rmcp_config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_max_request_body_bytes(edge.max_body_bytes)
        // Host and Origin are checked by `guard`, before auth, with the configured lists.
        .disable_allowed_hosts();
    let mcp =
        StreamableHttpService::new(move || Ok(server.clone()), Arc::new(NeverSessionManager::default()), rmcp_config);
    Router::new()
        .route_service(path, mcp)
        .route_layer(
            ServiceBuilder::new()
                .layer(from_fn(account::account))
                .layer(from_fn_with_state(edge.allowed.clone(), guard::check))
                .layer(from_fn_with_state(edge.auth.clone(), auth::require_key))
                .layer(from_fn_with_state(edge.limits.clone(), admit::admit))
                .layer(from_fn_with_state(edge.auth.clone(), auth::keyless_gate))
                .layer(from_fn_with_state(tools_list, fast_list::answer)),
        )
        .route_layer(cors(edge.allowed.clone()))
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
        .max_age(std::time::Duration::from_secs(3600))
}

/// Serves the application on `listener` until `shutdown` resolves, then stops accepting and lets
/// in-flight requests finish within the configured grace period.
pub async fn serve(
    listener: TcpListener,
    config: &Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    serve_app(listener, config, shutdown, None).await
}

/// [`serve`]; a long-running server (`announce`: the address it listens on) says where it listens
/// once the application is built (a setting it refuses is never preceded by that line) and
/// fetches and indexes fal's catalog at once, so the first recommend_model finds it ready.
async fn serve_app(
    listener: TcpListener,
    config: &Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
    announce: Option<String>,
) -> io::Result<()> {
    let hand_back = CancellationToken::new();
    let (app, catalog) = build(config, hand_back.clone()).map_err(io::Error::other)?;
    if let Some(bound) = announce {
        tracing::info!("fal-mcp listening on http://{bound}/mcp");
        catalog.refresh_if_due();
    }
    let settings = serve::ServeSettings {
        header_timeout: config.header_timeout(),
        per_address: config.max_connections_per_address,
        grace: config.shutdown_grace(),
    };
    serve::serve(listener, app, settings, shutdown, hand_back).await
}

/// Binds the configured address, says where it listens, and serves until `shutdown`.
pub async fn listen(config: &Config, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<(), String> {
    let address = format!("{}:{}", config.host, config.port);
    let listener = TcpListener::bind(&address).await.map_err(|e| format!("cannot listen on {address}: {e}"))?;
    let bound = listener.local_addr().map_or(address, |a| a.to_string());
    serve_app(listener, config, shutdown, Some(bound)).await.map_err(|e| e.to_string())
}
