// The cell encoder: the region's entities (simulation and border ghosts) as wire states, grouped by
// cell, and each cell's bytes for this tick, encoded once and shared by every client holding it:
// the delta (who left, what changed against the shared prediction, who entered) and, only when some
// client gains the cell or resynchronises, its full state. Format: shared/PROTOCOL.md, "Zone state
// frames"; the records are @starlane/shared's (wire/format.ts), read by its decoder.
import {
  BitWriter,
  changed,
  EntityKind,
  predict,
  qHeading,
  qPos,
  qVel,
  turnSteps,
  type WireAsteroid,
  type WireEntity,
  type WireShip,
  type WireShot,
  type WireStation,
  writeDelta,
  writeFull,
} from "@starlane/shared";
import type { CellGrid } from "./interest.js";

interface Tracked {
  wireId: number;
  cell: number;
  /** The wire state now (what every client holding the cell has after this tick). */
  cur: WireEntity;
  /** Last tick's wire state advanced by the prediction (what clients compute before the delta). */
  pred: WireEntity;
  changed: boolean;
  stamp: number;
}

interface Cell {
  /** Entities in the cell, in the order clients keep them (stayed first, then this tick's enters). */
  members: Tracked[];
  /** How many of `members` stayed from the last tick (the change mask covers these). */
  stayed: number;
  leaves: number[];
  enters: number;
  stamp: number;
  delta: Uint8Array | null | undefined;
  full: Uint8Array | undefined;
}

/** One entity of the tick's source (simulation or ghost), keyed for its lifetime. */
export type Source =
  | {
      key: string;
      kind: 0;
      id: string;
      name: string;
      x: number;
      y: number;
      vx: number;
      vy: number;
      heading: number;
      ack: number;
      hull: number;
      alive: boolean;
      ghost: boolean;
    }
  | { key: string; kind: 1; id: string; x: number; y: number; radius: number; ore: number }
  | { key: string; kind: 2; id: string; x: number; y: number; radius: number }
  | { key: string; kind: 3; id: string; x: number; y: number; vx: number; vy: number };

const ID_LIMIT = 65_535;

export class CellEncoder {
  readonly #grid: CellGrid;
  readonly #tickHz: number;
  readonly #drag: number;
  readonly #byKey = new Map<string, Tracked>();
  readonly #cells = new Map<number, Cell>();
  /** Freed wire ids, reused oldest first (an id comes back only after every other was used). */
  readonly #free: number[] = [];
  #next = 1;
  #stamp = 0;
  /** Cells with anything to send this frame (an entity entered, left or changed against its prediction). */
  readonly #dirty = new Set<number>();
  readonly #w = new BitWriter(1024);

  constructor(grid: CellGrid, tickHz: number, drag: number) {
    this.#grid = grid;
    this.#tickHz = tickHz;
    this.#drag = drag;
  }

  get entities(): number {
    return this.#byKey.size;
  }

