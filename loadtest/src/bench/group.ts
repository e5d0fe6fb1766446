// What a benchmark group is: a name to pick it with (`--only`), the rows it promises, and its run.
import type { BenchRow, RowSpec } from "./row.js";

export interface BenchContext {
  quick: boolean;
  /** Bot counts for the capacity searches given with the hidden `--steps` (a cheap development run). */
  steps?: number[];
  /** Progress for the person running it (stderr). */
  log(line: string): void;
}

export interface BenchGroup {
  name: string;
  /** One line for `--list`. */
  description: string;
  /** The rows this group writes, in table order; their names are stable across commits. */
  rows: readonly RowSpec[];
  /** Measures; a row it does not return is written as not measured. */
  run(ctx: BenchContext): Promise<BenchRow[]>;
}

/** A group's declared row by name (a typo is a bug, caught when the group module loads). */
export function rowOf(rows: readonly RowSpec[], name: string): RowSpec {
  const spec = rows.find((r) => r.name === name);
  if (!spec) throw new Error(`no row ${name}`);
  return spec;
}
