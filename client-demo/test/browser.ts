// What the browser tests share: Debian's Chromium driven headless through playwright-core, a page
// that collects every problem it shows (page errors, console errors, HTTP errors), screenshots to
// the test output, and reading the page's HUD.
import { existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor as waitForEvery } from "@starlane/shared/testing";
import { type Browser, chromium, type Page } from "playwright-core";

const CHROMIUM = process.env.STARLANE_CHROMIUM ?? "/usr/bin/chromium";
export const PASSWORD = "correct horse battery";

/** Headless Chromium; fails (never skips) when it is not installed. */
export async function launchBrowser(): Promise<Browser> {
  // Fail, never skip: a missing browser must not turn a test green.
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: the browser test needs it. Install it with \`apt-get install -y chromium\` (Debian), or point STARLANE_CHROMIUM at a Chromium binary.`,
    );
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
}

/** A new page at `url`, with the problems it shows collected. */
export async function openPage(
  browser: Browser,
  url: string,
  viewport = { width: 1000, height: 700 },
): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport });
  const problems: string[] = [];
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  page.on("response", (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`);
  });
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console: ${m.text()}`);
  });
  await page.goto(url);
  return { page, problems };
}

/** The folder screenshots go to: $STARLANE_TEST_OUTPUT, or a temporary folder. */
export function testOutput(): string {
  const dir = process.env.STARLANE_TEST_OUTPUT ?? join(tmpdir(), "starlane-test-output");
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Writes the page (or one element of it) as a PNG to the test output and says where. */
export async function screenshot(
  t: { diagnostic(message: string): void },
  page: Page,
  name: string,
  selector?: string,
): Promise<string> {
  const path = join(testOutput(), `client-demo-${name}.png`);
  if (selector) await page.locator(selector).screenshot({ path });
  else await page.screenshot({ path });
  t.diagnostic(`screenshot: ${path}`);
  return path;
}

/** Polls what the page shows every 50 ms. */
export const waitFor = <T>(what: string, check: () => Promise<T | undefined | false>, ms = 5000) =>
  waitForEvery(what, check, ms, 50);

/** The text of the element with id `id`. */
export const text = async (page: Page, id: string) => (await page.locator(`#${id}`).textContent()) ?? "";

/** The position the HUD shows. */
export async function hudPosition(page: Page): Promise<{ x: number; y: number }> {
  const [x, y] = (await text(page, "hud-pos")).split(",").map(Number);
  return { x: x!, y: y! };
}

/** Fills the log-in form and presses `action`; resolves once the page flies. */
export async function enterAs(page: Page, name: string, action: "register" | "login", password = PASSWORD) {
  await page.fill("#name", name);
  await page.fill("#password", password);
  await page.click(`button[value=${action}]`);
  await page.waitForSelector("body[data-phase=flying]", { timeout: 20_000 }).catch(async (err) => {
    const said = [await text(page, "login-error"), await text(page, "status")].filter(Boolean).join(" / ");
    throw new Error(`${name} did not get to fly (the page says: ${said || "nothing"}): ${err.message}`);
  });
}
