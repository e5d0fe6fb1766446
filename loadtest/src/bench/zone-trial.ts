// One zone process under a crowd of bots in region 1-1, and the capacity search over bot counts.
// The zone is ours (services/zone/bench/zone-process.ts: cell interest, state frames) or the stock
// Colyseus room (src/stock/stock-zone.ts); either times its own ticks exactly. The bots run in this
// process, joining by signed token, 10 inputs/s each: `FULL_BOTS` full bots (the SDK and the shared
// decoder; they measure input-to-observer) and the rest thin (src/thin-bot.ts: a plain WebSocket
// through a seat, their own private part and bytes only), so the figure measures the server.
import { monitorEventLoopDelay } from "node:perf_hooks";
import { runFleet } from "../fleet.js";
import { breakdown, type ObserverBreakdown, type Observers, startObservers, withObservers } from "../observer-child.js";
import { crowd } from "../scenarios/index.js";
import type { Summary } from "../summary.js";
import { STOCK_ZONE_PROCESS, startZoneChild, type ZoneStats } from "../zone-child.js";
import type { BenchContext } from "./group.js";

export const TICK_P99_LIMIT_MS = 25;
const TICK_HZ = 20;
/** A measured window must have run at least this share of its 20 Hz ticks. */
const MIN_RATE_SHARE = 0.9;
export const WARMUP_S = 2;
const REGION_AREA = 2000 * 2000; // region 1-1 of the default 8000 x 8000 world, 4 x 4 regions

/** `ours`: our zone; `stock`: stock Colyseus. */
export type ZoneSystem = "ours" | "stock";

/** Full bots in a trial (the rest are thin). */
export const FULL_BOTS = 20;

/** Interest cell side for ~`visible` others in the 3 x 3 cells around a ship at this density. */
export const cellFor = (bots: number, visible = 50) => Math.sqrt((visible * REGION_AREA) / (9 * Math.max(1, bots)));

/** Seconds of each of the two measured windows. */
export const windowSeconds = (ctx: BenchContext) => (ctx.quick ? 3 : 5);

function startZone(system: ZoneSystem, bots: number, cell: number) {
  if (system === "stock") return startZoneChild(bots, {}, STOCK_ZONE_PROCESS);
  return startZoneChild(bots, {
    STARLANE_ZONE_CELL_SIZE: String(Math.round(cell)),
    // The run's whole crowd is in one region: the room's client cap is raised for it.
    STARLANE_ZONE_MAX_CLIENTS: String(bots + 10),
    // Nobody owns the neighbouring regions: a ship flying out of 1-1 would be offered to no one and
    // hold its inputs until the offer times out (300 ms), again and again (at 500 bots 249 of 256
    // handoffs in 16 s timed out and the inputs' queue wait had a p99 of 210 ms: the observer figure
    // measured that). The thin bots' circles reach ~640 units out of the region: a ship is handed
    // off only 1,000 units past the border, so it stays in this room.
    STARLANE_ZONE_HANDOFF_HYSTERESIS: "1000",
    // The observers (bot-0 .. bot-(n-1)): the zone stamps when their inputs arrive.
    BENCH_OBSERVERS: String(Math.min(bots, FULL_BOTS)),
  });
}

export interface Trial {
  system: ZoneSystem;
  bots: number;
  tickP50: number;
  tickP99: number;
  /** Tick p99 of each window (the better one is `tickP99`; Infinity when it ran under 90% of its ticks). */
  windows: number[];
  /** Ticks per second the zone ran in each window. */
  rates: number[];
  summary: Summary;
  /**
   * CPU over both windows: the zone process's CPU ms per tick and share of one core, the time per
   * tick in ticks, in the mirror's update and in its send (our zone), and the bots' process's share
   * of one core (they share the machine's cores with the zone).
   */
  cpu: {
    zoneMsPerTick: number;
    zoneShare: number;
    tickMs: number;
    syncMs: number;
    sendMs: number;
    botsShare: number;
    botsUsPerMessage: number;
    /** Our zone: time in garbage collection per tick (all kinds), and scavenges per second. */
    gcMsPerTick: number;
    scavengesPerS: number;
  };
  /**
   * Where input-to-observer time goes: the zone's input wait and send times in its tick (the better
   * window's), and the bots' process's event-loop delay over both windows (ms).
   */
  latency: {
    zone: ZoneStats["latency"];
    botsLoop: { p50: number; p99: number };
    /** Our zone: each observer sample split at its tick's start and send (observer-child.ts). */
    split: ObserverBreakdown | null;
  };
  /** With `memory`: the zone process before any bot joined (after GC), and with the bots in. */
  memory?: { empty: ZoneStats; loaded: ZoneStats | null; afterGc: boolean };
}

