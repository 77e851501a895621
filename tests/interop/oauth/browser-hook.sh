#!/bin/sh
# The "system browser" mcp-remote opens: its bundled `open` package runs open's own copy of
# xdg-open, which (with no desktop session) runs "$BROWSER <url>". This hook only hands the URL to
# run.mjs, which drives headless Chromium through the sign-in, and exits 0 so mcp-remote counts
# the browser as opened.
[ -n "$OAUTH_INTEROP_INBOX" ] || exit 1
printf '%s\n' "$1" >> "$OAUTH_INTEROP_INBOX"
