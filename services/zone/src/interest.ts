// Area of interest by cells: the region (plus a margin for border ghosts) is cut into square cells;
// a client sees the 3 x 3 cells around its ship. Each cell's changes are encoded once per tick
// (wire-encoder.ts) and the same bytes go to every client holding that cell, so the cost of a tick
// grows with the occupied cells, not with clients x visible entities. A client may therefore be sent
// entities a little beyond a radius (up to 1.5 cells away in x and y), never anything outside its cells.
import type { Rect } from "@starlane/shared";

export class CellGrid {
  readonly size: number;
  readonly #x0: number;
  readonly #y0: number;
  readonly #cols: number;
  readonly #rows: number;

  /** Cells of `size` units over `bounds` grown by `margin` on every side. */
  constructor(bounds: Rect, size: number, margin: number) {
    if (!(size > 0)) throw new RangeError("cell size must be positive");
    this.size = size;
    this.#x0 = bounds.minX - margin;
    this.#y0 = bounds.minY - margin;
    this.#cols = Math.max(1, Math.ceil((bounds.maxX - bounds.minX + 2 * margin) / size));
    this.#rows = Math.max(1, Math.ceil((bounds.maxY - bounds.minY + 2 * margin) / size));
  }

  get cells(): number {
    return this.#cols * this.#rows;
  }

  #col(x: number): number {
    return Math.min(this.#cols - 1, Math.max(0, Math.floor((x - this.#x0) / this.size)));
  }

  #row(y: number): number {
    return Math.min(this.#rows - 1, Math.max(0, Math.floor((y - this.#y0) / this.size)));
  }

  /** The cell a point is in (points outside the grid belong to its edge cells). */
  keyOf(x: number, y: number): number {
    return this.#row(y) * this.#cols + this.#col(x);
  }

  /** The keys of the (up to) 3 x 3 cells around the point's cell, ascending. */
  around(x: number, y: number): number[] {
    const c = this.#col(x);
    const r = this.#row(y);
    const out: number[] = [];
    for (let rr = Math.max(0, r - 1); rr <= Math.min(this.#rows - 1, r + 1); rr++)
      for (let cc = Math.max(0, c - 1); cc <= Math.min(this.#cols - 1, c + 1); cc++) out.push(rr * this.#cols + cc);
    return out;
  }

  /** Whether the point is in one of `cells` (tests: nothing outside a client's cells is ever sent). */
  contains(cells: readonly number[], x: number, y: number): boolean {
    return cells.includes(this.keyOf(x, y));
  }
}
