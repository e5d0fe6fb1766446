// Property: whatever mix of sales, player trades, retries and late write-behind entries runs at
// once, credits and ore are conserved, each idempotency key applies once, and every answer to the
// same key is the same.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { StarlaneError, type TradeResult } from "@starlane/shared";
import fc from "fast-check";
import { createShipRepository, sellOre, trade, writeShipBatch } from "../src/index.js";
import { type Db, schemaDatabase, ship } from "./helpers.js";

let t: Db;
before(async () => {
  t = await schemaDatabase();
});
after(() => t.close());

const PLAYERS = 4;
const REGION = "region-0-0";

type Op =
  | { kind: "sell"; player: number; station: number; ore: number; price: number }
  | { kind: "trade"; buyer: number; seller: number; ore: number; credits: number }
  // A zone that has not seen any trade yet writes its (older) credits and cargo.
  | { kind: "write"; player: number; version: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant("sell" as const),
    player: fc.nat(PLAYERS - 1),
    station: fc.nat(1),
    ore: fc.integer({ min: 1, max: 20 }),
    price: fc.integer({ min: 1, max: 10 }),
  }),
  fc
    .record({
      kind: fc.constant("trade" as const),
      buyer: fc.nat(PLAYERS - 1),
      seller: fc.nat(PLAYERS - 1),
      ore: fc.integer({ min: 1, max: 20 }),
      credits: fc.integer({ min: 0, max: 200 }),
    })
    .filter((o) => o.buyer !== o.seller),
  fc.record({
    kind: fc.constant("write" as const),
    player: fc.nat(PLAYERS - 1),
    version: fc.integer({ min: 1, max: 5 }),
  }),
);

const scenario = fc.record({
  start: fc.array(fc.record({ credits: fc.nat(500), cargo: fc.nat(50) }), { minLength: PLAYERS, maxLength: PLAYERS }),
  ops: fc.array(op, { minLength: 1, maxLength: 25 }),
  // Retries: the same request with the same key, sent again at some later position.
  retries: fc.array(fc.record({ of: fc.nat(), at: fc.nat() }), { maxLength: 10 }),
});

let run = 0;

test("concurrent sales and trades with retries conserve credits and ore and apply each key once", async () => {
  await fc.assert(
    fc.asyncProperty(scenario, async ({ start, ops, retries }) => {
      const tag = `r${++run}`;
      const pid = (i: number) => `${tag}-p${i}`;
      const repo = createShipRepository(t.pool);
      for (let i = 0; i < PLAYERS; i++) {
        await repo.createAtSpawn(pid(i), `P${i}`, { region: REGION, x: 0, y: 0, ...start[i]! });
      }
      const keyed = ops.map((o, i) => ({ o, key: `${tag}-k${i}` }));
      const requests = [...keyed];
      for (const { of, at } of retries) requests.splice(at % (requests.length + 1), 0, keyed[of % keyed.length]!);

      const results = await Promise.allSettled(
        requests.map(({ o, key }) => {
          if (o.kind === "sell") {
            return sellOre(t.pool, {
              key,
              playerId: pid(o.player),
              station: `s${o.station}-${tag}`,
              ore: o.ore,
              pricePerOre: o.price,
              region: REGION,
              epoch: 0,
            });
          }
          if (o.kind === "trade") {
            return trade(t.pool, {
              key,
              buyer: pid(o.buyer),
              seller: pid(o.seller),
              ore: o.ore,
              credits: o.credits,
              region: REGION,
              epoch: 0,
            });
          }
          const s = start[o.player]!;
          return writeShipBatch(t.pool, [ship(pid(o.player), o.version, { ...s, region: REGION, epoch: 0 })]);
        }),
      );
      for (const r of results) {
        // Refusing a sale or trade the balances cannot cover is fine; anything else is a bug.
        if (r.status === "rejected") {
          assert.ok(r.reason instanceof StarlaneError, String(r.reason));
          assert.equal(r.reason.code, "STARLANE_ERR_LEDGER_INSUFFICIENT");
        }
      }

      // Every answer for a key is the same, and at most one of them applied it.
      const byKey = new Map<string, TradeResult[]>();
      requests.forEach(({ key, o }, i) => {
        const r = results[i]!;
        if (o.kind !== "write" && r.status === "fulfilled")
          byKey.set(key, [...(byKey.get(key) ?? []), r.value as TradeResult]);
      });
      for (const [key, answers] of byKey) {
        assert.ok(answers.filter((a) => !a.replayed).length <= 1, `${key} applied more than once`);
        for (const a of answers) assert.deepEqual(a.balances, answers[0]!.balances, `${key}: different answers`);
      }
      const { rows: applied } = await t.pool.query<{ key: string; n: number }>(
        "SELECT trade_key AS key, count(*)::int AS n FROM ledger WHERE trade_key LIKE $1 GROUP BY trade_key",
        [`${tag}-%`],
      );
      assert.deepEqual(applied.map((a) => a.key).sort(), [...byKey.keys()].sort(), "ledger = keys that succeeded");
      for (const a of applied) assert.equal(a.n, 2, "two ledger rows per trade");

      // Conservation: players' balances plus what stations took in equal what there was.
      const { rows: p } = await t.pool.query<{ credits: string; cargo: string }>(
        "SELECT coalesce(sum(credits), 0) AS credits, coalesce(sum(cargo), 0) AS cargo FROM characters WHERE player_id LIKE $1",
        [`${tag}-%`],
      );
      const { rows: s } = await t.pool.query<{ credits: string; ore: string }>(
        `SELECT coalesce(sum(credits_delta), 0) AS credits, coalesce(sum(ore_delta), 0) AS ore FROM ledger
         WHERE party LIKE 'station:%' AND party LIKE $1`,
        [`%-${tag}`],
      );
      const credits0 = start.reduce((n, x) => n + x.credits, 0);
      const cargo0 = start.reduce((n, x) => n + x.cargo, 0);
      assert.equal(Number(p[0]!.credits) + Number(s[0]!.credits), credits0, "credits conserved");
      assert.equal(Number(p[0]!.cargo) + Number(s[0]!.ore), cargo0, "ore conserved");

      // Each player's row is exactly its start plus its ledger rows: no trade lost or undone.
      for (let i = 0; i < PLAYERS; i++) {
        const { rows } = await t.pool.query<{ credits: string; ore: string; n: number }>(
          "SELECT coalesce(sum(credits_delta), 0) AS credits, coalesce(sum(ore_delta), 0) AS ore, count(*)::int AS n FROM ledger WHERE party = $1",
          [pid(i)],
        );
        const row = (await repo.load(pid(i)))!;
        assert.equal(row.credits, start[i]!.credits + Number(rows[0]!.credits), `${pid(i)} credits`);
        assert.equal(row.cargo, start[i]!.cargo + Number(rows[0]!.ore), `${pid(i)} cargo`);
        assert.equal(row.ledgerVersion, rows[0]!.n, `${pid(i)} ledger version counts its trades`);
      }
    }),
    { numRuns: 40 },
  );
});
