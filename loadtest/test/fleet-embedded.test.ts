// A small fleet against the real `npm start` (services/embedded/src/main.ts in its own process, port
// 0, a temporary data dir): register, log in, world entry, fly. The JSON summary must be consistent.
// Scrypt cost and the per-IP limits are lowered for the test (all bots come from 127.0.0.1). Then
// accounts from the operator API with an accounts file, twice, and the CLI finding the credential
// `npm start` generated.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { regionBounds, regionOf } from "@starlane/shared";
import { runFleet, type Scenario } from "../src/index.js";
import { chat } from "../src/scenarios/chat.js";
import { steerTo } from "../src/scenarios/steer.js";

const MAIN = fileURLToPath(new URL("../../services/embedded/src/main.ts", import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), "starlane-loadtest-embedded-"));
const scratch = mkdtempSync(join(tmpdir(), "starlane-loadtest-scratch-"));
const tokenFile = join(scratch, "operator-token");
let child: ChildProcess;
let target: string;
let serverErr = "";
const why = (s: { errorsByCode: object; perBot: { lastError: string | null }[] }) =>
  `${JSON.stringify(s.errorsByCode)} ${JSON.stringify(s.perBot.map((b) => b.lastError).filter(Boolean))}\nserver: ${serverErr.slice(-2000)}`;

before(async () => {
  const { DATABASE_URL: _d, REDIS_URL: _r, STARLANE_OPERATOR_TOKEN: _t, ...base } = process.env;
  child = spawn(process.execPath, ["--conditions=starlane-source", "--import", "tsx", MAIN], {
    env: {
      ...base,
      STARLANE_FRONT_DOOR_PORT: "0",
      STARLANE_ZONE_PORT: "0",
      STARLANE_CHAT_PORT: "0",
      // Registered bots carry no load-test claim: chat's per-address cap would refuse them all from 127.0.0.1.
      STARLANE_CHAT_MAX_CONNECTIONS_PER_IP: "0",
      STARLANE_CHAT_UPGRADES_PER_IP_PER_S: "0",
      STARLANE_DATA_DIR: dataDir,
      STARLANE_OPERATOR_TOKEN_FILE: tokenFile,
      STARLANE_LOGIN_KEY_ENCRYPTION_KEY_FILE: join(scratch, "key-encryption-key"),
      STARLANE_LOG_LEVEL: "warn",
      STARLANE_LOGIN_ARGON2_MEMORY_KIB: "4096",
      STARLANE_LOGIN_RATE_REGISTER_PER_IP: "1000",
      STARLANE_LOGIN_RATE_LOGIN_PER_IP: "1000",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d) => {
    out += d;
    serverErr += d;
  });
  child.stderr!.on("data", (d) => (serverErr += d));
  target = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /browser client\s+(http:\/\/\S+)\//.exec(out);
      if (m?.[1]) {
        clearInterval(timer);
        resolve(m[1].replace("localhost", "127.0.0.1"));
      }
    }, 50);
    child.once("exit", (code) => reject(new Error(`npm start exited ${code}: ${serverErr}`)));
  });
});

