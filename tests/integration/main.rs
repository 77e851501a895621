//! One integration-test binary: the real server over HTTP, a real MCP client that checks results
//! as validating clients do, a fake fal. Tool tests are named after their tool.

mod arguments;
mod binary;
mod edge;
mod follow;
mod get_model_schema;
mod get_pricing;
mod keyless;
mod listing;
mod oauth;
mod oauth_bcp;
mod operations;
mod readme;
mod recommend_model;
mod replay_memory;
mod result_sizes;
mod result_view;
mod run_model;
mod search_docs;
mod search_models;
mod security;
mod server;
mod snapshot;
mod submit_job;
mod support;
mod upload_file;
