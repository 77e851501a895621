//! The OAuth 2.1 front door, for clients that connect only through OAuth (claude.ai, Claude
//! Desktop and mobile, ChatGPT): this server is its own authorization server; the user pastes a
//! fal key once into its sign-in page, and the key travels sealed inside the tokens. Nothing is
//! stored: clients, codes and tokens are sealed artefacts (`seal.rs`); only a code's single use
//! and the sign-in attempts per address are remembered, in memory, until they expire.
//! `metadata.rs` (RFC 9728, RFC 8414), `register.rs` (RFC 7591), `clients.rs` (registered and
//! metadata-document clients), `authorize.rs` and `page.rs` (the sign-in), `token.rs` (RFC 6749, PKCE).

mod authorize;
mod clients;
mod metadata;
mod page;
mod register;
pub(crate) mod seal;
mod token;

use std::{
    net::{IpAddr, SocketAddr},
    sync::{
        Arc,
        atomic::{AtomicU32, Ordering},
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use axum::{
    Extension, Router,
    extract::{ConnectInfo, DefaultBodyLimit},
    http::{HeaderMap, HeaderName, Method, header},
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
};
use seal::{Kind, Sealer};

/// How long an authorization code lives.
const CODE_SECS: u64 = 60;
/// How long a sign-in form may sit open.
const FORM_SECS: u64 = 600;
/// The window sign-in attempts per address are counted in.
const ATTEMPT_WINDOW: Duration = Duration::from_secs(600);
/// Largest body any OAuth endpoint reads.
const MAX_BODY: usize = 16 * 1024;

/// How the front door is set up.
pub(crate) struct Settings {
    pub(crate) public_url: Url,
    pub(crate) sealer: Sealer,
    pub(crate) access_secs: u64,
    pub(crate) refresh_secs: u64,
    pub(crate) attempts_per_window: u32,
    /// A header a trusted proxy puts the client's address in (else the connection's peer is used).
    pub(crate) client_ip_header: Option<HeaderName>,
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
    client_ip_header: Option<HeaderName>,
    clock_offset: i64,
    allow_http_documents: bool,
    fal: FalClient,
    fetcher: Fetcher,
    used_codes: Cache<String, ()>,
    /// Refresh tokens already exchanged, until they would have expired anyway.
    used_refresh: Cache<String, ()>,
    /// Sign-ins whose refresh token was presented twice (RFC 9700 §4.14.2): every token descended
    /// from them is refused. Kept by this instance only; see the README's OAuth section.
    revoked: Cache<String, ()>,
    attempts: Cache<String, Arc<AtomicU32>>,
    documents: Cache<String, Arc<clients::Client>>,
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
    pub(crate) fn new(settings: Settings, fal: FalClient, fetcher: Fetcher) -> Arc<Self> {
        let issuer = settings.public_url.as_str().trim_end_matches('/').to_string();
        Arc::new(Self {
            resource: format!("{issuer}/mcp"),
            issuer,
            sealer: settings.sealer,
            access_secs: settings.access_secs,
            refresh_secs: settings.refresh_secs,
            attempts_per_window: settings.attempts_per_window,
            client_ip_header: settings.client_ip_header,
            clock_offset: settings.clock_offset,
            allow_http_documents: settings.allow_http_documents,
            fal,
            fetcher,
            used_codes: Cache::builder().max_capacity(100_000).time_to_live(Duration::from_secs(CODE_SECS + 5)).build(),
            used_refresh: Cache::builder()
                .max_capacity(200_000)
                .time_to_live(Duration::from_secs(settings.refresh_secs + 5))
                .build(),
            revoked: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(Duration::from_secs(settings.refresh_secs + 5))
                .build(),
            attempts: Cache::builder().max_capacity(100_000).time_to_live(ATTEMPT_WINDOW).build(),
            documents: Cache::builder().max_capacity(1_000).time_to_live(Duration::from_secs(300)).build(),
        })
    }

    /// The routes of the front door: metadata, registration, sign-in and token.
    pub(crate) fn routes(self: &Arc<Self>) -> Router {
        // Browser-based clients call these from their own origins; no cookies are involved.
        let cors = CorsLayer::new().allow_origin(Any).allow_methods([Method::GET, Method::POST]).allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            HeaderName::from_static("mcp-protocol-version"),
        ]);
        let open = Router::new()
            .route("/.well-known/oauth-protected-resource", get(metadata::resource))
            .route("/.well-known/oauth-protected-resource/mcp", get(metadata::resource))
            .route("/.well-known/oauth-authorization-server", get(metadata::server))
            .route("/.well-known/oauth-authorization-server/mcp", get(metadata::server))
            .route("/.well-known/openid-configuration", get(metadata::server))
            .route("/.well-known/openid-configuration/mcp", get(metadata::server))
            .route("/register", post(register::register))
            .route("/token", post(token::token))
            .layer(cors);
        let sign_in = Router::new().route("/authorize", get(authorize::show).post(authorize::submit));
        open.merge(sign_in).layer(DefaultBodyLimit::max(MAX_BODY)).with_state(self.clone())
    }

    /// Where a client finds this resource's metadata (the 401's `resource_metadata`).
    pub(crate) fn resource_metadata_url(&self) -> String {
        format!("{}/.well-known/oauth-protected-resource/mcp", self.issuer)
    }

    /// The fal key inside one of our access tokens, or why the token is refused. None when the
    /// value is not shaped like any of our artefacts (then it is a raw fal key).
    pub(crate) fn key_from_token(&self, bearer: &str) -> Option<Result<FalKey, TokenProblem>> {
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
        if self.revoked.contains_key(&grant.family) {
            return Some(Err(TokenProblem::Revoked));
        }
        Some(FalKey::new(&grant.key).ok_or(TokenProblem::Invalid))
    }

    fn now(&self) -> u64 {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        now.saturating_add_signed(self.clock_offset)
    }

    /// Counts a sign-in attempt from `address`; false once its window's share is used up.
    async fn attempt(&self, address: String) -> bool {
        let count = self.attempts.get_with(address, async { Arc::new(AtomicU32::new(0)) }).await;
        count.fetch_add(1, Ordering::Relaxed) < self.attempts_per_window
    }

    /// The client's address for rate limits: the trusted proxy header when configured, else the peer.
    fn client_address(&self, headers: &HeaderMap, peer: Option<Extension<ConnectInfo<SocketAddr>>>) -> String {
        let from_header = self.client_ip_header.as_ref().and_then(|name| {
            let value = headers.get(name)?.to_str().ok()?;
            // A proxy appends: the last entry is the one it saw.
            value.rsplit(',').next().map(str::trim).and_then(|a| a.parse::<IpAddr>().ok())
        });
        match from_header.or(peer.map(|p| p.0.0.ip())) {
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
