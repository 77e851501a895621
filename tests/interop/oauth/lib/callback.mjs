// The loopback redirect_uri of the SDK client: a small HTTP server on 127.0.0.1 that records the
// query of every request to /callback and answers with a page, as a desktop client's would.
import { createServer } from "node:http";

export async function startCallbackServer() {
  const hits = [];
  const waiters = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    if (url.pathname !== "/callback") {
      res.writeHead(404).end();
      return;
    }
    const hit = { url, params: url.searchParams, at: Date.now() };
    hits.push(hit);
    waiters.splice(0).forEach((resolve) => resolve(hit));
    const ok = url.searchParams.has("code");
    res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
    res.end(`<!doctype html><title>${ok ? "Signed in" : "Not signed in"}</title><p>${ok ? "Signed in. You can close this window." : "The sign-in did not complete."}</p>`);
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const port = server.address().port;
  return {
    port,
    url: `http://127.0.0.1:${port}/callback`,
    hits,
    /** The next hit (or the last one when `since` hits have already arrived). */
    next(since = hits.length) {
      if (hits.length > since) return Promise.resolve(hits[since]);
      return new Promise((resolve) => waiters.push(resolve));
    },
    close: () => new Promise((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
}
