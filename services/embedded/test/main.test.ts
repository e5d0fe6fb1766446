// `npm start` as a user runs it: the real main.ts in its own process.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { createApp, listen } from "@starlane/shared";

const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), "starlane-embedded-"));
// The generated operator token goes to a folder of its own here, never to the checkout's .starlane.
const secrets = mkdtempSync(join(tmpdir(), "starlane-embedded-secrets-"));
const tokenFile = join(secrets, "state", "operator-token");
const kekFile = join(secrets, "state", "key-encryption-key");
after(() => rmSync(secrets, { recursive: true, force: true }));
after(() => rmSync(dataDir, { recursive: true, force: true }));

function start(env: Record<string, string>) {
  const {
    DATABASE_URL: _d,
    REDIS_URL: _r,
    STARLANE_OPERATOR_TOKEN: _t,
    STARLANE_LOGIN_KEY_ENCRYPTION_KEY: _k,
    ...base
  } = process.env;
  const child = spawn(process.execPath, ["--conditions=starlane-source", "--import", "tsx", MAIN], {
    env: {
      ...base,
      STARLANE_FRONT_DOOR_PORT: "0",
      STARLANE_ZONE_PORT: "0",
      STARLANE_CHAT_PORT: "0",
      STARLANE_DATA_DIR: dataDir,
      STARLANE_OPERATOR_TOKEN_FILE: tokenFile,
      STARLANE_LOGIN_KEY_ENCRYPTION_KEY_FILE: kekFile,
      STARLANE_LOG_LEVEL: "warn",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

test("npm start with no Redis or PostgreSQL serves /healthz and stops cleanly on SIGTERM", async () => {
  const s = start({});
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /browser client\s+(http:\/\/\S+)\//.exec(s.out());
      if (m?.[1]) {
        clearInterval(timer);
        resolve(m[1]);
      }
    }, 50);
    s.exited.then((code) => reject(new Error(`exited ${code}: ${s.err()}`)));
  });
  const base = url.replace("localhost", "127.0.0.1");
  const health = await fetch(`${base}/healthz`);
  assert.equal(health.status, 200);

  // The operator token was generated for the owner's eyes only; the banner says where, not what.
  assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
  assert.equal(statSync(join(secrets, "state")).mode & 0o777, 0o700);
  const token = readFileSync(tokenFile, "utf8").trim();
  assert.ok(s.out().includes(`operator token   ${tokenFile} (new)`), s.out());
  assert.ok(!s.out().includes(token) && !s.err().includes(token), "the token itself is never printed");
  // So was the key that seals the signing keys at rest; the banner says where it is.
  assert.equal(statSync(kekFile).mode & 0o777, 0o600);
  const kek = readFileSync(kekFile, "utf8").trim();
  assert.match(kek, /^[A-Za-z0-9_-]{43}$/);
  assert.ok(s.out().includes(`key-encryption key in ${kekFile} (new`), s.out());
  assert.ok(!s.out().includes(kek) && !s.err().includes(kek), "the key itself is never printed");
  const rotate = (authorization: string) =>
    fetch(`${base}/v1/operator/keys/rotate`, { method: "POST", headers: { authorization } });
  assert.equal((await rotate(`Bearer ${token}`)).status, 200);
  assert.equal((await rotate("Bearer not-the-token-not-the-token-not-the-token")).status, 401);
  s.child.kill("SIGTERM");
  assert.equal(await s.exited, 0);
});

const oneLine = (text: string) => text.trim().split("\n").length === 1;

test("a malformed config value exits 1 with one line naming the setting", async () => {
  const s = start({ STARLANE_FRONT_DOOR_PORT: "eighty" });
  assert.equal(await s.exited, 1);
  assert.match(s.err(), /^starlane: config STARLANE_FRONT_DOOR_PORT: expected a whole number/);
  assert.ok(oneLine(s.err()), s.err());
});

test("a DATABASE_URL naming a missing database exits 1 with one line saying so", async () => {
  const s = start({ DATABASE_URL: "postgres://postgres@127.0.0.1:5432/starlane_no_such_db" });
  assert.equal(await s.exited, 1);
  assert.match(s.err(), /^starlane: PostgreSQL database "starlane_no_such_db" does not exist/);
  assert.ok(oneLine(s.err()), s.err());
});

test("a port already in use exits 1 with one line naming it", async () => {
  const taken = listen(createApp(), "127.0.0.1", 0);
  try {
    const s = start({ STARLANE_FRONT_DOOR_PORT: String(taken.port) });
    assert.equal(await s.exited, 1);
    assert.match(s.err(), new RegExp(`^starlane: cannot listen on 127\\.0\\.0\\.1:${taken.port}: the port is in use`));
    assert.ok(oneLine(s.err()), s.err());
  } finally {
    taken.close();
  }
});

test("an operator token file others may read stops npm start with one line naming it", async () => {
  const wide = join(secrets, "wide-token");
  writeFileSync(wide, `${"w".repeat(43)}\n`);
  chmodSync(wide, 0o644);
  const s = start({ STARLANE_OPERATOR_TOKEN_FILE: wide });
  assert.equal(await s.exited, 1);
  assert.match(
    s.err(),
    /^starlane: config STARLANE_OPERATOR_TOKEN_FILE: \S+wide-token may be read by other users \(mode 0644\)/,
  );
  assert.ok(oneLine(s.err()), s.err());
});
