// A real zone for the bots to play against, started the way the zone's own benchmark starts it
// (services/zone/bench/zone-process.ts: its own process, real 20 Hz timestep, in-process presence,
// ships bot-0..bot-N-1 pre-placed in region 1-1), with tokens signed by a key pair made here. The
// bench also starts the stock Colyseus room (src/stock/stock-zone.ts) this way: same protocol.
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { ACCESS_TOKEN_TYPE, TOKEN_ALGORITHM, TOKEN_AUDIENCE, TOKEN_ISSUER } from "@starlane/shared";
import { exportJWK, generateKeyPair, SignJWT } from "jose";

export const ZONE_PROCESS = fileURLToPath(new URL("../../services/zone/bench/zone-process.ts", import.meta.url));
export const STOCK_ZONE_PROCESS = fileURLToPath(new URL("./stock/stock-zone.ts", import.meta.url));

export interface ZoneStats {
  ticks: number;
  p50: number;
  p99: number;
  max: number;
  clients: number;
  /** process.memoryUsage() of the zone process when it answered (bytes). */
  rss: number;
  heapUsed: number;
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
  stop(): Promise<void>;
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
      env: { ...process.env, ...env, BENCH_CLIENTS: String(ships), BENCH_JWKS: JSON.stringify(jwks) },
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
    async stop() {
      child.stdin!.write("quit\n");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}
