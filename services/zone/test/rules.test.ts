// The game rules without a network: flight, collisions, mining, trade, combat, respawn.
import assert from "node:assert/strict";
import { test } from "node:test";
import { collide, DEFAULT_WORLD, fly, type Motion, shipFromSeed, TUNING } from "@starlane/shared";
import { damage, fire, hits, moveShot } from "../src/rules/combat.js";
import { mine, regrow, saleAt } from "../src/rules/economy.js";
import type { Ship, TickInputs } from "../src/rules/types.js";
import { createSim, spawnShip, stepSim } from "../src/sim.js";

const w = DEFAULT_WORLD;
const at = (x: number, y: number, extra: Partial<Motion> = {}): Motion => ({
  x,
  y,
  vx: 0,
  vy: 0,
  heading: 0,
  ...extra,
});
const ship = (extra: Partial<Ship> = {}): Ship => ({
  ...shipFromSeed({ id: "s1", name: "s1" }, { x: 1000, y: 1000 }),
  ...extra,
});
const dt = 1 / 20;
const noInputs = (): TickInputs => ({ controls: new Map(), actions: new Map() });

test("thrust accelerates along the heading; turning turns; drag slows a coasting ship", () => {
  const m = fly(at(1000, 1000), 1, 0, dt, w);
  assert.ok(m.vx > 0 && m.x > 1000 && m.vy === 0);
  const turned = fly(at(1000, 1000), 0, 1, dt, w);
  assert.ok(Math.abs(turned.heading - TUNING.ship.turnRate * dt) < 1e-9);
  const left = fly(at(1000, 1000), 0, -1, dt, w);
  assert.ok(left.heading > Math.PI, "turning left from 0 wraps to just under 2π");
  const coasting = fly(at(1000, 1000, { vx: 100 }), 0, 0, dt, w);
  assert.ok(coasting.vx < 100 && coasting.vx > 90);
});

test("speed is capped, whatever the thrust and for how long", () => {
  let m = at(100, 4000);
  for (let i = 0; i < 400; i++) m = fly(m, 1, 0, dt, w);
  assert.ok(Math.hypot(m.vx, m.vy) <= TUNING.ship.maxSpeed + 1e-9);
  assert.ok(Math.hypot(m.vx, m.vy) > TUNING.ship.maxSpeed * 0.9);
});

test("ships stay inside the world and lose the velocity into the edge", () => {
  let m = at(7990, 10, { vx: 400, vy: -400 });
  for (let i = 0; i < 10; i++) m = fly(m, 1, 0, dt, w);
  assert.equal(m.x, w.width - TUNING.ship.radius);
  assert.equal(m.y, TUNING.ship.radius);
  assert.equal(m.vy, 0);
  assert.ok(m.vx <= 0);
});

test("asteroids and stations are solid: a ship is pushed out and loses the velocity into them", () => {
  const rock = { x: 1000, y: 1000, radius: 50 };
  const m = collide(at(1060, 1000, { vx: -200, vy: 30 }), 20, rock);
  assert.equal(m.x, 1070);
  assert.equal(m.vx, 0, "no velocity into the rock");
  assert.equal(m.vy, 30, "sliding along it is fine");
  const away = collide(at(1060, 1000, { vx: 200 }), 20, rock);
  assert.equal(away.vx, 200, "moving away is not braked");
  assert.deepEqual(collide(at(2000, 2000), 20, rock), at(2000, 2000), "no contact, no change");
  // Flying straight at a station for seconds never gets inside it.
  const sim = createSim(w, { col: 0, row: 0 });
  const st = [...sim.stations.values()][0]!;
  const s = spawnShip(sim, { id: "p", name: "p", x: st.x - 400, y: st.y });
  for (let i = 0; i < 100; i++) {
    stepSim(
      sim,
      { controls: new Map([["p", { seq: i + 1, thrust: 1, turn: 0, fire: false }]]), actions: new Map() },
      dt,
    );
    const now = sim.ships.get(s.id)!;
    assert.ok(Math.hypot(now.x - st.x, now.y - st.y) >= st.radius + TUNING.ship.radius - 1e-6);
  }
});

test("mining fills the hold up to its capacity, only within range, and the asteroid gives it up", () => {
  const rock = { id: "a", x: 1000, y: 1000, radius: 40, ore: 500 };
  assert.equal(mine(ship({ x: 1500 }), rock), null, "out of range");
  let s = ship({ x: 1000 + 40 + 20 + 50 });
  let r = rock;
  for (let i = 0; i < 15; i++) {
    const done = mine(s, r);
    if (!done) break;
    [s, r] = [done.ship, done.rock];
  }
  assert.equal(s.cargo, TUNING.ship.cargoCapacity);
  assert.equal(r.ore, 500 - TUNING.ship.cargoCapacity);
  assert.equal(mine(s, r), null, "hold full");
  assert.equal(mine(ship({ x: 1100 }), { ...rock, ore: 0 }), null, "empty asteroid");
  assert.ok(regrow({ ...rock, ore: 0 }, 2).ore > 0);
});

