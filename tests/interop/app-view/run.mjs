#!/usr/bin/env node
// fal-mcp's MCP Apps view (src/ui/view.html) in headless Chromium, hosted by the official host
// bridge of @modelcontextprotocol/ext-apps (AppBridge + PostMessageTransport) through a sandbox
// proxy on its own origin, as a web host must. For each case it hands the view the tool input
// and result, then checks what a person would see, that nothing from the result ran or was
// linked unless http(s), which requests the view made, and how fast it rendered.
//
//   node run.mjs [--fixtures <dir>] [--view <file>]          view from src/ui/view.html, results from JSON files
//   node run.mjs --server <mcp url> --key <bearer> --fake <fake base url> [--media <base url>] [--view <file>]
//                                                            view from resources/read (or --view), results from tools/call
// Options: --screenshots <dir> (fixtures mode default: <repo>/docs), --shoot-all (a screenshot of
// every case into that directory), --only <substring> (cases whose name contains it).
// Packages come from $APP_VIEW_MODULES (a node_modules directory; run.sh installs them there).
// Exits 0 only when every check of every case passes; the last line reads "N passed, M failed".
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { readFileSync, readdirSync, rmSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { mediaFiles } from "./lib/media.mjs";
import { startChromium } from "../lib/chromium.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../../..");
const MIME = "text/html;profile=mcp-app";
const EXT = "io.modelcontextprotocol/ui";
const DEFAULT_URI = "ui://fal-mcp/result-view.html";
const RENDER_BUDGET_MS = 100;
const INLINE_MAX_PX = 500;
const OVERALL_TIMEOUT_MS = 120_000;

const args = parseArgs(process.argv.slice(2));
const modules = resolve(process.env.APP_VIEW_MODULES || join(here, "node_modules"));
const require = createRequire(join(modules, "_.js"));

// ---------------------------------------------------------------------------------------------
// Cleanup and the overall time bound
const cleanups = [];
let exiting = false;
async function cleanup() {
  while (cleanups.length) {
    try { await Promise.race([cleanups.pop()(), sleep(5000)]); } catch { /* best effort */ }
  }
}
async function exit(code) {
  if (exiting) return;
  exiting = true;
  await cleanup();
  process.exit(code);
}
setTimeout(() => {
  console.log(`app-view: overall timeout (${OVERALL_TIMEOUT_MS / 1000} s)`);
  console.log("0 passed, 1 failed");
  exit(1);
}, OVERALL_TIMEOUT_MS).unref();
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => exit(130));

main().catch(async (error) => {
  console.log(`app-view: ${error && error.stack ? error.stack : error}`);
  console.log("0 passed, 1 failed");
  await exit(1);
});

// ---------------------------------------------------------------------------------------------
async function main() {
  const media = mediaFiles();
  const servers = await startServers(media);
  const { context, userDataDir } =
    await startChromium(require, tmpdir(), "app-view-chromium-", { viewport: { width: 720, height: 520 }, deviceScaleFactor: 2 });
  cleanups.push(async () => rmSync(userDataDir, { recursive: true, force: true }));
  cleanups.push(() => context.close());
  context.setDefaultTimeout(10_000);

  const clip = await recordWebm(context).catch(() => null);
  if (clip) media["clip.webm"] = { type: "video/webm", body: clip };
  else console.log("note: this Chromium could not record a WebM clip; the video case checks the player only");

  const source = args.server ? await serverSource(servers, media) : fixtureSource(servers, media);
  cleanups.push(async () => source.close && source.close());
  const shots = args.screenshots ? resolve(args.screenshots) : args.server ? null : join(repo, "docs");
  if (shots) mkdirSync(shots, { recursive: true });

  const summary = { passed: 0, failed: 0, render: [] };
  for (const c of source.cases) {
    if (args.only && !c.name.includes(args.only)) continue;
    const started = Date.now();
    let outcome;
    try {
      const data = await c.run();
      outcome = await runCase(context, servers, source, { ...c, ...data }, shots, !!clip);
    } catch (error) {
      outcome = { problems: [`threw: ${error && error.message ? error.message : error}`] };
    }
    const took = ((Date.now() - started) / 1000).toFixed(1);
    if (outcome.problems.length === 0) {
      summary.passed++;
      summary.render.push(outcome.renderMs);
      console.log(`ok    ${c.name.padEnd(44)} render ${outcome.renderMs.toFixed(1)} ms (view ${outcome.viewMs} ms)  ${outcome.note || ""}  [${took} s]`);
    } else {
      summary.failed++;
      console.log(`FAIL  ${c.name.padEnd(44)} ${outcome.problems.join("; ")}  [${took} s]`);
      for (const line of (outcome.console || []).slice(0, 8)) console.log(`        console: ${line}`);
    }
  }
  const r = summary.render.sort((a, b) => a - b);
  if (r.length) console.log(`render after delivery: median ${r[Math.floor(r.length / 2)].toFixed(1)} ms, max ${r[r.length - 1].toFixed(1)} ms (budget ${RENDER_BUDGET_MS} ms); view ${Buffer.byteLength(source.html)} bytes`);
  console.log(`app-view: ${summary.passed} passed, ${summary.failed} failed`);
  await exit(summary.failed === 0 && summary.passed > 0 ? 0 : 1);
}

