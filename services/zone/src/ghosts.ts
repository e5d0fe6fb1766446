// Border ghosts: read-only copies of ships near a border, sent by their owner to each neighbouring
// region every tick (Colyseus presence pub/sub: in-process in the embedded mode, Redis in the
// cluster) and shown there to clients whose area of interest covers them.
import {
  type Ghost,
  type Region,
  regionBounds,
  regionRoomId,
  regionsWithin,
  TUNING,
  toGhost,
  type WorldConfig,
} from "@starlane/shared";

export type { Ghost } from "@starlane/shared";

import { damage } from "./rules/combat.js";
import type { Ship, SimState } from "./rules/types.js";

export interface GhostBatch {
  from: string;
  ships: Ghost[];
}

export const ghostChannel = (regionId: string) => `starlane:ghosts:${regionId}`;
/** Hits on a region's ships scored by a neighbour's shots (the owner applies the damage). */
export const hitChannel = (regionId: string) => `starlane:hits:${regionId}`;

export interface GhostHit {
  ship: string;
  by: string;
}

/** A neighbour's shot hit a ship near the border: its owner (`owns`) applies the damage. */
export function applyHit(sim: SimState, hit: GhostHit, owns: (ship: string) => boolean): void {
  if (!hit || typeof hit.ship !== "string" || !owns(hit.ship)) return;
  const ship = sim.ships.get(hit.ship)!;
  if (ship.respawnIn > 0) return;
  sim.ships.set(ship.id, damage(ship, TUNING.gun.damage));
}

/** Groups the ships within `band` of a border by the neighbour that must see them. */
export function ghostsByNeighbour(
  world: WorldConfig,
  region: Region,
  ships: Iterable<Ship>,
  band: number,
): Map<string, Ghost[]> {
  const out = new Map<string, Ghost[]>();
  const b = regionBounds(world, region);
  for (const s of ships) {
    // Most ships are nowhere near a border: they cost four comparisons, not a neighbour search.
    if (s.x - b.minX > band && b.maxX - s.x > band && s.y - b.minY > band && b.maxY - s.y > band) continue;
    for (const n of regionsWithin(world, region, s.x, s.y, band)) {
      const id = regionRoomId(n);
      let list = out.get(id);
      if (!list) out.set(id, (list = []));
      list.push(toGhost(s));
    }
  }
  return out;
}

/**
 * A room's outgoing ghosts: each tick its ships near a border go to each neighbour that must show
 * them, and one empty batch tells a neighbour our ships left its band (it would otherwise wait for
 * the TTL).
 */
export class GhostPublisher {
  #targets = new Set<string>();

  constructor(
    readonly from: string,
    readonly send: (channel: string, batch: GhostBatch) => void,
  ) {}

  publish(world: WorldConfig, region: Region, ships: Iterable<Ship>, band: number): void {
    const batches = ghostsByNeighbour(world, region, ships, band);
    for (const [to, list] of batches) this.send(ghostChannel(to), { from: this.from, ships: list });
    for (const to of this.#targets) if (!batches.has(to)) this.send(ghostChannel(to), { from: this.from, ships: [] });
    this.#targets = new Set(batches.keys());
  }
}

/**
 * The ghosts a room has received, by sending region. Each batch replaces that sender's previous
 * one; a sender silent for `ttlMs` (dead, or its ships left the band without a final empty batch)
 * is forgotten.
 */
export class GhostBoard {
  readonly #from = new Map<string, { ships: Ghost[]; at: number }>();

  constructor(readonly ttlMs: number) {}

  receive(batch: GhostBatch, now: number): void {
    if (!batch || typeof batch.from !== "string" || !Array.isArray(batch.ships)) return;
    if (batch.ships.length === 0) this.#from.delete(batch.from);
    else this.#from.set(batch.from, { ships: batch.ships, at: now });
  }

  /** Keeps a ship this room just handed away visible until its new owner's first batch arrives. */
  hold(from: string, ghost: Ghost, now: number): void {
    const e = this.#from.get(from);
    if (e) e.ships = [...e.ships.filter((g) => g.id !== ghost.id), ghost];
    else this.#from.set(from, { ships: [ghost], at: now });
  }

  /** The current ghosts with the region that sent each (its owner). */
  *bySender(now: number): Iterable<[string, Ghost]> {
    for (const [from, e] of this.#from) {
      if (now - e.at > this.ttlMs) continue;
      for (const g of e.ships) yield [from, g];
    }
  }

  *current(now: number): Iterable<Ghost> {
    for (const [from, e] of this.#from) {
      if (now - e.at > this.ttlMs) {
        this.#from.delete(from);
        continue;
      }
      yield* e.ships;
    }
  }
}
