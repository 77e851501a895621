#!/usr/bin/env node
// fal-mcp as its own OAuth 2.1 authorization server, signed in to by two independent clients, with
// a person's part played by headless Chromium on the server's sign-in page:
//
//  1. the official TypeScript SDK (@modelcontextprotocol/sdk): StreamableHTTPClientTransport with
//     an OAuthClientProvider (lib/provider.mjs) whose redirectToAuthorization opens the URL in
//     Chromium. The SDK discovers the server from its 401, registers, builds the PKCE request;
//     Chromium signs in (a refused key first, then a good one), follows the 303 to a loopback
//     callback (lib/callback.mjs); finishAuth redeems the code; tools are listed and called; after
//     the access token expires the SDK refreshes it on its own. Then a Cancel, and Enter.
//  2. mcp-remote, the stdio bridge, which runs the whole OAuth flow itself and "opens the system
//     browser" through the `open` package: open's bundled xdg-open runs $BROWSER <url> when there
//     is no desktop session, and $BROWSER is browser-hook.sh, which hands the URL over to this
//     script. JSON-RPC lines on its stdin, answers on its stdout.
//  With --keyless-server (a server that reads without a key), both again: they connect, list and
//  search with no token, and sign in at their first paid call (mcp-remote answers that call once
//  signed in).
//
//   node run.mjs --server <public base url> --token-secs <n> --scratch <dir> [--screenshot <png>]
//
// The server and the fake fal are started by run.sh. Packages come from $OAUTH_INTEROP_MODULES (a
// node_modules directory). One line per step; the last line reads "N passed, M failed"; exits 0
// only when every step passed.
import { createHash } from "node:crypto";
import { accessSync, constants as fsConstants, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { cancel, check, Check, checkSignInPage, connectWithKey, expectEmptyKeyField, launchChromium, openPage, submit } from "./lib/browser.mjs";
import { startCallbackServer } from "./lib/callback.mjs";
import { BrowserOAuthProvider, recordingFetch } from "./lib/provider.mjs";
import { spawnStdio } from "./lib/stdio-child.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../../..");
const GOOD_KEY = "interop-id:interop-secret";
const REFUSED_KEY = "bad:nope";
const SDK_CLIENT_NAME = "Example MCP Client";
const MCP_REMOTE_CLIENT_NAME = "MCP CLI Proxy"; // what mcp-remote registers as
const TOOL_COUNT = 11;
const OVERALL_TIMEOUT_MS = 160_000;
const STEP_TIMEOUT_MS = 30_000;

const args = parseArgs(process.argv.slice(2));
const base = args.server.replace(/\/$/, "");
const mcpUrl = `${base}/mcp`;
const tokenSecs = Number(args["token-secs"]);
const scratch = resolve(args.scratch);
const screenshot = args.screenshot ? resolve(args.screenshot) : join(repo, "docs/sign-in.png");
const modules = resolve(process.env.OAUTH_INTEROP_MODULES || join(here, "node_modules"));
const require = createRequire(join(modules, "_.js"));
const sdk = (path) => import(pathToFileURL(join(modules, "@modelcontextprotocol/sdk/dist/esm", path)).href);
// Short-lived tokens only: the refresh steps wait past the lifetime, within the steps' time bound.
if (!base.startsWith("http://127.0.0.1:") || !(tokenSecs >= 1 && tokenSecs <= 20)) {
  console.log("usage: node run.mjs --server http://127.0.0.1:<port> --token-secs <1..20> --scratch <dir> [--screenshot <png>]");
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// Steps, cleanup and the overall time bound
let passed = 0;
let failed = 0;
class Abandon extends Error {}
const cleanups = [];
let exiting = false;

async function step(name, fn) {
  const started = Date.now();
  let timer;
  try {
    const note = await Promise.race([
      fn(),
      new Promise((_, reject) => { timer = setTimeout(() => reject(new Check(`no outcome within ${STEP_TIMEOUT_MS / 1000} s`)), STEP_TIMEOUT_MS); }),
    ]);
    passed++;
    console.log(`ok    ${name}${note ? ` — ${note}` : ""} (${Date.now() - started} ms)`);
    return note;
  } catch (error) {
    failed++;
    console.log(`FAIL  ${name} — ${error instanceof Check ? error.message : (error && error.stack) || error}`);
    throw new Abandon();
  } finally {
    clearTimeout(timer);
  }
}

/** A group of steps: the first failure skips the rest of the group (they build on each other). */
async function group(name, fn) {
  try {
    await fn();
  } catch (error) {
    if (!(error instanceof Abandon)) {
      failed++;
      console.log(`FAIL  ${name} — ${(error && error.stack) || error}`);
    }
    console.log(`skip  ${name}: the rest of this group`);
  }
}

async function cleanup() {
  while (cleanups.length) {
    try {
      await Promise.race([cleanups.pop()(), sleep(5000)]);
    } catch { /* best effort */ }
  }
}
async function exit(code) {
  if (exiting) return;
  exiting = true;
  await cleanup();
  process.exit(code);
}
setTimeout(() => {
  console.log(`FAIL  overall timeout (${OVERALL_TIMEOUT_MS / 1000} s)`);
  console.log(`${passed} passed, ${failed + 1} failed`);
  exit(1);
}, OVERALL_TIMEOUT_MS).unref();
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => exit(130));

