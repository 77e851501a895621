#!/usr/bin/env bash
# fal-mcp's OAuth 2.1 sign-in end to end with two independent clients, a person's part played by
# headless Chromium (Debian's /usr/bin/chromium, never a downloaded build): the official TypeScript
# SDK client with its OAuthClientProvider, and mcp-remote (the stdio bridge) doing OAuth itself.
# See run.mjs for the steps. Everything runs on 127.0.0.1: the fake fal, the server (its own
# authorization server, short-lived access tokens so the refresh is exercised), the clients'
# callback servers and the browser.
#
#   tests/interop/oauth/run.sh
#
# Env: FAL_MCP_BIN (default <repo>/target/release/fal-mcp), FAKE_FAL_BIN (default
# <repo>/target/release/examples/fake_fal; tests/interop/run.sh builds both), INTEROP_DIR (packages go to $INTEROP_DIR/oauth, else a temporary
# directory), OAUTH_TOKEN_SECS (access token lifetime, 1 to 20, default 3), OAUTH_SCREENSHOT (where the
# sign-in page's screenshot goes; default the scratch directory, docs/sign-in.png to refresh the README's), CHROMIUM (default /usr/bin/chromium: Debian's package, installed
# with apt at the version app-view pins when absent or different).
# Prints one line per step and "N passed, M failed" last; exits non-zero on any failure.
# Bounded: the run is killed 180 s after the install (npm itself is given 300 s at most);
# everything it started is ended on exit. Logs stay in the scratch directory when a step fails.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
fal_mcp=${FAL_MCP_BIN:-$root/target/release/fal-mcp}
fake_fal=${FAKE_FAL_BIN:-$root/target/release/examples/fake_fal}
token_secs=${OAUTH_TOKEN_SECS:-3}
work=${INTEROP_DIR:+$INTEROP_DIR/oauth}
temporary_work=
[ -n "$work" ] || { work=$(mktemp -d); temporary_work=1; }
mkdir -p "$work"
run=$(mktemp -d "$work/run.XXXXXX")

pids=()
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 30); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; done
  # Anything still running from this run's scratch directory (a Chromium whose driver died) is ours.
  for proc in /proc/[0-9]*; do
    if grep -qaF -- "$run/" "$proc/cmdline" 2>/dev/null; then kill -KILL "${proc#/proc/}" 2>/dev/null || true; fi
  done
  if [ "$status" != 0 ]; then
    if [ -s "$run/server.log" ]; then
      echo "-- last lines of the server's log ($run/server.log):"
      tail -n 25 "$run/server.log"
    fi
    [ -n "$(ls -A "$run" 2>/dev/null)" ] && echo "-- logs kept in $run" || rm -rf "$run"
    [ -n "$temporary_work" ] && rm -rf "$work/node_modules"
  elif [ -n "$temporary_work" ]; then
    rm -rf "$work"
  else
    rm -rf "$run"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
remaining() { echo $((deadline - SECONDS)); }
say() { printf '%s\n' "$*"; }

for bin in "$fal_mcp" "$fake_fal"; do
  [ -x "$bin" ] || { say "FAIL  no executable $bin (set FAL_MCP_BIN / FAKE_FAL_BIN)"; say "0 passed, 1 failed"; exit 1; }
done
. "$here/../lib/browser-setup.sh"
ensure_chromium
ensure_npm_packages "$work" "$here/package.json"
deadline=$((SECONDS + 180)) # the run itself, after the install

free_port() { node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'; }
wait_for() { # wait_for <seconds> <command...>: polls every 0.1 s
  local tries=$(($1 * 10)); shift
  for _ in $(seq "$tries"); do "$@" && return 0; sleep 0.1; done
  return 1
}

# setsid: each runs in its own process group, which cleanup ends as a whole.
setsid "$fake_fal" > "$run/fake.url" 2> "$run/fake.log" &
pids+=($!)
wait_for 10 test -s "$run/fake.url" || { say "FAIL  the fake fal printed no URL"; cat "$run/fake.log"; say "0 passed, 1 failed"; exit 1; }
fake=$(head -n1 "$run/fake.url")
case "$fake" in http://127.0.0.1:*) ;; *) say "FAIL  the fake fal is not on loopback: $fake"; say "0 passed, 1 failed"; exit 1 ;; esac

port=$(free_port)
public="http://127.0.0.1:$port"
# This server signs in at connect (reading without a key off), the flow every client has used;
# the second reads before sign-in (the default with sign-in), which signs in at the first paid call.
FAL_API_URL="$fake/api" FAL_QUEUE_URL="$fake/queue" FAL_REST_URL="$fake/rest" FAL_DOCS_URL="$fake/docs" \
PORT="$port" FAL_MCP_PUBLIC_URL="$public" FAL_MCP_TOKEN_SECRET="$(head -c 32 /dev/urandom | base64)" \
FAL_MCP_ACCESS_TOKEN_SECS="$token_secs" FAL_MCP_LOG="${FAL_MCP_LOG:-info}" FAL_MCP_READ_WITHOUT_KEY=false \
  setsid "$fal_mcp" 2> "$run/server.log" &
pids+=($!)
wait_for 15 grep -qs "listening on http://127.0.0.1:$port/mcp" "$run/server.log" \
  || { say "FAIL  the server did not start on $public"; say "0 passed, 1 failed"; exit 1; }
keyless_port=$(free_port)
keyless="http://127.0.0.1:$keyless_port"
FAL_API_URL="$fake/api" FAL_QUEUE_URL="$fake/queue" FAL_REST_URL="$fake/rest" FAL_DOCS_URL="$fake/docs" \
PORT="$keyless_port" FAL_MCP_PUBLIC_URL="$keyless" FAL_MCP_TOKEN_SECRET="$(head -c 32 /dev/urandom | base64)" \
  setsid "$fal_mcp" 2> "$run/keyless-server.log" &
pids+=($!)
wait_for 15 grep -qs "listening on http://127.0.0.1:$keyless_port/mcp" "$run/keyless-server.log" \
  || { say "FAIL  the keyless server did not start on $keyless"; say "0 passed, 1 failed"; exit 1; }
say "setup: fake fal $fake, fal-mcp $public (FAL_MCP_ACCESS_TOKEN_SECS=$token_secs), scratch $run"

# The driver in its own process group too; it stops itself before run.sh's deadline.
OAUTH_INTEROP_MODULES="$work/node_modules" \
  setsid timeout --kill-after=5 "$(remaining)" node "$here/run.mjs" \
    --server "$public" --keyless-server "$keyless" --token-secs "$token_secs" --scratch "$run" \
    --screenshot "${OAUTH_SCREENSHOT:-$run/sign-in.png}" &
driver=$!
pids+=($driver)
status=0
wait "$driver" || status=$?
[ "$status" = 124 ] && { say "FAIL  the run passed 180 s"; say "0 passed, 1 failed"; }
exit "$status"
