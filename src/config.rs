//! Every setting of the server, read once from flags and the environment (clap), with production defaults.

use std::time::Duration;

use clap::{ArgAction, Args, Parser, Subcommand, builder::BoolishValueParser};
use url::Url;

pub use crate::telemetry::LogFormat;
use crate::{
    fal::FalKey,
    http::client_ip::{ClientIp, parse_network},
    oauth::seal::Secret,
};

/// The `fal-mcp` command line.
#[derive(Debug, Parser)]
#[command(name = "fal-mcp", version, about = "A stateless Streamable-HTTP MCP server for fal")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub config: Config,
}

/// What the binary does; no subcommand means `serve`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// Serve MCP over HTTP at /mcp (the default).
    Serve,
    /// Serve MCP over stdin/stdout for a local client; the key comes from FAL_KEY.
    Stdio,
    /// Exit 0 when the server on HOST:PORT answers /healthz, 1 otherwise (for container health checks).
    Healthcheck,
    /// Print the MCP Registry's server.json for the server at FAL_MCP_PUBLIC_URL, then exit.
    ServerJson,
}

/// Typed configuration for the server and its fal client.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "HOST", default_value = "127.0.0.1")]
    pub(crate) host: String,
    /// Port to listen on.
    #[arg(long, env = "PORT", default_value_t = 8080)]
    pub(crate) port: u16,
    /// fal Platform API base URL (catalog, schemas, pricing).
    #[arg(long, env = "FAL_API_URL", default_value = "https://api.fal.ai")]
    pub(crate) fal_api_url: Url,
    /// fal queue base URL (job submission and status).
    #[arg(long, env = "FAL_QUEUE_URL", default_value = "https://queue.fal.run")]
    pub(crate) fal_queue_url: Url,
    /// fal REST base URL (storage uploads).
    #[arg(long, env = "FAL_REST_URL", default_value = "https://rest.fal.ai")]
    pub(crate) fal_rest_url: Url,
    /// fal documentation base URL (docs search, llms.txt).
    #[arg(long, env = "FAL_DOCS_URL", default_value = "https://docs.fal.ai")]
    pub(crate) fal_docs_url: Url,
    /// Extra Host header values accepted on /mcp, comma separated (loopback names are always accepted).
    #[arg(long, env = "FAL_MCP_ALLOWED_HOSTS", value_delimiter = ',')]
    pub(crate) allowed_hosts: Vec<String>,
    /// Browser origins accepted on /mcp, comma separated (loopback origins are always accepted).
    #[arg(long, env = "FAL_MCP_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub(crate) allowed_origins: Vec<String>,
    /// Deadline in seconds for each request the server makes to fal.
    #[arg(long, env = "FAL_MCP_UPSTREAM_TIMEOUT_SECS", default_value_t = 60)]
    pub(crate) upstream_timeout_secs: u64,
    /// How long catalog and schema answers stay cached, in seconds (0 disables the cache).
    #[arg(long, env = "FAL_MCP_CACHE_TTL_SECS", default_value_t = 60)]
    pub(crate) cache_ttl_secs: u64,
    /// How long run_model waits for a result when the call does not say, in seconds.
    #[arg(long, env = "FAL_MCP_RUN_WAIT_SECS", default_value_t = 100)]
    pub(crate) run_wait_secs: u64,
    /// The longest wait a run_model call may ask for, in seconds; keep it below the hosting platform's request limit.
    #[arg(long, env = "FAL_MCP_RUN_WAIT_MAX_SECS", default_value_t = 280)]
    pub(crate) run_wait_max_secs: u64,
    /// Refuse any run_model or submit_job call estimated above this many USD, or that cannot be estimated (off when unset).
    #[arg(long, env = "FAL_MCP_MAX_COST_PER_CALL")]
    pub(crate) max_cost_per_call: Option<f64>,
    /// Largest file upload_file copies from a URL, in bytes.
    #[arg(long, env = "FAL_MCP_MAX_UPLOAD_BYTES", default_value_t = 100 * 1024 * 1024)]
    pub(crate) max_upload_bytes: u64,
    /// Largest decoded `data` upload_file accepts, in bytes.
    #[arg(long, env = "FAL_MCP_MAX_DATA_BYTES", default_value_t = 10 * 1024 * 1024)]
    pub(crate) max_data_bytes: u64,
    /// Lets upload_file fetch loopback and private addresses. For local testing only; never in production.
    #[arg(long, env = "FAL_MCP_ALLOW_PRIVATE_URLS", value_parser = BoolishValueParser::new(),
          action = ArgAction::Set, num_args = 0..=1, default_value = "false", default_missing_value = "true")]
    pub(crate) allow_private_urls: bool,
    /// Most /mcp requests served at once; more are refused with 503 and Retry-After.
    #[arg(long, env = "FAL_MCP_MAX_CONCURRENCY", default_value_t = 512)]
    pub(crate) max_concurrency: usize,
    /// After SIGTERM or SIGINT, how long in-flight requests may take to finish, in seconds.
    #[arg(long, env = "FAL_MCP_SHUTDOWN_GRACE_SECS", default_value_t = 10)]
    pub(crate) shutdown_grace_secs: u64,
    /// Longest a connection may take to send a request's headers, in seconds, counted from when it opens or goes idle (so idle keep-alive connections close after it too).
    #[arg(long, env = "FAL_MCP_HEADER_TIMEOUT_SECS", default_value_t = 10)]
    pub(crate) header_timeout_secs: u64,
    /// Longest a request's body may take to arrive, in seconds; a slower one is answered 408.
    #[arg(long, env = "FAL_MCP_BODY_TIMEOUT_SECS", default_value_t = 30)]
    pub(crate) body_timeout_secs: u64,
    /// Most connections one client address may hold open at once (0: no limit; raise it behind a proxy that pools connections).
    #[arg(long, env = "FAL_MCP_MAX_CONNECTIONS_PER_ADDRESS", default_value_t = 64)]
    pub(crate) max_connections_per_address: usize,
    /// The fal key for `fal-mcp stdio` (HTTP callers send their own). Set it in the environment, not on the command line.
    #[arg(long, env = "FAL_KEY", hide_env_values = true, value_parser = Concealed::read)]
    pub(crate) fal_key: Option<Concealed>,
    /// Set by Vercel: the deployment's host name, accepted as a Host.
    #[arg(long, env = "VERCEL_URL", hide = true)]
    pub(crate) vercel_url: Option<String>,
    /// Set by Vercel: the branch deployment's host name, accepted as a Host.
    #[arg(long, env = "VERCEL_BRANCH_URL", hide = true)]
    pub(crate) vercel_branch_url: Option<String>,
    /// Set by Vercel: the production host name, accepted as a Host.
    #[arg(long, env = "VERCEL_PROJECT_PRODUCTION_URL", hide = true)]
    pub(crate) vercel_project_production_url: Option<String>,
    /// Largest accepted HTTP request body on /mcp, in bytes.
    #[arg(long, env = "FAL_MCP_MAX_BODY_BYTES", default_value_t = 16 * 1024 * 1024)]
    pub(crate) max_body_bytes: usize,
    /// Log format: text or json.
    #[arg(long, env = "FAL_MCP_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub(crate) log_format: LogFormat,
    /// Log filter in tracing's EnvFilter syntax (default info); wins over RUST_LOG.
    #[arg(long, env = "FAL_MCP_LOG")]
    pub(crate) log: Option<String>,
    /// The tracing ecosystem's log filter, used when FAL_MCP_LOG is not set.
    #[arg(long, env = "RUST_LOG", hide = true)]
    pub(crate) rust_log: Option<String>,
    /// More origins the result viewer may load media from, comma separated (fal's CDN, *.fal.media, always).
    #[arg(long, env = "FAL_MCP_MEDIA_ORIGINS", value_delimiter = ',')]
    pub(crate) media_origins: Vec<String>,
    /// The server's public base URL, e.g. https://mcp.example.com: turns on the OAuth sign-in for clients that connect only through OAuth.
    #[arg(long, env = "FAL_MCP_PUBLIC_URL")]
    pub(crate) public_url: Option<Url>,
    /// The secret the sign-in's tokens are sealed with: at least 32 random bytes, base64 (`openssl rand -base64 32`).
    #[arg(long, env = "FAL_MCP_TOKEN_SECRET", hide_env_values = true, value_parser = Concealed::read)]
    pub(crate) token_secret: Option<Concealed>,
    /// The previous token secret, still accepted while the secret rotates.
    #[arg(long, env = "FAL_MCP_TOKEN_SECRET_PREVIOUS", hide_env_values = true, value_parser = Concealed::read)]
    pub(crate) token_secret_previous: Option<Concealed>,
    /// How long an access token from the sign-in lasts, in seconds.
    #[arg(long, env = "FAL_MCP_ACCESS_TOKEN_SECS", default_value_t = 3600)]
    pub(crate) access_token_secs: u64,
    /// How long a refresh token lasts, in days: a user signs in again after this long.
    #[arg(long, env = "FAL_MCP_REFRESH_TOKEN_DAYS", default_value_t = 30)]
    pub(crate) refresh_token_days: u64,
    /// Most sign-in attempts one client address may make in 10 minutes.
    #[arg(long, env = "FAL_MCP_SIGN_IN_ATTEMPTS", default_value_t = 10)]
    pub(crate) sign_in_attempts: u32,
    /// A header a trusted proxy sets to the client's address (e.g. x-real-ip on Vercel), for the per-address limits; read only from FAL_MCP_TRUSTED_PROXIES.
    #[arg(long, env = "FAL_MCP_CLIENT_IP_HEADER")]
    pub(crate) client_ip_header: Option<String>,
    /// The proxies whose FAL_MCP_CLIENT_IP_HEADER is believed, comma separated addresses or networks (e.g. 10.0.0.0/8).
    #[arg(long, env = "FAL_MCP_TRUSTED_PROXIES", value_delimiter = ',')]
    pub(crate) trusted_proxies: Vec<String>,
    /// Most /mcp requests one fal key (or sign-in) may have in progress at once (default: an eighth of FAL_MCP_MAX_CONCURRENCY, at least 2).
    #[arg(long, env = "FAL_MCP_MAX_CONCURRENCY_PER_KEY")]
    pub(crate) max_concurrency_per_key: Option<usize>,
    /// Most /mcp requests one client address may have in progress at once (default: a quarter of FAL_MCP_MAX_CONCURRENCY, at least 2).
    #[arg(long, env = "FAL_MCP_MAX_CONCURRENCY_PER_ADDRESS")]
    pub(crate) max_concurrency_per_address: Option<usize>,
    /// Let requests without a key discover: initialize, tools/list, search_models, get_model_schema, search_docs, recommend_model (default: on when FAL_MCP_PUBLIC_URL turns sign-in on, off otherwise).
    #[arg(long, env = "FAL_MCP_READ_WITHOUT_KEY", value_parser = BoolishValueParser::new(), action = ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub(crate) read_without_key: Option<bool>,
    /// Most tool calls one client address may make without a key in a minute.
    #[arg(long, env = "FAL_MCP_KEYLESS_CALLS_PER_MINUTE", default_value_t = 60)]
    pub(crate) keyless_calls_per_minute: u32,
    /// The MCP Registry's domain proof, served as text at /.well-known/mcp-registry-auth (e.g. "v=MCPv1; k=ed25519; p=…"); off when unset.
    #[arg(long, env = "FAL_MCP_REGISTRY_AUTH")]
    pub(crate) registry_auth: Option<String>,
    /// Redis (redis:// or rediss://) that holds the sign-in's replay memory and sign-in limits for every instance; without it each instance keeps its own.
    #[arg(long, env = "FAL_MCP_REDIS_URL", hide_env_values = true, value_parser = Concealed::read)]
    pub(crate) redis_url: Option<Concealed>,
    /// For tests only: seconds added to the clock the sign-in's tokens are timed by.
    #[arg(long, env = "FAL_MCP_CLOCK_OFFSET_SECS", default_value_t = 0, allow_hyphen_values = true, hide = true)]
    pub(crate) clock_offset_secs: i64,
}