after(async () => {
  if (child && child.exitCode === null) {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  }
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

// Each bot circles near where it spawned, inside its own region (no border crossings: this test
// checks the figures of a healthy run, not handoff).
const hover: Scenario = {
  name: "hover",
  description: "circle inside the spawn region",
  directRoom: () => "region-0-0",
  brain: (ctx) => {
    let home: { x: number; y: number } | null = null;
    let k = 0;
    return {
      control(view) {
        const me = view.me;
        if (me && !home) {
          const b = regionBounds(ctx.world, regionOf(ctx.world, me.x, me.y));
          home = {
            x: Math.min(b.maxX - 400, Math.max(b.minX + 400, me.x)),
            y: Math.min(b.maxY - 400, Math.max(b.minY + 400, me.y)),
          };
        }
        if (!home) return { thrust: 0, turn: 0, fire: false };
        k++;
        return steerTo(me, home.x + 200 * Math.cos(k / 10), home.y + 200 * Math.sin(k / 10));
      },
    };
  },
};

test("four bots through login and world entry: all join, no input lost, latencies positive and finite", async () => {
  const s = await runFleet({
    entry: { kind: "login", target, namePrefix: "ltest", password: "loadtest-password" },
    scenario: hover,
    bots: 4,
    durationS: 4,
    // Ramped, not all at once: with the embedded PostgreSQL, concurrent registrations and world
    // entries currently fail now and then (500s, see the loadtest README), which this test is not about.
    rampPerS: 2,
    metricsUrls: [`${target}/metrics`],
  });
  assert.equal(s.joined, 4, why(s));
  assert.equal(s.errors, 0, why(s));
  assert.equal(s.inputsLost, 0);
  assert.equal(s.inputsDuplicated, 0);
  for (const [name, v] of [
    ["join p50", s.joinMs.p50],
    ["rtt p50", s.rttMs.p50],
    ["rtt p99", s.rttMs.p99],
  ] as const) {
    assert.ok(v !== null && Number.isFinite(v) && v > 0, `${name} = ${v}`);
  }
  assert.ok(s.bytesPerBotPerS !== null && s.bytesPerBotPerS > 0);

  // Same names again: the accounts exist, so the bots log in instead of registering.
  const again = await runFleet({
    entry: { kind: "login", target, namePrefix: "ltest", password: "loadtest-password" },
    scenario: hover,
    bots: 2,
    durationS: 1,
    rampPerS: 2,
  });
  assert.equal(again.joined, 2, why(again));
  assert.equal(again.errors, 0, why(again));
});

test("the chat scenario against npm start: messages counted by tag, none twice, none missing", async () => {
  const s = await runFleet({
    entry: { kind: "login", target, namePrefix: "lchat", password: "loadtest-password" },
    scenario: chat,
    bots: 5,
    durationS: 12,
    rampPerS: 2,
  });
  assert.equal(s.joined, 5, why(s));
  assert.ok(s.chat, "a chat object in the summary");
  const chatErrors = Object.keys(s.errorsByCode).filter((c) => c.startsWith("CHAT") || c.includes("_CHAT_"));
  assert.deepEqual(chatErrors, [], why(s));
  assert.ok(s.chat.sent > 0, `sent ${s.chat.sent}`);
  assert.equal(s.chat.duplicates, 0);
  assert.equal(s.chat.missing, 0);
  // Every bot is a listener: each message reaches its sender and the others connected.
  assert.ok(s.chat.delivered >= s.chat.sent, `${s.chat.delivered} delivered of ${s.chat.sent}`);
  assert.ok(s.chat.deliveryMs.p50 !== null && s.chat.deliveryMs.p50 >= 0);
});

/** The login API's answers so far on `route` with `code` (from the front door's /metrics). */
async function answered(route: string, code = "ok"): Promise<number> {
  const text = await (await fetch(`${target}/metrics`)).text();
  // Labels in any order (the registry adds its own `service` label).
  const line = text
    .split("\n")
    .find(
      (l) =>
        l.startsWith("starlane_login_answers_total{") && l.includes(`route="${route}"`) && l.includes(`code="${code}"`),
    );
  return line ? Number(line.split(" ").pop()) : 0;
}

const COUNTED = ["POST /v1/accounts", "POST /v1/sessions", "POST /v1/operator/accounts", "POST /v1/sessions/refresh"];
const counts = async () => Object.fromEntries(await Promise.all(COUNTED.map(async (r) => [r, await answered(r)])));
const readAccounts = (path: string) =>
  JSON.parse(readFileSync(path, "utf8")) as {
    target: string;
    accounts: { name: string; accountId: string; refreshToken: string }[];
  };

test("an accounts file: the first run provisions through the operator API, the second renews the same accounts and makes none", async () => {
  const operatorToken = readFileSync(tokenFile, "utf8").trim();
  const file = join(scratch, "accounts.json");
  const entry = { kind: "login", target, namePrefix: "acct", operatorToken, accountsFile: file } as const;
  const c0 = await counts();

  const first = await runFleet({ entry, scenario: hover, bots: 3, durationS: 1, rampPerS: 2 });
  assert.equal(first.joined, 3, why(first));
  assert.equal(first.errors, 0, why(first));
  assert.ok(
    first.notes.includes(
      "accounts: 0 renewed from the accounts file, 3 from the operator API, 0 through public registration",
    ),
    first.notes.join("; "),
  );
  assert.equal(statSync(file).mode & 0o777, 0o600, "refresh tokens are credentials");
  const saved1 = readAccounts(file);
  assert.equal(saved1.target, target);
  assert.deepEqual(saved1.accounts.map((a) => a.name).sort(), ["acct_0", "acct_1", "acct_2"]);
  const c1 = await counts();
  assert.equal(c1["POST /v1/operator/accounts"], c0["POST /v1/operator/accounts"] + 1, "one request for every bot");
  assert.equal(c1["POST /v1/accounts"], c0["POST /v1/accounts"], "no public registration");
  assert.equal(c1["POST /v1/sessions"], c0["POST /v1/sessions"], "no password log-in");

  const second = await runFleet({ entry, scenario: hover, bots: 3, durationS: 1, rampPerS: 2 });
  assert.equal(second.joined, 3, why(second));
  assert.equal(second.errors, 0, why(second));
  assert.ok(
    second.notes.includes(
      "accounts: 3 renewed from the accounts file, 0 from the operator API, 0 through public registration",
    ),
    second.notes.join("; "),
  );
  const c2 = await counts();
  assert.equal(c2["POST /v1/sessions/refresh"], c1["POST /v1/sessions/refresh"] + 3);
  for (const route of ["POST /v1/operator/accounts", "POST /v1/accounts", "POST /v1/sessions"]) {
    assert.equal(c2[route], c1[route], `${route}: nothing new on the second run`);
  }
  const saved2 = readAccounts(file);
  const ids = (f: typeof saved1) => Object.fromEntries(f.accounts.map((a) => [a.name, a.accountId]));
  assert.deepEqual(ids(saved2), ids(saved1), "the same accounts");
  for (const a of saved2.accounts) {
    const before = saved1.accounts.find((b) => b.name === a.name)!;
    assert.notEqual(a.refreshToken, before.refreshToken, "the spent refresh token was replaced by its successor");
  }
});

test("the CLI finds the token npm start generated and provisions its bots with it", async () => {
  const CLI = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
  const c0 = await counts();
  const { STARLANE_OPERATOR_TOKEN: _t, ...env } = process.env;
  const child = spawn(
    process.execPath,
    [
      "--conditions=starlane-source",
      "--import",
      "tsx",
      CLI,
      "--target",
      target,
      "--bots",
      "2",
      "--duration",
      "1",
      "--name-prefix",
      "clibot",
    ],
    { env: { ...env, STARLANE_OPERATOR_TOKEN_FILE: tokenFile }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  let err = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (err += d));
  const code = await new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
  assert.equal(code, 0, `${out}\n${err}`);
  assert.ok(err.includes(`loadtest: bot accounts from the operator API (credential: ${tokenFile})`), err);
  assert.match(out, /bots joined \/ asked\s+2 \/ 2/);
  const c1 = await counts();
  assert.equal(c1["POST /v1/operator/accounts"], c0["POST /v1/operator/accounts"] + 1);
  assert.equal(c1["POST /v1/accounts"], c0["POST /v1/accounts"]);
});
