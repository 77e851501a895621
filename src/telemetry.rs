//! Log set-up: tracing to stderr, text or JSON, with rmcp held at warn.

use tracing_subscriber::{EnvFilter, fmt};

use crate::config::LogFormat;

/// Installs the global subscriber. `filter` uses EnvFilter syntax; rmcp is capped at warn
/// unless the filter names it, because at debug it logs whole tool arguments and results.
pub fn init(format: LogFormat, filter: &str) {
    let filter = if filter.contains("rmcp") { filter.to_string() } else { format!("{filter},rmcp=warn") };
    let filter = EnvFilter::try_new(&filter).unwrap_or_else(|_| EnvFilter::new("info,rmcp=warn"));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
