// The state frames end to end, without sockets: the zone's mirror (cell encoder, per-client frames)
// against the shared decoder. fast-check drives random spawns, moves (small and teleports), ships
// leaving and arriving as handoffs do (a ship turning into a ghost and back), ghosts coming and
// going, shots, mined asteroids, clients joining and leaving, and updates between ticks; after every
// frame each client's decoded world must equal the server's world restricted to that client's cells
// (same entities, values within a quantum). Each client is a real Colyseus-shaped connection whose
// socket records the bytes the mirror sends.
import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_WORLD, type Ghost, toGhost } from "@starlane/shared";
import fc from "fast-check";
import { Mirror } from "../src/mirror.js";
import type { SimState } from "../src/rules/types.js";
import { createSim, spawnShip } from "../src/sim.js";
import { type WireConn, wireConn } from "./wire-client.js";

const REGION = { col: 1, row: 1 };
const TICK_HZ = 20;

type Conn = WireConn;
const connect = wireConn;

const near = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: decoded ${a}, server ${b}`);

/** Each client's decoded world equals the server's world (simulation and ghosts) within its cells. */
function check(mirror: Mirror, sim: SimState, ghosts: Ghost[], conns: Conn[], tick: number) {
  const shown = new Map<
    string,
    { x: number; y: number; ghost: boolean; ack: number; vx: number; vy: number; heading: number }
  >();
  for (const g of ghosts) if (!sim.ships.has(g.id)) shown.set(g.id, { ...g, ghost: true });
  for (const s of sim.ships.values()) shown.set(s.id, { ...s, ghost: false });
  for (const c of conns) {
    const cells = mirror.cellsOf(c.client)!;
    const view = c.decoder.view!;
    assert.equal(view.tick, tick);
    const inCells = (e: { x: number; y: number }) => cells.includes(mirror.grid.keyOf(e.x, e.y));
    const expect = (m: Map<string, { x: number; y: number }>) =>
      [...m]
        .filter(([, e]) => inCells(e))
        .map(([id]) => id)
        .sort();
    assert.deepEqual([...view.ships.keys()].sort(), expect(shown), `${c.id}'s ships at tick ${tick}`);
    assert.deepEqual([...view.asteroids.keys()].sort(), expect(sim.asteroids), `${c.id}'s asteroids`);
    assert.deepEqual([...view.stations.keys()].sort(), expect(sim.stations), `${c.id}'s stations`);
    assert.deepEqual([...view.shots.keys()].sort(), expect(sim.shots), `${c.id}'s shots`);
    for (const id of view.ships.keys()) {
      const v = view.ships.get(id)!;
      const s = shown.get(id)!;
      near(v.x, s.x, 0.0626, `${id}.x`);
      near(v.y, s.y, 0.0626, `${id}.y`);
      near(v.vx, s.vx, TICK_HZ / 32 + 1e-9, `${id}.vx`);
      assert.equal(v.ghost, s.ghost, `${id}.ghost`);
      const turn = 2 * Math.PI;
      const dh = Math.abs(((((v.heading - s.heading) % turn) + turn + Math.PI) % turn) - Math.PI);
      assert.ok(dh <= Math.PI / 4096 + 1e-9, `${id}.heading: decoded ${v.heading}, server ${s.heading}`);
      assert.equal(v.ack, s.ack, `${id}.ack`);
    }
    for (const id of view.asteroids.keys())
      assert.equal(view.asteroids.get(id)!.ore, Math.floor(sim.asteroids.get(id)!.ore));
    for (const id of view.shots.keys()) near(view.shots.get(id)!.x, sim.shots.get(id)!.x, 0.0626, `${id}.x`);
    const own = sim.ships.get(c.id);
    if (own) {
      assert.equal(c.decoder.own?.ack, own.ack);
      assert.equal(c.decoder.own?.credits, Math.floor(own.credits));
      assert.equal(c.decoder.own?.present, true);
    }
  }
}

const coord = fc.double({ min: 1650, max: 4350, noNaN: true });
const vel = fc.double({ min: -400, max: 400, noNaN: true });
const op = fc.oneof(
  fc.record({ k: fc.constant("spawn" as const), n: fc.nat(30), x: coord, y: coord }),
  fc.record({
    k: fc.constant("fly" as const),
    n: fc.nat(30),
    vx: vel,
    vy: vel,
    turn: fc.double({ min: -0.2, max: 0.2, noNaN: true }),
  }),
  fc.record({ k: fc.constant("teleport" as const), n: fc.nat(30), x: coord, y: coord }),
  fc.record({ k: fc.constant("handoffOut" as const), n: fc.nat(30) }),
  fc.record({ k: fc.constant("handoffIn" as const), n: fc.nat(30) }),
  fc.record({ k: fc.constant("ghost" as const), n: fc.nat(30), x: coord, y: coord }),
  fc.record({ k: fc.constant("unghost" as const), n: fc.nat(30) }),
  fc.record({ k: fc.constant("leave" as const), n: fc.nat(30) }),
  fc.record({ k: fc.constant("join" as const), n: fc.nat(30) }),
  fc.record({ k: fc.constant("shot" as const), x: coord, y: coord, vx: vel, vy: vel }),
  fc.record({ k: fc.constant("mine" as const), n: fc.nat(13) }),
  fc.record({ k: fc.constant("ack" as const), n: fc.nat(30) }),
);

