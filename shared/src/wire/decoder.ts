// The one decoder of the zone's state frames (browser client, bots, tests). It keeps the entities
// of the cells the server says this client holds, advances their wire state by the shared
// prediction every frame, applies each cell's full state or delta, and shows the result as a
// `RegionView` (plain maps of plain objects, updated in place).
import type { BodyView, MapView, RegionView, ShipView } from "../state-view.js";
import { BitReader, WireError } from "./bits.js";
import {
  EntityKind,
  HEADING_STEPS,
  POS_STEPS,
  predict,
  readDelta,
  readFull,
  VEL_STEPS,
  type WireEntity,
} from "./format.js";
import { ByteReader, type PrivatePart, readHeader } from "./frame.js";

interface Held {
  e: WireEntity;
  cell: number;
  // biome-ignore lint/suspicious/noExplicitAny: one of the four view shapes, by kind
  view: any;
}

type Kind = "ships" | "asteroids" | "stations" | "shots";
const KIND_MAP: Kind[] = ["ships", "asteroids", "stations", "shots"];

export class RegionDecoder {
  readonly #self: string | undefined;
  readonly #cells = new Map<number, number[]>();
  readonly #held = new Map<number, Held>();
  readonly #maps = {
    ships: new Map<string, ShipView>(),
    asteroids: new Map<string, BodyView & { ore: number }>(),
    stations: new Map<string, BodyView>(),
    shots: new Map<string, { x: number; y: number }>(),
  };
  #tickHz = 20;
  #drag = 65536;
  #ready = false;
  #broken: WireError | null = null;
  /** The client's own ship, from its private part (null until one arrived). */
  own: PrivatePart | null = null;
  /** The state as this client sees it; undefined until the first full frame. */
  view: RegionView | undefined;

  /** `self`: the client's own ship id (its view gets cargo, credits and hold level from the private part). */
  constructor(self?: string) {
    this.#self = self;
  }

  /** Cells held and entities known (tests). */
  get cells(): ReadonlySet<number> {
    return new Set(this.#cells.keys());
  }

  /**
   * Applies one frame. A truncated or corrupt frame throws a WireError, and so does every frame
   * after it until the next reset frame (the state is not trusted any more: reconnect).
   */
  apply(frame: Uint8Array): void {
    try {
      this.#apply(frame);
    } catch (err) {
      const e = err instanceof WireError ? err : new WireError(`corrupt frame: ${(err as Error).message}`);
      this.#broken = e;
      throw e;
    }
  }

  #apply(frame: Uint8Array): void {
    const r = new ByteReader(frame);
    const { tick, reset, priv, hold } = readHeader(r, this.own);
    if (reset) {
      this.#cells.clear();
      this.#held.clear();
      for (const m of Object.values(this.#maps)) m.clear();
      this.#tickHz = reset.tickHz;
      this.#drag = reset.drag;
      this.#ready = true;
      this.#broken = null;
      this.view = {
        region: reset.region,
        tick,
        ships: this.#maps.ships as MapView<ShipView>,
        asteroids: this.#maps.asteroids as MapView<BodyView & { ore: number }>,
        stations: this.#maps.stations as MapView<BodyView>,
        shots: this.#maps.shots as MapView<{ x: number; y: number }>,
      };
    } else if (this.#broken) {
      throw this.#broken;
    } else if (!this.#ready) {
      throw new WireError("corrupt frame: a delta before the first full frame");
    }
    if (!hold) for (const h of this.#held.values()) predict(h.e, this.#drag);
    const drops = r.varint();
    for (let i = 0; i < drops; i++) this.#dropCell(r.varint());
    while (!r.done) {
      const key = r.varint();
      const len = r.varint();
      const chunk = r.bytes(len);
      this.#chunk(key, new BitReader(chunk));
    }
    if (priv) this.own = priv;
    this.view!.tick = tick;
    this.#refresh();
  }

  #dropCell(key: number): void {
    const members = this.#cells.get(key);
    if (!members) throw new WireError(`corrupt frame: drop of cell ${key}, not held`);
    for (const id of members) this.#forget(id, key);
    this.#cells.delete(key);
  }

  #forget(wireId: number, cell: number): void {
    const h = this.#held.get(wireId);
    if (!h || h.cell !== cell) return;
    this.#held.delete(wireId);
    const map = this.#maps[KIND_MAP[h.e.kind]!] as Map<string, unknown>;
    if (map.get(h.e.id) === h.view) map.delete(h.e.id);
  }

  #enter(wireId: number, e: WireEntity, cell: number): void {
    const old = this.#held.get(wireId);
    if (old) {
      const map = this.#maps[KIND_MAP[old.e.kind]!] as Map<string, unknown>;
      if (map.get(old.e.id) === old.view) map.delete(old.e.id);
    }
    const view = {};
    this.#held.set(wireId, { e, cell, view });
    (this.#maps[KIND_MAP[e.kind]!] as Map<string, unknown>).set(e.id, view);
  }

  #chunk(key: number, r: BitReader): void {
    if (r.bool()) {
      const old = this.#cells.get(key);
      if (old) for (const id of old) this.#forget(id, key);
      const n = r.uvar();
      const members: number[] = [];
      for (let i = 0; i < n; i++) {
        const { wireId, e } = readFull(r);
        this.#enter(wireId, e, key);
        members.push(wireId);
      }
      this.#cells.set(key, members);
      return;
    }
    const members = this.#cells.get(key);
    if (!members) throw new WireError(`corrupt frame: delta for cell ${key}, not held`);
    const leaves = r.uvar();
    for (let i = 0; i < leaves; i++) {
      const id = r.uvar();
      const at = members.indexOf(id);
      if (at < 0) throw new WireError(`corrupt frame: entity ${id} leaves cell ${key} it is not in`);
      members.splice(at, 1);
      this.#forget(id, key);
    }
    for (const id of members) {
      if (!r.bool()) continue;
      const h = this.#held.get(id);
      if (!h) throw new WireError(`corrupt frame: change of unknown entity ${id}`);
      readDelta(r, h.e);
    }
    const enters = r.uvar();
    for (let i = 0; i < enters; i++) {
      const { wireId, e } = readFull(r);
      this.#enter(wireId, e, key);
      members.push(wireId);
    }
  }

  #refresh(): void {
    const pos = 1 / POS_STEPS;
    const vel = this.#tickHz / VEL_STEPS;
    const turn = (2 * Math.PI) / HEADING_STEPS;
    for (const { e, view: v } of this.#held.values()) {
      v.x = e.x * pos;
      v.y = e.y * pos;
      switch (e.kind) {
        case EntityKind.Ship: {
          const own = e.id === this.#self && !e.ghost ? this.own : null;
          v.name = e.name;
          v.vx = e.vx * vel;
          v.vy = e.vy * vel;
          v.heading = e.h * turn;
          v.hull = e.hull;
          v.cargo = own?.cargo ?? 0;
          v.credits = own?.credits ?? 0;
          v.holdLevel = own?.holdLevel ?? 0;
          v.ack = e.ack;
          v.alive = e.alive;
          v.ghost = e.ghost;
          break;
        }
        case EntityKind.Asteroid:
          v.radius = e.radius;
          v.ore = e.ore;
          break;
        case EntityKind.Station:
          v.radius = e.radius;
          break;
      }
    }
  }
}

/** A decoder's world as plain JSON (maps as id-sorted entries): what the test vectors compare. */
export function snapshotWorld(d: RegionDecoder): unknown {
  const v = d.view;
  if (!v) return null;
  const sorted = <T>(m: MapView<T>) => [...m.keys()].sort().map((k) => [k, { ...m.get(k)! }]);
  return {
    region: v.region,
    tick: v.tick,
    own: d.own,
    ships: sorted(v.ships),
    asteroids: sorted(v.asteroids),
    stations: sorted(v.stations),
    shots: sorted(v.shots),
  };
}
