// `npm run zonectl -- <command>`: the operator's view and levers over a running cluster.
//   status [--json]              zones (name, id, address, lease age) with their regions (epoch,
//                                players, tick p99) and the regions no one owns
//   scale --zones N              adds or removes zone slots through PM2 (`npm run cluster` clusters):
//                                new slots get their share of regions moved to them live, removed
//                                slots are drained first
//   move REGION ZONE             moves one region live to another zone (moves.ts)
//   rebalance                    moves regions live to the zones below their fair share (after a
//                                rolling upgrade: drain, upgrade, rejoin)
//   drain ZONE                   moves all of a zone's regions live to the others, then stops it
//                                through PM2 (under `npm run cluster`; elsewhere its caller stops it)
//   chat mute PLAYER [--seconds S] | chat kick PLAYER
//   keys rotate | ban PLAYER [--reason TEXT]
// Where it looks: the cluster folder's cluster.json (written by `npm run cluster`), overridden by
// REDIS_URL, STARLANE_KEY_PREFIX, STARLANE_REGION_COLS/ROWS, STARLANE_FRONT_DOOR_URL,
// STARLANE_CHAT_HTTP_URL and STARLANE_OPERATOR_TOKEN (else the token file). Any failure prints one
// line and exits non-zero, having changed nothing.
import { parseArgs } from "node:util";
import {
  allRegions,
  type ClusterStatus,
  connectRedis,
  DEFAULT_OPERATOR_TOKEN_FILE,
  defineWorld,
  parseRegionRoomId,
  RedisRegionDirectory,
  RedisRelocationBoard,
  RedisZoneStatusBoard,
  readClusterStatus,
  readOperatorTokenFile,
  regionRoomId,
} from "@starlane/shared";
import { clusterDir, ECOSYSTEM, pm2, pm2List, readSettings } from "../cluster/pm2.js";
import { type Cluster, describeMove, drainZone, liveZones, MoveRefused, moveRegion, rebalancePlan } from "./moves.js";

const USAGE = `usage: npm run zonectl -- <command>
  status [--json]
  scale --zones N
  chat mute PLAYER [--seconds S]   (default 600; 0 lifts the mute)
  chat kick PLAYER
  keys rotate
  ban PLAYER [--reason TEXT]
  move REGION ZONE                 (live: players follow without a disconnect)
  drain ZONE                       (moves all its regions live, then stops it)
  rebalance                        (moves regions live to zones below their fair share)`;

class Refusal extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

const env = process.env;
const dir = clusterDir(env);
const settings = readSettings(dir);

function where() {
  const port = settings?.port ?? 8080;
  const host = settings?.host ?? "127.0.0.1";
  return {
    redisUrl: env.REDIS_URL || settings?.redisUrl || "redis://127.0.0.1:6379",
    prefix: env.STARLANE_KEY_PREFIX || settings?.keyPrefix || "starlane:",
    cols: Number(env.STARLANE_REGION_COLS || settings?.cols || 4),
    rows: Number(env.STARLANE_REGION_ROWS || settings?.rows || 4),
    frontDoor: env.STARLANE_FRONT_DOOR_URL || `http://${host}:${port}`,
    chat: env.STARLANE_CHAT_HTTP_URL || `http://${host}:${port + 1}`,
  };
}

function operatorToken(): string {
  if (env.STARLANE_OPERATOR_TOKEN) return env.STARLANE_OPERATOR_TOKEN.trim();
  const file = settings?.operatorTokenFile ?? env.STARLANE_OPERATOR_TOKEN_FILE ?? DEFAULT_OPERATOR_TOKEN_FILE;
  const token = readOperatorTokenFile(file);
  if (!token) throw new Refusal(`no operator credential: set STARLANE_OPERATOR_TOKEN or create ${file}`);
  return token;
}

