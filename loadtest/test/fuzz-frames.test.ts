// The fuzzer's frames: our msgpack encoder writes the edge values byte for byte, the generator is
// repeatable from its seed, and a frame meant to keep the connection is a well-formed room message
// within the size limit (so a close after one is the zone's doing, not the fuzzer's mislabelling).
import assert from "node:assert/strict";
import { test } from "node:test";
import { frameGenerator, ROOM_DATA } from "../src/fuzz/frames.js";
import { pack } from "../src/fuzz/msgpack.js";

const hex = (bytes: number[]) => Buffer.from(bytes).toString("hex");

test("msgpack: edge values are written as the spec says", () => {
  assert.equal(hex(pack(null)), "c0");
  assert.equal(hex(pack(true)), "c3");
  assert.equal(hex(pack(5)), "05");
  assert.equal(hex(pack(-1)), "ff");
  assert.equal(hex(pack(300)), "ce0000012c");
  assert.equal(hex(pack(Number.NaN)), "cb7ff8000000000000");
  assert.equal(hex(pack(Number.POSITIVE_INFINITY)), "cb7ff0000000000000");
  assert.equal(hex(pack(-0)), "cb8000000000000000");
  assert.equal(hex(pack(2 ** 53)), "cb4340000000000000");
  assert.equal(hex(pack(2n ** 64n - 1n)), "cfffffffffffffffff");
  assert.equal(hex(pack(-(2n ** 63n))), "d38000000000000000");
  assert.equal(hex(pack("input")), "a5696e707574");
  assert.equal(hex(pack("x".repeat(40))).slice(0, 4), "d928");
  assert.equal(hex(pack([1, [2]])), "92019102");
  assert.equal(hex(pack({ a: 1 })), "81a16101");
});

test("frames: the same seed gives the same frames; another seed others", () => {
  const take = (seed: number) => {
    const g = frameGenerator({ seed, closing: 0.1, maxMessageBytes: 1024 });
    return Array.from({ length: 200 }, () => Buffer.from(g.next().bytes).toString("hex"));
  };
  assert.deepEqual(take(7), take(7));
  assert.notDeepEqual(take(7), take(8));
});

test("frames: keeping ones are room messages within the limit; the closing share is about as asked; every kind appears", () => {
  const g = frameGenerator({ seed: 3, closing: 0.05, maxMessageBytes: 1024 });
  const kinds = new Set<string>();
  let closing = 0;
  const n = 20_000;
  for (let i = 0; i < n; i++) {
    const f = g.next();
    kinds.add(f.kind);
    if (!f.keeps) {
      closing++;
      continue;
    }
    assert.equal(f.bytes[0], ROOM_DATA, f.kind);
    assert.ok(f.bytes.length <= 1024, `${f.kind}: ${f.bytes.length} bytes`);
  }
  assert.ok(closing / n > 0.04 && closing / n < 0.08, `closing share ${closing / n}`);
  for (const kind of [
    "input_wrong_fields",
    "input_valid",
    "action_wrong_fields",
    "handoff_from_client",
    "unknown_type",
    "deep_nesting",
    "edge_numbers",
    "random_bytes",
    "header_then_random",
    "truncated",
    "oversized",
    "lying_length",
    "other_protocol_byte",
  ])
    assert.ok(kinds.has(kind), kind);
});