export interface TrialOptions {
  /** Interest cell side (ours only). */
  cell: number;
  /** Full bots (default FULL_BOTS; the rest are thin). */
  full?: number;
  windowS: number;
  /** Read the zone's memory empty and loaded. */
  memory?: boolean;
}

// Two consecutive windows of `windowS`; the tick figure is the better window's, so one burst of
// another tenant's work on this shared machine does not decide a step (both are printed).
export async function trial(system: ZoneSystem, bots: number, o: TrialOptions): Promise<Trial> {
  const zone = await startZone(system, bots, o.cell);
  // A step must end even when the zone (or the bots' process) is swamped: past its budget the fleet
  // is stopped and an unanswered reading counts as a failed step (NaN), never a hang.
  const budgetMs = (2 * o.windowS + WARMUP_S + 45) * 1000 + bots * 20;
  const signal = AbortSignal.timeout(budgetMs);
  const stats = (opts?: { gc?: boolean }): Promise<ZoneStats> =>
    Promise.race([
      zone.stats(opts),
      new Promise<ZoneStats>((resolve) =>
        setTimeout(
          () =>
            resolve({ ticks: 0, p50: Number.NaN, p99: Number.NaN, max: Number.NaN, clients: 0, rss: 0, heapUsed: 0 }),
          15_000,
        ).unref(),
      ),
    ]);
  let observers: Observers | undefined;
  try {
    const empty = o.memory ? await stats({ gc: true }) : undefined;
    let loaded: Promise<ZoneStats> | undefined;
    let afterGc = false;
    let steady = false;
    const windows: { first?: Promise<ZoneStats> } = {};
    let bots0 = { cpu: process.cpuUsage(), at: performance.now() };
    const loop = monitorEventLoopDelay({ resolution: 1 });
    // The observers (full bots bot-0 .. bot-19, first in) in a process of their own (observer-child.ts).
    const nObs = Math.min(bots, FULL_BOTS);
    observers = await startObservers(
      nObs,
      { url: zone.url, durationS: 2 * o.windowS, joinTimeoutMs: 20_000, stock: system === "stock" },
      (id) => zone.sign(id),
    );
    signal.addEventListener("abort", () => void observers?.stop(), { once: true });
    const mainBots = bots - nObs;
    const main = await runFleet({
      entry: { kind: "direct", url: zone.url, shipId: (i) => `bot-${i + nObs}`, token: (id) => zone.sign(id) },
      scenario: crowd,
      bots: mainBots,
      durationS: 2 * o.windowS,
      warmupS: o.memory ? WARMUP_S + 1 : WARMUP_S,
      rampPerS: 200,
      joinTimeoutMs: 20_000,
      signal,
      observers: 0,
      fullBots: Math.max(0, (o.full ?? FULL_BOTS) - nObs),
      stock: system === "stock",
      metricsUrls: system === "stock" ? [] : [`${zone.url}/metrics`],
      // The loaded memory reading collects garbage first, which stalls the zone: taken in the
      // warm-up once every bot is in, so the pause is in neither the latency figures nor the windows.
      onProgress: (_line, sample) => {
        if (o.memory && !loaded && !steady && sample.connected === mainBots) {
          afterGc = true;
          loaded = stats({ gc: true });
        }
      },
      onSteady: async () => {
        steady = true;
        // Not every bot got in during the warm-up: read it now, without a collection (no pause).
        if (o.memory && !loaded) loaded = stats();
        await stats(); // forget the ticks of the ramp and warm-up
        observers?.go();
        bots0 = { cpu: process.cpuUsage(), at: performance.now() };
        loop.enable();
        windows.first = new Promise((resolve) => setTimeout(() => resolve(stats()), o.windowS * 1000));
      },
    });
    const summary = withObservers(main, await observers.summary(), nObs);
    const detail = await observers.detail();
    const split = detail && system === "ours" ? breakdown(detail, await zone.ticks()) : null;
    await observers.stop();
    const a = windows.first ? await windows.first : { p50: Number.NaN, p99: Number.NaN };
    const b = await stats();
    loop.disable();
    const botsCpu = process.cpuUsage(bots0.cpu);
    const botsWall = performance.now() - bots0.at;
    // A window counts only if the zone kept its rate: a stalled zone runs fewer ticks (Colyseus
    // drops the backlog after a hitch), and the few that ran can be quick; such a window is a failure.
    const p99Of = (x: { p99: number; ticks?: number; wallMs?: number }) =>
      (x.ticks ?? 0) >= MIN_RATE_SHARE * TICK_HZ * ((x.wallMs ?? o.windowS * 1000) / 1000)
        ? x.p99
        : Number.POSITIVE_INFINITY;
    const better = p99Of(a) <= p99Of(b) ? a : b;
    const sum = (k: "cpuMs" | "wallMs" | "tickMs" | "syncMs" | "sendMs") =>
      ((a as Partial<ZoneStats>)[k] ?? Number.NaN) + (b[k] ?? Number.NaN);
    const ticks = ((a as Partial<ZoneStats>).ticks ?? Number.NaN) + b.ticks;
    const gc = (k: (g: Record<string, number>) => number) => k((a as Partial<ZoneStats>).gcs ?? {}) + k(b.gcs ?? {});
    const gcMs = gc((g) => Object.entries(g).reduce((t, [n, v]) => (n.endsWith("Ms") ? t + v : t), 0));
    const cpu = {
      zoneMsPerTick: sum("cpuMs") / ticks,
      zoneShare: sum("cpuMs") / sum("wallMs"),
      tickMs: sum("tickMs") / ticks,
      syncMs: sum("syncMs") / ticks,
      sendMs: sum("sendMs") / ticks,
      gcMsPerTick: b.gcs ? gcMs / ticks : Number.NaN,
      scavengesPerS: b.gcs ? gc((g) => g.minor ?? 0) / (sum("wallMs") / 1000) : Number.NaN,
      botsShare: (botsCpu.user + botsCpu.system) / 1000 / botsWall,
      // Per WebSocket message the bots received or sent (inputs at 10/s): their cost apart from how
      // fast the zone could send.
      botsUsPerMessage:
        (botsCpu.user + botsCpu.system) / (bots * ((summary.messagesPerBotPerS ?? 0) + 10) * (botsWall / 1000)),
    };
    return {
      system,
      bots,
      tickP99: p99Of(better),
      tickP50: better.p50,
      windows: [a.p99, b.p99],
      rates: [a, b].map(
        (x) => ((x as Partial<ZoneStats>).ticks ?? 0) / (((x as Partial<ZoneStats>).wallMs ?? o.windowS * 1000) / 1000),
      ),
      summary,
      cpu,
      latency: {
        zone: (better as Partial<ZoneStats>).latency,
        botsLoop: { p50: loop.percentile(50) / 1e6, p99: loop.percentile(99) / 1e6 },
        split,
      },
      ...(empty ? { memory: { empty, loaded: loaded ? await loaded : null, afterGc } } : {}),
    };
  } finally {
    await observers?.stop();
    await zone.stop();
  }
}

