// `trades`: player trades committed through the ledger by bots trading in pairs across the x = 4000
// border, two zone processes on Redis and one PostgreSQL ledger (services/zone/bench/trades.ts),
// against the same pairs in one room of one process; conservation checked once settled.
import { type BenchGroup, rowOf } from "./group.js";
import { jsonLines, runScript } from "./script.js";

const ROWS = [
  { name: "trades_committed_per_s", unit: "trades/s" },
  { name: "ledger_conservation_violations", unit: "count" },
];
const row = (name: string) => rowOf(ROWS, name);

interface Run {
  mode: string;
  pairs: number;
  committedPerSecond: number;
  committed: number;
  refused: Record<string, number>;
  acceptP50Ms: number;
  acceptP99Ms: number;
  offerP50Ms?: number;
  offerP99Ms?: number;
  tradeP50Ms?: number;
  tradeP99Ms?: number;
  ledgerCommitP50UpToMs: number | null;
  ledgerCommitP99UpToMs: number | null;
  violations: number;
  /** Close codes of seats the zone closed during the run (4101: over the per-connection message rate). */
  closedByZone?: Record<string, number>;
  detail: Record<string, number>;
  load: number[];
}

export const tradesGroup: BenchGroup = {
  name: "trades",
  description:
    "player trades committed per second across a border between two zone processes, credits and ore conserved",
  rows: ROWS,
  async run(ctx) {
    const pairs = ctx.quick ? 20 : 50;
    const seconds = ctx.quick ? 8 : 15;
    ctx.log(`trades: ${pairs} pairs trading across the x=4000 border for ${seconds} s ...`);
    const out = await runScript(["services/zone/bench/trades.ts", String(pairs), String(seconds)], 300_000);
    const runs = jsonLines<Run>(out);
    const cluster = runs.find((r) => r.mode === "cluster");
    const local = runs.find((r) => r.mode === "same-room");
    const perOp = runs.find((r) => r.mode === "cluster-per-op");
    if (!cluster) throw new Error(`services/zone/bench/trades.ts gave no figure: ${out.slice(-800)}`);
    const about = (r: Run) =>
      `${r.committed} committed, trade (offer -> told committed) p50 ${r.tradeP50Ms} ms p99 ${r.tradeP99Ms} ms, offer -> shown p50 ${r.offerP50Ms} ms p99 ${r.offerP99Ms} ms, accept -> tradeClosed p50 ${r.acceptP50Ms} ms p99 ${r.acceptP99Ms} ms, ledger commit p50 <= ${r.ledgerCommitP50UpToMs} ms p99 <= ${r.ledgerCommitP99UpToMs} ms (histogram bucket), refused ${JSON.stringify(r.refused)}, seats closed by the zone ${JSON.stringify(r.closedByZone ?? {})}, load average ${r.load.join(" -> ")}`;
    const target = "target >= 1000/s with commit p99 <= 50 ms";
    return [
      {
        ...row("trades_committed_per_s"),
        value: cluster.committedPerSecond,
        baseline: local?.committedPerSecond ?? null,
        note: `${pairs} pairs, one ship west of x=4000 (one zone process) and one east (another), one trade at a time per pair (services/zone/bench/trades.ts); ${target}; value: ${about(cluster)}; baseline: both ships in one room of one process, ${local ? about(local) : "not run"}; one ledger transaction per trade (no group commit): ${perOp ? `${perOp.committedPerSecond}/s, ${about(perOp)}` : "not run"}`,
      },
      {
        ...row("ledger_conservation_violations"),
        value: cluster.violations,
        baseline: local?.violations ?? null,
        note: `target 0; after the run settled: credits and ore summed over the accounts vs their start, ledger rows of each trade summing to zero, trades in the ledger vs trades the players were told committed, each screen vs its account: ${JSON.stringify(cluster.detail)}; baseline: the same-room run${local ? `: ${JSON.stringify(local.detail)}` : ""}`,
      },
    ];
  },
};
