// The Ledger contract, one suite over both implementations: PostgreSQL (createLedger) and the
// in-process MemoryLedger the zone tests use. Each case seeds its own accounts.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type Ledger, MemoryLedger, MemoryShipRepository, type StoredShip } from "@starlane/shared";
import { createLedger, createRegionFencing, createShipRepository, writeShipBatch } from "../src/index.js";
import { type Db, schemaDatabase, ship } from "./helpers.js";

interface Subject {
  ledger: Ledger;
  seed(playerId: string, credits: number, cargo: number): Promise<void>;
  load(playerId: string): Promise<Pick<StoredShip, "credits" | "cargo" | "holdLevel"> | null>;
  /** An ownership change: the region's epoch moves to `epoch`. */
  takeover(region: string, epoch: number): Promise<void>;
}

let t: Db;
before(async () => {
  t = await schemaDatabase();
});
after(() => t.close());

const subjects: Record<string, () => Subject> = {
  postgres: () => {
    const repo = createShipRepository(t.pool);
    return {
      ledger: createLedger(t.pool),
      seed: async (id, credits, cargo) => {
        await writeShipBatch(t.pool, [ship(id, 1, { credits, cargo, epoch: 0 })]);
      },
      load: (id) => repo.load(id),
      takeover: async (region, epoch) => {
        await createRegionFencing(t.pool).fence(region, epoch);
      },
    };
  },
  memory: () => {
    const repo = new MemoryShipRepository();
    const ledger = new MemoryLedger(repo);
    return {
      ledger,
      seed: async (id, credits, cargo) => {
        repo.put({ playerId: id, x: 0, y: 0, vx: 0, vy: 0, heading: 0, hull: 100, credits, cargo, ledgerVersion: 0 });
      },
      load: (id) => repo.load(id),
      takeover: async (region, epoch) => ledger.fence(region, epoch),
    };
  },
};

let n = 0;
const id = (name: string) => `${name}-${++n}`;
const fence = { region: "region-3-3", epoch: 1 };