impl Config {
    /// Parses a configuration from an argument list (and the environment), as the binary does.
    pub fn from_args<I, T>(args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        Cli::try_parse_from(args).map(|cli| cli.config)
    }

    /// Refuses settings that contradict each other.
    pub(crate) fn validate(&self) -> Result<(), String> {
        self.secrets()?;
        self.stdio_key()?;
        // base64 takes 4 bytes per 3, plus room for the JSON-RPC envelope around it.
        let needed = self.max_data_bytes.div_ceil(3) * 4 + 64 * 1024;
        if (self.max_body_bytes as u64) < needed {
            return Err(format!(
                "FAL_MCP_MAX_BODY_BYTES ({}) must be at least {needed} to carry FAL_MCP_MAX_DATA_BYTES ({}) of base64 data",
                self.max_body_bytes, self.max_data_bytes
            ));
        }
        if let Some(url) = &self.public_url {
            let bare = url.path() == "/" && url.query().is_none() && url.fragment().is_none() && url.host().is_some();
            let secure = url.scheme() == "https" || (url.scheme() == "http" && crate::oauth::is_loopback(url));
            if !bare || !secure {
                return Err(format!(
                    "FAL_MCP_PUBLIC_URL ({url}) must be the server's https base URL with no path, query or fragment \
                     (http only on a loopback host), e.g. https://mcp.example.com"
                ));
            }
            if self.token_secret.is_none() && !crate::oauth::is_loopback(url) {
                return Err(format!(
                    "FAL_MCP_PUBLIC_URL is {url} but FAL_MCP_TOKEN_SECRET is not set: set it to at least 32 random bytes, \
                     base64 (`openssl rand -base64 32`), the same on every instance, so sign-ins survive restarts"
                ));
            }
        }
        if let Some(bad) = self.media_origins.iter().find(|o| !is_origin(o)) {
            return Err(format!(
                "FAL_MCP_MEDIA_ORIGINS holds '{bad}', which is not an origin such as https://cdn.example.com or https://*.example.com"
            ));
        }
        if let Some(name) = &self.client_ip_header
            && http::HeaderName::from_bytes(name.trim().as_bytes()).is_err()
        {
            return Err(format!("FAL_MCP_CLIENT_IP_HEADER ({name}) is not a header name"));
        }
        let proxies = self.trusted_networks()?;
        if self.client_ip_header.is_some() && proxies.is_empty() && self.vercel_url.is_none() {
            return Err("FAL_MCP_CLIENT_IP_HEADER is believed only from the proxies in FAL_MCP_TRUSTED_PROXIES: \
                        set that to your proxy's addresses (e.g. 10.0.0.0/8), or unset the header to use the connection's address"
                .into());
        }
        if self
            .registry_auth
            .as_ref()
            .is_some_and(|p| p.trim().is_empty() || p.len() > 4096 || p.chars().any(char::is_control))
        {
            return Err(
                "FAL_MCP_REGISTRY_AUTH must be one line of at most 4096 characters (the Registry's proof text)".into(),
            );
        }
        if self.redis_url.as_ref().is_some_and(|u| !u.0.starts_with("redis://") && !u.0.starts_with("rediss://")) {
            return Err("FAL_MCP_REDIS_URL must start with redis:// or rediss:// (TLS)".into());
        }
        if let Some(ceiling) = self.max_cost_per_call.filter(|c| !c.is_finite() || *c < 0.0) {
            return Err(format!("FAL_MCP_MAX_COST_PER_CALL ({ceiling}) must be an amount in USD of 0 or more"));
        }
        if self.run_wait_secs == 0 || self.run_wait_secs > self.run_wait_max_secs {
            return Err(format!(
                "FAL_MCP_RUN_WAIT_SECS ({}) must be between 1 and FAL_MCP_RUN_WAIT_MAX_SECS ({})",
                self.run_wait_secs, self.run_wait_max_secs
            ));
        }
        Ok(())
    }

