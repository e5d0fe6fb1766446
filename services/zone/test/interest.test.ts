import assert from "node:assert/strict";
import { test } from "node:test";
import { SpatialGrid } from "../src/grid.js";
import { InterestGrid, type Placed } from "../src/interest.js";

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

test("interest: only entities within the radius, own ship always; enter and leave are reported once", () => {
  const grid = new InterestGrid<Placed>(1500);
  const me = { key: "me", x: 0, y: 0 };
  const near = { key: "near", x: 1000, y: 1000 };
  const far = { key: "far", x: 1500, y: 1500 }; // 2121 away: inside the 3x3 cells, outside the circle
  grid.rebuild([me, near, far]);
  const seen = new Set<string>();
  const first = grid.update(seen, 0, 0, [me]);
  assert.deepEqual(first.enter.map((e) => e.key).sort(), ["me", "near"]);
  assert.deepEqual(first.leave, []);
  assert.deepEqual(grid.update(seen, 0, 0, [me]), { enter: [], leave: [] }, "nothing changed, nothing to send");
  near.x = 3000;
  far.x = 500;
  far.y = 500;
  grid.rebuild([me, near, far]);
  const second = grid.update(seen, 0, 0, [me]);
  assert.deepEqual(
    second.enter.map((e) => e.key),
    ["far"],
  );
  assert.deepEqual(second.leave, ["near"]);
  const away = { key: "me", x: 9000, y: 9000 };
  grid.rebuild([away, near, far]);
  assert.deepEqual(grid.update(seen, 9000, 9000, [away]).enter, [], "own ship stays in view wherever it is");
});

test("interest scales with neighbours, not with the region: 10 000 spread entities", () => {
  const grid = new InterestGrid<Placed>(1500);
  const all: Placed[] = [];
  for (let i = 0; i < 10_000; i++) all.push({ key: `e${i}`, x: (i % 100) * 200, y: Math.floor(i / 100) * 200 });
  grid.rebuild(all);
  const visible = grid.visibleFrom(10_000, 10_000);
  const expected = all.filter((e) => Math.hypot(e.x - 10_000, e.y - 10_000) <= 1500).length;
  assert.equal(visible.size, expected);
  assert.ok(visible.size < 300);
});
