// Mining and trade: ore comes out of asteroids into the cargo hold (up to its capacity) and is
// sold at a station for credits (through the ledger: see sales.ts). Both need the ship close enough.

import { TUNING } from "@starlane/shared";
import type { Asteroid, Ship, Station } from "./types.js";

const surfaceDistance = (ship: Ship, b: { x: number; y: number; radius: number }) =>
  Math.hypot(ship.x - b.x, ship.y - b.y) - b.radius - TUNING.ship.radius;

/** Mines once; null when out of range, the asteroid is empty, the hold is full or the ship is destroyed. */
export function mine(ship: Ship, rock: Asteroid): { ship: Ship; rock: Asteroid } | null {
  if (ship.respawnIn > 0 || surfaceDistance(ship, rock) > TUNING.mining.range) return null;
  const room = cargoCapacity(ship) - ship.cargo;
  const amount = Math.min(TUNING.mining.perAction, Math.floor(rock.ore), room);
  if (amount <= 0) return null;
  return { ship: { ...ship, cargo: ship.cargo + amount }, rock: { ...rock, ore: rock.ore - amount } };
}

/** The hold's size: the base plus what upgrades added. */
export const cargoCapacity = (ship: Ship): number =>
  TUNING.ship.cargoCapacity + ship.holdLevel * TUNING.upgrades.hold.capacityPerLevel;

/**
 * The next level of `item` and its price, if the ship is near `station` and there is a next level;
 * null otherwise. Whether the credits suffice is the ledger's to say.
 */
export function purchaseAt(ship: Ship, station: Station, item: "hold"): { level: number; price: number } | null {
  const prices = TUNING.upgrades[item].prices;
  const level = ship.holdLevel + 1;
  if (ship.respawnIn > 0 || level > prices.length || surfaceDistance(ship, station) > TUNING.trade.range) return null;
  return { level, price: prices[level - 1]! };
}

/** Asteroids slowly grow back. */
export const regrow = (rock: Asteroid, dt: number): Asteroid =>
  rock.ore >= TUNING.mining.maxOre
    ? rock
    : { ...rock, ore: Math.min(TUNING.mining.maxOre, rock.ore + TUNING.mining.regenPerSecond * dt) };

/**
 * How much ore a sale at `station` would sell (the whole hold, in whole units); null when not near
 * the station or there is nothing to sell. The ledger commits the sale; the ship changes only then.
 */
export function saleAt(ship: Ship, station: Station): number | null {
  const ore = Math.floor(ship.cargo);
  if (ship.respawnIn > 0 || ore <= 0 || surfaceDistance(ship, station) > TUNING.trade.range) return null;
  return ore;
}

/** The station nearest to a point (where a destroyed ship comes back). */
export function nearestStation(stations: Iterable<Station>, x: number, y: number): Station | null {
  let best: Station | null = null;
  let bestD = Infinity;
  for (const s of stations) {
    const d = (s.x - x) ** 2 + (s.y - y) ** 2;
    if (d < bestD) [best, bestD] = [s, d];
  }
  return best;
}

/** A destroyed ship back in service beside a station, hull repaired, at rest. */
export function respawnAt(ship: Ship, station: Station): Ship {
  return {
    ...ship,
    x: station.x + station.radius + TUNING.ship.radius + 30,
    y: station.y,
    vx: 0,
    vy: 0,
    heading: 0,
    hull: TUNING.ship.hull,
    respawnIn: 0,
    cooldown: 0,
  };
}