    /// FAL_MCP_ALLOWED_HOSTS, the public URL's host and the host names Vercel gives the deployment.
    pub(crate) fn allowed_hosts(&self) -> Vec<String> {
        let vercel = [&self.vercel_url, &self.vercel_branch_url, &self.vercel_project_production_url];
        let public = self.public_url.as_ref().and_then(|u| u.host_str().map(str::to_owned));
        self.allowed_hosts.iter().cloned().chain(vercel.into_iter().flatten().cloned()).chain(public).collect()
    }

    /// How a request's client address is read (see `http::client_ip`).
    pub(crate) fn client_ip(&self) -> ClientIp {
        let header =
            self.client_ip_header.as_deref().and_then(|h| http::HeaderName::from_bytes(h.trim().as_bytes()).ok());
        ClientIp::new(header, self.trusted_networks().unwrap_or_default())
    }

    fn trusted_networks(&self) -> Result<Vec<ipnet::IpNet>, String> {
        self.trusted_proxies.iter().filter(|p| !p.trim().is_empty()).map(|p| parse_network(p)).collect()
    }

    /// Whether requests without a key may discover (FAL_MCP_READ_WITHOUT_KEY, by default on with sign-in).
    pub(crate) fn reads_without_key(&self) -> bool {
        self.read_without_key.unwrap_or(self.public_url.is_some())
    }

