// Inbound control messages: validation (shape, types, ranges, ownership, sequence) and the bounded
// per-client queue they wait in until a tick applies them. Nothing here throws on bad input: it
// returns a verdict the room counts and reports.
import type { Action, ControlInput } from "./rules/types.js";

export const MAX_SEQ = 2 ** 31 - 1;

export type InputVerdict =
  | { ok: true; input: ControlInput }
  | { ok: false; reason: "malformed" | "out_of_range" | "not_your_ship" };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/**
 * Validates an `input` message `{ seq, thrust, turn, fire, ship? }` from the player owning `shipId`.
 * `ship`, when present, must name the sender's own ship.
 */
export function parseInput(msg: unknown, shipId: string): InputVerdict {
  if (!isObject(msg) || Object.keys(msg).length > 5) return { ok: false, reason: "malformed" };
  const { seq, thrust, turn, fire, ship } = msg;
  if (ship !== undefined && ship !== shipId) return { ok: false, reason: "not_your_ship" };
  if (!finite(seq) || !finite(thrust) || !finite(turn) || typeof fire !== "boolean") {
    return { ok: false, reason: "malformed" };
  }
  if (!Number.isInteger(seq) || seq < 1 || seq > MAX_SEQ) return { ok: false, reason: "out_of_range" };
  if (thrust < 0 || thrust > 1 || turn < -1 || turn > 1) return { ok: false, reason: "out_of_range" };
  return { ok: true, input: { seq, thrust, turn, fire } };
}

export type ActionVerdict = { ok: true; action: Action } | { ok: false; reason: "malformed" | "not_your_ship" };

/** Validates an `action` message `{ kind, target?, ship? }`. */
export function parseAction(msg: unknown, shipId: string): ActionVerdict {
  if (!isObject(msg) || Object.keys(msg).length > 3) return { ok: false, reason: "malformed" };
  const { kind, target, ship } = msg;
  if (ship !== undefined && ship !== shipId) return { ok: false, reason: "not_your_ship" };
  if (kind === "mine" && typeof target === "string" && target.length > 0 && target.length <= 64) {
    return { ok: true, action: { kind, target } };
  }
  if ((kind === "sell" || kind === "respawn") && target === undefined) return { ok: true, action: { kind } };
  if (kind === "buy" && target === "hold") return { ok: true, action: { kind, target } };
  return { ok: false, reason: "malformed" };
}

export type Enqueued = "queued" | "replayed" | "overflow";

/**
 * One client's pending inputs, in sequence order, at most `capacity` of them. A sequence number at
 * or below the last one accepted is a replay and is refused; when full, the new input is dropped
 * (the client is sending faster than the tick: more inputs must not buy more thrust).
 */
export class InputQueue {
  readonly #items: ControlInput[] = [];
  #lastSeq: number;

  constructor(
    readonly capacity: number,
    lastSeq = 0,
  ) {
    this.#lastSeq = lastSeq;
  }

  get size(): number {
    return this.#items.length;
  }

  /** The highest sequence number accepted so far. */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  push(input: ControlInput): Enqueued {
    if (input.seq <= this.#lastSeq) return "replayed";
    if (this.#items.length >= this.capacity) return "overflow";
    this.#lastSeq = input.seq;
    this.#items.push(input);
    return "queued";
  }

  /** The oldest pending input (one per tick is applied). */
  shift(): ControlInput | undefined {
    return this.#items.shift();
  }
}
