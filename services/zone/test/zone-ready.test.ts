// Readiness: a zone is ready only once it holds its regions. One whose regions are all held by
// another zone stays alive (healthz) but not ready (readyz 503).
import assert from "node:assert/strict";
import { test } from "node:test";
import { LocalDriver, LocalPresence } from "@colyseus/core";
import {
  createLogger,
  LocalRegionDirectory,
  LocalShipOwnership,
  loadConfig,
  MemoryShipRepository,
} from "@starlane/shared";
import { zoneConfig } from "../src/config.js";
import { createZoneServer } from "../src/server.js";
import { testTokens } from "./tokens.js";

test("a zone whose regions are all held elsewhere is alive but not ready", async () => {
  const directory = new LocalRegionDirectory();
  await directory.claim("region-0-0", { zoneId: "other", address: "elsewhere:1" }, 60_000);
  const server = createZoneServer(
    {
      log: createLogger("zone", "silent"),
      verifier: (await testTokens()).verifier,
      directory,
      presence: new LocalPresence(),
      driver: new LocalDriver(),
      ships: new MemoryShipRepository(),
      ownership: new LocalShipOwnership(),
    },
    loadConfig(zoneConfig, { STARLANE_ZONE_PORT: "0", STARLANE_ZONE_REGIONS: "0-0" }),
    { manualTicks: true },
  );
  assert.equal(server.notReadyReason(), "claiming regions");
  const { port } = await server.listen();
  try {
    assert.equal(server.notReadyReason(), "holds no region");
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    assert.equal(ready.status, 503);
    assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
    assert.deepEqual(server.regions(), []);
  } finally {
    await server.close();
  }
});
