// The front door's page files: security headers on every answer, nothing outside the folder, and a
// page with no inline script or style for its Content-Security-Policy to forbid.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { createApp, type Listening, listen, mountStatic, PAGE_SECURITY_HEADERS } from "@starlane/shared";

const PAGES = ["index.html", "operator/map.html"].map((p) =>
  fileURLToPath(new URL(`../../../client-demo/public/${p}`, import.meta.url)),
);
let dir: string;
let listening: Listening;
let base: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), "starlane-static-"));
  writeFileSync(join(dir, "index.html"), "<!doctype html><title>t</title>");
  writeFileSync(join(dir, "app.js"), "export {};");
  const app = createApp();
  mountStatic(app, dir);
  listening = listen(app, "127.0.0.1", 0);
  base = `http://127.0.0.1:${listening.port}`;
});

after(() => {
  listening.close();
  rmSync(dir, { recursive: true, force: true });
});

test("every answer carries the page's security headers: CSP with no inline script, nosniff, a strict Referrer-Policy", async () => {
  for (const [path, status] of [
    ["/", 200],
    ["/app.js", 200],
    ["/missing.js", 404],
    ["/%2e%2e/%2e%2e/etc/passwd", 404],
  ] as const) {
    const res = await fetch(`${base}${path}`);
    assert.equal(res.status, status, path);
    for (const [k, v] of Object.entries(PAGE_SECURITY_HEADERS)) assert.equal(res.headers.get(k), v, `${path} ${k}`);
  }
  const csp = PAGE_SECURITY_HEADERS["content-security-policy"];
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.equal(PAGE_SECURITY_HEADERS["x-content-type-options"], "nosniff");
  assert.equal(PAGE_SECURITY_HEADERS["referrer-policy"], "no-referrer");
});

test("the browser client's pages have no inline script, event handler or style for the policy to block", () => {
  for (const page of PAGES) {
    const html = readFileSync(page, "utf8");
    for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
      assert.match(m[1] ?? "", /\bsrc=/, "every script is a file");
      assert.equal((m[2] ?? "").trim(), "", "no inline script body");
    }
    assert.doesNotMatch(html, /\son[a-z]+\s*=/i, "no inline event handlers");
    assert.doesNotMatch(html, /<style\b|\sstyle\s*=/i, "no inline styles");
  }
});
