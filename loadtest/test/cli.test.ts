// The CLI as a person runs it: bad targets and interruptions still end with a summary, and the
// exit code says whether the run met its thresholds.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";

const CLI = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "starlane-loadtest-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], { interruptAfterMs }: { interruptAfterMs?: number } = {}) {
  // No operator credential here, whatever the environment or the checkout's .starlane holds.
  const { STARLANE_OPERATOR_TOKEN: _t, ...env } = process.env;
  const child = spawn(process.execPath, ["--conditions=starlane-source", "--import", "tsx", CLI, ...args], {
    env: { ...env, STARLANE_OPERATOR_TOKEN_FILE: join(dir, "no-operator-token") },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => {
    err += d;
    // Interrupt once the run is under way (the live line has started).
    if (interruptAfterMs !== undefined && /loadtest: \d+ bots/.test(err) && !child.killed) {
      setTimeout(() => child.kill("SIGINT"), interruptAfterMs);
      interruptAfterMs = undefined;
    }
  });
  return new Promise<{ code: number | null; out: string; err: string }>((resolve) =>
    child.on("exit", (code) => resolve({ code, out, err })),
  );
}

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

test("a target nobody listens on: summary with the connection error per bot, JSON written, exit 1", async () => {
  const json = join(dir, "refused.json");
  const html = join(dir, "refused.html");
  const port = await closedPort();
  const r = await run([
    "--target",
    `http://127.0.0.1:${port}`,
    "--bots",
    "3",
    "--duration",
    "1",
    "--ramp",
    "0",
    "--json",
    json,
    "--html",
    html,
  ]);
  assert.equal(r.code, 1, r.err);
  assert.match(r.out, /bots joined \/ asked\s+0 \/ 3/);
  assert.match(r.out, /HTTP_UNREACHABLE_ECONNREFUSED\s+3/);
  assert.match(r.out, /FAILED: no bot joined/);
  // Without an operator credential the bots fall back to public registration, and it is said once.
  assert.equal(r.err.match(/bots register through the public API/g)?.length, 1, r.err);
  assert.ok(r.err.includes(`no --operator-token, STARLANE_OPERATOR_TOKEN or ${join(dir, "no-operator-token")}`), r.err);
  const s = JSON.parse(readFileSync(json, "utf8"));
  assert.equal(s.bots, 3);
  assert.equal(s.joined, 0);
  assert.equal(s.errors, 3);
  assert.equal(s.rttMs.p99, null);
  assert.match(readFileSync(html, "utf8"), /<svg/);
});

test("Ctrl-C during a run ends it early with a summary of what was measured", async () => {
  const port = await closedPort();
  const started = Date.now();
  const r = await run(["--target", `http://127.0.0.1:${port}`, "--bots", "2", "--duration", "60", "--ramp", "0"], {
    interruptAfterMs: 500,
  });
  assert.ok(Date.now() - started < 30_000, "stopped long before the 60 s duration");
  assert.match(r.err, /interrupted, summarising/);
  assert.match(r.out, /bots joined \/ asked\s+0 \/ 2 \(interrupted\)/);
  assert.equal(r.code, 1);
});

test("bad arguments exit 2 with one line saying which", async () => {
  const r = await run(["--target", "localhost:8080"]);
  assert.equal(r.code, 2);
  assert.match(r.err, /^loadtest: --target must be an http:\/\/ URL/);
  const s = await run(["--target", "http://127.0.0.1:8080", "--scenario", "dance"]);
  assert.equal(s.code, 2);
  assert.match(s.err, /--scenario must be one of roam, crowd, border, chat/);
});

test("npm run fuzz: an unknown option or a missing one exits 2 with a usage line, not a stack trace", async () => {
  const FUZZ = fileURLToPath(new URL("../src/fuzz.ts", import.meta.url));
  for (const [args, why] of [
    [["--help"], /^fuzz: Unknown option '--help'/],
    [[], /^fuzz: --target is required/],
  ] as const) {
    const child = spawn(process.execPath, ["--conditions=starlane-source", "--import", "tsx", FUZZ, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    const code = await new Promise((r) => child.on("exit", r));
    assert.equal(code, 2, err);
    assert.match(err, why);
    assert.match(err, /\nusage: npm run fuzz/);
    assert.doesNotMatch(err, /\n\s+at /, "no stack trace");
  }
});
