// A small fleet against a real zone (its own process, real 20 Hz ticks), joined directly with
// signed tokens: the summary's figures must be consistent.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { crowd, runFleet } from "../src/index.js";
import { startZoneChild, type ZoneChild } from "../src/zone-child.js";

let zone: ZoneChild;
before(async () => {
  zone = await startZoneChild(6);
});
after(async () => {
  await zone?.stop();
});

test("six crowd bots on one zone: all join, no input lost or applied twice, latencies positive and finite", async () => {
  const s = await runFleet({
    entry: { kind: "direct", url: zone.url, shipId: (i) => `bot-${i}`, token: (id) => zone.sign(id) },
    scenario: crowd,
    bots: 6,
    durationS: 4,
    rampPerS: 0,
    metricsUrls: [`${zone.url}/metrics`],
  });
  assert.equal(s.bots, 6);
  assert.equal(s.joined, 6, JSON.stringify(s.errorsByCode));
  assert.equal(s.errors, 0, JSON.stringify(s.errorsByCode));
  assert.equal(s.inputsLost, 0);
  assert.equal(s.inputsDuplicated, 0);
  // ~10 inputs/s per bot for ~4 s.
  assert.ok(s.inputsSent >= 6 * 10 * 3, `inputs sent ${s.inputsSent}`);
  for (const [name, v] of [
    ["rtt p50", s.rttMs.p50],
    ["rtt p99", s.rttMs.p99],
    ["observer p50", s.observerMs.p50],
    ["observer p99", s.observerMs.p99],
  ] as const) {
    assert.ok(v !== null && Number.isFinite(v) && v > 0 && v < 5000, `${name} = ${v}`);
  }
  assert.ok(s.rttMs.p50! <= s.rttMs.p99!);
  assert.ok(s.bytesPerBotPerS !== null && s.bytesPerBotPerS > 0);
  assert.ok(s.tickMs.p99 !== null && s.tickMs.p99 > 0, `tick p99 ${s.tickMs.p99}`);
  assert.equal(s.handoffs.count, 0);
  assert.equal(s.handoffs.gapMs.p99, null);
});

test("inputs the zone drops are counted as lost by the bots, matching the zone's own count", async () => {
  // A queue of one and 40 inputs/s against 20 ticks/s: about half of the inputs overflow.
  const tight = await startZoneChild(2, { STARLANE_ZONE_INPUT_QUEUE: "1" });
  try {
    const s = await runFleet({
      entry: { kind: "direct", url: tight.url, shipId: (i) => `bot-${i}`, token: (id) => tight.sign(id) },
      scenario: crowd,
      bots: 2,
      durationS: 3,
      rampPerS: 0,
      inputRate: 40,
    });
    const text = await (await fetch(`${tight.url}/metrics`)).text();
    const dropped = Number(
      /^starlane_zone_inputs_dropped_total\{[^}]*reason="overflow"[^}]*\} (\S+)$/m.exec(text)?.[1] ?? 0,
    );
    assert.equal(s.joined, 2);
    assert.ok(dropped > 20, `zone dropped ${dropped}`);
    assert.ok(s.inputsLost > 20, `bots counted ${s.inputsLost} lost`);
    // The bots stop counting a second before the end; the zone keeps dropping until they leave.
    assert.ok(s.inputsLost <= dropped && s.inputsLost >= dropped * 0.6, `bots ${s.inputsLost} vs zone ${dropped}`);
    assert.equal(s.inputsDuplicated, 0);
  } finally {
    await tight.stop();
  }
});
