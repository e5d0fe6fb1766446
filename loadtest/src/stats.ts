// Latency samples and their percentiles. Samples are kept exactly up to a cap, then by reservoir
// sampling (every sample has the same chance of being kept), so a long run's memory is bounded and
// its percentiles stay unbiased.

export interface Percentiles {
  count: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
}

/** Nearest-rank percentile of an ascending array (null when empty). */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export class Samples {
  #kept: number[] = [];
  #seen = 0;
  #max = Number.NEGATIVE_INFINITY;

  constructor(readonly cap = 200_000) {}

  add(value: number): void {
    if (!Number.isFinite(value)) return;
    this.#seen++;
    if (value > this.#max) this.#max = value;
    if (this.#kept.length < this.cap) this.#kept.push(value);
    else {
      const i = Math.floor(Math.random() * this.#seen);
      if (i < this.cap) this.#kept[i] = value;
    }
  }

  get count(): number {
    return this.#seen;
  }

  summary(): Percentiles {
    const sorted = [...this.#kept].sort((a, b) => a - b);
    return {
      count: this.#seen,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      max: this.#seen ? this.#max : null,
    };
  }

  /** Hands over what was collected since the last drain (for per-second series). */
  drain(): Percentiles {
    const s = this.summary();
    this.#kept = [];
    this.#seen = 0;
    this.#max = Number.NEGATIVE_INFINITY;
    return s;
  }
}

/** Rounds to `digits` decimals, keeping null. */
export const round = (v: number | null, digits = 1): number | null =>
  v === null || !Number.isFinite(v) ? null : Number(v.toFixed(digits));
