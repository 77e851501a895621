// Debian's Chromium (never a downloaded build), headless through playwright-core, as every
// browser-driven interop test launches it (tests/interop/lib/browser-setup.sh installs the pin).
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";

const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/**
 * Launches Chromium with a fresh profile directory made under `parent` (named `prefix…`);
 * `options` (viewport, colorScheme) are playwright's. Returns { context, userDataDir }; the
 * caller closes the context and removes the directory (removed here when the launch fails).
 */
export async function startChromium(require, parent, prefix, options) {
  const { chromium } = require("playwright-core");
  const userDataDir = mkdtempSync(join(parent, prefix));
  try {
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      deviceScaleFactor: 1,
      timeout: 30_000,
      ...options,
    });
    return { context, userDataDir };
  } catch (error) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw error;
  }
}
