// `npm run bench [-- --json FILE] [--quick]`: the headline benchmarks on this machine, each figure
// next to a baseline measured in the same run, printed as one table (and written as JSON rows
// { name, value, unit, baseline } so results can be compared across commits).
//
// - Zone capacity: bots (this process, real SDK clients, 10 inputs/s) against one zone process
//   (services/zone/bench/zone-process.ts, real 20 Hz timestep): the bot count steps up until the
//   zone's exact tick p99 exceeds 25 ms. Interest radius set so each bot sees about 50 others.
//   Baseline: the same zone with interest management and quantisation off (stock Colyseus: every
//   client gets every change, float64).
// - Bytes per bot per second and input-to-observer latency with 50 visible moving ships (51 bots,
//   everyone in view), same baseline.
// - Handoff gap and handoffs/s: services/zone/bench/handoff.ts (bots flying back and forth across the
//   x=4000 border between two zone processes on Redis; baseline: both columns in one process).
// - Failover resume: not measurable yet (no failover on the target).
// - Persistence rows/s: services/persistence/bench/upsert.ts (batched upsert vs row-per-statement).
// - Log-ins/s: services/login/bench/logins.ts at OWASP scrypt cost (vs raw scrypt hashes/s).
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { runFleet } from "./fleet.js";
import { crowd } from "./scenarios/index.js";
import type { Summary } from "./summary.js";
import { startZoneChild } from "./zone-child.js";

const { values } = parseArgs({
  options: { json: { type: "string" }, quick: { type: "boolean" } },
});
const QUICK = !!values.quick;
const STEADY_S = QUICK ? 3 : 5;
const WARMUP_S = 2;
const TICK_P99_LIMIT_MS = 25;
const VISIBLE = 50;
const REGION_AREA = 2000 * 2000; // region 1-1 of the default 8000 x 8000 world, 4 x 4 regions
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const log = (s: string) => process.stderr.write(`${s}\n`);

export interface BenchRow {
  name: string;
  value: number | null;
  unit: string;
  baseline: number | null;
  /** What the baseline is, and anything a reader must know about the figure. */
  note?: string;
}

const MODES = {
  on: { STARLANE_ZONE_INTEREST: "true", STARLANE_ZONE_QUANTIZE: "true" },
  off: { STARLANE_ZONE_INTEREST: "false", STARLANE_ZONE_QUANTIZE: "false" },
};

// Radius for ~VISIBLE others in view at this density (capped at the default 1500).
const radiusFor = (bots: number) => Math.min(1500, Math.sqrt((VISIBLE * REGION_AREA) / (Math.PI * Math.max(1, bots))));

interface Trial {
  bots: number;
  tickP99: number;
  tickP50: number;
  windows: number[];
  summary: Summary;
}

// Two consecutive windows of `windowS`; the tick figure is the better window's, so one burst of
// another tenant's work on this shared machine does not decide a step (both are printed).
async function trial(mode: keyof typeof MODES, bots: number, radius: number, windowS = STEADY_S): Promise<Trial> {
  const zone = await startZoneChild(bots, {
    ...MODES[mode],
    STARLANE_INTEREST_RADIUS: String(Math.round(radius)),
    STARLANE_ZONE_MAX_CLIENTS: String(bots + 10),
  });
  try {
    let first: Promise<{ p50: number; p99: number }> | null = null;
    const summary = await runFleet({
      entry: { kind: "direct", url: zone.url, shipId: (i) => `bot-${i}`, token: (id) => zone.sign(id) },
      scenario: crowd,
      bots,
      durationS: 2 * windowS,
      warmupS: WARMUP_S,
      rampPerS: 200,
      joinTimeoutMs: 20_000,
      observers: Math.min(bots, 20),
      metricsUrls: [`${zone.url}/metrics`],
      onSteady: async () => {
        await zone.stats(); // forget the ticks of the ramp and warm-up
        first = new Promise((resolve) => setTimeout(() => resolve(zone.stats()), windowS * 1000));
      },
    });
    const a = first ? await first : { p50: Number.NaN, p99: Number.NaN };
    const b = await zone.stats();
    const better = a.p99 <= b.p99 ? a : b;
    return { bots, tickP99: better.p99, tickP50: better.p50, windows: [a.p99, b.p99], summary };
  } finally {
    await zone.stop();
  }
}

