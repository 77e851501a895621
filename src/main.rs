use std::process::ExitCode;

use clap::Parser;
use fal_mcp::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = cli.config;
    let command = cli.command.unwrap_or(Command::Serve);
    // The probe runs without a runtime or logging: it is a tiny, fast process.
    if command == Command::Healthcheck {
        return if fal_mcp::healthcheck(&config) { ExitCode::SUCCESS } else { ExitCode::FAILURE };
    }
    if command == Command::ServerJson {
        return match fal_mcp::server_json(&config) {
            Ok(json) => {
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(message) => {
                eprintln!("fal-mcp: {message}");
                ExitCode::FAILURE
            }
        };
    }
    meaning::return_large_buffers();
    fal_mcp::init_logging(&config);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async {
        match command {
            Command::Stdio => fal_mcp::serve_stdio(&config).await,
            _ => fal_mcp::listen(&config, shutdown_signal()).await,
        }
    });
    // The requests had their grace; a catalog index still being built (seconds of work on a
    // blocking thread, nothing to save) must not hold the exit.
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
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
}
