// Generated zone frames, from a seeded generator so a run can be repeated. Each frame has a kind
// (what it tries) and whether it is expected to keep the connection (a well-formed message the
// zone refuses with an `error` reply or drops) or may end it (bytes that are not a message of the
// protocol, oversized frames: a documented close).
import { type Packable, pack } from "./msgpack.js";

/** Colyseus's protocol byte for a room message (`Protocol.ROOM_DATA`). */
export const ROOM_DATA = 13;

export interface Frame {
  kind: string;
  bytes: Uint8Array;
  /** False when the zone may close the connection for it (and that close must be documented). */
  keeps: boolean;
}

/** mulberry32: small, fast, seeded. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EDGE_NUMBERS: Packable[] = [
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  2 ** 53,
  2 ** 53 + 2,
  -(2 ** 53),
  2n ** 64n - 1n,
  -(2n ** 63n),
  -0,
  1e308,
  -1e308,
  5e-324,
  0.5,
  -1,
  4294967295,
  0,
  1,
];

export interface FrameGenerator {
  next(): Frame;
}

export interface GeneratorOptions {
  seed: number;
  /** Share of frames that may close the connection (the rest are messages the zone must answer or drop). */
  closing: number;
  /** The zone's message size limit: oversized frames go past it. */
  maxMessageBytes: number;
}

export function frameGenerator(o: GeneratorOptions): FrameGenerator {
  const r = rng(o.seed);
  const int = (n: number) => Math.floor(r() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  let seq = 1;

  const str = (max: number) =>
    Array.from({ length: int(max) }, () =>
      String.fromCodePoint(pick([0x20 + int(95), int(0xd7ff), 0x1f600 + int(80)])),
    ).join("");
  const nested = (depth: number): Packable => {
    let v: Packable = pick(EDGE_NUMBERS);
    for (let i = 0; i < depth; i++) v = r() < 0.5 ? [v] : { a: v };
    return v;
  };
  const value = (depth = 0): Packable => {
    switch (int(depth > 2 ? 5 : 8)) {
      case 0:
      case 1:
        return pick(EDGE_NUMBERS);
      case 2:
        return str(40);
      case 3:
        return pick([null, true, false]);
      case 4:
        return int(1000) - 500;
      case 5:
        return Array.from({ length: int(6) }, () => value(depth + 1));
      case 6: {
        const o: Record<string, Packable> = {};
        for (let i = int(6); i > 0; i--) o[str(12)] = value(depth + 1);
        return o;
      }
      default:
        return nested(1 + int(60));
    }
  };
  const message = (type: Packable, payload?: Packable) =>
    new Uint8Array([ROOM_DATA, ...pack(type), ...(payload === undefined ? [] : pack(payload))]);

  // Messages of the protocol (or shaped like them) with wrong contents: the connection stays.
  const keeping: (() => Frame)[] = [
    () => {
      // An input with some fields wrong, some missing, some extra.
      const input: Record<string, Packable> = {};
      const fields: [string, () => Packable][] = [
        ["seq", () => (r() < 0.5 ? seq++ : value())],
        // Valid values keep the ship still: a seat flying off across a border would be handed off (4107).
        ["thrust", () => (r() < 0.3 ? 0 : value())],
        ["turn", () => (r() < 0.3 ? r() * 2 - 1 : value())],
        ["fire", () => (r() < 0.3 ? r() < 0.5 : value())],
        ["ship", () => str(40)],
        ["x", value],
        [str(8), value],
      ];
      for (const [k, v] of fields) if (r() < 0.7) input[k] = v();
      return { kind: "input_wrong_fields", bytes: message("input", input), keeps: true };
    },
    () => ({
      kind: "input_not_an_object",
      bytes: message("input", pick([value(), [seq++, 1, 0, false], str(30), null])),
      keeps: true,
    }),
    () => ({
      kind: "input_valid",
      bytes: message("input", { seq: seq++, thrust: 0, turn: r() * 2 - 1, fire: r() < 0.2 }),
      keeps: true,
    }),
    () => {
      const action: Record<string, Packable> = {};
      if (r() < 0.8) action.kind = pick<Packable>(["mine", "sell", "buy", "respawn", str(20), value()]);
      if (r() < 0.6) action.target = value();
      if (r() < 0.3) action[str(6)] = value();
      return { kind: "action_wrong_fields", bytes: message("action", action), keeps: true };
    },
    () => ({ kind: "handoff_from_client", bytes: message("handoff", value()), keeps: true }),
    () => ({ kind: "error_from_client", bytes: message("error", value()), keeps: true }),
    () => ({
      kind: "unknown_type",
      bytes: message(pick<Packable>([str(60), "", "*", "__proto__", "constructor", int(70000), -1]), value()),
      keeps: true,
    }),
    () => ({ kind: "no_payload", bytes: message(pick(["input", "action", str(10)])), keeps: true }),
    () => {
      // Arrays only (one byte a level), so it fits the size limit: depth, not size, is the test.
      let v: Packable = pick(EDGE_NUMBERS);
      for (let i = 100 + int(300); i > 0; i--) v = [v];
      return { kind: "deep_nesting", bytes: message(pick(["input", "action"]), v), keeps: true };
    },
    () => ({
      kind: "edge_numbers",
      bytes: message("input", {
        seq: pick(EDGE_NUMBERS),
        thrust: pick(EDGE_NUMBERS),
        turn: pick(EDGE_NUMBERS),
        fire: pick(EDGE_NUMBERS),
      }),
      keeps: true,
    }),
  ];

  // Not messages of the protocol: the zone may close (with a documented code), never crash.
  const closing: (() => Frame)[] = [
    () => ({
      kind: "random_bytes",
      bytes: Uint8Array.from({ length: 1 + int(200) }, () => int(256)),
      keeps: false,
    }),
    () => {
      const head = [ROOM_DATA, ...pack(pick(["input", "action"]))];
      return {
        kind: "header_then_random",
        bytes: Uint8Array.from([...head, ...Array.from({ length: 1 + int(100) }, () => int(256))]),
        keeps: false,
      };
    },
    () => {
      const full = message("input", { seq: seq++, thrust: 1, turn: 0, fire: false, pad: str(60) });
      return { kind: "truncated", bytes: full.subarray(0, 1 + int(full.length - 1)), keeps: false };
    },
    () => ({
      kind: "oversized",
      bytes: message("input", { seq: seq++, pad: "x".repeat(o.maxMessageBytes + 1 + int(3 * o.maxMessageBytes)) }),
      keeps: false,
    }),
    () => ({
      kind: "lying_length",
      // A str32 header claiming 4 GiB followed by a few bytes.
      bytes: new Uint8Array([ROOM_DATA, 0xdb, 0xff, 0xff, 0xff, 0xff, 0x61, 0x62]),
      keeps: false,
    }),
    () => ({
      kind: "other_protocol_byte",
      bytes: new Uint8Array([pick([0, 10, 11, 14, 15, 16, 17, 18, 21, 22, 31, 255]), ...pack(value())]),
      keeps: false,
    }),
  ];

  return {
    next() {
      if (r() < o.closing) return pick(closing)();
      const f = pick(keeping)();
      // Random contents can outgrow the limit: then it is an oversized frame, whatever it meant to be.
      return f.bytes.length > o.maxMessageBytes ? { kind: "oversized", bytes: f.bytes, keeps: false } : f;
    },
  };
}
