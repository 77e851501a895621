//! One integration-test binary: the real server over HTTP, a real MCP client, a fake fal.

mod discovery;
mod docs;
mod recommend;
mod security;
mod server;
mod snapshot;
mod support;
