// Area of interest: which entities each client is sent. Entities are indexed in a spatial grid with
// cells the size of the interest radius, so a viewer's query touches at most 3 x 3 cells instead of
// every entity in the region (no all-pairs scan). Each viewer keeps the set it currently sees; the
// difference to the new set is what enters and leaves its StateView.
import { SpatialGrid } from "./grid.js";

export interface Placed {
  /** Unique across kinds, e.g. "ship:abc". */
  key: string;
  x: number;
  y: number;
}

export interface InterestChange<T extends Placed> {
  enter: T[];
  leave: string[];
}

export class InterestGrid<T extends Placed> {
  readonly #grid: SpatialGrid<T>;
  readonly #radius: number;
  readonly #r2: number;

  constructor(radius: number) {
    this.#radius = radius;
    this.#r2 = radius * radius;
    this.#grid = new SpatialGrid<T>(radius);
  }

  rebuild(entities: Iterable<T>): void {
    this.#grid.clear();
    for (const e of entities) this.#grid.insert(e, e.x, e.y);
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
    const now = this.visibleFrom(x, y);
    for (const e of always) now.set(e.key, e);
    const enter: T[] = [];
    const leave: string[] = [];
    for (const key of seen) if (!now.has(key)) leave.push(key);
    for (const [key, e] of now) if (!seen.has(key)) enter.push(e);
    for (const key of leave) seen.delete(key);
    for (const e of enter) seen.add(e.key);
    return { enter, leave };
  }
}
