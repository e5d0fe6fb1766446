// Room creation is the zone's alone: a hostile player with an ordinary access token tries every
// matchmaking route Colyseus serves over HTTP (and the SDK's own calls) with regions this zone
// holds, regions outside the world and garbage, and the room class is asked directly the way
// another process would ask over presence. Nothing opens a room; only joinById of a held region
// gives a seat.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { matchMaker } from "@colyseus/core";
import { Client } from "@colyseus/sdk";
import { ErrorCode, REGION_ROOM_NAME } from "@starlane/shared";
import { attachRegion, regionView } from "@starlane/shared/client";
import { waitFor } from "@starlane/shared/testing";
import { REGION, type RegionView, startZone, type Zone } from "./harness.js";

let zone: Zone;
let token: string;
before(async () => {
  zone = await startZone();
  token = await zone.tokens.sign({ sub: "eve", name: "eve" });
});
after(() => zone.close());

const REFUSED = "STARLANE_ERR_ROOM_CREATION_REFUSED";
const UNAVAILABLE = "STARLANE_ERR_REGION_UNAVAILABLE";

/** What rooms exist, as the zone and its matchMaker see them. */
async function rooms() {
  return {
    listed: (await matchMaker.query({})).map((r) => `${r.name}/${r.roomId}`).sort(),
    local: matchMaker.stats.local.roomCount,
    held: zone.server.regions().map((r) => r.region),
    served: zone.server.room(REGION) !== undefined,
  };
}

