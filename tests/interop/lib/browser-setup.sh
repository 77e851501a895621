# Shared by the browser-driven interop tests (app-view, oauth); source it, then call:
#   ensure_chromium                   Debian's chromium on the pinned release line, installed with apt when
#                                     absent or different (skipped when $CHROMIUM names another browser)
#   ensure_npm_packages <dir> <json>  the exact dependencies of package.json <json> in <dir>/node_modules,
#                                     installed with npm only when any differs
# Both are bounded in time: apt and npm get 600 s and 300 s at most.

# The one pin for every browser test: Debian 12's chromium, one Chromium release line. Debian's
# security archive keeps only the newest build of a line and drops a line when the next one ships,
# so an exact build pin breaks within weeks (156.0.8078.108 went on 2026-12-06). The line is pinned;
# when Debian has moved past it, the archive's current build is installed and the log says so, so
# CI names the drift instead of failing on a version nobody can install any more.
chromium_line=156.0.8078

ensure_chromium() {
  [ -n "${CHROMIUM:-}" ] && return 0
  case "$(dpkg-query -W -f='${Version}' chromium 2>/dev/null)" in
    "$chromium_line".*) return 0 ;;
  esac
  timeout 600 apt-get update -qq
  if apt-cache madison chromium | grep -q "| $chromium_line\."; then
    echo "setup: installing Debian's chromium $chromium_line.*"
    DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq "chromium=$chromium_line.*" >/dev/null
  else
    echo "setup: Debian no longer carries chromium $chromium_line.*; installing its current build" \
      "$(apt-cache policy chromium | sed -n 's/ *Candidate: //p') (move chromium_line in tests/interop/lib/browser-setup.sh)"
    DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq chromium >/dev/null
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
