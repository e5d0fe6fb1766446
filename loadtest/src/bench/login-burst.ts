// The zone's tick while a burst of log-ins runs in the same process: the real `npm start`
// (services/embedded/src/main.ts: login, zone and persistence sharing one event loop and its libuv
// threadpool) with a crowd of bots flying, its tick measured in the window before a burst and
// during it. Scrypt stays at its OWASP cost (unless the environment lowers it: the note says) and the
// hash concurrency and queue at their defaults; only the per-IP and per-account rate limits are
// raised (every client here is 127.0.0.1).
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { regionRoomId } from "@starlane/shared";
import { createTestDatabase } from "@starlane/shared/testing";
import { DEFAULT_PASSWORD, runFleet } from "../fleet.js";
import { crowdIn } from "../scenarios/index.js";
import { parseTickMetrics, type TickHistogram, tickPercentileMs } from "../server-metrics.js";
import type { BenchContext } from "./group.js";

const MAIN = fileURLToPath(new URL("../../../services/embedded/src/main.ts", import.meta.url));
const REGION = regionRoomId({ col: 1, row: 1 });
const BURST_CLIENTS = 16;
const RAISED = "1000000";

interface NpmStart {
  url: string;
  stop(): Promise<void>;
}

async function npmStart(databaseUrl: string): Promise<NpmStart> {
  const dataDir = mkdtempSync(join(tmpdir(), "starlane-bench-"));
  const { REDIS_URL: _r, ...env } = process.env;
  const child: ChildProcess = spawn(process.execPath, ["--conditions=starlane-source", "--import", "tsx", MAIN], {
    env: {
      ...env,
      // The local PostgreSQL server rather than the embedded PGlite: concurrent registrations
      // against PGlite fail now and then (loadtest/README.md, known problems).
      DATABASE_URL: databaseUrl,
      STARLANE_DATA_DIR: dataDir,
      STARLANE_FRONT_DOOR_PORT: "0",
      STARLANE_ZONE_PORT: "0",
      STARLANE_LOG_LEVEL: "warn",
      STARLANE_LOGIN_RATE_LOGIN_PER_IP: RAISED,
      STARLANE_LOGIN_RATE_LOGIN_PER_ACCOUNT: RAISED,
      STARLANE_LOGIN_RATE_REGISTER_PER_IP: RAISED,
      STARLANE_LOGIN_RATE_REGISTER_PER_ACCOUNT: RAISED,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise((r) => child.once("exit", r));
  const stop = async () => {
    if (child.exitCode === null) child.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (child.exitCode === null) child.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setInterval(() => {
        const m = /browser client\s+(http:\/\/\S+)\//.exec(out);
        if (m?.[1]) {
          clearInterval(timer);
          resolve(m[1].replace("localhost", "127.0.0.1"));
        }
      }, 50);
      child.once("exit", (code) => {
        clearInterval(timer);
        reject(new Error(`npm start exited ${code}: ${out.slice(-1500)}`));
      });
    });
    return { url, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The tick histogram of one region room from the zone's /metrics, and its connected clients. */
async function scrapeRegion(url: string): Promise<{ ticks: TickHistogram; clients: number }> {
  const lines = (await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) })).text())
    .split("\n")
    .filter((l) => l.includes(`region="${REGION}"`));
  const clients = lines.find((l) => l.startsWith("starlane_zone_clients{"));
  return {
    ticks: parseTickMetrics(lines.join("\n")),
    clients: clients ? Number(clients.slice(clients.lastIndexOf(" ") + 1)) : 0,
  };
}

/** Log-ins back to back from `clients` clients until `until`; counts answers. */
async function burst(url: string, names: string[], clients: number, until: number) {
  let ok = 0;
  let refused = 0;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = c; Date.now() < until; i += clients) {
        try {
          const res = await fetch(`${url}/v1/sessions`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ name: names[i % names.length], password: DEFAULT_PASSWORD }),
          });
          await res.text();
          if (res.status === 200) ok++;
          else refused++;
        } catch {
          refused++;
        }
      }
    }),
  );
  return { ok, refused };
}

