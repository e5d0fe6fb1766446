// A benchmark figure as written to the table and the JSON: compared across commits by `name`.

export interface BenchRow {
  name: string;
  /** null: not measured (the feature is not built, or this run could not measure it; `note` says which). */
  value: number | null;
  unit: string;
  /** One figure measured in the same run for comparison; what it is, is said in `note`. */
  baseline: number | null;
  /** What the value and the baseline are, and anything a reader must know about the figure. */
  note?: string;
}

/** A row a group promises: every run writes it, with a null value when it could not measure it. */
export interface RowSpec {
  name: string;
  unit: string;
}

/** A row whose feature does not exist yet: written with a null value and the note saying what will provide it. */
export const notYet = (spec: RowSpec, note: string): BenchRow => ({ ...spec, value: null, baseline: null, note });
