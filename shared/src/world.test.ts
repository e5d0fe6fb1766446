import assert from "node:assert/strict";
import { test } from "node:test";
import { loadConfig } from "./config.js";
import {
  allRegions,
  borderDistances,
  clampToWorld,
  DEFAULT_WORLD,
  defineWorld,
  neighbours,
  parseRegionRoomId,
  regionBounds,
  regionOf,
  regionRoomId,
  regionsWithin,
  worldConfigSpec,
  worldFromConfig,
} from "./world.js";

const w = DEFAULT_WORLD; // 8000 x 8000, 4 x 4: regions are 2000 x 2000

test("the default world is 8000 x 8000 in 4 x 4 regions, and config can change it", () => {
  assert.deepEqual(worldFromConfig(loadConfig(worldConfigSpec, {})), { width: 8000, height: 8000, cols: 4, rows: 4 });
  const small = worldFromConfig(
    loadConfig(worldConfigSpec, { STARLANE_WORLD_WIDTH: "3000", STARLANE_REGION_COLS: "3" }),
  );
  assert.deepEqual(small, { width: 3000, height: 8000, cols: 3, rows: 4 });
  assert.throws(() => loadConfig(worldConfigSpec, { STARLANE_REGION_ROWS: "0" }), /STARLANE_REGION_ROWS/);
  assert.throws(() => defineWorld({ width: 10, height: 10, cols: 1.5, rows: 1 }), /cols/);
});

test("regionOf: cells are half-open, outside points clamp to the edge region", () => {
  assert.deepEqual(regionOf(w, 0, 0), { col: 0, row: 0 });
  assert.deepEqual(regionOf(w, 1999.9, 1999.9), { col: 0, row: 0 });
  assert.deepEqual(regionOf(w, 2000, 2000), { col: 1, row: 1 });
  assert.deepEqual(regionOf(w, 7999, 4500), { col: 3, row: 2 });
  assert.deepEqual(regionOf(w, 8000, 8000), { col: 3, row: 3 });
  assert.deepEqual(regionOf(w, -50, 9000), { col: 0, row: 3 });
  assert.deepEqual(regionOf(w, Number.NaN, 10), { col: 0, row: 0 });
});

test("regionBounds and borderDistances agree", () => {
  assert.deepEqual(regionBounds(w, { col: 1, row: 2 }), { minX: 2000, minY: 4000, maxX: 4000, maxY: 6000 });
  assert.deepEqual(borderDistances(w, { col: 1, row: 2 }, 2100, 5900), {
    west: 100,
    east: 1900,
    north: 1900,
    south: 100,
  });
  assert.ok(borderDistances(w, { col: 1, row: 2 }, 1990, 5000).west < 0, "outside the west side is negative");
});

test("neighbours: 8 in the middle, 3 in a corner, 5 on an edge; none outside the world", () => {
  assert.equal(neighbours(w, { col: 1, row: 1 }).length, 8);
  assert.deepEqual(neighbours(w, { col: 0, row: 0 }), [
    { col: 1, row: 0 },
    { col: 0, row: 1 },
    { col: 1, row: 1 },
  ]);
  assert.equal(neighbours(w, { col: 3, row: 1 }).length, 5);
  assert.equal(neighbours(defineWorld({ width: 10, height: 10, cols: 1, rows: 1 }), { col: 0, row: 0 }).length, 0);
});

test("regionsWithin: the neighbours whose border is near a point, corners included", () => {
  const r = { col: 1, row: 1 };
  assert.deepEqual(regionsWithin(w, r, 3000, 3000, 200), []);
  assert.deepEqual(regionsWithin(w, r, 2100, 3000, 200), [{ col: 0, row: 1 }]);
  const corner = regionsWithin(w, r, 3950, 2050, 200);
  assert.deepEqual(new Set(corner.map(regionRoomId)), new Set(["region-2-1", "region-1-0", "region-2-0"]));
  assert.deepEqual(regionsWithin(w, { col: 0, row: 0 }, 10, 10, 200), [], "the world edge has no neighbour");
});

test("room ids are stable and round-trip", () => {
  assert.equal(regionRoomId({ col: 2, row: 3 }), "region-2-3");
  for (const r of allRegions(w)) assert.deepEqual(parseRegionRoomId(regionRoomId(r)), r);
  assert.equal(allRegions(w).length, 16);
  assert.equal(parseRegionRoomId("region-1"), null);
  assert.equal(parseRegionRoomId("lobby"), null);
});

test("clampToWorld keeps points inside", () => {
  assert.deepEqual(clampToWorld(w, -5, 8100), { x: 0, y: 8000 });
  assert.deepEqual(clampToWorld(w, 10, 20), { x: 10, y: 20 });
});
