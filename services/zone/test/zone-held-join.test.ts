// Joins held for a region this zone is taking over (its owner stopped renewing): only a player may
// make the zone hold a request open while the region is restored. A forged or missing token is
// refused at once with 401; a player's join waits for the room and is seated.
import assert from "node:assert/strict";
import { test } from "node:test";
import { LocalRegionDirectory } from "@starlane/shared";
import { waitFor } from "@starlane/shared/testing";
import { startZone } from "./harness.js";

const UNAVAILABLE = "STARLANE_ERR_REGION_UNAVAILABLE";

test("a join held for a region being taken over is refused at once without a valid token, and seated with one", async () => {
  // A zone with takeover on; region-2-1 was held by a zone that stopped renewing (its lease runs
  // out 1.2 s from now). From the first missed renewal on, joins for it wait for its room.
  const directory = new LocalRegionDirectory();
  const REGION_2 = "region-2-1";
  await directory.claim(REGION_2, { zoneId: "dead-zone", address: "http://127.0.0.1:1" }, 1200);
  const taker = await startZone({ STARLANE_ZONE_LEASE_TTL_MS: "2000", STARLANE_ZONE_TAKEOVER: "true" }, directory);
  try {
    const join = async (bearer: string | null) => {
      const started = performance.now();
      const res = await fetch(`${taker.url}/matchmake/joinById/${REGION_2}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
        body: "{}",
        signal: AbortSignal.timeout(5000),
      });
      const json = (await res.json()) as { error?: string; sessionId?: string };
      return { status: res.status, error: json.error, seated: !!json.sessionId, ms: performance.now() - started };
    };
    const good = await taker.tokens.sign({ sub: "mallory-2", name: "mallory-2" });
    // Poll with a forged token until the zone expects the region: before, 503 (not this zone's);
    // then 401 at once (the token is checked before the request is held).
    let refused: Awaited<ReturnType<typeof join>> | undefined;
    await waitFor(
      "the zone to expect the region",
      async () => {
        const r = await join("not.a.token");
        if (r.status === 503) assert.equal(r.error, UNAVAILABLE);
        else refused = r;
        return r.status !== 503;
      },
      5000,
      20,
    );
    assert.equal(refused?.status, 401, JSON.stringify(refused));
    assert.equal(refused?.error, "STARLANE_ERR_UNAUTHORIZED");
    assert.ok(refused!.ms < 400, `refused after ${refused!.ms.toFixed(0)} ms: held before the token was checked`);
    // No token at all: the same.
    const none = await join(null);
    if (!taker.server.regions().some((r) => r.region === REGION_2)) {
      assert.equal(none.status, 401);
      assert.ok(none.ms < 400, `refused after ${none.ms.toFixed(0)} ms`);
    }
    // A player's join is held until the room opens, then seated.
    const seated = await join(good);
    assert.equal(seated.status, 200, JSON.stringify(seated));
    assert.ok(seated.seated);
    assert.ok(taker.server.regions().some((r) => r.region === REGION_2));
  } finally {
    await taker.close();
  }
});
