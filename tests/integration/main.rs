//! One integration-test binary: the real server over HTTP, a real MCP client, a fake fal.

mod discovery;
mod docs;
mod jobs;
mod progress;
mod recommend;
mod security;
mod server;
mod snapshot;
mod support;
mod uploads;
