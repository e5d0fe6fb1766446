// `bytes`: what a player's connection carries and how soon it shows others' inputs, with 50 visible
// moving ships (51 full bots, everyone in view): our zone and stock Colyseus.
import { STOCK_ROOM } from "./capacity.js";
import { type BenchGroup, rowOf } from "./group.js";
import { trial, windowSeconds } from "./zone-trial.js";

const ROWS = [
  { name: "bytes_per_bot_per_s", unit: "B/s" },
  { name: "bytes_per_bot_per_s_stock", unit: "B/s" },
  { name: "observer_p50_ms", unit: "ms" },
  { name: "observer_p99_ms", unit: "ms" },
];
const row = (name: string) => rowOf(ROWS, name);
const VISIBLE = 50;
const OURS = "our zone (cell interest, state frames; cells of 2000 units: everyone in view)";

export const bytesGroup: BenchGroup = {
  name: "bytes",
  description: `bytes per bot per second and input-to-observer latency with ${VISIBLE} visible moving ships (ours, stock Colyseus)`,
  rows: ROWS,
  async run(ctx) {
    const bots = VISIBLE + 1;
    const o = { cell: 2000, windowS: windowSeconds(ctx), full: bots };
    ctx.log(`${bots} bots, everyone in view: our zone, then stock Colyseus ...`);
    const on = await trial("ours", bots, o);
    const stock = await trial("stock", bots, o);
    const load = `${bots} bots in region 1-1 of one zone, everyone in view, 10 inputs/s each, ${2 * o.windowS} s steady phase`;
    return [
      {
        ...row("bytes_per_bot_per_s"),
        value: on.summary.bytesPerBotPerS,
        baseline: stock.summary.bytesPerBotPerS,
        note: `WebSocket message payload bytes received per bot per second, ${OURS}; ${load}; baseline: stock Colyseus in the same run (bytes_per_bot_per_s_stock)`,
      },
      {
        ...row("bytes_per_bot_per_s_stock"),
        value: stock.summary.bytesPerBotPerS,
        baseline: null,
        note: `the same, against ${STOCK_ROOM}; its observer latency p50 ${stock.summary.observerMs.p50} ms p99 ${stock.summary.observerMs.p99} ms, tick p99 ${stock.tickP99.toFixed(1)} ms (ours ${on.tickP99.toFixed(1)} ms); no baseline`,
      },
      {
        ...row("observer_p50_ms"),
        value: on.summary.observerMs.p50,
        baseline: stock.summary.observerMs.p50,
        note: `input sent by bot A until observer bot B sees A's ship acknowledge it (${Math.min(bots, 20)} observers), ${OURS}; ${load}; baseline: stock Colyseus`,
      },
      {
        ...row("observer_p99_ms"),
        value: on.summary.observerMs.p99,
        baseline: stock.summary.observerMs.p99,
        note: "as observer_p50_ms; baseline: stock Colyseus",
      },
    ];
  },
};