// ---------------------------------------------------------------------------------------------
// Loopback servers: the host page, the sandbox proxy (another origin, CSP from the resource's
// _meta.ui.csp in its header) and, in fixtures mode, the media.
async function startServers(media) {
  const esbuild = require("esbuild");
  const bundle = await esbuild.build({
    entryPoints: [join(here, "host/host-entry.mjs")],
    bundle: true, write: false, format: "iife", platform: "browser", target: "chrome110",
    minify: true, logLevel: "silent", nodePaths: [modules],
  });
  const hostJs = bundle.outputFiles[0].text;
  const hostHtml = readFileSync(join(here, "host/host.html"));
  const sandboxHtml = readFileSync(join(here, "host/sandbox.html"));
  const requests = [];

  const host = await listen((req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    if (path === "/" || path === "/host.html") return send(res, 200, "text/html; charset=utf-8", hostHtml);
    if (path === "/host.js") return send(res, 200, "text/javascript; charset=utf-8", hostJs);
    if (path === "/favicon.ico") return send(res, 204, "image/x-icon", "");
    send(res, 404, "text/plain", "not found");
  });
  const sandbox = await listen((req, res) => {
    const url = new URL(req.url, "http://x");
    if (url.pathname !== "/sandbox.html") return send(res, 404, "text/plain", "only the sandbox proxy is served here");
    let csp;
    try { csp = url.searchParams.has("csp") ? JSON.parse(url.searchParams.get("csp")) : undefined; } catch { csp = undefined; }
    send(res, 200, "text/html; charset=utf-8", sandboxHtml, { "Content-Security-Policy": cspHeader(csp), "Cache-Control": "no-store" });
  });
  const mediaServer = await listen((req, res) => {
    const name = decodeURIComponent(new URL(req.url, "http://x").pathname.replace(/^\/media\//, ""));
    requests.push(req.url);
    const file = media[name];
    if (!file) return send(res, 404, "text/plain", "no such file");
    send(res, 200, file.type, file.body, { "Cache-Control": "no-store" });
  });
  cleanups.push(() => Promise.all([host, sandbox, mediaServer].map((s) => new Promise((r) => { s.server.closeAllConnections?.(); s.server.close(r); }))));
  return { host: host.origin, sandbox: sandbox.origin, media: mediaServer.origin, mediaRequests: requests };
}

function listen(handler) {
  return new Promise((resolveListen, reject) => {
    const server = createServer(handler);
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => resolveListen({ server, origin: `http://127.0.0.1:${server.address().port}` }));
  });
}
function send(res, status, type, body, headers = {}) {
  res.writeHead(status, { "Content-Type": type, "Content-Length": Buffer.byteLength(body), ...headers });
  res.end(body);
}

// The CSP a host builds from _meta.ui.csp (SEP-1865, "Content Security Policy Enforcement"),
// and the restrictive default when the resource declares none.
function cspHeader(csp) {
  if (!csp || typeof csp !== "object") {
    return "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; media-src 'self' data:; connect-src 'none'; frame-src 'none'; object-src 'none'; base-uri 'self'";
  }
  const list = (v) => (Array.isArray(v) ? v.filter((s) => typeof s === "string" && /^[a-z][a-z0-9+.-]*:\/\/[^\s;,']+$/i.test(s)).join(" ") : "");
  const [r, c, f, b] = [list(csp.resourceDomains), list(csp.connectDomains), list(csp.frameDomains), list(csp.baseUriDomains)];
  return [
    "default-src 'none'",
    `script-src 'self' 'unsafe-inline' ${r}`,
    `style-src 'self' 'unsafe-inline' ${r}`,
    `connect-src 'self' ${c}`,
    `img-src 'self' data: ${r}`,
    `font-src 'self' ${r}`,
    `media-src 'self' data: ${r}`,
    `frame-src ${f || "'none'"}`,
    "object-src 'none'",
    `base-uri ${b || "'self'"}`,
  ].map((d) => d.trim()).join("; ");
}

// A short real WebM clip, recorded by Chromium itself from a canvas.
async function recordWebm(context) {
  const page = await context.newPage();
  try {
    const b64 = await page.evaluate(() => new Promise((resolveClip, reject) => {
      const canvas = Object.assign(document.createElement("canvas"), { width: 320, height: 180 });
      const g = canvas.getContext("2d");
      let frame = 0;
      const draw = () => {
        const grad = g.createLinearGradient(0, 0, 320, 180);
        grad.addColorStop(0, `hsl(${(frame * 6) % 360} 70% 45%)`);
        grad.addColorStop(1, `hsl(${(frame * 6 + 120) % 360} 70% 35%)`);
        g.fillStyle = grad; g.fillRect(0, 0, 320, 180);
        g.fillStyle = "#fff"; g.beginPath(); g.arc(40 + frame * 8, 90, 24, 0, 7); g.fill();
        frame++;
      };
      draw();
      const timer = setInterval(draw, 40);
      const recorder = new MediaRecorder(canvas.captureStream(25), { mimeType: "video/webm;codecs=vp8" });
      const parts = [];
      recorder.ondataavailable = (e) => e.data.size && parts.push(e.data);
      recorder.onerror = (e) => reject(e.error || new Error("recorder error"));
      recorder.onstop = () => {
        clearInterval(timer);
        const reader = new FileReader();
        reader.onload = () => resolveClip(String(reader.result).split(",")[1]);
        reader.readAsDataURL(new Blob(parts, { type: "video/webm" }));
      };
      recorder.start();
      setTimeout(() => recorder.stop(), 900);
      setTimeout(() => reject(new Error("recording timed out")), 5000);
    }));
    const body = Buffer.from(b64, "base64");
    return body.length > 100 ? body : null;
  } finally {
    await page.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Mode (a): the view from the repository, results from fixtures/*.json. The resource's _meta.ui
// is what fal-mcp declares, with the loopback media origin standing in for fal's CDN.
function fixtureSource(servers, media) {
  const dir = resolve(args.fixtures || join(here, "fixtures"));
  const html = readFileSync(args.view ? resolve(args.view) : join(repo, "src/ui/view.html"), "utf8");
  const files = readdirSync(dir).filter((f) => f.endsWith(".json")).sort();
  const cases = files.map((file) => {
    const text = readFileSync(join(dir, file), "utf8").replaceAll("{{MEDIA}}", servers.media);
    const c = JSON.parse(text);
    return {
      name: c.name || file,
      options: c,
      run: async () => ({ toolName: c.toolName, arguments: c.arguments, result: asToolResult(c.result, c.textOnly), expect: c.expect || {} }),
    };
  });
  // What the host answers the view's own tools/call: a following case's next results, in order.
  const answered = new Map();
  async function callTool(c, params) {
    const next = answered.get(c.name) || 0;
    answered.set(c.name, next + 1);
    const results = c.options.follow || [];
    return asToolResult(results[Math.min(next, results.length - 1)] || { isError: true, content: [{ type: "text", text: "no more" }] });
  }
  return {
    html,
    csp: { resourceDomains: [servers.media] },
    permissions: { clipboardWrite: {} },
    cases,
    callTool,
    mediaNames: Object.keys(media),
  };
}

// A result as fal-mcp sends it: the JSON text block mirrors structuredContent (or, with textOnly,
// only the text block is kept, to exercise the view's fallback).
function asToolResult(result, textOnly) {
  const r = { ...result };
  if (!r.content && r.structuredContent) r.content = [{ type: "text", text: JSON.stringify(r.structuredContent) }];
  if (textOnly) delete r.structuredContent;
  return r;
}

// ---------------------------------------------------------------------------------------------
// Mode (b): a running fal-mcp and its fake fal. The view comes from resources/read; every case
// calls the server's tools, after scripting the fake with POST {fake}/_fake/script.
async function serverSource(servers, media) {
  if (!args.key || !args.fake) throw new Error("--server needs --key <bearer> and --fake <fake base url>");
  const { Client } = require("@modelcontextprotocol/sdk/client/index.js");
  const { StreamableHTTPClientTransport } = require("@modelcontextprotocol/sdk/client/streamableHttp.js");
  const client = new Client(
    { name: "fal-mcp app-view harness", version: "1.0.0" },
    { capabilities: { extensions: { [EXT]: { mimeTypes: [MIME] } } } },
  );
  await client.connect(new StreamableHTTPClientTransport(new URL(args.server), {
    requestInit: { headers: { Authorization: `Bearer ${args.key}` } },
  }));
  const fake = args.fake.replace(/\/$/, "");

  const view = args.view ? { html: readFileSync(resolve(args.view), "utf8"), ui: null } : await serverView(client);

  async function call(name, toolArgs) {
    return client.callTool({ name, arguments: toolArgs });
  }
  function structured(result, what) {
    if (result.isError) throw new Error(`${what} failed: ${result.content && result.content[0] && result.content[0].text}`);
    return result.structuredContent;
  }
  async function script(endpoint, fields) {
    const response = await fetch(`${fake}/_fake/script`, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ endpoint_id: endpoint, queue_ms: 0, run_ms: 0, ...fields }),
    });
    if (!response.ok) throw new Error(`POST ${fake}/_fake/script answered ${response.status}`);
  }

  // The media the fake's outputs point at: uploaded through the server's own upload_file (the
  // fake keeps them on its CDN), or, with --media <base>, <base>/<file name>.
  const urls = {};
  for (const [name, file] of Object.entries(media)) {
    if (args.media) { urls[name] = `${args.media.replace(/\/$/, "")}/${name}`; continue; }
    const up = structured(await call("upload_file", { data: file.body.toString("base64"), file_name: name, content_type: file.type }), `upload_file ${name}`);
    urls[name] = up.cdn_url;
  }

  async function run(endpoint, input, output) {
    await script(endpoint, { output });
    const toolArgs = { endpoint_id: endpoint, input };
    return { toolName: "run_model", arguments: toolArgs, result: await call("run_model", toolArgs) };
  }
  async function pollUntil(endpoint, requestId, done, extra = {}) {
    const toolArgs = { endpoint_id: endpoint, request_id: requestId, ...extra };
    let result;
    for (let i = 0; i < 100; i++) {
      result = await call("check_job", toolArgs);
      if (done(result.structuredContent || {})) break;
      await sleep(50);
    }
    return { toolName: "check_job", arguments: toolArgs, result };
  }
  async function submit(endpoint, input) {
    return structured(await call("submit_job", { endpoint_id: endpoint, input }), `submit_job ${endpoint}`).request_id;
  }
  const H1 = '<img src=x onerror="window.__pwned=1">';
  const H2 = "<script>window.__pwned=1</script>";

  // One function per case: each returns {toolName, arguments, result, expect}.
  const cases = [
    { name: "image job", screenshot: false, run: async () => ({
      ...(await run("fal-ai/flux/dev", { prompt: "a red fox in fresh snow" },
        { images: [{ url: urls["fox.png"], content_type: "image/png" }], seed: 1, prompt: "a red fox in fresh snow" })),
      expect: { status: "COMPLETED", kinds: ["image"] } }) },
    { name: "3-image job", run: async () => ({
      ...(await run("fal-ai/flux/schnell", { prompt: "three tiles" }, {
        images: [1, 2, 3].map((n) => ({ url: urls[`tile-${n}.png`], content_type: "image/png", width: 256, height: 192 })), seed: 7 })),
      expect: { status: "COMPLETED", kinds: ["image", "image", "image"] } }) },
    { name: "video", run: async () => ({
      ...(await run("fal-ai/ltx-video", { prompt: "waves" }, { video: { url: urls["clip.webm"], content_type: "video/webm", file_name: "clip.webm" } })),
      expect: { status: "COMPLETED", kinds: ["video"] } }) },
    { name: "audio clip", run: async () => ({
      ...(await run("fal-ai/elevenlabs/sound-effects", { prompt: "a tone" }, { audio: { url: urls["tone.wav"], content_type: "audio/wav", file_name: "tone.wav" } })),
      expect: { status: "COMPLETED", kinds: ["audio"] } }) },
    { name: "3D model (GLB)", run: async () => ({
      ...(await run("fal-ai/hunyuan3d-v21/text-to-3d", { prompt: "a teapot" }, { model_mesh: { url: urls["mesh.glb"], content_type: "model/gltf-binary", file_name: "mesh.glb" } })),
      expect: { status: "COMPLETED", kinds: ["3d"] } }) },
    { name: "LLM text answer", run: async () => ({
      ...(await run("fal-ai/any-llm", { prompt: "capital of Japan?" }, { output: "Tokyo is the capital of Japan.\n\nIn short: Tokyo.", partial: false })),
      expect: { status: "COMPLETED", kinds: [], text: ["Tokyo is the capital of Japan.", "In short: Tokyo."] } }) },
    { name: "job in queue", run: async () => {
      await script("fal-ai/hidream-i1-full", { queue_ms: 60_000, run_ms: 1000 });
      const id = await submit("fal-ai/hidream-i1-full", { prompt: "later" });
      return { ...(await pollUntil("fal-ai/hidream-i1-full", id, () => true, { logs: true })), expect: { status: "IN_QUEUE", kinds: [] } };
    } },
    { name: "running job with a log line", run: async () => {
      await script("fal-ai/stable-diffusion-v35-large", { queue_ms: 0, run_ms: 4000 });
      const id = await submit("fal-ai/stable-diffusion-v35-large", { prompt: "slow" });
      return { ...(await pollUntil("fal-ai/stable-diffusion-v35-large", id, (s) => Array.isArray(s.logs) && s.logs.length > 0, { logs: true })),
        expect: { status: "IN_PROGRESS", kinds: [], logLine: true } };
    } },
    { name: "FAILED job (content policy)", run: async () => {
      await script("fal-ai/fast-sdxl", { error: true });
      const id = await submit("fal-ai/fast-sdxl", { prompt: "flagged" });
      return { ...(await pollUntil("fal-ai/fast-sdxl", id, (s) => s.status !== "IN_QUEUE" && s.status !== "IN_PROGRESS")),
        expect: { status: "FAILED", kinds: [], text: ["content_policy_violation"] } };
    } },
    { name: "a running job updates itself", follow: true, run: async () => {
      await script("fal-ai/flux/krea", { queue_ms: 0, run_ms: 2500, output: { images: [{ url: urls["fox.png"], content_type: "image/png" }] } });
      const id = await submit("fal-ai/flux/krea", { prompt: "wait for it" });
      return { ...(await pollUntil("fal-ai/flux/krea", id, () => true)), expect: { kinds: [], followsTo: { status: "COMPLETED", kinds: ["image"] } } };
    } },
    { name: "isError result (input refused)", run: async () => {
      const toolArgs = { endpoint_id: "fal-ai/flux/dev", input: {} };
      return { toolName: "run_model", arguments: toolArgs, result: await call("run_model", toolArgs), expect: { isError: true, kinds: [] } };
    } },
    { name: "hostile strings", run: async () => ({
      ...(await run("fal-ai/qwen-image", { prompt: H1 + H2 }, {
        text: `${H2} and ${H1}`, link: "javascript:window.__pwned=1",
        images: [{ url: urls["fox.png"], content_type: "image/png", file_name: `${H1}.png` }] })),
      expect: { status: "COMPLETED", kinds: ["image"], hostile: true, text: [`${H2} and ${H1}`] } }) },
  ];
  // With --view (while the server does not serve the view yet) the CSP allows the media's origins.
  const ui = view.ui || { csp: { resourceDomains: [...new Set(Object.values(urls).map((u) => new URL(u).origin))] }, permissions: { clipboardWrite: {} } };
  return {
    html: view.html,
    csp: ui.csp,
    permissions: ui.permissions,
    cases: cases.map((c) => ({ ...c, options: c.follow ? { follow: true } : {} })),
    callTool: (_, params) => client.callTool(params),
    close: () => client.close(),
  };
}

// What the server must declare for the view (SEP-1865): the extension in its capabilities, the
// same ui:// resourceUri on the job tools, and that resource as text/html;profile=mcp-app.
async function serverView(client) {
  const capabilities = client.getServerCapabilities() || {};
  if (!capabilities.extensions || typeof capabilities.extensions[EXT] !== "object") {
    throw new Error(`initialize: capabilities.extensions["${EXT}"] is missing (${JSON.stringify(capabilities)})`);
  }
  const { tools } = await client.listTools();
  const uris = new Set();
  for (const name of ["run_model", "submit_job", "check_job"]) {
    const tool = tools.find((t) => t.name === name);
    const uri = tool && tool._meta && tool._meta.ui && tool._meta.ui.resourceUri;
    if (typeof uri !== "string" || !uri.startsWith("ui://")) throw new Error(`tools/list: ${name} has no _meta.ui.resourceUri`);
    uris.add(uri);
  }
  if (uris.size !== 1) throw new Error(`tools/list: the job tools name different views: ${[...uris].join(", ")}`);
  // The view calls these itself, through the host, to follow a running job.
  for (const name of ["check_job", "get_job_result"]) {
    const tool = tools.find((t) => t.name === name);
    const visibility = tool && tool._meta && tool._meta.ui && tool._meta.ui.visibility;
    if (visibility !== undefined && !(Array.isArray(visibility) && visibility.includes("app"))) {
      throw new Error(`tools/list: the view cannot call ${name} (_meta.ui.visibility ${JSON.stringify(visibility)})`);
    }
  }
  const [uri] = uris;
  let listed;
  try {
    listed = (await client.listResources()).resources.find((r) => r.uri === uri);
  } catch { listed = undefined; }
  if (uri !== DEFAULT_URI) console.log(`note: the view's URI is ${uri}`);
  const read = await client.readResource({ uri });
  if (!read.contents || read.contents.length !== 1) throw new Error(`resources/read ${uri}: expected one content item`);
  const item = read.contents[0];
  if (item.uri !== uri) throw new Error(`resources/read ${uri}: the content's uri is ${item.uri}`);
  if (item.mimeType !== MIME) throw new Error(`resources/read ${uri}: mimeType ${item.mimeType}, expected ${MIME}`);
  if (listed && listed.mimeType !== MIME) throw new Error(`resources/list ${uri}: mimeType ${listed.mimeType}, expected ${MIME}`);
  const html = typeof item.text === "string" ? item.text : Buffer.from(item.blob || "", "base64").toString("utf8");
  const ui = (item._meta && item._meta.ui) || (listed && listed._meta && listed._meta.ui) || {};
  console.log(`view: ${uri}, ${html.length} bytes, _meta.ui ${JSON.stringify(ui)}`);
  return { html, ui };
}

// ---------------------------------------------------------------------------------------------
// One case in the browser.
async function runCase(context, servers, source, c, shotsDir, haveClip) {
  const problems = [];
  const check = (ok, message) => { if (!ok) problems.push(message); };
  const opts = c.options || {};
  const expect = c.expect || {};
  const page = await context.newPage();
  const consoleLines = [];
  const requests = [];
  page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") consoleLines.push(`${m.type()}: ${m.text()}`); });
  page.on("pageerror", (e) => consoleLines.push(`pageerror: ${e.message}`));
  page.on("request", (r) => requests.push({ url: r.url(), frame: r.frame() }));
  try {
    await page.emulateMedia({ colorScheme: opts.colorScheme || "light" });
    if (opts.follow) await page.exposeFunction("__callTool", (params) => source.callTool(c, params));
    await page.goto(`${servers.host}/host.html`);
    const hostTheme = opts.hostTheme === undefined ? "light" : opts.hostTheme;
    const hostContext = {
      displayMode: "inline", availableDisplayModes: ["inline"], platform: "web", locale: "en-US",
      containerDimensions: { maxHeight: 2000 }, ...(hostTheme ? { theme: hostTheme } : {}),
    };
    const mounted = await page.evaluate((m) => window.__host.mount(m), {
      html: source.html, csp: source.csp, permissions: opts.permissions !== undefined ? opts.permissions : source.permissions, sandboxUrl: `${servers.sandbox}/sandbox.html`, hostContext,
      serverTools: !!opts.follow, noDownload: !!opts.noDownload,
    });
    check(mounted.appInfo && typeof mounted.appInfo.name === "string", "ui/initialize carried no appInfo");
    const view = viewFrame(page, servers.sandbox);
    check(view, "no view frame inside the sandbox proxy");
    if (!view) return { problems, console: consoleLines };

    // Tool input: the view says what is running.
    await page.evaluate((a) => window.__host.input(a), c.arguments);
    await view.waitForFunction(() => Number(document.documentElement.getAttribute("data-renders")) >= 1);
    const runningText = await view.evaluate(() => document.body.innerText);
    const ep = c.arguments && c.arguments.endpoint_id;
    if (typeof ep === "string" && !expect.hostile) check(runningText.includes(ep), `tool input: "${ep}" not shown while running`);

    // Tool result, timed from the host posting it to the view's DOM being updated.
    await view.evaluate(() => {
      const root = document.documentElement;
      const before = root.getAttribute("data-renders");
      window.__renderedAt = 0;
      new MutationObserver((_, observer) => {
        if (root.getAttribute("data-renders") === before) return;
        window.__renderedAt = performance.timeOrigin + performance.now();
        observer.disconnect();
      }).observe(root, { attributes: true, attributeFilter: ["data-renders"] });
    });
    const sentAt = await page.evaluate((r) => window.__host.result(r), c.result);
    await view.waitForFunction(() => window.__renderedAt > 0);
    const renderedAt = await view.evaluate(() => window.__renderedAt);
    const renderMs = renderedAt - sentAt;
    const viewMs = await view.evaluate(() => document.documentElement.getAttribute("data-render-ms"));
    check(renderMs < RENDER_BUDGET_MS, `render took ${renderMs.toFixed(1)} ms (budget ${RENDER_BUDGET_MS} ms)`);

    const data = payload(c.result);
    const media = Array.isArray(data.media) ? data.media : [];
    const httpMedia = media.filter((m) => isHttp(m.url));
    // Let the media load before looking.
    await view.waitForFunction(() => [...document.images].every((i) => i.complete), null, { timeout: 8000 }).catch(() => {});
    await view.waitForFunction(() => [...document.querySelectorAll("video,audio")].every((m) => m.readyState >= 1 || m.error), null, { timeout: 8000 }).catch(() => {});
    const snap = await snapshot(view);

    await checkWhatIsShown(check, c, data, media, httpMedia, snap, haveClip);
    await checkSafety(check, page, view, servers, requests, snap, httpMedia);
    const followed = opts.follow ? await checkFollowing(check, page, view, c, data, haveClip) : null;

    // Theme: light by default; dark through ui/notifications/host-context-changed; the
    // system's preference when the host gives none. Screenshots before any click.
    const themes = opts.themes || [];
    const bg = async () => luminance(await view.evaluate(() => getComputedStyle(document.body).backgroundColor));
    if (opts.expectDark) check((await bg()) < 0.2, "no host theme and a dark system: the view is not dark");
    else if (hostTheme === "light") check((await bg()) > 0.6, "light host theme: the view is not light");
    const shots = opts.screenshots || {};
    if (shotsDir && args["shoot-all"]) await shoot(page, view, join(shotsDir, `case-${c.name.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}.png`));
    if (shotsDir && shots.light && hostTheme === "light") await shoot(page, view, join(shotsDir, shots.light));
    if (shotsDir && shots.dark && opts.expectDark) await shoot(page, view, join(shotsDir, shots.dark));
    if (themes.includes("dark")) {
      await page.evaluate(() => window.__host.theme("dark"));
      await view.waitForFunction(() => document.documentElement.getAttribute("data-theme") === "dark");
      check((await bg()) < 0.2, "host-context-changed theme dark: the view is not dark");
      if (shotsDir && shots.dark) await shoot(page, view, join(shotsDir, shots.dark));
    }

    const note = [followed, await checkInteractions(check, page, view, snap, httpMedia, !opts.noDownload)].filter(Boolean).join(", ");
    // A message that does not come from the view's parent (here: the host page posting straight
    // into the view's window, past the sandbox proxy) must be ignored.
    if (expect.hostile) {
      await page.evaluate(() => {
        const inner = document.querySelector("#slot iframe").contentWindow.frames[0];
        inner.postMessage({ jsonrpc: "2.0", method: "ui/notifications/tool-result", params: { structuredContent: { status: "FORGED", endpoint_id: "forged" } } }, "*");
      });
      await sleep(250);
      const status = await view.evaluate(() => document.querySelector(".badge").getAttribute("data-status"));
      check(status !== "FORGED", "the view rendered a tool-result that did not come from window.parent");
    }

    // Size reports reached the host, and teardown is answered.
    const sizes = await page.evaluate(() => window.__host.state.sizes);
    check(sizes.length > 0, "the view sent no ui/notifications/size-changed");
    check(Math.max(...sizes) <= INLINE_MAX_PX, `the view asked for ${Math.max(...sizes)} px inline (at most ${INLINE_MAX_PX})`);
    const teardown = await Promise.race([page.evaluate(() => window.__host.teardown().then(() => true)), sleep(3000).then(() => false)]);
    check(teardown, "ui/resource-teardown was not answered");
    return { problems, renderMs, viewMs, note, console: consoleLines };
  } finally {
    await page.close().catch(() => {});
  }
}

function viewFrame(page, sandboxOrigin) {
  const proxy = page.frames().find((f) => f.parentFrame() === page.mainFrame() && f.url().startsWith(sandboxOrigin));
  return proxy ? proxy.childFrames()[0] || null : null;
}

async function snapshot(view) {
  return view.evaluate(() => {
    const all = [...document.querySelectorAll("*")];
    return {
      text: document.body.innerText,
      status: document.querySelector(".badge") && document.querySelector(".badge").getAttribute("data-status"),
      imgs: [...document.images].map((i) => ({ src: i.getAttribute("src"), w: i.naturalWidth, h: i.naturalHeight })),
      players: [...document.querySelectorAll("video,audio")].map((m) => ({ tag: m.tagName.toLowerCase(), src: m.getAttribute("src"), controls: m.controls, ready: m.readyState, vw: m.videoWidth || 0, error: m.error ? m.error.code : 0 })),
      links: [...document.querySelectorAll("a")].map((a) => ({ href: a.getAttribute("href"), cls: a.className, target: a.target, rel: a.rel, download: a.getAttribute("download") })),
      cards: [...document.querySelectorAll("figure.media")].map((f) => ({
        kind: f.getAttribute("data-kind"), dims: (f.querySelector(".dims") || {}).textContent || "", ctype: (f.querySelector(".ctype") || {}).textContent || "",
        text: f.innerText })),
      scripts: document.scripts.length,
      tags: [...new Set(all.map((e) => e.tagName.toLowerCase()))],
      onAttrs: all.flatMap((e) => [...e.attributes].filter((a) => /^on/i.test(a.name)).map((a) => `${e.tagName}@${a.name}`)),
      urlAttrs: all.flatMap((e) => ["src", "href", "poster", "action", "formaction", "srcset", "data"].filter((n) => e.hasAttribute(n)).map((n) => e.getAttribute(n))),
      pwned: window.__pwned,
    };
  });
}

const norm = (s) => String(s).replace(/\s+/g, " ").trim();
const shows = (snap, s) => norm(snap.text).includes(norm(s));

async function checkWhatIsShown(check, c, data, media, httpMedia, snap, haveClip) {
  const expect = c.expect || {};
  const failed = c.result.isError === true || data.status === "FAILED" || (data.error && typeof data.error === "object");
  if (expect.isError !== undefined) check(!!c.result.isError === expect.isError, `expected isError ${expect.isError}, the result has ${!!c.result.isError}`);
  if (expect.status) check(data.status === expect.status, `expected status ${expect.status}, the result has ${data.status}`);
  if (expect.kinds) check(JSON.stringify(media.map((m) => m.kind)) === JSON.stringify(expect.kinds), `expected media ${JSON.stringify(expect.kinds)}, the result has ${JSON.stringify(media.map((m) => m.kind))}`);
  const wantStatus = data.status || (failed ? "ERROR" : "COMPLETED");
  check(snap.status === String(wantStatus), `badge shows ${snap.status}, expected ${wantStatus}`);
  check(snap.cards.length === media.length, `${snap.cards.length} file cards for ${media.length} media`);

  for (const m of httpMedia) {
    const url = new URL(m.url).href;
    const card = snap.cards[media.indexOf(m)] || { text: "" };
    if (m.content_type) check(card.ctype === m.content_type, `content type "${m.content_type}" not shown for ${m.url}`);
    const open = snap.links.find((l) => l.href === url && l.cls.includes("open"));
    check(open && open.target === "_blank" && /noopener/.test(open.rel) && /noreferrer/.test(open.rel), `no Open link (target=_blank rel=noopener noreferrer) for ${url}`);
    if (m.kind === "image") {
      const img = snap.imgs.find((i) => i.src === url);
      check(img && img.w > 0 && img.h > 0, `image did not load: ${url} (is it served, and its origin in the resource's csp.resourceDomains?)`);
      if (img && img.w > 0) {
        const want = m.width && m.height ? `${m.width}×${m.height}` : `${img.w}×${img.h}`;
        check(card.dims.startsWith(want), `image size shows "${card.dims}", expected ${want}`);
      }
    } else if (m.kind === "video" || m.kind === "audio") {
      const player = snap.players.find((p) => p.tag === m.kind && p.src === url);
      check(player && player.controls, `no <${m.kind} controls> with src ${url}`);
      if (player && (m.kind === "audio" || haveClip)) check(player.ready >= 1 && !player.error, `${m.kind} did not load its metadata: ${url}`);
      if (player && m.kind === "video" && haveClip) check(player.vw > 0, `video has no frame size: ${url}`);
    } else {
      const dl = snap.links.find((l) => l.href === url && l.cls.includes("dl"));
      check(dl && dl.download, `no download link for ${m.kind} ${url}`);
      const name = m.file_name || url.split("/").pop();
      check(card.text.includes(name), `file name "${name}" not shown`);
    }
  }
  for (const m of media.filter((x) => !isHttp(x.url))) {
    check(shows(snap, String(m.url)), `non-http URL not shown as text: ${m.url}`);
  }

  if (failed) {
    const e = data.error || {};
    if (e.message) check(shows(snap, e.message), `error message not shown: ${e.message}`);
    if (e.type) check(shows(snap, e.type), `error type not shown: ${e.type}`);
    if (!e.message) {
      const t = (c.result.content || []).find((b) => b.type === "text");
      if (t) check(shows(snap, t.text), "the failure's text is not shown");
    }
  }
  if (data.status === "IN_QUEUE" || data.status === "IN_PROGRESS") {
    if (typeof data.queue_position === "number") check(/Position \d+ in queue/.test(snap.text) && snap.text.includes(String(data.queue_position)), `queue position ${data.queue_position} not shown`);
    const logs = Array.isArray(data.logs) ? data.logs.filter((l) => l && l.message) : [];
    if (logs.length) check(shows(snap, logs[logs.length - 1].message), `latest log line not shown: ${logs[logs.length - 1].message}`);
    if (expect.logLine) check(logs.length > 0, "the running job has no log line");
  }
  const rid = data.request_id || (data.error && data.error.request_id);
  if (rid) check(shows(snap, rid), `request id not shown: ${rid}`);
  const est = data.estimate || {};
  if (typeof est.total_cost === "number") {
    const cost = "$" + Number(est.total_cost.toFixed(6));
    check(shows(snap, cost), `the result's cost ${cost} is not shown`);
  }
  check(!shows(snap, "call check_job"), "a person is shown the model-facing check_job instruction");
  for (const s of expect.text || []) check(shows(snap, s), `not shown: ${JSON.stringify(s)}`);
  const promptText = c.arguments && c.arguments.input && c.arguments.input.prompt;
  if (typeof promptText === "string") check(shows(snap, promptText), `prompt not shown: ${promptText}`);
}

async function checkSafety(check, page, view, servers, requests, snap, httpMedia) {
  const pwned = await Promise.all(page.frames().map((f) => f.evaluate(() => window.__pwned).catch(() => undefined)));
  check(pwned.every((p) => p === undefined), "window.__pwned was set");
  check(snap.scripts === 1, `the view holds ${snap.scripts} scripts (only its own expected)`);
  check(snap.onAttrs.length === 0, `event-handler attributes in the view: ${snap.onAttrs.join(", ")}`);
  const banned = snap.tags.filter((t) => ["iframe", "object", "embed", "base", "form", "frame", "svg", "math"].includes(t));
  check(banned.length === 0, `unexpected elements in the view: ${banned.join(", ")}`);
  const badUrls = snap.urlAttrs.filter((u) => !isHttp(u));
  check(badUrls.length === 0, `non-http(s) URLs in attributes: ${badUrls.join(", ")}`);
  const allowed = new Set(httpMedia.map((m) => new URL(m.url).href));
  const fromView = requests.filter((r) => r.frame === view).map((r) => r.url);
  if (process.env.APP_VIEW_DEBUG) console.log(`        view requests: ${fromView.join(", ") || "none"}`);
  const stray = fromView.filter((u) => !allowed.has(u));
  check(stray.length === 0, `the view requested more than its media: ${stray.join(", ")}`);
  const others = requests.filter((r) => r.frame !== view && !r.url.startsWith(servers.host) && !r.url.startsWith(servers.sandbox)).map((r) => r.url);
  check(others.length === 0, `unexpected requests: ${others.join(", ")}`);
}

// Open asks the host (ui/open-link), Download asks it too (ui/download-file), Copy URL copies or
// shows the URL selected.
async function checkInteractions(check, page, view, snap, httpMedia, offersDownload) {
  const notes = [];
  const first = httpMedia[0];
  if (!first) return "";
  const url = new URL(first.url).href;
  await view.locator("a.open").first().click();
  await page.waitForFunction((u) => window.__host.state.opened.includes(u), url, { timeout: 3000 }).catch(() => {});
  check(await page.evaluate((u) => window.__host.state.opened.includes(u), url), `Open did not send ui/open-link for ${url}`);
  const file = offersDownload ? first : httpMedia.find((m) => m.kind === "3d" || m.kind === "file");
  if (!offersDownload) {
    const plain = httpMedia.filter((m) => m.kind !== "3d" && m.kind !== "file").length;
    const links = snap.links.filter((l) => l.cls === "dl").length;
    check(links === httpMedia.length - plain, `a host without ui/download-file: ${links} Download links (Open and Copy URL are the way)`);
  }
  if (file) {
    const fileUrl = new URL(file.url).href;
    await view.locator("a.dl").first().click();
    await page.waitForFunction(() => window.__host.state.downloads.length > 0, null, { timeout: 3000 }).catch(() => {});
    const dl = await page.evaluate(() => window.__host.state.downloads[0]);
    const link = dl && dl.contents && dl.contents[0];
    check(link && link.type === "resource_link" && link.uri === fileUrl, `Download did not send ui/download-file with a resource_link to ${fileUrl}`);
    notes.push("download via host");
  }
  await view.locator("button.copy").first().click();
  await view.waitForFunction(() => /Copied|Ctrl\+C/.test(document.querySelector("button.copy").textContent), null, { timeout: 3000 }).catch(() => {});
  const copied = await view.evaluate(() => {
    const b = document.querySelector("button.copy");
    const field = document.querySelector("input.url");
    return { label: b.textContent, field: field ? field.value : null, selected: field ? field.selectionEnd - field.selectionStart : 0 };
  });
  const ok = copied.label === "Copied" || (copied.field === url && copied.selected === url.length);
  check(ok, `Copy URL neither copied nor showed the URL selected (${JSON.stringify(copied)})`);
  notes.push(copied.field ? "copy: URL shown selected" : "copy: clipboard");
  return `${httpMedia.length} file(s), ${notes.join(", ")}`;
}

// A queued or running job's card follows the job through the host: check_job for the same ids,
// each wait longer than the one before, until a final state, and not a call after it.
async function checkFollowing(check, page, view, c, data, haveClip) {
  const want = (c.expect && c.expect.followsTo) || {};
  const done = await view.waitForFunction((s) => {
    const b = document.querySelector(".badge");
    return b && b.getAttribute("data-status") === s;
  }, want.status || "COMPLETED", { timeout: 20_000 }).then(() => true, () => false);
  check(done, `the running card did not update itself to ${want.status || "COMPLETED"}`);
  if (!done) return null;
  await view.waitForFunction(() => [...document.images].every((i) => i.complete && i.naturalWidth > 0), null, { timeout: 5000 }).catch(() => {});
  const snap = await snapshot(view);
  if (want.kinds) check(JSON.stringify(snap.cards.map((k) => k.kind)) === JSON.stringify(want.kinds), `after following: cards ${JSON.stringify(snap.cards.map((k) => k.kind))}, expected ${JSON.stringify(want.kinds)}`);
  check(snap.imgs.every((i) => i.w > 0), "after following: an image did not load");
  const calls = await page.evaluate(() => window.__host.state.calls);
  const statusCalls = calls.filter((k) => k.name === "check_job");
  check(statusCalls.length >= 1, "the view never asked the host to call check_job");
  check(calls.every((k) => k.arguments && k.arguments.endpoint_id === data.endpoint_id && k.arguments.request_id === data.request_id),
    `the view's calls name other ids: ${JSON.stringify(calls.map((k) => k.arguments))}`);
  const gaps = statusCalls.slice(1).map((k, i) => k.at - statusCalls[i].at);
  check(gaps.every((g, i) => i === 0 || g > gaps[i - 1]), `the waits between checks do not grow: ${gaps.map((g) => g.toFixed(0)).join(", ")} ms`);
  await sleep(2500);
  const after = await page.evaluate(() => window.__host.state.calls.length);
  check(after === calls.length, `the view kept calling after a final state (${after - calls.length} more)`);
  return `followed in ${statusCalls.length} checks`;
}

async function shoot(page, view, path) {
  await view.waitForFunction(() => [...document.images].every((i) => i.complete), null, { timeout: 5000 }).catch(() => {});
  await page.waitForTimeout(400); // size-changed → iframe height, and the badge pulse settles
  await page.screenshot({ path, animations: "disabled" });
}

// ---------------------------------------------------------------------------------------------
function payload(result) {
  if (result.structuredContent && typeof result.structuredContent === "object") return result.structuredContent;
  const t = (result.content || []).find((b) => b && b.type === "text");
  let data;
  try { data = JSON.parse(t.text); } catch { return {}; }
  // fal-mcp's text leaves a job's files to its resource_link blocks.
  const links = (result.content || []).filter((b) => b && b.type === "resource_link");
  if (data && typeof data === "object" && !data.media && links.length) {
    data.media = links.map((l) => ({ url: l.uri, content_type: l.mimeType, kind: String(l.mimeType || "").split("/")[0] }));
  }
  return data;
}
function isHttp(u) {
  try { const p = new URL(u).protocol; return p === "http:" || p === "https:"; } catch { return false; }
}
function luminance(color) {
  const m = String(color).match(/[\d.]+/g);
  if (!m) return 0.5;
  const [r, g, b] = m.slice(0, 3).map(Number);
  return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
}
function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }
function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) throw new Error(`unexpected argument ${a}`);
    out[a.slice(2)] = argv[i + 1] && !argv[i + 1].startsWith("--") ? argv[++i] : true;
  }
  return out;
}
