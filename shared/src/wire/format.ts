// The zone's state frames (shared/PROTOCOL.md, "Zone state frames"): constants, quantisation and the
// entity records, written by the zone's cell encoder and read by the one decoder (decoder.ts). Both
// sides keep each entity's *wire state* in these integers and advance it with the same prediction
// every tick, so a delta carries only what the prediction got wrong.
import { type BitReader, type BitWriter, WireError } from "./bits.js";

export const WIRE_VERSION = 1;
/** The Colyseus bytes-message type the frames travel as (a number: one byte on the wire). */
export const WIRE_MESSAGE = 0;
/** No frame the zone sends is larger (bytes of the message body). */
export const MAX_FRAME_BYTES = 65_536;

/** Reset: a full state follows (drop everything first). Private: the own part follows. Hold: no
 * prediction step this frame (the server sent it between ticks, after a join or a leave). */
export const FrameFlag = { Reset: 1, Private: 2, Hold: 4 } as const;

export const EntityKind = { Ship: 0, Asteroid: 1, Station: 2, Shot: 3 } as const;
export type EntityKind = (typeof EntityKind)[keyof typeof EntityKind];

/** Position steps per world unit (0.125 units). */
export const POS_STEPS = 8;
/** Velocity steps per world unit per tick. */
export const VEL_STEPS = 16;
/** Heading steps per turn. */
export const HEADING_STEPS = 4096;
const POS_BITS = 24;
const POS_MAX = 2 ** POS_BITS - 1;

export const qPos = (x: number) => Math.min(POS_MAX, Math.max(0, Math.round(x * POS_STEPS)));
export const qVel = (v: number, tickHz: number) => Math.round((v / tickHz) * VEL_STEPS);
export const qHeading = (h: number) =>
  ((Math.round((h / (2 * Math.PI)) * HEADING_STEPS) % HEADING_STEPS) + HEADING_STEPS) % HEADING_STEPS;
/** The drag factor per tick as a 16.16 fixed-point number (sent in the reset header). */
export const dragFixed = (drag: number, tickHz: number) => Math.round(Math.exp(-drag / tickHz) * 65536);

/** Where a position goes in one tick at velocity `v` (velocity steps are half position steps). */
export const predictPos = (x: number, v: number) => x + Math.floor((v + 1) / 2);
/** A coasting ship's velocity after one tick of drag. */
export const predictVel = (v: number, drag: number) => Math.floor((v * drag + 32768) / 65536);
/** The signed shortest turn from heading `a` to `b`, in heading steps. */
export const turnSteps = (a: number, b: number) => {
  const d = (((b - a) % HEADING_STEPS) + HEADING_STEPS) % HEADING_STEPS;
  return d >= HEADING_STEPS / 2 ? d - HEADING_STEPS : d;
};

export interface WireShip {
  kind: 0;
  id: string;
  name: string;
  x: number;
  y: number;
  vx: number;
  vy: number;
  h: number;
  /** The heading's change in the last tick (the prediction turns by it again). */
  dh: number;
  /** The velocity's change in the last tick beyond drag (the prediction accelerates by it again). */
  ax: number;
  ay: number;
  ack: number;
  hull: number;
  alive: boolean;
  ghost: boolean;
}
export interface WireAsteroid {
  kind: 1;
  id: string;
  x: number;
  y: number;
  radius: number;
  ore: number;
}
export interface WireStation {
  kind: 2;
  id: string;
  x: number;
  y: number;
  radius: number;
}
export interface WireShot {
  kind: 3;
  id: string;
  x: number;
  y: number;
  vx: number;
  vy: number;
}
export type WireEntity = WireShip | WireAsteroid | WireStation | WireShot;

/** Advances a wire state by one tick of prediction, in place (both sides, every tick, every entity). */
export function predict(e: WireEntity, drag: number): void {
  if (e.kind === EntityKind.Ship) {
    e.vx = predictVel(e.vx, drag) + e.ax;
    e.vy = predictVel(e.vy, drag) + e.ay;
    e.x = predictPos(e.x, e.vx);
    e.y = predictPos(e.y, e.vy);
    e.h = (e.h + e.dh + HEADING_STEPS) % HEADING_STEPS;
  } else if (e.kind === EntityKind.Shot) {
    e.x = predictPos(e.x, e.vx);
    e.y = predictPos(e.y, e.vy);
  }
}

/** The full record of an entity (a cell's full state, or an entity entering a cell). */
export function writeFull(w: BitWriter, wireId: number, e: WireEntity): void {
  w.bits(e.kind, 2);
  w.uvar(wireId);
  w.string(e.id);
  w.bits(e.x, POS_BITS);
  w.bits(e.y, POS_BITS);
  switch (e.kind) {
    case EntityKind.Ship:
      w.bool(e.name !== e.id);
      if (e.name !== e.id) w.string(e.name);
      w.svar(e.vx);
      w.svar(e.vy);
      w.bits(e.h, 12);
      w.svar(e.dh);
      w.svar(e.ax);
      w.svar(e.ay);
      w.uvar(e.ack);
      w.bits(Math.min(255, Math.max(0, e.hull)), 8);
      w.bool(e.alive);
      w.bool(e.ghost);
      return;
    case EntityKind.Asteroid:
      w.uvar(e.radius);
      w.uvar(e.ore);
      return;
    case EntityKind.Station:
      w.uvar(e.radius);
      return;
    case EntityKind.Shot:
      w.svar(e.vx);
      w.svar(e.vy);
  }
}

