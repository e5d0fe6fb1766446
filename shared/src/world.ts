// The world grid and its pure geometry. Everything that needs to know which region a point is in
// (zone rooms, world entry, handoff, the browser client) asks here, so the answer is the same
// everywhere. No I/O, no state.
import { setting } from "./config.js";

export interface WorldConfig {
  /** World width in units (x runs 0..width). */
  width: number;
  /** World height in units (y runs 0..height). */
  height: number;
  /** Regions across (columns). */
  cols: number;
  /** Regions down (rows). */
  rows: number;
}

export const DEFAULT_WORLD: Readonly<WorldConfig> = Object.freeze({ width: 8000, height: 8000, cols: 4, rows: 4 });

/** The world's settings, for any service's config spec (spread it in). */
export const worldConfigSpec = {
  worldWidth: setting.int("STARLANE_WORLD_WIDTH", "world width in units", DEFAULT_WORLD.width, 100, 1_000_000),
  worldHeight: setting.int("STARLANE_WORLD_HEIGHT", "world height in units", DEFAULT_WORLD.height, 100, 1_000_000),
  regionCols: setting.int("STARLANE_REGION_COLS", "regions across", DEFAULT_WORLD.cols, 1, 64),
  regionRows: setting.int("STARLANE_REGION_ROWS", "regions down", DEFAULT_WORLD.rows, 1, 64),
};

/** Builds a WorldConfig from the parsed settings of `worldConfigSpec`. */
export function worldFromConfig(c: {
  worldWidth: number;
  worldHeight: number;
  regionCols: number;
  regionRows: number;
}) {
  return defineWorld({ width: c.worldWidth, height: c.worldHeight, cols: c.regionCols, rows: c.regionRows });
}

/** Validates a world shape; throws RangeError naming the bad field. */
export function defineWorld(w: WorldConfig): WorldConfig {
  for (const k of ["width", "height"] as const) {
    if (!Number.isFinite(w[k]) || w[k] <= 0) throw new RangeError(`world ${k} must be a positive number`);
  }
  for (const k of ["cols", "rows"] as const) {
    if (!Number.isInteger(w[k]) || w[k] < 1) throw new RangeError(`world ${k} must be a whole number >= 1`);
  }
  return Object.freeze({ ...w });
}

/** A region is a cell of the grid. */
export interface Region {
  col: number;
  row: number;
}

export interface Rect {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

export const regionWidth = (w: WorldConfig) => w.width / w.cols;
export const regionHeight = (w: WorldConfig) => w.height / w.rows;

export const isRegion = (w: WorldConfig, r: Region): boolean =>
  Number.isInteger(r.col) && Number.isInteger(r.row) && r.col >= 0 && r.row >= 0 && r.col < w.cols && r.row < w.rows;

/**
 * The region a point belongs to. Points on an inner border belong to the region on the right/below
 * (half-open cells); points outside the world are clamped to the nearest edge region.
 */
export function regionOf(w: WorldConfig, x: number, y: number): Region {
  const col = Math.min(w.cols - 1, Math.max(0, Math.floor(x / regionWidth(w))));
  const row = Math.min(w.rows - 1, Math.max(0, Math.floor(y / regionHeight(w))));
  return { col: Number.isNaN(col) ? 0 : col, row: Number.isNaN(row) ? 0 : row };
}

export function regionBounds(w: WorldConfig, r: Region): Rect {
  const rw = regionWidth(w);
  const rh = regionHeight(w);
  return { minX: r.col * rw, minY: r.row * rh, maxX: (r.col + 1) * rw, maxY: (r.row + 1) * rh };
}

export const regionCenter = (w: WorldConfig, r: Region) => {
  const b = regionBounds(w, r);
  return { x: (b.minX + b.maxX) / 2, y: (b.minY + b.maxY) / 2 };
};

/** Every region, row by row. */
export function allRegions(w: WorldConfig): Region[] {
  const out: Region[] = [];
  for (let row = 0; row < w.rows; row++) for (let col = 0; col < w.cols; col++) out.push({ col, row });
  return out;
}

/** The up to 8 regions touching `r` (edges and corners), inside the world only. */
export function neighbours(w: WorldConfig, r: Region): Region[] {
  const out: Region[] = [];
  for (let dr = -1; dr <= 1; dr++) {
    for (let dc = -1; dc <= 1; dc++) {
      if (dc === 0 && dr === 0) continue;
      const n = { col: r.col + dc, row: r.row + dr };
      if (isRegion(w, n)) out.push(n);
    }
  }
  return out;
}

export interface BorderDistances {
  west: number;
  east: number;
  north: number;
  south: number;
}

/** Distance from a point to each side of region `r` (negative when the point is outside that side). */
export function borderDistances(w: WorldConfig, r: Region, x: number, y: number): BorderDistances {
  const b = regionBounds(w, r);
  return { west: x - b.minX, east: b.maxX - x, north: y - b.minY, south: b.maxY - y };
}

/**
 * The neighbouring regions whose border is within `margin` of the point (the regions that should
 * see a ghost of an entity there). Only sides that are inner borders count; the world edge has no
 * neighbour.
 */
export function regionsWithin(w: WorldConfig, r: Region, x: number, y: number, margin: number): Region[] {
  const b = regionBounds(w, r);
  const out: Region[] = [];
  // Called for every ship near a border every tick: no intermediate arrays.
  for (const dr of STEPS) {
    if ((dr < 0 && y - b.minY > margin) || (dr > 0 && b.maxY - y > margin)) continue;
    for (const dc of STEPS) {
      if ((dc === 0 && dr === 0) || (dc < 0 && x - b.minX > margin) || (dc > 0 && b.maxX - x > margin)) continue;
      const n = { col: r.col + dc, row: r.row + dr };
      if (isRegion(w, n)) out.push(n);
    }
  }
  return out;
}
const STEPS = [0, -1, 1] as const;

/** Keeps a point inside the world rectangle. */
export function clampToWorld(w: WorldConfig, x: number, y: number): { x: number; y: number } {
  return { x: Math.min(w.width, Math.max(0, x)), y: Math.min(w.height, Math.max(0, y)) };
}

/** The Colyseus room name every region room is defined under. */
export const REGION_ROOM_NAME = "region";

/**
 * The stable Colyseus room id of a region: `region-<col>-<row>`. It is the same on every zone
 * process and across restarts, so world entry can reserve a seat in it by id.
 */
export const regionRoomId = (r: Region): string => `region-${r.col}-${r.row}`;

/** The region named by a room id, or null if the id is not a region room id. */
export function parseRegionRoomId(id: string): Region | null {
  const m = /^region-(\d{1,3})-(\d{1,3})$/.exec(id);
  return m ? { col: Number(m[1]), row: Number(m[2]) } : null;
}

export const sameRegion = (a: Region, b: Region) => a.col === b.col && a.row === b.row;
