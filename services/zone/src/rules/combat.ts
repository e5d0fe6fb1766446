// Guns and damage: a shot leaves the nose at the ship's velocity plus the muzzle speed, lives a
// second, and damages the first other living ship it touches.
import { TUNING } from "@starlane/shared";
import type { Ship, Shot } from "./types.js";

/** The shot a ship fires now, or null while its gun is cooling down or it is destroyed. */
export function fire(ship: Ship, id: string): Shot | null {
  if (ship.cooldown > 0 || ship.respawnIn > 0) return null;
  const { shotSpeed, shotTtl } = TUNING.gun;
  const cos = Math.cos(ship.heading);
  const sin = Math.sin(ship.heading);
  const nose = TUNING.ship.radius + 2;
  return {
    id,
    owner: ship.id,
    x: ship.x + cos * nose,
    y: ship.y + sin * nose,
    vx: ship.vx + cos * shotSpeed,
    vy: ship.vy + sin * shotSpeed,
    ttl: shotTtl,
  };
}

export const moveShot = (s: Shot, dt: number): Shot => ({
  ...s,
  x: s.x + s.vx * dt,
  y: s.y + s.vy * dt,
  ttl: s.ttl - dt,
});

/** Whether `shot` hits `ship` (never its own shooter, never a destroyed ship). */
export const hits = (shot: Shot, ship: Ship): boolean =>
  ship.id !== shot.owner &&
  ship.respawnIn <= 0 &&
  (shot.x - ship.x) ** 2 + (shot.y - ship.y) ** 2 <= TUNING.ship.radius ** 2;

/** The ship after taking a hit; destroyed ships lose their cargo and wait to respawn. */
export function damage(ship: Ship, amount: number): Ship {
  const hull = Math.max(0, ship.hull - amount);
  if (hull > 0) return { ...ship, hull };
  return { ...ship, hull: 0, cargo: 0, vx: 0, vy: 0, thrust: 0, turn: 0, respawnIn: TUNING.respawn.delay };
}
