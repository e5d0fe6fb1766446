import assert from "node:assert/strict";
import { test } from "node:test";
import { SpatialGrid } from "../src/grid.js";
import { CellGrid } from "../src/interest.js";

test("the grid finds what is near without visiting far cells", () => {
  const g = new SpatialGrid<string>(100);
  g.insert("a", 50, 50);
  g.insert("b", 150, 50);
  g.insert("far", 5000, 5000);
  g.insert("neg", -50, -50);
  const seen: string[] = [];
  g.near(60, 60, 100, (x) => seen.push(x));
  assert.deepEqual(seen.sort(), ["a", "b", "neg"]);
});

test("cells: a point's cell, the 3 x 3 around it, clamped at the grid's edges (region plus margin)", () => {
  const grid = new CellGrid({ minX: 2000, minY: 2000, maxX: 4000, maxY: 4000 }, 500, 250);
  // 2500 / 500 = 5 columns and rows, starting at 1750.
  assert.equal(grid.cells, 25);
  assert.equal(grid.keyOf(1750, 1750), 0);
  assert.equal(grid.keyOf(2249, 1750), 0);
  assert.equal(grid.keyOf(2250, 1750), 1);
  assert.equal(grid.keyOf(0, 0), 0, "outside: the edge cell");
  assert.equal(grid.keyOf(9999, 9999), 24);
  assert.deepEqual(grid.around(3000, 3000), [6, 7, 8, 11, 12, 13, 16, 17, 18]);
  assert.deepEqual(grid.around(1800, 1800), [0, 1, 5, 6], "a corner has four");
  assert.ok(grid.contains(grid.around(3000, 3000), 2300, 3600));
  assert.ok(!grid.contains(grid.around(3000, 3000), 2200, 3000));
});
