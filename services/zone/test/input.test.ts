import assert from "node:assert/strict";
import { test } from "node:test";
import { InputQueue, parseAction, parseInput } from "../src/input.js";

test("valid inputs pass; malformed and out-of-range ones are refused with a reason", () => {
  assert.deepEqual(parseInput({ seq: 1, thrust: 0.5, turn: -1, fire: true }, "me"), {
    ok: true,
    input: { seq: 1, thrust: 0.5, turn: -1, fire: true },
  });
  assert.equal(parseInput({ seq: 1, thrust: 0.5, turn: 0, fire: false, ship: "me" }, "me").ok, true);
  const bad: [unknown, string][] = [
    ["hello", "malformed"],
    [null, "malformed"],
    [[1, 2], "malformed"],
    [{ seq: "1", thrust: 0, turn: 0, fire: false }, "malformed"],
    [{ seq: 1, thrust: Number.NaN, turn: 0, fire: false }, "malformed"],
    [{ seq: 1, thrust: 0, turn: 0, fire: 1 }, "malformed"],
    [{ seq: 1, thrust: 0, turn: 0, fire: false, a: 1, b: 2 }, "malformed"],
    [{ seq: 1.5, thrust: 0, turn: 0, fire: false }, "out_of_range"],
    [{ seq: 0, thrust: 0, turn: 0, fire: false }, "out_of_range"],
    [{ seq: 2 ** 31, thrust: 0, turn: 0, fire: false }, "out_of_range"],
    [{ seq: 1, thrust: 1.01, turn: 0, fire: false }, "out_of_range"],
    [{ seq: 1, thrust: -0.1, turn: 0, fire: false }, "out_of_range"],
    [{ seq: 1, thrust: 0, turn: 2, fire: false }, "out_of_range"],
    [{ seq: 1, thrust: 0, turn: 0, fire: false, ship: "someone-else" }, "not_your_ship"],
  ];
  for (const [msg, reason] of bad) assert.deepEqual(parseInput(msg, "me"), { ok: false, reason }, JSON.stringify(msg));
});

test("actions: mine needs a target, sell does not, acting for another ship is refused", () => {
  assert.deepEqual(parseAction({ kind: "mine", target: "ast-1" }, "me"), {
    ok: true,
    action: { kind: "mine", target: "ast-1" },
  });
  assert.deepEqual(parseAction({ kind: "sell" }, "me"), { ok: true, action: { kind: "sell" } });
  assert.deepEqual(parseAction({ kind: "mine" }, "me"), { ok: false, reason: "malformed" });
  assert.deepEqual(parseAction({ kind: "warp" }, "me"), { ok: false, reason: "malformed" });
  assert.deepEqual(parseAction({ kind: "sell", ship: "x" }, "me"), { ok: false, reason: "not_your_ship" });
});

test("the queue keeps order, refuses replays and drops overflow", () => {
  const q = new InputQueue(3);
  const input = (seq: number) => ({ seq, thrust: 0, turn: 0, fire: false });
  assert.equal(q.push(input(1)), "queued");
  assert.equal(q.push(input(3)), "queued", "gaps are fine (a lost input is not waited for)");
  assert.equal(q.push(input(2)), "replayed", "older than the newest accepted");
  assert.equal(q.push(input(3)), "replayed");
  assert.equal(q.push(input(4)), "queued");
  assert.equal(q.push(input(5)), "overflow");
  assert.equal(q.size, 3);
  assert.deepEqual([q.shift()?.seq, q.shift()?.seq, q.shift()?.seq, q.shift()], [1, 3, 4, undefined]);
  assert.equal(q.push(input(5)), "queued", "an overflowed seq may be sent again");
  const resumed = new InputQueue(3, 40);
  assert.equal(resumed.push(input(40)), "replayed", "a rejoining client continues after the acknowledged seq");
});