async function capacity(mode: keyof typeof MODES): Promise<{ bots: number; trials: Trial[] }> {
  const steps = QUICK ? [25, 50, 100, 200] : [25, 50, 100, 150, 200, 300, 400, 600, 800, 1000];
  const trials: Trial[] = [];
  let best = 0;
  let fails = 0;
  const started = Date.now();
  for (const n of steps) {
    // Baseline: stock Colyseus sends everyone everything, whatever the radius.
    const t = await trial(mode, n, mode === "on" ? radiusFor(n) : 1500);
    trials.push(t);
    // A step passes when every bot joined and stayed connected (a zone that drops slow readers fails it).
    const ok = t.tickP99 <= TICK_P99_LIMIT_MS && t.summary.joined === n && t.summary.connectedAtEnd === n;
    log(
      `  capacity ${mode}: ${n} bots joined ${t.summary.joined}, tick p50 ${t.tickP50.toFixed(1)} ms p99 ${t.tickP99.toFixed(1)} ms (windows ${t.windows.map((w) => w.toFixed(1)).join(" / ")}), ${t.summary.bytesPerBotPerS} B/bot/s, observer p99 ${t.summary.observerMs.p99} ms, errors ${JSON.stringify(t.summary.errorsByCode)} ${ok ? "ok" : "-> over the limit"}`,
    );
    // One failing step on this shared machine can be another tenant's burst: the search ends after
    // two failing steps in a row (or when even the median tick is over the limit).
    if (!ok) {
      fails++;
      if (fails >= 2 || t.tickP50 > TICK_P99_LIMIT_MS || t.summary.connectedAtEnd < n) break;
      continue;
    }
    fails = 0;
    best = n;
    if (Date.now() - started > (QUICK ? 60_000 : 180_000)) {
      log(`  capacity ${mode}: time budget spent; capacity is at least ${best}`);
      break;
    }
  }
  return { bots: best, trials };
}

function runScript(args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--conditions=starlane-source", "--import", "tsx", ...args], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
    child.on("exit", () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

async function persistenceRows(): Promise<BenchRow> {
  const out = await runScript(
    ["services/persistence/bench/upsert.ts", "--ships", "5000", "--seconds", QUICK ? "3" : "5", "--stream", "0"],
    120_000,
  );
  const lines = out
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as { method?: string; rowsPerSec?: number });
  const batched = lines.find((l) => l.method?.startsWith("batched"))?.rowsPerSec ?? null;
  const perRow = lines.find((l) => l.method?.startsWith("row-per-statement"))?.rowsPerSec ?? null;
  if (batched === null) log(`persistence bench gave no figure:\n${out.slice(-800)}`);
  return {
    name: "persistence_rows_per_s",
    value: batched,
    unit: "rows/s",
    baseline: perRow,
    note: "batched unnest upsert vs row-per-statement (services/persistence/bench/upsert.ts, local PostgreSQL)",
  };
}

async function handoffs(): Promise<BenchRow[]> {
  const bots = QUICK ? "60" : "150";
  const out = await runScript(["services/zone/bench/handoff.ts", bots, QUICK ? "8" : "15"], 240_000);
  type Run = {
    mode: string;
    handoffsPerSecond: number;
    gapP50Ms: number;
    gapP99Ms: number;
    aborted: number;
    ownershipViolations: number;
  };
  const runs = out
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Run);
  const cluster = runs.find((r) => r.mode === "cluster");
  const local = runs.find((r) => r.mode === "local");
  if (!cluster) log(`handoff bench gave no figure:\n${out.slice(-800)}`);
  const note = `${bots} bots spread along the x=4000 border (four region pairs) crossing it back and forth, 20 inputs/s each (services/zone/bench/handoff.ts); value: the two region columns in two zone processes on Redis, baseline: both in one process; ${cluster?.aborted ?? "?"} aborted, ${cluster?.ownershipViolations ?? "?"} ownership violations`;
  return [
    {
      name: "handoff_gap_p99_ms",
      value: cluster?.gapP99Ms ?? null,
      unit: "ms",
      baseline: local?.gapP99Ms ?? null,
      note: `from the handoff message to the new room showing the ship (ShipLink); p50 ${cluster?.gapP50Ms ?? "?"} ms (baseline ${local?.gapP50Ms ?? "?"} ms); ${note}`,
    },
    {
      name: "handoffs_per_s",
      value: cluster?.handoffsPerSecond ?? null,
      unit: "1/s",
      baseline: local?.handoffsPerSecond ?? null,
      note,
    },
  ];
}

