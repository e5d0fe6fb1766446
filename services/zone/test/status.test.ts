// The zone's tick p99 for operators is Prometheus's histogram_quantile over the same buckets.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createRegistry } from "@starlane/shared";
import { createZoneMetrics } from "../src/metrics.js";
import { histogramQuantile, tickP99ByRegion } from "../src/status.js";

test("histogram_quantile: linear inside the bucket, the largest finite bound in +Inf, null when empty", () => {
  const b = (pairs: [number, number][]) => pairs.map(([le, count]) => ({ le, count }));
  // 100 observations: 50 under 1, 100 under 2 -> p99 at rank 99 is 1 + (99 - 50) / 50.
  assert.equal(
    histogramQuantile(
      0.99,
      b([
        [1, 50],
        [2, 100],
        [Number.POSITIVE_INFINITY, 100],
      ]),
    ),
    1.98,
  );
  assert.equal(
    histogramQuantile(
      0.5,
      b([
        [1, 0],
        [2, 0],
        [Number.POSITIVE_INFINITY, 10],
      ]),
    ),
    2,
  );
  assert.equal(
    histogramQuantile(
      0.99,
      b([
        [1, 0],
        [Number.POSITIVE_INFINITY, 0],
      ]),
    ),
    null,
  );
});

test("tick p99 per region from the zone's registry, in ms", async () => {
  const registry = createRegistry("zone");
  const metrics = createZoneMetrics(registry);
  for (let i = 0; i < 99; i++) metrics.tick("region-0-0", 0.0015, false, 0);
  metrics.tick("region-0-0", 0.2, true, 0);
  metrics.tick("region-1-0", 0.004, false, 0);
  const p99 = await tickP99ByRegion(registry);
  // 99 of 100 in the (1, 2] ms bucket: rank 99 is its top.
  assert.equal(p99.get("region-0-0"), 2);
  assert.ok(Math.abs(p99.get("region-1-0")! - 3.99) < 1e-9);
});
