// Percentiles and the zone tick histogram arithmetic the summaries rest on.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseTickMetrics, percentile, Samples, tickPercentileMs } from "../src/index.js";

test("nearest-rank percentiles of a known set", () => {
  const xs = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100
  assert.equal(percentile(xs, 50), 50);
  assert.equal(percentile(xs, 99), 99);
  assert.equal(percentile(xs, 100), 100);
  assert.equal(percentile([], 50), null);
  const s = new Samples();
  for (const x of [...xs].reverse()) s.add(x);
  s.add(Number.NaN); // ignored, not counted
  assert.deepEqual(s.summary(), { count: 100, p50: 50, p99: 99, max: 100 });
});

test("past its cap a sample keeps every value with equal chance: percentiles stay close", () => {
  const s = new Samples(1000);
  for (let i = 0; i < 100_000; i++) s.add(i % 1000);
  const { count, p50, p99, max } = s.summary();
  assert.equal(count, 100_000);
  assert.equal(max, 999);
  assert.ok(Math.abs(p50! - 500) < 60, `p50 ${p50}`);
  assert.ok(p99! > 950, `p99 ${p99}`);
});

const scrape = (counts: number[], overruns: number) =>
  [
    "# TYPE starlane_zone_tick_duration_seconds histogram",
    `starlane_zone_tick_duration_seconds_bucket{le="0.005",region="region-1-1"} ${counts[0]}`,
    `starlane_zone_tick_duration_seconds_bucket{le="0.01",region="region-1-1"} ${counts[1]}`,
    `starlane_zone_tick_duration_seconds_bucket{le="0.025",region="region-1-1"} ${counts[2]}`,
    `starlane_zone_tick_duration_seconds_bucket{le="+Inf",region="region-1-1"} ${counts[3]}`,
    `starlane_zone_tick_duration_seconds_count{region="region-1-1"} ${counts[3]}`,
    `starlane_zone_tick_overruns_total ${overruns}`,
  ].join("\n");

test("tick percentiles come from the difference of two scrapes, interpolated inside the bucket", () => {
  const before = parseTickMetrics(scrape([1000, 1000, 1000, 1000], 3));
  // 100 new ticks: 50 under 5 ms, 40 in 5-10 ms, 10 in 10-25 ms.
  const after = parseTickMetrics(scrape([1050, 1090, 1100, 1100], 5));
  assert.equal(tickPercentileMs(before, after, 50), 5);
  assert.ok(Math.abs(tickPercentileMs(before, after, 99)! - 23.5) < 1e-9);
  assert.equal(after.overruns - before.overruns, 2);
  assert.equal(tickPercentileMs(after, after, 99), null, "no ticks between the scrapes: not measured");
});
