// `capacity`: how many bots one zone carries, ours against stock Colyseus under the same search,
// what 500 bots on one zone cost in observer latency, and the zone's memory per bot at the largest
// passing step.
import { ZONE_NODE_FLAGS, type ZoneStats } from "../zone-child.js";
import type { BenchGroup } from "./group.js";
import { rowOf } from "./group.js";
import {
  capacity,
  cellFor,
  FULL_BOTS,
  latencyText,
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

const spacesText = (z: ZoneStats) =>
  Object.entries(z.spaces ?? {})
    .map(([k, v]) => `${k} ${(v / 2 ** 20).toFixed(1)}`)
    .join(", ") || "-";

const perBotKb = (from: number, to: number, bots: number) => Math.round(((to - from) / bots / 1024) * 10) / 10;

const loadOf = (t: Trial) =>
  `${t.summary.connectedAtEnd}/${t.bots} bots connected at the end, zone tick p50 ${t.tickP50.toFixed(1)} ms p99 ${t.tickP99.toFixed(1)} ms (${t.tickP99 <= TICK_P99_LIMIT_MS ? "keeps up" : `does not keep up, limit ${TICK_P99_LIMIT_MS} ms`})`;

function memoryRow(t: Trial | undefined) {
  const mem = t?.memory;
  const loaded = mem?.loaded;
  const bots = loaded?.clients ?? 0;
  if (!t || !mem || !loaded || bots === 0)
    return {
      ...row("zone_memory_per_bot_kb"),
      value: null,
      baseline: null,
      note: "no passing step with a memory reading",
    };
  const rss = perBotKb(mem.empty.rss, loaded.rss, bots);
  const heap = perBotKb(mem.empty.heapUsed, loaded.heapUsed, bots);
  return {
    ...row("zone_memory_per_bot_kb"),
    value: rss,
    baseline: null,
    note: `at the largest ${t.tickP99 <= TICK_P99_LIMIT_MS ? "passing" : "measured (no step passed)"} step (${t.bots} bots): zone process RSS with ${bots} bots seated (${mem.afterGc ? "read in the warm-up 250 ms after a forced GC" : "read at the start of the steady phase without GC: not every bot was in during the warm-up"}) minus its RSS before any bot joined (the same way), per bot; heap used grew ${heap} kB/bot the same way; V8's heap spaces empty / loaded (MB): ${spacesText(mem.empty)} / ${spacesText(loaded)}; the zone runs with ${ZONE_NODE_FLAGS.join(" ")} as every zone launch does; RSS includes uWS socket buffers outside the JS heap; ${loadOf(t)}; no baseline`,
  };
}

export const capacityGroup: BenchGroup = {
  name: "capacity",
  description: `bots one zone carries at tick p99 <= ${TICK_P99_LIMIT_MS} ms (ours, stock Colyseus); observer latency at ${CROWD} bots; memory per bot`,
  rows: ROWS,
  async run(ctx) {
    const w = windowSeconds(ctx);
    const criteria = `largest step with zone tick p99 <= ${TICK_P99_LIMIT_MS} ms at 20 Hz and every bot joined and connected to the end (tick p99: the better of two ${w} s windows after ${WARMUP_S} s warm-up; the steps stop after two failing steps in a row); bots in region 1-1, 10 inputs/s each, ${FULL_BOTS} full bots (SDK + decoder; they observe) in a process of their own and the rest thin (plain WebSocket through a seat, private part and bytes only) in the bench process, on the same cores as the zone`;
    ctx.log("zone capacity, ours (cells sized for ~50 in view) ...");
    const ours = await capacity("ours", ctx);
    ctx.log("zone capacity, stock Colyseus room ...");
    const stock = await capacity("stock", ctx);
    const n = ctx.steps ? Math.max(...ctx.steps) : CROWD;
    ctx.log(`${n} bots on one zone: observer latency ...`);
    const crowd = await trial("ours", n, { cell: cellFor(n), windowS: w });
    const nominal = !ctx.steps;
    // The largest passing step; with none passing, the largest step measured (the note says which).
    const passing =
      ours.steps.filter((s) => s.ok && s.trial.bots === ours.bots).at(-1)?.trial ??
      ours.steps.filter((s) => s.trial.memory?.loaded).at(-1)?.trial;
    const ratio = stock.bots > 0 ? ` (${(ours.bots / stock.bots).toFixed(1)}x stock)` : "";
    return [
      {
        ...row("zone_capacity_bots"),
        value: ours.bots,
        baseline: stock.bots,
        note: `our zone (cell interest sized for ~50 in view, state frames encoded once per cell per tick)${ratio}: ${criteria}; steps (bots:tick p99, ! failed) ${stepsText(ours)}; baseline: zone_capacity_bots_stock`,
      },
      {
        ...row("zone_capacity_bots_stock"),
        value: stock.bots,
        baseline: null,
        note: `${STOCK_ROOM}, the same search, bots and criteria (its thin bots join on the first state and measure no ack): ${criteria}; steps ${stepsText(stock)}; no baseline`,
      },
      {
        ...row("observer_p99_ms_500"),
        value: nominal ? crowd.summary.observerMs.p99 : null,
        baseline: null,
        note: `${nominal ? "" : `not measured at ${CROWD} bots (--steps: run at ${n}, ${crowd.summary.observerMs.p99} ms); `}input sent by bot A until full observer bot B sees A's ship acknowledge it (p50 ${crowd.summary.observerMs.p50} ms, ${crowd.summary.observerMs.count} samples; an ack B first sees on a ship that was not in its previous frame is not a sample: ${crowd.summary.observerMs.newInView} such), ${n} bots in region 1-1 of one zone, cells for ~50 in view, ${Math.min(n, FULL_BOTS)} observers in a process of their own watching each other; where the time went: ${latencyText(crowd)}; ${loadOf(crowd)}; no baseline`,
      },
      memoryRow(passing),
    ];
  },
};
