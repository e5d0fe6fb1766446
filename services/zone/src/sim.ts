// One region's simulation: the rules in ./rules composed into a tick. `stepSim` is a deterministic
// function of (state, inputs, dt): no clock, no randomness, no I/O, so tests drive it directly.
import {
  flyAmong,
  type Region,
  regionBounds,
  regionCenter,
  type ShipSeed,
  shipFromSeed,
  TUNING,
  type WorldConfig,
} from "@starlane/shared";
import { SpatialGrid } from "./grid.js";
import { damage, fire, hits, moveShot } from "./rules/combat.js";
import { mine, nearestStation, purchaseAt, regrow, respawnAt, saleAt } from "./rules/economy.js";
import type { Asteroid, Ship, SimState, Station, TickEvents, TickInputs } from "./rules/types.js";

export type { ShipSeed } from "@starlane/shared";
export type {
  Action,
  Asteroid,
  ControlInput,
  Ship,
  Shot,
  SimState,
  Station,
  TickEvents,
  TickInputs,
} from "./rules/types.js";

/** A small deterministic PRNG, so a region's asteroids are in the same place on every process. */
function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SimOptions {
  asteroids?: number;
}

/** A region with its station at the centre and asteroids scattered around it (seeded by the region). */
export function createSim(world: WorldConfig, region: Region, options: SimOptions = {}): SimState {
  const bounds = regionBounds(world, region);
  const c = regionCenter(world, region);
  const stations = new Map<string, Station>();
  stations.set("st-0", { id: "st-0", x: c.x, y: c.y, radius: 80 });
  const asteroids = new Map<string, Asteroid>();
  const rand = mulberry32(region.col * 7919 + region.row * 104729 + 1);
  const count = options.asteroids ?? 14;
  const w = bounds.maxX - bounds.minX;
  const h = bounds.maxY - bounds.minY;
  for (let i = 0; asteroids.size < count && i < count * 20; i++) {
    const x = bounds.minX + w * (0.08 + 0.84 * rand());
    const y = bounds.minY + h * (0.08 + 0.84 * rand());
    const radius = 25 + Math.floor(rand() * 35);
    if (Math.hypot(x - c.x, y - c.y) < 300) continue; // keep the station's approach clear
    const id = `ast-${asteroids.size}`;
    asteroids.set(id, { id, x, y, radius, ore: TUNING.mining.maxOre / 2 });
  }
  return { world, bounds, ships: new Map(), asteroids, stations, shots: new Map(), nextShotId: 1, tick: 0 };
}

/** A ship from its seed (a stored ship, or a fresh one beside the region's station). */
export function spawnShip(state: SimState, seed: ShipSeed): Ship {
  const station = state.stations.values().next().value;
  const centre = { x: (state.bounds.minX + state.bounds.maxX) / 2, y: (state.bounds.minY + state.bounds.maxY) / 2 };
  const base = shipFromSeed(seed, centre);
  let ship = seed.x === undefined || seed.y === undefined ? (station ? respawnAt(base, station) : base) : base;
  if (ship.hull <= 0) ship = { ...ship, hull: 0, respawnIn: TUNING.respawn.delay };
  state.ships.set(ship.id, ship);
  return ship;
}

const shipGrid = new SpatialGrid<Ship>(100);

