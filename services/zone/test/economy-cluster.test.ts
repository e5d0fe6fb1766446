// Player trades across zone processes: two zone children share the local Redis (presence, ownership)
// and one PostgreSQL database (ships, ledger, region fencing); the west one holds x < 4000, the east
// one x >= 4000. Players on either side trade through the real client protocol: the offer is
// shown on the other process, the accept is forwarded to the offer's home room and committed once in
// the ledger, both screens show it; a replayed accept, a decline from the other side, a partner who
// leaves, and two accepts racing from the two processes each get their documented answer.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Client, type Room } from "@colyseus/sdk";
import { createShipRepository, migratePersistence } from "@starlane/persistence";
import { ClientMessage, connectPostgres, connectRedis, ServerMessage } from "@starlane/shared";
import {
  createTestDatabase,
  TEST_REDIS_URL,
  type TestDatabase,
  testRedisPrefix,
  waitFor,
} from "@starlane/shared/testing";
import type { Redis } from "ioredis";
import type pg from "pg";
import { startNode, type ZoneNode } from "./cluster.js";
import type { RegionView } from "./harness.js";
import { testTokens } from "./tokens.js";

const prefix = testRedisPrefix();
const tokens = await testTokens();
let redis: Redis;
let db: TestDatabase;
let pool: pg.Pool;
let west: ZoneNode;
let east: ZoneNode;

before(async () => {
  redis = await connectRedis(TEST_REDIS_URL);
  db = await createTestDatabase();
  pool = await connectPostgres(db.url, { max: 4 });
  await migratePersistence(pool);
  const env = { ZONE_DATABASE_URL: db.url };
  west = await startNode({ prefix, regions: "1-1,1-2", jwks: tokens.jwks, env });
  east = await startNode({ prefix, regions: "2-1,2-2", jwks: tokens.jwks, env });
});

after(async () => {
  await west?.quit();
  await east?.quit();
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  await pool.end();
  await db.drop();
});

interface Trader {
  id: string;
  room: Room<unknown, RegionView>;
  offered: { id: string; from: string; to: string; side: string; ore: number; credits: number }[];
  ended: { id: string; outcome: string; code?: string }[];
  errors: { code: string }[];
  /** Every credits value this player's screen showed, in order. */
  seen: number[];
}

/** A player with an account of `credits` and `cargo` ore, seated in the region of (x, 3000). */
async function trader(id: string, x: number, credits: number, cargo: number): Promise<Trader> {
  const region = x < 4000 ? "region-1-1" : "region-2-1";
  await createShipRepository(pool).createAtSpawn(id, id, { region, x, y: 3000, credits, cargo });
  const client = new Client(x < 4000 ? west.url : east.url);
  client.auth.token = await tokens.sign({ sub: id, name: id });
  const room = await client.joinById<RegionView>(region, {});
  room.reconnection.maxRetries = 0;
  const t: Trader = { id, room, offered: [], ended: [], errors: [], seen: [] };
  room.onMessage(ServerMessage.TradeOffered, (m) => t.offered.push(m));
  room.onMessage(ServerMessage.TradeClosed, (m) => t.ended.push(m));
  room.onMessage(ServerMessage.Error, (m) => t.errors.push(m));
  room.onStateChange(() => {
    const c = room.state.ships?.get(id)?.credits;
    if (c !== undefined && c !== t.seen.at(-1)) t.seen.push(c);
  });
  await waitFor(`${id} first state`, () => room.state?.ships?.has(id));
  return t;
}

const screen = (t: Trader) => {
  const s = t.room.state.ships.get(t.id)!;
  return [s.credits, s.cargo];
};
const account = async (id: string) => {
  const { rows } = await pool.query<{ credits: string; cargo: string }>(
    "SELECT credits, cargo FROM characters WHERE player_id = $1",
    [id],
  );
  return [Number(rows[0]?.credits), Number(rows[0]?.cargo)];
};

test("a trade between ships on two zone processes commits once; both screens show it; a replayed accept is closed", async () => {
  const a = await trader("x-alice", 3900, 0, 30);
  const b = await trader("x-bob", 4100, 500, 0);
  a.room.send(ClientMessage.TradeOffer, { to: b.id, side: "sell", ore: 12, credits: 90 });
  await waitFor("the offer shown on both processes", () => a.offered.length === 1 && b.offered.length === 1);
  const offer = b.offered[0]!;
  assert.deepEqual(a.offered[0], offer);
  assert.match(offer.id, /^trade:region-1-1:/);
  b.room.send(ClientMessage.TradeAccept, { id: offer.id });
  await waitFor("both told committed", () => a.ended.length === 1 && b.ended.length === 1);
  assert.deepEqual(
    [a.ended[0], b.ended[0]],
    [
      { id: offer.id, outcome: "committed" },
      { id: offer.id, outcome: "committed" },
    ],
  );
  await waitFor("both screens show it", () => screen(a)[0] === 90 && screen(b)[0] === 410);
  assert.deepEqual(
    [screen(a), screen(b)],
    [
      [90, 18],
      [410, 12],
    ],
  );
  assert.deepEqual(
    [await account(a.id), await account(b.id)],
    [
      [90, 18],
      [410, 12],
    ],
  );
  b.room.send(ClientMessage.TradeAccept, { id: offer.id });
  await waitFor("the replay is closed", () => b.errors.some((e) => e.code === "STARLANE_ERR_LEDGER_TRADE_CLOSED"));
  assert.deepEqual(
    [await account(a.id), await account(b.id)],
    [
      [90, 18],
      [410, 12],
    ],
    "applied once",
  );
  // An offer the other way, declined from the offerer's own process by the addressee... from the east.
  b.room.send(ClientMessage.TradeOffer, { to: a.id, side: "buy", ore: 1, credits: 5 });
  await waitFor("offered back", () => a.offered.length === 2);
  a.room.send(ClientMessage.TradeCancel, { id: a.offered[1]!.id });
  await waitFor("declined on both sides", () => a.ended.length === 2 && b.ended.length === 2);
  assert.deepEqual(b.ended[1], { id: a.offered[1]!.id, outcome: "cancelled" });
  // Credits on either screen only ever moved to committed values.
  assert.deepEqual(
    [a.seen, b.seen],
    [
      [0, 90],
      [500, 410],
    ],
  );
  await a.room.leave(true);
  await b.room.leave(true);
});