    /// The fair shares of the concurrency slots: per key and per client address.
    pub(crate) fn shares(&self) -> (usize, usize) {
        let slots = self.max_concurrency.max(1);
        let per_key = self.max_concurrency_per_key.unwrap_or((slots / 8).max(2));
        let per_address = self.max_concurrency_per_address.unwrap_or((slots / 4).max(2));
        (per_key.clamp(1, slots), per_address.clamp(1, slots))
    }

    /// FAL_MCP_REDIS_URL, read (it may carry a password, so it is never printed).
    pub(crate) fn redis_url(&self) -> Option<&str> {
        self.redis_url.as_ref().map(|u| u.0.as_str())
    }

    pub(crate) fn upstream_timeout(&self) -> Duration {
        Duration::from_secs(self.upstream_timeout_secs.max(1))
    }

    pub(crate) fn cache_ttl(&self) -> Duration {
        Duration::from_secs(self.cache_ttl_secs)
    }

    pub(crate) fn run_wait(&self) -> Duration {
        Duration::from_secs(self.run_wait_secs)
    }

    pub(crate) fn run_wait_max(&self) -> Duration {
        Duration::from_secs(self.run_wait_max_secs)
    }

    pub(crate) fn header_timeout(&self) -> Duration {
        Duration::from_secs(self.header_timeout_secs.max(1))
    }

