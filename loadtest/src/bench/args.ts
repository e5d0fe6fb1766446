// `npm run bench` arguments. Bad ones fail before anything runs, naming what is valid.
import { parseArgs } from "node:util";

export const USAGE =
  "usage: npm run bench [-- --only GROUP[,GROUP]] [--quick] [--json FILE] [--list]\n" +
  "  --only   run only these groups (default: all)\n" +
  "  --quick  shorter windows and fewer steps (figures are rougher)\n" +
  "  --json   write the rows to FILE ([{ name, value, unit, baseline, note }])\n" +
  "  --list   print the groups and their rows, run nothing";

export interface BenchArgs {
  /** The groups to run, in registry (table) order. */
  groups: string[];
  quick: boolean;
  json?: string;
  list: boolean;
  /** Hidden: bot counts for the capacity searches (a cheap development run, e.g. 25,50). */
  steps?: number[];
}

export class BenchUsageError extends Error {}

export function parseBenchArgs(argv: string[], groupNames: readonly string[]): BenchArgs {
  let values: { only?: string; quick?: boolean; json?: string; list?: boolean; steps?: string };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        only: { type: "string" },
        quick: { type: "boolean" },
        json: { type: "string" },
        list: { type: "boolean" },
        steps: { type: "string" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new BenchUsageError((err as Error).message);
  }
  let groups = [...groupNames];
  if (values.only !== undefined) {
    const asked = values.only.split(",").map((s) => s.trim());
    const unknown = asked.filter((g) => !groupNames.includes(g));
    if (unknown.length > 0 || asked.length === 0)
      throw new BenchUsageError(
        `unknown group${unknown.length === 1 ? "" : "s"} ${unknown.map((g) => JSON.stringify(g)).join(", ")}; the groups are: ${groupNames.join(", ")}`,
      );
    groups = groupNames.filter((g) => asked.includes(g));
  }
  let steps: number[] | undefined;
  if (values.steps !== undefined) {
    steps = values.steps.split(",").map(Number);
    if (steps.some((n) => !Number.isInteger(n) || n < 1))
      throw new BenchUsageError(`--steps takes bot counts like 25,50, got ${JSON.stringify(values.steps)}`);
  }
  return {
    groups,
    quick: values.quick ?? false,
    list: values.list ?? false,
    ...(values.json !== undefined ? { json: values.json } : {}),
    ...(steps ? { steps } : {}),
  };
}
