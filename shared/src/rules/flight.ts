// Flight: thrust along the heading, turn, drag, a speed cap, the world's edges, and solid bodies
// (asteroids, stations) that ships cannot fly through. Ships pass through each other. The zone's
// simulation and the browser client's prediction run this same code (browser-safe, in
// `@starlane/shared/client`), so a predicted ship goes where the zone will put it.
import type { WorldConfig } from "../world.js";
import { TUNING } from "./tuning.js";

export interface Motion {
  x: number;
  y: number;
  vx: number;
  vy: number;
  heading: number;
}

export interface Body {
  x: number;
  y: number;
  radius: number;
}

const TWO_PI = Math.PI * 2;
export const wrapAngle = (a: number) => ((a % TWO_PI) + TWO_PI) % TWO_PI;

/** One step of flight under the given controls (thrust 0..1, turn -1..1). */
export function fly(m: Motion, thrust: number, turn: number, dt: number, world: WorldConfig): Motion {
  const { accel, maxSpeed, drag, turnRate, radius } = TUNING.ship;
  const heading = wrapAngle(m.heading + turn * turnRate * dt);
  let vx = m.vx + Math.cos(heading) * thrust * accel * dt;
  let vy = m.vy + Math.sin(heading) * thrust * accel * dt;
  const damp = Math.exp(-drag * dt);
  vx *= damp;
  vy *= damp;
  const speed = Math.hypot(vx, vy);
  if (speed > maxSpeed) {
    vx *= maxSpeed / speed;
    vy *= maxSpeed / speed;
  }
  let x = m.x + vx * dt;
  let y = m.y + vy * dt;
  // The world's edge is a wall: stop there and lose the velocity into it.
  if (x < radius) [x, vx] = [radius, Math.max(0, vx)];
  if (x > world.width - radius) [x, vx] = [world.width - radius, Math.min(0, vx)];
  if (y < radius) [y, vy] = [radius, Math.max(0, vy)];
  if (y > world.height - radius) [y, vy] = [world.height - radius, Math.min(0, vy)];
  return { x, y, vx, vy, heading };
}

/**
 * Pushes a ship of radius `r` out of a solid body it overlaps and removes the velocity into the
 * body (no bounce). Returns the motion unchanged when they do not touch.
 */
export function collide(m: Motion, r: number, body: Body): Motion {
  const dx = m.x - body.x;
  const dy = m.y - body.y;
  const min = r + body.radius;
  const d2 = dx * dx + dy * dy;
  if (d2 >= min * min) return m;
  const d = Math.sqrt(d2);
  // Dead centre: push out along +x rather than dividing by zero.
  const nx = d > 1e-9 ? dx / d : 1;
  const ny = d > 1e-9 ? dy / d : 0;
  const into = m.vx * nx + m.vy * ny;
  const vx = into < 0 ? m.vx - into * nx : m.vx;
  const vy = into < 0 ? m.vy - into * ny : m.vy;
  return { x: body.x + nx * min, y: body.y + ny * min, vx, vy, heading: m.heading };
}

/** One tick of a ship's flight among solid bodies: `fly`, then pushed out of each body it overlaps. */
export function flyAmong(
  m: Motion,
  thrust: number,
  turn: number,
  dt: number,
  world: WorldConfig,
  solids: Iterable<Body>,
): Motion {
  let next = fly(m, thrust, turn, dt, world);
  for (const body of solids) next = collide(next, TUNING.ship.radius, body);
  return next;
}