export function stepSim(state: SimState, inputs: TickInputs, dt: number): TickEvents {
  const events: TickEvents = { refused: [], destroyed: [], sales: [], purchases: [], ghostHits: [] };
  const solids = [...state.asteroids.values(), ...state.stations.values()];

  for (const [id, prev] of state.ships) {
    let ship = prev;
    const input = inputs.controls.get(id);
    // A flying ship's controls and motion change in place (as its cooldown always has): a copy of
    // the whole record per ship per tick was a third of the zone's garbage at 1,000 ships.
    if (input) {
      ship.thrust = input.thrust;
      ship.turn = input.turn;
      ship.ack = input.seq;
    }
    ship.cooldown = Math.max(0, ship.cooldown - dt);
    if (ship.respawnIn > 0) {
      ship.respawnIn = Math.max(0, ship.respawnIn - dt);
      if (ship.respawnIn === 0) {
        const station = nearestStation(state.stations.values(), ship.x, ship.y);
        ship = station ? respawnAt(ship, station) : { ...ship, hull: TUNING.ship.hull };
      }
      state.ships.set(id, ship);
      continue;
    }
    const m = flyAmong(ship, ship.thrust, ship.turn, dt, state.world, solids);
    ship.x = m.x;
    ship.y = m.y;
    ship.vx = m.vx;
    ship.vy = m.vy;
    ship.heading = m.heading;
    if (input?.fire) {
      const shot = fire(ship, `sh-${state.nextShotId}`);
      if (shot) {
        state.nextShotId++;
        state.shots.set(shot.id, shot);
        ship.cooldown = TUNING.gun.cooldown;
      }
    }
  }

  for (const [id, actions] of inputs.actions) {
    for (const action of actions) {
      const ship = state.ships.get(id);
      if (!ship) break;
      if (action.kind === "mine") {
        const rock = state.asteroids.get(action.target);
        const done = rock ? mine(ship, rock) : null;
        if (!done) events.refused.push({ ship: id, action: action.kind });
        else {
          state.ships.set(id, done.ship);
          state.asteroids.set(done.rock.id, done.rock);
        }
      } else if (action.kind === "sell") {
        const station = nearestStation(state.stations.values(), ship.x, ship.y);
        const ore = station ? saleAt(ship, station) : null;
        if (ore === null || !station) events.refused.push({ ship: id, action: action.kind });
        else events.sales.push({ ship: id, station: station.id, ore });
      } else if (action.kind === "buy") {
        const station = nearestStation(state.stations.values(), ship.x, ship.y);
        const offer = station ? purchaseAt(ship, station, action.target) : null;
        if (!offer || !station) events.refused.push({ ship: id, action: action.kind });
        else events.purchases.push({ ship: id, station: station.id, item: action.target, ...offer });
      } else {
        // Respawning happens by itself after the delay; asking for it early is refused.
        events.refused.push({ ship: id, action: action.kind });
      }
    }
  }

  shipGrid.clear();
  for (const ship of state.ships.values()) if (ship.respawnIn <= 0) shipGrid.insert(ship, ship.x, ship.y);
  for (const [id, prev] of state.shots) {
    const shot = moveShot(prev, dt);
    let gone = shot.ttl <= 0 || shot.x < 0 || shot.y < 0 || shot.x > state.world.width || shot.y > state.world.height;
    for (const body of solids) {
      if (gone) break;
      if ((shot.x - body.x) ** 2 + (shot.y - body.y) ** 2 <= body.radius ** 2) gone = true;
    }
    if (!gone) {
      let victim: Ship | undefined;
      shipGrid.near(shot.x, shot.y, TUNING.ship.radius, (s) => {
        const current = state.ships.get(s.id);
        if (!victim && current && hits(shot, current)) victim = current;
      });
      if (!victim && inputs.ghosts) {
        for (const g of inputs.ghosts) {
          if (!g.alive || g.id === shot.owner || (shot.x - g.x) ** 2 + (shot.y - g.y) ** 2 > TUNING.ship.radius ** 2)
            continue;
          events.ghostHits.push({ ship: g.id, by: shot.owner });
          gone = true;
          break;
        }
      }
      if (victim) {
        gone = true;
        const after = damage(victim, TUNING.gun.damage);
        state.ships.set(victim.id, after);
        if (after.respawnIn > 0) events.destroyed.push({ ship: victim.id, by: shot.owner });
      }
    }
    if (gone) state.shots.delete(id);
    else state.shots.set(id, shot);
  }

  for (const [id, rock] of state.asteroids) state.asteroids.set(id, regrow(rock, dt));
  state.tick++;
  return events;
}
