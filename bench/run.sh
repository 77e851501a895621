#!/usr/bin/env bash
# The benchmark, in one command: installs its pinned load generator (wrk from Debian), builds the
# release binaries, runs every measurement against 127.0.0.1 only, and writes BENCHMARKS.md plus
# the raw outputs in bench/results/. Takes about four minutes on two cores.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if ! wrk --version 2>&1 | grep -q '4.1.0'; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk=4.1.0-3+b2 >/dev/null
fi
# Redis for the replay-memory measurement: Debian 12's 7.0.15 (its security rebuilds float).
if ! redis-server --version 2>/dev/null | grep -q 'v=7\.0\.15 '; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq 'redis-server=5:7.0.15-*' >/dev/null
fi
cargo build --release --locked --example fake_fal --example bench_limit
# The binary alone, with exactly the features production builds give it (not the examples' dev ones).
cargo build --release --locked --bin fal-mcp
python3 bench/bench.py "$@"
python3 bench/soak.py
# What a model reads for fal's five documented flows, through the real server and client.
BENCH_RECORD=1 cargo test --locked --test integration result_sizes -- --quiet
python3 bench/bench.py --report-only
