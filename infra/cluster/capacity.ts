// `npm run capacity -- --bots N --duration S`: what players cost the stores, measured on the
// running `npm run cluster`. Samples Redis (INFO: commands, bytes in and out) and the cluster's
// PostgreSQL database (pg_stat_database: commits, rows written) around an idle window and a load
// test (`npm run loadtest`, roam scenario), integrates the players the zones report every second,
// and prints ops and bytes per player-second (the idle rate subtracted). Give the cluster a Redis
// of its own for clean figures: the INFO counters are server-wide.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  connectPostgres,
  connectRedis,
  defineWorld,
  RedisRegionDirectory,
  RedisZoneStatusBoard,
  readClusterStatus,
} from "@starlane/shared";
import { clusterDir, ROOT, readSettings } from "./pm2.js";

const { values } = parseArgs({
  options: {
    bots: { type: "string", default: "50" },
    duration: { type: "string", default: "60" },
    idle: { type: "string", default: "15" },
    scenario: { type: "string", default: "roam" },
  },
});
const settings = readSettings(clusterDir());
if (!settings) {
  process.stderr.write("capacity: no cluster (npm run cluster first)\n");
  process.exit(1);
}
const redis = await connectRedis(settings.redisUrl);
const db = await connectPostgres(settings.databaseUrl, { max: 1 });
const world = defineWorld({ width: 8000, height: 8000, cols: settings.cols, rows: settings.rows });
const directory = new RedisRegionDirectory(redis, { prefix: settings.keyPrefix });
const board = new RedisZoneStatusBoard(redis, { prefix: settings.keyPrefix });

interface Sample {
  at: number;
  commands: number;
  bytesIn: number;
  bytesOut: number;
  commits: number;
  rows: number;
}

async function sample(): Promise<Sample> {
  const info = await redis.info("stats");
  const n = (k: string) => Number(new RegExp(`^${k}:(\\d+)`, "m").exec(info)?.[1] ?? 0);
  const { rows } = await db.query(
    "SELECT xact_commit, tup_inserted + tup_updated + tup_deleted AS rows FROM pg_stat_database WHERE datname = current_database()",
  );
  return {
    at: performance.now(),
    commands: n("total_commands_processed"),
    bytesIn: n("total_net_input_bytes"),
    bytesOut: n("total_net_output_bytes"),
    commits: Number(rows[0].xact_commit),
    rows: Number(rows[0].rows),
  };
}

const players = async () =>
  (await readClusterStatus(world, directory, board)).zones.reduce(
    (n, z) => n + z.regions.reduce((m, r) => m + r.players, 0),
    0,
  );

const delta = (a: Sample, b: Sample) => {
  const s = (b.at - a.at) / 1000;
  return {
    seconds: s,
    commands: (b.commands - a.commands) / s,
    bytesIn: (b.bytesIn - a.bytesIn) / s,
    bytesOut: (b.bytesOut - a.bytesOut) / s,
    commits: (b.commits - a.commits) / s,
    rows: (b.rows - a.rows) / s,
  };
};

// pg_stat_database is updated when a backend reports (at most every 0.5-1 s): wait a little around reads.
const settle = () => new Promise((r) => setTimeout(r, 1500));

await settle();
const idle0 = await sample();
await new Promise((r) => setTimeout(r, Number(values.idle) * 1000));
await settle();
const idle1 = await sample();
const idle = delta(idle0, idle1);

const front = `http://${settings.host}:${settings.port}`;
const load0 = await sample();
let playerSeconds = 0;
let peak = 0;
let last = performance.now();
const sampler = setInterval(async () => {
  const p = await players().catch(() => 0);
  const now = performance.now();
  playerSeconds += (p * (now - last)) / 1000;
  last = now;
  peak = Math.max(peak, p);
}, 1000);
const child = spawn(
  "npm",
  [
    "run",
    "-s",
    "loadtest",
    "--",
    "--target",
    front,
    "--bots",
    String(values.bots),
    "--duration",
    String(values.duration),
    "--scenario",
    String(values.scenario),
    "--operator-token",
    readFileSync(settings.operatorTokenFile, "utf8").trim(),
  ],
  { cwd: ROOT, stdio: ["ignore", "inherit", "ignore"] },
);
const code = await new Promise<number>((r) => child.on("exit", (c) => r(c ?? 1)));
clearInterval(sampler);
await settle();
const load1 = await sample();
const load = delta(load0, load1);
const per = (k: "commands" | "bytesIn" | "bytesOut" | "commits" | "rows") =>
  ((load[k] - idle[k]) * load.seconds) / Math.max(1, playerSeconds);

const out = {
  bots: Number(values.bots),
  scenario: values.scenario,
  loadtestExit: code,
  peakPlayers: peak,
  playerSeconds: Math.round(playerSeconds),
  windowS: Math.round(load.seconds),
  idle: { redisOpsPerS: idle.commands, redisBytesPerS: idle.bytesIn + idle.bytesOut, pgCommitsPerS: idle.commits },
  perPlayerSecond: {
    redisOps: per("commands"),
    redisBytesIn: per("bytesIn"),
    redisBytesOut: per("bytesOut"),
    pgCommits: per("commits"),
    pgRowsWritten: per("rows"),
  },
};
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
redis.disconnect();
await db.end();
