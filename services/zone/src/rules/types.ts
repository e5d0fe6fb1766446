// The simulation's own data: plain objects, no schema, no network. The room copies what clients
// may see into the Colyseus state after each tick.
import type { Rect, Ship, WorldConfig } from "@starlane/shared";

/** The ship record is defined once, in @starlane/shared (ship.ts), with its other forms. */
export type { Ship } from "@starlane/shared";

export interface Asteroid {
  id: string;
  x: number;
  y: number;
  radius: number;
  ore: number;
}

export interface Station {
  id: string;
  x: number;
  y: number;
  radius: number;
}

export interface Shot {
  id: string;
  /** The ship that fired it (it cannot hit its own shooter). */
  owner: string;
  x: number;
  y: number;
  vx: number;
  vy: number;
  /** Seconds left to live. */
  ttl: number;
}

export interface SimState {
  world: WorldConfig;
  /** The region this simulation owns. */
  bounds: Rect;
  ships: Map<string, Ship>;
  asteroids: Map<string, Asteroid>;
  stations: Map<string, Station>;
  shots: Map<string, Shot>;
  nextShotId: number;
  tick: number;
}

/** One control sample, already validated (see input.ts). */
export interface ControlInput {
  seq: number;
  /** 0..1 forward thrust. */
  thrust: number;
  /** -1..1 turn rate (negative = counter-clockwise). */
  turn: number;
  fire: boolean;
}

export type Action =
  | { kind: "mine"; target: string }
  | { kind: "sell" }
  | { kind: "buy"; target: "hold" }
  | { kind: "respawn" };

export interface TickInputs {
  /** At most one control input per ship per tick (the room's queue hands them out in order). */
  controls: Map<string, ControlInput>;
  actions: Map<string, Action[]>;
  /** Ships of neighbouring regions near the border (read-only): shots can hit them. */
  ghosts?: { id: string; x: number; y: number; alive: boolean }[];
}

export interface TickEvents {
  /** Actions that could not be done (out of range, cargo full, ...): the room tells the sender. */
  refused: { ship: string; action: Action["kind"] }[];
  destroyed: { ship: string; by: string }[];
  /** Sales asked for and possible here: the room has the ledger commit them (credits change only then). */
  sales: { ship: string; station: string; ore: number }[];
  /** Upgrade purchases asked for and possible here: the ledger commits them like sales. */
  purchases: { ship: string; station: string; item: "hold"; level: number; price: number }[];
  /** Shots that hit a ghost: the room forwards each to the ship's owner, which applies the damage. */
  ghostHits: { ship: string; by: string }[];
}