/** Runs `f` against the cluster's Redis (directory, status board, move orders); one line if unreachable. */
async function withCluster<T>(f: (c: Cluster, status: () => Promise<ClusterStatus>) => Promise<T>): Promise<T> {
  const w = where();
  let redis: Awaited<ReturnType<typeof connectRedis>>;
  try {
    redis = await connectRedis(w.redisUrl, {
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectTimeout: 3000,
    });
  } catch (err) {
    throw new Refusal((err as Error).message);
  }
  try {
    const world = defineWorld({ width: 8000, height: 8000, cols: w.cols, rows: w.rows });
    const c: Cluster = {
      directory: new RedisRegionDirectory(redis, { prefix: w.prefix }),
      board: new RedisZoneStatusBoard(redis, { prefix: w.prefix }),
      relocations: new RedisRelocationBoard(redis, { prefix: w.prefix }),
      regions: allRegions(world).map(regionRoomId),
      operator: env.USER || "zonectl",
    };
    return await f(c, () => readClusterStatus(world, c.directory, c.board));
  } catch (err) {
    if (err instanceof MoveRefused) throw new Refusal(err.message);
    throw err;
  } finally {
    redis.disconnect();
  }
}

const clusterStatus = () => withCluster((_, status) => status());

const ms = (n: number | null, unit = "ms") => (n === null ? "-" : `${n < 10 ? n.toFixed(2) : Math.round(n)} ${unit}`);

export function statusTable(s: ClusterStatus): string {
  const rows: string[][] = [["ZONE", "ID", "ADDRESS", "LEASE AGE", "REGION", "EPOCH", "PLAYERS", "TICK P99"]];
  for (const z of s.zones) {
    if (z.regions.length === 0) rows.push([z.name, z.id, z.address, ms(z.leaseAgeMs), "(none)", "", "", ""]);
    for (const [i, r] of z.regions.entries()) {
      rows.push([
        i === 0 ? z.name : "",
        i === 0 ? z.id : "",
        i === 0 ? z.address : "",
        i === 0 ? ms(z.leaseAgeMs) : "",
        r.id,
        String(r.epoch),
        String(r.players),
        ms(r.tickP99Ms),
      ]);
    }
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const lines = rows.map((r) =>
    r
      .map((cell, c) => cell.padEnd(widths[c]!))
      .join("  ")
      .trimEnd(),
  );
  const players = s.zones.reduce((n, z) => n + z.regions.reduce((m, r) => m + r.players, 0), 0);
  lines.push(
    "",
    `${s.zones.length} zones, ${players} players; unowned: ${s.unowned.length === 0 ? "none" : s.unowned.join(", ")}`,
  );
  return lines.join("\n");
}

async function operatorCall(base: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const token = operatorToken();
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "x-starlane-operator": env.USER || "zonectl",
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    throw new Refusal(`${base} is unreachable (${(err as Error).cause ?? (err as Error).message})`);
  }
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {}
  if (res.status === 401) throw new Refusal(`the operator credential was refused by ${base} (401)`);
  if (!res.ok) {
    const e = json as { code?: string; message?: string; field?: string };
    throw new Refusal(
      `${base}${path} answered ${res.status}: ${e.code ?? ""} ${e.message ?? text.slice(0, 200)}${e.field ? ` (${e.field})` : ""}`.replace(
        /\s+/g,
        " ",
      ),
    );
  }
  return json;
}

function intArg(raw: string | undefined, name: string, min: number, max: number): number {
  const n = Number(raw);
  if (raw === undefined || !Number.isInteger(n) || n < min || n > max)
    throw new Refusal(
      `--${name}: expected a whole number ${min}..${max}, got ${raw === undefined ? "nothing" : `"${raw}"`}`,
      2,
    );
  return n;
}

async function waitHealthy(urls: string[], timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let left = urls;
  while (left.length > 0 && Date.now() < deadline) {
    const ok = await Promise.all(
      left.map((u) =>
        fetch(u, { signal: AbortSignal.timeout(1000) }).then(
          (r) => r.ok,
          () => false,
        ),
      ),
    );
    left = left.filter((_, i) => !ok[i]);
    if (left.length > 0) await new Promise((r) => setTimeout(r, 300));
  }
  return left;
}