export const describeTrial = (t: Trial) =>
  `${t.bots} bots joined ${t.summary.joined}, connected at end ${t.summary.connectedAtEnd}, tick p50 ${t.tickP50.toFixed(1)} ms p99 ${t.tickP99.toFixed(1)} ms (windows ${t.windows.map((w, i) => `${w.toFixed(1)} ms at ${(t.rates[i] ?? 0).toFixed(1)} Hz`).join(" / ")}), ${t.summary.bytesPerBotPerS} B/bot/s, observer p50 ${t.summary.observerMs.p50} p99 ${t.summary.observerMs.p99} ms (${t.summary.observerMs.count} samples, ${t.summary.observerMs.newInView} acks on ships new in view not counted; ${latencyText(t)}), ${cpuText(t)}, inputs lost ${t.summary.inputsLost} twice ${t.summary.inputsDuplicated}, errors ${JSON.stringify(t.summary.errorsByCode)}`;

/** Where input-to-observer time goes, p50/p99 (ms). */
export const latencyText = (t: Trial) => {
  const z = t.latency.zone;
  const pq = (x?: { p50: number; p99: number }) => (x ? `${f1(x.p50)}/${f1(x.p99)}` : "-");
  const s = t.latency.split;
  const split = s
    ? `; per sample (${s.samples}): sent -> its tick starts ${pq(s.toTick)} (sent -> the room has it ${pq(s.toRoom)}, then waits ${pq(s.inRoom)}), tick start -> send starts ${pq(s.tickToSend)}, send start -> observer has decoded it ${pq(s.sendToSeen)}, observers' process event-loop delay ${pq(s.observerLoop)}, tick start to tick start ${pq(s.tickGap)} (${Math.round(s.tickGap.short * 100)}% under 25 ms)`
    : "";
  return `zone: an input waits in its queue ${pq(z?.inputWait)}, the send starts ${pq(z?.sendStart)} and ends ${pq(z?.sendEnd)} ms into the tick; bots' process event-loop delay ${pq(t.latency.botsLoop)}${split}`;
};