export function readFull(r: BitReader): { wireId: number; e: WireEntity } {
  const kind = r.bits(2);
  const wireId = r.uvar();
  const id = r.string();
  const x = r.bits(POS_BITS);
  const y = r.bits(POS_BITS);
  switch (kind) {
    case EntityKind.Ship: {
      const name = r.bool() ? r.string() : id;
      const vx = r.svar();
      const vy = r.svar();
      const h = r.bits(12);
      const dh = r.svar();
      const ax = r.svar();
      const ay = r.svar();
      const ack = r.uvar();
      const hull = r.bits(8);
      const alive = r.bool();
      const ghost = r.bool();
      return { wireId, e: { kind, id, name, x, y, vx, vy, h, dh, ax, ay, ack, hull, alive, ghost } };
    }
    case EntityKind.Asteroid:
      return { wireId, e: { kind, id, x, y, radius: r.uvar(), ore: r.uvar() } };
    case EntityKind.Station:
      return { wireId, e: { kind, id, x, y, radius: r.uvar() } };
    default:
      return { wireId, e: { kind: EntityKind.Shot, id, x, y, vx: r.svar(), vy: r.svar() } };
  }
}

/** Whether the actual wire state differs from the predicted one (the entity is in the change mask). */
export function changed(pred: WireEntity, cur: WireEntity): boolean {
  switch (cur.kind) {
    case EntityKind.Ship: {
      const p = pred as WireShip;
      return (
        p.x !== cur.x ||
        p.y !== cur.y ||
        p.vx !== cur.vx ||
        p.vy !== cur.vy ||
        p.h !== cur.h ||
        p.dh !== cur.dh ||
        p.ack !== cur.ack ||
        p.hull !== cur.hull ||
        p.alive !== cur.alive ||
        p.ghost !== cur.ghost ||
        p.name !== cur.name
      );
    }
    case EntityKind.Asteroid:
      return (pred as WireAsteroid).ore !== cur.ore;
    case EntityKind.Station:
      return false;
    case EntityKind.Shot: {
      const p = pred as WireShot;
      return p.x !== cur.x || p.y !== cur.y || p.vx !== cur.vx || p.vy !== cur.vy;
    }
  }
}

/**
 * A changed entity's record: what turns the predicted state into the actual one. A ship's has three
 * parts, each behind a bit: motion (velocity residuals, position residuals, turn residual), ack
 * (its advance minus one), the rest (hull, alive, ghost; name rides with an enter only).
 */
export function writeDelta(w: BitWriter, pred: WireEntity, cur: WireEntity): void {
  switch (cur.kind) {
    case EntityKind.Ship: {
      const p = pred as WireShip;
      const motion = p.x !== cur.x || p.y !== cur.y || p.vx !== cur.vx || p.vy !== cur.vy || p.dh !== cur.dh;
      w.bool(motion);
      if (motion) {
        w.svar(cur.vx - p.vx);
        w.svar(cur.vy - p.vy);
        w.svar(cur.x - predictPos(p.x - Math.floor((p.vx + 1) / 2), cur.vx));
        w.svar(cur.y - predictPos(p.y - Math.floor((p.vy + 1) / 2), cur.vy));
        w.svar(cur.dh - p.dh);
      }
      w.bool(p.ack !== cur.ack);
      if (p.ack !== cur.ack) w.svar(cur.ack - p.ack - 1);
      const rest = p.hull !== cur.hull || p.alive !== cur.alive || p.ghost !== cur.ghost;
      w.bool(rest);
      if (rest) {
        w.bits(Math.min(255, Math.max(0, cur.hull)), 8);
        w.bool(cur.alive);
        w.bool(cur.ghost);
      }
      return;
    }
    case EntityKind.Asteroid:
      w.uvar(cur.ore);
      return;
    case EntityKind.Station:
      return;
    case EntityKind.Shot: {
      const p = pred as WireShot;
      w.svar(cur.vx - p.vx);
      w.svar(cur.vy - p.vy);
      w.svar(cur.x - predictPos(p.x - Math.floor((p.vx + 1) / 2), cur.vx));
      w.svar(cur.y - predictPos(p.y - Math.floor((p.vy + 1) / 2), cur.vy));
    }
  }
}

/** Applies a changed entity's record to its predicted state (in place). */
export function readDelta(r: BitReader, e: WireEntity): void {
  switch (e.kind) {
    case EntityKind.Ship: {
      if (r.bool()) {
        const base = { x: e.x - Math.floor((e.vx + 1) / 2), y: e.y - Math.floor((e.vy + 1) / 2) };
        const dvx = r.svar();
        const dvy = r.svar();
        e.vx += dvx;
        e.vy += dvy;
        e.ax += dvx;
        e.ay += dvy;
        e.x = predictPos(base.x, e.vx) + r.svar();
        e.y = predictPos(base.y, e.vy) + r.svar();
        const dh = e.dh + r.svar();
        e.h = (e.h - e.dh + dh + 2 * HEADING_STEPS) % HEADING_STEPS;
        e.dh = dh;
      }
      if (r.bool()) e.ack = e.ack + 1 + r.svar();
      if (r.bool()) {
        e.hull = r.bits(8);
        e.alive = r.bool();
        e.ghost = r.bool();
      }
      return;
    }
    case EntityKind.Asteroid:
      e.ore = r.uvar();
      return;
    case EntityKind.Station:
      throw new WireError("corrupt frame: a station in a change mask");
    case EntityKind.Shot: {
      const base = { x: e.x - Math.floor((e.vx + 1) / 2), y: e.y - Math.floor((e.vy + 1) / 2) };
      e.vx += r.svar();
      e.vy += r.svar();
      e.x = predictPos(base.x, e.vx) + r.svar();
      e.y = predictPos(base.y, e.vy) + r.svar();
    }
  }
}