async function scale(target: number): Promise<string> {
  if (!settings) throw new Refusal(`no cluster started by npm run cluster in ${dir} (scale works through its PM2)`);
  const procs = pm2List(dir);
  if (procs.length === 0) throw new Refusal(`the cluster in ${dir} is not running (npm run cluster)`);
  const slots = procs
    .map((p) => /^zone-(\d+)$/.exec(p.name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  const have = new Set(slots);
  const out: string[] = [];
  // Slots 1..target run; the rest go, highest first. Adding is done before removing nothing.
  const add = Array.from({ length: target }, (_, i) => i + 1).filter((k) => !have.has(k));
  const remove = slots.filter((k) => k > target).reverse();
  for (const k of add) {
    const r = pm2(dir, ["start", ECOSYSTEM, "--only", `zone-${k}`], {
      STARLANE_CLUSTER_ZONES: String(Math.max(target, settings.zones)),
    });
    if (r.status !== 0) throw new Refusal(`pm2 could not start zone-${k}: ${r.stderr.trim() || r.stdout.trim()}`);
    out.push(`started zone-${k}`);
  }
  const late = await waitHealthy(
    add.map((k) => `http://${settings.host}:${settings.zonePort + k - 1}/healthz`),
    60_000,
  );
  if (late.length > 0) throw new Refusal(`started but not answering after 60 s: ${late.join(", ")}`);
  if (add.length > 0) {
    // The new slots start with nothing (every region is held): give them their share, live.
    await withCluster(async (c) => {
      const names = new Set(add.map((k) => `zone-${k}`));
      const zones = await waitFor(async () => {
        const z = await liveZones(c);
        return [...names].every((n) => z.some((x) => x.name === n)) ? z : undefined;
      }, 30_000);
      if (!zones) throw new Refusal(`the new zones did not report within 30 s: ${[...names].join(", ")}`);
      const fresh = zones.filter((z) => names.has(z.name)).map((z) => z.id);
      for (const [region, to] of rebalancePlan(zones, fresh)) out.push(describeMove(await moveRegion(c, region, to)));
    });
  }
  for (const k of remove) {
    // Its regions move live first; then PM2 stops it (SIGINT: nothing left to give back).
    await withCluster(async (c) => {
      if ((await liveZones(c)).some((z) => z.name === `zone-${k}`))
        await drainZone(c, `zone-${k}`, (line) => out.push(line));
    });
    const r = pm2(dir, ["delete", `zone-${k}`]);
    if (r.status !== 0) throw new Refusal(`pm2 could not stop zone-${k}: ${r.stderr.trim() || r.stdout.trim()}`);
    out.push(`stopped zone-${k}`);
  }
  if (out.length === 0) out.push(`already ${target} zones`);
  const s = await clusterStatus();
  out.push(
    `${s.zones.length} zones hold ${s.zones.reduce((n, z) => n + z.regions.length, 0)} regions; unowned: ${s.unowned.length === 0 ? "none" : s.unowned.join(", ")}`,
  );
  return out.join("\n");
}

async function waitFor<T>(f: () => Promise<T | undefined>, ms: number): Promise<T | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Drains `name`, then stops it through PM2 when it is a slot of this machine's `npm run cluster`. */
async function drain(name: string): Promise<string> {
  const out: string[] = [];
  // Each move is printed as it is made: a drain of many regions is not silent for seconds.
  const moves = await withCluster((c) => drainZone(c, name, (line) => process.stdout.write(`${line}\n`)));
  if (moves.length === 0) out.push(`${name} held no region`);
  const slot = settings ? pm2List(dir).find((p) => p.name === name) : undefined;
  if (slot) {
    // PM2 must not restart it: delete, not stop-and-restart. SIGINT: it has nothing left to give back.
    const r = pm2(dir, ["delete", name]);
    if (r.status !== 0)
      throw new Refusal(`regions moved, but pm2 could not stop ${name}: ${r.stderr.trim() || r.stdout.trim()}`);
    out.push(`stopped ${name} (PM2)`);
  } else {
    out.push(
      `${name} holds no region and takes none over; not stopped here (not a slot of npm run cluster in ${dir}): its manager stops it`,
    );
  }
  return out.join("\n");
}

async function main(argv: string[]): Promise<string> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: "boolean" },
        zones: { type: "string" },
        seconds: { type: "string" },
        reason: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    throw new Refusal(`${(err as Error).message}; see npm run zonectl -- --help`, 2);
  }
  const { values, positionals: p } = parsed;
  const w = where();
  const [command, ...rest] = p;
  const needs = (n: number) => {
    if (rest.length !== n)
      throw new Refusal(`${command}: expected ${n} argument(s), got ${rest.length}; see npm run zonectl -- --help`, 2);
  };
  switch (command) {
    case "status": {
      needs(0);
      const s = await clusterStatus();
      return values.json ? JSON.stringify(s, null, 2) : statusTable(s);
    }
    case "scale":
      needs(0);
      return scale(intArg(values.zones as string | undefined, "zones", 1, 64));
    case "chat": {
      const [verb, player] = rest;
      if (rest.length !== 2 || (verb !== "mute" && verb !== "kick"))
        throw new Refusal(`chat: expected "mute PLAYER" or "kick PLAYER"; see npm run zonectl -- --help`, 2);
      if (verb === "mute") {
        const seconds = values.seconds === undefined ? 600 : intArg(values.seconds as string, "seconds", 0, 31_536_000);
        const r = await operatorCall(w.chat, "/v1/operator/chat/mute", { name: player, seconds });
        return r.mutedUntil ? `muted ${r.name} in chat until ${r.mutedUntil}` : `lifted the chat mute of ${r.name}`;
      }
      const r = await operatorCall(w.chat, "/v1/operator/chat/kick", { name: player });
      return `kicked ${r.name} from chat`;
    }
    case "keys":
      if (rest.length !== 1 || rest[0] !== "rotate")
        throw new Refusal(`keys: expected "keys rotate"; see npm run zonectl -- --help`, 2);
      return `new signing key ${(await operatorCall(w.frontDoor, "/v1/operator/keys/rotate")).kid}`;
    case "ban": {
      needs(1);
      const r = await operatorCall(w.frontDoor, "/v1/operator/accounts/ban", {
        name: rest[0],
        ...(values.reason === undefined ? {} : { reason: values.reason }),
      });
      return `banned ${(r.account as { name?: string })?.name ?? rest[0]} (sessions ended, live connections closed)`;
    }
    case "move": {
      needs(2);
      if (!parseRegionRoomId(rest[0]!)) throw new Refusal(`move: "${rest[0]}" is not a region id (region-COL-ROW)`, 2);
      return withCluster(async (c) => describeMove(await moveRegion(c, rest[0]!, rest[1]!)));
    }
    case "drain":
      needs(1);
      return drain(rest[0]!);
    case "rebalance":
      needs(0);
      return withCluster(async (c) => {
        const zones = (await liveZones(c)).filter((z) => !z.draining);
        const plan = rebalancePlan(
          zones,
          zones.map((z) => z.id),
        );
        const out: string[] = [];
        for (const [region, to] of plan) out.push(describeMove(await moveRegion(c, region, to)));
        return out.length > 0 ? out.join("\n") : `balanced already (${zones.length} zones)`;
      });
    default:
      if (values.help || !command) return USAGE;
      throw new Refusal(`unknown command "${command}"; see npm run zonectl -- --help`, 2);
  }
}

main(process.argv.slice(2)).then(
  (out) => {
    process.stdout.write(`${out}\n`);
  },
  (err) => {
    const first = err instanceof Refusal ? err.message : `unexpected: ${(err as Error).message}`;
    process.stderr.write(`zonectl: ${first}\n`);
    process.exit(err instanceof Refusal ? err.exitCode : 1);
  },
);
