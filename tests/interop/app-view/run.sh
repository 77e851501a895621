#!/usr/bin/env bash
# fal-mcp's MCP Apps view (src/ui/view.html) in headless Chromium, hosted by the official
# @modelcontextprotocol/ext-apps host bridge. Installs the pinned packages of package.json into a
# scratch directory ($INTEROP_DIR/app-view when INTEROP_DIR is set) and runs run.mjs:
#   run.sh                                              fixtures mode (view from the repo, results from fixtures/)
#   run.sh --server <mcp url> --key <bearer> --fake <fake base url> [--media <base url>]
# Needs Node 20+ and Chromium at /usr/bin/chromium (or $CHROMIUM); installs Debian's chromium when absent.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ -n "${INTEROP_DIR:-}" ]; then work=$INTEROP_DIR/app-view; else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"

. "$here/../lib/browser-setup.sh"
ensure_chromium
ensure_npm_packages "$work" "$here/package.json"

APP_VIEW_MODULES="$work/node_modules" timeout --kill-after=10 150 node "$here/run.mjs" "$@"
