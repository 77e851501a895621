//! fal-mcp: a stateless Streamable-HTTP MCP server for fal. The library does the work; the
//! binaries (`src/main.rs`, the Vercel function `api/mcp.rs`) only wire it.

#![warn(unreachable_pub)]

mod app;
mod config;
mod cost;
mod fal;
mod fetch;
mod http;
mod local;
mod metrics;
mod oauth;
mod ranking;
mod telemetry;
mod text;
mod tls;
mod tools;
mod ui;

pub use app::{build_app, listen, serve};
pub use config::{Cli, Command, Config, LogFormat};
pub use local::{healthcheck, serve_stdio};
pub use telemetry::init as init_logging;
pub use tools::markdown_table as tool_table;
