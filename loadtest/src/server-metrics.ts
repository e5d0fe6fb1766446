// Server-side figures scraped from the zones' Prometheus `/metrics`: tick duration quantiles from
// the histogram buckets (so as precise as the bucket bounds) and tick overruns, as the difference
// between two scrapes, summed over every region and zone scraped.

export interface TickHistogram {
  /** Cumulative count per upper bound (seconds), summed over labels. */
  buckets: Map<number, number>;
  count: number;
  overruns: number;
  clients: number;
}

const BUCKET = /^starlane_zone_tick_duration_seconds_bucket\{([^}]*)\} (\S+)/;
const LE = /le="([^"]+)"/;

export function parseTickMetrics(text: string): TickHistogram {
  const buckets = new Map<number, number>();
  let count = 0;
  let overruns = 0;
  let clients = 0;
  for (const line of text.split("\n")) {
    const b = BUCKET.exec(line);
    if (b) {
      const le = LE.exec(b[1]!)?.[1];
      const bound = le === "+Inf" ? Number.POSITIVE_INFINITY : Number(le);
      buckets.set(bound, (buckets.get(bound) ?? 0) + Number(b[2]));
      continue;
    }
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (line.startsWith("starlane_zone_tick_duration_seconds_count")) count += value;
    else if (line.startsWith("starlane_zone_tick_overruns_total")) overruns += value;
    else if (line.startsWith("starlane_zone_clients")) clients += value;
  }
  return { buckets, count, overruns, clients };
}

export function mergeTickMetrics(parts: TickHistogram[]): TickHistogram {
  const out: TickHistogram = { buckets: new Map(), count: 0, overruns: 0, clients: 0 };
  for (const p of parts) {
    for (const [le, n] of p.buckets) out.buckets.set(le, (out.buckets.get(le) ?? 0) + n);
    out.count += p.count;
    out.overruns += p.overruns;
    out.clients += p.clients;
  }
  return out;
}

/**
 * The p-th percentile (ms) of the ticks between two scrapes: the upper bound of the bucket the rank
 * falls in, linearly interpolated inside it (Prometheus' histogram_quantile). Null without ticks.
 */
export function tickPercentileMs(before: TickHistogram, after: TickHistogram, p: number): number | null {
  const bounds = [...after.buckets.keys()].sort((a, b) => a - b);
  const delta = bounds.map((le) => (after.buckets.get(le) ?? 0) - (before.buckets.get(le) ?? 0));
  const total = delta.at(-1) ?? 0;
  if (total <= 0) return null;
  const rank = (p / 100) * total;
  let prevBound = 0;
  let prevCount = 0;
  for (let i = 0; i < bounds.length; i++) {
    const le = bounds[i]!;
    const n = delta[i]!;
    if (n >= rank) {
      // Beyond the last finite bound there is nothing to interpolate to: report that bound.
      if (!Number.isFinite(le)) return prevBound * 1000;
      const inBucket = n - prevCount;
      const frac = inBucket > 0 ? (rank - prevCount) / inBucket : 1;
      return (prevBound + (le - prevBound) * frac) * 1000;
    }
    prevBound = le;
    prevCount = n;
  }
  return null;
}

/** Fetches and parses one `/metrics`; null when it cannot be read (the run goes on without it). */
export async function scrapeTickMetrics(url: string, timeoutMs = 2000): Promise<TickHistogram | null> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return null;
    const parsed = parseTickMetrics(await res.text());
    return parsed.buckets.size ? parsed : null;
  } catch {
    return null;
  }
}
