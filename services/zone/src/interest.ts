// Area of interest: which entities each client is sent. Entities are indexed in a spatial grid with
// cells the size of the interest radius, so a viewer's query touches at most 3 x 3 cells instead of
// every entity in the region (no all-pairs scan). Each viewer keeps the set it currently sees; the
// difference to the new set is what enters and leaves its StateView.
import { SpatialGrid } from "./grid.js";

export interface Placed {
  /** Unique for the entity's lifetime. */
  key: string;
  x: number;
  y: number;
  /** Scratch for update(): the last query stamp that found this entity visible. */
  seenStamp?: number;
}

export interface InterestChange<T extends Placed> {
  enter: T[];
  leave: string[];
}

export class InterestGrid<T extends Placed> {
  readonly #grid: SpatialGrid<T>;
  readonly #radius: number;
  readonly #r2: number;
  readonly #byKey = new Map<string, T>();
  #stamp = 0;

  constructor(radius: number) {
    this.#radius = radius;
    this.#r2 = radius * radius;
    this.#grid = new SpatialGrid<T>(radius);
  }

  rebuild(entities: Iterable<T>): void {
    this.#grid.clear();
    this.#byKey.clear();
    for (const e of entities) {
      this.#grid.insert(e, e.x, e.y);
      this.#byKey.set(e.key, e);
    }
  }

  /** Everything within the radius of (x, y). */
  visibleFrom(x: number, y: number): Map<string, T> {
    const out = new Map<string, T>();
    this.#grid.near(x, y, this.#radius, (e) => {
      if ((e.x - x) ** 2 + (e.y - y) ** 2 <= this.#r2) out.set(e.key, e);
    });
    return out;
  }

  /**
   * Updates `seen` (the keys a viewer currently sees) to what is visible from (x, y) and returns the
   * difference. `always` keys (the viewer's own ship) stay visible regardless of distance.
   */
  update(seen: Set<string>, x: number, y: number, always: T[] = []): InterestChange<T> {
    // Runs for every client every tick: stamp what is visible instead of building a set per query.
    const stamp = ++this.#stamp;
    const enter: T[] = [];
    const leave: string[] = [];
    const r2 = this.#r2;
    this.#grid.near(x, y, this.#radius, (e) => {
      const dx = e.x - x;
      const dy = e.y - y;
      if (dx * dx + dy * dy > r2) return;
      e.seenStamp = stamp;
      if (!seen.has(e.key)) enter.push(e);
    });
    for (const e of always) {
      if (e.seenStamp === stamp) continue;
      e.seenStamp = stamp;
      if (!seen.has(e.key)) enter.push(e);
    }
    for (const key of seen) if (this.#byKey.get(key)?.seenStamp !== stamp) leave.push(key);
    for (const key of leave) seen.delete(key);
    for (const e of enter) seen.add(e.key);
    return { enter, leave };
  }
}