const f1 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : "-");
/** The zone's CPU per tick and where the tick's time went; the bots' share of a core beside it. */
export const cpuText = (t: Trial) =>
  `zone CPU ${f1(t.cpu.zoneMsPerTick)} ms/tick (${Math.round(t.cpu.zoneShare * 100)}% of a core; in tick ${f1(t.cpu.tickMs)} ms: mirror update ${f1(t.cpu.syncMs)}, send ${f1(t.cpu.sendMs)}; GC ${f1(t.cpu.gcMsPerTick)} ms/tick, ${f1(t.cpu.scavengesPerS)} scavenges/s), bots' process ${Math.round(t.cpu.botsShare * 100)}% of a core (${f1(t.cpu.botsUsPerMessage)} µs per message in or out)`;

export interface Capacity {
  /** The largest passing step (0: none passed). */
  bots: number;
  steps: { trial: Trial; ok: boolean }[];
}

export const DEFAULT_STEPS = [250, 500, 750, 1000, 1250, 1500];
export const QUICK_STEPS = [100, 250, 500];

/**
 * Steps the bot count up: a step passes when its tick p99 is within the limit and every bot joined
 * and stayed connected (a zone that drops slow readers fails it). One failing step on this shared
 * machine can be another tenant's burst: the search ends after two failing steps in a row, or when
 * its time budget is spent.
 */
export async function capacity(system: ZoneSystem, ctx: BenchContext): Promise<Capacity> {
  const steps = ctx.steps ?? (ctx.quick ? QUICK_STEPS : DEFAULT_STEPS);
  const out: Capacity = { bots: 0, steps: [] };
  let fails = 0;
  const started = Date.now();
  for (const n of steps) {
    // Cells are sized for ~50 visible; the stock room sends everyone everything anyway.
    const t = await trial(system, n, { cell: cellFor(n), windowS: windowSeconds(ctx), memory: system === "ours" });
    const ok =
      t.tickP99 <= TICK_P99_LIMIT_MS &&
      t.summary.joined === n &&
      t.summary.connectedAtEnd === n &&
      !t.summary.interrupted;
    out.steps.push({ trial: t, ok });
    ctx.log(`  capacity ${system}: ${describeTrial(t)} ${ok ? "ok" : "-> fails"}`);
    if (!ok) {
      fails++;
      if (fails >= 2) break;
      continue;
    }
    fails = 0;
    out.bots = n;
    if (Date.now() - started > (ctx.quick ? 90_000 : 420_000)) {
      ctx.log(`  capacity ${system}: time budget spent; capacity is at least ${out.bots}`);
      break;
    }
  }
  return out;
}

/** The steps as `bots:tick p99(zone CPU per tick)` (`!` marks a failing step), for the row's note. */
export const stepsText = (c: Capacity) =>
  c.steps
    .map(
      (s) =>
        `${s.trial.bots}:${s.trial.tickP99.toFixed(1)}ms(cpu ${f1(s.trial.cpu.zoneMsPerTick)}ms/tick)${s.ok ? "" : "!"}`,
    )
    .join(" ");
