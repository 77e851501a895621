// Headless Chromium (Debian's, never a downloaded build) through playwright-core, and the person
// at the keyboard on fal-mcp's sign-in page: look at the page, type a key, press a button, and
// follow wherever the server sends the browser.
import { rmSync } from "node:fs";
import { startChromium } from "../../lib/chromium.mjs";

const NAV_TIMEOUT_MS = 15_000;

export class Check extends Error {}
export function check(condition, message) {
  if (!condition) throw new Check(message);
}

/** Launches Chromium with a fresh user-data-dir under `scratch`; returns { context, close }. */
export async function launchChromium(require, scratch) {
  const { context, userDataDir } = await startChromium(require, scratch, "chromium-profile-", {
    viewport: { width: 720, height: 640 },
    colorScheme: "light",
  });
  context.setDefaultTimeout(NAV_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(NAV_TIMEOUT_MS);
  // Nothing but loopback: a request anywhere else is aborted and remembered (the page links to
  // fal.ai/dashboard/keys, which is fine as a link but must never be fetched here).
  const offLoopback = [];
  await context.route(/.*/, (route) => {
    const url = new URL(route.request().url());
    if (["127.0.0.1", "localhost", "[::1]"].includes(url.hostname) || url.protocol === "data:") return route.continue();
    offLoopback.push(url.href);
    return route.abort();
  });
  return {
    context,
    offLoopback,
    close: async () => {
      await context.close().catch(() => {});
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** What a browser does when told to open a URL: a new tab, navigated there. */
export async function openPage(context, url) {
  const page = await context.newPage();
  const response = await page.goto(String(url), { waitUntil: "load" });
  return { page, response };
}

/** Checks the sign-in page as a person sees it: who asks, an empty password field, two buttons. */
export async function checkSignInPage(page, response, { clientName }) {
  check(response, "no response for the authorization URL");
  const body = async () => ((await page.textContent("body").catch(() => "")) || "").trim().slice(0, 300);
  check(response.status() === 200, `GET /authorize answered ${response.status()}: ${await body()}`);
  check(/text\/html/.test(response.headers()["content-type"] || ""), `GET /authorize is not HTML: ${response.headers()["content-type"]}`);
  const title = await page.title();
  const heading = ((await page.textContent("h1").catch(() => "")) || "").trim();
  check(/fal/i.test(title), `the page title ${JSON.stringify(title)} does not mention fal`);
  check(heading.includes(clientName) || title.includes(clientName),
    `neither the title ${JSON.stringify(title)} nor the heading ${JSON.stringify(heading)} names the client ${JSON.stringify(clientName)}`);
  check(await page.locator("h1").isVisible(), "the heading is not visible");
  await expectEmptyKeyField(page);
  check(await page.locator('form[method="post" i] input[type="hidden"][name="request"]').count() === 1, "the POST form has no hidden request field");
  const action = await page.locator("form").getAttribute("action");
  check(action === "/authorize", `the form posts to ${action}, not /authorize`);
  for (const [value, text] of [["connect", "Connect"], ["cancel", "Cancel"]]) {
    const button = page.locator(`form button[name="action"][value="${value}"]`);
    check(await button.count() === 1, `no ${text} button (name=action value=${value})`);
    check(await button.isVisible(), `the ${text} button is not visible`);
    const label = ((await button.textContent()) || "").trim();
    check(label === text, `the ${value} button reads ${JSON.stringify(label)}`);
  }
  return { title, heading };
}

export async function expectEmptyKeyField(page) {
  const field = page.locator('input[name="fal_key"]');
  check(await field.count() === 1, "no fal_key input on the page");
  check(await field.isVisible(), "the key field is not visible");
  check(await field.getAttribute("type") === "password", `the key field is of type ${await field.getAttribute("type")}, not password`);
  check(await field.getAttribute("id") === "key", "the key field's id is not 'key'");
  check(await field.inputValue() === "", "the key field is not empty");
  const label = await page.locator('label[for="key"]').count();
  check(label === 1, "the key field has no <label for=key>");
}

/**
 * Types `key`, then either clicks the button `action` ("connect" or "cancel") or, with
 * how: "enter", presses Enter in the key field as people do; waits for the answer to the
 * POST /authorize. Returns { post, finalUrl, sentAction }: post is the POST's own response (a 303
 * when the server redirects), finalUrl where the browser ended up after following it, sentAction
 * the action the browser submitted.
 */
export async function submit(page, { key, action, how = "click" }) {
  if (key !== undefined) await page.fill('input[name="fal_key"]', key);
  const posted = page.waitForRequest((r) => r.method() === "POST" && new URL(r.url()).pathname === "/authorize");
  const navigated = page.waitForNavigation({ waitUntil: "load" });
  if (how === "enter") await page.press('input[name="fal_key"]', "Enter");
  else await page.click(`form button[name="action"][value="${action}"]`);
  const request = await posted;
  await navigated;
  // A followed redirect shows as the POST's response; otherwise the POST's response is the page.
  const post = await request.response();
  const sentAction = new URLSearchParams(request.postData() || "").get("action");
  return { post, finalUrl: new URL(page.url()), sentAction };
}

/** The whole sign-in with a key fal accepts: Connect, and the browser follows the 303 to the callback. */
export async function connectWithKey(page, { key, callbackPrefix, how = "click" }) {
  const { post, finalUrl, sentAction } = await submit(page, { key, action: "connect", how });
  check(sentAction === "connect", `the browser submitted action=${sentAction}, not connect`);
  check(post, "no response to the POST /authorize");
  check(post.status() === 303, `POST /authorize answered ${post.status()}, not 303: ${(await page.textContent("body").catch(() => ""))?.slice(0, 300)}`);
  const location = post.headers()["location"];
  check(location && location.startsWith(callbackPrefix), `the 303 goes to ${location}, not ${callbackPrefix}`);
  check(finalUrl.href.startsWith(callbackPrefix), `the browser ended at ${finalUrl.href}, not at the callback ${callbackPrefix}`);
  return { finalUrl, location };
}

/** Cancel: the server sends the browser back to the client with error=access_denied. */
export async function cancel(page, { callbackPrefix }) {
  const { post, finalUrl, sentAction } = await submit(page, { action: "cancel" });
  check(sentAction === "cancel", `the browser submitted action=${sentAction}, not cancel`);
  check(post && post.status() === 303, `POST /authorize (cancel) answered ${post && post.status()}, not 303`);
  check(finalUrl.href.startsWith(callbackPrefix), `the browser ended at ${finalUrl.href}, not at the callback ${callbackPrefix}`);
  return { finalUrl };
}
