// The browser client's prediction of its own ship and interpolation of the others, without a
// browser: a zone's worth of ticks run with the zone's own flight code, inputs sent between them.
import assert from "node:assert/strict";
import { test } from "node:test";
import { flyAmong, type Motion } from "@starlane/shared/client";
import { Interpolator } from "../src/interpolate.js";
import { type Control, type PredictionContext, Predictor } from "../src/predict.js";

const DT = 1 / 20;
const TICK_MS = 50;
const ctx: PredictionContext = {
  world: { width: 8000, height: 8000, cols: 4, rows: 4 },
  solids: [{ x: 4300, y: 4000, radius: 60 }],
  rttMs: 0,
};
const START: Motion = { x: 4000, y: 4000, vx: 0, vy: 0, heading: 0 };
const close = (a: Motion, b: Motion, eps = 1e-6) =>
  Math.abs(a.x - b.x) < eps && Math.abs(a.y - b.y) < eps && Math.abs(a.vx - b.vx) < eps && Math.abs(a.vy - b.vy) < eps;

/** The zone: one input a tick (the oldest queued that has arrived), flying with the last control. */
function serverRun(inputs: { at: number; control: Control }[], ticks: number) {
  const states: { motion: Motion; ack: number }[] = [{ motion: START, ack: 0 }];
  let m = START;
  let control: Control = { thrust: 0, turn: 0 };
  let next = 0;
  for (let k = 1; k <= ticks; k++) {
    if (next < inputs.length && inputs[next]!.at <= k * TICK_MS) control = inputs[next++]!.control;
    m = flyAmong(m, control.thrust, control.turn, DT, ctx.world, ctx.solids);
    states.push({ motion: m, ack: next });
  }
  return states;
}

/** A small seeded generator: the same 200 cases every run, different cases each. */
function lcg(seed: number) {
  let x = seed >>> 0;
  return (n: number) => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x % n;
  };
}

test("prediction from any acknowledged tick replays the unacknowledged inputs to exactly where the zone puts the ship", () => {
  for (let run = 0; run < 200; run++) {
    const rnd = lcg(run + 1);
    // Inputs at most one a tick, sent between ticks, at random moments of random ticks.
    let t = 0;
    const inputs = Array.from({ length: 1 + rnd(12) }, () => {
      t = (Math.floor(t / TICK_MS) + 1 + rnd(3)) * TICK_MS + 1 + rnd(48);
      return { at: t, control: { thrust: rnd(2), turn: rnd(3) - 1 } };
    });
    const ticks = Math.ceil(t / TICK_MS) + 10;
    const server = serverRun(inputs, ticks);
    const T = rnd(ticks);
    const base = server[T]!;
    const p = new Predictor(DT);
    // The page sent every input at its time; the state of tick T arrives at T's time (no latency).
    inputs.forEach((input, i) => {
      p.sent(i + 1, input.control, input.at);
    });
    p.acknowledged(base.motion, base.ack, ctx, T * TICK_MS);
    for (let j = 0; T + j <= ticks; j++) {
      const predicted = p.predicted(T * TICK_MS + j * TICK_MS, ctx)!;
      assert.ok(close(predicted, server[T + j]!.motion), `run ${run}: tick ${T}+${j}`);
    }
  }
});

test("an input the zone has not acknowledged moves the predicted ship at once; the server state alone would not", () => {
  const p = new Predictor(DT);
  p.acknowledged(START, 0, ctx, 1000);
  assert.ok(close(p.predicted(1040, ctx)!, START), "at rest without input");
  p.sent(1, { thrust: 1, turn: 0 }, 1010);
  const moved = p.predicted(1040, ctx)!;
  assert.ok(moved.x > START.x, `predicted x ${moved.x}`);
});

