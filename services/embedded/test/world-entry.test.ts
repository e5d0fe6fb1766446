// World entry end to end, as a player sees it: register, log in, enter the world, join the room the
// front door chose with the real SDK, fly; leave; come back and find the ship where it was left, or
// in the room that holds it now. Everything is the embedded composition (npm start) on the real
// PostgreSQL.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import { Client, type Room } from "@colyseus/sdk";
import {
  CloseCode,
  loadConfig,
  type OwnershipChange,
  parseRegionRoomId,
  regionCenter,
  regionOf,
  regionRoomId,
  worldFromConfig,
} from "@starlane/shared";
import { attachRegion, regionView } from "@starlane/shared/client";
import { waitFor } from "@starlane/shared/testing";
import { zoneConfig } from "@starlane/zone";
import type pg from "pg";
import type { Embedded } from "../src/index.js";
import { type Booted, bootEmbedded } from "./boot.js";

let db: pg.Pool;
let sl: Embedded;
let base = "";
const OPERATOR_TOKEN = "world-entry-operator-token-0123456789";

const env = {
  // Test accounts need no OWASP-cost hashing; the cost itself is tested in services/login.
  STARLANE_LOGIN_ARGON2_MEMORY_KIB: "4096",
  // Only the save on leave, so the row the test reads is the one the player left with.
  STARLANE_ZONE_SAVE_INTERVAL_MS: "600000",
  STARLANE_OPERATOR_TOKEN: OPERATOR_TOKEN,
};

let booted: Booted;
before(async () => {
  booted = await bootEmbedded(env);
  ({ sl, db, base } = booted);
});

after(async () => {
  await booted.close();
});

