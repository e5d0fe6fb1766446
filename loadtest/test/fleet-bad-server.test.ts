// Servers that refuse or drop the bots: the run still ends with a summary that says what happened.
import assert from "node:assert/strict";
import { test } from "node:test";
import { checkThresholds, crowd, runFleet } from "../src/index.js";
import { startZoneChild } from "../src/zone-child.js";

test("a zone that refuses the bots' tokens: every join is an error with the server's code", async () => {
  const zone = await startZoneChild(2);
  const other = await startZoneChild(0); // a key pair the first zone does not trust
  try {
    const s = await runFleet({
      entry: { kind: "direct", url: zone.url, shipId: (i) => `bot-${i}`, token: (id) => other.sign(id) },
      scenario: crowd,
      bots: 2,
      durationS: 0.5,
      rampPerS: 0,
    });
    assert.equal(s.joined, 0);
    assert.deepEqual(s.errorsByCode, { STARLANE_ERR_UNAUTHORIZED: 2 });
    assert.ok(checkThresholds(s, {}).length > 0);
  } finally {
    await Promise.all([zone.stop(), other.stop()]);
  }
});

test("a zone that goes away mid-run: the close is counted, bots try to come back, the summary still comes", async () => {
  const zone = await startZoneChild(2);
  const s = await runFleet({
    entry: { kind: "direct", url: zone.url, shipId: (i) => `bot-${i}`, token: (id) => zone.sign(id) },
    scenario: crowd,
    bots: 2,
    durationS: 4,
    rampPerS: 0,
    joinTimeoutMs: 3000,
    onSteady: () => {
      setTimeout(() => void zone.stop(), 1500);
    },
  });
  assert.equal(s.joined, 2);
  assert.equal(s.connectedAtEnd, 0);
  // The zone closes its rooms on shutdown with 4105 ShuttingDown.
  assert.equal(s.errorsByCode.CLOSE_4105, 2, JSON.stringify(s.errorsByCode));
  assert.ok(
    Object.keys(s.errorsByCode).some((k) => k.startsWith("RECONNECT_")),
    JSON.stringify(s.errorsByCode),
  );
  assert.equal(s.reconnects.count, 0);
  assert.ok(s.rttMs.count > 0, "what was measured before the drop is kept");
});