export interface BurstFigure {
  value: number | null;
  baseline: number | null;
  note: string;
}

export async function loginBurst(ctx: BenchContext): Promise<BurstFigure> {
  // npm start takes its settings from the environment like any run of it; say the cost it ran at.
  const memory = process.env.STARLANE_LOGIN_ARGON2_MEMORY_KIB ?? "19456";
  const time = process.env.STARLANE_LOGIN_ARGON2_TIME_COST ?? "2";
  const cost =
    memory === "19456" && time === "2"
      ? "OWASP Argon2id cost (m=19 MiB, t=2, p=1)"
      : `Argon2id m=${memory} KiB t=${time} (set through the environment: NOT the OWASP default)`;
  const bots = ctx.quick ? 20 : 40;
  const windowS = ctx.quick ? 8 : 15;
  const database = await createTestDatabase();
  let server: NpmStart | undefined;
  try {
    server = await npmStart(database.url);
    const url = server.url;
    const names = Array.from({ length: bots }, (_, i) => `burst_${i}`);
    type Windows = {
      s0: TickHistogram;
      s1: TickHistogram;
      s2: TickHistogram;
      clients: [number, number];
      logins: { ok: number; refused: number };
    };
    const measured: { windows?: Promise<Windows> } = {};
    const summary = await runFleet({
      entry: { kind: "login", target: url, namePrefix: "burst" },
      // Everyone flies to region 1-1 (they spawn all over the world): its room is the busy tick.
      scenario: crowdIn({ col: 1, row: 1 }),
      bots,
      // Room to spare after the two windows: on a busy machine the scrapes and the last log-ins
      // run late, and the bots must still be flying when the burst window is read.
      durationS: 2 * windowS + 10,
      // Registering at OWASP cost takes a while (the ramp); the warm-up lets the crowd gather.
      warmupS: ctx.quick ? 6 : 10,
      rampPerS: 4,
      joinTimeoutMs: 180_000,
      // Not awaited: the fleet's steady phase runs meanwhile (onSteady delays it).
      onSteady: () => {
        measured.windows = (async () => {
          const s0 = (await scrapeRegion(url)).ticks;
          await new Promise((r) => setTimeout(r, windowS * 1000));
          const start = await scrapeRegion(url);
          const logins = await burst(url, names, BURST_CLIENTS, Date.now() + windowS * 1000);
          const end = await scrapeRegion(url);
          return { s0, s1: start.ticks, s2: end.ticks, clients: [start.clients, end.clients], logins };
        })();
      },
    });
    if (!measured.windows)
      throw new Error(`no steady phase: ${summary.joined}/${bots} bots joined ${JSON.stringify(summary.errorsByCode)}`);
    const w = await measured.windows;
    const { s0, s1, s2 } = w;
    const r = (x: number | null) => (x === null ? null : Math.round(x * 100) / 100);
    const during = r(tickPercentileMs(s1, s2, 99));
    const before = r(tickPercentileMs(s0, s1, 99));
    const p50 = (a: TickHistogram, b: TickHistogram) => r(tickPercentileMs(a, b, 50));
    return {
      value: during,
      baseline: before,
      note: `tick p99 of the crowd's room (${REGION}, ${w.clients[0]} of the ${summary.joined} bots in it when the burst started, ${w.clients[1]} when it ended) in npm start (services/embedded/src/main.ts: login, zone and persistence in one process; PostgreSQL: the local server through DATABASE_URL instead of PGlite) while ${BURST_CLIENTS} clients log in back to back for ${windowS} s at ${cost}, hash concurrency and queue as configured (defaults 2 and 16; ${w.logins.ok} log-ins, ${(w.logins.ok / windowS).toFixed(1)}/s, ${w.logins.refused} refused); tick p50 ${p50(s1, s2)} ms (baseline ${p50(s0, s1)} ms); baseline: the same room's tick p99 in the ${windowS} s just before the burst, same bots; from the zone's /metrics histogram (bucket-interpolated); the bots run in the bench process on the same cores`,
    };
  } finally {
    await server?.stop();
    await database.drop();
  }
}
