import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { MemoryShipRepository, type ShipRepository, SPAWN_DEFAULTS, type StoredShip } from "@starlane/shared";
import { currentEpoch, fenceRegion } from "../src/epochs.js";
import {
  createLedger,
  createRegionFencing,
  createShipRepository,
  StaleEpochError,
  sellOre,
  writeShipBatch,
} from "../src/index.js";
import { type Db, schemaDatabase, ship } from "./helpers.js";

let t: Db;
before(async () => {
  t = await schemaDatabase();
});
after(() => t.close());

test("the batch upsert replaces a row only with a newer version: a replayed batch never goes back in time", async () => {
  const repo = createShipRepository(t.pool);
  const v1 = [ship("a", 1), ship("b", 1)];
  const v5 = [ship("a", 5, { x: 500 }), ship("b", 5, { x: 500 })];
  assert.deepEqual(await writeShipBatch(t.pool, v1), { applied: 2, stale: 0, superseded: 0 });
  assert.deepEqual(await writeShipBatch(t.pool, v5), { applied: 2, stale: 0, superseded: 0 });
  // The old batch arrives again (a consumer died before acknowledging it, or it was late).
  assert.deepEqual(await writeShipBatch(t.pool, v1), { applied: 0, stale: 0, superseded: 2 });
  assert.equal((await repo.load("a"))?.x, 500);
  assert.equal((await repo.load("a"))?.version, 5);
});

test("several versions of one ship in one batch: the newest wins", async () => {
  const repo = createShipRepository(t.pool);
  const out = await writeShipBatch(t.pool, [ship("c", 3), ship("c", 7, { y: 77 }), ship("c", 5)]);
  assert.deepEqual(out, { applied: 1, stale: 0, superseded: 2 });
  const c = await repo.load("c");
  assert.equal(c?.version, 7);
  assert.equal(c?.y, 77);
});

test("fencing: a write with an epoch older than the region's is rejected; a newer epoch raises it", async () => {
  const repo = createShipRepository(t.pool);
  const region = "region-2-2";
  await writeShipBatch(t.pool, [ship("old-owner", 1, { region, epoch: 4 })]);
  assert.equal(await currentEpoch(t.pool, region), 4);
  // The new owner takes the region (epoch 5) and writes its state of the same ship.
  assert.equal(await fenceRegion(t.pool, region, 5), 5);
  await writeShipBatch(t.pool, [ship("old-owner", 2, { region, epoch: 5, x: 1234 })]);
  // The old owner, paused and back, still publishes with epoch 4 and a higher version.
  const out = await writeShipBatch(t.pool, [ship("old-owner", 9, { region, epoch: 4, x: -1 })]);
  assert.deepEqual(out, { applied: 0, stale: 1, superseded: 0 });
  const row = await repo.load("old-owner");
  assert.equal(row?.x, 1234);
  assert.equal(row?.epoch, 5);
  await assert.rejects(fenceRegion(t.pool, region, 3), StaleEpochError);
  // A batch carrying a newer epoch raises the region, which fences the previous owner.
  await writeShipBatch(t.pool, [ship("newer", 1, { region, epoch: 8 })]);
  assert.equal(await currentEpoch(t.pool, region), 8);
  assert.equal((await writeShipBatch(t.pool, [ship("newer", 2, { region, epoch: 5 })])).stale, 1);
});

test("RegionFencing over PostgreSQL: fence raises the epoch and answers it, refuses an older one; current reads it", async () => {
  const fencing = createRegionFencing(t.pool);
  const region = "region-3-3";
  assert.equal(await fencing.current(region), 0);
  assert.equal(await fencing.fence(region, 2), 2);
  assert.equal(await fencing.fence(region, 2), 2, "the holder fencing its own epoch again is fine");
  await assert.rejects(fencing.fence(region, 1), StaleEpochError);
  assert.equal(await fencing.current(region), 2);
});

// The ShipRepository contract, over PostgreSQL and the in-process stand-in other packages' tests use.
const storedFields = (s: StoredShip | null) =>
  s && {
    playerId: s.playerId,
    x: s.x,
    y: s.y,
    vx: s.vx,
    vy: s.vy,
    heading: s.heading,
    hull: s.hull,
    cargo: s.cargo,
    credits: s.credits,
    version: s.version,
    ledgerVersion: s.ledgerVersion,
  };
for (const [name, make] of [
  ["PostgreSQL", () => createShipRepository(t.pool)],
  ["in-process", () => new MemoryShipRepository()],
] as [string, () => ShipRepository][]) {
  test(`ShipRepository (${name}): none before the first entry; createAtSpawn creates once, at the spawn`, async () => {
    const repo = make();
    const id = `contract-${name}`;
    assert.equal(await repo.load(id), null);
    const made = await repo.createAtSpawn(id, "Pilot", {
      region: "region-1-1",
      x: 2500,
      y: 2600,
      heading: 1,
      credits: 50,
    });
    const expected = {
      playerId: id,
      x: 2500,
      y: 2600,
      vx: 0,
      vy: 0,
      heading: 1,
      hull: SPAWN_DEFAULTS.hull,
      cargo: 0,
      credits: 50,
      version: 0,
      ledgerVersion: 0,
    };
    assert.deepEqual(storedFields(made), expected);
    assert.deepEqual(storedFields(await repo.load(id)), expected);
    const again = await repo.createAtSpawn(id, "Pilot", { region: "region-0-0", x: 1, y: 1 });
    assert.deepEqual(storedFields(again), expected, "an existing ship is returned unchanged");
  });
}

