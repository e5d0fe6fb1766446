// The table a person reads: one line per row, its value against its baseline, then each row's note.
import type { BenchRow } from "./row.js";

const fmt = (v: number | null) => (v === null ? "not measured" : String(v));
const ratio = (r: BenchRow) =>
  r.value !== null && r.baseline !== null && r.baseline !== 0 ? `${(r.value / r.baseline).toFixed(2)}x` : "";

export function formatReport(rows: readonly BenchRow[]): string {
  const table = [
    ["name", "value", "unit", "baseline", "value/baseline"],
    ...rows.map((r) => [r.name, fmt(r.value), r.unit, r.baseline === null ? "-" : String(r.baseline), ratio(r)]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const lines = table.map((row) =>
    row
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd(),
  );
  const notes = rows.filter((r) => r.note).map((r) => `  ${r.name}: ${r.note}`);
  return `${lines.join("\n")}\n\n${notes.join("\n")}\n`;
}