  #cell(key: number): Cell {
    let c = this.#cells.get(key);
    if (!c) {
      c = { members: [], stayed: 0, leaves: [], enters: 0, stamp: -1, delta: undefined, full: undefined };
      this.#cells.set(key, c);
    }
    if (c.stamp !== this.#stamp) {
      c.stamp = this.#stamp;
      c.stayed = c.members.length;
      c.leaves.length = 0;
      c.enters = 0;
      c.delta = undefined;
      c.full = undefined;
    }
    return c;
  }

  /**
   * The source's wire state, written into `into` when it is of the same kind (the encoder keeps two
   * states per entity and swaps them each tick: no allocation per entity per tick) or into a new one.
   * `prevH`: the ship's wire heading before this update (-1: new entity).
   */
  #wire(s: Source, prevH: number, into: WireEntity | null): WireEntity {
    const x = qPos(s.x);
    const y = qPos(s.y);
    switch (s.kind) {
      case EntityKind.Ship: {
        const h = qHeading(s.heading);
        const e: WireShip =
          into?.kind === EntityKind.Ship
            ? into
            : {
                kind: 0,
                id: "",
                name: "",
                x: 0,
                y: 0,
                vx: 0,
                vy: 0,
                h: 0,
                dh: 0,
                ax: 0,
                ay: 0,
                ack: 0,
                hull: 0,
                alive: false,
                ghost: false,
              };
        e.id = s.id;
        e.name = s.name;
        e.x = x;
        e.y = y;
        e.vx = qVel(s.vx, this.#tickHz);
        e.vy = qVel(s.vy, this.#tickHz);
        e.h = h;
        e.dh = prevH >= 0 ? turnSteps(prevH, h) : 0;
        // Set against the prediction by update() (what the decoder derives from the residual).
        e.ax = 0;
        e.ay = 0;
        e.ack = s.ack;
        e.hull = s.hull;
        e.alive = s.alive;
        e.ghost = s.ghost;
        return e;
      }
      case EntityKind.Asteroid: {
        const e: WireAsteroid =
          into?.kind === EntityKind.Asteroid ? into : { kind: 1, id: "", x: 0, y: 0, radius: 0, ore: 0 };
        e.id = s.id;
        e.x = x;
        e.y = y;
        e.radius = Math.round(s.radius);
        e.ore = Math.floor(s.ore);
        return e;
      }
      case EntityKind.Station: {
        const e: WireStation = into?.kind === EntityKind.Station ? into : { kind: 2, id: "", x: 0, y: 0, radius: 0 };
        e.id = s.id;
        e.x = x;
        e.y = y;
        e.radius = Math.round(s.radius);
        return e;
      }
      default: {
        const e: WireShot = into?.kind === EntityKind.Shot ? into : { kind: 3, id: "", x: 0, y: 0, vx: 0, vy: 0 };
        e.id = s.id;
        e.x = x;
        e.y = y;
        e.vx = qVel(s.vx, this.#tickHz);
        e.vy = qVel(s.vy, this.#tickHz);
        return e;
      }
    }
  }

  #leave(t: Tracked): void {
    this.#dirty.add(t.cell);
    const c = this.#cell(t.cell);
    const at = c.members.indexOf(t);
    c.members.splice(at, 1);
    if (at < c.stayed) c.stayed--;
    c.leaves.push(t.wireId);
  }

  #enter(t: Tracked, key: number): void {
    this.#dirty.add(key);
    const c = this.#cell(key);
    t.cell = key;
    c.members.push(t);
    c.enters++;
  }

  /**
   * This frame's entities: wire states, cell moves, enters and leaves. `hold`: no prediction step
   * (an update between ticks, sent with the Hold flag).
   */
  update(sources: Iterable<Source>, hold = false): void {
    const stamp = ++this.#stamp;
    this.#dirty.clear();
    for (const s of sources) {
      const key = this.#grid.keyOf(s.x, s.y);
      let t = this.#byKey.get(s.key);
      // One entity, one update: a second source under the same key (a ghost sent by two neighbours)
      // would move it twice and desynchronise every client holding its cells.
      if (t?.stamp === stamp) continue;
      if (t && t.cur.kind !== s.kind) {
        this.#remove(s.key, t);
        t = undefined;
      }
      if (!t) {
        const wireId = this.#free.length > 0 && this.#next > ID_LIMIT ? this.#free.shift()! : this.#next++;
        const cur = this.#wire(s, -1, null);
        t = { wireId, cell: key, cur, pred: { ...cur }, changed: false, stamp };
        this.#byKey.set(s.key, t);
        this.#enter(t, key);
        continue;
      }
      t.stamp = stamp;
      // Last tick's state becomes this tick's prediction; last tick's prediction (no longer needed:
      // its delta is encoded) takes this tick's state.
      const spare = t.pred;
      const pred = t.cur;
      if (!hold) predict(pred, this.#drag);
      t.pred = pred;
      // dh is the turn from the previous wire heading: undo the prediction's turn to find it.
      const cur = this.#wire(s, pred.kind === EntityKind.Ship ? (pred.h - pred.dh + 4096) % 4096 : -1, spare);
      if (cur.kind === EntityKind.Ship && pred.kind === EntityKind.Ship) {
        // The acceleration the prediction should have used: the next tick's prediction repeats it.
        cur.ax = pred.ax + cur.vx - pred.vx;
        cur.ay = pred.ay + cur.vy - pred.vy;
      }
      t.cur = cur;
      if (key !== t.cell) {
        this.#leave(t);
        this.#enter(t, key);
        t.changed = false;
      } else {
        t.changed = changed(t.pred, t.cur);
        if (t.changed) this.#dirty.add(key);
      }
    }
    for (const [k, t] of this.#byKey) if (t.stamp !== stamp) this.#remove(k, t);
  }

  #remove(k: string, t: Tracked): void {
    this.#leave(t);
    this.#byKey.delete(k);
    this.#free.push(t.wireId);
  }

  /** The cells whose delta this frame is not null. */
  get dirty(): ReadonlySet<number> {
    return this.#dirty;
  }

  /** The cell's delta for this tick, or null when nothing in it changed. */
  delta(key: number): Uint8Array | null {
    if (!this.#cells.has(key)) return null;
    const c = this.#cell(key);
    if (c.delta !== undefined) return c.delta;
    let any = c.leaves.length > 0 || c.enters > 0;
    for (let i = 0; i < c.stayed && !any; i++) any = c.members[i]!.changed;
    if (!any) return (c.delta = null);
    const w = this.#w;
    w.reset();
    w.bool(false);
    w.uvar(c.leaves.length);
    for (const id of c.leaves) w.uvar(id);
    for (let i = 0; i < c.stayed; i++) {
      const m = c.members[i]!;
      w.bool(m.changed);
      if (m.changed) writeDelta(w, m.pred, m.cur);
    }
    w.uvar(c.enters);
    for (let i = c.stayed; i < c.members.length; i++) writeFull(w, c.members[i]!.wireId, c.members[i]!.cur);
    return (c.delta = w.finish());
  }

  /** The cell's full state after this tick. */
  full(key: number): Uint8Array {
    const c = this.#cell(key);
    if (c.full) return c.full;
    const w = this.#w;
    w.reset();
    w.bool(true);
    w.uvar(c.members.length);
    for (const m of c.members) writeFull(w, m.wireId, m.cur);
    return (c.full = w.finish());
  }

  /** Every entity's wire state now, with its cell (tests: the server's world as clients must see it). */
  *states(): IterableIterator<{ cell: number; e: WireEntity }> {
    for (const t of this.#byKey.values()) yield { cell: t.cell, e: t.cur };
  }
}
