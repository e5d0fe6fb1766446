// Which room world entry seats a player in: the one its ship's ownership record names, else the
// region of its stored position. The zones are stood in for by one HTTP listener answering the
// matchmaker's seat request (the full path with real zones is services/embedded/test).
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import {
  DEFAULT_WORLD,
  LocalRegionDirectory,
  LocalShipOwnership,
  MemoryShipRepository,
  regionCenter,
  regionOf,
  regionRoomId,
  type StoredShip,
} from "@starlane/shared";
import { createWorldEntry } from "../src/world-entry.js";

const world = DEFAULT_WORLD;
const A = "region-1-1";
const B = "region-2-1";

/** Seat requests the stand-in zone answered, by room id. */
const asked: string[] = [];
const zone = createServer((req, res) => {
  const room = decodeURIComponent(/^\/matchmake\/joinById\/(.+)$/.exec(req.url ?? "")?.[1] ?? "");
  asked.push(room);
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify({ roomId: room, sessionId: "s" }));
});
let address = "";
before(async () => {
  await new Promise<void>((r) => zone.listen(0, "127.0.0.1", r));
  address = `127.0.0.1:${(zone.address() as AddressInfo).port}`;
});
after(() => zone.close());

async function setup() {
  const directory = new LocalRegionDirectory();
  for (const region of [A, B]) await directory.claim(region, { zoneId: `zone-${region}`, address }, 60_000);
  const ownership = new LocalShipOwnership();
  const ships = new MemoryShipRepository();
  const entry = createWorldEntry({ world, ships, ownership, directory });
  const enter = async (sub: string) => {
    asked.length = 0;
    const seat = await entry.enter({ sub, name: sub, exp: 0, iat: 0 }, "token");
    assert.deepEqual(asked, [seat.roomId], "the seat is reserved in the room it names, once");
    return seat;
  };
  return { directory, ownership, ships, enter };
}

const at = (playerId: string, region: string): StoredShip => {
  const c = regionCenter(world, { col: Number(region.split("-")[1]), row: Number(region.split("-")[2]) });
  return { playerId, x: c.x, y: c.y, vx: 0, vy: 0, heading: 0, hull: 100, cargo: 0, credits: 0, ledgerVersion: 0 };
};

test("a ship whose record names region B while its stored position is in A is seated in B", async () => {
  const { ownership, ships, enter } = await setup();
  ships.put(at("p", A)); // the last save landed before the ship was handed on
  await ownership.move("p", "", 0, A);
  await ownership.move("p", A, 1, B);
  const seat = await enter("p");
  assert.equal(seat.roomId, B);
  assert.equal(seat.address, address);
});

test("a released record (its player left) or none: the stored position decides", async () => {
  const { ownership, ships, enter } = await setup();
  ships.put(at("left", A));
  await ownership.move("left", "", 0, B);
  await ownership.move("left", B, 1, "");
  assert.equal((await enter("left")).roomId, A);
  ships.put(at("fresh", B));
  assert.equal((await enter("fresh")).roomId, B);
});

test("a new player gets a ship at a spawn point and a seat in its region", async () => {
  const { ships, directory, enter } = await setup();
  // Every region is served here, wherever the spawn falls.
  for (let col = 0; col < world.cols; col++)
    for (let row = 0; row < world.rows; row++)
      await directory.claim(regionRoomId({ col, row }), { zoneId: "z", address }, 60_000);
  const seat = await enter("newcomer");
  const ship = await ships.load("newcomer");
  assert.ok(ship, "the ship was created");
  assert.equal(seat.roomId, regionRoomId(regionOf(world, ship.x, ship.y)));
  assert.equal(ship.version, 0);
});

test("the record's region with no live zone: unavailable (the client retries), not a seat elsewhere", async () => {
  const { directory, ownership, ships, enter } = await setup();
  ships.put(at("q", A));
  await ownership.move("q", "", 0, B);
  const held = await directory.owner(B);
  await directory.release(B, held!.zoneId, held!.epoch);
  await assert.rejects(enter("q"), { code: "STARLANE_ERR_REGION_UNAVAILABLE" });
});

test("a failover: entry waits for the zone taking a region over, even past a dead owner's live lease; with none it answers 503", async () => {
  const directory = new LocalRegionDirectory();
  const ships = new MemoryShipRepository();
  const ownership = new LocalShipOwnership();
  await ships.put(at("f1", A));
  // A dead zone (nothing listens at its address) still holds A's lease for 300 ms.
  const dead = createServer();
  await new Promise<void>((r) => dead.listen(0, "127.0.0.1", r));
  const deadAddress = `127.0.0.1:${(dead.address() as AddressInfo).port}`;
  await new Promise((r) => dead.close(r));
  await directory.claim(A, { zoneId: "dead", address: deadAddress }, 300);
  const entry = createWorldEntry({ world, ships, ownership, directory, ownerWaitMs: 3000 });
  const successor = (async () => {
    await new Promise((r) => setTimeout(r, 500));
    await directory.claim(A, { zoneId: "successor", address }, 60_000);
  })();
  asked.length = 0;
  const seat = await entry.enter({ sub: "f1", name: "f1", exp: 0, iat: 0 }, "token");
  await successor;
  assert.equal(seat.address, address, "seated at the successor");
  assert.deepEqual(asked, [A]);

  // Nobody takes B over: after the wait, 503 STARLANE_ERR_REGION_UNAVAILABLE (world entry's Retry-After).
  await ships.put(at("f2", B));
  const brief = createWorldEntry({ world, ships, ownership, directory, ownerWaitMs: 200 });
  const t0 = performance.now();
  await assert.rejects(brief.enter({ sub: "f2", name: "f2", exp: 0, iat: 0 }, "token"), {
    code: "STARLANE_ERR_REGION_UNAVAILABLE",
  });
  assert.ok(performance.now() - t0 >= 150, "it waited before refusing");
});