for (const [name, make] of Object.entries(subjects)) {
  describe(`Ledger (${name})`, () => {
    test("a sale moves ore to credits once per key; a retry answers the same", async () => {
      const s = make();
      const p = id("seller");
      await s.seed(p, 10, 6);
      const sale = { key: id("k"), playerId: p, station: "st-0", ore: 4, pricePerOre: 5, ...fence };
      const first = await s.ledger.sell(sale);
      assert.deepEqual(first.balances, [{ playerId: p, credits: 30, cargo: 2, holdLevel: 0, ledgerVersion: 1 }]);
      const again = await s.ledger.sell(sale);
      assert.equal(again.replayed, true);
      assert.deepEqual(again.balances, first.balances);
      assert.deepEqual(await s.load(p).then((r) => r && { credits: r.credits, cargo: r.cargo }), {
        credits: 30,
        cargo: 2,
      });
    });

    test("settled(key): what a key committed, for a party that did not make the call; null for none or a refusal", async () => {
      const s = make();
      const [a, b] = [id("buyer"), id("seller")];
      await s.seed(a, 50, 0);
      await s.seed(b, 0, 5);
      const key = id("t");
      assert.equal(await s.ledger.settled(key), null);
      const r = await s.ledger.trade({ key, buyer: a, seller: b, ore: 2, credits: 20, ...fence });
      assert.deepEqual(await s.ledger.settled(key), { ...r, replayed: true });
      const refused = id("t");
      await assert.rejects(s.ledger.trade({ key: refused, buyer: a, seller: b, ore: 1, credits: 999, ...fence }));
      assert.equal(await s.ledger.settled(refused), null);
    });

    test("operations asked for at once (batched in PostgreSQL): each applies once or is refused alone", async () => {
      const s = make();
      const ps = Array.from({ length: 6 }, () => id("p"));
      for (const p of ps) await s.seed(p, 30, 10);
      // 40 trades, three buyers and three sellers, together far more than they hold; every fourth sent twice.
      const reqs = Array.from({ length: 40 }, (_, i) => ({
        key: id("t"),
        buyer: ps[i % 3]!,
        seller: ps[3 + ((i + (i >> 2)) % 3)]!,
        ore: 1 + (i % 3),
        credits: 7 + (i % 5),
        ...fence,
      }));
      const calls = reqs.flatMap((r, i) => (i % 4 === 0 ? [r, r] : [r]));
      const outcomes = await Promise.allSettled(calls.map((r) => s.ledger.trade(r)));
      const committed = new Map<string, { balances: unknown; fresh: number }>();
      let refused = 0;
      for (const [i, o] of outcomes.entries()) {
        if (o.status === "rejected") {
          assert.equal((o.reason as { code?: string }).code, "STARLANE_ERR_LEDGER_INSUFFICIENT");
          refused++;
          continue;
        }
        const key = calls[i]!.key;
        const prior = committed.get(key);
        if (prior) assert.deepEqual(o.value.balances, prior.balances, `${key}: the same answer`);
        const c = prior ?? { balances: o.value.balances, fresh: 0 };
        if (!o.value.replayed) c.fresh++;
        committed.set(key, c);
      }
      for (const [key, c] of committed) assert.equal(c.fresh, 1, `${key} applied once`);
      assert.ok(committed.size >= 5 && refused >= 5, `${committed.size} committed, ${refused} refused`);
      // Each account is its start plus exactly the committed trades naming it.
      for (const p of ps) {
        const mine = reqs.filter((r) => committed.has(r.key));
        const credits =
          30 + mine.reduce((a, r) => a + (r.seller === p ? r.credits : r.buyer === p ? -r.credits : 0), 0);
        const cargo = 10 + mine.reduce((a, r) => a + (r.buyer === p ? r.ore : r.seller === p ? -r.ore : 0), 0);
        assert.deepEqual(await s.load(p).then((r) => [r?.credits, r?.cargo]), [credits, cargo], p);
        assert.ok(credits >= 0 && cargo >= 0);
      }
    });

    test("a trade moves both sides or neither", async () => {
      const s = make();
      const [a, b] = [id("buyer"), id("seller")];
      await s.seed(a, 100, 0);
      await s.seed(b, 0, 5);
      const r = await s.ledger.trade({ key: id("t"), buyer: a, seller: b, ore: 5, credits: 60, ...fence });
      assert.deepEqual(
        r.balances.map((x) => [x.playerId, x.credits, x.cargo]),
        [
          [a, 40, 5],
          [b, 60, 0],
        ],
      );
      // The buyer cannot pay twice as much: nothing moves on either side.
      await assert.rejects(s.ledger.trade({ key: id("t"), buyer: a, seller: b, ore: 0 + 1, credits: 41, ...fence }), {
        code: "STARLANE_ERR_LEDGER_INSUFFICIENT",
      });
      assert.equal((await s.load(a))?.credits, 40);
      assert.equal((await s.load(b))?.credits, 60);
    });

    test("bad input is refused with a code and changes nothing", async () => {
      const s = make();
      const [a, b] = [id("a"), id("b")];
      await s.seed(a, 50, 5);
      await s.seed(b, 50, 5);
      const trade = { key: id("t"), buyer: a, seller: b, ore: 1, credits: 1, ...fence };
      const cases: [string, () => Promise<unknown>, string][] = [
        ["negative ore", () => s.ledger.trade({ ...trade, key: id("t"), ore: -1 }), "STARLANE_ERR_VALIDATION"],
        [
          "fractional credits",
          () => s.ledger.trade({ ...trade, key: id("t"), credits: 1.5 }),
          "STARLANE_ERR_VALIDATION",
        ],
        [
          "NaN credits",
          () => s.ledger.trade({ ...trade, key: id("t"), credits: Number.NaN }),
          "STARLANE_ERR_VALIDATION",
        ],
        ["huge credits", () => s.ledger.trade({ ...trade, key: id("t"), credits: 1e15 }), "STARLANE_ERR_VALIDATION"],
        [
          "trading with yourself",
          () => s.ledger.trade({ ...trade, key: id("t"), seller: a }),
          "STARLANE_ERR_VALIDATION",
        ],
        [
          "more ore than held",
          () => s.ledger.trade({ ...trade, key: id("t"), ore: 6 }),
          "STARLANE_ERR_LEDGER_INSUFFICIENT",
        ],
        [
          "more credits than held",
          () => s.ledger.trade({ ...trade, key: id("t"), credits: 51 }),
          "STARLANE_ERR_LEDGER_INSUFFICIENT",
        ],
        [
          "selling ore you do not have",
          () => s.ledger.sell({ key: id("k"), playerId: a, station: "st-0", ore: 6, pricePerOre: 1, ...fence }),
          "STARLANE_ERR_LEDGER_INSUFFICIENT",
        ],
        [
          "an unknown account",
          () => s.ledger.trade({ ...trade, key: id("t"), buyer: id("ghost") }),
          "STARLANE_ERR_LEDGER_INSUFFICIENT",
        ],
      ];
      for (const [what, call, code] of cases) await assert.rejects(call(), { code }, what);
      for (const p of [a, b]) assert.deepEqual(await s.load(p).then((r) => [r?.credits, r?.cargo]), [50, 5]);
    });

    test("a key reused for another request, and a zone fenced out, are refused", async () => {
      const s = make();
      const [a, b] = [id("a"), id("b")];
      await s.seed(a, 50, 5);
      await s.seed(b, 50, 5);
      const region = id("region");
      const trade = { key: id("t"), buyer: a, seller: b, ore: 1, credits: 10, region, epoch: 1 };
      await s.ledger.trade(trade);
      await assert.rejects(s.ledger.trade({ ...trade, credits: 20 }), { code: "STARLANE_ERR_LEDGER_KEY_REUSED" });
      await s.takeover(region, 2);
      await assert.rejects(s.ledger.trade({ ...trade, key: id("t") }), { code: "STARLANE_ERR_LEDGER_STALE_EPOCH" });
      assert.deepEqual(await s.load(a).then((r) => [r?.credits, r?.cargo]), [40, 6]);
      // The new owner's epoch goes through.
      await s.ledger.trade({ ...trade, key: id("t"), epoch: 2 });
      assert.deepEqual(await s.load(a).then((r) => [r?.credits, r?.cargo]), [30, 7]);
    });

    test("a trade counts each side's hold (ore mined since the last write) when it has seen every operation", async () => {
      const s = make();
      const [a, b] = [id("buyer"), id("seller")];
      await s.seed(a, 100, 1);
      await s.seed(b, 0, 2);
      const trade = { buyer: a, seller: b, ore: 6, credits: 30, ...fence };
      await assert.rejects(s.ledger.trade({ ...trade, key: id("t") }), { code: "STARLANE_ERR_LEDGER_INSUFFICIENT" });
      const r = await s.ledger.trade({
        ...trade,
        key: id("t"),
        buyerHold: { cargo: 3, ledgerVersion: 0 },
        sellerHold: { cargo: 8, ledgerVersion: 0 },
      });
      assert.deepEqual(
        r.balances.map((x) => [x.playerId, x.credits, x.cargo, x.ledgerVersion]),
        [
          [a, 70, 9, 1],
          [b, 30, 2, 1],
        ],
      );
      // A hold from before that trade cannot bring the ore back.
      await assert.rejects(
        s.ledger.trade({ ...trade, key: id("t"), ore: 3, sellerHold: { cargo: 8, ledgerVersion: 0 } }),
        { code: "STARLANE_ERR_LEDGER_INSUFFICIENT" },
      );
    });

    test("an upgrade is bought once per level, paid from credits; the level must be the next one", async () => {
      const s = make();
      const p = id("buyer");
      await s.seed(p, 150, 3);
      const buy = { playerId: p, station: "st-0", item: "hold" as const, price: 100, ...fence };
      const first = await s.ledger.buy({ ...buy, key: id("u"), level: 1 });
      assert.deepEqual(first.balances, [{ playerId: p, credits: 50, cargo: 3, holdLevel: 1, ledgerVersion: 1 }]);
      await assert.rejects(s.ledger.buy({ ...buy, key: id("u"), level: 1 }), {
        code: "STARLANE_ERR_LEDGER_UPGRADE_UNAVAILABLE",
      });
      await assert.rejects(s.ledger.buy({ ...buy, key: id("u"), level: 3 }), {
        code: "STARLANE_ERR_LEDGER_UPGRADE_UNAVAILABLE",
      });
      await assert.rejects(s.ledger.buy({ ...buy, key: id("u"), level: 2 }), {
        code: "STARLANE_ERR_LEDGER_INSUFFICIENT",
      });
      await assert.rejects(s.ledger.buy({ ...buy, key: id("u"), level: 2, price: -1 }), {
        code: "STARLANE_ERR_VALIDATION",
      });
      await assert.rejects(s.ledger.buy({ ...buy, key: id("u"), level: 2, item: "laser" as "hold" }), {
        code: "STARLANE_ERR_VALIDATION",
      });
      const loaded = await s.load(p);
      assert.deepEqual([loaded?.credits, loaded?.cargo, loaded?.holdLevel], [50, 3, 1]);
    });

    test("two accepts racing with one key apply once", async () => {
      const s = make();
      const [a, b] = [id("a"), id("b")];
      await s.seed(a, 100, 0);
      await s.seed(b, 0, 10);
      const trade = { key: id("t"), buyer: a, seller: b, ore: 2, credits: 10, ...fence };
      const results = await Promise.all([s.ledger.trade(trade), s.ledger.trade(trade)]);
      assert.deepEqual(results.map((r) => r.replayed).sort(), [false, true]);
      assert.deepEqual(await s.load(a).then((r) => [r?.credits, r?.cargo]), [90, 2]);
    });
  });
}
