// `npm run bench [-- --only GROUP[,GROUP]] [--quick] [--json FILE] [--list]`: the benchmarks on this
// machine, by group (src/bench/groups.ts), each figure next to a baseline measured in the same run,
// printed as one table and written as JSON rows { name, value, unit, baseline, note } to compare
// across commits by name. Every row of the chosen groups is written, measured or not. Exit codes: 0
// done, 1 a group failed (its rows written as not measured), 2 bad arguments.
import { writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { BenchUsageError, parseBenchArgs, USAGE } from "./bench/args.js";
import { formatGroups, GROUPS } from "./bench/groups.js";
import { formatReport } from "./bench/report.js";
import { runGroups } from "./bench/run.js";

const log = (s: string) => process.stderr.write(`${s}\n`);

let args: ReturnType<typeof parseBenchArgs>;
try {
  args = parseBenchArgs(
    process.argv.slice(2),
    GROUPS.map((g) => g.name),
  );
} catch (err) {
  if (!(err instanceof BenchUsageError)) throw err;
  process.stderr.write(`bench: ${err.message}\n${USAGE}\n`);
  process.exit(2);
}
if (args.list) {
  process.stdout.write(`${formatGroups()}\n`);
  process.exit(0);
}

const t0 = Date.now();
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");
log(
  `starlane bench: ${args.groups.join(", ")}${args.quick ? " (quick)" : ""}; ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), load average ${load()}; the machine may be shared with other work: figures are noisy`,
);
const { rows, failed } = await runGroups(
  GROUPS.filter((g) => args.groups.includes(g.name)),
  { quick: args.quick, ...(args.steps ? { steps: args.steps } : {}), log },
);
process.stdout.write(`\n${formatReport(rows)}\n`);
process.stdout.write(`bench took ${((Date.now() - t0) / 1000).toFixed(0)} s; load average at the end ${load()}\n`);
if (args.json) writeFileSync(args.json, `${JSON.stringify(rows, null, 2)}\n`);
// Rows not measured because their feature is not built are not failures; a group that broke is.
if (failed.length > 0) log(`bench: failed: ${failed.join(", ")} (their rows are written as not measured)`);
process.exit(failed.length > 0 ? 1 : 0);
