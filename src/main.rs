use std::process::ExitCode;

use clap::Parser;
use fal_mcp::{
    config::{Cli, Command},
    local, serve, telemetry,
};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = cli.config;
    let command = cli.command.unwrap_or(Command::Serve);
    // The probe runs without a runtime or logging: it is a tiny, fast process.
    if command == Command::Healthcheck {
        return if local::healthcheck(&config) { ExitCode::SUCCESS } else { ExitCode::FAILURE };
    }
    telemetry::init(config.log_format, &config.log);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async {
        match command {
            Command::Stdio => local::serve_stdio(&config).await,
            _ => {
                let address = format!("{}:{}", config.host, config.port);
                let listener = tokio::net::TcpListener::bind(&address)
                    .await
                    .map_err(|e| format!("cannot listen on {address}: {e}"))?;
                let bound = listener.local_addr().map_or(address, |a| a.to_string());
                tracing::info!("fal-mcp listening on http://{bound}/mcp");
                serve(listener, &config, shutdown_signal()).await.map_err(|e| format!("server error: {e}"))
            }
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("{message}");
            eprintln!("fal-mcp: {message}");
            ExitCode::FAILURE
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
    tracing::info!("shutting down: no new connections; in-flight requests get the grace period");
}
