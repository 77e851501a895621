//! Prometheus metrics (prometheus-client): tool calls by tool and outcome, fal request latency by
//! route, HTTP requests in flight. Process-wide; no per-user labels.

use std::{
    sync::{LazyLock, OnceLock},
    time::Duration,
};

use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ToolLabels {
    tool: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ShedLabels {
    reason: &'static str,
}

struct Metrics {
    registry: Registry,
    tool_calls: Family<ToolLabels, Counter>,
    fal_latency: Family<RouteLabels, Histogram>,
    in_flight: Gauge,
    shed: Family<ShedLabels, Counter>,
    redis_failures: Counter,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let mut registry = Registry::with_prefix("fal_mcp");
    let tool_calls = Family::<ToolLabels, Counter>::default();
    registry.register(
        "tool_calls",
        "MCP tool calls by tool and outcome (ok, error, protocol_error)",
        tool_calls.clone(),
    );
    let fal_latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
        Histogram::new([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0])
    });
    registry.register("fal_request_duration_seconds", "Latency of requests to fal by route", fal_latency.clone());
    let in_flight = Gauge::default();
    registry.register("http_requests_in_flight", "HTTP requests to /mcp being served", in_flight.clone());
    let shed = Family::<ShedLabels, Counter>::default();
    registry.register(
        "requests_shed",
        "Requests refused because the server was at its concurrency limit (503), or connections because their address held too many (429)",
        shed.clone(),
    );
    let redis_failures = Counter::default();
    registry.register(
        "replay_memory_failures",
        "Redis commands of the sign-in's replay memory that failed or timed out",
        redis_failures.clone(),
    );
    Metrics { registry, tool_calls, fal_latency, in_flight, shed, redis_failures }
});

/// The tools whose names become label values (the router's, set when the server is built);
/// anything else is counted as "unknown", so a caller cannot mint labels.
static TOOLS: OnceLock<Vec<String>> = OnceLock::new();

/// Names the tools that may appear as labels; the first call wins (every server lists the same).
pub(crate) fn set_tools(names: impl IntoIterator<Item = String>) {
    let _ = TOOLS.set(names.into_iter().collect());
}

pub(crate) fn tool_call(tool: &str, outcome: &'static str) {
    let known = TOOLS.get().is_some_and(|names| names.iter().any(|n| n == tool));
    let tool = if known { tool } else { "unknown" };
    METRICS.tool_calls.get_or_create(&ToolLabels { tool: tool.to_string(), outcome }).inc();
}

pub(crate) fn fal_call(route: &'static str, elapsed: Duration) {
    METRICS.fal_latency.get_or_create(&RouteLabels { route }).observe(elapsed.as_secs_f64());
}

pub(crate) fn in_flight(delta: i64) {
    METRICS.in_flight.inc_by(delta);
}

pub(crate) fn shed() {
    METRICS.shed.get_or_create(&ShedLabels { reason: "concurrency" }).inc();
}

/// A request refused because its key or its address already held its share of the slots (429).
pub(crate) fn shed_share(reason: &'static str) {
    METRICS.shed.get_or_create(&ShedLabels { reason }).inc();
}

pub(crate) fn redis_failure() {
    METRICS.redis_failures.inc();
}

pub(crate) fn shed_connection() {
    METRICS.shed.get_or_create(&ShedLabels { reason: "connections_per_address" }).inc();
}

/// The Prometheus text exposition of every metric.
pub(crate) fn render() -> String {
    let mut out = String::new();
    encode(&mut out, &METRICS.registry).expect("writing to a String cannot fail");
    out
}
