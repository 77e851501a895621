# Shared by the browser-driven interop tests (app-view, oauth); source it, then call:
#   ensure_chromium                   Debian's chromium at the pinned version, installed with apt when
#                                     absent or different (skipped when $CHROMIUM names another browser)
#   ensure_npm_packages <dir> <json>  the exact dependencies of package.json <json> in <dir>/node_modules,
#                                     installed with npm only when any differs
# Both are bounded in time: apt and npm get 600 s and 300 s at most.

# The one pin for every browser test: Debian 12's chromium package.
chromium_version=156.0.8078.108-1~deb12u1

ensure_chromium() {
  if [ -z "${CHROMIUM:-}" ] && [ "$(dpkg-query -W -f='${Version}' chromium 2>/dev/null)" != "$chromium_version" ]; then
    echo "setup: installing Debian's chromium $chromium_version"
    timeout 600 apt-get update -qq
    DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq "chromium=$chromium_version" >/dev/null
  fi
}

ensure_npm_packages() {
  local dir=$1 manifest=$2
  mkdir -p "$dir"
  cp "$manifest" "$dir/package.json"
  if ! node -e '
    const fs = require("fs"), path = require("path");
    const want = JSON.parse(fs.readFileSync(process.argv[1] + "/package.json", "utf8")).dependencies;
    for (const [name, version] of Object.entries(want)) {
      const file = path.join(process.argv[1], "node_modules", name, "package.json");
      if (!fs.existsSync(file) || JSON.parse(fs.readFileSync(file, "utf8")).version !== version) process.exit(1);
    }' "$dir"; then
    echo "setup: npm install into $dir"
    (cd "$dir" && timeout 300 npm install --no-fund --no-audit --loglevel=error --save-exact >/dev/null)
  fi
}