async function request(method: string, path: string, body?: string, bearer: string | null = token) {
  const res = await fetch(`${zone.url}${path}`, {
    method,
    headers: { "content-type": "application/json", ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    ...(body === undefined ? {} : { body }),
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  let json: { code?: number; error?: string } | null = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, json, text };
}

const BODIES = [
  JSON.stringify({ region: "region-0-0" }),
  JSON.stringify({ region: "region-9-9" }),
  JSON.stringify({ region: REGION }),
  "{}",
  JSON.stringify({ region: 42 }),
  JSON.stringify({ region: { $ne: null }, __proto__: { admin: true } }),
  "[]",
  '"region-0-0"',
  "not json at all",
  "",
  JSON.stringify({ region: "x".repeat(100_000) }),
];

test("create, joinOrCreate, join and reconnect are refused (403 STARLANE_ERR_ROOM_CREATION_REFUSED) for any body and token; no room appears", async () => {
  const before = await rooms();
  assert.deepEqual(before.listed, [`${REGION_ROOM_NAME}/${REGION}`]);
  for (const method of ["create", "joinOrCreate", "join", "reconnect", "no-such-method"]) {
    for (const body of BODIES) {
      for (const bearer of [token, null]) {
        const r = await request("POST", `/matchmake/${method}/${REGION_ROOM_NAME}`, body, bearer);
        const what = `${method} ${body.slice(0, 40)} ${bearer ? "with" : "without"} token`;
        assert.equal(r.status, ErrorCode[REFUSED].status, `${what}: ${r.text.slice(0, 200)}`);
        assert.deepEqual(r.json, { code: 403, error: REFUSED }, what);
      }
    }
  }
  // The real SDK's calls, as a hostile client would make them.
  const client = new Client(zone.url);
  client.auth.token = token;
  for (const attempt of [
    () => client.create(REGION_ROOM_NAME, { region: "region-0-0" }),
    () => client.create(REGION_ROOM_NAME, { region: "region-9-9" }),
    () => client.joinOrCreate(REGION_ROOM_NAME, { region: REGION }),
    () => client.join(REGION_ROOM_NAME, {}),
  ]) {
    await assert.rejects(attempt(), (err: { code?: number; message?: string }) => {
      assert.equal(err.code, 403);
      assert.equal(err.message, REFUSED);
      return true;
    });
  }
  zone.server.step(3);
  assert.deepEqual(await rooms(), before);
});

test("joinById gives a seat in a region this zone holds, and is refused (503 STARLANE_ERR_REGION_UNAVAILABLE) for any other room id", async () => {
  const before = await rooms();
  const seat = await request("POST", `/matchmake/joinById/${REGION}`, "{}");
  assert.equal(seat.status, 200, seat.text);
  const reservation = seat.json as unknown as { roomId: string };
  assert.equal(reservation.roomId, REGION);
  const player = await new Client(zone.url).consumeSeatReservation<RegionView>(reservation as never);
  player.reconnection.maxRetries = 0;
  attachRegion(player);
  await waitFor("eve's ship", () => regionView(player)?.ships.has("eve"));
  await player.leave(true);
  for (const id of ["region-0-0", "region-9-9", "nope", REGION_ROOM_NAME, "region-1-1x"]) {
    const r = await request("POST", `/matchmake/joinById/${id}`, "{}");
    assert.equal(r.status, 503, `${id}: ${r.text}`);
    assert.deepEqual(r.json, { code: 503, error: UNAVAILABLE }, id);
  }
  const client = new Client(zone.url);
  client.auth.token = token;
  await assert.rejects(client.joinById("region-0-0"), (err: { code?: number; message?: string }) => {
    assert.equal(err.code, 503);
    assert.equal(err.message, UNAVAILABLE);
    return true;
  });
  await waitFor("the seat gone", () => zone.server.room(REGION)!.seats === 0);
  assert.deepEqual(await rooms(), before);
});

test("the region room refuses to open unless the zone's claim path opens it (matchMaker called directly, as over presence)", async () => {
  const before = await rooms();
  const refused = (err: { code?: number; message?: string }) => {
    assert.equal(err.code, 403);
    assert.equal(err.message, REFUSED);
    return true;
  };
  await assert.rejects(matchMaker.create(REGION_ROOM_NAME, { region: "region-0-0" }), refused);
  await assert.rejects(matchMaker.create(REGION_ROOM_NAME, { region: "region-9-9" }), refused);
  await assert.rejects(matchMaker.create(REGION_ROOM_NAME, { region: REGION }), refused);
  // What another process's createRoom request over presence runs here, with a preset room id.
  await assert.rejects(
    matchMaker.handleCreateRoom(REGION_ROOM_NAME, { region: "region-0-0" }, undefined, "region-0-0"),
    refused,
  );
  const room = zone.server.room(REGION);
  await assert.rejects(matchMaker.handleCreateRoom(REGION_ROOM_NAME, { region: REGION }, undefined, REGION), refused);
  assert.equal(zone.server.room(REGION), room, "the served room is untouched");
  assert.deepEqual(await rooms(), before);
  // ...and still takes players.
  const p = await zone.join({ id: "after-refusals" });
  await p.room.leave(true);
});

test("the zone's other HTTP routes neither open nor list rooms", async () => {
  const before = await rooms();
  for (const [method, path] of [
    ["GET", `/matchmake/joinById/${REGION}`],
    ["GET", `/matchmake/${REGION_ROOM_NAME}`],
    ["GET", "/matchmake/"],
    ["PUT", `/matchmake/create/${REGION_ROOM_NAME}`],
    ["DELETE", `/matchmake/joinById/${REGION}`],
    ["POST", `/matchmake/joinById/${REGION}/extra`],
  ] as const) {
    const r = await request(method, path, method === "GET" ? undefined : "{}");
    assert.equal(r.status, 403, `${method} ${path}: ${r.text}`);
    assert.deepEqual(r.json, { code: 403, error: REFUSED });
  }
  const preflight = await fetch(`${zone.url}/matchmake/create/${REGION_ROOM_NAME}`, {
    method: "OPTIONS",
    headers: { origin: "http://example.test", "access-control-request-method": "POST" },
  });
  assert.equal(preflight.status, 204);
  assert.equal((await request("GET", "/__healthcheck")).text, "OK");
  assert.equal((await request("GET", "/healthz")).status, 200);
  assert.equal((await request("GET", "/readyz")).status, 200);
  const metrics = await request("GET", "/metrics");
  assert.equal(metrics.status, 200);
  assert.doesNotMatch(metrics.text, /region-0-0|region-9-9/, "no room was ever opened for a region it does not hold");
  assert.deepEqual(await rooms(), before);
});

test("a path no route serves is answered 404 STARLANE_ERR_NOT_FOUND at once; the zone's own routes still answer", async () => {
  for (const [method, path] of [
    ["GET", "/foo"],
    ["POST", "/foo/bar"],
    ["GET", "/matchmakex"],
    ["DELETE", "/healthzz"],
  ] as const) {
    const r = await request(method, path, method === "GET" ? undefined : "{}");
    assert.equal(r.status, 404, `${method} ${path}: ${r.text}`);
    assert.equal((r.json as { code?: string } | null)?.code, "STARLANE_ERR_NOT_FOUND", `${method} ${path}`);
  }
  assert.equal((await request("GET", "/healthz")).status, 200);
  assert.equal((await request("GET", "/metrics")).status, 200);
  // Colyseus's own routes still go through its router.
  assert.equal((await request("GET", "/__healthcheck")).status, 200);
});
