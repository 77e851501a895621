//! Vercel entry point (official Rust runtime): the same router the binary serves, handed to
//! vercel_runtime through its axum layer. Settings come from the environment, as for the binary.

use tokio_util::sync::CancellationToken;
use tower::ServiceBuilder;
use vercel_runtime::axum::VercelLayer;

#[tokio::main]
async fn main() -> Result<(), vercel_runtime::Error> {
    let config = fal_mcp::Config::from_args(["fal-mcp"]).map_err(|e| e.to_string())?;
    fal_mcp::init_logging(&config);
    let app = fal_mcp::build_app(&config, CancellationToken::new())?;
    vercel_runtime::run(ServiceBuilder::new().layer(VercelLayer::new()).service(app)).await
}
