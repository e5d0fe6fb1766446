// Runs the chosen groups one after another and collects exactly the rows they declare, in table
// order: a row a group did not return, or every row of a group that failed, is still written (value
// null, the note saying why), so a reader of the table or the JSON sees every figure there is. A
// failed group does not stop the others; it is reported (and makes the run's exit code 1).
import type { BenchContext, BenchGroup } from "./group.js";
import type { BenchRow } from "./row.js";

export async function runGroups(
  groups: readonly BenchGroup[],
  ctx: BenchContext,
): Promise<{ rows: BenchRow[]; failed: string[] }> {
  const rows: BenchRow[] = [];
  const failed: string[] = [];
  for (const g of groups) {
    ctx.log(`== ${g.name}: ${g.description}`);
    let got: BenchRow[] = [];
    let failure: string | null = null;
    try {
      got = await g.run(ctx);
    } catch (err) {
      failure = (err as Error)?.stack ?? String(err);
      failed.push(g.name);
      ctx.log(`group ${g.name} failed: ${failure}`);
    }
    for (const r of got)
      if (!g.rows.some((s) => s.name === r.name))
        ctx.log(`group ${g.name} returned an undeclared row ${r.name} (dropped)`);
    for (const spec of g.rows) {
      const row = got.find((r) => r.name === spec.name);
      rows.push(
        row
          ? { ...row, unit: spec.unit }
          : {
              ...spec,
              value: null,
              baseline: null,
              note: failure
                ? `not measured: the ${g.name} group failed (${failure.split("\n")[0]})`
                : `not measured: the ${g.name} group did not report it`,
            },
      );
    }
  }
  return { rows, failed };
}