test("ore can be sold near a station: the whole hold in whole units (the ledger commits it)", () => {
  const st = { id: "st", x: 0, y: 0, radius: 80 };
  assert.equal(saleAt(ship({ x: 1000, y: 0, cargo: 10 }), st), null, "too far");
  assert.equal(saleAt(ship({ x: 150, y: 0, cargo: 0.5 }), st), null, "nothing to sell");
  assert.equal(saleAt(ship({ x: 150, y: 0, cargo: 40.7, credits: 7 }), st), 40);
});

test("the gun has a cooldown; shots damage other ships, never the shooter", () => {
  const shooter = ship({ id: "a" });
  const shot = fire(shooter, "sh-1");
  assert.ok(shot);
  assert.equal(fire({ ...shooter, cooldown: 0.1 }, "sh-2"), null);
  assert.equal(hits(shot, shooter), false);
  const target = ship({ id: "b", x: shot.x + 10, y: shot.y });
  assert.equal(hits(moveShot(shot, 0), target), true);
  assert.equal(damage(target, 20).hull, 80);
});

test("a fight in the simulation: cooldown limits the rate, hull drops, the loser respawns at the station", () => {
  const sim = createSim(w, { col: 1, row: 1 });
  const st = [...sim.stations.values()][0]!;
  spawnShip(sim, { id: "a", name: "a", x: st.x + 300, y: st.y + 400, heading: 0 });
  spawnShip(sim, { id: "b", name: "b", x: st.x + 500, y: st.y + 400, cargo: 30 });
  let seq = 0;
  let destroyed = 0;
  let fired = 0;
  for (let i = 0; i < 200 && destroyed === 0; i++) {
    const before = sim.nextShotId;
    const events = stepSim(
      sim,
      { controls: new Map([["a", { seq: ++seq, thrust: 0, turn: 0, fire: true }]]), actions: new Map() },
      dt,
    );
    fired += sim.nextShotId - before;
    destroyed += events.destroyed.length;
  }
  const b = sim.ships.get("b")!;
  assert.equal(destroyed, 1);
  assert.equal(fired, TUNING.ship.hull / TUNING.gun.damage, "5 hits of 20 destroy a 100-hull ship");
  assert.ok(b.respawnIn > 0 && b.cargo === 0 && b.hull === 0, "destroyed: cargo lost, waiting to respawn");
  for (let i = 0; i < TUNING.respawn.delay / dt + 1; i++) stepSim(sim, noInputs(), dt);
  const back = sim.ships.get("b")!;
  assert.equal(back.respawnIn, 0);
  assert.equal(back.hull, TUNING.ship.hull);
  assert.ok(Math.hypot(back.x - st.x, back.y - st.y) < st.radius + 100, "back beside the station");
});

test("mine and sell through the tick; refused actions are reported", () => {
  const sim = createSim(w, { col: 2, row: 1 });
  const rock = [...sim.asteroids.values()][0]!;
  spawnShip(sim, { id: "m", name: "m", x: rock.x + rock.radius + 40, y: rock.y });
  const ev = stepSim(
    sim,
    { controls: new Map(), actions: new Map([["m", [{ kind: "mine", target: rock.id }, { kind: "sell" }]]]) },
    dt,
  );
  assert.equal(sim.ships.get("m")!.cargo, TUNING.mining.perAction);
  assert.deepEqual(ev.refused, [{ ship: "m", action: "sell" }], "no station in range");
  const missing = stepSim(
    sim,
    { controls: new Map(), actions: new Map([["m", [{ kind: "mine", target: "nope" }]]]) },
    dt,
  );
  assert.deepEqual(missing.refused, [{ ship: "m", action: "mine" }]);
  // Near the station a sale is asked for, and the simulation itself changes no credits or cargo.
  const st = [...sim.stations.values()][0]!;
  sim.ships.set("m", { ...sim.ships.get("m")!, x: st.x + st.radius + 60, y: st.y, vx: 0, vy: 0 });
  const sale = stepSim(sim, { controls: new Map(), actions: new Map([["m", [{ kind: "sell" }]]]) }, dt);
  assert.deepEqual(sale.sales, [{ ship: "m", station: st.id, ore: TUNING.mining.perAction }]);
  assert.deepEqual([sim.ships.get("m")!.cargo, sim.ships.get("m")!.credits], [TUNING.mining.perAction, 0]);
});

test("the same inputs give the same result (deterministic)", () => {
  const run = () => {
    const sim = createSim(w, { col: 3, row: 2 });
    spawnShip(sim, { id: "p", name: "p" });
    for (let i = 1; i <= 50; i++) {
      stepSim(
        sim,
        {
          controls: new Map([["p", { seq: i, thrust: i % 3 ? 1 : 0, turn: i % 5 ? 0.3 : -1, fire: i % 7 === 0 }]]),
          actions: new Map(),
        },
        dt,
      );
    }
    return JSON.stringify([...sim.ships.values(), ...sim.shots.values()]);
  };
  assert.equal(run(), run());
});
