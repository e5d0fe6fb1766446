// Start-up: two instances booting at once on an empty database, and the standalone process
// (cluster mode) started, used and stopped with SIGTERM like an operator would.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { loadMigrations } from "@starlane/shared";
import { TEST_REDIS_URL, testRedisPrefix } from "@starlane/shared/testing";
import { call, databaseFixture, type Fixture, OPERATOR_TOKEN, startLogin, TEST_KEY_ENCRYPTION_KEY } from "./helpers.js";

let fx: Fixture;
before(async () => {
  fx = await databaseFixture();
});
after(() => fx.close());

const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../../..", import.meta.url));

test("two instances starting at once on an empty database migrate once and share one key set", async () => {
  const [a, b] = await Promise.all([startLogin(fx.pool), startLogin(fx.pool)]);
  try {
    const [ja, jb] = await Promise.all([
      call(a.base, "GET", "/.well-known/jwks.json"),
      call(b.base, "GET", "/.well-known/jwks.json"),
    ]);
    assert.equal(ja.body.keys.length, 2); // current and next
    assert.deepEqual(ja.body, jb.body);
    const { rows } = await fx.pool.query(
      "SELECT version FROM schema_migrations WHERE component = 'login' ORDER BY version",
    );
    // Each of login's migrations recorded exactly once.
    assert.deepEqual(
      rows.map((r) => r.version),
      loadMigrations(fileURLToPath(new URL("../migrations", import.meta.url))).map((m) => m.version),
    );
    // Registered on one, logged in on the other.
    assert.equal((await call(a.base, "POST", "/v1/accounts", { name: "Twin", password: "correct horse" })).status, 201);
    assert.equal((await call(b.base, "POST", "/v1/sessions", { name: "twin", password: "correct horse" })).status, 200);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

function startMain(env: Record<string, string>) {
  const child = spawn(process.execPath, ["--conditions=starlane-source", "--import", "tsx", MAIN], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", STARLANE_LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  return { child, stderr: () => stderr };
}

test("standalone with DATABASE_URL and REDIS_URL: serves, then exits 0 on SIGTERM", async () => {
  const { child } = startMain({
    DATABASE_URL: fx.database.url,
    REDIS_URL: TEST_REDIS_URL,
    STARLANE_KEY_PREFIX: testRedisPrefix(),
    STARLANE_LOGIN_PORT: "0",
    STARLANE_LOGIN_ARGON2_MEMORY_KIB: "4096",
    STARLANE_OPERATOR_TOKEN: OPERATOR_TOKEN,
    STARLANE_LOGIN_KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY,
  });
  try {
    let port = 0;
    for await (const line of createInterface({ input: child.stdout })) {
      const entry = JSON.parse(line);
      if (entry.msg === "login is up") {
        assert.equal(entry.rateLimits, "redis");
        port = entry.port;
        break;
      }
    }
    assert.ok(port > 0);
    const base = `http://127.0.0.1:${port}`;
    assert.equal((await call(base, "GET", "/readyz")).status, 200);
    assert.equal(
      (await call(base, "POST", "/v1/accounts", { name: "Standalone", password: "correct horse" })).status,
      201,
    );
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    const [code] = await exited;
    assert.equal(code, 0);
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
  }
});

test("standalone without DATABASE_URL stops at once with one line naming the setting", async () => {
  const { child, stderr } = startMain({});
  const [code] = await once(child, "exit");
  assert.equal(code, 1);
  assert.equal(stderr().trim(), "starlane-login: config DATABASE_URL: required when login runs on its own");
});

test("standalone without STARLANE_OPERATOR_TOKEN stops at once, naming it and its minimum length", async () => {
  const { child, stderr } = startMain({ DATABASE_URL: fx.database.url, STARLANE_LOGIN_PORT: "0" });
  const [code] = await once(child, "exit");
  assert.equal(code, 1);
  assert.match(
    stderr().trim(),
    /^starlane-login: config STARLANE_OPERATOR_TOKEN: required when login runs on its own \(it guards the \/v1\/operator routes\); at least 32 characters/,
  );
  assert.equal(stderr().trim().split("\n").length, 1);
});

test("standalone without a key-encryption key stops at once, naming both ways to give one", async () => {
  const { child, stderr } = startMain({
    DATABASE_URL: fx.database.url,
    STARLANE_LOGIN_PORT: "0",
    STARLANE_OPERATOR_TOKEN: OPERATOR_TOKEN,
  });
  const [code] = await once(child, "exit");
  assert.equal(code, 1);
  assert.match(
    stderr().trim(),
    /^starlane-login: config STARLANE_LOGIN_KEY_ENCRYPTION_KEY: required when login runs on its own \(it seals the signing keys at rest\), or STARLANE_LOGIN_KEY_ENCRYPTION_KEY_FILE/,
  );
  assert.equal(stderr().trim().split("\n").length, 1);
});

test("standalone with a short STARLANE_OPERATOR_TOKEN stops at once, naming it", async () => {
  const { child, stderr } = startMain({
    DATABASE_URL: fx.database.url,
    STARLANE_LOGIN_PORT: "0",
    STARLANE_OPERATOR_TOKEN: "hunter2",
  });
  const [code] = await once(child, "exit");
  assert.equal(code, 1);
  assert.equal(
    stderr().trim(),
    "starlane-login: config STARLANE_OPERATOR_TOKEN: must be at least 32 characters, got 7",
  );
});