async function loginsPerS(): Promise<BenchRow> {
  const out = await runScript(["services/login/bench/logins.ts", QUICK ? "6" : "10", "8"], 180_000);
  const rate = /logins\/s ([\d.]+)/.exec(out)?.[1];
  const raw = /baseline raw scrypt hashes\/s at concurrency \d+: ([\d.]+)/.exec(out)?.[1];
  if (!rate) log(`login bench gave no figure:\n${out.slice(-800)}`);
  return {
    name: "logins_per_s",
    value: rate ? Number(rate) : null,
    unit: "logins/s",
    baseline: raw ? Number(raw) : null,
    note: "HTTP log-ins at OWASP scrypt cost (N=2^17) vs raw scrypt hashes/s at the same concurrency (services/login/bench/logins.ts)",
  };
}

const t0 = Date.now();
log(
  `starlane bench: ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}; the machine is shared with other work, figures are noisy`,
);
log("cores: the zone runs in its own process, the bots in this one; both share the same cores (no pinning)");

log("zone capacity (interest + quantisation on), stepping bots up until tick p99 > 25 ms ...");
const capOn = await capacity("on");
log("zone capacity baseline (interest + quantisation off: stock Colyseus) ...");
const capOff = await capacity("off");

log(`${VISIBLE + 1} bots, everyone in view (radius 3000): bytes and observer latency, on then off ...`);
const visOn = await trial("on", VISIBLE + 1, 3000);
const visOff = await trial("off", VISIBLE + 1, 3000);

log("persistence rows/s ...");
const persistence = await persistenceRows();
log("log-ins/s at OWASP cost ...");
const logins = await loginsPerS();
const handoffRows = await handoffs();

const rows: BenchRow[] = [
  {
    name: "zone_capacity_bots",
    value: capOn.bots,
    unit: "bots",
    baseline: capOff.bots,
    note: `largest step with zone tick p99 <= ${TICK_P99_LIMIT_MS} ms at 20 Hz (search stops after two failing steps in a row), each seeing ~${VISIBLE} others (tick p99 of the better of two ${STEADY_S} s windows after ${WARMUP_S} s warm-up); baseline interest+quantisation off; bots on the same 2 cores`,
  },
  {
    name: "bytes_per_bot_per_s",
    value: visOn.summary.bytesPerBotPerS,
    unit: "B/s",
    baseline: visOff.summary.bytesPerBotPerS,
    note: `${VISIBLE} visible moving ships, received on the bots' sockets; baseline interest+quantisation off`,
  },
  {
    name: "observer_p50_ms",
    value: visOn.summary.observerMs.p50,
    unit: "ms",
    baseline: visOff.summary.observerMs.p50,
    note: "input sent by bot A until observer bot B sees A's ship acknowledge it, same load",
  },
  { name: "observer_p99_ms", value: visOn.summary.observerMs.p99, unit: "ms", baseline: visOff.summary.observerMs.p99 },
  ...handoffRows,
  {
    name: "failover_resume_p99_s",
    value: null,
    unit: "s",
    baseline: null,
    note: "not yet measured: failover is not on main",
  },
  persistence,
  logins,
];

const fmt = (v: number | null) => (v === null ? "not yet measured" : String(v));
const ratio = (r: BenchRow) =>
  r.value !== null && r.baseline !== null && r.baseline !== 0 ? `${(r.value / r.baseline).toFixed(2)}x` : "";
const table = [
  ["name", "value", "unit", "baseline", "value/baseline"],
  ...rows.map((r) => [r.name, fmt(r.value), r.unit, r.baseline === null ? "-" : String(r.baseline), ratio(r)]),
];
const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
process.stdout.write(`\n${table.map((row) => row.map((c, i) => c.padEnd(widths[i]!)).join("  ")).join("\n")}\n\n`);
for (const r of rows) if (r.note) process.stdout.write(`  ${r.name}: ${r.note}\n`);
process.stdout.write(
  `\ncapacity steps (on): ${capOn.trials.map((t) => `${t.bots}:${t.tickP99.toFixed(1)}ms`).join(" ")}\ncapacity steps (off): ${capOff.trials.map((t) => `${t.bots}:${t.tickP99.toFixed(1)}ms`).join(" ")}\n`,
);
process.stdout.write(`bench took ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
if (values.json) writeFileSync(values.json, `${JSON.stringify(rows, null, 2)}\n`);
process.exit(0);