async function api(path: string, body: unknown, token?: string) {
  const res = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

interface ShipView {
  x: number;
  y: number;
  ack: number;
}

async function enter(token: string) {
  const r = await api("/v1/world/enter", {}, token);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const client = new Client(`http://${r.body.address}`);
  const room: Room = await client.consumeSeatReservation(r.body.reservation);
  attachRegion(room);
  return { seat: r.body, room, client };
}

const shipOf = (room: Room, id: string): ShipView | undefined => regionView(room)?.ships.get(id);

test("a new player enters at a station, flies, leaves; returning, the ship is where it was left", async () => {
  const reg = await api("/v1/accounts", { name: "Voyager_1", password: "correct horse battery" });
  assert.equal(reg.status, 201, JSON.stringify(reg.body));
  const { accessToken, account } = reg.body;

  const first = await enter(accessToken);
  const world = worldFromConfig(loadConfig(zoneConfig, env));
  // Copies: the SDK updates its state objects in place.
  const spawned = { ...(await waitFor("own ship in state", () => shipOf(first.room, account.id))) };
  assert.equal(first.seat.roomId, regionRoomId(regionOf(world, spawned.x, spawned.y)));
  assert.equal(first.room.roomId, first.seat.roomId);
  // The grid comes with the seat, so a client can draw region borders.
  assert.deepEqual(first.seat.world, { ...world });

  // Fewer than the per-client input queue (8): more at once would be dropped as overflow.
  for (let seq = 1; seq <= 6; seq++) first.room.send("input", { seq, thrust: 1, turn: 0, fire: false });
  const moved = await waitFor("inputs applied", () => {
    const s = shipOf(first.room, account.id);
    return s && s.ack === 6 && Math.hypot(s.x - spawned.x, s.y - spawned.y) > 1 ? { x: s.x, y: s.y } : undefined;
  });
  await first.room.leave();

  // Leaving saves the ship (write-behind through the in-process queue into PostgreSQL).
  const saved = await waitFor("ship saved", async () => {
    const { rows } = await db.query("SELECT x, y, version FROM characters WHERE player_id = $1", [account.id]);
    return rows[0] && Number(rows[0].version) > 0 ? rows[0] : undefined;
  });
  assert.ok(Math.hypot(saved.x - spawned.x, saved.y - spawned.y) > 1, "the saved position is not the spawn");

  const login = await api("/v1/sessions", { name: "voyager_1", password: "correct horse battery" });
  assert.equal(login.status, 200);
  const again = await enter(login.body.accessToken);
  const back = { ...(await waitFor("own ship in state again", () => shipOf(again.room, account.id))) };
  // It resumes from the saved state, velocity included, so it may have coasted a tick or two
  // (under 15 units a tick at top speed) by the time the first patch arrives.
  assert.ok(
    Math.hypot(back.x - saved.x, back.y - saved.y) < 60,
    `back at ${back.x},${back.y}, saved ${saved.x},${saved.y}`,
  );
  assert.ok(
    Math.hypot(back.x - spawned.x, back.y - spawned.y) > Math.hypot(moved.x - spawned.x, moved.y - spawned.y) - 1,
  );
  await again.room.leave();
});

test("world entry seats a player where the ownership record says its ship is, not where it was last saved", async (t) => {
  const changes: OwnershipChange[] = [];
  t.after(await sl.ownership.watch((c) => changes.push(c)));
  const reg = await api("/v1/accounts", { name: "Crosser_1", password: "correct horse battery" });
  assert.equal(reg.status, 201, JSON.stringify(reg.body));
  const { accessToken, account } = reg.body;
  const first = await enter(accessToken);
  const a = first.seat.roomId as string;
  await waitFor("own ship in state", () => shipOf(first.room, account.id));
  const ship = { ...sl.zone.room(a)!.sim.ships.get(account.id)! };
  await first.room.leave();
  const saved = await waitFor("ship saved", async () => {
    const { rows } = await db.query("SELECT x, y, version FROM characters WHERE player_id = $1", [account.id]);
    return rows[0] && Number(rows[0].version) > 0 ? rows[0] : undefined;
  });
  const world = worldFromConfig(loadConfig(zoneConfig, env));
  assert.equal(regionRoomId(regionOf(world, saved.x, saved.y)), a, "stored in region A");

  // The ship is handed into the neighbouring region B before a save of it there lands (as right after
  // a border crossing): the record names B, the stored position is still in A.
  const { col, row } = parseRegionRoomId(a)!;
  const bRegion = { col: col + 1 < world.cols ? col + 1 : col - 1, row };
  const b = regionRoomId(bRegion);
  const released = await sl.ownership.get(account.id);
  assert.equal(released?.region, "", "leaving released the record");
  // Beside B's station (at its centre), where a new ship would spawn.
  const centre = regionCenter(world, bRegion);
  const c = { x: centre.x + 150, y: centre.y };
  await sl.zone.room(b)!.acceptHandoff({
    id: randomUUID(),
    from: "",
    to: b,
    version: released!.version,
    ship: { ...ship, x: c.x, y: c.y },
  });
  assert.equal((await sl.ownership.get(account.id))?.region, b);

  const login = await api("/v1/sessions", { name: "crosser_1", password: "correct horse battery" });
  const again = await enter(login.body.accessToken);
  assert.equal(again.seat.roomId, b, "seated in B, where the ship is, without a detour through A");
  const there = await waitFor("own ship in B's state", () => shipOf(again.room, account.id));
  assert.ok(
    Math.hypot(there.x - c.x, there.y - c.y) < 60,
    `the ship is at ${there.x},${there.y}, handed in at ${c.x},${c.y}`,
  );
  await again.room.leave();
  // Each change the zone made was published, in order: join (take), leave (release), hand-in, leave.
  await waitFor("the last release", () => changes.filter((x) => x.ship === account.id).length >= 4);
  assert.deepEqual(
    changes.filter((x) => x.ship === account.id),
    [
      { ship: account.id, from: "", to: a, version: 1 },
      { ship: account.id, from: a, to: "", version: 2 },
      { ship: account.id, from: "", to: b, version: 3 },
      { ship: account.id, from: b, to: "", version: 4 },
    ],
  );
});

test("a player cannot take a seat in a region its ship is not in", async () => {
  const reg = await api("/v1/accounts", { name: "Sneaky_1", password: "correct horse battery" });
  const { seat, room } = await enter(reg.body.accessToken);
  await room.leave();
  const other = seat.roomId === "region-0-0" ? "region-1-1" : "region-0-0";
  const res = await fetch(`http://${seat.address}/matchmake/joinById/${other}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${reg.body.accessToken}` },
    body: "{}",
  });
  // The reservation itself is handed out (the token is valid); joining with it is refused.
  if (res.ok) {
    const client = new Client(`http://${seat.address}`);
    await assert.rejects(client.consumeSeatReservation((await res.json()) as never), /STARLANE_ERR_SEAT_INVALID/);
  } else {
    assert.match(await res.text(), /STARLANE_ERR_SEAT_INVALID/);
  }
});