test("bad input across processes: more than you have, an offer meant for someone else, a partner who leaves", async () => {
  const a = await trader("x-carol", 3900, 40, 5);
  const b = await trader("x-dave", 4100, 40, 5);
  const c = await trader("x-erin", 4150, 40, 5);
  a.room.send(ClientMessage.TradeOffer, { to: b.id, side: "buy", ore: 1, credits: 41 });
  await waitFor("insufficient", () => a.errors.some((e) => e.code === "STARLANE_ERR_LEDGER_INSUFFICIENT"));
  a.room.send(ClientMessage.TradeOffer, { to: "x-nobody", side: "sell", ore: 1, credits: 1 });
  await waitFor("nobody", () => a.errors.some((e) => e.code === "STARLANE_ERR_LEDGER_TRADE_PARTNER_AWAY"));
  a.room.send(ClientMessage.TradeOffer, { to: b.id, side: "sell", ore: 2, credits: 10 });
  await waitFor("offered", () => b.offered.length === 1);
  c.room.send(ClientMessage.TradeAccept, { id: b.offered[0]!.id });
  await waitFor("not yours", () => c.errors.some((e) => e.code === "STARLANE_ERR_LEDGER_TRADE_NOT_YOURS"));
  c.room.send(ClientMessage.TradeAccept, { id: "trade:region-3-3:00000000-0000-0000-0000-000000000000" });
  await waitFor("an id no room holds", () => c.errors.some((e) => e.code === "STARLANE_ERR_LEDGER_TRADE_CLOSED"));
  // The addressee leaves: its room tells the offer's home, which cancels it for the offerer.
  await b.room.leave(true);
  await waitFor("cancelled, partner away", () =>
    a.ended.some((e) => e.outcome === "cancelled" && e.code === "STARLANE_ERR_LEDGER_TRADE_PARTNER_AWAY"),
  );
  for (const id of [a.id, b.id, c.id]) assert.deepEqual(await account(id), [40, 5], `${id} untouched`);
  await a.room.leave(true);
  await c.room.leave(true);
});

test("two accepts racing from the two zone processes: one commits, the other is closed; the ledger applies it once", async () => {
  const a = await trader("x-frank", 3900, 0, 10);
  const b = await trader("x-gina", 4100, 100, 0);
  a.room.send(ClientMessage.TradeOffer, { to: b.id, side: "sell", ore: 4, credits: 20 });
  await waitFor("offered", () => b.offered.length === 1);
  const id = b.offered[0]!.id;
  const hold = { cargo: 0, ledgerVersion: 0 };
  const call = (token: string) => ({ kind: "accept", id, by: b.id, room: "region-2-1", hold, token });
  const answers = (await Promise.all([west.trade("region-1-1", call("w")), east.trade("region-1-1", call("e"))])) as {
    ok: boolean;
    code?: string;
  }[];
  assert.deepEqual(answers.map((x) => x.ok).sort(), [false, true], JSON.stringify(answers));
  assert.equal(answers.find((x) => !x.ok)!.code, "STARLANE_ERR_LEDGER_TRADE_CLOSED");
  // A retry of the winning accept (same token) gets the same answer; nothing applies twice.
  const winner = answers[0]!.ok ? "w" : "e";
  assert.deepEqual(await east.trade("region-1-1", call(winner)), answers[winner === "w" ? 0 : 1]);
  assert.deepEqual(
    [await account(a.id), await account(b.id)],
    [
      [20, 6],
      [80, 4],
    ],
  );
  const { rows } = await pool.query("SELECT count(*)::int AS n FROM trades WHERE key = $1", [id]);
  assert.equal(rows[0].n, 1);
  // Malformed calls from another process are refused, not thrown.
  assert.deepEqual(await east.trade("region-1-1", { kind: "accept", id }), {
    ok: false,
    code: "STARLANE_ERR_INVALID_INPUT",
  });
  await a.room.leave(true);
  await b.room.leave(true);
});
