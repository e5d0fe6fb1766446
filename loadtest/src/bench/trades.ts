// `trades`: player trades committed through the ledger. Zones commit trades between two ships of
// the same region room (services/zone/src/ledger-desk.ts); the benchmark asks for bots trading in
// pairs across a border on two zone processes, which needs cross-zone trades: not measurable yet.
import type { BenchGroup } from "./group.js";
import { notYet } from "./row.js";

const ROWS = [
  { name: "trades_committed_per_s", unit: "trades/s" },
  { name: "ledger_conservation_violations", unit: "count" },
];
const NOT_BUILT =
  "not measured: trades across a border between two zone processes are not built (same-room trades are: tradeOffer/tradeAccept in shared/PROTOCOL.md)";

export const tradesGroup: BenchGroup = {
  name: "trades",
  description: "player trades committed per second through the ledger, credits and ore conserved (not built yet)",
  rows: ROWS,
  run: async () => [
    notYet(ROWS[0]!, `${NOT_BUILT}: trades committed per second by players trading at stations`),
    notYet(ROWS[1]!, `${NOT_BUILT}: credits or ore created or lost across all committed trades (must be 0)`),
  ],
};