test("load path: no ship yet is null; createAtSpawn is idempotent and returns the committed row", async () => {
  const repo = createShipRepository(t.pool);
  assert.equal(await repo.load("newbie"), null);
  const made = await repo.createAtSpawn("newbie", "Newbie", { region: "region-1-1", x: 2500, y: 2600, credits: 50 });
  assert.deepEqual(
    { ...made },
    {
      playerId: "newbie",
      name: "Newbie",
      region: "region-1-1",
      x: 2500,
      y: 2600,
      vx: 0,
      vy: 0,
      heading: 0,
      hull: 100,
      cargo: 0,
      credits: 50,
      version: 0,
      epoch: 0,
      ledgerVersion: 0,
      holdLevel: 0,
    },
  );
  // Entering the world again does not reset the ship.
  await writeShipBatch(t.pool, [ship("newbie", 1, { region: "region-1-1", x: 9 })]);
  const again = await repo.createAtSpawn("newbie", "Newbie", { region: "region-1-1", x: 2500, y: 2600 });
  assert.equal(again.x, 9);
  assert.deepEqual(await repo.load("newbie"), again);
});

test("write-behind never undoes a committed sale: stale credits and cargo are ignored, the rest applies", async () => {
  const repo = createShipRepository(t.pool);
  await writeShipBatch(t.pool, [ship("miner", 1, { cargo: 10, credits: 100 })]);
  const sale = await sellOre(t.pool, {
    key: "sale-1",
    playerId: "miner",
    station: "alpha",
    ore: 10,
    pricePerOre: 7,
    region: "region-0-0",
    epoch: 1,
  });
  assert.deepEqual(sale.balances, [{ playerId: "miner", credits: 170, cargo: 0, holdLevel: 0, ledgerVersion: 1 }]);
  // A state published before the zone saw the sale (ledgerVersion 0) still carries the old hold.
  await writeShipBatch(t.pool, [ship("miner", 2, { cargo: 12, credits: 100, x: 42, ledgerVersion: 0 })]);
  let row = await repo.load("miner");
  assert.equal(row?.x, 42, "position is taken");
  assert.equal(row?.cargo, 0, "the sold ore does not come back");
  assert.equal(row?.credits, 170, "the credits from the sale stay");
  // Once the zone has applied the result, its hold (with ore mined since) is written again.
  await writeShipBatch(t.pool, [ship("miner", 3, { cargo: 2, credits: 170, ledgerVersion: 1 })]);
  row = await repo.load("miner");
  assert.equal(row?.cargo, 2);
  assert.equal(row?.credits, 170);
});

test("selling ore mined since the last committed write: the zone's hold counts when it has seen every trade", async () => {
  const repo = createShipRepository(t.pool);
  await writeShipBatch(t.pool, [ship("digger", 1, { cargo: 3, credits: 0 })]);
  const sale = { station: "beta", pricePerOre: 5, region: "region-0-0", epoch: 1, playerId: "digger" };
  // The zone holds 8 (5 mined since its last write landed): without its hold the row has only 3.
  await assert.rejects(sellOre(t.pool, { ...sale, key: "dig-1", ore: 8 }), {
    code: "STARLANE_ERR_LEDGER_INSUFFICIENT",
  });
  const ok = await sellOre(t.pool, { ...sale, key: "dig-2", ore: 8, hold: { cargo: 8, ledgerVersion: 0 } });
  assert.deepEqual(ok.balances, [{ playerId: "digger", credits: 40, cargo: 0, holdLevel: 0, ledgerVersion: 1 }]);
  // A hold from before that sale (ledgerVersion 0) cannot bring the ore back.
  await assert.rejects(sellOre(t.pool, { ...sale, key: "dig-3", ore: 8, hold: { cargo: 8, ledgerVersion: 0 } }), {
    code: "STARLANE_ERR_LEDGER_INSUFFICIENT",
  });
  // Retrying dig-2 answers the same and sells nothing more.
  const again = await sellOre(t.pool, { ...sale, key: "dig-2", ore: 8, hold: { cargo: 8, ledgerVersion: 0 } });
  assert.equal(again.replayed, true);
  assert.equal((await repo.load("digger"))?.credits, 40);
});

test("write-behind never changes an upgrade level: the ledger's alone (a new row takes the entry's)", async () => {
  const repo = createShipRepository(t.pool);
  await writeShipBatch(t.pool, [ship("tuner", 1, { credits: 500, holdLevel: 0 })]);
  const fence = { region: "region-0-0", epoch: 1 };
  const bought = await createLedger(t.pool).buy({
    key: "tune-1",
    playerId: "tuner",
    station: "s",
    item: "hold",
    level: 1,
    price: 150,
    ...fence,
  });
  assert.equal(bought.balances[0]!.holdLevel, 1);
  // Entries from a zone that had not seen the purchase, and one claiming a level never bought.
  await writeShipBatch(t.pool, [ship("tuner", 2, { credits: 500, holdLevel: 0, ledgerVersion: 0 })]);
  await writeShipBatch(t.pool, [ship("tuner", 3, { credits: 350, holdLevel: 3, ledgerVersion: 1, x: 77 })]);
  const row = await repo.load("tuner");
  assert.deepEqual([row?.holdLevel, row?.credits, row?.x], [1, 350, 77]);
});
