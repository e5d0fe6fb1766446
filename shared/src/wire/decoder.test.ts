// The decoder against the committed test vectors (shared/src/wire/vectors: frames the zone's encoder
// wrote, with the world each decodes to; other clients' decoders can be checked against the same
// files), and its refusals of truncated and corrupt frames.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { BitReader, BitWriter, WireError } from "./bits.js";
import { RegionDecoder, snapshotWorld } from "./decoder.js";

const DIR = fileURLToPath(new URL("./vectors/", import.meta.url));
interface Vector {
  description: string;
  self: string;
  frames: ({ hex: string; world: unknown } | { hex: string; error: string })[];
}
const load = (name: string) => JSON.parse(readFileSync(`${DIR}${name}`, "utf8")) as Vector;
const bytes = (hex: string) => new Uint8Array(Buffer.from(hex, "hex"));

test("every committed vector decodes to its world, frame after frame", () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith(".json"));
  assert.ok(files.includes("scene.json"));
  for (const f of files.filter((x) => x !== "refused.json")) {
    const v = load(f);
    const d = new RegionDecoder(v.self);
    v.frames.forEach((fr, i) => {
      if ("error" in fr) {
        assert.throws(() => d.apply(bytes(fr.hex)), WireError, `${f} frame ${i}`);
        return;
      }
      d.apply(bytes(fr.hex));
      assert.deepEqual(snapshotWorld(d), fr.world, `${f} frame ${i}`);
    });
  }
});

test("truncated and corrupt frames are refused with a clear error, and so is everything until a reset", () => {
  const v = load("refused.json");
  const [reset, ...bad] = v.frames;
  for (const fr of bad) {
    const d = new RegionDecoder(v.self);
    d.apply(bytes(reset!.hex));
    assert.ok("error" in fr);
    assert.throws(
      () => d.apply(bytes(fr.hex)),
      (err: Error) => err instanceof WireError && err.message.startsWith(fr.error),
      fr.error,
    );
  }
  // After a refusal the state is not trusted: a good delta is refused too, a reset starts over.
  const scene = load("scene.json");
  const d = new RegionDecoder(scene.self);
  d.apply(bytes(scene.frames[0]!.hex));
  assert.throws(() => d.apply(bytes(scene.frames[1]!.hex).subarray(0, 5)), WireError);
  assert.throws(() => d.apply(bytes(scene.frames[1]!.hex)), WireError);
  d.apply(bytes(scene.frames[0]!.hex));
  d.apply(bytes(scene.frames[1]!.hex));
  assert.deepEqual(snapshotWorld(d), (scene.frames[1] as { world: unknown }).world);
  // A delta before any full state, and random garbage, never throw anything but a WireError.
  assert.throws(() => new RegionDecoder().apply(bytes(scene.frames[1]!.hex)), WireError);
  for (let i = 0; i < 2000; i++) {
    const junk = Uint8Array.from({ length: 1 + (i % 40) }, () => Math.floor(Math.random() * 256));
    if (i % 2) junk[0] = 1;
    try {
      new RegionDecoder().apply(junk);
    } catch (err) {
      assert.ok(err instanceof WireError, String(err));
    }
  }
});

test("the bit coder round-trips the variable-length classes at their edges", () => {
  const values = [0, 1, 4, 5, 68, 69, 4164, 4165, 2 ** 31, 2 ** 32 - 1];
  const signed = [0, -1, 1, -2, 2, -34, 34, -35, 2082, -2083, 2 ** 30, -(2 ** 30)];
  const w = new BitWriter(4);
  for (const v of values) w.uvar(v);
  for (const v of signed) w.svar(v);
  w.bits(0x2abcdef, 26);
  w.string("Ünïcode ✓");
  const r = new BitReader(w.finish());
  for (const v of values) assert.equal(r.uvar(), v);
  for (const v of signed) assert.equal(r.svar(), v);
  assert.equal(r.bits(26), 0x2abcdef);
  assert.equal(r.string(), "Ünïcode ✓");
  assert.throws(() => r.bits(8), WireError);
});
