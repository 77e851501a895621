//! fal-mcp: a stateless Streamable-HTTP MCP server for fal. The library does the work; the
//! binaries (`src/main.rs`, the Vercel function `api/mcp.rs`) only wire it.

#![warn(unreachable_pub)]

mod app;
mod background;
mod config;
mod cost;
mod fal;
mod fetch;
mod http;
mod icons;
mod listing;
mod local;
mod metrics;
mod oauth;
mod ranking;
mod skills;
mod telemetry;
mod text;
mod tls;
mod tools;
mod ui;

pub use app::{build_app, listen, serve};
pub use config::{Cli, Command, Config, LogFormat};
pub use listing::{install_links, server_json};
pub use local::{healthcheck, serve_stdio};

/// Installs logging as `config` says: FAL_MCP_LOG_FORMAT, and FAL_MCP_LOG, else RUST_LOG, else info.
pub fn init_logging(config: &Config) {
    telemetry::init(config.log_format, config.log_filter());
}
pub use tools::markdown_table as tool_table;