test("a correction is smoothed: the shown ship does not jump when the server disagrees, and converges to the truth", () => {
  const p = new Predictor(DT);
  p.sent(1, { thrust: 1, turn: 0 }, 990);
  p.acknowledged(START, 1, ctx, 1000);
  const before = p.shown(1050, ctx)!;
  // The zone says the ship is 12 units further along than predicted (say, a collision we missed).
  const truth = { ...p.predicted(1050, ctx)!, x: p.predicted(1050, ctx)!.x + 12 };
  p.acknowledged(truth, 1, ctx, 1050);
  const after = p.shown(1050, ctx)!;
  assert.ok(Math.hypot(after.x - before.x, after.y - before.y) < 1e-6, "no visible jump at the correction");
  const later = p.shown(1650, ctx)!;
  const target = p.predicted(1650, ctx)!;
  assert.ok(Math.abs(later.x - target.x) < 0.05, `converged: ${later.x} vs ${target.x}`); // 12 e^-6
  // A teleport (respawn, a reconnect elsewhere) is shown at once.
  p.acknowledged({ ...START, x: 1000 }, 1, ctx, 1700);
  assert.ok(Math.abs(p.shown(1700, ctx)!.x - 1000) < 1e-6);
});

test("others are drawn between the two states around now - 100 ms, by id across rooms; a teleport starts over", () => {
  const i = new Interpolator(100);
  i.observe("ship:a", { x: 0, y: 0, heading: 0 }, 1000);
  i.observe("ship:a", { x: 10, y: 0, heading: 0 }, 1050);
  i.observe("ship:a", { x: 20, y: 0, heading: 0 }, 1100); // e.g. now from the neighbour room
  assert.equal(i.at("ship:a", 1125)!.x, 5);
  assert.equal(i.at("ship:a", 1175)!.x, 15);
  assert.equal(i.at("ship:a", 1500)!.x, 20, "held at the newest");
  assert.equal(i.at("ship:a", 900)!.x, 0, "held at the oldest");
  // Heading goes the short way round.
  const h = new Interpolator(100);
  h.observe("s", { x: 0, y: 0, heading: 3.1 }, 0);
  h.observe("s", { x: 0, y: 0, heading: -3.1 }, 50);
  assert.ok(Math.abs(Math.abs(h.at("s", 125)!.heading) - Math.PI) < 0.01);
  i.observe("ship:a", { x: 2000, y: 0, heading: 0 }, 1150);
  assert.equal(i.at("ship:a", 1200)!.x, 2000, "a respawn is not slid across the map");
  i.forget(1151);
  assert.equal(i.at("ship:a", 1200), undefined);
});

test("drawn: late, bunched states or a lagging ghost turning owned never show as a step; the drawn ship catches up", () => {
  const i = new Interpolator(100);
  const speed = 480; // units/s: the page's limit for ships (1.2 x the top speed of 400)
  // A ship at 400 units/s, one state a tick (50 ms, 20 units) ...
  for (let k = 0; k <= 4; k++) i.observe("ship:a", { x: 20 * k, y: 0, heading: 0 }, 1000 + 50 * k);
  // ... then the states stall for 180 ms (longer than the 100 ms buffer: the drawn ship stops at the
  // newest state) and the next one arrives three ticks on (a zone catching up, or the owner's states
  // taking over from a ghost that lagged): interpolation alone would step forward at once.
  let last = i.drawn("ship:a", 1200, speed)!;
  let worst = 0;
  for (let now = 1216; now <= 1700; now += 16) {
    if (now >= 1380 && now - 16 < 1380) i.observe("ship:a", { x: 140, y: 0, heading: 0 }, now);
    const d = i.drawn("ship:a", now, speed)!;
    worst = Math.max(worst, d.x - last.x - 400 * 0.016);
    assert.ok(d.x - last.x <= (480 * 16) / 1000 + 1e-9, `a step of ${d.x - last.x} in 16 ms at ${now}`);
    last = d;
  }
  assert.ok(worst > 0, "the state stream did run ahead (the limit was needed)");
  assert.equal(last.x, 140, "caught up with the newest state");
  // A teleport (respawn) is still drawn at once.
  i.observe("ship:a", { x: 3000, y: 0, heading: 0 }, 1650);
  assert.equal(i.drawn("ship:a", 1800, speed)!.x, 3000);
});
