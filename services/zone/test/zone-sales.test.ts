// Sales through the ledger, end to end through a room: the ship's credits change only when the
// ledger has committed, refusals carry the ledger's code and change nothing, an unanswered call is
// retried with the same key and applies once.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  type Ledger,
  MemoryLedger,
  type MemoryShipRepository,
  type SellOre,
  type TradeResult,
  TUNING,
} from "@starlane/shared";
import { waitFor } from "@starlane/shared/testing";
import { metric, type Player, REGION, startZone, tickAndSync, type Zone } from "./harness.js";

/** A MemoryLedger whose answers wait for `open()`, and whose first `failures` calls fail like a store that is down. */
class HeldLedger implements Ledger {
  readonly inner: MemoryLedger;
  readonly calls: SellOre[] = [];
  failures = 0;
  #gate: Promise<void> = Promise.resolve();
  #open = () => {};
  constructor(ships: MemoryShipRepository) {
    this.inner = new MemoryLedger(ships);
  }
  hold(): void {
    this.#gate = new Promise((r) => {
      this.#open = r;
    });
  }
  open(): void {
    this.#open();
  }
  async sell(req: SellOre): Promise<TradeResult> {
    this.calls.push(req);
    await this.#gate;
    if (this.failures > 0) {
      this.failures--;
      // The sale commits, but the answer is lost (the connection dropped after COMMIT).
      await this.inner.sell(req);
      throw new Error("connection terminated");
    }
    return this.inner.sell(req);
  }
  settled = (key: string) => this.inner.settled(key);
  trade = (req: Parameters<Ledger["trade"]>[0]) => this.inner.trade(req);
  buy = (req: Parameters<Ledger["buy"]>[0]) => this.inner.buy(req);
}

let zone: Zone;
let ledger: HeldLedger;
before(async () => {
  zone = await startZone({}, undefined, undefined, (ships) => {
    ledger = new HeldLedger(ships);
    return ledger;
  });
});
after(() => zone.close());

const room = () => zone.server.room(REGION)!;

/** A player with `cargo` ore in the hold, parked beside the station. */
async function atStation(id: string, cargo: number): Promise<Player> {
  await zone.ships.createAtSpawn(id, id, { region: REGION, x: 3000, y: 3000 });
  const p = await zone.join({ id });
  const sim = room().sim;
  const st = [...sim.stations.values()][0]!;
  sim.ships.set(id, { ...sim.ships.get(id)!, x: st.x + st.radius + 60, y: st.y, vx: 0, vy: 0, cargo });
  return p;
}

const view = (p: Player) => {
  const s = p.state().ships.get(p.id)!;
  return { credits: s.credits, cargo: s.cargo };
};

test("a sale shows only once the ledger committed it; a second sale meanwhile is refused (busy)", async () => {
  const p = await atStation("seller-1", 12);
  ledger.hold();
  p.room.send("action", { kind: "sell" });
  await waitFor("queued", () => room().pending(p.id) === 1);
  await tickAndSync(zone, [p]);
  await waitFor("the ledger asked", () => ledger.calls.some((c) => c.playerId === p.id));
  await tickAndSync(zone, [p], 2);
  assert.deepEqual(view(p), { credits: 0, cargo: 12 }, "nothing shown before the commit");
  p.room.send("action", { kind: "sell" });
  await waitFor("busy", async () => {
    await tickAndSync(zone, [p]);
    return p.errors.some((e) => e.code === "STARLANE_ERR_LEDGER_BUSY");
  });
  ledger.open();
  await waitFor("committed and shown", async () => {
    await tickAndSync(zone, [p]);
    return view(p).credits === 12 * TUNING.trade.orePrice;
  });
  assert.equal(view(p).cargo, 0);
  assert.equal((await zone.ships.load(p.id))?.credits, 12 * TUNING.trade.orePrice, "the ledger's account");
  assert.equal(ledger.calls.filter((c) => c.playerId === p.id).length, 1);
  assert.ok((await metric(zone, "starlane_zone_ledger_operations_total", { kind: "sale", outcome: "committed" })) >= 1);
  await p.room.leave(true);
});

test("a lost answer is retried with the same key: the sale applies once", async () => {
  const p = await atStation("seller-3", 20);
  ledger.failures = 2;
  p.room.send("action", { kind: "sell" });
  await waitFor("committed and shown", async () => {
    await tickAndSync(zone, [p]);
    return view(p).credits === 20 * TUNING.trade.orePrice;
  });
  const calls = ledger.calls.filter((c) => c.playerId === p.id);
  assert.equal(calls.length, 3, "two lost answers, then the replayed one");
  assert.equal(new Set(calls.map((c) => c.key)).size, 1, "every attempt carries the same key");
  assert.equal((await zone.ships.load(p.id))?.credits, 20 * TUNING.trade.orePrice, "paid once");
  await p.room.leave(true);
});

test("an upgrade is bought through the ledger: shown once committed, paid once; no credits, no upgrade", async () => {
  const p = await atStation("upgrader", 0);
  // The account pays: give it credits the way a sale would.
  await ledger.inner.sell({
    key: "seed-upgrader",
    playerId: p.id,
    station: "seed",
    ore: 1,
    pricePerOre: 200,
    region: "region-9-9",
    epoch: 1,
    hold: { cargo: 1, ledgerVersion: 0 },
  });
  await zone.ships.load(p.id);
  await p.room.leave(true);
  const q = await atStation("upgrader", 0);
  await tickAndSync(zone, [q]);
  assert.equal(q.state().ships.get(q.id)!.credits, 200);
  q.room.send("action", { kind: "buy", target: "hold" });
  const price = TUNING.upgrades.hold.prices[0];
  await waitFor("bought and shown", async () => {
    await tickAndSync(zone, [q]);
    const s = q.state().ships.get(q.id)!;
    return s.holdLevel === 1 && s.credits === 200 - price;
  });
  const stored = await zone.ships.load(q.id);
  assert.deepEqual([stored?.credits, stored?.holdLevel], [200 - price, 1]);
  // The next level costs more than what is left.
  q.room.send("action", { kind: "buy", target: "hold" });
  await waitFor("refused", async () => {
    await tickAndSync(zone, [q]);
    return q.errors.some((e) => e.code === "STARLANE_ERR_LEDGER_INSUFFICIENT");
  });
  assert.equal(q.state().ships.get(q.id)!.holdLevel, 1);
  // An upgrade the stations do not sell is invalid input.
  q.room.send("action", { kind: "buy", target: "laser" });
  await waitFor("invalid", () => q.errors.some((e) => e.code === "STARLANE_ERR_INVALID_INPUT"));
  await q.room.leave(true);
});

// Last: it fences the region in this zone's ledger for good.
test("a sale the ledger refuses (region fenced by a newer owner) changes nothing and says why", async () => {
  const p = await atStation("seller-2", 7);
  ledger.inner.fence(REGION, 1_000);
  p.room.send("action", { kind: "sell" });
  await waitFor("refused", async () => {
    await tickAndSync(zone, [p]);
    return p.errors.some((e) => e.code === "STARLANE_ERR_LEDGER_STALE_EPOCH");
  });
  await tickAndSync(zone, [p]);
  assert.deepEqual(view(p), { credits: 0, cargo: 7 });
  assert.equal((await zone.ships.load(p.id))?.credits, 0);
  assert.equal(
    await metric(zone, "starlane_zone_ledger_operations_total", {
      kind: "sale",
      outcome: "STARLANE_ERR_LEDGER_STALE_EPOCH",
    }),
    1,
  );
  await p.room.leave(true);
});