    pub(crate) fn body_timeout(&self) -> Duration {
        Duration::from_secs(self.body_timeout_secs.max(1))
    }

    pub(crate) fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_secs)
    }

    /// The log filter: FAL_MCP_LOG, else RUST_LOG, else `info`.
    pub(crate) fn log_filter(&self) -> &str {
        self.log.as_deref().or(self.rust_log.as_deref()).filter(|f| !f.trim().is_empty()).unwrap_or("info")
    }
}

/// The origins the result viewer loads media from: the setting's, and those of the queue and
/// storage URLs when they are not fal's own (a local fake serves its media there).
pub(crate) fn view_media_origins(config: &Config) -> Vec<String> {
    let own = [&config.fal_queue_url, &config.fal_rest_url]
        .into_iter()
        .filter(|u| !u.host_str().is_some_and(|h| h.ends_with("fal.run") || h.ends_with("fal.ai")))
        .map(|u| u.origin().ascii_serialization());
    config.media_origins.iter().map(|o| o.trim().trim_end_matches('/').to_string()).chain(own).collect()
}

/// `scheme://host[:port]`, where the host may start with `*.`.
fn is_origin(text: &str) -> bool {
    let text = text.trim().trim_end_matches('/');
    let Some((scheme, rest)) = text.split_once("://") else { return false };
    let host = rest.strip_prefix("*.").unwrap_or(rest);
    matches!(scheme, "http" | "https")
        && !host.is_empty()
        && Url::parse(&format!("{scheme}://{host}")).is_ok_and(|u| u.path() == "/" && u.host_str().is_some())
}

