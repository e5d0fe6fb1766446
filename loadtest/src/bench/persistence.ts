// `persistence`: ship rows written per second by the batched upsert (services/persistence/bench/upsert.ts).
import { type BenchGroup, rowOf } from "./group.js";
import { jsonLines, runScript } from "./script.js";

const ROWS = [{ name: "persistence_rows_per_s", unit: "rows/s" }];

export const persistenceGroup: BenchGroup = {
  name: "persistence",
  description: "ship rows/s into PostgreSQL, batched upsert vs row per statement",
  rows: ROWS,
  async run(ctx) {
    ctx.log("persistence rows/s ...");
    const out = await runScript(
      ["services/persistence/bench/upsert.ts", "--ships", "5000", "--seconds", ctx.quick ? "3" : "5", "--stream", "0"],
      120_000,
    );
    const lines = jsonLines<{ method?: string; rowsPerSec?: number }>(out);
    const batched = lines.find((l) => l.method?.startsWith("batched"))?.rowsPerSec;
    const perRow = lines.find((l) => l.method?.startsWith("row-per-statement"))?.rowsPerSec ?? null;
    if (batched === undefined)
      throw new Error(`services/persistence/bench/upsert.ts gave no figure: ${out.slice(-800)}`);
    return [
      {
        ...rowOf(ROWS, "persistence_rows_per_s"),
        value: batched,
        baseline: perRow,
        note: "batched unnest upsert of 5000 ships (services/persistence/bench/upsert.ts, local PostgreSQL); baseline: one statement per row, same run",
      },
    ];
  },
};
