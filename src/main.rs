use clap::Parser;
use fal_mcp::{
    config::{Cli, Command},
    serve, telemetry,
};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let config = cli.config;
    telemetry::init(config.log_format, &config.log);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let address = format!("{}:{}", config.host, config.port);
            let listener = match tokio::net::TcpListener::bind(&address).await {
                Ok(listener) => listener,
                Err(e) => {
                    tracing::error!("cannot listen on {address}: {e}");
                    return std::process::ExitCode::FAILURE;
                }
            };
            tracing::info!("fal-mcp listening on http://{address}/mcp");
            if let Err(e) = serve(listener, &config, shutdown_signal()).await {
                tracing::error!("server error: {e}");
                return std::process::ExitCode::FAILURE;
            }
            std::process::ExitCode::SUCCESS
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
