// `handoff`: ships crossing a region border between two zone processes on Redis
// (services/zone/bench/handoff.ts), against both regions in one process.
import { type BenchGroup, rowOf } from "./group.js";
import { jsonLines, runScript } from "./script.js";

const ROWS = [
  { name: "handoff_gap_p99_ms", unit: "ms" },
  { name: "handoffs_per_s", unit: "1/s" },
];
const row = (name: string) => rowOf(ROWS, name);

interface Run {
  mode: string;
  handoffsPerSecond: number;
  gapP50Ms: number;
  gapP99Ms: number;
  aborted: number;
  ownershipViolations: number;
}

export const handoffGroup: BenchGroup = {
  name: "handoff",
  description: "handoff gap and handoffs/s across the x=4000 border, two zone processes on Redis vs one process",
  rows: ROWS,
  async run(ctx) {
    const bots = ctx.quick ? 60 : 150;
    ctx.log(`handoff: ${bots} bots crossing the x=4000 border ...`);
    const out = await runScript(["services/zone/bench/handoff.ts", String(bots), ctx.quick ? "8" : "15"], 240_000);
    const runs = jsonLines<Run>(out);
    const cluster = runs.find((r) => r.mode === "cluster");
    const local = runs.find((r) => r.mode === "local");
    if (!cluster) throw new Error(`services/zone/bench/handoff.ts gave no figure: ${out.slice(-800)}`);
    const note = `${bots} bots spread along the x=4000 border (four region pairs) crossing it back and forth, 20 inputs/s each (services/zone/bench/handoff.ts); value: the two region columns in two zone processes on Redis, baseline: both in one process; ${cluster.aborted} aborted, ${cluster.ownershipViolations} ownership violations`;
    return [
      {
        ...row("handoff_gap_p99_ms"),
        value: cluster.gapP99Ms,
        baseline: local?.gapP99Ms ?? null,
        note: `from the handoff message to the new room showing the ship (ShipLink); p50 ${cluster.gapP50Ms} ms (baseline ${local?.gapP50Ms ?? "?"} ms); ${note}`,
      },
      { ...row("handoffs_per_s"), value: cluster.handoffsPerSecond, baseline: local?.handoffsPerSecond ?? null, note },
    ];
  },
};