test("world entry without a token, or with a forged one, is refused with 401", async () => {
  const none = await api("/v1/world/enter", {});
  assert.equal(none.status, 401);
  assert.equal(none.body.code, "STARLANE_ERR_UNAUTHORIZED");
  const forged = await api("/v1/world/enter", {}, "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.");
  assert.equal(forged.status, 401);
});

test("load-test accounts provisioned by an operator enter the world with their issued tokens", async () => {
  const res = await fetch(`${base}/v1/operator/accounts`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${OPERATOR_TOKEN}` },
    body: JSON.stringify({ count: 3, prefix: "wbot" }),
  });
  assert.equal(res.status, 200);
  const { accounts } = (await res.json()) as { accounts: { accountId: string; name: string; accessToken: string }[] };
  assert.deepEqual(
    accounts.map((a) => a.name),
    ["wbot_0", "wbot_1", "wbot_2"],
  );
  for (const a of accounts) {
    const { room } = await enter(a.accessToken);
    const ship = await waitFor("provisioned ship in state", () => shipOf(room, a.accountId));
    assert.ok(Number.isFinite(ship.x) && Number.isFinite(ship.y));
    await room.leave();
  }
  // No password opens them.
  const login = await api("/v1/sessions", { name: "wbot_0", password: "correct horse battery" });
  assert.equal(login.body.code, "STARLANE_ERR_BAD_CREDENTIALS");
});

test("an operator ban in npm start closes the player's live zone connection with 4180 and keeps them out", async () => {
  const reg = await api("/v1/accounts", { name: "Banned_1", password: "correct horse battery" });
  assert.equal(reg.status, 201, JSON.stringify(reg.body));
  const { room } = await enter(reg.body.accessToken);
  room.reconnection.maxRetries = 0;
  const closed = new Promise<number>((resolve) => room.onLeave((code) => resolve(code)));
  await waitFor("own ship in state", () => shipOf(room, reg.body.account.id));
  const ban = await fetch(`${base}/v1/operator/accounts/ban`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${OPERATOR_TOKEN}` },
    body: JSON.stringify({ name: "Banned_1", reason: "test" }),
  });
  assert.equal(ban.status, 200);
  assert.equal(await closed, CloseCode.AccountBanned);
  const again = await api("/v1/world/enter", {}, reg.body.accessToken);
  assert.equal(again.status, 403);
  assert.equal(again.body.code, "STARLANE_ERR_ACCOUNT_BANNED");
});

test("the world map names the zone that owns each region, for the browser client's minimap", async () => {
  const res = await fetch(`${base}/v1/world/map`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("cache-control"), "public, max-age=1");
  const map = (await res.json()) as {
    world: { cols: number; rows: number };
    regions: { region: string; zone: string | null; address: string | null; epoch: number | null }[];
  };
  assert.equal(map.regions.length, map.world.cols * map.world.rows);
  for (const r of map.regions) {
    assert.match(r.region, /^region-\d+-\d+$/);
    assert.ok(r.zone && r.address && r.epoch !== null && r.epoch > 0, JSON.stringify(r));
  }
  // One zone process in npm start: it owns them all, at the address world entry gives.
  assert.equal(new Set(map.regions.map((r) => r.zone)).size, 1);
  const reg = await api("/v1/accounts", {
    name: `Mapper_${randomUUID().slice(0, 6)}`,
    password: "correct horse battery",
  });
  const seat = await api("/v1/world/enter", {}, reg.body.accessToken);
  assert.equal(map.regions.find((r) => r.region === seat.body.roomId)?.address, seat.body.address);
});