main().then(
  async () => {
    console.log(`${passed} passed, ${failed} failed`);
    await exit(failed === 0 && passed > 0 ? 0 : 1);
  },
  async (error) => {
    console.log(`FAIL  ${(error && error.stack) || error}`);
    console.log(`${passed} passed, ${failed + 1} failed`);
    await exit(1);
  },
);

// ---------------------------------------------------------------------------------------------
async function main() {
  mkdirSync(scratch, { recursive: true });
  const browser = await launchChromium(require, scratch);
  cleanups.push(browser.close);
  console.log(`oauth interop: server ${base}, access tokens live ${tokenSecs} s, Chromium ${browser.context.browser()?.version() ?? ""}`.trimEnd());

  await group("TypeScript SDK", () => sdkScenario(browser.context));
  if (args["keyless-server"]) await group("TypeScript SDK: reading before sign-in", () => keylessScenario(browser.context));
  await group("mcp-remote", () => mcpRemoteScenario(browser.context));
  if (args["keyless-server"]) await group("mcp-remote: reading before sign-in", () => mcpRemoteKeylessScenario(browser.context));
  await group("browser", async () => {
    await step("browser: no request left loopback", async () => {
      check(browser.offLoopback.length === 0, `requests to ${browser.offLoopback.join(", ")}`);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Scenario 0: a server that lets anyone read (FAL_MCP_READ_WITHOUT_KEY, on with sign-in by
// default): the SDK connects and discovers with no token, and signs in at its first paid call.
async function keylessScenario(context) {
  const { Client } = await sdk("client/index.js");
  const { StreamableHTTPClientTransport } = await sdk("client/streamableHttp.js");
  const { UnauthorizedError } = await sdk("client/auth.js");
  const keylessBase = args["keyless-server"].replace(/\/$/, "");
  const keylessMcp = new URL(`${keylessBase}/mcp`);
  const callback = await startCallbackServer();
  cleanups.push(callback.close);
  const log = [];
  const fetchFn = recordingFetch(log);
  const provider = new BrowserOAuthProvider({ redirectUrl: callback.url, clientName: SDK_CLIENT_NAME, open: (url) => openPage(context, url) });
  const transport = () => new StreamableHTTPClientTransport(keylessMcp, { authProvider: provider, fetch: fetchFn });
  const reader = new Client({ name: "fal-mcp-keyless-interop", version: "1.0.0" });
  cleanups.push(() => reader.close());
  await step("sdk: with no token, connect, listTools and search_models answer (reading before sign-in)", async () => {
    await reader.connect(transport());
    const { tools } = await reader.listTools();
    check(tools.length === TOOL_COUNT, `${tools.length} tools`);
    const found = await reader.callTool({ name: "search_models", arguments: { query: "flux" } });
    check(!found.isError && found.structuredContent.models.length > 0, `search_models: ${JSON.stringify(found.content).slice(0, 200)}`);
    check(log.every((e) => !e.authorization), "a request carried a token before any sign-in");
    check(provider.authorizationUrls.length === 0, "sign-in started before any paid call");
    return `${tools.length} tools, ${found.structuredContent.models.length} models, no token`;
  });
  await step("sdk: the first paid call (run_model) gets the 401 and starts sign-in", async () => {
    const error = await reader.callTool({ name: "run_model", arguments: { endpoint_id: "fal-ai/flux/dev", input: { prompt: "a fox" } } })
      .then(() => null, (e) => e);
    check(error instanceof UnauthorizedError, `run_model ended in ${error ? error.stack || error : "success"}`);
    const refused = log.find((e) => e.path === "/mcp" && e.status === 401);
    check(refused && refused.wwwAuthenticate.includes(`resource_metadata="${keylessBase}/.well-known/oauth-protected-resource/mcp"`),
      `the 401: ${describe(refused)}`);
    check(provider.authorizationUrls.length === 1 && provider.authorizationUrls[0].href.startsWith(`${keylessBase}/authorize?`),
      `redirectToAuthorization: ${provider.authorizationUrls.map((u) => u.href).join(", ")}`);
    return "UnauthorizedError, the browser opened at /authorize";
  });
  await step("browser + sdk: Connect, finishAuth, and the paid call runs with the token", async () => {
    const { page } = provider.lastOpened;
    const hit = callback.next();
    await connectWithKey(page, { key: GOOD_KEY, callbackPrefix: callback.url });
    const code = (await hit).params.get("code");
    await page.close().catch(() => {});
    await transport().finishAuth(code);
    const client = new Client({ name: "fal-mcp-keyless-interop", version: "1.0.0" });
    cleanups.push(() => client.close());
    await client.connect(transport());
    const run = await client.callTool({ name: "run_model", arguments: { endpoint_id: "fal-ai/flux/dev", input: { prompt: "a fox" } } });
    check(!run.isError && run.structuredContent.status === "COMPLETED", `run_model: ${JSON.stringify(run.content).slice(0, 200)}`);
    const paid = log.filter((e) => e.path === "/mcp" && e.method === "POST").at(-1);
    check(paid.authorization && paid.authorization.startsWith("Bearer falmcp_at_"), `the paid call carried ${paid.authorization}`);
    return "COMPLETED with the sealed token";
  });
}

// ---------------------------------------------------------------------------------------------
// Scenario 1: the official TypeScript SDK
async function sdkScenario(context) {
  const { Client } = await sdk("client/index.js");
  const { StreamableHTTPClientTransport } = await sdk("client/streamableHttp.js");
  const { UnauthorizedError } = await sdk("client/auth.js");
  const sdkVersion = JSON.parse(readFileSync(join(modules, "@modelcontextprotocol/sdk/package.json"), "utf8")).version;

  const callback = await startCallbackServer();
  cleanups.push(callback.close);
  const log = [];
  const fetchFn = recordingFetch(log);
  const provider = new BrowserOAuthProvider({
    redirectUrl: callback.url,
    clientName: SDK_CLIENT_NAME,
    open: (url) => openPage(context, url),
  });
  const newClient = () => new Client({ name: "fal-mcp-oauth-interop", version: "1.0.0" });
  const newTransport = (authProvider) => new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider, fetch: fetchFn });
  const pages = [];
  cleanups.push(async () => { for (const page of pages) await page.close().catch(() => {}); });

  // -- connect without a token: the SDK's own discovery, registration and authorization request
  await step(`sdk ${sdkVersion}: connect() without a token ends in a redirect to sign in`, async () => {
    const client = newClient();
    const error = await client.connect(newTransport(provider)).then(() => null, (e) => e);
    check(error instanceof UnauthorizedError, `connect() ended in ${error ? error.stack || error : "success"}, not UnauthorizedError`);
    check(provider.authorizationUrls.length === 1, `redirectToAuthorization was called ${provider.authorizationUrls.length} times`);
    pages.push(provider.lastOpened.page);
    await client.close().catch(() => {});
    return `${log.length} requests`;
  });
  await step("sdk: the first POST /mcp got 401 naming the protected resource metadata", async () => {
    const first = log[0];
    check(first && first.method === "POST" && first.path === "/mcp" && !first.authorization, `first request ${describe(first)}`);
    check(first.status === 401, `POST /mcp without a token answered ${first.status}`);
    const expected = `resource_metadata="${base}/.well-known/oauth-protected-resource/mcp"`;
    check(first.wwwAuthenticate && first.wwwAuthenticate.startsWith("Bearer ") && first.wwwAuthenticate.includes(expected),
      `WWW-Authenticate ${JSON.stringify(first.wwwAuthenticate)} lacks ${expected}`);
    check(!/error=/.test(first.wwwAuthenticate), `a request without credentials got an error code: ${first.wwwAuthenticate}`);
    return first.wwwAuthenticate;
  });
  await step("sdk: discovery (RFC 9728 resource metadata, then RFC 8414 server metadata)", async () => {
    const prm = log.find((e) => e.path.startsWith("/.well-known/oauth-protected-resource"));
    check(prm && prm.status === 200, `resource metadata: ${describe(prm)}`);
    const asm = log.find((e) => e.path === "/.well-known/oauth-authorization-server" || e.path === "/.well-known/openid-configuration");
    check(asm && asm.status === 200, `authorization server metadata: ${describe(asm)}`);
    return `${prm.path}, ${asm.path}`;
  });
  let registration;
  await step("sdk: dynamic client registration (RFC 7591)", async () => {
    const post = log.find((e) => e.path === "/register");
    check(post && post.method === "POST" && (post.status === 201 || post.status === 200), `POST /register: ${describe(post)}`);
    check(provider.registrations.length === 1, `saveClientInformation was called ${provider.registrations.length} times`);
    registration = provider.registrations[0];
    check(/^falmcp_c_/.test(registration.client_id), `client_id ${registration.client_id}`);
    check(!registration.client_secret, "a public client (token_endpoint_auth_method none) was given a client_secret");
    check(JSON.stringify(registration.redirect_uris) === JSON.stringify([callback.url]), `redirect_uris ${JSON.stringify(registration.redirect_uris)}`);
    return `HTTP ${post.status}, ${registration.client_id.slice(0, 16)}…`;
  });
  await step("sdk: the authorization request carries PKCE S256, state and the resource", async () => {
    const url = provider.authorizationUrls[0];
    check(url.href.startsWith(`${base}/authorize?`), `authorization URL ${url.href}`);
    const p = url.searchParams;
    const expect = { response_type: "code", client_id: registration.client_id, redirect_uri: callback.url, code_challenge_method: "S256", state: provider.lastState, resource: mcpUrl };
    for (const [name, value] of Object.entries(expect)) check(p.get(name) === value, `${name}=${p.get(name)}, expected ${value}`);
    const challenge = createHash("sha256").update(provider.codeVerifier()).digest("base64url");
    check(p.get("code_challenge") === challenge, "code_challenge is not S256 of the saved verifier");
  });

  // Each group below goes on even when an earlier one failed, when what it needs is there.
  let tokensBefore;
  await group("TypeScript SDK: sign-in, tools and refresh", async () => {
    // -- the person in the browser
    const { page, response } = provider.lastOpened;
    await step("browser: the sign-in page names the client and has an empty password field", async () => {
      const { title, heading } = await checkSignInPage(page, response, { clientName: SDK_CLIENT_NAME });
      return `title "${title}", heading "${heading}"`;
    });
    await step(`browser: screenshot of the sign-in page → ${relative(screenshot)}`, async () => {
      mkdirSync(dirname(screenshot), { recursive: true });
      await page.screenshot({ path: screenshot, fullPage: false });
      const size = statSync(screenshot).size;
      check(size > 10_000, `the screenshot is only ${size} bytes`);
      return `${Math.round(size / 1024)} KiB`;
    });
    await step(`browser: a key fal refuses (${REFUSED_KEY}) shows fal's reason, and the field is empty again`, async () => {
      const { post, finalUrl, sentAction } = await submit(page, { key: REFUSED_KEY, action: "connect" });
      check(sentAction === "connect", `the browser submitted action=${sentAction}`);
      check(post && post.status() !== 303 && !post.headers()["location"], `the refused key was answered with a redirect (${post && post.status()} ${post && post.headers()["location"]})`);
      check(finalUrl.href.startsWith(`${base}/authorize`), `the browser left the sign-in page for ${finalUrl.href}`);
      const reason = page.getByText("No user found", { exact: false });
      check(await reason.count() > 0 && await reason.first().isVisible(), `the page does not show fal's reason: ${((await page.textContent("main").catch(() => "")) || "").slice(0, 300)}`);
      await expectEmptyKeyField(page);
      check(!(await page.content()).includes(REFUSED_KEY), "the refused key is echoed in the page");
      check(callback.hits.length === 0, "the callback was reached after a refused key");
      return `HTTP ${post.status()}: "${((await reason.first().textContent()) || "").trim()}"`;
    });
    let code;
    await step("browser: a good key and Connect → 303 to the loopback callback with code, state and iss", async () => {
      const hit = callback.next();
      const { location } = await connectWithKey(page, { key: GOOD_KEY, callbackPrefix: callback.url });
      const { params } = await hit;
      code = params.get("code");
      check(code, `no code in ${location}`);
      check(!params.has("error"), `error=${params.get("error")}`);
      check(params.get("state") === provider.lastState, `state ${params.get("state")} is not the one sent (${provider.lastState})`);
      check(params.get("iss") === base, `iss ${params.get("iss")}, expected ${base}`);
      check((await page.title()) === "Signed in", "the browser did not show the callback's page");
      return `303 → ${callback.url}?code=…&state=…&iss=${params.get("iss")}`;
    });

    // -- redeeming the code, using the token
    const finishTransport = newTransport(provider);
    let firstTokens;
    await step("sdk: transport.finishAuth(code) redeems the code (PKCE verifier, redirect_uri, resource)", async () => {
      const before = log.length;
      await finishTransport.finishAuth(code);
      const grant = log.slice(before).find((e) => e.path === "/token");
      check(grant && grant.grant === "authorization_code" && grant.status === 200, `token request: ${describe(grant)}`);
      check(grant.body.get("code_verifier") && grant.body.get("redirect_uri") === callback.url && grant.body.get("client_id") === registration.client_id,
        `the token request lacks code_verifier, redirect_uri or client_id: ${[...grant.body.keys()].join(", ")}`);
      check(grant.body.get("resource") === mcpUrl, `the token request's resource is ${grant.body.get("resource")}`);
      check(provider.savedTokens.length === 1, `saveTokens was called ${provider.savedTokens.length} times`);
      firstTokens = provider.savedTokens[0].tokens;
      check(/^falmcp_at_/.test(firstTokens.access_token), `access_token ${String(firstTokens.access_token).slice(0, 12)}…`);
      check(/^bearer$/i.test(firstTokens.token_type), `token_type ${firstTokens.token_type}`);
      check(firstTokens.expires_in === tokenSecs, `expires_in ${firstTokens.expires_in}, expected ${tokenSecs} (FAL_MCP_ACCESS_TOKEN_SECS)`);
      check(firstTokens.refresh_token, "no refresh_token");
      return `access token falmcp_at_…, expires_in ${firstTokens.expires_in}, refresh token issued`;
    });
    const client = newClient();
    cleanups.push(() => client.close());
    const usedAt = log.length;
    await step(`sdk: connect with the token, listTools → ${TOOL_COUNT} tools`, async () => {
      await client.connect(newTransport(provider));
      const { tools } = await client.listTools();
      const names = tools.map((t) => t.name);
      check(tools.length === TOOL_COUNT, `${tools.length} tools: ${names.join(", ")}`);
      for (const name of ["search_models", "get_pricing", "run_model"]) check(names.includes(name), `no ${name} among ${names.join(", ")}`);
      const posts = log.slice(usedAt).filter((e) => e.path === "/mcp" && e.method === "POST");
      check(posts.length > 0 && posts.every((e) => e.authorization === `Bearer ${firstTokens.access_token}`), "the MCP requests did not carry the issued access token");
      const early = Date.now() - provider.savedTokens[0].at < (tokenSecs - 1) * 1000;
      if (early) check(posts.every((e) => e.status === 200 || e.status === 202), `a request with a fresh token was refused: ${posts.map(describe).join("; ")}`);
      return names.join(", ");
    });
    await step("sdk: callTool search_models {query: \"flux\"} → structuredContent", async () => {
      const result = await client.callTool({ name: "search_models", arguments: { query: "flux" } });
      check(!result.isError, `isError: ${JSON.stringify(result.content).slice(0, 300)}`);
      const models = result.structuredContent && result.structuredContent.models;
      check(Array.isArray(models) && models.length > 0, `structuredContent ${JSON.stringify(result.structuredContent).slice(0, 200)}`);
      check(models.some((m) => m.endpoint_id === "fal-ai/flux/dev"), `fal-ai/flux/dev not among ${models.map((m) => m.endpoint_id).join(", ")}`);
      return `${models.length} models`;
    });

    // -- expiry and the SDK's own refresh
    const waitMs = provider.savedTokens[0].at + tokenSecs * 1000 + 1500 - Date.now();
    await step(`sdk: wait past the access token's lifetime (${tokenSecs} s)`, async () => {
      if (waitMs > 0) await sleep(waitMs);
      return `slept ${Math.max(0, waitMs)} ms`;
    });
    tokensBefore = provider.tokens();
    const refreshesBefore = provider.savedTokens.length;
    await step("sdk: callTool after expiry → 401 invalid_token, refresh_token grant, retried with the new token", async () => {
      const mark = log.length;
      const result = await client.callTool({ name: "get_pricing", arguments: { endpoint_id: "fal-ai/flux/dev" } });
      check(!result.isError, `isError: ${JSON.stringify(result.content).slice(0, 300)}`);
      const prices = result.structuredContent && result.structuredContent.prices;
      check(Array.isArray(prices) && prices.some((p) => p.endpoint_id === "fal-ai/flux/dev"), `structuredContent ${JSON.stringify(result.structuredContent).slice(0, 200)}`);
      const seen = log.slice(mark);
      const refused = seen.find((e) => e.path === "/mcp" && e.status === 401);
      check(refused, `no 401 for the expired token: ${seen.map(describe).join("; ")}`);
      check(refused.authorization === `Bearer ${tokensBefore.access_token}`, "the refused request did not carry the expired token");
      check(/error="invalid_token"/.test(refused.wwwAuthenticate || ""), `WWW-Authenticate for the expired token: ${refused.wwwAuthenticate}`);
      const refresh = seen.find((e) => e.path === "/token");
      check(refresh && refresh.grant === "refresh_token" && refresh.status === 200, `token request: ${describe(refresh)}`);
      check(refresh.body.get("refresh_token") === tokensBefore.refresh_token && refresh.body.get("client_id") === registration.client_id, "the refresh request did not send the stored refresh token and client_id");
      check(provider.savedTokens.length === refreshesBefore + 1, `saveTokens was called ${provider.savedTokens.length - refreshesBefore} times`);
      const after = provider.tokens();
      check(after.access_token !== tokensBefore.access_token && /^falmcp_at_/.test(after.access_token), "the access token did not change");
      check(after.refresh_token && after.refresh_token !== tokensBefore.refresh_token, "the refresh token was not rotated");
      const retried = seen.filter((e) => e.path === "/mcp" && e.status === 200).pop();
      check(retried && retried.authorization === `Bearer ${after.access_token}`, "the call was not retried with the new access token");
      return "new access and refresh tokens, call answered";
    });
  });

  await group("server: refresh token rotation", async () => {
    if (!tokensBefore) return;
    await step("server: the refresh token replaced by rotation is refused (invalid_grant)", async () => {
      const response = await fetch(`${base}/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: tokensBefore.refresh_token, client_id: registration.client_id }),
      });
      const body = await response.text();
      check(response.status === 400 && /"invalid_grant"/.test(body),
        `POST /token grant_type=refresh_token with the replaced refresh token answered ${response.status} ${body.slice(0, 200)}`);
      return `HTTP ${response.status} invalid_grant`;
    });
  });

  await group("TypeScript SDK: Cancel", async () => {
    // -- Cancel: the client is told access_denied (registered for one loopback port, used on another)
    const otherCallback = await startCallbackServer();
    cleanups.push(otherCallback.close);
    const cancelProvider = new BrowserOAuthProvider({
      redirectUrl: otherCallback.url,
      clientName: SDK_CLIENT_NAME,
      open: (url) => openPage(context, url),
      clientInformation: provider.clientInformation(),
    });
    await step("sdk: a second sign-in, same client on another loopback port: Cancel → access_denied at the callback", async () => {
      const error = await newClient().connect(newTransport(cancelProvider)).then(() => null, (e) => e);
      check(error instanceof UnauthorizedError, `connect() ended in ${error ? error.stack || error : "success"}`);
      check(cancelProvider.registrations.length === 0, "the SDK registered again instead of reusing the client");
      const opened = cancelProvider.lastOpened;
      pages.push(opened.page);
      await checkSignInPage(opened.page, opened.response, { clientName: SDK_CLIENT_NAME });
      const hit = otherCallback.next();
      await cancel(opened.page, { callbackPrefix: otherCallback.url });
      const { params } = await hit;
      check(params.get("error") === "access_denied", `error=${params.get("error")}`);
      check(!params.has("code"), "a code came back with the cancel");
      check(params.get("state") === cancelProvider.lastState, `state ${params.get("state")}, expected ${cancelProvider.lastState}`);
      check(params.get("iss") === base, `iss ${params.get("iss")}, expected ${base}`);
      return `error=access_denied, state and iss returned`;
    });
  });

  await group("browser: Enter", async () => {
    // -- Enter in the key field: what people press after pasting a key
    const enterProvider = new BrowserOAuthProvider({
      redirectUrl: callback.url,
      clientName: SDK_CLIENT_NAME,
      open: (url) => openPage(context, url),
      clientInformation: provider.clientInformation(),
    });
    await step("browser: pasting a good key and pressing Enter connects (the form's default button is Connect)", async () => {
      const error = await newClient().connect(newTransport(enterProvider)).then(() => null, (e) => e);
      check(error instanceof UnauthorizedError, `connect() ended in ${error ? error.stack || error : "success"}`);
      const opened = enterProvider.lastOpened;
      pages.push(opened.page);
      await checkSignInPage(opened.page, opened.response, { clientName: SDK_CLIENT_NAME });
      const since = callback.hits.length;
      const { post, sentAction } = await submit(opened.page, { key: GOOD_KEY, how: "enter" });
      const { params } = await callback.next(since);
      check(sentAction === "connect",
        `Enter submitted action=${sentAction} (POST /authorize → ${post && post.status()}, callback got ${params.toString().replace(/code=[^&]*/, "code=…").slice(0, 120)})`);
      check(params.get("code") && params.get("state") === enterProvider.lastState, `callback query ${params.toString().slice(0, 120)}`);
      const transport = newTransport(enterProvider);
      await transport.finishAuth(params.get("code"));
      check(/^falmcp_at_/.test(enterProvider.tokens()?.access_token || ""), "the code from the Enter sign-in was not redeemed");
      return "action=connect, code redeemed";
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Scenario 2: mcp-remote, the stdio bridge, doing OAuth itself
async function mcpRemoteScenario(context) {
  const version = JSON.parse(readFileSync(join(modules, "mcp-remote/package.json"), "utf8")).version;
  const home = join(scratch, "mcp-remote-home");
  const { bridge, inbox, callbackPort, guard, tail } = await startMcpRemote(mcpUrl, home, "browser-inbox", "mcp-remote.log");

  let authorizationUrl;
  await step(`mcp-remote ${version}: answers the 401 by opening the "system browser" ($BROWSER hook) at the authorization URL`, async () => {
    authorizationUrl = await guard(waitForLine(inbox), "the browser to be opened");
    const p = authorizationUrl.searchParams;
    check(authorizationUrl.href.startsWith(`${base}/authorize?`), `opened ${authorizationUrl.href}`);
    const redirectUri = `http://localhost:${callbackPort}/oauth/callback`;
    const expect = { response_type: "code", redirect_uri: redirectUri, code_challenge_method: "S256", resource: mcpUrl };
    for (const [name, value] of Object.entries(expect)) check(p.get(name) === value, `${name}=${p.get(name)}, expected ${value}`);
    check(/^falmcp_c_/.test(p.get("client_id") || ""), `client_id ${p.get("client_id")}`);
    check(p.get("state") && p.get("code_challenge"), "no state or code_challenge");
    return `redirect_uri ${redirectUri}`;
  });
  let page;
  await step(`browser: the sign-in page names "${MCP_REMOTE_CLIENT_NAME}"`, async () => {
    const opened = await openPage(context, authorizationUrl);
    page = opened.page;
    cleanups.push(() => page.close().catch(() => {}));
    const { heading } = await checkSignInPage(page, opened.response, { clientName: MCP_REMOTE_CLIENT_NAME });
    return `heading "${heading}"`;
  });
  await step("browser: a good key and Connect → 303 to mcp-remote's callback server", async () => {
    const callbackPrefix = `http://localhost:${callbackPort}/oauth/callback?`;
    const { finalUrl } = await connectWithKey(page, { key: GOOD_KEY, callbackPrefix });
    check(finalUrl.searchParams.get("state") === authorizationUrl.searchParams.get("state"), "the state came back changed");
    check(finalUrl.searchParams.get("iss") === base, `iss ${finalUrl.searchParams.get("iss")}`);
    const text = ((await page.textContent("body")) || "").trim();
    check(/Authorization successful/.test(text), `mcp-remote's callback page says: ${text.slice(0, 200)}`);
    return "mcp-remote: \"Authorization successful!\"";
  });
  await step("mcp-remote: redeems the code and establishes the proxy", async () => {
    await guard(bridge.waitForStderr(/Proxy established successfully/), "the proxy to be established");
    check(!/Fatal error/.test(bridge.stderr), tail());
  });
  await step("mcp-remote (stdio): initialize", async () => {
    const answer = await guard(bridge.request("initialize", {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: "fal-mcp-oauth-interop-stdio", version: "1.0.0" },
    }), "initialize");
    check(answer.result && answer.result.serverInfo, `initialize answered ${JSON.stringify(answer).slice(0, 300)}`);
    bridge.notify("notifications/initialized");
    return `${answer.result.serverInfo.name} ${answer.result.serverInfo.version ?? ""}, protocol ${answer.result.protocolVersion}`.trim();
  });
  await step(`mcp-remote (stdio): tools/list → ${TOOL_COUNT} tools`, async () => {
    const answer = await guard(bridge.request("tools/list", {}), "tools/list");
    const tools = (answer.result && answer.result.tools) || [];
    check(tools.length === TOOL_COUNT, `tools/list answered ${JSON.stringify(answer).slice(0, 300)}`);
    return tools.map((t) => t.name).join(", ");
  });
  await step("mcp-remote (stdio): tools/call search_models {query: \"flux\"}", async () => {
    const answer = await guard(bridge.request("tools/call", { name: "search_models", arguments: { query: "flux" } }), "tools/call");
    const result = answer.result;
    check(result && !result.isError, `tools/call answered ${JSON.stringify(answer).slice(0, 300)}`);
    const models = result.structuredContent && result.structuredContent.models;
    check(Array.isArray(models) && models.some((m) => m.endpoint_id === "fal-ai/flux/dev"), `structuredContent ${JSON.stringify(result.structuredContent).slice(0, 200)}`);
    return `${models.length} models`;
  });
  let stored;
  await step("mcp-remote: tokens kept under $HOME/.mcp-auth", async () => {
    stored = readStoredTokens(home);
    check(stored, `no *_tokens.json under ${home}/.mcp-auth`);
    check(/^falmcp_at_/.test(stored.tokens.access_token || "") && stored.tokens.refresh_token, `tokens.json holds ${Object.keys(stored.tokens).join(", ")}`);
    return relative(stored.file);
  });
  // mcp-remote renews a token proactively within 60 s of its expiry, so with short-lived tokens it
  // refreshes before each request; the point here is a call made after the first token has died.
  await step(`mcp-remote: after the access token's lifetime (${tokenSecs} s) tools/call run_model works on a refreshed token`, async () => {
    const issuedAt = statSync(stored.file).mtimeMs;
    const waitMs = issuedAt + tokenSecs * 1000 + 1500 - Date.now();
    if (waitMs > 0) await sleep(waitMs);
    const answer = await guard(bridge.request("tools/call", {
      name: "run_model",
      arguments: { endpoint_id: "fal-ai/flux/dev", input: { prompt: "a red fox in the snow" } },
    }), "tools/call run_model");
    const result = answer.result;
    check(result && !result.isError, `tools/call run_model answered ${JSON.stringify(answer).slice(0, 400)}`);
    check(JSON.stringify(result).includes("COMPLETED"), `run_model did not complete: ${JSON.stringify(result).slice(0, 300)}`);
    const now = readStoredTokens(home);
    check(now && now.tokens.access_token !== stored.tokens.access_token, "mcp-remote did not refresh the expired access token");
    check(now.tokens.refresh_token !== stored.tokens.refresh_token, "mcp-remote stored no rotated refresh token");
    return "mcp-remote refreshed (rotated refresh token stored), run_model COMPLETED";
  });
  await step("mcp-remote: exits when its stdin closes", async () => {
    bridge.endInput();
    const exited = await Promise.race([bridge.waitForExit(), sleep(5000).then(() => null)]);
    check(exited, "still running 5 s after stdin closed");
    return `exit ${exited.code ?? exited.signal}`;
  });
}

// ---------------------------------------------------------------------------------------------
// Scenario 3: mcp-remote against the server that reads without a key: no browser until the first
// paid call, whose 401 mcp-remote answers by signing in.
async function mcpRemoteKeylessScenario(context) {
  const keylessBase = args["keyless-server"].replace(/\/$/, "");
  const keylessMcp = `${keylessBase}/mcp`;
  const home = join(scratch, "mcp-remote-keyless-home");
  const { bridge, inbox, guard } = await startMcpRemote(keylessMcp, home, "browser-inbox-keyless", "mcp-remote-keyless.log");
  await step("mcp-remote: connects with no token and opens no browser", async () => {
    await guard(bridge.waitForStderr(/Proxy established successfully/), "the proxy to be established");
    const answer = await guard(bridge.request("initialize", {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: "fal-mcp-oauth-interop-keyless", version: "1.0.0" },
    }), "initialize");
    check(answer.result && answer.result.serverInfo, `initialize answered ${JSON.stringify(answer).slice(0, 300)}`);
    bridge.notify("notifications/initialized");
    const listed = await guard(bridge.request("tools/list", {}), "tools/list");
    check(((listed.result && listed.result.tools) || []).length === TOOL_COUNT, `tools/list answered ${JSON.stringify(listed).slice(0, 300)}`);
    const found = await guard(bridge.request("tools/call", { name: "search_models", arguments: { query: "flux" } }), "search_models");
    check(found.result && !found.result.isError, `search_models answered ${JSON.stringify(found).slice(0, 300)}`);
    check(readFileSync(inbox, "utf8").trim() === "", "a browser was opened before any paid call");
    return "initialize, tools/list, search_models without a token";
  });
  let call, authorizationUrl;
  await step("mcp-remote: the first paid call (run_model) gets the 401 and opens the browser at /authorize", async () => {
    call = bridge.request("tools/call", { name: "run_model", arguments: { endpoint_id: "fal-ai/flux/dev", input: { prompt: "a fox" } } });
    call.catch(() => {});
    authorizationUrl = await guard(waitForLine(inbox), "the browser to be opened");
    check(authorizationUrl.href.startsWith(`${keylessBase}/authorize?`), `opened ${authorizationUrl.href}`);
    check(authorizationUrl.searchParams.get("resource") === keylessMcp, `resource=${authorizationUrl.searchParams.get("resource")}`);
    return "sign-in started at the paid call";
  });
  await step("browser + mcp-remote: Connect, and the paid call is answered with the token", async () => {
    const { page, response } = await openPage(context, authorizationUrl);
    cleanups.push(() => page.close().catch(() => {}));
    await checkSignInPage(page, response, { clientName: MCP_REMOTE_CLIENT_NAME });
    const callbackPrefix = `${authorizationUrl.searchParams.get("redirect_uri")}?`;
    await connectWithKey(page, { key: GOOD_KEY, callbackPrefix });
    const answer = await guard(Promise.race([call, sleep(20_000).then(() => null)]), "run_model's answer");
    const result = answer && answer.result;
    check(result && !result.isError && JSON.stringify(result).includes("COMPLETED"), `the waiting run_model answered ${JSON.stringify(answer).slice(0, 400)}`);
    check(readStoredTokens(home), `no tokens stored under ${home}/.mcp-auth`);
    return "the waiting call COMPLETED once signed in";
  });
}

// mcp-remote bridging `mcpUrl` to stdio, in a clean environment: no desktop session, so open's
// xdg-open takes its generic path and runs $BROWSER (browser-hook.sh, which writes the URL to
// `inbox`); HOME is `home`, so its tokens land in <home>/.mcp-auth. `guard` fails a wait when
// mcp-remote exits first, with the end of its log.
async function startMcpRemote(mcpUrl, home, inboxName, logName) {
  rmSync(home, { recursive: true, force: true });
  mkdirSync(home, { recursive: true });
  const inbox = join(scratch, inboxName);
  writeFileSync(inbox, "");
  const hook = join(here, "browser-hook.sh");
  try {
    accessSync(hook, fsConstants.X_OK);
  } catch {
    throw new Error(`${hook} is not executable (git keeps it 755)`);
  }
  const callbackPort = await freePort();
  const env = { PATH: process.env.PATH, HOME: home, LANG: "C.UTF-8", BROWSER: hook, OAUTH_INTEROP_INBOX: inbox };
  const bridge = spawnStdio(process.execPath, [join(modules, "mcp-remote/dist/proxy.js"), mcpUrl, String(callbackPort)], {
    env,
    cwd: home,
    logFile: join(scratch, logName),
  });
  cleanups.push(async () => {
    bridge.endInput();
    bridge.kill("SIGTERM");
    const exited = await Promise.race([bridge.waitForExit(), sleep(3000)]);
    if (!exited) bridge.kill("SIGKILL");
  });
  const tail = () => bridge.stderr.trim().split("\n").slice(-8).join(" | ");
  const guard = (promise, what) => Promise.race([
    promise,
    bridge.waitForExit().then((e) => { throw new Check(`mcp-remote exited (${e.code ?? e.signal}) while waiting for ${what}: ${tail()}`); }),
  ]);
  return { bridge, inbox, callbackPort, guard, tail };
}

// ---------------------------------------------------------------------------------------------
function readStoredTokens(home) {
  const dir = join(home, ".mcp-auth");
  if (!existsSync(dir)) return null;
  for (const sub of readdirSync(dir)) {
    const path = join(dir, sub);
    if (!statSync(path).isDirectory()) continue;
    const file = readdirSync(path).find((f) => f.endsWith("_tokens.json"));
    if (file) return { file: join(path, file), tokens: JSON.parse(readFileSync(join(path, file), "utf8")) };
  }
  return null;
}

async function waitForLine(file) {
  for (;;) {
    const text = readFileSync(file, "utf8").trim();
    if (text) return new URL(text.split("\n")[0]);
    await sleep(100);
  }
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

function describe(entry) {
  if (!entry) return "none";
  return `${entry.method} ${entry.path}${entry.grant ? ` (${entry.grant})` : ""} → ${entry.status ?? "?"}`;
}

function relative(path) {
  return path.startsWith(`${repo}/`) ? path.slice(repo.length + 1) : path;
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith("--") || argv[i + 1] === undefined) {
      console.log(`unexpected argument ${argv[i]}`);
      process.exit(2);
    }
    out[argv[i].slice(2)] = argv[i + 1];
  }
  for (const name of ["server", "token-secs", "scratch"]) {
    if (!out[name]) {
      console.log(`missing --${name}`);
      process.exit(2);
    }
  }
  return out;
}