/// A setting whose value is a secret: clap stores it unread, so a value it would refuse never
/// reaches clap's error (which prints the value); `validate` reads it and names only the setting.
#[derive(Clone)]
pub(crate) struct Concealed(String);

impl Concealed {
    fn read(raw: &str) -> Result<Self, std::convert::Infallible> {
        Ok(Self(raw.to_string()))
    }
}

impl std::fmt::Debug for Concealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<concealed>")
    }
}

impl Config {
    /// FAL_MCP_TOKEN_SECRET and FAL_MCP_TOKEN_SECRET_PREVIOUS, read; errors name the setting, never the value.
    pub(crate) fn secrets(&self) -> Result<(Option<Secret>, Option<Secret>), String> {
        let read = |name: &str, value: &Option<Concealed>| {
            value.as_ref().map(|v| Secret::parse(&v.0).map_err(|why| format!("{name}: {why}"))).transpose()
        };
        Ok((
            read("FAL_MCP_TOKEN_SECRET", &self.token_secret)?,
            read("FAL_MCP_TOKEN_SECRET_PREVIOUS", &self.token_secret_previous)?,
        ))
    }

    /// FAL_KEY, for `fal-mcp stdio`, when it is set.
    pub(crate) fn stdio_key(&self) -> Result<Option<FalKey>, String> {
        self.fal_key
            .as_ref()
            .map(|raw| FalKey::new(raw.0.trim()).ok_or_else(|| format!("FAL_KEY is not a fal key: {}", FalKey::SHAPE)))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::Config;

    #[test]
    fn vercel_host_names_join_the_allowed_hosts() {
        let config = Config::from_args([
            "fal-mcp",
            "--allowed-hosts",
            "mcp.example.com",
            "--vercel-url",
            "fal-mcp-abc123.vercel.app",
            "--vercel-project-production-url",
            "fal-mcp.vercel.app",
        ])
        .unwrap();
        assert_eq!(config.allowed_hosts(), ["mcp.example.com", "fal-mcp-abc123.vercel.app", "fal-mcp.vercel.app"]);
    }

    #[test]
    fn boolean_settings_take_every_common_spelling() {
        for (given, expected) in [
            ("1", true),
            ("yes", true),
            ("on", true),
            ("true", true),
            ("0", false),
            ("no", false),
            ("off", false),
            ("false", false),
        ] {
            let config = Config::from_args(["fal-mcp", "--allow-private-urls", given]).unwrap();
            assert_eq!(config.allow_private_urls, expected, "{given}");
        }
        assert!(Config::from_args(["fal-mcp", "--allow-private-urls"]).unwrap().allow_private_urls);
        assert!(!Config::from_args(["fal-mcp"]).unwrap().allow_private_urls);
        assert!(Config::from_args(["fal-mcp", "--allow-private-urls", "maybe"]).is_err());
    }

    #[test]
    fn fal_mcp_log_wins_over_rust_log() {
        let both = Config::from_args(["fal-mcp", "--log", "debug", "--rust-log", "trace"]).unwrap();
        assert_eq!(both.log_filter(), "debug");
        let rust = Config::from_args(["fal-mcp", "--rust-log", "warn,fal_mcp=debug"]).unwrap();
        assert_eq!(rust.log_filter(), "warn,fal_mcp=debug");
        assert_eq!(Config::from_args(["fal-mcp"]).unwrap().log_filter(), "info");
    }

    #[test]
    fn contradictory_limits_are_refused() {
        let small_body = Config::from_args(["fal-mcp", "--max-body-bytes", "1000000"]).unwrap();
        assert!(small_body.validate().unwrap_err().contains("FAL_MCP_MAX_BODY_BYTES"));
        let long_wait = Config::from_args(["fal-mcp", "--run-wait-secs", "300", "--run-wait-max-secs", "280"]).unwrap();
        assert!(long_wait.validate().unwrap_err().contains("FAL_MCP_RUN_WAIT_SECS"));
        assert!(Config::from_args(["fal-mcp"]).unwrap().validate().is_ok());
    }
}