test("every client's decoded world equals the server's world in its cells, frame after frame", () => {
  fc.assert(
    fc.property(
      fc.array(fc.array(op, { maxLength: 6 }), { minLength: 1, maxLength: 40 }),
      fc.integer({ min: 150, max: 900 }),
      (ticks, cell) => {
        const sim = createSim(DEFAULT_WORLD, REGION);
        const mirror = new Mirror({
          region: "region-1-1",
          bounds: sim.bounds,
          sim,
          tickHz: TICK_HZ,
          cellSize: cell,
          margin: 350,
          slowReaderBytes: 1 << 20,
          slowReaderCloseMs: 10_000,
        });
        const conns = new Map<string, Conn>();
        const ghosts = new Map<string, Ghost>();
        const id = (n: number) => `p${n}`;
        for (const ops of ticks) {
          for (const o of ops) {
            let synced = false;
            switch (o.k) {
              case "spawn":
                if (!sim.ships.has(id(o.n))) spawnShip(sim, { id: id(o.n), name: `Pilot ${o.n}`, x: o.x, y: o.y });
                break;
              case "fly": {
                const s = sim.ships.get(id(o.n));
                if (s)
                  sim.ships.set(s.id, {
                    ...s,
                    x: s.x + o.vx / TICK_HZ,
                    y: s.y + o.vy / TICK_HZ,
                    vx: o.vx,
                    vy: o.vy,
                    heading: s.heading + o.turn,
                  });
                break;
              }
              case "teleport": {
                const s = sim.ships.get(id(o.n));
                if (s) sim.ships.set(s.id, { ...s, x: o.x, y: o.y });
                break;
              }
              case "handoffOut": {
                // The ship goes to a neighbour, which shows it back here as a ghost.
                const s = sim.ships.get(id(o.n));
                if (s) {
                  sim.ships.delete(s.id);
                  ghosts.set(s.id, toGhost(s));
                }
                break;
              }
              case "handoffIn": {
                const g = ghosts.get(id(o.n));
                if (g && !sim.ships.has(g.id)) {
                  ghosts.delete(g.id);
                  spawnShip(sim, { id: g.id, name: g.name, x: g.x, y: g.y });
                }
                break;
              }
              case "ghost":
                if (!sim.ships.has(id(o.n)))
                  ghosts.set(id(o.n), {
                    ...toGhost(
                      spawnShip(createSim(DEFAULT_WORLD, REGION), { id: id(o.n), name: id(o.n), x: o.x, y: o.y }),
                    ),
                  });
                break;
              case "unghost":
                ghosts.delete(id(o.n));
                break;
              case "join":
                if (!conns.has(id(o.n))) {
                  if (!sim.ships.has(id(o.n))) spawnShip(sim, { id: id(o.n), name: id(o.n) });
                  const c = connect(id(o.n));
                  conns.set(c.id, c);
                  mirror.sync(ghosts.values(), true);
                  mirror.join(c.client, c.id);
                  synced = true;
                }
                break;
              case "leave": {
                const c = conns.get(id(o.n));
                if (c) {
                  conns.delete(c.id);
                  mirror.leave(c.client);
                }
                sim.ships.delete(id(o.n));
                mirror.sync(ghosts.values(), true);
                synced = true;
                break;
              }
              case "shot":
                sim.shots.set(`s${sim.nextShotId}`, {
                  id: `s${sim.nextShotId++}`,
                  owner: "",
                  x: o.x,
                  y: o.y,
                  vx: o.vx,
                  vy: o.vy,
                  ttl: 1,
                });
                break;
              case "mine": {
                const a = [...sim.asteroids.values()][o.n];
                if (a) sim.asteroids.set(a.id, { ...a, ore: Math.max(0, a.ore - 7.5) });
                break;
              }
              case "ack": {
                const s = sim.ships.get(id(o.n));
                if (s) sim.ships.set(s.id, { ...s, ack: s.ack + 1 + (o.n % 3), credits: s.credits + o.n });
                break;
              }
            }
            // A join or a leave sent everyone a frame between ticks: it shows the world as it is now.
            if (synced) check(mirror, sim, [...ghosts.values()], [...conns.values()], sim.tick);
          }
          sim.tick++;
          // Shots fly on by themselves (the prediction carries them).
          for (const s of sim.shots.values())
            sim.shots.set(s.id, { ...s, x: s.x + s.vx / TICK_HZ, y: s.y + s.vy / TICK_HZ });
          // A ghost near a corner comes from two neighbours (the copies differ a little).
          mirror.sync([...ghosts.values()].flatMap((g) => [g, { ...g, x: g.x + 0.3 }]));
          mirror.send();
          check(mirror, sim, [...ghosts.values()], [...conns.values()], sim.tick);
        }
      },
    ),
    { numRuns: 150 },
  );
});
