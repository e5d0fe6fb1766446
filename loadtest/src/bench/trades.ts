// `trades`: player trades committed through the ledger. The ledger's trade() exists
// (services/persistence/src/ledger.ts) but no service calls it: not measurable yet.
import type { BenchGroup } from "./group.js";
import { notYet } from "./row.js";

const ROWS = [
  { name: "trades_committed_per_s", unit: "trades/s" },
  { name: "ledger_conservation_violations", unit: "count" },
];
const NOT_BUILT =
  "not measured: player trades through the ledger are not built (ledger trade() exists in services/persistence/src/ledger.ts, no service calls it); the economy work will provide it";

export const tradesGroup: BenchGroup = {
  name: "trades",
  description: "player trades committed per second through the ledger, credits and ore conserved (not built yet)",
  rows: ROWS,
  run: async () => [
    notYet(ROWS[0]!, `${NOT_BUILT}: trades committed per second by players trading at stations`),
    notYet(ROWS[1]!, `${NOT_BUILT}: credits or ore created or lost across all committed trades (must be 0)`),
  ],
};
