//! fal-mcp: a stateless Streamable-HTTP MCP server for fal. The library does the work; the binary only wires.

pub mod app;
pub mod auth;
pub mod config;
pub mod fal;
pub mod fetch;
pub mod guard;
pub mod local;
pub mod metrics;
pub mod observe;
pub mod ranking;
pub mod telemetry;
pub mod tools;

pub use app::{build_app, serve};
pub use config::Config;
