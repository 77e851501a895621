//! The OAuth 2.1 front door, for clients that connect only through OAuth (claude.ai, Claude
//! Desktop and mobile, ChatGPT): this server is its own authorization server; the user pastes a
//! fal key once into its sign-in page, and the key travels sealed inside the tokens. Nothing is
//! stored: clients, codes and tokens are sealed artefacts (`seal.rs`); only single uses, revoked
//! sign-ins and sign-in attempts are remembered until they expire (`memory.rs`: in this process,
//! or in Redis for many instances). `metadata.rs` (RFC 9728, RFC 8414), `register.rs` (RFC 7591),
//! `clients.rs` (registered and metadata-document clients), `authorize.rs` and `page.rs` (the
//! sign-in), `token.rs` (RFC 6749, PKCE). RFC 9700 (the OAuth security BCP) is followed throughout.

mod authorize;
mod clients;
pub(crate) mod memory;
mod metadata;
mod page;
mod register;
pub(crate) mod seal;
mod token;

use std::{
    net::SocketAddr,
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use axum::{
    Extension, Router,
    extract::ConnectInfo,
    http::{HeaderMap, HeaderName, Method, header},
    middleware::from_fn_with_state,
    routing::{get, post},
};
use moka::future::Cache;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tower_http::cors::{Any, CorsLayer};
use url::Url;

use crate::{
    fal::{FalClient, FalKey},
    fetch::Fetcher,
    http::{admit, client_ip::ClientIp},
};
use memory::{Memory, Space, Unavailable};
use seal::{Kind, Sealer};

/// How long an authorization code lives.
const CODE_SECS: u64 = 60;
/// How long a sign-in form may sit open.
const FORM_SECS: u64 = 600;
/// The window sign-in attempts per address are counted in.
const ATTEMPT_WINDOW: Duration = Duration::from_secs(600);
/// Largest body any OAuth endpoint reads.
const MAX_BODY: usize = 16 * 1024;
/// How long a client id from registration works for new sign-ins (sign-ins it started go on).
pub(crate) const CLIENT_DAYS: u64 = 180;

/// How the front door is set up.
pub(crate) struct Settings {
    pub(crate) public_url: Url,
    pub(crate) sealer: Sealer,
    pub(crate) access_secs: u64,
    pub(crate) refresh_secs: u64,
    pub(crate) attempts_per_window: u32,
    /// How a request's client address is read, for the sign-in limit.
    pub(crate) client_ip: Arc<ClientIp>,
    /// Where replay memory lives (None: this process).
    pub(crate) redis_url: Option<String>,
    /// How long an OAuth request's body may take to arrive.
    pub(crate) body_timeout: Duration,
    /// Seconds added to the clock (tests run two servers apart in time to see codes expire).
    pub(crate) clock_offset: i64,
    /// Whether a client metadata document may be fetched over http (local tests only).
    pub(crate) allow_http_documents: bool,
}

/// The front door's state, shared by its routes and by /mcp's auth layer.
pub(crate) struct OAuth {
    issuer: String,
    resource: String,
    sealer: Sealer,
    access_secs: u64,
    refresh_secs: u64,
    attempts_per_window: u32,
    client_ip: Arc<ClientIp>,
    body_limits: Arc<admit::BodyLimits>,
    clock_offset: i64,
    allow_http_documents: bool,
    fal: FalClient,
    fetcher: Fetcher,
    /// Used codes and refresh tokens, revoked sign-ins (RFC 9700 §4.14.2), sign-in attempts.
    memory: Memory,
    documents: Cache<String, Arc<clients::Client>>,
    /// Client metadata documents that could not be used, with why, for a minute.
    document_failures: Cache<String, String>,
}

/// What an access token carries.
#[derive(Serialize, Deserialize)]
struct AccessGrant {
    key: String,
    /// A digest of the client id (tokens stay short whatever the client registered).
    client: String,
    resource: String,
    exp: u64,
    /// The sign-in this token descends from.
    family: String,
}

/// Why a Bearer value that looks like one of our tokens was refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TokenProblem {
    /// Not a token of ours that opens: tampered, made under another secret, or another kind.
    Invalid,
    Expired,
    /// Made for another server's resource.
    WrongResource,
    /// Its sign-in was revoked because a refresh token of it was used twice.
    Revoked,
}

