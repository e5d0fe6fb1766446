// A zone process restarted by a process manager is a new zone, even when the operator gave it a fixed
// STARLANE_ZONE_ID: it never inherits its predecessor's regions at the same epoch. kill -9 of a zone
// holding a region, then the same command again at once (what PM2 or a Kubernetes restart does):
// while the dead process's lease is live the new process does not hold the region; it takes the
// region over when that lease runs out, at a higher epoch, under an id of its own.
import assert from "node:assert/strict";
import { test } from "node:test";
import { connectRedis } from "@starlane/shared";
import { TEST_REDIS_URL, testRedisPrefix, waitFor } from "@starlane/shared/testing";
import { startNode, type ZoneNode } from "./cluster.js";
import { testTokens } from "./tokens.js";

const REGION = "region-1-1";
const TTL_MS = 3000;

test("a restarted zone process with the same STARLANE_ZONE_ID never holds its predecessor's region at the same epoch", async () => {
  const tokens = await testTokens();
  const redis = await connectRedis(TEST_REDIS_URL);
  const prefix = testRedisPrefix();
  const env = {
    STARLANE_ZONE_ID: "zone-fixed",
    STARLANE_ZONE_TAKEOVER: "true",
    STARLANE_ZONE_LEASE_TTL_MS: String(TTL_MS),
    STARLANE_ZONE_SNAPSHOT_MS: "250",
  };
  const owner = async () => {
    const raw = await redis.get(`${prefix}region:${REGION}:owner`);
    return raw ? (JSON.parse(raw) as { zoneId: string; epoch: number }) : null;
  };
  const nodes: ZoneNode[] = [];
  try {
    const first = await startNode({ prefix, regions: "1-1", jwks: tokens.jwks, env });
    nodes.push(first);
    const was = await waitFor("the first process to hold the region", async () => (await owner()) ?? undefined);
    assert.ok(was.zoneId.startsWith("zone-fixed"), `the configured id names the zone (${was.zoneId})`);
    first.kill("SIGKILL");
    const killedAt = Date.now();
    const second = await startNode({ prefix, regions: "1-1", jwks: tokens.jwks, env });
    nodes.push(second);
    // Up and running while the dead process's lease is still live: it must not hold the region.
    const early = await second.stats();
    const liveFor = Date.now() - killedAt;
    if (liveFor < TTL_MS - 500) {
      assert.deepEqual(early.regions, [], `held ${liveFor} ms after the kill, under the dead process's lease`);
      assert.deepEqual(await owner(), was, "the record is still the dead process's");
    }
    const held = await waitFor(
      "the new process to take the region over",
      async () => (await second.stats()).regions.find((r: { region: string }) => r.region === REGION),
      TTL_MS * 5,
      100,
    );
    const now = (await owner())!;
    assert.ok(held.epoch > was.epoch, `new epoch ${held.epoch} above the predecessor's ${was.epoch}`);
    assert.equal(now.epoch, held.epoch);
    assert.notEqual(now.zoneId, was.zoneId, "a new zone id for the new process");
    assert.ok(now.zoneId.startsWith("zone-fixed"));
  } finally {
    for (const n of nodes) await n.quit();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  }
});
