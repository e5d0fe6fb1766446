// `capacity`: how many bots one zone carries, ours against stock Colyseus under the same search,
// and what 500 bots on one zone cost in observer latency and memory.
import type { BenchGroup } from "./group.js";
import { rowOf } from "./group.js";
import type { BenchRow } from "./row.js";
import {
  capacity,
  radiusFor,
  stepsText,
  TICK_P99_LIMIT_MS,
  type Trial,
  trial,
  WARMUP_S,
  windowSeconds,
} from "./zone-trial.js";

const ROWS = [
  { name: "zone_capacity_bots", unit: "bots" },
  { name: "zone_capacity_bots_stock", unit: "bots" },
  { name: "observer_p99_ms_500", unit: "ms" },
  { name: "zone_memory_per_bot_kb", unit: "kB" },
];
const row = (name: string) => rowOf(ROWS, name);
const CROWD = 500;

export const STOCK_ROOM =
  "a minimal stock Colyseus 0.18 room (loadtest/src/stock/stock-zone.ts: @colyseus/core + @colyseus/schema `number` fields on the uWebSockets transport, everyone sees everything, fixed 20 Hz step applying the inputs; no interest, quantisation, gating or handoff)";

const perBotKb = (from: number, to: number, bots: number) => Math.round(((to - from) / bots / 1024) * 10) / 10;

function crowdRows(t: Trial, nominal: boolean): BenchRow[] {
  const connected = t.summary.connectedAtEnd;
  const keepsUp = t.tickP99 <= TICK_P99_LIMIT_MS ? "keeps up" : `does not keep up (limit ${TICK_P99_LIMIT_MS} ms)`;
  const load = `${connected}/${t.bots} bots connected at the end, zone tick p50 ${t.tickP50.toFixed(1)} ms p99 ${t.tickP99.toFixed(1)} ms: the tick ${keepsUp}`;
  const observer = t.summary.observerMs.p99;
  const mem = t.memory;
  const loaded = mem?.loaded;
  const bots = loaded?.clients ?? 0;
  const rss = loaded && bots > 0 ? perBotKb(mem.empty.rss, loaded.rss, bots) : null;
  const heap = loaded && bots > 0 ? perBotKb(mem.empty.heapUsed, loaded.heapUsed, bots) : null;
  const memNote = loaded
    ? `zone process RSS with ${bots} bots seated (${mem.afterGc ? "read in the warm-up after a forced GC" : "read at the start of the steady phase without GC: not every bot was in during the warm-up"}) minus its RSS before any bot joined (after GC), per bot; heap used grew ${heap} kB/bot the same way. RSS includes uWS socket buffers outside the JS heap`
    : "the zone did not answer the memory reading";
  const prefix = nominal ? "" : `not measured at ${CROWD} bots (--steps: run at ${t.bots}); at ${t.bots}: `;
  return [
    {
      ...row("observer_p99_ms_500"),
      value: nominal ? observer : null,
      baseline: null,
      note: `${prefix}${nominal ? "" : `${observer} ms; `}input sent by bot A until observer bot B sees A's ship acknowledge it, ${t.bots} bots in region 1-1 of one zone, interest on (radius for ~50 visible), ${Math.min(t.bots, 20)} observers; ${load}; no baseline`,
    },
    {
      ...row("zone_memory_per_bot_kb"),
      value: nominal ? rss : null,
      baseline: null,
      note: `${prefix}${nominal ? "" : `${rss} kB; `}${memNote}; no baseline`,
    },
  ];
}

export const capacityGroup: BenchGroup = {
  name: "capacity",
  description: `bots one zone carries at tick p99 <= ${TICK_P99_LIMIT_MS} ms (ours, stock Colyseus); observer latency and memory at ${CROWD} bots`,
  rows: ROWS,
  async run(ctx) {
    const w = windowSeconds(ctx);
    const criteria = `largest step with zone tick p99 <= ${TICK_P99_LIMIT_MS} ms at 20 Hz and every bot joined and connected to the end (tick p99: the better of two ${w} s windows after ${WARMUP_S} s warm-up; the search stops after two failing steps in a row); bots (real SDK clients, 10 inputs/s, crowd in region 1-1) run in the bench process on the same cores as the zone`;
    ctx.log("zone capacity, ours (interest + quantisation on, radius for ~50 visible) ...");
    const ours = await capacity("ours", ctx);
    ctx.log("zone capacity, stock Colyseus room ...");
    const stock = await capacity("stock", ctx);
    const n = ctx.steps ? Math.max(...ctx.steps) : CROWD;
    ctx.log(`${n} bots on one zone, interest on: observer latency and memory ...`);
    const crowd = await trial("ours", n, { radius: radiusFor(n), windowS: w, memory: true });
    return [
      {
        ...row("zone_capacity_bots"),
        value: ours.bots,
        baseline: null,
        note: `our zone (interest + quantisation on, each bot seeing ~50 others): ${criteria}; steps (bots:tick p99, ! failed) ${stepsText(ours)}; no baseline: stock Colyseus is zone_capacity_bots_stock`,
      },
      {
        ...row("zone_capacity_bots_stock"),
        value: stock.bots,
        baseline: null,
        note: `${STOCK_ROOM}, the same search and criteria: ${criteria}; steps ${stepsText(stock)}; no baseline`,
      },
      ...crowdRows(crowd, !ctx.steps),
    ];
  },
};