impl OAuth {
    pub(crate) fn new(settings: Settings, fal: FalClient, fetcher: Fetcher) -> Result<Arc<Self>, String> {
        let issuer = settings.public_url.as_str().trim_end_matches('/').to_string();
        let longest = Duration::from_secs(settings.refresh_secs.max(CODE_SECS) + 5);
        let memory = match &settings.redis_url {
            Some(url) => Memory::redis(url)?,
            None => Memory::local(longest, ATTEMPT_WINDOW),
        };
        tracing::info!("sign-in replay memory: {}", memory.describe());
        Ok(Arc::new(Self {
            resource: format!("{issuer}/mcp"),
            issuer,
            sealer: settings.sealer,
            access_secs: settings.access_secs,
            refresh_secs: settings.refresh_secs,
            attempts_per_window: settings.attempts_per_window,
            client_ip: settings.client_ip,
            body_limits: Arc::new(admit::BodyLimits { max_bytes: MAX_BODY, timeout: settings.body_timeout }),
            clock_offset: settings.clock_offset,
            allow_http_documents: settings.allow_http_documents,
            fal,
            fetcher,
            memory,
            documents: Cache::builder().max_capacity(1_000).time_to_live(Duration::from_secs(300)).build(),
            document_failures: Cache::builder().max_capacity(1_000).time_to_live(Duration::from_secs(60)).build(),
        }))
    }

    /// The routes of the front door: metadata, registration, sign-in and token.
    pub(crate) fn routes(self: &Arc<Self>) -> Router {
        // Browser-based clients call these from their own origins; no cookies are involved.
        let cors = CorsLayer::new().allow_origin(Any).allow_methods([Method::GET, Method::POST]).allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            HeaderName::from_static("mcp-protocol-version"),
        ]);
        // RFC 9728 §3.3 and RFC 8414 §3.3: each metadata URL names exactly the resource or issuer
        // its document states. OpenID's configuration is not served: this is not an OpenID provider.
        let open = Router::new()
            .route("/.well-known/oauth-protected-resource", get(metadata::root_resource))
            .route("/.well-known/oauth-protected-resource/mcp", get(metadata::resource))
            .route("/.well-known/oauth-authorization-server", get(metadata::server))
            .route("/register", post(register::register))
            .route("/token", post(token::token))
            .layer(cors);
        let sign_in = Router::new().route("/authorize", get(authorize::show).post(authorize::submit));
        // Every body is read whole within the same size and time limits as /mcp's (408, 413).
        open.merge(sign_in)
            .layer(from_fn_with_state(self.body_limits.clone(), admit::bounded_body))
            .with_state(self.clone())
    }

    /// Where a client finds this resource's metadata (the 401's `resource_metadata`).
    pub(crate) fn resource_metadata_url(&self) -> String {
        format!("{}/.well-known/oauth-protected-resource/mcp", self.issuer)
    }

    /// The fal key inside one of our access tokens, or why the token is refused. None when the
    /// value is not shaped like any of our artefacts (then it is a raw fal key).
    pub(crate) async fn key_from_token(&self, bearer: &str) -> Option<Result<FalKey, TokenProblem>> {
        if !bearer.starts_with("falmcp_") {
            return None;
        }
        let Some(grant) = self.sealer.open::<AccessGrant>(Kind::Access, bearer) else {
            return Some(Err(TokenProblem::Invalid));
        };
        if grant.exp <= self.now() {
            return Some(Err(TokenProblem::Expired));
        }
        if grant.resource != self.resource {
            return Some(Err(TokenProblem::WrongResource));
        }
        // An access token is short-lived and sealed: while Redis is away it still works until it
        // expires (the refusal that matters, of a replayed refresh token, fails closed instead).
        if self.memory.is_revoked(&grant.family).await == Ok(true) {
            return Some(Err(TokenProblem::Revoked));
        }
        Some(FalKey::new(&grant.key).ok_or(TokenProblem::Invalid))
    }

    fn now(&self) -> u64 {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        now.saturating_add_signed(self.clock_offset)
    }

    /// Counts a sign-in attempt from `address`; false once its window's share is used up.
    async fn attempt(&self, address: &str) -> Result<bool, Unavailable> {
        let count = self.memory.count(Space::Attempts, address, ATTEMPT_WINDOW).await?;
        Ok(count <= self.attempts_per_window)
    }

    /// The client's address for the sign-in limit (see `http::client_ip`).
    fn client_address(&self, headers: &HeaderMap, peer: Option<Extension<ConnectInfo<SocketAddr>>>) -> String {
        match self.client_ip.of(headers, peer.map(|p| p.0.0)) {
            Some(ip) => ip.to_string(),
            None => "unknown".into(),
        }
    }
}

/// A digest of a client id, as grants carry it.
fn client_digest(client_id: &str) -> String {
    let digest = Sha256::digest(client_id.as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Constant-time equality of two secrets' texts.
fn same(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Whether `url` is a loopback http(s) URL (native clients' redirect URIs, local trials).
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}
