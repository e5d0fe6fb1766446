// A uniform spatial hash: cells of a fixed size, rebuilt every tick (cheaper than maintaining it for
// entities that all move). Range queries touch only the cells that overlap the query circle, so
// "who is near me" costs the neighbourhood, not every entity in the region.
export class SpatialGrid<T> {
  readonly #cell: number;
  readonly #cells = new Map<number, T[]>();

  constructor(cellSize: number) {
    if (!(cellSize > 0)) throw new RangeError("cell size must be positive");
    this.#cell = cellSize;
  }

  // Cells are keyed by a packed integer: coordinates up to ±2^20 cells each way.
  #key(cx: number, cy: number): number {
    return (cx + 1048576) * 2097152 + (cy + 1048576);
  }

  clear(): void {
    this.#cells.clear();
  }

  insert(item: T, x: number, y: number): void {
    const k = this.#key(Math.floor(x / this.#cell), Math.floor(y / this.#cell));
    const bucket = this.#cells.get(k);
    if (bucket) bucket.push(item);
    else this.#cells.set(k, [item]);
  }

  /** Calls `visit` for every item in the cells overlapping the square around (x, y) of half-size r. */
  near(x: number, y: number, r: number, visit: (item: T) => void): void {
    const c = this.#cell;
    const x0 = Math.floor((x - r) / c);
    const x1 = Math.floor((x + r) / c);
    const y0 = Math.floor((y - r) / c);
    const y1 = Math.floor((y + r) / c);
    for (let cx = x0; cx <= x1; cx++) {
      for (let cy = y0; cy <= y1; cy++) {
        const bucket = this.#cells.get(this.#key(cx, cy));
        if (bucket) for (const item of bucket) visit(item);
      }
    }
  }
}
