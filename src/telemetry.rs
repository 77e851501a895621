//! Logs and per-request accounting: tracing set-up (text or JSON, rmcp held at warn), and the
//! record of the fal calls each MCP request makes, which feeds its log line and the metrics.

use std::{
    future::Future,
    sync::{Arc, Mutex},
    time::Duration,
};

use tracing_subscriber::{EnvFilter, fmt};

use crate::metrics;

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Installs the global subscriber with `format` and `filter` (tracing's EnvFilter syntax); rmcp
/// is capped at warn unless the filter names it, because at debug it logs whole tool arguments
/// and results.
pub(crate) fn init(format: LogFormat, filter: &str) {
    let filter = if filter.contains("rmcp") { filter.to_string() } else { format!("{filter},rmcp=warn") };
    let filter = EnvFilter::try_new(&filter).unwrap_or_else(|_| EnvFilter::new("info,rmcp=warn"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// One call to fal: its route template (never ids or keys), HTTP status (0 when none came) and time.
#[derive(Debug, Clone)]
pub(crate) struct FalCall {
    pub(crate) route: &'static str,
    pub(crate) status: u16,
    pub(crate) millis: u64,
}

/// What one MCP request did: its tool call's outcome and the fal calls made for it.
#[derive(Debug, Clone, Default)]
pub(crate) struct CallLog(Arc<Mutex<Record>>);

#[derive(Debug, Default)]
struct Record {
    calls: Vec<FalCall>,
    outcome: Option<&'static str>,
    rpc_method: Option<String>,
    tool: Option<String>,
}

impl CallLog {
    /// The JSON-RPC method and tool name of the request (bounded, as they come from the caller).
    pub(crate) fn set_request(&self, rpc_method: Option<String>, tool: Option<String>) {
        let clip = |s: String| s.chars().take(64).collect::<String>();
        let mut record = self.0.lock().expect("call log");
        record.rpc_method = rpc_method.map(clip);
        record.tool = tool.map(clip);
    }

    pub(crate) fn request(&self) -> (Option<String>, Option<String>) {
        let record = self.0.lock().expect("call log");
        (record.rpc_method.clone(), record.tool.clone())
    }

    /// The outcome of a plain tools/list answered from bytes serialized at start-up.
    pub(crate) const FROM_BYTES: &'static str = "from_bytes";

    pub(crate) fn set_outcome(&self, outcome: &'static str) {
        self.0.lock().expect("call log").outcome = Some(outcome);
    }

    pub(crate) fn outcome(&self) -> Option<&'static str> {
        self.0.lock().expect("call log").outcome
    }

    /// `route status ms` for each fal call, comma separated.
    pub(crate) fn summary(&self) -> String {
        let record = self.0.lock().expect("call log");
        record.calls.iter().map(|c| format!("{} {} {}ms", c.route, c.status, c.millis)).collect::<Vec<_>>().join(", ")
    }
}

tokio::task_local! {
    static CALLS: CallLog;
}

/// Runs `future` with `log` collecting the fal calls it makes.
pub(crate) async fn scoped<F: Future>(log: CallLog, future: F) -> F::Output {
    CALLS.scope(log, future).await
}

/// Records one fal call in the metrics and, inside a request, in its log.
pub(crate) fn record_fal_call(route: &'static str, status: Option<u16>, elapsed: Duration) {
    let status = status.unwrap_or(0);
    metrics::fal_call(route, elapsed);
    tracing::debug!(route, status, millis = elapsed.as_millis() as u64, "fal call");
    let _ = CALLS.try_with(|log| {
        log.0.lock().expect("call log").calls.push(FalCall { route, status, millis: elapsed.as_millis() as u64 });
    });
}
