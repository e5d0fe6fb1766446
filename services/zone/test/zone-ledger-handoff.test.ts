// A ship whose trade is waiting for the ledger stays in its room, even past the border: handed off
// then, it would arrive with balances the ledger has not answered yet. Once the ledger commits, the
// ship shows the result and goes on to its new region carrying it.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ClientMessage, type Ledger, MemoryLedger, type MemoryShipRepository, ServerMessage } from "@starlane/shared";
import { waitFor } from "@starlane/shared/testing";
import { startZone, type Zone } from "./harness.js";

/** A MemoryLedger whose trade answers wait for `open()`. */
class HeldLedger implements Ledger {
  readonly inner: MemoryLedger;
  #open = () => {};
  #gate = new Promise<void>((r) => {
    this.#open = r;
  });
  asked = 0;
  constructor(ships: MemoryShipRepository) {
    this.inner = new MemoryLedger(ships);
  }
  open(): void {
    this.#open();
  }
  sell = (req: Parameters<Ledger["sell"]>[0]) => this.inner.sell(req);
  buy = (req: Parameters<Ledger["buy"]>[0]) => this.inner.buy(req);
  settled = (key: string) => this.inner.settled(key);
  trade = async (req: Parameters<Ledger["trade"]>[0]) => {
    this.asked++;
    await this.#gate;
    return this.inner.trade(req);
  };
}

let zone: Zone;
let ledger: HeldLedger;
before(async () => {
  zone = await startZone({ STARLANE_ZONE_REGIONS: "1-1,2-1" }, undefined, undefined, (ships) => {
    ledger = new HeldLedger(ships);
    return ledger;
  });
});
after(() => zone.close());

test("a ship with a trade in flight is not handed off until the ledger answers; then it leaves with the result", async () => {
  const west = () => zone.server.room("region-1-1")!;
  const east = () => zone.server.room("region-2-1")!;
  for (const [id, credits] of [
    ["h-seller", 0],
    ["h-buyer", 100],
  ] as const) {
    await zone.ships.createAtSpawn(id, id, { region: "region-1-1", x: 3000, y: 2500, credits });
  }
  const seller = await zone.join({ id: "h-seller", region: "region-1-1" });
  const buyer = await zone.join({ id: "h-buyer", region: "region-1-1" });
  const offers: { id: string }[] = [];
  buyer.room.onMessage(ServerMessage.TradeOffered, (m: { id: string }) => offers.push(m));
  west().sim.ships.set("h-seller", { ...west().sim.ships.get("h-seller")!, cargo: 10 });
  seller.room.send(ClientMessage.TradeOffer, { to: "h-buyer", side: "sell", ore: 10, credits: 60 });
  await waitFor("offered", () => offers.length === 1);
  buyer.room.send(ClientMessage.TradeAccept, { id: offers[0]!.id });
  await waitFor("the ledger asked", () => ledger.asked === 1);
  // The seller flies well past the border into region-2-1 while the ledger has not answered.
  const s = west().sim.ships.get("h-seller")!;
  west().sim.ships.set("h-seller", { ...s, x: 4200, y: 2500, vx: 0, vy: 0 });
  for (let i = 0; i < 10; i++) zone.server.step(1);
  assert.ok(west().owns("h-seller"), "kept while the trade is in flight");
  assert.equal(east().sim.ships.has("h-seller"), false);
  ledger.open();
  await waitFor("committed, then handed off with the result", () => {
    zone.server.step(1);
    return east().sim.ships.get("h-seller")?.credits === 60;
  });
  assert.equal(east().sim.ships.get("h-seller")!.cargo, 0);
  assert.equal(west().sim.ships.has("h-seller"), false);
  assert.deepEqual(await zone.ships.load("h-seller").then((r) => [r?.credits, r?.cargo]), [60, 0]);
  await seller.room.leave(true).catch(() => {});
  await buyer.room.leave(true);
});
