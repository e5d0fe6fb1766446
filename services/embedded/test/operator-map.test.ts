// The cluster map in npm start: /operator/map.html is served by the front door, and its data route
// (/v1/operator/cluster) answers only with the operator credential, from the in-process directory
// and the zone's own report.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { ClusterStatus } from "@starlane/shared";
import { waitFor } from "@starlane/shared/testing";
import type { Embedded } from "../src/index.js";
import { type Booted, bootEmbedded } from "./boot.js";

let sl: Embedded;
let base = "";
const OPERATOR_TOKEN = "operator-map-test-token-0123456789abcdef";
const env = { STARLANE_OPERATOR_TOKEN: OPERATOR_TOKEN };

let booted: Booted;
before(async () => {
  booted = await bootEmbedded(env);
  ({ sl, base } = booted);
});

after(async () => {
  await booted.close();
});

test("the map page is served; its data needs the operator credential and shows the zone's regions", async () => {
  const page = await fetch(`${base}/operator/map.html`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get("content-type") ?? "", /text\/html/);
  assert.match(await page.text(), /\/v1\/operator\/cluster/);

  assert.equal((await fetch(`${base}/v1/operator/cluster`)).status, 401);
  const status = await waitFor(
    "the zone's first report",
    async () => {
      const res = await fetch(`${base}/v1/operator/cluster`, {
        headers: { authorization: `Bearer ${OPERATOR_TOKEN}` },
      });
      assert.equal(res.status, 200);
      const s = (await res.json()) as ClusterStatus;
      return s.zones[0]?.regions.every((r) => r.tickP99Ms !== null) ? s : undefined;
    },
    10_000,
  );
  assert.deepEqual(status.unowned, []);
  assert.equal(status.zones.length, 1);
  const zone = status.zones[0]!;
  assert.equal(zone.id, sl.zone.zoneId);
  assert.equal(zone.name, sl.zone.zoneId, "no slot name in npm start: the id");
  assert.equal(zone.regions.length, 16);
  assert.ok(zone.regions.every((r) => r.epoch >= 1 && r.players === 0));
});
