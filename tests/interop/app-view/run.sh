#!/usr/bin/env bash
# fal-mcp's MCP Apps view (src/ui/view.html) in headless Chromium, hosted by the official
# @modelcontextprotocol/ext-apps host bridge. Installs the pinned packages of package.json into a
# scratch directory ($INTEROP_DIR/app-view when INTEROP_DIR is set) and runs run.mjs:
#   run.sh                                              fixtures mode (view from the repo, results from fixtures/)
#   run.sh --server <mcp url> --key <bearer> --fake <fake base url> [--media <base url>]
# Needs Node 20+ and Chromium at /usr/bin/chromium (or $CHROMIUM); installs Debian's chromium when absent.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${INTEROP_DIR:+$INTEROP_DIR/app-view}
work=${work:-$(mktemp -d)}
mkdir -p "$work"

# Debian's Chromium, pinned (the browser tests' only system package).
chromium_version=156.0.8078.108-1~deb12u1
if [ -z "${CHROMIUM:-}" ] && [ "$(dpkg-query -W -f='${Version}' chromium 2>/dev/null)" != "$chromium_version" ]; then
  echo "app-view: installing Debian's chromium $chromium_version"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "chromium=$chromium_version" >/dev/null
fi

cp "$here/package.json" "$work/package.json"
installed() {
  node -e '
    const fs = require("fs"), path = require("path");
    const want = JSON.parse(fs.readFileSync(process.argv[1] + "/package.json", "utf8")).dependencies;
    for (const [name, version] of Object.entries(want)) {
      const file = path.join(process.argv[1], "node_modules", name, "package.json");
      if (!fs.existsSync(file) || JSON.parse(fs.readFileSync(file, "utf8")).version !== version) process.exit(1);
    }' "$work"
}
if ! installed; then
  (cd "$work" && npm install --no-fund --no-audit --loglevel=error --save-exact >/dev/null)
fi

APP_VIEW_MODULES="$work/node_modules" exec timeout --kill-after=10 150 node "$here/run.mjs" "$@"
