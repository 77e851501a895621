//! One integration-test binary: the real server over HTTP, a real MCP client, a fake fal.

mod binary;
mod discovery;
mod docs;
mod jobs;
mod operations;
mod progress;
mod recommend;
mod security;
mod server;
mod snapshot;
mod support;
mod uploads;
