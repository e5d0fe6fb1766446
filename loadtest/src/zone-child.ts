// A real zone for the bots to play against, started the way the zone's own benchmark starts it
// (services/zone/bench/zone-process.ts: its own process, real 20 Hz timestep, in-process presence,
// ships bot-0..bot-N-1 pre-placed in region 1-1), with tokens signed by a key pair made here. The
// bench also starts the stock Colyseus room (src/stock/stock-zone.ts) this way: same protocol.
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { ACCESS_TOKEN_TYPE, TOKEN_ALGORITHM, TOKEN_AUDIENCE, TOKEN_ISSUER } from "@starlane/shared";
import { exportJWK, generateKeyPair, SignJWT } from "jose";

export const ZONE_PROCESS = fileURLToPath(new URL("../../services/zone/bench/zone-process.ts", import.meta.url));
export const STOCK_ZONE_PROCESS = fileURLToPath(new URL("./stock/stock-zone.ts", import.meta.url));
/** Our zone's Node flags, as every launch of it has them (services/zone/package.json); not the stock room's. */
export const ZONE_NODE_FLAGS = (
  createRequire(import.meta.url)("../../services/zone/package.json") as { starlane: { nodeFlags: string[] } }
).starlane.nodeFlags;

export interface ZoneStats {
  ticks: number;
  p50: number;
  p99: number;
  max: number;
  clients: number;
  /** process.memoryUsage() of the zone process when it answered (bytes). */
  rss: number;
  heapUsed: number;
  /** Our zone only: the rest of process.memoryUsage() and V8's heap spaces by name (bytes reserved). */
  heapTotal?: number;
  external?: number;
  arrayBuffers?: number;
  spaces?: Record<string, number>;
  resident?: Record<string, number>;
  rssFirst?: number;
  gcs?: Record<string, number>;
  /**
   * Our zone only (ms): how long each applied input waited in its queue for a tick, and when in its
   * tick the send began and ended (each client's frame leaves between the two).
   */
  latency?: Record<"inputWait" | "sendStart" | "sendEnd", { p50: number; p99: number; n: number }>;
  /** Our zone only, since the previous call: process CPU time, elapsed time, time in ticks, and in the mirror's update and send (ms). */
  cpuMs?: number;
  wallMs?: number;
  tickMs?: number;
  syncMs?: number;
  sendMs?: number;
}

export interface ZoneChild {
  url: string;
  port: number;
  sign(sub: string): Promise<string>;
  /**
   * Exact tick-duration quantiles (ms) since the previous call, timed in the zone process. With
   * `gc` the process collects garbage first (it stalls the zone: not inside a measured window).
   */
  stats(opts?: { gc?: boolean }): Promise<ZoneStats>;
  /**
   * Our zone: its last ticks as [frame tick, tick start, send start, send end] and when each of the
   * observers' inputs reached the room, by "bot-N:seq" (ms since the epoch).
   */
  ticks(): Promise<ZoneTicks>;
  stop(): Promise<void>;
}

export interface ZoneTicks {
  ticks: number[][];
  arrivals: Record<string, number>;
}

export async function startZoneChild(
  ships: number,
  env: Record<string, string> = {},
  script = ZONE_PROCESS,
): Promise<ZoneChild> {
  const { publicKey, privateKey } = await generateKeyPair(TOKEN_ALGORITHM, { extractable: true });
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: "loadtest", alg: TOKEN_ALGORITHM, use: "sig" }] };
  const child: ChildProcess = spawn(
    process.execPath,
    [
      ...(script === ZONE_PROCESS ? ZONE_NODE_FLAGS : []),
      // Development: V8 flags for the zone processes that NODE_OPTIONS does not take (to compare).
      ...(process.env.STARLANE_BENCH_ZONE_FLAGS?.split(" ").filter(Boolean) ?? []),
      "--conditions=starlane-source",
      "--expose-gc",
      // A CPU profile of each zone process (a .cpuprofile per process, written when it exits).
      ...(process.env.STARLANE_BENCH_CPU_PROF
        ? ["--cpu-prof", `--cpu-prof-dir=${process.env.STARLANE_BENCH_CPU_PROF}`]
        : []),
      "--import",
      "tsx",
      script,
    ],
    {
      env: {
        ...process.env,
        // Extra Node options for the zone processes only (development: --heap-prof, V8 flags to compare).
        ...(process.env.STARLANE_BENCH_ZONE_NODE_OPTIONS
          ? { NODE_OPTIONS: process.env.STARLANE_BENCH_ZONE_NODE_OPTIONS }
          : {}),
        ...env,
        BENCH_CLIENTS: String(ships),
        BENCH_JWKS: JSON.stringify(jwks),
      },
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
  const it = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async () => {
    const r = await it.next();
    if (r.done) throw new Error("the zone process ended");
    return JSON.parse(String(r.value));
  };
  const { port } = (await next()) as { port: number };
  const exited = new Promise((r) => child.once("exit", r));
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    sign: (sub) =>
      new SignJWT({ name: sub, lt: true }) // load-test bots: exempt from the per-address caps, like provisioned accounts
        .setProtectedHeader({ alg: TOKEN_ALGORITHM, kid: "loadtest", typ: ACCESS_TOKEN_TYPE })
        .setIssuer(TOKEN_ISSUER)
        .setAudience(TOKEN_AUDIENCE)
        .setSubject(sub)
        .setIssuedAt()
        .setExpirationTime("1h")
        .sign(privateKey),
    async stats(opts) {
      child.stdin!.write(opts?.gc ? "stats gc\n" : "stats\n");
      return await next();
    },
    async ticks() {
      child.stdin!.write("ticks\n");
      const r = (await next()) as Partial<ZoneTicks>;
      return { ticks: r.ticks ?? [], arrivals: r.arrivals ?? {} };
    },
    async stop() {
      child.stdin!.write("quit\n");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}
