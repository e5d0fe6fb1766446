// A small fleet against the real `npm start` (services/embedded/src/main.ts in its own process, port
// 0, a temporary data dir): register, log in, world entry, fly. The JSON summary must be consistent.
// Scrypt cost and the per-IP limits are lowered for the test (all bots come from 127.0.0.1).
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { regionBounds, regionOf } from "@starlane/shared";
import { runFleet, type Scenario } from "../src/index.js";
import { steerTo } from "../src/scenarios/steer.js";

const MAIN = fileURLToPath(new URL("../../services/embedded/src/main.ts", import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), "starlane-loadtest-embedded-"));
let child: ChildProcess;
let target: string;
let serverErr = "";
const why = (s: { errorsByCode: object; perBot: { lastError: string | null }[] }) =>
  `${JSON.stringify(s.errorsByCode)} ${JSON.stringify(s.perBot.map((b) => b.lastError).filter(Boolean))}\nserver: ${serverErr.slice(-2000)}`;

before(async () => {
  const { DATABASE_URL: _d, REDIS_URL: _r, ...base } = process.env;
  child = spawn(process.execPath, ["--conditions=starlane-source", "--import", "tsx", MAIN], {
    env: {
      ...base,
      STARLANE_FRONT_DOOR_PORT: "0",
      STARLANE_ZONE_PORT: "0",
      STARLANE_DATA_DIR: dataDir,
      STARLANE_LOG_LEVEL: "warn",
      STARLANE_LOGIN_SCRYPT_LOG_N: "14",
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
